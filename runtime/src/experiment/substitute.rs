//! `${name}` substitution with Chaos Toolkit's exact rules (`chaoslib.substitute`, built on Python's
//! `string.Template.safe_substitute`), plus chaosrt's `${output:NAME}` for earlier activities' outputs.
//!
//! - `${name}` and `$name` are replaced, `$$` becomes `$`; a name is `[_a-zA-Z][_a-zA-Z0-9]*`, so
//!   `${my-key}` is never a placeholder. Any other `$` stays as written.
//! - Names are looked up in the configuration first, then in each secret scope in declaration order.
//! - A string that is exactly one `${name}` keeps the value's type (`"${port}"` → `8080`); anywhere
//!   else the value is interpolated as Python's `str()` prints it (`True`, `None`, `{'a': 1}`).
//!   `$name` alone is interpolated too: only the braced form keeps the type.
//! - Unknown names stay verbatim, so a placeholder meant for the activity itself passes through.
//! - Lists and object values are substituted recursively; object keys are not.
//!
//! chaosrt extension: `${output:NAME}` is the whole output of the activity named NAME that ran earlier
//! in this run, `${output:NAME/a/0}` an RFC 6901 pointer into it. Alone in a string it keeps its type;
//! inside a longer string a string output is inserted as is, anything else as JSON text.

use super::python::py_str;
use serde_json::{Map, Value};

/// What placeholders can refer to.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Resolved configuration, name → value.
    pub configuration: &'a Map<String, Value>,
    /// Resolved secrets, scope → {name → value}.
    pub secrets: &'a Map<String, Value>,
    /// Outputs of the activities that already ran in this run, activity name → output.
    pub outputs: &'a Map<String, Value>,
}

/// Substitutes every placeholder in `value` that `scope` resolves.
pub fn substitute(value: &Value, scope: &Scope) -> Value {
    match value {
        Value::String(s) => substitute_str(s, scope),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, scope)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, scope)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The `${…}` placeholders in `value` that `scope` does not resolve (for warnings), in order of
/// appearance, each once: `name` or `output:NAME/pointer` as written between the braces.
pub fn unknown_names(value: &Value, scope: &Scope) -> Vec<String> {
    let mut unknown = Vec::new();
    collect_unknown(value, scope, &mut unknown);
    unknown
}

fn collect_unknown(value: &Value, scope: &Scope, unknown: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            for (_, token) in tokens(s) {
                let name = match token {
                    Token::Braced(name) if lookup(name, scope).is_none() => name.to_string(),
                    Token::Output(reference) if output(reference, scope).is_none() => {
                        format!("output:{reference}")
                    }
                    _ => continue,
                };
                if !unknown.contains(&name) {
                    unknown.push(name);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_unknown(v, scope, unknown)),
        Value::Object(map) => map
            .values()
            .for_each(|v| collect_unknown(v, scope, unknown)),
        _ => {}
    }
}

/// Substitutes `pattern` with a stand-in for every placeholder, so validation can check what the
/// text will look like around its placeholders before any value is known.
pub fn with_stand_ins(text: &str, stand_in: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (literal, token) in tokens(text) {
        out.push_str(literal);
        match token {
            Token::Escaped => out.push('$'),
            Token::Lone => out.push('$'),
            Token::Named(_) | Token::Braced(_) | Token::Output(_) => out.push_str(stand_in),
            Token::End => {}
        }
    }
    out
}

fn substitute_str(s: &str, scope: &Scope) -> Value {
    let mut parts = tokens(s);
    // Exactly one braced placeholder and nothing else: the value keeps its type.
    if let [("", token), ("", Token::End)] = parts.as_slice() {
        let whole = match token {
            Token::Braced(name) => lookup(name, scope),
            Token::Output(reference) => output(reference, scope),
            _ => None,
        };
        if let Some(value) = whole {
            return value.clone();
        }
    }
    let mut out = String::with_capacity(s.len());
    for (literal, token) in parts.drain(..) {
        out.push_str(literal);
        match token {
            Token::Escaped | Token::Lone => out.push('$'),
            Token::Named(name) | Token::Braced(name) => match lookup(name, scope) {
                Some(value) => out.push_str(&py_str(value)),
                None => out.push_str(&token.source()),
            },
            Token::Output(reference) => match output(reference, scope) {
                Some(Value::String(text)) => out.push_str(text),
                Some(value) => out.push_str(&value.to_string()),
                None => out.push_str(&token.source()),
            },
            Token::End => {}
        }
    }
    Value::String(out)
}

