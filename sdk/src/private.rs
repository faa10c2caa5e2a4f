//! Support for the code the SDK's macros expand to, in the plugin's crate. Ordinary functions, so that
//! the expansions stay thin and this logic is tested here, on the host. Not a stable API.

use crate::value::FromArgument;
use crate::{Argument, Arguments, Error, Plugin, Target};
use serde::Serialize;
use serde_json::Value;

#[path = "bindings.rs"]
pub mod bindings;

pub use bindings::wit;

/// The text of an item's doc comment (`#[doc]` attributes, one per `///` line): Markdown-style, lines
/// of one paragraph joined with a space, paragraphs with a blank line, list items on lines of their own.
pub fn doc(lines: &[&str]) -> String {
    let mut text = String::new();
    let mut blank = false;
    for line in lines.iter().flat_map(|attr| attr.split('\n')) {
        let line = line.trim();
        if line.is_empty() {
            blank = !text.is_empty();
            continue;
        }
        if blank {
            text.push_str("\n\n");
            blank = false;
        } else if !text.is_empty() {
            text.push(if is_list_item(line) { '\n' } else { ' ' });
        }
        text.push_str(line);
    }
    text
}

fn is_list_item(line: &str) -> bool {
    let numbered = line.split_once(". ").is_some_and(|(number, _)| {
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit())
    });
    line.starts_with("- ") || line.starts_with("* ") || numbered
}

/// The metadata of the argument `name` of type `T`: its JSON type, whether it is required (`T` is not
/// an `Option` and there is no default) and its default.
///
/// # Panics
///
/// When `default` does not fit `T`: a mistake in the plugin that would otherwise surface only when an
/// experiment leaves the argument out. The host reports the panic when it installs the plugin (the
/// plugin "failed to describe itself"), and a plugin's unit test that calls `metadata()` catches it.
pub fn argument<T: FromArgument>(
    name: &str,
    description: String,
    default: Option<Value>,
) -> Argument {
    if let Some(value) = &default
        && let Err(err) = T::from_argument(name, Some(value))
    {
        panic!("the default of argument `{name}`, {value}, does not fit its type: {err}");
    }
    Argument {
        name: name.into(),
        kind: T::TYPE,
        required: T::REQUIRED && default.is_none(),
        default,
        description,
    }
}

/// The argument `name` as a `T`: the experiment's value, else `default`, else absent (an error for a
/// required argument, `None` for an optional one).
pub fn parse<T: FromArgument>(
    arguments: &Arguments,
    name: &str,
    default: Option<Value>,
) -> Result<T, Error> {
    match arguments.get(name) {
        Some(value) => T::from_argument(name, Some(value)),
        None => T::from_argument(name, default.as_ref()),
    }
}

/// Refuses an argument `activity` does not take (`#[probe(deny_unknown_arguments)]`), as Python refuses
/// an unexpected keyword argument, naming the ones it takes.
pub fn deny_unknown(arguments: &Arguments, activity: &str, takes: &[&str]) -> Result<(), Error> {
    match arguments
        .as_map()
        .keys()
        .find(|name| !takes.contains(&name.as_str()))
    {
        Some(extra) => Err(Error::InvalidArguments(format!(
            "`{activity}` takes no argument `{extra}`; it takes {}",
            if takes.is_empty() {
                "none".to_string()
            } else {
                takes.join(", ")
            }
        ))),
        None => Ok(()),
    }
}

/// An activity's return value as its JSON output.
pub fn output<T: Serialize>(value: T) -> Result<Value, Error> {
    serde_json::to_value(value)
        .map_err(|err| Error::Failed(format!("the activity's output is not JSON: {err}")))
}

/// A fallible activity's result as its JSON output or its error.
pub fn output_result<T: Serialize, E: Into<Error>>(result: Result<T, E>) -> Result<Value, Error> {
    output(result.map_err(Into::into)?)
}

/// A `discover` function's result.
pub fn discovered<E: Into<Error>>(result: Result<Vec<Target>, E>) -> Result<Vec<Target>, Error> {
    result.map_err(Into::into)
}

/// Whether two activity names are the same, at compile time (`plugin!` refuses duplicates).
pub const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `metadata` of the exported interface.
pub fn metadata<P: Plugin>() -> wit::PluginMetadata {
    P::metadata().into()
}

