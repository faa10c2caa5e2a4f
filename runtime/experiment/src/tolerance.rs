//! Steady-state tolerances and how a probe's output is checked against them, with Chaos Toolkit's
//! exact rules (`chaoslib/hypothesis.py::within_tolerance`, a `singledispatch` on the tolerance's
//! type):
//!
//! - an int checks an HTTP or process result's `status`, or equals a plain value;
//! - a list is membership for results, an inclusive range for a plain value when it has two items;
//! - a string is substituted first and, if that gives another type (`"${expected}"` → `200`),
//!   checked as that type;
//! - `regex` searches the (substituted) pattern in the output or its `target` key;
//! - `jsonpath` matches the (substituted) path in the output, its `target`, or the JSON they hold,
//!   with `jsonpath2`'s semantics; `count` and `expect` compare the whole match list;
//! - `range` compares exactly, as `decimal.Decimal`, and a number-looking string counts;
//! - `probe` runs an activity with the output as `value`: the engine does that, not [`Tolerance::check`].
//!
//! Comparisons follow Python's, because experiments were written against them. Where Python raises
//! (a `TypeError`, which crashes `chaos run` without a journal), `check` returns an error the engine
//! turns into an unmet tolerance with the reason.

use super::jsonpath::JsonPath;
use super::model::Activity;
use super::python::{Decimal, is_py_number, py_cmp, py_eq};
use super::python_regex;
use super::substitute::{Scope, substitute, with_stand_ins};
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// A tolerance as an experiment declares it.
#[derive(Debug, Clone)]
pub enum Tolerance {
    Bool(bool),
    Int(i64),
    /// Substituted when checked.
    Str(String),
    List(Vec<Value>),
    Range {
        low: f64,
        high: f64,
        target: Option<String>,
    },
    Regex {
        /// Substituted when checked.
        pattern: String,
        target: Option<String>,
    },
    JsonPath {
        /// Substituted when checked.
        path: String,
        target: Option<String>,
        count: Option<usize>,
        /// `Some(Value::Null)` is `"expect": null`, which Chaos Toolkit compares too.
        expect: Option<Value>,
    },
    /// An activity given the probe's output as its `value` argument; passes when it returns a
    /// truthy value. Evaluated by the engine.
    Probe(Box<Activity>),
}

/// Why an output could not be checked, where Chaos Toolkit would crash instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToleranceError {
    /// Python refuses to order these two (`TypeError`).
    #[error("cannot compare {value} with {bound}")]
    Incomparable { value: String, bound: String },
    /// The output, or its target, is not something this tolerance reads.
    #[error("a {kind} tolerance needs {needed}, not {got}")]
    Input {
        kind: &'static str,
        needed: &'static str,
        got: String,
    },
    /// The pattern, once substituted, does not compile.
    #[error("the pattern {pattern} is not a valid regex: {reason}")]
    Pattern { pattern: String, reason: String },
    /// The path, once substituted, does not parse.
    #[error("the JSON path {path} is invalid: {reason}")]
    Path { path: String, reason: String },
    /// A placeholder became something that is not a tolerance.
    #[error("{0}")]
    Substituted(String),
    /// `check` was called on a probe tolerance, which only the engine can run.
    #[error("a probe tolerance runs an activity; the engine evaluates it")]
    Probe,
}

/// A tolerance problem found at declaration: a pointer relative to the tolerance, and a message.
pub(super) type DeclarationError = (String, String);

/// What a tolerance declaration is, before any activity in it is validated.
pub(super) enum Declared<'a> {
    Tolerance(Tolerance),
    /// `{"type": "probe", …}`: an activity, for the validator.
    Probe(&'a Map<String, Value>),
}

/// Chaos Toolkit's wording for a tolerance of no usable type (a float, null, …).
const TYPES: &str = "hypothesis probe tolerance must either be an integer, a string, a boolean or a \
                     pair of values for boundaries. It can also be a dictionary which is a probe \
                     activity definition that takes an argument called `value` with the value of \
                     the probe itself to be validated";

