//! Typed arguments: which Rust types an activity's parameters may have, the JSON type the host is told
//! about for each, and how a JSON value becomes one (or the message that names the argument when it
//! cannot).

use crate::args::describe_value;
use crate::{ArgumentType, Error};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// A type an argument can have: a JSON value converted to Rust, with the [`ArgumentType`] the host
/// shows for it. Implemented for `String`, `bool`, the integer types, `f32`/`f64`, `Value`,
/// `Map<String, Value>`, `Vec<T>`, `HashMap<String, T>`/`BTreeMap<String, T>` and [`Json<T>`]; an
/// activity's parameter may also be `Option` of any of these (an optional argument).
///
/// Implement it for a type of your own to take it as a parameter:
///
/// ```
/// use chaosrt_sdk::serde_json::Value;
/// use chaosrt_sdk::{ArgumentType, ArgumentValue, must_be};
///
/// /// A percentage, 0 to 100.
/// struct Percent(u8);
///
/// impl ArgumentValue for Percent {
///     const TYPE: ArgumentType = ArgumentType::Integer;
///     const EXPECTED: &'static str = "a percentage from 0 to 100";
///
///     fn from_json(value: &Value) -> Result<Self, String> {
///         match value.as_u64() {
///             Some(n @ 0..=100) => Ok(Percent(n as u8)),
///             _ => Err(must_be(Self::EXPECTED, value)),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of an activity's argument",
    label = "not an argument type",
    note = "an argument's type implements `chaosrt_sdk::ArgumentValue` (String, bool, integers, f64, \
            Vec<T>, maps, serde_json::Value), or is `Option` of one; wrap a serde type in \
            `chaosrt_sdk::Json<T>`, or implement `ArgumentValue` for it"
)]
pub trait ArgumentValue: Sized {
    /// The JSON type the host is told the argument has.
    const TYPE: ArgumentType;
    /// What the value must be, for messages: "a string", "an integer from 0 to 65535".
    const EXPECTED: &'static str;

    /// Converts the argument's value. The error is the rest of a sentence that begins "argument
    /// `name` …": usually [`must_be`]`(Self::EXPECTED, value)`.
    fn from_json(value: &Value) -> Result<Self, String>;
}

/// "must be {expected}, got {value}", the usual reason an argument is refused, with the value shortened.
pub fn must_be(expected: &str, value: &Value) -> String {
    format!("must be {expected}, got {}", describe_value(value))
}

/// What an activity's parameter can be: a required argument (`T`) or an optional one (`Option<T>`),
/// for every `T` that implements [`ArgumentValue`]. Used by the code `#[probe]` and `#[action]`
/// generate, and by [`Arguments::value`](crate::Arguments::value).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of an activity's argument",
    label = "not an argument type",
    note = "an argument's type implements `chaosrt_sdk::ArgumentValue` (String, bool, integers, f64, \
            Vec<T>, maps, serde_json::Value), or is `Option` of one; wrap a serde type in \
            `chaosrt_sdk::Json<T>`, or implement `ArgumentValue` for it"
)]
pub trait FromArgument: Sized {
    /// The JSON type the host is told the argument has.
    const TYPE: ArgumentType;
    /// Whether the activity cannot run without it (unless it has a default).
    const REQUIRED: bool;

    /// Converts the argument `name`, `None` when the experiment did not give it (or gave `null`).
    fn from_argument(name: &str, value: Option<&Value>) -> Result<Self, Error>;
}

impl<T: ArgumentValue> FromArgument for T {
    const TYPE: ArgumentType = T::TYPE;
    const REQUIRED: bool = true;

    fn from_argument(name: &str, value: Option<&Value>) -> Result<Self, Error> {
        let value = value.ok_or_else(|| {
            Error::InvalidArguments(format!(
                "missing required argument `{name}` ({})",
                T::EXPECTED
            ))
        })?;
        convert(name, value)
    }
}

impl<T: ArgumentValue> FromArgument for Option<T> {
    const TYPE: ArgumentType = T::TYPE;
    const REQUIRED: bool = false;

    fn from_argument(name: &str, value: Option<&Value>) -> Result<Self, Error> {
        value.map(|value| convert(name, value)).transpose()
    }
}

fn convert<T: ArgumentValue>(name: &str, value: &Value) -> Result<T, Error> {
    T::from_json(value).map_err(|why| Error::InvalidArguments(format!("argument `{name}` {why}")))
}

impl ArgumentValue for String {
    const TYPE: ArgumentType = ArgumentType::String;
    const EXPECTED: &'static str = "a string";

    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| must_be(Self::EXPECTED, value))
    }
}