/// `invoke` of the exported interface: decodes the call, runs it and encodes the output as JSON text.
pub fn invoke<P: Plugin>(activity: String, arguments: String) -> Result<String, wit::Error> {
    let arguments = Arguments::from_json(&arguments)?;
    let output = P::invoke(&activity, arguments)?;
    Ok(output.to_string())
}

/// `discover` of the exported `discovery` interface.
pub fn discover<P: Plugin>() -> Result<Vec<wit::Target>, wit::Error> {
    Ok(P::discover()?.into_iter().map(Into::into).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArgumentType;
    use serde_json::json;

    #[test]
    fn doc_joins_lines_and_keeps_paragraphs_and_lists() {
        assert_eq!(
            doc(&[" Whether /health answers 200."]),
            "Whether /health answers 200."
        );
        assert_eq!(
            doc(&[" One line", " goes on.", "", " A second", " paragraph."]),
            "One line goes on.\n\nA second paragraph."
        );
        assert_eq!(
            doc(&[" Steps:", " - one", " - two", " 1. three"]),
            "Steps:\n- one\n- two\n1. three"
        );
        assert_eq!(
            doc(&["", " Leading blank lines go."]),
            "Leading blank lines go."
        );
        assert_eq!(doc(&["Block\n   comment"]), "Block comment");
        assert_eq!(doc(&[]), "");
    }

    #[test]
    fn argument_metadata_follows_the_type_and_default() {
        let path = argument::<String>("path", "The path.".into(), Some(json!("/health")));
        assert_eq!(path.kind, ArgumentType::String);
        assert!(!path.required);
        assert_eq!(path.default, Some(json!("/health")));
        assert!(argument::<String>("url", String::new(), None).required);
        let optional = argument::<Option<u16>>("status", String::new(), None);
        assert_eq!(
            (optional.kind, optional.required),
            (ArgumentType::Integer, false)
        );
    }

    #[test]
    #[should_panic(
        expected = "the default of argument `n`, \"x\", does not fit its type: argument `n` must be a non-negative integer"
    )]
    fn a_default_of_the_wrong_type_panics() {
        argument::<u64>("n", String::new(), Some(json!("x")));
    }

    #[test]
    fn parse_prefers_the_experiments_value_then_the_default() {
        let given = Arguments::from_json(r#"{"path": "/ready", "gone": null}"#).unwrap();
        let path: String = parse(&given, "path", Some(json!("/health"))).unwrap();
        assert_eq!(path, "/ready");
        let gone: String = parse(&given, "gone", Some(json!("/health"))).unwrap();
        assert_eq!(gone, "/health", "null counts as absent");
        assert_eq!(
            parse::<String>(&given, "url", None).unwrap_err(),
            Error::InvalidArguments("missing required argument `url` (a string)".into())
        );
        assert_eq!(parse::<Option<String>>(&given, "url", None).unwrap(), None);
    }

    #[test]
    fn deny_unknown_names_what_the_activity_takes() {
        let given = Arguments::from_json(r#"{"path": "x", "dir_fd": 3}"#).unwrap();
        assert!(deny_unknown(&given, "remove", &["path", "dir_fd"]).is_ok());
        assert_eq!(
            deny_unknown(&given, "remove", &["path"]).unwrap_err(),
            Error::InvalidArguments("`remove` takes no argument `dir_fd`; it takes path".into())
        );
        assert_eq!(
            deny_unknown(&given, "ping", &[]).unwrap_err(),
            Error::InvalidArguments("`ping` takes no argument `path`; it takes none".into())
        );
    }

    #[test]
    fn outputs_serialize() {
        assert_eq!(output(()).unwrap(), Value::Null);
        assert_eq!(output_result(Ok::<_, Error>(true)).unwrap(), json!(true));
        assert_eq!(
            output_result(Err::<bool, _>(Error::failed("no"))).unwrap_err(),
            Error::Failed("no".into())
        );
        let mut bad = std::collections::HashMap::new();
        bad.insert((1, 2), 3);
        assert!(
            matches!(output(bad), Err(Error::Failed(message)) if message.starts_with("the activity's output is not JSON"))
        );
    }

    #[test]
    fn same_name_compares_bytes() {
        const { assert!(same_name("a", "a")) };
        const { assert!(!same_name("a", "ab")) };
        const { assert!(!same_name("ab", "ac")) };
    }
}
