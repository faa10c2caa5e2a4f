//! Steady-state tolerances and how a probe's output is checked against them, with Chaos Toolkit's
//! exact rules (`chaoslib/hypothesis.py::within_tolerance`): an int checks an HTTP or process result's
//! `status`, a 2-element list is an inclusive range for plain values but membership for results.
//!
//! Comparisons follow Python's, because experiments were written against them: `1 == 1.0`,
//! `True == 1`, strings only equal strings. Where Python would raise `TypeError` (and crash `chaos
//! run` without a journal), chaosrt returns an error the engine turns into a failed probe.

use serde_json::Value;
use std::cmp::Ordering;

/// A tolerance as the hypothesis declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Tolerance {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Value>),
}

/// A comparison Python would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot compare {value} with the tolerance bounds {low} and {high}")]
pub struct ToleranceError {
    value: String,
    low: String,
    high: String,
}

impl Tolerance {
    /// Parses a tolerance value; `None` for a type Chaos Toolkit does not support here.
    pub fn from_json(value: &Value) -> Option<Tolerance> {
        match value {
            Value::Bool(b) => Some(Tolerance::Bool(*b)),
            Value::Number(n) => n.as_i64().map(Tolerance::Int),
            Value::String(s) => Some(Tolerance::Str(s.clone())),
            Value::Array(items) => Some(Tolerance::List(items.clone())),
            _ => None,
        }
    }

    /// Whether `value` (a probe's output) is within this tolerance.
    pub fn check(&self, value: &Value) -> Result<bool, ToleranceError> {
        let status = value.as_object().and_then(|o| o.get("status"));
        Ok(match self {
            Tolerance::Bool(b) => py_eq(value, &Value::Bool(*b)),
            Tolerance::Str(s) => py_eq(value, &Value::String(s.clone())),
            Tolerance::Int(i) => py_eq(status.unwrap_or(value), &Value::from(*i)),
            Tolerance::List(items) => match status {
                Some(status) => items.iter().any(|item| py_eq(status, item)),
                None if items.len() == 2 => {
                    let out_of_order = |low: &Value, high: &Value| ToleranceError {
                        value: value.to_string(),
                        low: low.to_string(),
                        high: high.to_string(),
                    };
                    let (low, high) = (&items[0], &items[1]);
                    let above = py_cmp(low, value).ok_or_else(|| out_of_order(low, high))?;
                    let below = py_cmp(value, high).ok_or_else(|| out_of_order(low, high))?;
                    above != Ordering::Greater && below != Ordering::Greater
                }
                None => items.iter().any(|item| py_eq(value, item)),
            },
        })
    }

    /// The tolerance as the experiment wrote it, for "expected … got …" messages.
    pub fn describe(&self) -> String {
        match self {
            Tolerance::Bool(b) => b.to_string(),
            Tolerance::Int(i) => i.to_string(),
            Tolerance::Str(s) => format!("{s:?}"),
            Tolerance::List(items) => Value::Array(items.clone()).to_string(),
        }
    }
}

/// A number as Python sees it, booleans included.
fn py_number(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Python's `==` on JSON values.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (py_number(a), py_number(b)) {
        return x == y;
    }
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Python's ordering on JSON values; `None` where Python raises `TypeError`.
fn py_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (py_number(a), py_number(b)) {
        return x.partial_cmp(&y);
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(tolerance: Value, value: Value) -> Result<bool, ToleranceError> {
        Tolerance::from_json(&tolerance).unwrap().check(&value)
    }

    #[test]
    fn int_checks_status_of_results_and_plain_values() {
        assert_eq!(
            check(json!(200), json!({"status": 200, "body": "x"})),
            Ok(true)
        );
        assert_eq!(check(json!(200), json!({"status": 500})), Ok(false));
        assert_eq!(
            check(json!(0), json!({"status": 0, "stdout": ""})),
            Ok(true)
        );
        assert_eq!(check(json!(3), json!(3)), Ok(true));
        assert_eq!(check(json!(3), json!(3.0)), Ok(true));
        assert_eq!(check(json!(1), json!(true)), Ok(true));
        assert_eq!(check(json!(3), json!("3")), Ok(false));
        assert_eq!(check(json!(200), json!({"code": 200})), Ok(false));
    }

    #[test]
    fn bool_and_str_are_plain_equality() {
        assert_eq!(check(json!(true), json!(true)), Ok(true));
        assert_eq!(check(json!(true), json!(1)), Ok(true));
        assert_eq!(check(json!(false), json!(true)), Ok(false));
        assert_eq!(check(json!(true), json!({"status": 1})), Ok(false));
        assert_eq!(check(json!("ok"), json!("ok")), Ok(true));
        assert_eq!(check(json!("ok"), json!("OK")), Ok(false));
        assert_eq!(check(json!("200"), json!({"status": 200})), Ok(false));
    }

    #[test]
    fn list_is_membership_on_results_and_a_range_for_two_plain_values() {
        // Membership against an HTTP result, even with two elements.
        assert_eq!(check(json!([200, 503]), json!({"status": 404})), Ok(false));
        assert_eq!(check(json!([200, 503]), json!({"status": 503})), Ok(true));
        // The same list against a plain value is an inclusive range.
        assert_eq!(check(json!([200, 503]), json!(404)), Ok(true));
        assert_eq!(check(json!([200, 503]), json!(200)), Ok(true));
        assert_eq!(check(json!([200, 503]), json!(503)), Ok(true));
        assert_eq!(check(json!([200, 503]), json!(504)), Ok(false));
        assert_eq!(check(json!(["a", "m"]), json!("c")), Ok(true));
        // Any other length is membership.
        assert_eq!(check(json!([1, 2, 3]), json!(2)), Ok(true));
        assert_eq!(check(json!([1, 2, 3]), json!(5)), Ok(false));
        assert_eq!(check(json!(["a"]), json!("a")), Ok(true));
    }

    #[test]
    fn mismatched_range_types_are_an_error_not_a_crash() {
        assert!(check(json!([1, 5]), json!("3")).is_err());
        assert!(check(json!([1, 5]), json!(null)).is_err());
    }

    #[test]
    fn unsupported_tolerance_types() {
        assert_eq!(Tolerance::from_json(&json!(1.5)), None);
        assert_eq!(Tolerance::from_json(&json!(null)), None);
    }
}
