//! An activity's arguments as the experiment gave them: a JSON object, with getters that name the
//! argument when it is missing or does not fit.

use crate::Error;
use crate::value::FromArgument;
use serde_json::{Map, Value};

/// The arguments of one activity call: the JSON object the experiment gave, with getters that turn a
/// missing or mistyped argument into [`Error::InvalidArguments`] naming the argument and the type it
/// should have had.
///
/// A `null` argument counts as absent, as `None` does for Chaos Toolkit's Python activities.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arguments(Map<String, Value>);

impl Arguments {
    /// Parses the arguments JSON text the host sends. Anything but an object is an error: activities
    /// take named arguments.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(other) => Err(Error::InvalidArguments(format!(
                "the arguments must be a JSON object, got {}",
                describe_value(&other)
            ))),
            Err(err) => Err(Error::InvalidArguments(format!(
                "the arguments are not valid JSON: {err}"
            ))),
        }
    }

    /// The argument `name`, unless it is absent or `null`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    /// The argument `name` as a `T` (`Option<T>` when it may be absent), as an activity's parameter of
    /// that type would receive it: `args.value::<String>("url")?`, `args.value::<Option<u16>>("status")?`.
    pub fn value<T: FromArgument>(&self, name: &str) -> Result<T, Error> {
        T::from_argument(name, self.get(name))
    }

    /// The arguments as the JSON object they came in.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The arguments as the JSON object they came in, by value.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The argument `name` converted by `extract`, or `None` when it is absent; an error naming
    /// `expected` (e.g. "a port number") when `extract` refuses the value. The typed getters are built on
    /// this; use it for types they do not cover.
    pub fn optional_with<'a, T>(
        &'a self,
        name: &str,
        expected: &str,
        extract: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, Error> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match extract(value) {
            Some(converted) => Ok(Some(converted)),
            None => Err(Error::InvalidArguments(format!(
                "argument `{name}` must be {expected}, got {}",
                describe_value(value)
            ))),
        }
    }

    /// The string argument `name`, which must be present.
    pub fn required_str(&self, name: &str) -> Result<&str, Error> {
        required(self.optional_str(name)?, name, STRING)
    }

    /// The string argument `name`, if present.
    pub fn optional_str(&self, name: &str) -> Result<Option<&str>, Error> {
        self.optional_with(name, STRING, Value::as_str)
    }

    /// The boolean argument `name`, if present.
    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>, Error> {
        self.optional_with(name, "a boolean", Value::as_bool)
    }

    /// The numeric argument `name` (integer or not), if present.
    pub fn optional_f64(&self, name: &str) -> Result<Option<f64>, Error> {
        self.optional_with(name, "a number", Value::as_f64)
    }

    /// The non-negative integer argument `name`, if present. A float with no fractional part (`200.0`)
    /// counts, as it does when Python compares it with an integer.
    pub fn optional_u64(&self, name: &str) -> Result<Option<u64>, Error> {
        self.optional_with(name, "a non-negative integer", as_u64)
    }

    /// The integer argument `name` in 0..=65535 (a port, an HTTP status), if present.
    pub fn optional_u16(&self, name: &str) -> Result<Option<u16>, Error> {
        self.optional_with(name, "an integer from 0 to 65535", |value| {
            as_u64(value).and_then(|n| u16::try_from(n).ok())
        })
    }

    /// The object argument `name`, if present.
    pub fn optional_object(&self, name: &str) -> Result<Option<&Map<String, Value>>, Error> {
        self.optional_with(name, "an object", Value::as_object)
    }

    /// The list argument `name`, if present.
    pub fn optional_list(&self, name: &str) -> Result<Option<&Vec<Value>>, Error> {
        self.optional_with(name, "a list", Value::as_array)
    }
}

impl From<Map<String, Value>> for Arguments {
    fn from(map: Map<String, Value>) -> Self {
        Self(map)
    }
}

const STRING: &str = "a string";

/// Turns an absent argument into the error for a missing one.
fn required<T>(value: Option<T>, name: &str, expected: &str) -> Result<T, Error> {
    value.ok_or_else(|| {
        Error::InvalidArguments(format!("missing required argument `{name}` ({expected})"))
    })
}

