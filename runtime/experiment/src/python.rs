//! Python's view of JSON values, wherever Chaos Toolkit's behaviour is simply Python's: `str()` (values
//! interpolated into strings, process arguments), `==` and ordering (tolerances), `int()` and
//! `float()` (`--var` and `env_var_type` conversions) and `decimal.Decimal` (range tolerances).
//!
//! Experiments were written against these rules, so `1 == 1.0`, `True == 1`, strings only equal
//! strings, and `"${n}!"` with `n = true` gives `"True!"`.

use serde_json::{Number, Value};
use std::cmp::Ordering;

/// `str(value)`: strings as they are, everything else as Python prints it.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// `repr(value)`, which is also how Python prints containers (`{'a': [1, True, None]}`).
pub fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => py_number_repr(n),
        Value::String(s) => py_string_repr(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", py_string_repr(k), py_repr(v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
    }
}

fn py_number_repr(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => py_float_repr(f),
        _ => n.to_string(),
    }
}

/// `repr(float)`: the shortest digits that round-trip, in exponent form below 1e-4 and from 1e16.
pub fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    // `{:e}` gives Rust's shortest round-trip digits, e.g. "-1.5e-5"; Python picks the layout.
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{first}{rest}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        )
    }
}

/// `repr(str)`: single quotes unless the text has one and no double quote.
fn py_string_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A number as Python's numeric tower sees it: `bool` is an `int`.
#[derive(Debug, Clone, Copy)]
enum PyNum {
    Int(i128),
    Float(f64),
}

fn py_num(value: &Value) -> Option<PyNum> {
    match value {
        Value::Bool(b) => Some(PyNum::Int(i128::from(*b))),
        Value::Number(n) => Some(if let Some(i) = n.as_i64() {
            PyNum::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            PyNum::Int(i128::from(u))
        } else {
            PyNum::Float(n.as_f64().unwrap_or(f64::NAN))
        }),
        _ => None,
    }
}

/// Whether `value` is a Python number (`isinstance(v, (int, float))`, booleans included).
pub fn is_py_number(value: &Value) -> bool {
    py_num(value).is_some()
}

/// Python compares ints and floats exactly (`2**53 + 1 != 2.0**53`); so do we.
fn num_cmp(a: PyNum, b: PyNum) -> Option<Ordering> {
    match (a, b) {
        (PyNum::Int(x), PyNum::Int(y)) => Some(x.cmp(&y)),
        (PyNum::Float(x), PyNum::Float(y)) => x.partial_cmp(&y),
        (PyNum::Int(i), PyNum::Float(f)) => int_float_cmp(i, f),
        (PyNum::Float(f), PyNum::Int(i)) => int_float_cmp(i, f).map(Ordering::reverse),
    }
}