impl Tolerance {
    /// Reads a tolerance declaration with Chaos Toolkit's validation rules
    /// (`ensure_hypothesis_tolerance_is_valid`), reporting every problem. Patterns must compile and
    /// paths parse; placeholders in a pattern stand for plain text until run time.
    pub(super) fn declared(raw: &Value) -> Result<Declared<'_>, Vec<DeclarationError>> {
        let single = |at: &str, message: String| Err(vec![(at.to_string(), message)]);
        match raw {
            Value::Bool(b) => Ok(Declared::Tolerance(Tolerance::Bool(*b))),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Ok(Declared::Tolerance(Tolerance::Int(i))),
                None => single("", TYPES.into()),
            },
            Value::String(s) => Ok(Declared::Tolerance(Tolerance::Str(s.clone()))),
            Value::Array(items) => Ok(Declared::Tolerance(Tolerance::List(items.clone()))),
            Value::Null => single("", TYPES.into()),
            Value::Object(map) => match map.get("type").and_then(Value::as_str) {
                Some("probe") => Ok(Declared::Probe(map)),
                Some("regex") => regex(map).map(Declared::Tolerance),
                Some("jsonpath") => jsonpath(map).map(Declared::Tolerance),
                Some("range") => range(map).map(Declared::Tolerance),
                Some(other) => single(
                    "/type",
                    format!(
                        "hypothesis probe tolerance type '{other}' is unsupported (use regex, \
                         jsonpath, range or probe)"
                    ),
                ),
                None => single(
                    "/type",
                    "hypothesis probe tolerance needs a type: regex, jsonpath, range or probe"
                        .into(),
                ),
            },
        }
    }

    /// Whether `value` (a probe's output) is within this tolerance. Placeholders in string
    /// tolerances, patterns, paths and `expect` are substituted from `scope` first.
    ///
    /// A [`Tolerance::Probe`] returns [`ToleranceError::Probe`]: the engine runs it.
    pub fn check(&self, value: &Value, scope: &Scope) -> Result<bool, ToleranceError> {
        let status = value.as_object().and_then(|o| o.get("status"));
        match self {
            Tolerance::Bool(b) => Ok(py_eq(value, &Value::Bool(*b))),
            Tolerance::Int(i) => Ok(py_eq(status.unwrap_or(value), &Value::from(*i))),
            Tolerance::Str(s) => match substitute(&Value::String(s.clone()), scope) {
                Value::String(s) => Ok(py_eq(value, &Value::String(s))),
                // Chaos Toolkit dispatches on the substituted value's type; a float or null
                // dispatches to nothing, which is falsy.
                other => match Tolerance::declared(&other) {
                    Ok(Declared::Tolerance(tolerance)) => tolerance.check(value, scope),
                    Ok(Declared::Probe(_)) => Err(ToleranceError::Substituted(format!(
                        "'{s}' became a probe tolerance, which must be declared as such"
                    ))),
                    // A dict of no known type falls through every branch: also falsy.
                    Err(_) if !is_checkable_kind(&other) => Ok(false),
                    Err(errors) => Err(ToleranceError::Substituted(format!(
                        "'{s}' became {other}: {}",
                        errors
                            .into_iter()
                            .map(|(_, m)| m)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ))),
                },
            },
            Tolerance::List(items) => match status {
                Some(status) => Ok(items.iter().any(|item| py_eq(status, item))),
                None if items.len() == 2 => within(value, &items[0], &items[1]),
                None => Ok(items.iter().any(|item| py_eq(value, item))),
            },
            Tolerance::Range { low, high, target } => {
                let value = targeted(value, target.as_deref(), "range")?;
                let number = match value {
                    Value::String(s) => match Decimal::parse(s) {
                        Some(d) => d,
                        // `InvalidOperation`, which Chaos Toolkit catches: not in range.
                        None => return Ok(false),
                    },
                    other if is_py_number(other) => {
                        Decimal::from_json(other).unwrap_or(Decimal::NaN)
                    }
                    other => {
                        return Err(ToleranceError::Input {
                            kind: "range",
                            needed: "a number or a numeric string (use `target` to pick one from a result)",
                            got: other.to_string(),
                        });
                    }
                };
                let incomparable = |bound: f64| ToleranceError::Incomparable {
                    value: value.to_string(),
                    bound: bound.to_string(),
                };
                let above = Decimal::from_f64(*low)
                    .compare(&number)
                    .ok_or_else(|| incomparable(*low))?;
                let below = number
                    .compare(&Decimal::from_f64(*high))
                    .ok_or_else(|| incomparable(*high))?;
                Ok(above != Ordering::Greater && below != Ordering::Greater)
            }
            Tolerance::Regex { pattern, target } => {
                let pattern = substituted_text(pattern, scope, "pattern")?;
                let regex =
                    python_regex::compile(&pattern).map_err(|reason| ToleranceError::Pattern {
                        pattern: pattern.clone(),
                        reason,
                    })?;
                match targeted(value, target.as_deref(), "regex")? {
                    Value::String(text) => Ok(python_regex::search(&regex, &pattern, text)),
                    other => Err(ToleranceError::Input {
                        kind: "regex",
                        needed: "a string (use `target` to pick one from a result, such as body or stdout)",
                        got: other.to_string(),
                    }),
                }
            }
            Tolerance::JsonPath {
                path,
                target,
                count,
                expect,
            } => {
                let path = substituted_text(path, scope, "path")?;
                let parsed = JsonPath::parse(&path).map_err(|reason| ToleranceError::Path {
                    path: path.clone(),
                    reason,
                })?;
                let document = match targeted(value, target.as_deref(), "jsonpath")? {
                    Value::String(text) => {
                        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
                    }
                    other => other.clone(),
                };
                let values = Value::Array(parsed.query(&document));
                let matched = values.as_array().map_or(0, Vec::len);
                Ok(match expect {
                    Some(expect) => match substitute(expect, scope) {
                        expected @ Value::Array(_) => py_eq(&values, &expected),
                        expected => py_eq(&values, &Value::Array(vec![expected])),
                    },
                    None => match count {
                        Some(count) => matched == *count,
                        None => matched > 0,
                    },
                })
            }
            Tolerance::Probe(_) => Err(ToleranceError::Probe),
        }
    }

    /// The tolerance in words, for "expected … but got …" messages.
    pub fn describe(&self) -> String {
        let within_target = |target: &Option<String>| match target {
            Some(t) => format!(" in `{t}`"),
            None => String::new(),
        };
        match self {
            Tolerance::Bool(b) => b.to_string(),
            Tolerance::Int(i) => i.to_string(),
            Tolerance::Str(s) => Value::String(s.clone()).to_string(),
            Tolerance::List(items) => Value::Array(items.clone()).to_string(),
            Tolerance::Range { low, high, target } => format!(
                "a number from {} to {}{}",
                Value::from(*low),
                Value::from(*high),
                within_target(target)
            ),
            Tolerance::Regex { pattern, target } => {
                format!(
                    "a match for the pattern {pattern:?}{}",
                    within_target(target)
                )
            }
            Tolerance::JsonPath {
                path,
                target,
                count,
                expect,
            } => {
                let what = match (expect, count) {
                    (Some(Value::Array(items)), _) => {
                        format!("to give {}", Value::Array(items.clone()))
                    }
                    (Some(expect), _) => format!("to give [{expect}]"),
                    (None, Some(count)) => format!("to match {count} value(s)"),
                    (None, None) => "to match something".into(),
                };
                format!("the JSON path {path:?}{} {what}", within_target(target))
            }
            Tolerance::Probe(activity) => format!("the probe '{}' to accept it", activity.name),
        }
    }
}