impl ArgumentValue for bool {
    const TYPE: ArgumentType = ArgumentType::Boolean;
    const EXPECTED: &'static str = "a boolean";

    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_bool()
            .ok_or_else(|| must_be(Self::EXPECTED, value))
    }
}

impl ArgumentValue for f64 {
    const TYPE: ArgumentType = ArgumentType::Number;
    const EXPECTED: &'static str = "a number";

    fn from_json(value: &Value) -> Result<Self, String> {
        value.as_f64().ok_or_else(|| must_be(Self::EXPECTED, value))
    }
}

impl ArgumentValue for f32 {
    const TYPE: ArgumentType = ArgumentType::Number;
    const EXPECTED: &'static str = "a number";

    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_f64()
            .map(|number| number as f32)
            .ok_or_else(|| must_be(Self::EXPECTED, value))
    }
}

/// An integral JSON number as `i128`, also when written as a float with no fractional part (`200.0`),
/// as it counts when Python compares it with an integer.
fn integral(value: &Value) -> Option<i128> {
    if let Some(n) = value.as_i64() {
        return Some(n.into());
    }
    if let Some(n) = value.as_u64() {
        return Some(n.into());
    }
    let float = value.as_f64()?;
    // ±2^64 as f64 are exact; every integer type here fits inside them.
    (float.fract() == 0.0 && float.abs() < 18_446_744_073_709_551_616.0).then_some(float as i128)
}

macro_rules! integers {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl ArgumentValue for $ty {
            const TYPE: ArgumentType = ArgumentType::Integer;
            const EXPECTED: &'static str = $expected;

            fn from_json(value: &Value) -> Result<Self, String> {
                integral(value)
                    .and_then(|n| <$ty>::try_from(n).ok())
                    .ok_or_else(|| must_be(Self::EXPECTED, value))
            }
        }
    )*};
}

integers! {
    u8 => "an integer from 0 to 255",
    u16 => "an integer from 0 to 65535",
    u32 => "an integer from 0 to 4294967295",
    u64 => "a non-negative integer",
    usize => "a non-negative integer",
    i8 => "an integer from -128 to 127",
    i16 => "an integer from -32768 to 32767",
    i32 => "an integer from -2147483648 to 2147483647",
    i64 => "an integer",
    isize => "an integer",
}

impl ArgumentValue for Value {
    const TYPE: ArgumentType = ArgumentType::Any;
    const EXPECTED: &'static str = "any JSON value";

    fn from_json(value: &Value) -> Result<Self, String> {
        Ok(value.clone())
    }
}

impl ArgumentValue for Map<String, Value> {
    const TYPE: ArgumentType = ArgumentType::Object;
    const EXPECTED: &'static str = "an object";

    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_object()
            .cloned()
            .ok_or_else(|| must_be(Self::EXPECTED, value))
    }
}

impl<T: ArgumentValue> ArgumentValue for Vec<T> {
    const TYPE: ArgumentType = ArgumentType::List;
    const EXPECTED: &'static str = "a list";

    fn from_json(value: &Value) -> Result<Self, String> {
        let items = value
            .as_array()
            .ok_or_else(|| must_be(Self::EXPECTED, value))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_json(item).map_err(|why| format!("item {i} {why}")))
            .collect()
    }
}

/// Maps keyed by string, from a JSON object.
fn entries<T: ArgumentValue, M: FromIterator<(String, T)>>(value: &Value) -> Result<M, String> {
    let object = value
        .as_object()
        .ok_or_else(|| must_be("an object", value))?;
    object
        .iter()
        .map(|(key, item)| {
            T::from_json(item)
                .map(|converted| (key.clone(), converted))
                .map_err(|why| format!("key `{key}` {why}"))
        })
        .collect()
}

impl<T: ArgumentValue> ArgumentValue for HashMap<String, T> {
    const TYPE: ArgumentType = ArgumentType::Object;
    const EXPECTED: &'static str = "an object";

    fn from_json(value: &Value) -> Result<Self, String> {
        entries(value)
    }
}

impl<T: ArgumentValue> ArgumentValue for BTreeMap<String, T> {
    const TYPE: ArgumentType = ArgumentType::Object;
    const EXPECTED: &'static str = "an object";

    fn from_json(value: &Value) -> Result<Self, String> {
        entries(value)
    }
}