fn int_float_cmp(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // Our ints fit in 65 bits; any float beyond ±2^100 is beyond them.
    const FAR: f64 = 1.0e30;
    if f > FAR {
        return Some(Ordering::Less);
    }
    if f < -FAR {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // Exact: `whole` is an integer below 2^100 in magnitude.
    match i.cmp(&(whole as i128)) {
        Ordering::Equal => 0.0_f64.partial_cmp(&(f - whole)),
        other => Some(other),
    }
}

/// Python's `==` on JSON values.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (py_num(a), py_num(b)) {
        return num_cmp(x, y) == Some(Ordering::Equal);
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

/// Python's ordering (`<`, `<=`) on JSON values; `None` where Python raises `TypeError` (or, for
/// NaN, where every comparison is false).
pub fn py_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (py_num(a), py_num(b)) {
        return num_cmp(x, y);
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                if !py_eq(p, q) {
                    return py_cmp(p, q);
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => None,
    }
}

/// Python's truth value: `None`, `False`, zero and empty containers are false.
pub fn py_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Removes `_` digit separators as Python's numeric parsers accept them: only between two digits.
/// `None` when one sits anywhere else.
fn without_separators(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            let digit_before = i > 0 && chars[i - 1].is_ascii_digit();
            let digit_after = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !(digit_before && digit_after) {
                return None;
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// `int(text)`: surrounding whitespace, a sign and `_` separators allowed; base 10.
pub fn py_int(text: &str) -> Result<Value, String> {
    let invalid = || {
        format!(
            "invalid literal for int() with base 10: {}",
            py_string_repr(text)
        )
    };
    let clean = without_separators(text.trim()).ok_or_else(invalid)?;
    let digits = clean.strip_prefix(['+', '-']).unwrap_or(&clean);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    if let Ok(i) = clean.trim_start_matches('+').parse::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(u) = clean.trim_start_matches('+').parse::<u64>() {
        return Ok(Value::from(u));
    }
    Err(format!("{} is too large for a JSON integer", text.trim()))
}

/// `float(text)`: whitespace, a sign, an exponent, `_` separators, `inf` and `nan` allowed. Only
/// finite values are returned: JSON cannot hold the others.
pub fn py_float(text: &str) -> Result<f64, String> {
    let invalid = || {
        format!(
            "could not convert string to float: {}",
            py_string_repr(text)
        )
    };
    let clean = without_separators(text.trim()).ok_or_else(invalid)?;
    let unsigned = clean.strip_prefix(['+', '-']).unwrap_or(&clean);
    let special = ["inf", "infinity", "nan"]
        .iter()
        .any(|s| unsigned.eq_ignore_ascii_case(s));
    let numeric = !unsigned.is_empty()
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !special && !numeric {
        return Err(invalid());
    }
    let f: f64 = clean.parse().map_err(|_| invalid())?;
    if f.is_finite() {
        Ok(f)
    } else {
        Err(format!(
            "{} is not a finite number, which JSON cannot hold",
            text.trim()
        ))
    }
}

/// A `decimal.Decimal`, exactly: range tolerances compare through it, so `"0.1"` is not the float
/// nearest to a tenth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decimal {
    NegInfinity,
    /// `digits × 10^exponent`, digits without leading or trailing zeros (empty for zero).
    Finite {
        negative: bool,
        digits: Vec<u8>,
        exponent: i64,
    },
    Infinity,
    /// Comparing it raises `InvalidOperation` in Python.
    NaN,
}

impl Decimal {
    /// `Decimal(text)`; `None` where Python raises `InvalidOperation`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let lower = unsigned.to_ascii_lowercase();
        match lower.as_str() {
            "inf" | "infinity" => {
                return Some(if negative {
                    Decimal::NegInfinity
                } else {
                    Decimal::Infinity
                });
            }
            "nan" | "snan" => return Some(Decimal::NaN),
            _ => {}
        }
        // Python's Decimal drops `_` between digits, however many.
        if lower.starts_with('_') || lower.ends_with('_') || lower.contains("._") {
            return None;
        }
        let lower = lower.replace('_', "");
        let (mantissa, exponent) = match lower.split_once('e') {
            Some((m, e)) => (m, e.parse::<i64>().ok()?),
            None => (lower.as_str(), 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        Some(Decimal::finite(negative, all, exponent - frac.len() as i64))
    }

    /// `Decimal(number)`: exact for ints and floats alike, booleans as 0 and 1.
    pub fn from_json(value: &Value) -> Option<Decimal> {
        match py_num(value)? {
            PyNum::Int(i) => Decimal::parse(&i.to_string()),
            PyNum::Float(f) => Some(Decimal::from_f64(f)),
        }
    }

    /// The exact value of `f` (a float has at most 767 significant decimal digits).
    pub fn from_f64(f: f64) -> Decimal {
        if f.is_nan() {
            Decimal::NaN
        } else if f.is_infinite() {
            if f > 0.0 {
                Decimal::Infinity
            } else {
                Decimal::NegInfinity
            }
        } else {
            Decimal::parse(&format!("{f:.767e}")).unwrap_or(Decimal::NaN)
        }
    }

    fn finite(negative: bool, mut digits: Vec<u8>, mut exponent: i64) -> Decimal {
        let leading = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..leading);
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            exponent = 0;
        }
        Decimal::Finite {
            negative: negative && !digits.is_empty(),
            digits,
            exponent,
        }
    }

    /// Exact comparison; `None` when either side is NaN.
    pub fn compare(&self, other: &Decimal) -> Option<Ordering> {
        use Decimal::*;
        match (self, other) {
            (NaN, _) | (_, NaN) => None,
            (NegInfinity, NegInfinity) | (Infinity, Infinity) => Some(Ordering::Equal),
            (NegInfinity, _) | (_, Infinity) => Some(Ordering::Less),
            (Infinity, _) | (_, NegInfinity) => Some(Ordering::Greater),
            (
                Finite {
                    negative: an,
                    digits: ad,
                    exponent: ae,
                },
                Finite {
                    negative: bn,
                    digits: bd,
                    exponent: be,
                },
            ) => {
                let sign = |negative: bool, digits: &[u8]| match (digits.is_empty(), negative) {
                    (true, _) => 0,
                    (false, true) => -1,
                    (false, false) => 1,
                };
                let (sa, sb) = (sign(*an, ad), sign(*bn, bd));
                if sa != sb || sa == 0 {
                    return Some(sa.cmp(&sb));
                }
                // Same sign, both non-zero: compare magnitudes by leading digit position, then
                // digit by digit (no trailing zeros, so the longer one is larger on a tie).
                let magnitude = (ad.len() as i64 + ae)
                    .cmp(&(bd.len() as i64 + be))
                    .then_with(|| ad.cmp(bd));
                Some(if sa < 0 {
                    magnitude.reverse()
                } else {
                    magnitude
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn str_and_repr_follow_python() {
        // Each expectation is what CPython 3.11 prints.
        let cases = [
            (json!("text"), "text"),
            (json!(200), "200"),
            (json!(1.5), "1.5"),
            (json!(100.0), "100.0"),
            (json!(1e16), "1e+16"),
            (json!(1.5e16), "1.5e+16"),
            (json!(1e-5), "1e-05"),
            (json!(0.0001), "0.0001"),
            (json!(-2.5e-7), "-2.5e-07"),
            (json!(123456789012345.0), "123456789012345.0"),
            (json!(true), "True"),
            (json!(null), "None"),
            (
                json!({"a": [1, "x", true, null]}),
                "{'a': [1, 'x', True, None]}",
            ),
            (
                json!(["it's", "a\"b", "c'd\"e"]),
                r#"["it's", 'a"b', 'c\'d"e']"#,
            ),
            (json!(["tab\there\n"]), r"['tab\there\n']"),
        ];
        for (value, expected) in cases {
            assert_eq!(py_str(&value), expected, "{value}");
        }
    }

    #[test]
    fn equality_and_ordering_follow_python() {
        let eq = [
            (json!(1), json!(1.0), true),
            (json!(true), json!(1), true),
            (json!(false), json!(0.0), true),
            (
                json!(9007199254740993_i64),
                json!(9007199254740992.0),
                false,
            ),
            (json!("1"), json!(1), false),
            (json!([1, {"a": true}]), json!([1.0, {"a": 1}]), true),
            (json!({"a": 1}), json!({"a": 1, "b": 2}), false),
            (json!(null), json!(null), true),
        ];
        for (a, b, expected) in eq {
            assert_eq!(py_eq(&a, &b), expected, "{a} == {b}");
        }
        let ord = [
            (json!(1), json!(2.5), Some(Ordering::Less)),
            (json!(3), json!(2.5), Some(Ordering::Greater)),
            (json!(-3), json!(-2.5), Some(Ordering::Less)),
            (json!("a"), json!("b"), Some(Ordering::Less)),
            (json!([1, 2]), json!([1, 3]), Some(Ordering::Less)),
            (json!("1"), json!(1), None),
            (json!(null), json!(1), None),
        ];
        for (a, b, expected) in ord {
            assert_eq!(py_cmp(&a, &b), expected, "{a} <=> {b}");
        }
    }

    #[test]
    fn int_and_float_parse_like_python() {
        assert_eq!(py_int(" 42 "), Ok(json!(42)));
        assert_eq!(py_int("+1_000"), Ok(json!(1000)));
        assert_eq!(py_int("-7"), Ok(json!(-7)));
        assert_eq!(
            py_int("abc"),
            Err("invalid literal for int() with base 10: 'abc'".into())
        );
        assert!(py_int("1.5").is_err());
        assert!(py_int("1__0").is_err());
        assert!(py_int("_1").is_err());
        assert_eq!(py_float("1e3"), Ok(1000.0));
        assert_eq!(py_float(" .5 "), Ok(0.5));
        assert_eq!(py_float("1_0.5"), Ok(10.5));
        assert_eq!(
            py_float("x"),
            Err("could not convert string to float: 'x'".into())
        );
        assert!(py_float("inf").unwrap_err().contains("not a finite number"));
    }

    #[test]
    fn decimals_compare_exactly() {
        let d = |s: &str| Decimal::parse(s).unwrap();
        assert_eq!(d("1e3"), d("1000"));
        assert_eq!(d(" 1_000 "), d("1000.000"));
        assert_eq!(d("1__0"), d("10"));
        assert_eq!(d("-0"), d("0"));
        assert_eq!(d(".5"), d("0.5"));
        assert_eq!(d("5."), d("5"));
        for bad in ["0x10", "abc", "", "_1", "1_", "1e"] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
        // 0.1 as a float is slightly above a tenth.
        assert_eq!(
            Decimal::from_f64(0.1).compare(&d("0.1")),
            Some(Ordering::Greater)
        );
        assert_eq!(d("-2").compare(&d("-10")), Some(Ordering::Greater));
        assert_eq!(d("12.5").compare(&d("9")), Some(Ordering::Greater));
        assert_eq!(d("-inf").compare(&d("-1e308")), Some(Ordering::Less));
        assert_eq!(d("nan").compare(&d("1")), None);
        assert_eq!(
            Decimal::from_json(&json!(true)).unwrap().compare(&d("1")),
            Some(Ordering::Equal)
        );
    }
}
