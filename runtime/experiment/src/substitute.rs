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
//! Chaos Toolkit substitutes nothing at all when there is neither configuration nor secrets; then
//! only `${output:…}` is replaced and every other `$` form (`$$` included) stays as written.
//!
//! Values a plugin shaped are *tainted* ([`Taint`]): its outputs, and configuration a plugin computed
//! (dynamic configuration). Where they would reach the host's shell or choose the host a call
//! reaches, the engine substitutes them apart: [`substitute_shell`] quotes them, [`substitute_trusted`]
//! leaves them as written so the experiment's own text can be compared with the result.

use super::python::py_str;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt;

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

/// Which values of a [`Scope`] a plugin shaped. Configuration is trusted unless listed; outputs are
/// tainted unless listed, so an output nobody vouched for is never trusted.
#[derive(Debug, Clone, Copy)]
pub struct Taint<'a> {
    /// Configuration keys whose value a plugin computed (see `Experiment::tainted_configuration`).
    pub configuration: &'a BTreeSet<String>,
    /// Activities whose latest output the operator's own process produced from untainted arguments.
    pub trusted_outputs: &'a BTreeSet<String>,
}

/// Where a tainted value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Output,
    Configuration,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Output => "an earlier activity's output",
            Source::Configuration => "configuration a plugin computed (dynamic configuration)",
        })
    }
}

/// A placeholder whose value a plugin shaped: as written (`${output:x/y}`), and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tainted {
    pub placeholder: String,
    pub source: Source,
}

impl fmt::Display for Tainted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.placeholder, self.source)
    }
}

/// Why a process's shell-string `arguments` cannot take a tainted value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellTaint {
    /// The string is the placeholder alone: its value would pick the shell form (a string) or the
    /// argv form (a list).
    #[error("{}", whole_reference_message(&.0.placeholder, .0.source))]
    Whole(Tainted),
    /// Where the shell would not read a quoted value as one word (a comment, a here-document, a
    /// `$(…)` or backquote substitution, right after `\` or `$`).
    #[error(
        "{0} is where the shell cannot take it as one quoted word (in a comment, a here-document, \
         a $(…) or `…` substitution, or right after \\ or $): move it out of there, or write the \
         arguments as a list"
    )]
    Unquotable(Tainted),
}

/// Why a process's `arguments` may not be one tainted placeholder, and what to write instead; shared
/// by validation and the run.
pub fn whole_reference_message(placeholder: &str, source: Source) -> String {
    format!(
        "\"{placeholder}\" is a value from {source}, which a plugin shapes: as a process's whole \
         arguments it would choose between the shell form (a string) and the argv form (a list). \
         Write the arguments as a list instead: [\"{placeholder}\"]"
    )
}

/// Substitutes every placeholder in `value` that `scope` resolves.
pub fn substitute(value: &Value, scope: &Scope) -> Value {
    substitute_with(value, scope, Mode::Plain)
}

/// Substitutes only what is trusted: tainted placeholders stay as written. What the experiment's
/// own text and the operator's values make of `value`, for comparing with the full substitution.
pub fn substitute_trusted(value: &Value, scope: &Scope, taint: &Taint) -> Value {
    substitute_with(value, scope, Mode::Trusted(taint))
}

fn substitute_with(value: &Value, scope: &Scope, mode: Mode) -> Value {
    match value {
        Value::String(s) => match substitute_str(s, scope, mode) {
            Ok(value) => value,
            Err(e) => unreachable!("only the shell mode fails: {e}"),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_with(v, scope, mode))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_with(v, scope, mode)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Substitutes a process's shell-string `arguments` (run as `sh -c "<path> <arguments>"`), each
/// tainted value inserted as one single-quoted word (`'` written `'\''`), closing and reopening the
/// operator's own quotes around it, so that a plugin's text is never shell syntax. Untainted values
/// are inserted exactly as Chaos Toolkit does, and the string alone a trusted `${name}` keeps its
/// value's type (a list then runs as argv).
///
/// Quoting makes a value one word; it does not make it harmless to the program that receives it.
/// A value such as `--all` or `-rf` arriving as one argument is still an option to that program
/// (option injection), and a program that runs its arguments as code (`sh -c`, `ssh`, `eval`,
/// `kubectl exec`) runs the value as code. Keep tainted values after `--` or in positions the
/// program cannot read as an option, and never hand them to a second shell.
pub fn substitute_shell(s: &str, scope: &Scope, taint: &Taint) -> Result<Value, ShellTaint> {
    substitute_str(s, scope, Mode::Shell(taint))
}

/// The placeholders in `value` that `scope` resolves to a tainted value, in order of appearance,
/// each once.
pub fn tainted(value: &Value, scope: &Scope, taint: &Taint) -> Vec<Tainted> {
    let mut found = Vec::new();
    walk_strings(value, &mut |s| {
        for (_, token) in tokens(s) {
            if resolve(&token, scope).is_none() {
                continue;
            }
            if let Some(source) = source_of(&token, scope, taint) {
                let tainted = Tainted {
                    placeholder: token.source(),
                    source,
                };
                if !found.contains(&tainted) {
                    found.push(tainted);
                }
            }
        }
    });
    found
}

/// A placeholder as experiment validation sees it, before any value is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder<'s> {
    /// `${name}` or `$name`.
    Name(&'s str),
    /// `${output:ACTIVITY…}`.
    Output(&'s str),
}

impl Placeholder<'_> {
    fn of<'s>(token: &Token<'s>) -> Option<Placeholder<'s>> {
        match *token {
            Token::Named(name) | Token::Braced(name) => Some(Placeholder::Name(name)),
            Token::Output(reference) => Some(Placeholder::Output(
                reference.split('/').next().unwrap_or_default(),
            )),
            _ => None,
        }
    }
}

