//! Validation: raw JSON → [`Experiment`], reporting every problem at once, each at a JSON pointer.
//!
//! Chaos Toolkit stops at the first error; an operator fixing a long experiment wants them all. The
//! messages keep Chaos Toolkit's wording where it has one.

use super::aliases::{self, ALIASES};
use super::model::*;
use super::tolerance::Tolerance;
use serde_json::{Map, Value};
use std::fmt;

/// One problem, where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// JSON pointer (RFC 6901) to the offending value; empty for the whole document.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// Every problem validation found.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Invalid(pub Vec<ValidationError>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the experiment is invalid ({n} error{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {e}")?;
        }
        Ok(())
    }
}

/// Validates `raw` and builds the typed experiment.
pub fn validate(raw: &Value) -> Result<Experiment, Invalid> {
    let mut c = Checker::default();
    let experiment = c.experiment(raw);
    match experiment {
        Some(e) if c.errors.is_empty() => Ok(e),
        _ => Err(Invalid(c.errors)),
    }
}

/// Escapes a key for a JSON pointer.
fn pointer_key(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[derive(Default)]
struct Checker {
    errors: Vec<ValidationError>,
}

impl Checker {
    fn error(&mut self, pointer: &str, message: impl Into<String>) {
        self.errors.push(ValidationError {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    fn experiment(&mut self, raw: &Value) -> Option<Experiment> {
        let Some(doc) = raw.as_object() else {
            self.error("", "an experiment must be a JSON object");
            return None;
        };
        if doc.is_empty() {
            self.error("", "an empty experiment is not an experiment");
            return None;
        }
        let title = self.non_empty_string(doc, "", "title", "experiment requires a title");
        self.non_empty_string(doc, "", "description", "experiment requires a description");
        if let Some(tags) = doc.get("tags") {
            match tags.as_array() {
                Some(tags) => {
                    for (i, tag) in tags.iter().enumerate() {
                        if tag.as_str().is_none_or(str::is_empty) {
                            self.error(
                                &format!("/tags/{i}"),
                                "experiment tags must be a non-empty string",
                            );
                        }
                    }
                }
                None => self.error("/tags", "experiment tags must be a list of strings"),
            }
        }
        let configuration = match doc.get("configuration") {
            None => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => {
                self.error(
                    "/configuration",
                    "configuration must be an object of name → value",
                );
                Map::new()
            }
        };
        let hypothesis = doc
            .get("steady-state-hypothesis")
            .and_then(|h| self.hypothesis(h, "/steady-state-hypothesis"));
        let method = match doc.get("method") {
            Some(Value::Array(items)) => self.activities(items, "/method"),
            _ => {
                self.error(
                    "/method",
                    "an experiment requires a method, which can be empty for only checking steady \
                     state hypothesis",
                );
                Vec::new()
            }
        };
        let rollbacks = match doc.get("rollbacks") {
            None => Vec::new(),
            Some(Value::Array(items)) => self.activities(items, "/rollbacks"),
            Some(_) => {
                self.error("/rollbacks", "rollbacks must be a list of activities");
                Vec::new()
            }
        };
        Some(Experiment {
            raw: raw.clone(),
            title: title.unwrap_or_default(),
            configuration,
            hypothesis,
            method,
            rollbacks,
        })
    }

    fn hypothesis(&mut self, raw: &Value, at: &str) -> Option<Hypothesis> {
        let Some(h) = raw.as_object() else {
            self.error(at, "the steady-state hypothesis must be an object");
            return None;
        };
        let title = self.non_empty_string(h, at, "title", "hypothesis requires a title");
        let probes = match h.get("probes") {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let probes = self.activities(items, &format!("{at}/probes"));
                for (i, item) in items.iter().enumerate() {
                    if item
                        .as_object()
                        .is_some_and(|o| !o.contains_key("tolerance"))
                    {
                        self.error(
                            &format!("{at}/probes/{i}"),
                            "hypothesis probe must have a tolerance entry",
                        );
                    }
                }
                probes
            }
            Some(_) => {
                self.error(
                    &format!("{at}/probes"),
                    "probes must be a list of activities",
                );
                Vec::new()
            }
        };
        Some(Hypothesis {
            title: title.unwrap_or_default(),
            probes,
        })
    }

    fn activities(&mut self, items: &[Value], at: &str) -> Vec<Activity> {
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.activity(item, &format!("{at}/{i}")))
            .collect()
    }

    fn activity(&mut self, raw: &Value, at: &str) -> Option<Activity> {
        let Some(a) = raw.as_object() else {
            self.error(at, "an activity must be an object");
            return None;
        };
        if a.is_empty() {
            self.error(at, "empty activity is no activity");
            return None;
        }
        if a.contains_key("ref") {
            self.error(
                &format!("{at}/ref"),
                "activity references (`ref`) are not supported yet; copy the referenced activity here",
            );
            return None;
        }
        let kind = match a.get("type").and_then(Value::as_str) {
            Some("probe") => Some(ActivityKind::Probe),
            Some("action") => Some(ActivityKind::Action),
            Some(other) => {
                self.error(
                    &format!("{at}/type"),
                    format!("'{other}' is not a supported activity type (use probe or action)"),
                );
                None
            }
            None => {
                self.error(
                    &format!("{at}/type"),
                    "an activity must have a type (probe or action)",
                );
                None
            }
        };
        let name = self.non_empty_string(a, at, "name", "an activity must have a name");
        let timeout = self.optional_number(a, at, "timeout", "activity timeout must be a number");
        let pauses = a.get("pauses").and_then(Value::as_object);
        let pause = |c: &mut Checker, which: &str| -> f64 {
            let Some(v) = pauses.and_then(|p| p.get(which)) else {
                return 0.0;
            };
            match v.as_f64() {
                Some(s) if s >= 0.0 => s,
                _ => {
                    c.error(
                        &format!("{at}/pauses/{which}"),
                        format!("activity {which} pause must be a number of seconds"),
                    );
                    0.0
                }
            }
        };
        let pause_before = pause(self, "before");
        let pause_after = pause(self, "after");
        if let Some(bg) = a.get("background")
            && !bg.is_boolean()
        {
            self.error(
                &format!("{at}/background"),
                "activity background must be a boolean",
            );
        }
        if a.get("background").and_then(Value::as_bool) == Some(true) {
            self.error(
                &format!("{at}/background"),
                "background activities are not supported yet; remove `background`",
            );
        }
        let tolerance = a
            .get("tolerance")
            .and_then(|t| self.tolerance(t, &format!("{at}/tolerance")));
        let provider = match a.get("provider") {
            Some(p) => self.provider(p, &format!("{at}/provider")),
            None => {
                self.error(&format!("{at}/provider"), "an activity requires a provider");
                None
            }
        };
        Some(Activity {
            raw: raw.clone(),
            kind: kind?,
            name: name?,
            provider: provider?,
            tolerance,
            pause_before,
            pause_after,
            timeout,
        })
    }

    fn tolerance(&mut self, raw: &Value, at: &str) -> Option<Tolerance> {
        if let Some(kind) = raw
            .as_object()
            .map(|o| o.get("type").and_then(Value::as_str))
        {
            let what = kind.map(|k| format!(" '{k}'")).unwrap_or_default();
            self.error(
                at,
                format!(
                    "tolerance type{what} is not supported yet; use an integer, a string, a \
                     boolean or a list"
                ),
            );
            return None;
        }
        let tolerance = Tolerance::from_json(raw);
        if tolerance.is_none() {
            self.error(
                at,
                "hypothesis probe tolerance must either be an integer, a string, a boolean or a \
                 pair of values for boundaries",
            );
        }
        tolerance
    }

    fn provider(&mut self, raw: &Value, at: &str) -> Option<Provider> {
        let Some(p) = raw.as_object() else {
            self.error(at, "a provider must be an object");
            return None;
        };
        let arguments = match p.get("arguments") {
            None => Some(Map::new()),
            Some(Value::Object(map)) => Some(map.clone()),
            Some(_) if p.get("type").and_then(Value::as_str) == Some("process") => Some(Map::new()),
            Some(_) => {
                self.error(
                    &format!("{at}/arguments"),
                    "provider arguments must be an object",
                );
                None
            }
        };
        match p.get("type").and_then(Value::as_str) {
            Some("http") => self.http_provider(p, at),
            Some("python") => self.python_provider(p, at, arguments?),
            Some("process") => self.process_provider(p, at),
            Some("plugin") => self.plugin_provider(p, at, arguments?),
            Some(other) => {
                self.error(
                    &format!("{at}/type"),
                    format!(
                        "unknown provider type '{other}' (use http, python, process or plugin)"
                    ),
                );
                None
            }
            None => {
                self.error(&format!("{at}/type"), "a provider must have a type");
                None
            }
        }
    }

    /// `{"type": "http", ...}`: the built-in http plugin's `request`, with the provider's fields as
    /// arguments.
    fn http_provider(&mut self, p: &Map<String, Value>, at: &str) -> Option<Provider> {
        let url = self.non_empty_string(p, at, "url", "http provider must have a URL to call");
        if let Some(headers) = p.get("headers")
            && !headers.is_object()
        {
            self.error(&format!("{at}/headers"), "headers must be a dictionary");
        }
        let timeout = match p.get("timeout") {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            // `[connect, read]`: the call as a whole may take both.
            Some(Value::Array(pair)) if pair.len() == 2 && pair.iter().all(Value::is_number) => {
                Some(pair.iter().filter_map(Value::as_f64).sum())
            }
            Some(_) => {
                self.error(
                    &format!("{at}/timeout"),
                    "http timeout must be a number of seconds or a [connect, read] pair",
                );
                None
            }
        };
        let mut arguments = Map::new();
        arguments.insert("url".into(), Value::String(url?));
        for key in [
            "method",
            "headers",
            "arguments",
            "timeout",
            "verify_tls",
            "expected_status",
        ] {
            if let Some(v) = p.get(key) {
                arguments.insert(key.into(), v.clone());
            }
        }
        Some(Provider::Plugin(PluginCall {
            plugin: "http".into(),
            version: None,
            func: "request".into(),
            arguments,
            form: CallForm::Http,
            timeout,
        }))
    }

    fn python_provider(
        &mut self,
        p: &Map<String, Value>,
        at: &str,
        arguments: Map<String, Value>,
    ) -> Option<Provider> {
        let module = self.non_empty_string(p, at, "module", "a Python activity must have a module");
        let func = self.non_empty_string(p, at, "func", "a Python activity must have a func");
        let (module, func) = (module?, func?);
        let Some(alias) = aliases::find(&module, &func) else {
            let served: Vec<String> = ALIASES
                .iter()
                .map(|a| format!("{}.{} ({} plugin)", a.module, a.func, a.plugin))
                .collect();
            self.error(
                &format!("{at}/func"),
                format!(
                    "the python function '{module}.{func}' has no chaosrt plugin: chaosrt runs python \
                     providers through plugins and serves {}; use a {{\"type\": \"plugin\"}} provider \
                     with a plugin that offers this activity",
                    served.join(", ")
                ),
            );
            return None;
        };
        for required in alias.required {
            if !arguments.contains_key(*required) {
                self.error(
                    &format!("{at}/arguments"),
                    format!("{module}.{func} requires the argument '{required}'"),
                );
            }
        }
        for given in arguments.keys() {
            if !alias.required.contains(&given.as_str()) {
                self.error(
                    &format!("{at}/arguments/{}", pointer_key(given)),
                    format!("{module}.{func} takes no argument '{given}'"),
                );
            }
        }
        Some(Provider::Plugin(PluginCall {
            plugin: alias.plugin.into(),
            version: None,
            func: alias.activity.into(),
            arguments,
            form: CallForm::Python { module, func },
            timeout: None,
        }))
    }

    fn process_provider(&mut self, p: &Map<String, Value>, at: &str) -> Option<Provider> {
        let path = self.non_empty_string(p, at, "path", "a process activity must have a path");
        let timeout = self.optional_number(p, at, "timeout", "process timeout must be a number");
        let arguments = match p.get("arguments") {
            None | Some(Value::Null) => ProcessArguments::List(Vec::new()),
            Some(Value::String(s)) => ProcessArguments::Shell(s.clone()),
            Some(Value::Array(items)) => ProcessArguments::List(
                items
                    .iter()
                    .filter(|v| !v.is_null() && v.as_str() != Some(""))
                    .map(python_str)
                    .collect(),
            ),
            // Deprecated in Chaos Toolkit but still run: flattened to key/value pairs.
            Some(Value::Object(map)) => ProcessArguments::List(
                map.iter()
                    .flat_map(|(k, v)| [k.clone(), python_str(v)])
                    .collect(),
            ),
            Some(_) => {
                self.error(
                    &format!("{at}/arguments"),
                    "process arguments must be a string or a list",
                );
                ProcessArguments::List(Vec::new())
            }
        };
        Some(Provider::Process(ProcessCall {
            path: path?,
            arguments,
            timeout,
        }))
    }

    fn plugin_provider(
        &mut self,
        p: &Map<String, Value>,
        at: &str,
        arguments: Map<String, Value>,
    ) -> Option<Provider> {
        let spec = self.non_empty_string(
            p,
            at,
            "plugin",
            "a plugin provider must name its plugin (\"plugin\": \"NAME\" or \"NAME@VERSION\")",
        );
        let func = self.non_empty_string(
            p,
            at,
            "func",
            "a plugin provider must name the activity (func)",
        );
        let spec = spec?;
        let (plugin, version) = match spec.split_once('@') {
            Some((name, version)) => (name.to_string(), Some(version.to_string())),
            None => (spec, None),
        };
        let timeout = self.optional_number(p, at, "timeout", "provider timeout must be a number");
        Some(Provider::Plugin(PluginCall {
            plugin,
            version,
            func: func?,
            arguments,
            form: CallForm::Native,
            timeout,
        }))
    }

    fn non_empty_string(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        key: &str,
        message: &str,
    ) -> Option<String> {
        match obj.get(key).and_then(Value::as_str) {
            Some(s) if !s.is_empty() => Some(s.to_string()),
            _ => {
                self.error(&format!("{at}/{key}"), message);
                None
            }
        }
    }

    fn optional_number(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        key: &str,
        message: &str,
    ) -> Option<f64> {
        let value = obj.get(key)?;
        let number = value.as_f64();
        if number.is_none() {
            self.error(&format!("{at}/{key}"), message);
        }
        number
    }
}

/// Python's `str()` of a JSON value, as Chaos Toolkit builds a process command line.
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(raw: Value) -> Vec<String> {
        validate(&raw)
            .err()
            .map(|e| e.0.iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn reports_every_error_with_its_pointer() {
        let found = errors(json!({
            "title": "",
            "steady-state-hypothesis": {"title": "h", "probes": [
                {"type": "probe", "name": "p", "provider": {"type": "http", "url": "http://x"}},
                {"type": "probe", "name": "q", "tolerance": 1.5,
                 "provider": {"type": "http", "url": "http://x"}}
            ]},
            "method": [
                {"type": "action", "name": "a",
                 "provider": {"type": "python", "module": "chaosk8s.pod.actions", "func": "terminate_pods"}},
                {"type": "dance", "name": "b", "provider": {"type": "soap"}}
            ]
        }));
        let expected_prefixes = [
            "/title: experiment requires a title",
            "/description: experiment requires a description",
            "/steady-state-hypothesis/probes/1/tolerance: hypothesis probe tolerance must either",
            "/steady-state-hypothesis/probes/0: hypothesis probe must have a tolerance entry",
            "/method/0/provider/func: the python function 'chaosk8s.pod.actions.terminate_pods' has no chaosrt plugin",
            "/method/1/type: 'dance' is not a supported activity type",
            "/method/1/provider/type: unknown provider type 'soap'",
        ];
        assert_eq!(found.len(), expected_prefixes.len(), "{found:#?}");
        for prefix in expected_prefixes {
            assert!(
                found.iter().any(|f| f.starts_with(prefix)),
                "missing {prefix:?} in {found:#?}"
            );
        }
    }

    #[test]
    fn method_is_required_but_may_be_empty() {
        assert!(errors(json!({"title": "t", "description": "d"}))[0].starts_with("/method: "));
        assert!(validate(&json!({"title": "t", "description": "d", "method": []})).is_ok());
    }

    #[test]
    fn http_and_python_providers_become_plugin_calls() {
        let e = validate(&json!({"title": "t", "description": "d", "method": [
            {"type": "probe", "name": "h",
             "provider": {"type": "http", "url": "http://127.0.0.1:1/", "timeout": [1, 2]}},
            {"type": "action", "name": "m",
             "provider": {"type": "python", "module": "os", "func": "rename",
                          "arguments": {"src": "a", "dst": "b"}}}
        ]}))
        .unwrap();
        let Provider::Plugin(http) = &e.method[0].provider else {
            panic!()
        };
        assert_eq!(
            (http.plugin.as_str(), http.func.as_str(), http.timeout),
            ("http", "request", Some(3.0))
        );
        assert_eq!(http.arguments["url"], json!("http://127.0.0.1:1/"));
        let Provider::Plugin(mv) = &e.method[1].provider else {
            panic!()
        };
        assert_eq!((mv.plugin.as_str(), mv.func.as_str()), ("fs", "move"));
    }

    #[test]
    fn python_alias_arguments_are_checked() {
        let found = errors(json!({"title": "t", "description": "d", "method": [
            {"type": "action", "name": "m",
             "provider": {"type": "python", "module": "os", "func": "rename",
                          "arguments": {"src": "a", "dest": "b"}}}
        ]}));
        assert_eq!(
            found,
            [
                "/method/0/provider/arguments: os.rename requires the argument 'dst'",
                "/method/0/provider/arguments/dest: os.rename takes no argument 'dest'",
            ]
        );
    }

    #[test]
    fn process_arguments_follow_ctk() {
        let e = validate(&json!({"title": "t", "description": "d", "method": [
            {"type": "action", "name": "p",
             "provider": {"type": "process", "path": "echo", "arguments": ["a", null, "", 3, true]}}
        ]}))
        .unwrap();
        let Provider::Process(p) = &e.method[0].provider else {
            panic!()
        };
        let ProcessArguments::List(args) = &p.arguments else {
            panic!()
        };
        assert_eq!(args, &["a", "3", "True"]);
    }
}