/// An argument of any type that implements `serde::Deserialize`, such as a struct of your own: the
/// host is told it takes any JSON value, and a value that does not fit is refused with serde's reason.
///
/// ```
/// use chaosrt_sdk::{Error, Json};
///
/// #[derive(serde::Deserialize)]
/// struct Target {
///     host: String,
///     port: u16,
/// }
///
/// /// Whether `target` is listed.
/// #[chaosrt_sdk::probe]
/// fn listed(target: Json<Target>) -> Result<bool, Error> {
///     let Json(target) = target;
///     Ok(target.host == "localhost" && target.port == 8080)
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> ArgumentValue for Json<T> {
    const TYPE: ArgumentType = ArgumentType::Any;
    const EXPECTED: &'static str = "a JSON value of the expected shape";

    fn from_json(value: &Value) -> Result<Self, String> {
        T::deserialize(value)
            .map(Json)
            .map_err(|err| format!("does not fit: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from<T: FromArgument>(value: Value) -> Result<T, Error> {
        T::from_argument("x", Some(&value))
    }

    fn invalid(message: &str) -> Error {
        Error::InvalidArguments(message.into())
    }

    #[test]
    fn required_and_optional() {
        assert_eq!(
            String::from_argument("dst", None).unwrap_err(),
            invalid("missing required argument `dst` (a string)")
        );
        assert_eq!(Option::<String>::from_argument("dst", None).unwrap(), None);
        assert_eq!(
            from::<Option<String>>(json!("a")).unwrap(),
            Some("a".into())
        );
        assert_eq!(
            from::<Option<String>>(json!(3)).unwrap_err(),
            invalid("argument `x` must be a string, got a number `3`")
        );
        const { assert!(<String as FromArgument>::REQUIRED) };
        const { assert!(!<Option<String> as FromArgument>::REQUIRED) };
    }

    #[test]
    fn integers_accept_integral_floats_and_check_their_range() {
        assert_eq!(from::<u16>(json!(200.0)).unwrap(), 200);
        assert_eq!(from::<u64>(json!(7)).unwrap(), 7);
        assert_eq!(from::<i8>(json!(-128)).unwrap(), -128);
        assert_eq!(from::<i64>(json!(-1.0)).unwrap(), -1);
        assert_eq!(
            from::<u16>(json!(70000)).unwrap_err(),
            invalid("argument `x` must be an integer from 0 to 65535, got a number `70000`")
        );
        assert_eq!(
            from::<u64>(json!(-1)).unwrap_err(),
            invalid("argument `x` must be a non-negative integer, got a number `-1`")
        );
        assert_eq!(
            from::<u64>(json!(0.5)).unwrap_err(),
            invalid("argument `x` must be a non-negative integer, got a number `0.5`")
        );
        assert!(from::<u64>(json!(1e300)).is_err());
        assert_eq!(from::<u64>(json!(u64::MAX)).unwrap(), u64::MAX);
    }

    #[test]
    fn scalars_objects_and_any() {
        assert!(from::<bool>(json!(true)).unwrap());
        assert_eq!(from::<f64>(json!(3)).unwrap(), 3.0);
        assert_eq!(from::<f32>(json!(0.5)).unwrap(), 0.5);
        assert_eq!(from::<Value>(json!([1])).unwrap(), json!([1]));
        assert_eq!(
            from::<Map<String, Value>>(json!({"k": 1})).unwrap().len(),
            1
        );
        assert_eq!(
            from::<bool>(json!({"k": "v"})).unwrap_err(),
            invalid(r#"argument `x` must be a boolean, got an object `{"k":"v"}`"#)
        );
    }

    #[test]
    fn collections_name_the_item_that_does_not_fit() {
        assert_eq!(
            from::<Vec<String>>(json!(["a", "b"])).unwrap(),
            vec!["a".to_string(), "b".into()]
        );
        assert_eq!(
            from::<Vec<String>>(json!(["a", 2])).unwrap_err(),
            invalid("argument `x` item 1 must be a string, got a number `2`")
        );
        assert_eq!(
            from::<Vec<String>>(json!("a")).unwrap_err(),
            invalid(r#"argument `x` must be a list, got a string `"a"`"#)
        );
        let map: BTreeMap<String, u8> = from(json!({"a": 1})).unwrap();
        assert_eq!(map["a"], 1);
        assert_eq!(
            from::<HashMap<String, String>>(json!({"X-N": 1})).unwrap_err(),
            invalid("argument `x` key `X-N` must be a string, got a number `1`")
        );
    }

    #[test]
    fn json_uses_serde() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Point {
            x: i32,
        }
        assert_eq!(
            from::<Json<Point>>(json!({"x": 1})).unwrap(),
            Json(Point { x: 1 })
        );
        let Error::InvalidArguments(message) = from::<Json<Point>>(json!({})).unwrap_err() else {
            panic!("expected InvalidArguments")
        };
        assert_eq!(message, "argument `x` does not fit: missing field `x`");
    }
}