/// Every placeholder in `value`, recursively, in order.
pub fn references(value: &Value) -> Vec<Placeholder<'_>> {
    let mut found = Vec::new();
    walk_strings(value, &mut |s| {
        found.extend(tokens(s).iter().filter_map(|(_, t)| Placeholder::of(t)));
    });
    found
}

/// The activities whose outputs `${output:…}` placeholders in `value` refer to: the only outputs a
/// run needs to keep beside the journal.
pub fn referenced_outputs(value: &Value) -> std::collections::BTreeSet<String> {
    references(value)
        .into_iter()
        .filter_map(|p| match p {
            Placeholder::Output(activity) => Some(activity.to_string()),
            Placeholder::Name(_) => None,
        })
        .collect()
}

/// The placeholder `s` consists of, when it is exactly one `${…}` (the form that keeps its type).
pub fn whole_reference(s: &str) -> Option<Placeholder<'_>> {
    whole_token(&tokens(s)).and_then(|token| Placeholder::of(&token))
}

/// The token of a template that is exactly one braced placeholder and nothing else.
fn whole_token<'s>(parts: &[(&str, Token<'s>)]) -> Option<Token<'s>> {
    match parts {
        [
            ("", token @ (Token::Braced(_) | Token::Output(_))),
            ("", Token::End),
        ] => Some(*token),
        _ => None,
    }
}

fn walk_strings<'v>(value: &'v Value, f: &mut impl FnMut(&'v str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| walk_strings(v, f)),
        Value::Object(map) => map.values().for_each(|v| walk_strings(v, f)),
        _ => {}
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
    walk_strings(value, &mut |s| {
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
    });
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

/// What happens to tainted values.
#[derive(Debug, Clone, Copy)]
enum Mode<'t> {
    /// Nothing is tainted: every value is inserted.
    Plain,
    /// Tainted placeholders stay as written.
    Trusted(&'t Taint<'t>),
    /// Tainted values are shell-quoted (never failing in the other modes).
    Shell(&'t Taint<'t>),
}

impl Mode<'_> {
    fn tainted(&self, token: &Token, scope: &Scope) -> Option<Source> {
        match self {
            Mode::Plain => None,
            Mode::Trusted(taint) | Mode::Shell(taint) => source_of(token, scope, taint),
        }
    }
}