/// Whether a substituted value would reach a Chaos Toolkit handler that can raise: a regex,
/// jsonpath or range dict. Anything else it cannot read (a float, null, a dict of another type)
/// is simply not within tolerance.
fn is_checkable_kind(value: &Value) -> bool {
    matches!(
        value.get("type").and_then(Value::as_str),
        Some("regex" | "jsonpath" | "range")
    )
}

/// `low <= value <= high` as Python evaluates it: left to right, stopping at the first false.
fn within(value: &Value, low: &Value, high: &Value) -> Result<bool, ToleranceError> {
    let compare = |a: &Value, b: &Value, bound: &Value| {
        py_cmp(a, b).ok_or_else(|| ToleranceError::Incomparable {
            value: value.to_string(),
            bound: bound.to_string(),
        })
    };
    if compare(low, value, low)? == Ordering::Greater {
        return Ok(false);
    }
    Ok(compare(value, high, high)? != Ordering::Greater)
}

/// `value.get(target, value)` when there is a target, as Chaos Toolkit picks `body` or `stdout`.
fn targeted<'v>(
    value: &'v Value,
    target: Option<&str>,
    kind: &'static str,
) -> Result<&'v Value, ToleranceError> {
    match (target, value) {
        (None, _) => Ok(value),
        (Some(key), Value::Object(map)) => Ok(map.get(key).unwrap_or(value)),
        (Some(_), other) => Err(ToleranceError::Input {
            kind,
            needed: "a result object to take its `target` from",
            got: other.to_string(),
        }),
    }
}

