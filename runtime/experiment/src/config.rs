//! Configuration and secrets: what the experiment declares, what the operator passes with `--var`
//! and `--var-file`, and the values a run uses (`chaoslib/configuration.py`, `chaoslib/secret.py`,
//! `chaoslib/__init__.py::merge_vars`).
//!
//! Chaos Toolkit's rules, kept: vars override only *declared* configuration keys (a var may be a
//! whole `{"type": "env", …}` declaration), var-file secrets replace a declared scope whole and
//! unresolved, `.env` var-files are environment variables, env values convert by `env_var_type`.
//!
//! chaosrt differs where Chaos Toolkit surprises: vars apply before the environment check (so
//! `--var` satisfies an `env` key without a default, at validation too), an undeclared var is a
//! warning rather than silently dropped, every error is reported at once at its JSON pointer, and
//! vault secrets and dynamic (probe) configuration are refused rather than half-supported.

use super::load::{Format, LoadError, read};
use super::model::Experiment;
use super::python::{py_float, py_int};
use super::validate::{Invalid, ValidationError, pointer_key};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the operator passed with `--var-file` and `--var`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    /// Configuration overrides, name → value or declaration.
    pub configuration: Map<String, Value>,
    /// Secret scopes, each replacing the experiment's scope of that name whole.
    pub secrets: Map<String, Value>,
    /// `.env` var-file entries: environment variables, looked up before the real environment.
    pub env: BTreeMap<String, String>,
}

impl Vars {
    /// Lays `later` over these vars: a later var-file, or `--var` values, win key by key (scope by
    /// scope for secrets).
    pub fn merge(&mut self, later: Vars) {
        self.configuration.extend(later.configuration);
        self.secrets.extend(later.secrets);
        self.env.extend(later.env);
    }
}

/// The configuration and secrets a run uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    pub configuration: Map<String, Value>,
    /// Scope → {name → value}.
    pub secrets: Map<String, Value>,
    /// Vars that had no effect, for the operator to see.
    pub warnings: Vec<String>,
}

/// Why a var-file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum VarFileError {
    /// A JSON or YAML var-file that does not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A JSON or YAML var-file without the `{configuration: {}, secrets: {scope: {}}}` shape.
    #[error("{}: {message}", path.display())]
    Shape { path: PathBuf, message: String },
    /// A `.env` line that is not `KEY=VALUE`.
    #[error("{}:{line}: expected KEY=VALUE, found {text:?}", path.display())]
    EnvLine {
        path: PathBuf,
        line: usize,
        text: String,
    },
}

/// The types `key:type=value` and `env_var_type` accept (`chaoslib.convert_to_type`).
const TYPE_ERROR: &str = "variable type can only be: bool, str, int, float, bytes or json";

/// Parses `--var key[:type]=value` (`chaoslib.convert_vars`). The error is the reason only, for the
/// CLI to present (Chaos Toolkit prints `Invalid value for '--var': <reason>`).
pub fn parse_var(s: &str) -> Result<(String, Value), String> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| "var needs to be in the format name[:type]=value".to_string())?;
    match key.rsplit_once(':') {
        Some((key, kind)) => Ok((
            key.to_string(),
            convert(Some(kind), &Value::String(value.into()))?,
        )),
        None => Ok((key.to_string(), Value::String(value.into()))),
    }
}

/// Loads one `--var-file`: `.json`, `.yaml` or `.yml` hold `{configuration: {}, secrets: {scope:
/// {}}}`; any other file is a `.env` of `KEY=VALUE` lines (`#` comments and blank lines skipped,
/// values taken as written, quotes included, as Chaos Toolkit does).
pub fn load_var_file(path: &Path) -> Result<Vars, VarFileError> {
    let text = read(path)?;
    if let Some(format) = Format::of(path) {
        return match text.trim() {
            "" => Ok(Vars::default()),
            _ => structured_vars(format.parse(&text, path)?, path),
        };
    }
    let mut vars = Vars::default();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| VarFileError::EnvLine {
            path: path.to_path_buf(),
            line: i + 1,
            text: line.to_string(),
        })?;
        vars.env.insert(key.to_string(), value.to_string());
    }
    Ok(vars)
}

