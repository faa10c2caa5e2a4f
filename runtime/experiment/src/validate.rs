//! Validation: raw JSON → [`Experiment`], reporting every problem at once, each at a JSON pointer.
//!
//! Chaos Toolkit stops at the first error (`chaoslib/experiment.py::ensure_experiment_is_valid`); an
//! operator fixing a long experiment wants them all. Messages keep Chaos Toolkit's wording where it
//! has one. Where Chaos Toolkit would accept something and then crash or silently do nothing (an
//! unknown strategy, a dangling reference in the rollbacks, a float tolerance) this says so up
//! front, and what chaosrt does not support (controls, vault, dynamic configuration) is refused
//! rather than ignored. Environment lookups happen later, in `config::resolve`.

use super::aliases::{self, ALIASES};
use super::config::{self, ConfigDeclaration, SecretDeclaration, VAULT};
use super::model::*;
use super::python::py_truthy;
use super::substitute::{Placeholder, Source, whole_reference, whole_reference_message};
use super::tolerance::{Declared, Tolerance};
use serde_json::{Map, Value};
use std::collections::HashMap;
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

/// Every problem validation (or resolution) found.
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

/// Validates `raw` and builds the typed experiment, references resolved.
pub fn validate(raw: &Value) -> Result<Experiment, Invalid> {
    validate_with(raw, &[])
}

/// A top-level Python module an installed plugin serves: `(module, plugin, version)`.
pub type PythonServed = (String, String, String);

/// [`validate`], with `{"type": "python"}` providers whose module an installed Python bundle
/// serves (`served`) running in that plugin, as its activity `M.F`. The alias table wins where it
/// has the function.
pub fn validate_with(raw: &Value, served: &[PythonServed]) -> Result<Experiment, Invalid> {
    let mut c = Checker {
        served,
        ..Checker::default()
    };
    let experiment = c.experiment(raw);
    match experiment {
        Some(e) if c.errors.is_empty() => Ok(e),
        _ => Err(Invalid(c.errors)),
    }
}

/// Escapes a key for a JSON pointer.
pub(super) fn pointer_key(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Where an activity sits: it decides which fields apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Hypothesis,
    Method,
    Rollbacks,
    /// The activity of a `{"type": "probe"}` tolerance.
    ToleranceProbe,
    /// A dynamic configuration probe.
    Configuration,
}

/// An entry of the hypothesis, method or rollbacks before references are resolved.
enum Entry {
    /// `None` when the activity is invalid (its errors are already reported).
    Activity(Option<Box<Activity>>),
    Reference(Box<Reference>),
}

/// `{"ref": "name", …}`: the fields Chaos Toolkit (and chaosrt) read from the reference itself.
struct Reference {
    /// Empty when the reference itself is invalid.
    name: String,
    at: String,
    /// Hypothesis only: the tolerance used for the referenced probe.
    tolerance: Option<Tolerance>,
    /// Method and rollbacks: Chaos Toolkit decides on background from the reference entry.
    background: bool,
    retry: Option<Retry>,
    assert: Option<Tolerance>,
}

/// What `ref` can name: the method's and the hypothesis probes' activities, by name, the last
/// duplicate winning (`chaoslib/caching.py::cache_activities`). `None` for an invalid activity.
type Targets<'a> = HashMap<&'a str, Option<&'a Activity>>;

#[derive(Default)]
struct Checker<'s> {
    errors: Vec<ValidationError>,
    /// Python modules installed bundles serve.
    served: &'s [PythonServed],
    /// Process `arguments` that are one `${…}` alone, with their pointers: refused once the whole
    /// experiment says whether a plugin shapes that value.
    whole_arguments: Vec<(String, String)>,
}

