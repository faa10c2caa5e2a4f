//! Shorthands for the records a plugin's [`Metadata`](crate::Metadata) is made of, so a plugin's
//! description reads as a list of activities rather than a wall of struct literals.

use crate::{Activity, ActivityKind, ArgumentSpec, ArgumentType};
use serde_json::Value;

impl ArgumentSpec {
    /// An argument the activity cannot run without.
    pub fn required(name: &str, kind: ArgumentType, description: &str) -> Self {
        Self {
            name: name.into(),
            type_: kind,
            required: true,
            default: None,
            description: description.into(),
        }
    }

    /// An argument the activity can do without, with no default.
    pub fn optional(name: &str, kind: ArgumentType, description: &str) -> Self {
        Self {
            required: false,
            ..Self::required(name, kind, description)
        }
    }

    /// Makes the argument optional with `default` as the value the activity uses when it is absent; the
    /// host shows it in `discover` output.
    pub fn with_default(self, default: Value) -> Self {
        Self {
            required: false,
            default: Some(default.to_string()),
            ..self
        }
    }
}

impl Activity {
    /// An activity that observes the system and returns what it saw.
    pub fn probe(name: &str, description: &str, arguments: Vec<ArgumentSpec>) -> Self {
        Self::new(ActivityKind::Probe, name, description, arguments)
    }

    /// An activity that disturbs the system.
    pub fn action(name: &str, description: &str, arguments: Vec<ArgumentSpec>) -> Self {
        Self::new(ActivityKind::Action, name, description, arguments)
    }

    fn new(
        kind: ActivityKind,
        name: &str,
        description: &str,
        arguments: Vec<ArgumentSpec>,
    ) -> Self {
        Self {
            name: name.into(),
            kind,
            description: description.into(),
            arguments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn with_default_makes_the_argument_optional_and_encodes_the_default() {
        let spec = ArgumentSpec::required("method", ArgumentType::String, "HTTP method.")
            .with_default(json!("GET"));
        assert!(!spec.required);
        assert_eq!(spec.default.as_deref(), Some(r#""GET""#));
    }

    #[test]
    fn activity_kinds() {
        assert_eq!(Activity::probe("p", "", vec![]).kind, ActivityKind::Probe);
        assert_eq!(Activity::action("a", "", vec![]).kind, ActivityKind::Action);
    }
}