fn substitute_str(s: &str, scope: &Scope, mode: Mode) -> Result<Value, ShellTaint> {
    // `chaoslib.substitute` returns its data untouched without configuration and secrets.
    let outputs_only = scope.configuration.is_empty() && scope.secrets.is_empty();
    let mut parts = tokens(s);
    // Exactly one braced placeholder and nothing else: the value keeps its type.
    if let Some(token) = whole_token(&parts)
        && let Some(value) = resolve(&token, scope)
    {
        return match (mode.tainted(&token, scope), mode) {
            (None, _) => Ok(value.clone()),
            (Some(_), Mode::Trusted(_)) => Ok(Value::String(s.to_string())),
            (Some(source), _) => Err(ShellTaint::Whole(Tainted {
                placeholder: token.source(),
                source,
            })),
        };
    }
    let mut shell = matches!(mode, Mode::Shell(_)).then(ShellPosition::default);
    let mut out = String::with_capacity(s.len());
    for (literal, token) in parts.drain(..) {
        out.push_str(literal);
        let text = match token {
            Token::End => break,
            Token::Escaped | Token::Lone if outputs_only => token.source(),
            Token::Escaped | Token::Lone => "$".to_string(),
            _ => match resolve(&token, scope) {
                None => token.source(),
                Some(value) => match (mode.tainted(&token, scope), &mut shell) {
                    (Some(_), None) => token.source(),
                    (Some(source), Some(position)) => {
                        let text = interpolated(&token, value);
                        position.feed(literal);
                        let quoted = position.quote(&text).ok_or_else(|| {
                            ShellTaint::Unquotable(Tainted {
                                placeholder: token.source(),
                                source,
                            })
                        })?;
                        out.push_str(&quoted);
                        continue;
                    }
                    (None, _) => interpolated(&token, value),
                },
            },
        };
        if let Some(position) = &mut shell {
            position.feed(literal);
            position.feed(&text);
        }
        out.push_str(&text);
    }
    Ok(Value::String(out))
}

/// A placeholder's value inside a longer string: Python's `str()` for configuration and secrets,
/// a string output as is and any other output as JSON text.
fn interpolated(token: &Token, value: &Value) -> String {
    match (token, value) {
        (Token::Output(_), Value::String(text)) => text.clone(),
        (Token::Output(_), value) => value.to_string(),
        (_, value) => py_str(value),
    }
}

/// What a placeholder token resolves to, if anything.
fn resolve<'a>(token: &Token, scope: &'a Scope) -> Option<&'a Value> {
    match token {
        Token::Named(name) | Token::Braced(name) => lookup(name, scope),
        Token::Output(reference) => output(reference, scope),
        _ => None,
    }
}

/// Whether a resolved placeholder's value is tainted, and by what.
fn source_of(token: &Token, scope: &Scope, taint: &Taint) -> Option<Source> {
    match token {
        Token::Named(name) | Token::Braced(name) => (scope.configuration.contains_key(*name)
            && taint.configuration.contains(*name))
        .then_some(Source::Configuration),
        Token::Output(reference) => {
            let activity = reference.split('/').next().unwrap_or_default();
            (!taint.trusted_outputs.contains(activity)).then_some(Source::Output)
        }
        _ => None,
    }
}

/// Where a point of a `sh -c` script stands as far as quoting goes: enough to insert a value there
/// as one quoted word, or to know that the shell would not read it as one.
#[derive(Debug, Clone, Copy)]
struct ShellPosition {
    quote: Quote,
    /// After a `\` that escapes the next character.
    escaped: bool,
    /// After an unescaped `$`.
    dollar: bool,
    /// After an unquoted `<`.
    less: bool,
    /// At the start of a word, where `#` starts a comment.
    word_start: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
    /// A comment, a here-document, a `$(…)`, `${…}` or backquote substitution, bash's `$'…'`:
    /// nothing after this point is quoted by plain rules, so no value goes there.
    Opaque,
}

impl Default for ShellPosition {
    fn default() -> Self {
        ShellPosition {
            quote: Quote::None,
            escaped: false,
            dollar: false,
            less: false,
            word_start: true,
        }
    }
}

