//! What a plugin's `discovery` export reports it could act on, in host types, bounded and escaped.
//!
//! A target is plugin text that lands in the discovery document and the log, and an operator reads
//! both (and pipes the document into `chaosrt init`): so the host keeps at most [`MAX_TARGETS`], drops
//! any that is over-long or whose details are not a JSON object (counting them, so the operator is
//! told), and escapes every string in what it keeps ([`crate::escape`]), details included.

use serde_json::{Map, Value};

/// Far beyond what one plugin usefully reports (a cluster's namespaces, deployments and pods),
/// small enough that the document stays readable.
pub const MAX_TARGETS: usize = 1000;
/// A target's kind (`namespace`, `pod`), in characters.
pub const KIND_CHARS: usize = 64;
/// A target's name and namespace, in characters (Kubernetes names are at most 253).
pub const NAME_CHARS: usize = 253;
/// A target's details, JSON text.
pub const DETAILS_BYTES: usize = 16 * 1024;

/// Something a plugin could act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// A JSON object.
    pub details: Map<String, Value>,
}

/// A target as the plugin sent it, before any check.
#[derive(Debug, Clone)]
pub struct Reported {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub details: String,
}

/// What a `discover()` call reported, once checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Discovered {
    pub targets: Vec<Target>,
    /// Targets dropped because they broke a bound or their details were not a JSON object.
    pub malformed: usize,
    /// Well-formed targets beyond [`MAX_TARGETS`], not kept.
    pub over_limit: usize,
}

impl Discovered {
    /// Keeps the first [`MAX_TARGETS`] well-formed targets of `reported`, escaped.
    pub fn check(reported: Vec<Reported>) -> Discovered {
        let mut discovered = Discovered::default();
        for target in reported {
            match checked(target) {
                None => discovered.malformed += 1,
                Some(_) if discovered.targets.len() >= MAX_TARGETS => discovered.over_limit += 1,
                Some(target) => discovered.targets.push(target),
            }
        }
        discovered
    }
}

fn checked(t: Reported) -> Option<Target> {
    let within = |s: &str, max: usize| !s.is_empty() && s.chars().count() <= max;
    if !within(&t.kind, KIND_CHARS)
        || !within(&t.name, NAME_CHARS)
        || t.namespace
            .as_deref()
            .is_some_and(|n| !within(n, NAME_CHARS))
        || t.details.len() > DETAILS_BYTES
    {
        return None;
    }
    let details = match t.details.trim() {
        "" => Map::new(),
        text => match serde_json::from_str(text) {
            Ok(Value::Object(details)) => details,
            _ => return None,
        },
    };
    let escape = |s: &str| crate::escape::escape(s).into_owned();
    Some(Target {
        kind: escape(&t.kind),
        name: escape(&t.name),
        namespace: t.namespace.as_deref().map(escape),
        details: details
            .into_iter()
            .map(|(k, v)| (escape(&k), escaped(v)))
            .collect(),
    })
}

/// `value` with every string in it, keys included, escaped.
fn escaped(value: Value) -> Value {
    let escape = |s: &str| crate::escape::escape(s).into_owned();
    match value {
        Value::String(s) => Value::String(escape(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(escaped).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (escape(&k), escaped(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(name: &str, details: &str) -> Reported {
        Reported {
            kind: "pod".into(),
            name: name.into(),
            namespace: Some("default".into()),
            details: details.into(),
        }
    }

    #[test]
    fn targets_are_escaped_details_included() {
        let d = Discovered::check(vec![reported(
            "web\x1b[2K\r",
            r#"{"labels": {"app\u202e": "a\nb"}, "replicas": 3}"#,
        )]);
        assert_eq!((d.malformed, d.over_limit), (0, 0));
        let t = &d.targets[0];
        assert_eq!(t.name, "web\\x1b[2K\\r");
        assert_eq!(
            Value::Object(t.details.clone()),
            serde_json::json!({"labels": {"app\\u{202e}": "a\\nb"}, "replicas": 3})
        );
        assert!(
            Discovered::check(vec![reported("x", "")]).targets[0]
                .details
                .is_empty()
        );
    }

    #[test]
    fn malformed_and_surplus_targets_are_counted_not_kept() {
        let mut all = vec![
            reported("", "{}"),
            reported(&"n".repeat(NAME_CHARS + 1), "{}"),
            reported("x", "[1]"),
            reported("x", "not json"),
            reported(
                "x",
                &format!("{{\"a\": \"{}\"}}", "b".repeat(DETAILS_BYTES)),
            ),
        ];
        all.extend((0..MAX_TARGETS + 7).map(|i| reported(&format!("p{i}"), "{}")));
        let d = Discovered::check(all);
        assert_eq!(d.targets.len(), MAX_TARGETS);
        assert_eq!((d.malformed, d.over_limit), (5, 7));
        assert_eq!(d.targets[0].name, "p0");
    }
}