/// A pattern or path after substitution, which must still be text.
fn substituted_text(text: &str, scope: &Scope, what: &str) -> Result<String, ToleranceError> {
    match substitute(&Value::String(text.to_string()), scope) {
        Value::String(s) => Ok(s),
        other => Err(ToleranceError::Substituted(format!(
            "the {what} '{text}' became {other}, which is not text"
        ))),
    }
}

/// The optional `target`: a key of the probe's output. Empty means none, as in Chaos Toolkit.
fn target(map: &Map<String, Value>, errors: &mut Vec<DeclarationError>) -> Option<String> {
    match map.get("target") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()).filter(|s| !s.is_empty()),
        Some(_) => {
            errors.push((
                "/target".into(),
                "tolerance target must be a string: the key of the probe's output to check, such \
                 as body or stdout"
                    .into(),
            ));
            None
        }
    }
}

fn finish(
    tolerance: Tolerance,
    errors: Vec<DeclarationError>,
) -> Result<Tolerance, Vec<DeclarationError>> {
    if errors.is_empty() {
        Ok(tolerance)
    } else {
        Err(errors)
    }
}

fn regex(map: &Map<String, Value>) -> Result<Tolerance, Vec<DeclarationError>> {
    let mut errors = Vec::new();
    let target = target(map, &mut errors);
    let pattern = match map.get("pattern") {
        None => {
            errors.push((
                String::new(),
                "hypothesis regex probe tolerance must have a `pattern` key".into(),
            ));
            String::new()
        }
        Some(Value::String(p)) => {
            if let Err(reason) = python_regex::compile(&with_stand_ins(p, "x")) {
                errors.push((
                    "/pattern".into(),
                    format!("hypothesis probe tolerance pattern {p} seems invalid: {reason}"),
                ));
            }
            p.clone()
        }
        Some(other) => {
            errors.push((
                "/pattern".into(),
                format!("hypothesis probe tolerance pattern {other} has an invalid type"),
            ));
            String::new()
        }
    };
    finish(Tolerance::Regex { pattern, target }, errors)
}

fn jsonpath(map: &Map<String, Value>) -> Result<Tolerance, Vec<DeclarationError>> {
    let mut errors = Vec::new();
    let target = target(map, &mut errors);
    let path = match map.get("path") {
        None => {
            errors.push((
                String::new(),
                "hypothesis jsonpath probe tolerance must have a `path` key".into(),
            ));
            String::new()
        }
        Some(Value::String(p)) if p.trim().is_empty() => {
            errors.push((
                "/path".into(),
                "hypothesis probe tolerance JSON path cannot be empty".into(),
            ));
            String::new()
        }
        // Chaos Toolkit parses the path as written: a placeholder in it fails here too.
        Some(Value::String(p)) => {
            if let Err(reason) = JsonPath::parse(p.trim()) {
                errors.push((
                    "/path".into(),
                    format!(
                        "hypothesis probe tolerance JSON path {} is invalid: {reason}",
                        p.trim()
                    ),
                ));
            }
            p.clone()
        }
        Some(other) => {
            errors.push((
                "/path".into(),
                format!("hypothesis probe tolerance JSON path {other} has an invalid type"),
            ));
            String::new()
        }
    };
    let count = match map.get("count") {
        None | Some(Value::Null) => None,
        Some(n) => match n.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                errors.push((
                    "/count".into(),
                    "jsonpath tolerance count must be a non-negative integer".into(),
                ));
                None
            }
        },
    };
    let expect = map.get("expect").cloned();
    finish(
        Tolerance::JsonPath {
            path,
            target,
            count,
            expect,
        },
        errors,
    )
}