/// Configuration first, then each secret scope in declaration order (Python's `ChainMap`).
fn lookup<'a>(name: &str, scope: &'a Scope) -> Option<&'a Value> {
    scope.configuration.get(name).or_else(|| {
        scope
            .secrets
            .values()
            .filter_map(Value::as_object)
            .find_map(|secrets| secrets.get(name))
    })
}

/// `NAME` or `NAME/json/pointer`: the first `/` starts the pointer.
fn output<'a>(reference: &str, scope: &'a Scope) -> Option<&'a Value> {
    match reference.find('/') {
        Some(slash) => scope
            .outputs
            .get(&reference[..slash])?
            .pointer(&reference[slash..]),
        None => scope.outputs.get(reference),
    }
}

/// One `$` form found in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'s> {
    /// `$$`.
    Escaped,
    /// `$name`.
    Named(&'s str),
    /// `${name}`.
    Braced(&'s str),
    /// `${output:REFERENCE}` (chaosrt).
    Output(&'s str),
    /// A `$` that starts no placeholder; Python's `safe_substitute` keeps it.
    Lone,
    /// The end of the template.
    End,
}

impl Token<'_> {
    /// The placeholder as written, for leaving it verbatim.
    fn source(&self) -> String {
        match self {
            Token::Escaped => "$$".into(),
            Token::Named(name) => format!("${name}"),
            Token::Braced(name) => format!("${{{name}}}"),
            Token::Output(reference) => format!("${{output:{reference}}}"),
            Token::Lone => "$".into(),
            Token::End => String::new(),
        }
    }
}

/// Splits a template into (literal text, the `$` form that follows it) pairs, the last one `End`.
fn tokens(s: &str) -> Vec<(&str, Token<'_>)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let literal = &s[literal_start..i];
        let rest = &s[i + 1..];
        let (token, len) = if rest.starts_with('$') {
            (Token::Escaped, 1)
        } else if let Some(name) = identifier(rest) {
            (Token::Named(name), name.len())
        } else if let Some(inner) = rest.strip_prefix('{') {
            match identifier(inner) {
                Some(name) if inner[name.len()..].starts_with('}') => {
                    (Token::Braced(name), name.len() + 2)
                }
                _ => match inner
                    .strip_prefix("output:")
                    .and_then(|r| r.find('}').map(|end| &r[..end]))
                    .filter(|r| !r.is_empty())
                {
                    Some(reference) => (Token::Output(reference), reference.len() + 9),
                    None => (Token::Lone, 0),
                },
            }
        } else {
            (Token::Lone, 0)
        };
        out.push((literal, token));
        i += 1 + len;
        literal_start = i;
    }
    out.push((&s[literal_start..], Token::End));
    out
}