fn structured_vars(value: Value, path: &Path) -> Result<Vars, VarFileError> {
    let shape = |message: &str| VarFileError::Shape {
        path: path.to_path_buf(),
        message: message.to_string(),
    };
    let doc = match value {
        Value::Null => return Ok(Vars::default()),
        Value::Object(doc) => doc,
        _ => {
            return Err(shape(
                "a var-file holds an object with `configuration` and `secrets`",
            ));
        }
    };
    let section = |key: &str| match doc.get(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(shape(&format!("`{key}` must be an object"))),
    };
    Ok(Vars {
        configuration: section("configuration")?,
        secrets: section("secrets")?,
        env: BTreeMap::new(),
    })
}

/// Resolves the experiment's configuration and secrets with the operator's vars. `env` reads the
/// process environment (a parameter, so tests and embedders control it); `.env` var-file entries are
/// looked up before it.
pub fn resolve(
    experiment: &Experiment,
    vars: &Vars,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, Invalid> {
    let lookup = |key: &str| vars.env.get(key).cloned().or_else(|| env(key));
    let mut errors = Vec::new();
    let mut resolved = Resolved::default();

    for (key, declared) in &experiment.configuration {
        let overridden = vars.configuration.get(key);
        // The experiment's own dynamic configuration is computed by the engine right before the run.
        if overridden.is_none()
            && matches!(
                configuration_declaration(declared),
                Ok(ConfigDeclaration::Probe)
            )
        {
            continue;
        }
        let declaration = overridden.unwrap_or(declared);
        match configuration_value(key, declaration, &lookup) {
            Ok(value) => {
                resolved.configuration.insert(key.clone(), value);
            }
            Err(message) => errors.push(ValidationError {
                pointer: format!("/configuration/{}", pointer_key(key)),
                message,
            }),
        }
    }
    for key in vars.configuration.keys() {
        if !experiment.configuration.contains_key(key) {
            resolved.warnings.push(format!(
                "The var '{key}' is ignored: the experiment declares no configuration key of that \
                 name (declare it in `configuration` to override it)"
            ));
        }
    }

    for (scope, declared) in &experiment.secrets {
        let at = format!("/secrets/{}", pointer_key(scope));
        let value = match vars.secrets.get(scope) {
            Some(replacement) if declared.is_object() && !replacement.is_null() => {
                replacement.clone()
            }
            _ => secret_value(declared, &at, &lookup, &mut errors),
        };
        resolved.secrets.insert(scope.clone(), value);
    }
    for scope in vars.secrets.keys() {
        if !experiment.secrets.get(scope).is_some_and(Value::is_object) {
            resolved.warnings.push(format!(
                "The var-file secrets '{scope}' are ignored: the experiment declares no secret scope \
                 of that name"
            ));
        }
    }

    if errors.is_empty() {
        Ok(resolved)
    } else {
        Err(Invalid(errors))
    }
}

/// Every non-empty string among the resolved secrets, and the text of every numeric one, longest
/// first (so that masking a secret never leaves part of a longer one showing), each once.
pub fn secret_strings(resolved: &Resolved) -> Vec<String> {
    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) if !s.is_empty() && !out.contains(s) => out.push(s.clone()),
            Value::Number(n) if !out.contains(&n.to_string()) => out.push(n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            Value::Object(map) => map.values().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    resolved.secrets.values().for_each(|v| collect(v, &mut out));
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// A configuration declaration, classified.
pub(super) enum ConfigDeclaration<'a> {
    /// Used as written (including a dict whose `type` Chaos Toolkit does not know).
    Literal(&'a Value),
    Env {
        key: &'a str,
        default: Option<&'a Value>,
        env_var_type: Option<&'a str>,
    },
    /// `{"type": "probe", …}`: dynamic configuration.
    Probe,
}

/// Classifies a configuration value; the error says what is wrong with its shape.
pub(super) fn configuration_declaration(value: &Value) -> Result<ConfigDeclaration<'_>, String> {
    let Some(map) = value.as_object().filter(|m| m.contains_key("type")) else {
        return Ok(ConfigDeclaration::Literal(value));
    };
    match map.get("type").and_then(Value::as_str) {
        Some("env") => {
            let key = env_key(map, "configuration")?;
            let env_var_type = match map.get("env_var_type") {
                None | Some(Value::Null) => None,
                Some(Value::String(t)) if is_known_type(t) => Some(t.as_str()),
                Some(_) => return Err(format!("env_var_type: {TYPE_ERROR}")),
            };
            Ok(ConfigDeclaration::Env {
                key,
                default: map.get("default"),
                env_var_type,
            })
        }
        Some("probe") => Ok(ConfigDeclaration::Probe),
        _ => Ok(ConfigDeclaration::Literal(value)),
    }
}

/// The refusal of dynamic configuration, wherever it is met.
pub(super) const DYNAMIC_CONFIGURATION: &str = "a --var or var-file cannot declare dynamic configuration (a probe): declare it in the \
     experiment's `configuration`";

/// The refusal of vault secrets, wherever they are met.
pub(super) const VAULT: &str = "vault secrets are not supported by chaosrt yet: take the value from \
                                the environment instead ({\"type\": \"env\", \"key\": …})";

/// A secret declaration, classified.
pub(super) enum SecretDeclaration<'a> {
    Literal(&'a Value),
    Env(&'a str),
    Vault,
    /// A dict without a known `type`: its values are declarations too.
    Nested(&'a Map<String, Value>),
}

/// Classifies a secret value (or a whole scope: Chaos Toolkit reads both the same way).
pub(super) fn secret_declaration(value: &Value) -> Result<SecretDeclaration<'_>, String> {
    let Some(map) = value.as_object() else {
        return Ok(SecretDeclaration::Literal(value));
    };
    match map.get("type").and_then(Value::as_str) {
        Some("env") => Ok(SecretDeclaration::Env(env_key(map, "secret")?)),
        Some("vault") => Ok(SecretDeclaration::Vault),
        _ => Ok(SecretDeclaration::Nested(map)),
    }
}

fn env_key<'a>(map: &'a Map<String, Value>, what: &str) -> Result<&'a str, String> {
    map.get("key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| format!("an env {what} needs a `key`: the environment variable to read"))
}

fn is_known_type(kind: &str) -> bool {
    matches!(
        kind,
        "str" | "string" | "int" | "integer" | "float" | "number" | "bytes" | "bool" | "json"
    )
}

fn configuration_value(
    name: &str,
    declaration: &Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    match configuration_declaration(declaration)? {
        ConfigDeclaration::Literal(value) => Ok(value.clone()),
        ConfigDeclaration::Probe => Err(DYNAMIC_CONFIGURATION.into()),
        ConfigDeclaration::Env {
            key,
            default,
            env_var_type,
        } => {
            let raw = match (lookup(key), default) {
                (Some(text), _) => Value::String(text),
                (None, Some(default)) => default.clone(),
                (None, None) => {
                    return Err(format!(
                        "Configuration makes reference to an environment key that does not exist: \
                         {key}"
                    ));
                }
            };
            convert(env_var_type, &raw).map_err(|e| {
                format!(
                    "cannot read '{name}' from ${key} as {}: {e}",
                    env_var_type.unwrap_or("str")
                )
            })
        }
    }
}

fn secret_value(
    declaration: &Value,
    at: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<ValidationError>,
) -> Value {
    let mut error = |message: String| {
        errors.push(ValidationError {
            pointer: at.to_string(),
            message,
        });
        Value::Null
    };
    match secret_declaration(declaration) {
        Err(message) => error(message),
        Ok(SecretDeclaration::Literal(value)) => value.clone(),
        Ok(SecretDeclaration::Vault) => error(VAULT.into()),
        Ok(SecretDeclaration::Env(key)) => match lookup(key) {
            Some(text) => Value::String(text),
            None => error(format!(
                "Secrets make reference to an environment key that does not exist: {key}"
            )),
        },
        Ok(SecretDeclaration::Nested(map)) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let at = format!("{at}/{}", pointer_key(k));
                    (k.clone(), secret_value(v, &at, lookup, errors))
                })
                .collect(),
        ),
    }
}