impl Checker<'_> {
    fn error(&mut self, pointer: &str, message: impl Into<String>) {
        self.errors.push(ValidationError {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    fn experiment(&mut self, raw: &Value) -> Option<Experiment> {
        let doc = match raw {
            Value::Object(doc) if !doc.is_empty() => doc,
            Value::Object(_) | Value::Null => {
                self.error("", "an empty experiment is not an experiment");
                return None;
            }
            _ => {
                self.error("", "an experiment must be a JSON object");
                return None;
            }
        };
        let title = self.non_empty_string(doc, "", "title", "experiment requires a title");
        self.non_empty_string(doc, "", "description", "experiment requires a description");
        self.tags(doc.get("tags"));
        let grants = self.extensions(doc.get("extensions"));
        self.controls(doc.get("controls"), "/controls");
        let (configuration, dynamic_configuration) = self.configuration(doc.get("configuration"));
        let secrets = self.secrets(doc.get("secrets"));
        let runtime = self.runtime(doc.get("runtime"));

        let (hypothesis_title, probe_items, probe_entries) = match doc
            .get("steady-state-hypothesis")
        {
            None | Some(Value::Null) => (None, &[][..], Vec::new()),
            Some(Value::Object(h)) => {
                let at = "/steady-state-hypothesis";
                let title = self.non_empty_string(h, at, "title", "hypothesis requires a title");
                self.controls(h.get("controls"), &format!("{at}/controls"));
                let items = self.list(h.get("probes"), &format!("{at}/probes"), "probes", false);
                let entries = self.entries(items, &format!("{at}/probes"), Place::Hypothesis);
                (Some(title.unwrap_or_default()), items, entries)
            }
            Some(_) => {
                self.error(
                    "/steady-state-hypothesis",
                    "the steady-state hypothesis must be an object with a title and probes",
                );
                (None, &[][..], Vec::new())
            }
        };
        let method_items = self.list(doc.get("method"), "/method", "method", true);
        let method_entries = self.entries(method_items, "/method", Place::Method);
        let rollback_items = self.list(doc.get("rollbacks"), "/rollbacks", "rollbacks", false);
        let rollback_entries = self.entries(rollback_items, "/rollbacks", Place::Rollbacks);

        let mut targets = Targets::new();
        for (items, entries) in [
            (method_items, &method_entries),
            (probe_items, &probe_entries),
        ] {
            for (item, entry) in items.iter().zip(entries) {
                if let (Some(name), Entry::Activity(activity)) =
                    (item.get("name").and_then(Value::as_str), entry)
                {
                    targets.insert(name, activity.as_deref());
                }
            }
        }
        let probes = self.resolve(&probe_entries, Place::Hypothesis, &targets);
        let method = self.resolve(&method_entries, Place::Method, &targets);
        let rollbacks = self.resolve(&rollback_entries, Place::Rollbacks, &targets);

        let experiment = Experiment {
            raw: raw.clone(),
            title: title.unwrap_or_default(),
            configuration,
            secrets,
            dynamic_configuration,
            hypothesis: hypothesis_title.map(|title| Hypothesis { title, probes }),
            method,
            rollbacks,
            runtime,
            grants,
        };
        self.tainted_whole_arguments(&experiment);
        Some(experiment)
    }

    /// A process `arguments` string that is one placeholder alone takes its value's type, so a
    /// plugin's value there would choose between the shell form and the argv form: refused when the
    /// value is tainted as far as the experiment tells (a plugin's output, plugin-computed
    /// configuration). The run checks again with the values themselves.
    fn tainted_whole_arguments(&mut self, experiment: &Experiment) {
        let tainted_configuration = experiment.tainted_configuration();
        let from_plugins = |name: &str| {
            let hypothesis = experiment.hypothesis.iter().flat_map(|h| &h.probes);
            hypothesis
                .chain(&experiment.method)
                .chain(&experiment.rollbacks)
                .any(|a| a.name == name && matches!(a.provider, Provider::Plugin(_)))
        };
        for (at, arguments) in std::mem::take(&mut self.whole_arguments) {
            let source = match whole_reference(&arguments) {
                Some(Placeholder::Name(key)) if tainted_configuration.contains(key) => {
                    Source::Configuration
                }
                Some(Placeholder::Output(activity)) if from_plugins(activity) => Source::Output,
                _ => continue,
            };
            self.error(&at, whole_reference_message(&arguments, source));
        }
    }

    fn tags(&mut self, tags: Option<&Value>) {
        match tags {
            None | Some(Value::Null) => {}
            Some(Value::Array(tags)) => {
                for (i, tag) in tags.iter().enumerate() {
                    if tag.as_str().is_none_or(str::is_empty) {
                        self.error(
                            &format!("/tags/{i}"),
                            "experiment tags must be a non-empty string",
                        );
                    }
                }
            }
            Some(_) => self.error("/tags", "experiment tags must be a list of strings"),
        }
    }

    /// Chaos Toolkit's check of `extensions`, and chaosrt's own: the per-run grants of the item
    /// named `chaosrt`.
    fn extensions(&mut self, extensions: Option<&Value>) -> Vec<RunGrants> {
        let mut grants = Vec::new();
        match extensions {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                let mut ours = None;
                for (i, item) in items.iter().enumerate() {
                    let name = item.get("name").and_then(Value::as_str);
                    if name.is_none_or(|n| n.trim().is_empty()) {
                        self.error(
                            &format!("/extensions/{i}/name"),
                            "All extensions require a non-empty name",
                        );
                    }
                    if name != Some(CHAOSRT_EXTENSION) {
                        continue;
                    }
                    let at = format!("/extensions/{i}");
                    if let Some(first) = ours.replace(i) {
                        self.error(
                            &at,
                            format!(
                                "a second `chaosrt` extension; put its settings in /extensions/{first}"
                            ),
                        );
                        continue;
                    }
                    grants = self.chaosrt_extension(item, &at);
                }
            }
            Some(_) => self.error(
                "/extensions",
                "extensions must be a list of objects, each with a name",
            ),
        }
        grants
    }

    /// `{"name": "chaosrt", "grants": {"PLUGIN": ["KIND=VALUE", …]}}`.
    fn chaosrt_extension(&mut self, item: &Value, at: &str) -> Vec<RunGrants> {
        let Some(item) = item.as_object() else {
            return Vec::new();
        };
        for key in item
            .keys()
            .filter(|k| !["name", "grants"].contains(&k.as_str()))
        {
            self.error(
                &format!("{at}/{}", pointer_key(key)),
                format!("`{key}` is not a setting of chaosrt's extension (it has `grants`)"),
            );
        }
        let at = format!("{at}/grants");
        let shape = "grants must be an object: plugin name -> list of grants such as \
                     \"filesystem=.:read-only\"";
        let plugins = match item.get("grants") {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Object(plugins)) => plugins,
            Some(_) => {
                self.error(&at, shape);
                return Vec::new();
            }
        };
        let mut all = Vec::new();
        for (plugin, list) in plugins {
            let at = format!("{at}/{}", pointer_key(plugin));
            let Some(items) = list.as_array() else {
                self.error(&at, shape);
                continue;
            };
            let mut grants = Vec::new();
            for (i, grant) in items.iter().enumerate() {
                match grant.as_str() {
                    Some(text) if text.contains('=') => {
                        grants.push((format!("{at}/{i}"), text.to_string()));
                    }
                    _ => self.error(
                        &format!("{at}/{i}"),
                        "a grant is a string KIND=VALUE, e.g. \"filesystem=.:read-only\" or \
                         \"http-origin=https://api.example.com\"",
                    ),
                }
            }
            all.push(RunGrants {
                plugin: plugin.clone(),
                pointer: at,
                grants,
            });
        }
        all
    }

    /// Controls run user Python code around every phase; chaosrt has no equivalent yet, and running
    /// without them would not be the experiment the operator wrote.
    fn controls(&mut self, controls: Option<&Value>, at: &str) {
        match controls {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.is_empty() => {}
            Some(_) => self.error(
                at,
                "controls are not supported by chaosrt: remove them to run the experiment without \
                 them, or run it with Chaos Toolkit",
            ),
        }
    }

    /// The configuration declarations, and the dynamic ones (probes) parsed as activities.
    fn configuration(
        &mut self,
        configuration: Option<&Value>,
    ) -> (Map<String, Value>, Vec<(String, Activity)>) {
        match configuration {
            None | Some(Value::Null) => (Map::new(), Vec::new()),
            Some(Value::Object(map)) => {
                let mut dynamic = Vec::new();
                for (key, value) in map {
                    let at = format!("/configuration/{}", pointer_key(key));
                    match config::configuration_declaration(value) {
                        Err(message) => self.error(&at, message),
                        Ok(ConfigDeclaration::Probe) => {
                            let probe = value
                                .as_object()
                                .and_then(|m| self.activity(value, m, &at, Place::Configuration));
                            dynamic.extend(probe.map(|p| (key.clone(), p)));
                        }
                        Ok(ConfigDeclaration::Literal(_) | ConfigDeclaration::Env { .. }) => {}
                    }
                }
                (map.clone(), dynamic)
            }
            Some(_) => {
                self.error(
                    "/configuration",
                    "configuration must be an object of name → value",
                );
                (Map::new(), Vec::new())
            }
        }
    }

    fn secrets(&mut self, secrets: Option<&Value>) -> Map<String, Value> {
        match secrets {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => {
                for (scope, value) in map {
                    self.secret(value, &format!("/secrets/{}", pointer_key(scope)));
                }
                map.clone()
            }
            Some(_) => {
                self.error(
                    "/secrets",
                    "secrets must be an object of scope → {name → value}",
                );
                Map::new()
            }
        }
    }

    fn secret(&mut self, value: &Value, at: &str) {
        match config::secret_declaration(value) {
            Err(message) => self.error(at, message),
            Ok(SecretDeclaration::Vault) => self.error(at, VAULT),
            Ok(SecretDeclaration::Nested(map)) => {
                for (key, value) in map {
                    self.secret(value, &format!("{at}/{}", pointer_key(key)));
                }
            }
            Ok(SecretDeclaration::Literal(_) | SecretDeclaration::Env(_)) => {}
        }
    }

    /// Chaos Toolkit only looks at a non-empty `runtime` (a falsy one changes nothing).
    fn runtime(&mut self, runtime: Option<&Value>) -> Option<RuntimeBlock> {
        let block = match runtime {
            None | Some(Value::Null) => return None,
            Some(Value::Object(block)) if block.is_empty() => return None,
            Some(Value::Object(block)) => block,
            Some(_) => {
                self.error(
                    "/runtime",
                    "runtime must be an object: {\"hypothesis\": {\"strategy\": …}, \
                     \"rollbacks\": {\"strategy\": …}}",
                );
                return None;
            }
        };
        let hypothesis =
            self.strategy(block, "hypothesis")
                .and_then(|s| match HypothesisStrategy::parse(s) {
                    Some((strategy, _)) => Some(strategy),
                    None => {
                        self.error(
                        "/runtime/hypothesis/strategy",
                        format!(
                            "unknown hypothesis strategy '{s}' (use default, before-method-only, \
                             after-method-only, during-method-only, continuously or skip)"
                        ),
                    );
                        None
                    }
                });
        let rollbacks =
            self.strategy(block, "rollbacks")
                .and_then(|s| match RollbackStrategy::parse(s) {
                    Some(strategy) => Some(strategy),
                    None => {
                        // Chaos Toolkit would silently never play the rollbacks.
                        self.error(
                            "/runtime/rollbacks/strategy",
                            format!(
                                "unknown rollbacks strategy '{s}' (use default, always, never or \
                             deviated)"
                            ),
                        );
                        None
                    }
                });
        Some(RuntimeBlock {
            hypothesis,
            rollbacks,
        })
    }

    /// `runtime.<key>.strategy` as written, reporting a wrong shape.
    fn strategy<'v>(&mut self, block: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
        let at = format!("/runtime/{key}");
        match block.get(key) {
            None => None,
            Some(Value::Object(part)) => match part.get("strategy") {
                None => None,
                Some(Value::String(s)) => Some(s),
                Some(_) => {
                    self.error(&format!("{at}/strategy"), "a strategy must be a string");
                    None
                }
            },
            Some(_) => {
                self.error(
                    &at,
                    format!("runtime {key} must be an object with a strategy"),
                );
                None
            }
        }
    }

    /// The items of a list field; `required` lists (the method) must be present.
    fn list<'v>(
        &mut self,
        value: Option<&'v Value>,
        at: &str,
        what: &str,
        required: bool,
    ) -> &'v [Value] {
        match value {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) if required => {
                self.error(
                    at,
                    "an experiment requires a method, which can be empty for only checking steady \
                     state hypothesis",
                );
                &[]
            }
            None | Some(Value::Null) => &[],
            Some(_) => {
                self.error(at, format!("{what} must be a list of activities"));
                &[]
            }
        }
    }

    fn entries(&mut self, items: &[Value], at: &str, place: Place) -> Vec<Entry> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.entry(item, &format!("{at}/{i}"), place))
            .collect()
    }

    fn entry(&mut self, raw: &Value, at: &str, place: Place) -> Entry {
        let Some(a) = raw.as_object() else {
            self.error(at, "an activity must be an object");
            return Entry::Activity(None);
        };
        if a.is_empty() {
            self.error(at, "empty activity is no activity");
            return Entry::Activity(None);
        }
        if a.get("ref").is_some_and(|r| !r.is_null()) {
            return Entry::Reference(Box::new(self.reference(a, at, place)));
        }
        Entry::Activity(self.activity(raw, a, at, place).map(Box::new))
    }

    fn reference(&mut self, a: &Map<String, Value>, at: &str, place: Place) -> Reference {
        let name = match a.get("ref") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => {
                self.error(
                    &format!("{at}/ref"),
                    "reference to activity must be non-empty strings",
                );
                String::new()
            }
        };
        let tolerance = if place == Place::Hypothesis {
            self.hypothesis_tolerance(a, at)
        } else {
            None
        };
        Reference {
            name,
            at: at.to_string(),
            tolerance,
            background: self.background(a, at),
            retry: self.retry(a, at, place),
            assert: self.assert(a, at, place, None),
        }
    }

    fn activity(
        &mut self,
        raw: &Value,
        a: &Map<String, Value>,
        at: &str,
        place: Place,
    ) -> Option<Activity> {
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
        let provider = match a.get("provider") {
            Some(p) => self.provider(p, &format!("{at}/provider")),
            None => {
                self.error(&format!("{at}/provider"), "an activity requires a provider");
                None
            }
        };
        let timeout = self.seconds(a, at, "timeout", "activity timeout must be a number");
        let (pause_before, pause_after) = self.pauses(a, at);
        let background = self.background(a, at);
        self.controls(a.get("controls"), &format!("{at}/controls"));
        let tolerance = if place == Place::Hypothesis {
            self.hypothesis_tolerance(a, at)
        } else {
            None
        };
        let retry = self.retry(a, at, place);
        let assert = self.assert(a, at, place, kind);
        Some(Activity {
            raw: raw.clone(),
            kind: kind?,
            name: name?,
            provider: provider?,
            tolerance,
            pause_before,
            pause_after,
            background,
            timeout,
            retry,
            assert,
        })
    }

    fn hypothesis_tolerance(&mut self, a: &Map<String, Value>, at: &str) -> Option<Tolerance> {
        match a.get("tolerance") {
            Some(raw) => self.tolerance(raw, &format!("{at}/tolerance")),
            None => {
                self.error(at, "hypothesis probe must have a tolerance entry");
                None
            }
        }
    }

    fn tolerance(&mut self, raw: &Value, at: &str) -> Option<Tolerance> {
        match Tolerance::declared(raw) {
            Ok(Declared::Tolerance(tolerance)) => Some(tolerance),
            Ok(Declared::Probe(map)) if map.get("ref").is_some_and(|r| !r.is_null()) => {
                self.error(
                    &format!("{at}/ref"),
                    "a probe tolerance cannot be a reference: declare the probe here",
                );
                None
            }
            Ok(Declared::Probe(map)) => self
                .activity(raw, map, at, Place::ToleranceProbe)
                .map(|probe| Tolerance::Probe(Box::new(probe))),
            Err(errors) => {
                for (relative, message) in errors {
                    self.error(&format!("{at}{relative}"), message);
                }
                None
            }
        }
    }

    /// chaosrt's `retry`, on hypothesis probes.
    fn retry(&mut self, a: &Map<String, Value>, at: &str, place: Place) -> Option<Retry> {
        let raw = a.get("retry").filter(|r| !r.is_null())?;
        let at = format!("{at}/retry");
        if place != Place::Hypothesis {
            self.error(
                &at,
                "retry is a chaosrt extension for steady-state hypothesis probes only",
            );
            return None;
        }
        let shape = "retry must be {\"count\": N, \"interval\": SECONDS}: N more attempts, \
                     SECONDS apart (default 1)";
        let Some(map) = raw.as_object() else {
            self.error(&at, shape);
            return None;
        };
        if map.keys().any(|k| k != "count" && k != "interval") {
            self.error(&at, shape);
        }
        let count = map
            .get("count")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        if count.is_none() {
            self.error(
                &format!("{at}/count"),
                "retry count must be a non-negative integer",
            );
        }
        let interval = self
            .seconds(
                map,
                &at,
                "interval",
                "retry interval must be a number of seconds",
            )
            .unwrap_or(1.0);
        Some(Retry {
            count: count?,
            interval,
        })
    }

    /// chaosrt's `assert`, on method probes. `kind` is unknown for a reference (checked once it is
    /// resolved).
    fn assert(
        &mut self,
        a: &Map<String, Value>,
        at: &str,
        place: Place,
        kind: Option<ActivityKind>,
    ) -> Option<Tolerance> {
        let raw = a.get("assert").filter(|r| !r.is_null())?;
        let at = format!("{at}/assert");
        if place != Place::Method {
            self.error(
                &at,
                "assert is a chaosrt extension for method probes only (in the steady-state \
                 hypothesis, use tolerance)",
            );
            return None;
        }
        if kind == Some(ActivityKind::Action) {
            self.error(&at, ASSERT_ON_ACTION);
            return None;
        }
        self.tolerance(raw, &at)
    }

    fn background(&mut self, a: &Map<String, Value>, at: &str) -> bool {
        match a.get("background") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.error(
                    &format!("{at}/background"),
                    "activity background must be a boolean",
                );
                false
            }
        }
    }

    fn pauses(&mut self, a: &Map<String, Value>, at: &str) -> (Option<Pause>, Option<Pause>) {
        match a.get("pauses") {
            None | Some(Value::Null) => (None, None),
            Some(Value::Object(pauses)) => {
                let at = format!("{at}/pauses");
                (
                    self.pause(pauses, &at, "before"),
                    self.pause(pauses, &at, "after"),
                )
            }
            Some(_) => {
                self.error(
                    &format!("{at}/pauses"),
                    "activity pauses must be an object with before and/or after",
                );
                (None, None)
            }
        }
    }

    /// A number of seconds, or a string of the form `${…}` (what Chaos Toolkit checks).
    fn pause(&mut self, pauses: &Map<String, Value>, at: &str, which: &str) -> Option<Pause> {
        let at = format!("{at}/{which}");
        match pauses.get(which)? {
            Value::Null => None,
            Value::Number(n) => match n.as_f64() {
                Some(s) if s < 0.0 => {
                    self.error(&at, format!("activity {which} pause cannot be negative"));
                    None
                }
                Some(s) if s > 0.0 => Some(Pause::Seconds(s)),
                _ => None,
            },
            Value::String(s) if s.starts_with("${") && s.ends_with('}') => {
                Some(Pause::Var(s.clone()))
            }
            _ => {
                self.error(
                    &at,
                    format!(
                        "activity {which} pause must be a number or a pattern to a variable from \
                         the configuration or secrets"
                    ),
                );
                None
            }
        }
    }

    fn provider(&mut self, raw: &Value, at: &str) -> Option<Provider> {
        let p = match raw {
            Value::Object(p) if !p.is_empty() => p,
            Value::Object(_) | Value::Null => {
                self.error(at, "an activity requires a provider");
                return None;
            }
            _ => {
                self.error(at, "a provider must be an object");
                return None;
            }
        };
        match p.get("type").and_then(Value::as_str) {
            Some("http") => self.http_provider(p, at),
            Some("python") => self.python_provider(p, at),
            Some("process") => self.process_provider(p, at),
            Some("plugin") => self.plugin_provider(p, at),
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

    /// `arguments` of a python or plugin provider: an object of keyword arguments.
    fn keyword_arguments(
        &mut self,
        p: &Map<String, Value>,
        at: &str,
    ) -> Option<Map<String, Value>> {
        match p.get("arguments") {
            None | Some(Value::Null) => Some(Map::new()),
            Some(Value::Object(map)) => Some(map.clone()),
            Some(_) => {
                self.error(
                    &format!("{at}/arguments"),
                    "provider arguments must be an object",
                );
                None
            }
        }
    }

    /// `provider.secrets`: the secret scopes the activity receives.
    fn secret_scopes(&mut self, p: &Map<String, Value>, at: &str) -> Vec<String> {
        let scopes = match p.get("secrets") {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>(),
            Some(_) => None,
        };
        scopes.unwrap_or_else(|| {
            self.error(
                &format!("{at}/secrets"),
                "provider secrets must be a list of secret scope names",
            );
            Vec::new()
        })
    }

    /// chaosrt's `provider.allowed_origins`: origins a call may reach when a value a plugin shaped
    /// (an earlier output, plugin-computed configuration) chose its URL. Chaos Toolkit ignores the key.
    fn allowed_origins(&mut self, p: &Map<String, Value>, at: &str) -> Vec<String> {
        let at = format!("{at}/allowed_origins");
        let items = match p.get("allowed_origins") {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.error(
                    &at,
                    "allowed_origins must be a list of origins, e.g. [\"https://api.example.com\", \
                     \"http://127.0.0.1:9000\"]",
                );
                return Vec::new();
            }
        };
        let mut origins = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str().filter(|s| is_origin(s)) {
                Some(origin) => origins.push(origin.to_string()),
                None => self.error(
                    &format!("{at}/{i}"),
                    format!(
                        "{item} is not an http(s) origin: write scheme://host[:port] with nothing \
                         after it, e.g. \"http://127.0.0.1:9000\""
                    ),
                ),
            }
        }
        origins
    }

    /// `{"type": "http", ...}`: the built-in http plugin's `request`, with the provider's fields as
    /// arguments. Chaos Toolkit ignores `secrets` here.
    fn http_provider(&mut self, p: &Map<String, Value>, at: &str) -> Option<Provider> {
        let url = self.non_empty_string(p, at, "url", "a HTTP activity must have a URL");
        if p.get("method").is_some_and(|m| !m.is_string()) {
            self.error(&format!("{at}/method"), "the HTTP method must be a string");
        }
        if p.get("headers")
            .is_some_and(|h| py_truthy(h) && !h.is_object())
        {
            self.error(
                &format!("{at}/headers"),
                "a HTTP activities expect headers as a mapping",
            );
        }
        let timeout = match p.get("timeout") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            // `[connect, read]`: the call as a whole may take both.
            Some(Value::Array(pair)) if pair.len() == 2 && pair.iter().all(Value::is_number) => {
                Some(pair.iter().filter_map(Value::as_f64).sum())
            }
            // Substituted at run time; the plugin reads it from its arguments.
            Some(Value::String(s)) if s.starts_with('$') => None,
            Some(_) => {
                self.error(
                    &format!("{at}/timeout"),
                    "http timeout must be a number of seconds or a [connect, read] pair",
                );
                None
            }
        };
        let allowed_origins = self.allowed_origins(p, at);
        let mut arguments = Map::new();
        arguments.insert("url".into(), Value::String(url?));
        for key in [
            "method",
            "headers",
            "arguments",
            "timeout",
            "verify_tls",
            "expected_status",
            "max_retries",
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
            secrets: Vec::new(),
            allowed_origins,
        }))
    }

    fn python_provider(&mut self, p: &Map<String, Value>, at: &str) -> Option<Provider> {
        let module =
            self.non_empty_string(p, at, "module", "a Python activity must have a module path");
        let func =
            self.non_empty_string(p, at, "func", "a Python activity must have a function name");
        let arguments = self.keyword_arguments(p, at);
        let secrets = self.secret_scopes(p, at);
        let (module, func) = (module?, func?);
        let served = self.served;
        let bundle = served.iter().find(|(top, _, _)| {
            module == *top
                || module
                    .strip_prefix(top.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        });
        if let (None, Some((_, plugin, version))) = (aliases::find(&module, &func), bundle) {
            let allowed_origins = self.allowed_origins(p, at);
            return Some(Provider::Plugin(PluginCall {
                plugin: plugin.clone(),
                version: Some(version.clone()),
                func: format!("{module}.{func}"),
                arguments: arguments?,
                form: CallForm::Python { module, func },
                timeout: None,
                secrets,
                allowed_origins,
            }));
        }
        let Some(alias) = aliases::find(&module, &func) else {
            if module == "chaosk8s" || module.starts_with("chaosk8s.") {
                let why = match aliases::unserved(&module, &func) {
                    Some(why) => why.to_string(),
                    None => {
                        let served: Vec<&str> = ALIASES
                            .iter()
                            .filter(|a| a.module == module)
                            .map(|a| a.func)
                            .collect();
                        if served.is_empty() {
                            format!("chaosrt serves nothing of {module}")
                        } else {
                            format!("of {module} it serves {}", served.join(", "))
                        }
                    }
                };
                self.error(
                    &format!("{at}/func"),
                    format!(
                        "chaosrt's kubernetes plugin does not offer chaostoolkit-kubernetes' \
                         '{module}.{func}': {why} (docs/kubernetes.md lists what it serves)"
                    ),
                );
                return None;
            }
            let served: Vec<String> = ALIASES
                .iter()
                .map(|a| format!("{}.{} ({} plugin)", a.module, a.func, a.plugin))
                .collect();
            self.error(
                &format!("{at}/func"),
                format!(
                    "the python function '{module}.{func}' has no chaosrt plugin: chaosrt runs python \
                     providers through plugins and serves {}; install the Chaos Toolkit extension \
                     that provides it (`chaosrt plugin install python:PACKAGE==VERSION`), or use a \
                     {{\"type\": \"plugin\"}} provider with a plugin that offers this activity",
                    served.join(", ")
                ),
            );
            return None;
        };
        let arguments = arguments?;
        for required in alias.required {
            if !arguments.contains_key(*required) {
                self.error(
                    &format!("{at}/arguments"),
                    format!("{module}.{func} requires the argument '{required}'"),
                );
            }
        }
        for given in arguments.keys() {
            if let Some(refusal) = alias.refusal(given) {
                self.error(&format!("{at}/arguments/{}", pointer_key(given)), refusal);
            }
        }
        Some(Provider::Plugin(PluginCall {
            plugin: alias.plugin.into(),
            version: None,
            func: alias.activity.into(),
            arguments,
            form: CallForm::Python { module, func },
            timeout: None,
            secrets,
            allowed_origins: Vec::new(),
        }))
    }

    fn process_provider(&mut self, p: &Map<String, Value>, at: &str) -> Option<Provider> {
        let path = self.non_empty_string(p, at, "path", "a process activity must have a path");
        let timeout = self.seconds(p, at, "timeout", "process timeout must be a number");
        let arguments = p.get("arguments").cloned().unwrap_or(Value::Null);
        if let Value::String(s) = &arguments
            && whole_reference(s).is_some()
        {
            self.whole_arguments
                .push((format!("{at}/arguments"), s.clone()));
        }
        if !matches!(
            arguments,
            Value::Null | Value::String(_) | Value::Array(_) | Value::Object(_)
        ) {
            self.error(
                &format!("{at}/arguments"),
                "process arguments must be a string (run by the shell), a list, or (deprecated) an \
                 object",
            );
        }
        Some(Provider::Process(ProcessCall {
            path: path?,
            arguments,
            timeout,
        }))
    }

    fn plugin_provider(&mut self, p: &Map<String, Value>, at: &str) -> Option<Provider> {
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
        let arguments = self.keyword_arguments(p, at);
        let secrets = self.secret_scopes(p, at);
        let timeout = self.seconds(p, at, "timeout", "provider timeout must be a number");
        let allowed_origins = self.allowed_origins(p, at);
        let spec = spec?;
        let (plugin, version) = match spec.split_once('@') {
            Some((name, version)) => (name.to_string(), Some(version.to_string())),
            None => (spec, None),
        };
        Some(Provider::Plugin(PluginCall {
            plugin,
            version,
            func: func?,
            arguments: arguments?,
            form: CallForm::Native,
            timeout,
            secrets,
            allowed_origins,
        }))
    }

    /// References replaced by the activities they name, with the fields the reference decides.
    fn resolve(&mut self, entries: &[Entry], place: Place, targets: &Targets) -> Vec<Activity> {
        let mut resolved = Vec::with_capacity(entries.len());
        for entry in entries {
            match entry {
                Entry::Activity(activity) => resolved.extend(activity.as_deref().cloned()),
                Entry::Reference(r) if r.name.is_empty() => {}
                Entry::Reference(r) => match targets.get(r.name.as_str()) {
                    None => self.error(
                        &format!("{}/ref", r.at),
                        format!(
                            "referenced activity '{}' could not be found in the experiment",
                            r.name
                        ),
                    ),
                    // The target is invalid and reported where it is.
                    Some(None) => {}
                    Some(Some(target)) => {
                        let mut activity = (*target).clone();
                        match place {
                            Place::Hypothesis => {
                                activity.tolerance = r.tolerance.clone();
                                activity.retry = r.retry.or(activity.retry);
                                activity.assert = None;
                            }
                            Place::Method
                            | Place::Rollbacks
                            | Place::ToleranceProbe
                            | Place::Configuration => {
                                if r.assert.is_some() && activity.kind == ActivityKind::Action {
                                    self.error(&format!("{}/assert", r.at), ASSERT_ON_ACTION);
                                }
                                activity.tolerance = None;
                                activity.retry = None;
                                activity.background = r.background;
                                activity.assert = match place {
                                    Place::Method => r.assert.clone().or(activity.assert),
                                    _ => None,
                                };
                            }
                        }
                        resolved.push(activity);
                    }
                },
            }
        }
        resolved
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

    /// An optional non-negative number of seconds.
    fn seconds(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        key: &str,
        message: &str,
    ) -> Option<f64> {
        let value = obj.get(key).filter(|v| !v.is_null())?;
        let seconds = value.as_f64().filter(|s| *s >= 0.0);
        if seconds.is_none() {
            self.error(&format!("{at}/{key}"), message);
        }
        seconds
    }
}

/// `http(s)://host[:port]`, optionally with a final `/`: no user, path, query or fragment, so that it
/// names exactly one origin.
fn is_origin(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    host_ok && port.is_none_or(|p| p.parse::<u16>().is_ok())
}

const ASSERT_ON_ACTION: &str =
    "assert is a chaosrt extension for probes only: an action's output is not checked";

#[cfg(test)]
mod tests;