impl ShellPosition {
    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            self.step(c);
        }
    }

    fn step(&mut self, c: char) {
        let (dollar, less) = (self.dollar, self.less);
        self.dollar = false;
        self.less = false;
        if self.escaped {
            self.escaped = false;
            self.word_start = false;
            return;
        }
        match self.quote {
            Quote::Opaque => {}
            Quote::Single => {
                if c == '\'' {
                    self.quote = Quote::None;
                }
            }
            Quote::Double => match c {
                '(' | '{' if dollar => self.quote = Quote::Opaque,
                '\\' => self.escaped = true,
                '"' => self.quote = Quote::None,
                '`' => self.quote = Quote::Opaque,
                '$' => self.dollar = true,
                _ => {}
            },
            Quote::None => {
                match c {
                    '(' | '{' | '\'' | '"' if dollar => self.quote = Quote::Opaque,
                    '#' if self.word_start => self.quote = Quote::Opaque,
                    '<' if less => self.quote = Quote::Opaque,
                    '\\' => self.escaped = true,
                    '\'' => self.quote = Quote::Single,
                    '"' => self.quote = Quote::Double,
                    '`' => self.quote = Quote::Opaque,
                    '$' => self.dollar = true,
                    '<' => self.less = true,
                    _ => {}
                }
                self.word_start = matches!(
                    c,
                    ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>'
                );
            }
        }
    }

    /// `text` as one single-quoted word at this point, leaving the position where it was; `None`
    /// where the shell would not read it so.
    fn quote(&mut self, text: &str) -> Option<String> {
        if self.escaped || self.dollar {
            return None;
        }
        let word = format!("'{}'", text.replace('\'', r"'\''"));
        self.word_start = false;
        self.less = false;
        match self.quote {
            Quote::None => Some(word),
            // Close the operator's quote, add the word, reopen it: still one word.
            Quote::Single => Some(format!("'{word}'")),
            Quote::Double => Some(format!("\"{word}\"")),
            Quote::Opaque => None,
        }
    }
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
    fn without_configuration_and_secrets_only_outputs_are_replaced() {
        // `chaoslib.substitute` returns its data untouched then, so `$$` must not become `$`
        // merely because an earlier activity produced an output.
        let maps = maps();
        let empty = Map::new();
        let scope = Scope {
            configuration: &empty,
            secrets: &empty,
            outputs: &maps.2,
        };
        let cases = [
            ("$$who", json!("$$who")),
            ("cost: $$5 $", json!("cost: $$5 $")),
            ("$who ${who}", json!("$who ${who}")),
            ("$$ ${output:echo}", json!("$$ plain text")),
            ("${output:get-user/body/id}", json!(42)),
        ];
        for (template, expected) in cases {
            assert_eq!(substitute(&json!(template), &scope), expected, "{template}");
        }
        let taint = Taint {
            configuration: &BTreeSet::new(),
            trusted_outputs: &BTreeSet::new(),
        };
        assert_eq!(
            substitute_shell("echo $$HOME ${output:echo}", &scope, &taint).unwrap(),
            json!("echo $$HOME 'plain text'")
        );
    }

    #[test]
    fn unknown_names_are_reported_once() {
        let maps = maps();
        let scope = maps.scope();
        let value =
            json!({"a": "${who} ${nope} $alsonope ${nope}", "b": ["${output:x/y}", "${k}"]});
        assert_eq!(unknown_names(&value, &scope), ["nope", "output:x/y"]);
    }

    /// Outputs and configuration where `lookup` (a plugin's output) and `dyn` (computed by a plugin)
    /// are tainted, `proc` (a process's output) and everything else trusted.
    struct Tainting {
        maps: Maps,
        configuration: BTreeSet<String>,
        trusted_outputs: BTreeSet<String>,
    }

    impl Tainting {
        fn new(payload: &str) -> Tainting {
            let Value::Object(configuration) =
                json!({"dyn": payload, "who": "bob; ls", "args": ["-l", "x"], "port": 9})
            else {
                unreachable!()
            };
            let Value::Object(outputs) = json!({
                "lookup": {"body": {"name": payload, "endpoint": "http://evil:1", "list": ["a", "b"]}},
                "proc": {"stdout": "it's; ls"}
            }) else {
                unreachable!()
            };
            Tainting {
                maps: Maps(configuration, Map::new(), outputs),
                configuration: ["dyn".to_string()].into(),
                trusted_outputs: ["proc".to_string()].into(),
            }
        }

        fn taint(&self) -> Taint<'_> {
            Taint {
                configuration: &self.configuration,
                trusted_outputs: &self.trusted_outputs,
            }
        }

        fn shell(&self, template: &str) -> Result<Value, ShellTaint> {
            substitute_shell(template, &self.maps.scope(), &self.taint())
        }
    }

    #[test]
    fn tainted_values_are_one_quoted_word_in_a_shell_string() {
        let t = Tainting::new("web-1; touch PWNED #");
        let cases = [
            (
                "--name ${output:lookup/body/name}",
                "--name 'web-1; touch PWNED #'",
            ),
            ("--name=$dyn", "--name='web-1; touch PWNED #'"),
            ("-c 'echo ${dyn}'", "-c 'echo ''web-1; touch PWNED #'''"),
            (
                r#""x ${output:lookup/body/name}" y"#,
                r#""x "'web-1; touch PWNED #'"" y"#,
            ),
            ("a#${dyn}", "a#'web-1; touch PWNED #'"),
            // Lists and objects are inserted as their text, quoted.
            ("${output:lookup/body/list}!", r#"'["a","b"]'!"#),
            // Trusted values exactly as Chaos Toolkit inserts them.
            (
                "${who} $who ${output:proc/stdout}",
                "bob; ls bob; ls it's; ls",
            ),
            ("x ${output:nope} $$HOME", "x ${output:nope} $HOME"),
        ];
        for (template, expected) in cases {
            assert_eq!(t.shell(template), Ok(json!(expected)), "{template}");
        }
        let quoted = Tainting::new("it's").shell("${dyn}+${dyn}");
        assert_eq!(quoted, Ok(json!(r"'it'\''s'+'it'\''s'")));
        // Alone, a trusted placeholder keeps its type (a list runs as argv), a tainted one is refused.
        assert_eq!(t.shell("${args}"), Ok(json!(["-l", "x"])));
        for (template, source) in [
            ("${output:lookup/body/list}", Source::Output),
            ("${dyn}", Source::Configuration),
        ] {
            assert_eq!(
                t.shell(template),
                Err(ShellTaint::Whole(Tainted {
                    placeholder: template.into(),
                    source
                }))
            );
        }
    }

    #[test]
    fn tainted_values_are_refused_where_quoting_cannot_hold() {
        let t = Tainting::new("x");
        for template in [
            "echo hi # ${dyn}",
            "$(echo ${dyn})",
            r#""$(echo ${dyn})""#,
            "`echo ${dyn}`",
            r"\${dyn}",
            r#""\${dyn}""#,
            "$$${dyn}",
            "$'${dyn}'",
            "cat <<EOF ${dyn}",
            "$${HOME:-${dyn}}",
        ] {
            assert_eq!(
                t.shell(template),
                Err(ShellTaint::Unquotable(Tainted {
                    placeholder: "${dyn}".into(),
                    source: Source::Configuration
                })),
                "{template}"
            );
        }
    }

    /// The real shell reads every hostile value back as one word, whatever quotes surround it.
    #[cfg(unix)]
    #[test]
    fn the_shell_reads_a_tainted_value_as_one_word() {
        let payloads = [
            "web-1; touch PWNED #",
            "$(touch PWNED)",
            "`touch PWNED`",
            "it's",
            r#"'"'"'"#,
            r"a\",
            r"\'",
            "line\ntouch PWNED",
            "*",
            "",
        ];
        for payload in payloads {
            let t = Tainting::new(payload);
            for (template, expected) in [
                ("${dyn}!", format!("{payload}!")),
                ("'<${dyn}>'", format!("<{payload}>")),
                (r#""<${dyn}>""#, format!("<{payload}>")),
            ] {
                let Ok(Value::String(script)) = t.shell(template) else {
                    panic!("{template}")
                };
                let out = std::process::Command::new("/bin/sh")
                    .args(["-c", &format!("printf '%s|' {script}")])
                    .output()
                    .unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout),
                    format!("{expected}|"),
                    "{payload:?} in {template:?}: {script}"
                );
            }
        }
    }

    #[test]
    fn trusted_substitution_leaves_tainted_placeholders_as_written() {
        let t = Tainting::new("evil.example");
        let scope = t.maps.scope();
        let url = json!({
            "a": "http://127.0.0.1:${port}/${output:lookup/body/name}",
            "b": "${output:lookup/body/endpoint}",
            "c": "http://${dyn}/ ${output:proc/stdout}"
        });
        assert_eq!(
            substitute_trusted(&url, &scope, &t.taint()),
            json!({
                "a": "http://127.0.0.1:9/${output:lookup/body/name}",
                "b": "${output:lookup/body/endpoint}",
                "c": "http://${dyn}/ it's; ls"
            })
        );
        let found: Vec<String> = tainted(&url, &scope, &t.taint())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "${output:lookup/body/name} (an earlier activity's output)",
                "${output:lookup/body/endpoint} (an earlier activity's output)",
                "${dyn} (configuration a plugin computed (dynamic configuration))",
            ]
        );
    }

    #[test]
    fn references_as_written() {
        assert_eq!(
            references(&json!(["$a ${b}", {"k": "${output:x/y} $$c"}])),
            [
                Placeholder::Name("a"),
                Placeholder::Name("b"),
                Placeholder::Output("x")
            ]
        );
        assert_eq!(
            whole_reference("${output:x/0}"),
            Some(Placeholder::Output("x"))
        );
        assert_eq!(whole_reference("${a}"), Some(Placeholder::Name("a")));
        for not_whole in ["$a", "${a} ", "x${a}", "$${a}"] {
            assert_eq!(whole_reference(not_whole), None, "{not_whole}");
        }
    }

    #[test]
    fn stand_ins_replace_every_placeholder() {
        assert_eq!(with_stand_ins("^${a}-$b$$c$", "x"), "^x-x$c$");
        assert_eq!(with_stand_ins("${output:s/1} ok$", "x"), "x ok$");
    }
}