/// A non-negative integer, also when written as a float with no fractional part.
fn as_u64(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        let float = value.as_f64()?;
        // 2^64 as f64 is exact; anything at or above it does not fit.
        (float >= 0.0 && float.fract() == 0.0 && float < 18_446_744_073_709_551_616.0)
            .then_some(float as u64)
    })
}

/// Describes a JSON value for an error message: its kind, then the value itself, shortened so a large
/// argument does not flood the log.
pub(crate) fn describe_value(value: &Value) -> String {
    const MAX: usize = 60;
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    let mut text = value.to_string();
    if text.chars().count() > MAX {
        text = text.chars().take(MAX).chain("…".chars()).collect();
    }
    format!("{kind} `{text}`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(value: Value) -> Arguments {
        match value {
            Value::Object(map) => Arguments::from(map),
            _ => unreachable!("tests pass objects"),
        }
    }

    fn invalid(message: &str) -> Error {
        Error::InvalidArguments(message.into())
    }

    #[test]
    fn from_json_accepts_objects_only() {
        assert_eq!(
            Arguments::from_json(r#"{"a": 1}"#).unwrap().get("a"),
            Some(&json!(1))
        );
        assert_eq!(
            Arguments::from_json("null").unwrap_err(),
            invalid("the arguments must be a JSON object, got null `null`")
        );
        assert!(matches!(
            Arguments::from_json("{").unwrap_err(),
            Error::InvalidArguments(message) if message.starts_with("the arguments are not valid JSON")
        ));
    }

    #[test]
    fn required_str_names_the_argument_and_type() {
        let a = args(json!({"src": "./a", "n": 3, "gone": null}));
        assert_eq!(a.required_str("src").unwrap(), "./a");
        assert_eq!(
            a.required_str("dst").unwrap_err(),
            invalid("missing required argument `dst` (a string)")
        );
        assert_eq!(
            a.required_str("gone").unwrap_err(),
            invalid("missing required argument `gone` (a string)")
        );
        assert_eq!(
            a.required_str("n").unwrap_err(),
            invalid("argument `n` must be a string, got a number `3`")
        );
    }

    #[test]
    fn optional_getters_convert_or_explain() {
        let a = args(json!({
            "flag": true, "ratio": 0.5, "count": 7, "status": 200.0, "big": 70000,
            "obj": {"k": "v"}, "list": [1], "neg": -1,
        }));
        assert_eq!(a.optional_bool("flag").unwrap(), Some(true));
        assert_eq!(a.optional_bool("missing").unwrap(), None);
        assert_eq!(a.optional_f64("ratio").unwrap(), Some(0.5));
        assert_eq!(a.optional_f64("count").unwrap(), Some(7.0));
        assert_eq!(a.optional_u64("count").unwrap(), Some(7));
        assert_eq!(a.optional_u16("status").unwrap(), Some(200));
        assert_eq!(a.optional_object("obj").unwrap().unwrap().len(), 1);
        assert_eq!(a.optional_list("list").unwrap().unwrap().len(), 1);
        assert_eq!(
            a.optional_u16("big").unwrap_err(),
            invalid("argument `big` must be an integer from 0 to 65535, got a number `70000`")
        );
        assert_eq!(
            a.optional_u64("neg").unwrap_err(),
            invalid("argument `neg` must be a non-negative integer, got a number `-1`")
        );
        assert_eq!(
            a.optional_u64("ratio").unwrap_err(),
            invalid("argument `ratio` must be a non-negative integer, got a number `0.5`")
        );
        assert_eq!(
            a.optional_bool("obj").unwrap_err(),
            invalid(r#"argument `obj` must be a boolean, got an object `{"k":"v"}`"#)
        );
    }

    #[test]
    fn long_values_are_shortened_in_errors() {
        let a = args(json!({"s": "x".repeat(100)}));
        let Error::InvalidArguments(message) = a.optional_bool("s").unwrap_err() else {
            unreachable!()
        };
        assert!(message.ends_with("…`"), "{message}");
        assert!(message.chars().count() < 110, "{message}");
    }
}