/// `chaoslib.convert_to_type`: `kind` applied to a string (an environment value, a `--var`) or to
/// a declared default. `bytes` stays a string: JSON has no bytes.
fn convert(kind: Option<&str>, value: &Value) -> Result<Value, String> {
    let Some(kind) = kind else {
        return Ok(value.clone());
    };
    let wrong = |what: &str| format!("cannot convert {value} to {what}");
    match (kind, value) {
        ("str" | "string", _) => Ok(value.clone()),
        ("int" | "integer", Value::String(s)) => py_int(s),
        ("int" | "integer", Value::Bool(b)) => Ok(Value::from(i64::from(*b))),
        ("int" | "integer", Value::Number(n)) => Ok(match n.as_i64() {
            Some(i) => Value::from(i),
            // Python's int() of a float truncates.
            None => Value::from(n.as_f64().unwrap_or_default().trunc() as i64),
        }),
        ("int" | "integer", _) => Err(wrong("an int")),
        ("float" | "number", Value::String(s)) => py_float(s).map(Value::from),
        ("float" | "number", Value::Bool(b)) => Ok(Value::from(f64::from(u8::from(*b)))),
        ("float" | "number", Value::Number(n)) => Ok(Value::from(n.as_f64().unwrap_or_default())),
        ("float" | "number", _) => Err(wrong("a float")),
        ("bytes", Value::String(_)) => Ok(value.clone()),
        ("bytes", _) => Err(wrong("bytes")),
        ("bool", Value::Bool(_)) => Ok(value.clone()),
        ("bool", Value::String(s)) => Ok(Value::Bool(!matches!(
            s.to_lowercase().as_str(),
            "false" | "0" | "no"
        ))),
        ("bool", _) => Err(wrong("a bool")),
        ("json", Value::String(s)) if s.is_empty() => Ok(value.clone()),
        ("json", Value::String(s)) => {
            serde_json::from_str(s).map_err(|e| format!("invalid JSON: {e}"))
        }
        ("json", _) => Ok(value.clone()),
        _ => Err(TYPE_ERROR.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::validate::validate;
    use super::*;
    use serde_json::json;

    fn experiment(configuration: Value, secrets: Value) -> Experiment {
        validate(&json!({
            "title": "t", "description": "d", "method": [],
            "configuration": configuration, "secrets": secrets
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn parse_var_converts_like_convert_vars() {
        // Expectations from chaoslib.convert_vars, and `chaos run --var` for the errors.
        let ok = [
            ("a=1", ("a", json!("1"))),
            ("a:int=1", ("a", json!(1))),
            ("a:integer= 42 ", ("a", json!(42))),
            ("a:float=1.5", ("a", json!(1.5))),
            ("a:number=2", ("a", json!(2.0))),
            ("a:bool=no", ("a", json!(false))),
            ("a:bool=False", ("a", json!(false))),
            ("a:bool=0", ("a", json!(false))),
            ("a:bool=yes", ("a", json!(true))),
            ("a:bool=", ("a", json!(true))),
            ("a:json={\"b\": [1]}", ("a", json!({"b": [1]}))),
            ("a:json=", ("a", json!(""))),
            ("a:bytes=raw", ("a", json!("raw"))),
            ("a:str=x=y", ("a", json!("x=y"))),
            ("a:b:int=3", ("a:b", json!(3))),
        ];
        for (input, (key, value)) in ok {
            assert_eq!(parse_var(input), Ok((key.to_string(), value)), "{input}");
        }
        let errors = [
            ("novalue", "var needs to be in the format name[:type]=value"),
            ("a:int=abc", "invalid literal for int() with base 10: 'abc'"),
            ("a:float=x", "could not convert string to float: 'x'"),
            ("a:foo=1", TYPE_ERROR),
            ("a:=1", TYPE_ERROR),
        ];
        for (input, message) in errors {
            assert_eq!(parse_var(input), Err(message.to_string()), "{input}");
        }
        assert!(
            parse_var("a:json={bad")
                .unwrap_err()
                .starts_with("invalid JSON: ")
        );
    }

    #[test]
    fn var_files_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let json_file = write(
            "v.json",
            r#"{"configuration": {"a": 1}, "secrets": {"s": {"k": "v"}}}"#,
        );
        let vars = load_var_file(&json_file).unwrap();
        assert_eq!(
            vars.configuration,
            json!({"a": 1}).as_object().unwrap().clone()
        );
        assert_eq!(
            vars.secrets,
            json!({"s": {"k": "v"}}).as_object().unwrap().clone()
        );
        let yaml_file = write("v.yml", "configuration:\n  a: on\n");
        assert_eq!(
            load_var_file(&yaml_file).unwrap().configuration["a"],
            json!(true)
        );
        let env_file = write(".env", "# comment\n\nA=1\r\nB = \"two\"\nC=x=y\n");
        let vars = load_var_file(&env_file).unwrap();
        let expected: BTreeMap<String, String> = [("A", "1"), ("B ", " \"two\""), ("C", "x=y")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(vars.env, expected);
        let bad_env = write("bad.env", "A=1\nnonsense\n");
        assert_eq!(
            load_var_file(&bad_env).unwrap_err().to_string(),
            format!(
                "{}:2: expected KEY=VALUE, found \"nonsense\"",
                bad_env.display()
            )
        );
        let bad_shape = write("bad.json", r#"{"configuration": [1]}"#);
        assert!(
            load_var_file(&bad_shape)
                .unwrap_err()
                .to_string()
                .ends_with("`configuration` must be an object")
        );
        let empty = write("empty.yaml", "");
        assert_eq!(load_var_file(&empty).unwrap(), Vars::default());
    }

    #[test]
    fn later_vars_win() {
        let mut vars = Vars {
            configuration: json!({"a": 1, "b": 1}).as_object().unwrap().clone(),
            secrets: json!({"s": {"x": 1, "y": 1}}).as_object().unwrap().clone(),
            env: [("E".to_string(), "1".to_string())].into(),
        };
        vars.merge(Vars {
            configuration: json!({"b": 2}).as_object().unwrap().clone(),
            secrets: json!({"s": {"x": 2}}).as_object().unwrap().clone(),
            env: [("E".to_string(), "2".to_string())].into(),
        });
        assert_eq!(Value::Object(vars.configuration), json!({"a": 1, "b": 2}));
        assert_eq!(Value::Object(vars.secrets), json!({"s": {"x": 2}}));
        assert_eq!(vars.env["E"], "2");
    }

    #[test]
    fn configuration_resolves_env_with_ctk_conversions() {
        let e = experiment(
            json!({
                "literal": {"a": [1]},
                "other": {"type": "file", "path": "x"},
                "host": {"type": "env", "key": "HOST", "default": "localhost"},
                "port": {"type": "env", "key": "PORT", "env_var_type": "int"},
                "ratio": {"type": "env", "key": "RATIO", "env_var_type": "float", "default": "0.5"},
                "flag": {"type": "env", "key": "FLAG", "env_var_type": "bool"},
                "off": {"type": "env", "key": "OFF", "env_var_type": "bool"},
                "doc": {"type": "env", "key": "DOC", "env_var_type": "json"},
                "dflt": {"type": "env", "key": "NONE", "env_var_type": "int", "default": 7}
            }),
            json!({}),
        );
        let env = env(&[
            ("PORT", "8080"),
            ("FLAG", "anything"),
            ("OFF", "No"),
            ("DOC", "{\"x\": null}"),
        ]);
        let resolved = resolve(&e, &Vars::default(), &env).unwrap();
        assert_eq!(
            Value::Object(resolved.configuration),
            json!({
                "literal": {"a": [1]}, "other": {"type": "file", "path": "x"}, "host": "localhost",
                "port": 8080, "ratio": 0.5, "flag": true, "off": false, "doc": {"x": null}, "dflt": 7
            })
        );
        assert!(resolved.warnings.is_empty());
    }

    #[test]
    fn every_missing_or_bad_env_value_is_reported_at_its_pointer() {
        let e = experiment(
            json!({
                "token": {"type": "env", "key": "TOKEN"},
                "port": {"type": "env", "key": "PORT", "env_var_type": "int"}
            }),
            json!({"db": {"password": {"type": "env", "key": "DB_PASSWORD"}, "nested": {"k": {"type": "env", "key": "NESTED"}}}}),
        );
        let err = resolve(&e, &Vars::default(), &env(&[("PORT", "eighty")])).unwrap_err();
        let found: Vec<String> = err.0.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "/configuration/token: Configuration makes reference to an environment key that does not exist: TOKEN",
                "/configuration/port: cannot read 'port' from $PORT as int: invalid literal for int() with base 10: 'eighty'",
                "/secrets/db/password: Secrets make reference to an environment key that does not exist: DB_PASSWORD",
                "/secrets/db/nested/k: Secrets make reference to an environment key that does not exist: NESTED",
            ]
        );
    }

    #[test]
    fn vars_override_declared_keys_only_and_before_the_env_check() {
        let e = experiment(
            json!({"token": {"type": "env", "key": "TOKEN"}, "name": "x", "swap": "y"}),
            json!({"db": {"password": {"type": "env", "key": "DB_PASSWORD"}}, "keep": {"k": "v"}}),
        );
        let vars = Vars {
            configuration: json!({
                "token": "from-var", "undeclared": 1,
                // A var may be a whole declaration (chaostoolkit issue #252).
                "swap": {"type": "env", "key": "SWAP"}
            })
            .as_object()
            .unwrap()
            .clone(),
            secrets: json!({"db": {"password": "${unresolved}"}, "ghost": {}})
                .as_object()
                .unwrap()
                .clone(),
            env: [("SWAP".to_string(), "from-dotenv".to_string())].into(),
        };
        let resolved = resolve(&e, &vars, &env(&[("SWAP", "from-process")])).unwrap();
        assert_eq!(
            Value::Object(resolved.configuration),
            json!({"token": "from-var", "name": "x", "swap": "from-dotenv"})
        );
        assert_eq!(
            Value::Object(resolved.secrets),
            json!({"db": {"password": "${unresolved}"}, "keep": {"k": "v"}})
        );
        assert_eq!(resolved.warnings.len(), 2, "{:?}", resolved.warnings);
        assert!(resolved.warnings[0].contains("'undeclared'"));
        assert!(resolved.warnings[1].contains("'ghost'"));
    }

    #[test]
    fn secrets_resolve_recursively_and_strings_are_collected_for_masking() {
        let e = experiment(
            json!({}),
            json!({
                "k8s": {"token": {"type": "env", "key": "K8S_TOKEN"}, "inline": "s3cr3t", "port": 443},
                "nested": {"deep": {"a": "shhh", "b": ""}, "typed": {"type": "other", "v": "tt"}}
            }),
        );
        let resolved = resolve(&e, &Vars::default(), &env(&[("K8S_TOKEN", "tok-123456")])).unwrap();
        assert_eq!(
            Value::Object(resolved.secrets.clone()),
            json!({
                "k8s": {"token": "tok-123456", "inline": "s3cr3t", "port": 443},
                "nested": {"deep": {"a": "shhh", "b": ""}, "typed": {"type": "other", "v": "tt"}}
            })
        );
        assert_eq!(
            secret_strings(&resolved),
            ["tok-123456", "s3cr3t", "other", "shhh", "443", "tt"]
        );
    }

    #[test]
    fn unsupported_declarations_from_vars_are_refused_too() {
        let e = experiment(json!({"a": 1}), json!({}));
        let vars = Vars {
            configuration: json!({"a": {"type": "probe", "name": "p", "provider": {}}})
                .as_object()
                .unwrap()
                .clone(),
            ..Vars::default()
        };
        let err = resolve(&e, &vars, &env(&[])).unwrap_err();
        assert_eq!(err.0[0].pointer, "/configuration/a");
        assert_eq!(err.0[0].message, DYNAMIC_CONFIGURATION);
    }
}