fn range(map: &Map<String, Value>) -> Result<Tolerance, Vec<DeclarationError>> {
    let mut errors = Vec::new();
    let target = target(map, &mut errors);
    let mut bounds = (0.0, 0.0);
    match map.get("range") {
        None => errors.push((
            String::new(),
            "hypothesis range probe tolerance must have a `range` key".into(),
        )),
        Some(Value::Array(items)) if items.len() == 2 => {
            let bound = |i: usize, which: &str, errors: &mut Vec<DeclarationError>| {
                // Python's `Number` includes booleans; Decimal(True) is 1.
                let number = match &items[i] {
                    Value::Bool(b) => Some(f64::from(u8::from(*b))),
                    other => other.as_f64(),
                };
                if number.is_none() {
                    errors.push((
                        format!("/range/{i}"),
                        format!("hypothesis range {which} boundary must be a number"),
                    ));
                }
                number.unwrap_or_default()
            };
            bounds = (
                bound(0, "lower", &mut errors),
                bound(1, "upper", &mut errors),
            );
        }
        Some(Value::Array(_)) => errors.push((
            "/range".into(),
            "hypothesis range sequence must be made of two values".into(),
        )),
        Some(_) => errors.push((
            "/range".into(),
            "hypothesis range must be a sequence".into(),
        )),
    }
    finish(
        Tolerance::Range {
            low: bounds.0,
            high: bounds.1,
            target,
        },
        errors,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn empty() -> Map<String, Value> {
        Map::new()
    }

    fn tolerance(raw: Value) -> Tolerance {
        match Tolerance::declared(&raw) {
            Ok(Declared::Tolerance(t)) => t,
            Ok(Declared::Probe(_)) => panic!("probe"),
            Err(e) => panic!("{raw}: {e:?}"),
        }
    }

    fn check_in(
        raw: Value,
        value: Value,
        configuration: &Map<String, Value>,
    ) -> Result<bool, ToleranceError> {
        let (secrets, outputs) = (empty(), empty());
        let scope = Scope {
            configuration,
            secrets: &secrets,
            outputs: &outputs,
        };
        tolerance(raw).check(&value, &scope)
    }

    fn check(raw: Value, value: Value) -> Result<bool, ToleranceError> {
        check_in(raw, value, &empty())
    }

    #[test]
    fn plain_tolerances_follow_within_tolerance() {
        // (tolerance, value, expected): chaoslib's within_tolerance, and tests/test_tolerance.py.
        let cases = [
            (json!(200), json!({"status": 200, "body": "x"}), true),
            (json!(200), json!({"status": 500}), false),
            (json!(0), json!({"status": 0, "stdout": ""}), true),
            (json!(6), json!(6), true),
            (json!(6), json!(7), false),
            (json!(3), json!(3.0), true),
            (json!(1), json!(true), true),
            (json!(3), json!("3"), false),
            (json!(200), json!({"code": 200}), false),
            (json!(true), json!(true), true),
            (json!(true), json!(1), true),
            (json!(false), json!(true), false),
            (json!(true), json!({"status": 1}), false),
            (json!("hello"), json!("hello"), true),
            (json!("hello"), json!("not hello"), false),
            (json!("200"), json!({"status": 200}), false),
            (json!([5, 6]), json!({"status": 6}), true),
            (json!([5, 7]), json!({"status": 6}), false),
            (json!([200, 503]), json!({"status": 404}), false),
            (json!([200, 503]), json!(404), true),
            (json!([200, 503]), json!(503), true),
            (json!([200, 503]), json!(504), false),
            (json!(["a", "m"]), json!("c"), true),
            (json!([1, 2, 3]), json!(2), true),
            (json!([1, 2, 3]), json!(5), false),
            (json!(["a"]), json!("a"), true),
            // Python stops at the first false comparison: no TypeError from the second.
            (json!([5, "x"]), json!(3), false),
        ];
        for (t, v, expected) in cases {
            assert_eq!(check(t.clone(), v.clone()), Ok(expected), "{t} vs {v}");
        }
        for (t, v) in [(json!([1, 5]), json!("3")), (json!([1, 5]), json!(null))] {
            assert!(matches!(
                check(t, v),
                Err(ToleranceError::Incomparable { .. })
            ));
        }
    }

    #[test]
    fn string_tolerances_are_substituted_then_dispatched_by_type() {
        let Value::Object(configuration) = json!({
            "expected": 200, "word": "ok", "codes": [200, 201], "flag": true, "ratio": 0.5,
            "rx": {"type": "regex", "pattern": "^o"}, "plain": {"a": 1}
        }) else {
            unreachable!()
        };
        let cases = [
            (json!("${expected}"), json!({"status": 200}), Ok(true)),
            (json!("${expected}"), json!(201), Ok(false)),
            (json!("${word}"), json!("ok"), Ok(true)),
            (json!("${codes}"), json!({"status": 201}), Ok(true)),
            (json!("${flag}"), json!(true), Ok(true)),
            (json!("${ratio}"), json!(0.5), Ok(false)),
            (json!("${rx}"), json!("ok"), Ok(true)),
            (json!("${missing}"), json!("${missing}"), Ok(true)),
            (json!("${plain}"), json!({"a": 1}), Ok(false)),
        ];
        for (t, v, expected) in cases {
            assert_eq!(
                check_in(t.clone(), v.clone(), &configuration),
                expected,
                "{t} vs {v}"
            );
        }
    }

    #[test]
    fn regex_searches_the_output_or_its_target() {
        let cases = [
            (
                json!({"type": "regex", "pattern": "[0-9]{2}"}),
                json!("you are number 87"),
                Ok(true),
            ),
            (
                json!({"type": "regex", "pattern": "[0-9]{2}"}),
                json!("you are number 8"),
                Ok(false),
            ),
            (
                json!({"type": "regex", "target": "stdout", "pattern": "[0-9]{2}"}),
                json!({"status": 0, "stdout": "you are number 87", "stderr": "you are number 8"}),
                Ok(true),
            ),
            (
                json!({"type": "regex", "target": "stderr", "pattern": "[0-9]{2}"}),
                json!({"status": 0, "stdout": "87", "stderr": "you are number 8"}),
                Ok(false),
            ),
            (
                json!({"type": "regex", "target": "body", "pattern": "^ready$"}),
                json!({"status": 200, "body": "ready\n"}),
                Ok(true),
            ),
        ];
        for (t, v, expected) in cases {
            assert_eq!(check(t.clone(), v.clone()), expected, "{t} vs {v}");
        }
        let err = check(
            json!({"type": "regex", "pattern": "x"}),
            json!({"status": 0}),
        )
        .unwrap_err();
        assert!(
            matches!(err, ToleranceError::Input { kind: "regex", .. }),
            "{err}"
        );
        let err = check(
            json!({"type": "regex", "target": "body", "pattern": "x"}),
            json!("x"),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("to take its `target` from"),
            "{err}"
        );
        // The pattern is substituted before it is compiled.
        let Value::Object(configuration) = json!({"word": "ready"}) else {
            unreachable!()
        };
        assert_eq!(
            check_in(
                json!({"type": "regex", "pattern": "^${word}$"}),
                json!("ready"),
                &configuration
            ),
            Ok(true)
        );
    }

    #[test]
    fn jsonpath_compares_the_whole_match_list() {
        // From chaostoolkit-lib's tests/test_tolerance.py, and the code's `values == [expect]`.
        let cases = [
            (
                json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz)]"}),
                json!({"foo": [{"baz": 1}, {"baz": 2}]}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.notsofoo.*[?(@.baz)].baz"}),
                json!({"foo": [{"baz": 1}]}),
                false,
            ),
            (
                json!({"type": "jsonpath", "path": "$.foo[?(@.baz)].baz", "expect": "hello"}),
                json!({"foo": {"baz": "hello"}}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.foo[?(@.baz)].baz", "expect": [["hello", "bonjour"]]}),
                json!({"foo": {"baz": ["hello", "bonjour"]}}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.foo[?(@.baz)].baz", "expect": []}),
                json!({"foo": {"jon": "boom"}}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.foo[?(@.baz=\"hello\")]", "count": 1}),
                json!({"foo": {"baz": "hello"}}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.foo[?(@.baz=\"bonjour\")]", "count": 1}),
                json!({"foo": {"baz": "hello"}}),
                false,
            ),
            (
                json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz)].baz", "expect": ["hello", "bonjour"]}),
                json!({"foo": [{"baz": "hello"}, {"baz": "bonjour"}]}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz=4)]", "count": 2}),
                json!({"foo": [{"baz": 4}, {"baz": 4}]}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.foo[*].baz"}),
                json!("{\"foo\": [{\"baz\": 1}, {\"baz\": 2}]}"),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.a", "target": "body", "expect": 1}),
                json!({"status": 200, "body": "{\"a\": 1.0}"}),
                true,
            ),
            // `expect` overrides `count`, and `expect: null` is compared too.
            (
                json!({"type": "jsonpath", "path": "$.a", "count": 5, "expect": 1}),
                json!({"a": 1}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.a", "expect": null}),
                json!({"a": null}),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.a", "expect": null}),
                json!({"a": 0}),
                false,
            ),
        ];
        for (t, v, expected) in cases {
            assert_eq!(check(t.clone(), v.clone()), Ok(expected), "{t} vs {v}");
        }
    }

    #[test]
    fn range_compares_as_decimal() {
        let t = |range: Value| json!({"type": "range", "target": "body", "range": range});
        let body = |b: Value| json!({"status": 200, "body": b});
        let cases = [
            (t(json!([10, 800])), body(json!("580")), Ok(true)),
            (t(json!([10, 800])), body(json!("1230")), Ok(false)),
            (t(json!([10.5, 800.89])), body(json!("580.5")), Ok(true)),
            (t(json!([10.5, 800.89])), body(json!("1230.7")), Ok(false)),
            (t(json!([10, 800.8])), body(json!("580.4")), Ok(true)),
            (t(json!([6, 8])), body(json!("bad")), Ok(false)),
            (t(json!([6, 8])), body(json!(" 7 ")), Ok(true)),
            (t(json!([6, 8])), body(json!(8)), Ok(true)),
            // 0.1 as a float is above a tenth, as Decimal(0.1) is.
            (t(json!([0, 0.1])), body(json!("0.1")), Ok(true)),
            (t(json!([0.1, 1])), body(json!("0.1")), Ok(false)),
            (
                json!({"type": "range", "range": [1, 3]}),
                json!(2.5),
                Ok(true),
            ),
        ];
        for (tol, v, expected) in cases {
            assert_eq!(check(tol.clone(), v.clone()), expected, "{tol} vs {v}");
        }
        let err = check(
            json!({"type": "range", "range": [1, 3]}),
            json!({"status": 2}),
        )
        .unwrap_err();
        assert!(
            matches!(err, ToleranceError::Input { kind: "range", .. }),
            "{err}"
        );
        let err = check(t(json!([1, 3])), body(json!("NaN"))).unwrap_err();
        assert!(matches!(err, ToleranceError::Incomparable { .. }), "{err}");
    }

    #[test]
    fn declarations_are_validated_as_ctk_does() {
        let errors = |raw: Value| match Tolerance::declared(&raw) {
            Err(errors) => errors,
            Ok(_) => Vec::new(),
        };
        let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
            (
                json!(1.5),
                vec![("", "hypothesis probe tolerance must either be an integer")],
            ),
            (
                json!(null),
                vec![("", "hypothesis probe tolerance must either be an integer")],
            ),
            (
                json!({"type": "boom"}),
                vec![(
                    "/type",
                    "hypothesis probe tolerance type 'boom' is unsupported",
                )],
            ),
            (
                json!({"pattern": "x"}),
                vec![("/type", "hypothesis probe tolerance needs a type")],
            ),
            (
                json!({"type": "regex", "target": "stdout"}),
                vec![(
                    "",
                    "hypothesis regex probe tolerance must have a `pattern` key",
                )],
            ),
            (
                json!({"type": "regex", "pattern": null}),
                vec![(
                    "/pattern",
                    "hypothesis probe tolerance pattern null has an invalid type",
                )],
            ),
            (
                json!({"type": "regex", "pattern": "[0-9"}),
                vec![(
                    "/pattern",
                    "hypothesis probe tolerance pattern [0-9 seems invalid: ",
                )],
            ),
            (
                json!({"type": "regex", "pattern": "x", "target": 3}),
                vec![("/target", "tolerance target must be a string")],
            ),
            (
                json!({"type": "jsonpath"}),
                vec![(
                    "",
                    "hypothesis jsonpath probe tolerance must have a `path` key",
                )],
            ),
            (
                json!({"type": "jsonpath", "path": " "}),
                vec![(
                    "/path",
                    "hypothesis probe tolerance JSON path cannot be empty",
                )],
            ),
            (
                json!({"type": "jsonpath", "path": "$.a[?(@.b == 1)]"}),
                vec![(
                    "/path",
                    "hypothesis probe tolerance JSON path $.a[?(@.b == 1)] is invalid: ",
                )],
            ),
            (
                json!({"type": "jsonpath", "path": "$.a", "count": "2"}),
                vec![(
                    "/count",
                    "jsonpath tolerance count must be a non-negative integer",
                )],
            ),
            (
                json!({"type": "range"}),
                vec![(
                    "",
                    "hypothesis range probe tolerance must have a `range` key",
                )],
            ),
            (
                json!({"type": "range", "range": 5}),
                vec![("/range", "hypothesis range must be a sequence")],
            ),
            (
                json!({"type": "range", "range": [1]}),
                vec![(
                    "/range",
                    "hypothesis range sequence must be made of two values",
                )],
            ),
            (
                json!({"type": "range", "range": ["a", "b"]}),
                vec![
                    (
                        "/range/0",
                        "hypothesis range lower boundary must be a number",
                    ),
                    (
                        "/range/1",
                        "hypothesis range upper boundary must be a number",
                    ),
                ],
            ),
        ];
        for (raw, expected) in cases {
            let found = errors(raw.clone());
            assert_eq!(found.len(), expected.len(), "{raw}: {found:?}");
            for ((at, message), (want_at, want)) in found.iter().zip(expected) {
                assert_eq!(at, want_at, "{raw}");
                assert!(message.starts_with(want), "{raw}: {message}");
            }
        }
        // A placeholder stands for text when the pattern is checked.
        assert!(errors(json!({"type": "regex", "pattern": "^${expected}$"})).is_empty());
        assert!(matches!(
            Tolerance::declared(&json!({"type": "probe"})),
            Ok(Declared::Probe(_))
        ));
    }

    #[test]
    fn describes_every_kind() {
        let cases = [
            (json!(200), "200"),
            (json!("ok"), "\"ok\""),
            (json!([200, 201]), "[200,201]"),
            (
                json!({"type": "range", "range": [1, 2.5], "target": "body"}),
                "a number from 1.0 to 2.5 in `body`",
            ),
            (
                json!({"type": "regex", "pattern": "^ok"}),
                "a match for the pattern \"^ok\"",
            ),
            (
                json!({"type": "jsonpath", "path": "$.a", "count": 2}),
                "the JSON path \"$.a\" to match 2 value(s)",
            ),
            (
                json!({"type": "jsonpath", "path": "$.a", "expect": 1}),
                "the JSON path \"$.a\" to give [1]",
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(tolerance(raw).describe(), expected);
        }
    }
}