/// The identifier at the start of `s` (`[_a-zA-Z][_a-zA-Z0-9]*`), if any.
fn identifier(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return None;
    }
    let len = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    Some(&s[..len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Configuration, secrets and outputs for the tests, and the scope over them.
    struct Maps(Map<String, Value>, Map<String, Value>, Map<String, Value>);

    impl Maps {
        fn scope(&self) -> Scope<'_> {
            Scope {
                configuration: &self.0,
                secrets: &self.1,
                outputs: &self.2,
            }
        }
    }

    fn maps() -> Maps {
        let Value::Object(configuration) = json!({
            "who": "bob", "n": 200, "f": 1.5, "big": 1e16, "small": 1e-5, "t": true, "none": null,
            "d": {"a": [1, "x", true, null]}, "l": ["a", 1], "e": ""
        }) else {
            unreachable!()
        };
        let Value::Object(secrets) = json!({
            "s1": {"tok": "abc", "who": "alice"},
            "s2": {"k": "v", "tok": "shadowed"}
        }) else {
            unreachable!()
        };
        let Value::Object(outputs) = json!({
            "get-user": {"status": 200, "body": {"id": 42, "name": "ann"}},
            "echo": "plain text"
        }) else {
            unreachable!()
        };
        Maps(configuration, secrets, outputs)
    }

    #[test]
    fn follows_chaoslib_substitute() {
        // Every expectation below was produced by `chaoslib.substitute` (chaostoolkit-lib 1.44.0)
        // with the same configuration and secrets.
        let maps = maps();
        let scope = maps.scope();
        let cases = [
            ("${who}", json!("bob")),
            ("$who", json!("bob")),
            ("$$who", json!("$who")),
            ("${n}", json!(200)),
            ("$n", json!("200")),
            ("x${n}", json!("x200")),
            ("x${f}", json!("x1.5")),
            ("${big} ${small}", json!("1e+16 1e-05")),
            ("${t}!", json!("True!")),
            ("${none}!", json!("None!")),
            ("${d}!", json!("{'a': [1, 'x', True, None]}!")),
            ("${l}!", json!("['a', 1]!")),
            ("${d}", json!({"a": [1, "x", true, null]})),
            ("${missing}", json!("${missing}")),
            ("${tok}", json!("abc")),
            ("${k}", json!("v")),
            ("${my-key}", json!("${my-key}")),
            ("${a.b}", json!("${a.b}")),
            ("$", json!("$")),
            ("$1", json!("$1")),
            ("${", json!("${")),
            ("${ who }", json!("${ who }")),
            ("$who-x", json!("bob-x")),
            ("$whox", json!("$whox")),
            ("${who}${who}", json!("bobbob")),
            ("$$", json!("$")),
            ("$${who}", json!("${who}")),
            ("cost: $5", json!("cost: $5")),
            ("${e}", json!("")),
            ("$who$", json!("bob$")),
            ("${none}", json!(null)),
        ];
        for (template, expected) in cases {
            assert_eq!(substitute(&json!(template), &scope), expected, "{template}");
        }
        // Recursive over lists and object values; keys stay.
        assert_eq!(
            substitute(
                &json!({"a": ["${n}", {"${who}": "${who}"}], "b": 3}),
                &scope
            ),
            json!({"a": [200, {"${who}": "bob"}], "b": 3})
        );
    }

    #[test]
    fn outputs_of_earlier_activities() {
        let maps = maps();
        let scope = maps.scope();
        let cases = [
            (
                "${output:get-user}",
                json!({"status": 200, "body": {"id": 42, "name": "ann"}}),
            ),
            ("${output:get-user/body/id}", json!(42)),
            ("id=${output:get-user/body/id}", json!("id=42")),
            (
                "user ${output:get-user/body}",
                json!(r#"user {"id":42,"name":"ann"}"#),
            ),
            ("name: ${output:get-user/body/name}", json!("name: ann")),
            ("${output:echo}!", json!("plain text!")),
            ("${output:nope}", json!("${output:nope}")),
            (
                "${output:get-user/body/missing}",
                json!("${output:get-user/body/missing}"),
            ),
            ("${output:}", json!("${output:}")),
        ];
        for (template, expected) in cases {
            assert_eq!(substitute(&json!(template), &scope), expected, "{template}");
        }
    }

    #[test]
    fn unknown_names_are_reported_once() {
        let maps = maps();
        let scope = maps.scope();
        let value =
            json!({"a": "${who} ${nope} $alsonope ${nope}", "b": ["${output:x/y}", "${k}"]});
        assert_eq!(unknown_names(&value, &scope), ["nope", "output:x/y"]);
    }

    #[test]
    fn stand_ins_replace_every_placeholder() {
        assert_eq!(with_stand_ins("^${a}-$b$$c$", "x"), "^x-x$c$");
        assert_eq!(with_stand_ins("${output:s/1} ok$", "x"), "x ok$");
    }
}
