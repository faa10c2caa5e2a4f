//! The typed experiment the engine runs. Each activity keeps its raw JSON too: the journal records
//! activities exactly as written, unsubstituted.

use super::python::py_str;
use super::substitute::{Placeholder, references};
use super::tolerance::Tolerance;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A validated experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The experiment as loaded, key order kept.
    pub raw: Value,
    /// Unsubstituted; Chaos Toolkit substitutes it at run start and journals the result.
    pub title: String,
    /// The `configuration` declarations as written (env lookups unresolved; see `config::resolve`).
    pub configuration: Map<String, Value>,
    /// The `secrets` declarations as written, scope → {name → declaration}.
    pub secrets: Map<String, Value>,
    /// Dynamic configuration: keys whose value a probe computes before the run, in key order.
    pub dynamic_configuration: Vec<(String, Activity)>,
    pub hypothesis: Option<Hypothesis>,
    /// References (`{"ref": "name"}`) are resolved: each entry is the activity to run.
    pub method: Vec<Activity>,
    pub rollbacks: Vec<Activity>,
    /// The experiment's `runtime` block, when it has a non-empty one.
    pub runtime: Option<RuntimeBlock>,
    /// chaosrt's per-run grants (the `extensions` item named `chaosrt`), by plugin, as written.
    pub grants: Vec<RunGrants>,
}

/// The name of chaosrt's item in an experiment's `extensions`.
pub const CHAOSRT_EXTENSION: &str = "chaosrt";

/// What one plugin holds for this run, from the experiment's `chaosrt` extension:
/// `{"name": "chaosrt", "grants": {"PLUGIN": ["KIND=VALUE", …]}}`. Chaos Toolkit keeps extensions
/// as opaque data, so `chaos run` accepts the file unchanged; the grants are read (and checked
/// against what the plugin was granted at install) when the plugins are loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunGrants {
    pub plugin: String,
    /// The JSON pointer of the plugin's list.
    pub pointer: String,
    /// Each grant as written (`KIND=VALUE`), with its JSON pointer.
    pub grants: Vec<(String, String)>,
}

impl Experiment {
    /// The dynamic configuration keys whose value a plugin shapes: those a plugin computes, and those
    /// a process computes from arguments that use one (a process must not launder a plugin's text).
    /// A process's own keys, env and literal configuration, and secrets are the operator's.
    pub fn tainted_configuration(&self) -> BTreeSet<String> {
        let dynamic = &self.dynamic_configuration;
        let mut tainted: BTreeSet<String> = dynamic
            .iter()
            .filter(|(_, probe)| matches!(probe.provider, Provider::Plugin(_)))
            .map(|(key, _)| key.clone())
            .collect();
        loop {
            let laundered: Vec<String> = dynamic
                .iter()
                .filter(|(key, probe)| {
                    !tainted.contains(key)
                        && matches!(&probe.provider, Provider::Process(call)
                            if references(&call.arguments).iter().any(
                                |r| matches!(r, Placeholder::Name(n) if tainted.contains(*n))))
                })
                .map(|(key, _)| key.clone())
                .collect();
            if laundered.is_empty() {
                return tainted;
            }
            tainted.extend(laundered);
        }
    }
}

/// The experiment's `runtime` block. Chaos Toolkit's CLI takes *both* strategies from it when it is
/// present, a half it leaves out being `default` rather than the settings file's value; the engine
/// applies that precedence (flag > this block > settings > default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuntimeBlock {
    pub hypothesis: Option<HypothesisStrategy>,
    pub rollbacks: Option<RollbackStrategy>,
}

/// When the steady-state hypothesis runs (`chaoslib.types.Strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HypothesisStrategy {
    /// Before and after the method.
    #[default]
    Default,
    BeforeMethodOnly,
    AfterMethodOnly,
    DuringMethodOnly,
    /// Before, during and after.
    Continuously,
    /// Not at all. Chaos Toolkit's CLI flag does not offer it, but an experiment's `runtime` block
    /// and the settings file may ask for it, and Chaos Toolkit then logs "Skipping Steady-State
    /// Hypothesis as requested".
    Skip,
}

impl HypothesisStrategy {
    /// Parses a strategy name; the flag is true for the deprecated spelling `continously`, which
    /// Chaos Toolkit accepts with a warning.
    pub fn parse(s: &str) -> Option<(HypothesisStrategy, bool)> {
        Some(match s {
            "default" => (HypothesisStrategy::Default, false),
            "before-method-only" => (HypothesisStrategy::BeforeMethodOnly, false),
            "after-method-only" => (HypothesisStrategy::AfterMethodOnly, false),
            "during-method-only" => (HypothesisStrategy::DuringMethodOnly, false),
            "continuously" => (HypothesisStrategy::Continuously, false),
            "continously" => (HypothesisStrategy::Continuously, true),
            "skip" => (HypothesisStrategy::Skip, false),
            _ => return None,
        })
    }

    /// Chaos Toolkit's enum value, as its log line prints it: `Steady-state strategy: continuous`.
    pub fn log_name(&self) -> &'static str {
        match self {
            HypothesisStrategy::Default => "default",
            HypothesisStrategy::BeforeMethodOnly => "before-method-only",
            HypothesisStrategy::AfterMethodOnly => "after-method-only",
            HypothesisStrategy::DuringMethodOnly => "during-method-only",
            HypothesisStrategy::Continuously => "continuous",
            HypothesisStrategy::Skip => "skip",
        }
    }
}

/// When rollbacks are played (`chaoslib.run.run_rollback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RollbackStrategy {
    /// Unless the run failed or was interrupted.
    #[default]
    Default,
    Always,
    Never,
    /// Only when the steady state deviated.
    Deviated,
}

impl RollbackStrategy {
    pub fn parse(s: &str) -> Option<RollbackStrategy> {
        Some(match s {
            "default" => RollbackStrategy::Default,
            "always" => RollbackStrategy::Always,
            "never" => RollbackStrategy::Never,
            "deviated" => RollbackStrategy::Deviated,
            _ => return None,
        })
    }

    /// The name as written and logged (`Rollbacks strategy: always`).
    pub fn as_str(&self) -> &'static str {
        match self {
            RollbackStrategy::Default => "default",
            RollbackStrategy::Always => "always",
            RollbackStrategy::Never => "never",
            RollbackStrategy::Deviated => "deviated",
        }
    }
}

/// The steady-state hypothesis.
#[derive(Debug, Clone)]
pub struct Hypothesis {
    pub title: String,
    /// Every probe has a tolerance (validation checks it).
    pub probes: Vec<Activity>,
}

/// Probe or action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Probe,
    Action,
}

impl ActivityKind {
    /// As Chaos Toolkit logs it: `Probe: name`, `Action: name`.
    pub fn title(self) -> &'static str {
        match self {
            ActivityKind::Probe => "Probe",
            ActivityKind::Action => "Action",
        }
    }
}

/// One probe or action, with references already resolved.
#[derive(Debug, Clone)]
pub struct Activity {
    /// As written in the file; for a reference, the activity it refers to (Chaos Toolkit journals
    /// the referenced activity).
    pub raw: Value,
    pub kind: ActivityKind,
    pub name: String,
    pub provider: Provider,
    /// Hypothesis probes only (for a reference there, the reference's own tolerance). Chaos Toolkit
    /// ignores a tolerance in the method and rollbacks, so it is not parsed there; see
    /// [`Activity::declares_tolerance`] for the warnings it still silences.
    pub tolerance: Option<Tolerance>,
    /// `pauses.before`; `None` when absent or zero (Chaos Toolkit's falsy check).
    pub pause_before: Option<Pause>,
    /// `pauses.after`, taken after the activity's end time.
    pub pause_after: Option<Pause>,
    /// Runs beside the next activities; the phase waits for it at its end. For a reference, the
    /// reference's own flag decides, as in Chaos Toolkit.
    pub background: bool,
    /// Activity-level timeout in seconds. Chaos Toolkit validates but ignores it; chaosrt enforces it.
    pub timeout: Option<f64>,
    /// chaosrt extension, hypothesis probes only: run the probe again until its tolerance is met.
    pub retry: Option<Retry>,
    /// chaosrt extension, method probes only: a tolerance the output must meet, or the run fails.
    pub assert: Option<Tolerance>,
}

impl Activity {
    /// Whether the activity as written has a `tolerance` key. Chaos Toolkit's providers skip their
    /// "HTTP status above 400" and "non-zero exit code" warnings then, in every phase.
    pub fn declares_tolerance(&self) -> bool {
        self.raw.get("tolerance").is_some()
    }
}

/// A pause before or after an activity.
#[derive(Debug, Clone, PartialEq)]
pub enum Pause {
    Seconds(f64),
    /// A placeholder string (`"${name}"`), as written, substituted at run time; Chaos Toolkit sleeps
    /// on whatever it becomes (and crashes when that is a string).
    Var(String),
}

/// chaosrt extension on hypothesis probes: `"retry": {"count": N, "interval": S}` runs the probe up
/// to N more times, S seconds apart, until its tolerance is met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub count: u32,
    pub interval: f64,
}

/// What runs an activity.
#[derive(Debug, Clone)]
pub enum Provider {
    /// A call into a plugin component.
    Plugin(PluginCall),
    /// A host process (the operator's own command), as Chaos Toolkit runs it.
    Process(ProcessCall),
}

/// Which experiment form a plugin call came from; shapes error messages and output conventions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallForm {
    /// `{"type": "plugin", ...}`.
    Native,
    /// `{"type": "http", ...}` served by the built-in http plugin.
    Http,
    /// `{"type": "python", "module": M, "func": F}` served through the alias table.
    Python { module: String, func: String },
}

/// A call into a plugin activity.
#[derive(Debug, Clone)]
pub struct PluginCall {
    pub plugin: String,
    pub version: Option<String>,
    pub func: String,
    /// Unsubstituted. For the http form: the provider's fields (`url`, `method`, `headers`,
    /// `arguments`, `timeout`, `verify_tls`, `expected_status`, `max_retries`) as written.
    pub arguments: Map<String, Value>,
    pub form: CallForm,
    /// Provider-level timeout in seconds (an http `timeout` number, or its `[connect, read]` sum);
    /// `None` when absent or a placeholder only known after substitution.
    pub timeout: Option<f64>,
    /// `provider.secrets`: the secret scopes the plugin receives in its context. Chaos Toolkit
    /// honours it for python providers only, so the http form never has any.
    pub secrets: Vec<String>,
    /// chaosrt's `provider.allowed_origins` (http and plugin forms), validated `http(s)://host[:port]`
    /// as written: origins an `http: *` call may reach although a plugin's value chose them.
    pub allowed_origins: Vec<String>,
}

/// A host process call.
#[derive(Debug, Clone)]
pub struct ProcessCall {
    pub path: String,
    /// As written (a string, a list, the deprecated dict, or null), unsubstituted; after
    /// substitution, [`process_argv`] turns it into what runs.
    pub arguments: Value,
    pub timeout: Option<f64>,
}

/// Process arguments as Chaos Toolkit runs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessArguments {
    /// A string: run through the shell as `"<path> <arguments>"`.
    Shell(String),
    /// Passed as argv after the path.
    List(Vec<String>),
}

/// Chaos Toolkit's conversion of (substituted) process arguments (`provider/process.py`): a string
/// goes to the shell; a list has every item `str()`-ed, `None` and `""` dropped; the deprecated dict
/// is flattened to key, value pairs first. A lone scalar (a placeholder that became a number)
/// is one argument, where Chaos Toolkit would crash.
pub fn process_argv(arguments: &Value) -> ProcessArguments {
    let kept = |items: Vec<&Value>| {
        ProcessArguments::List(
            items
                .into_iter()
                .filter(|v| !v.is_null() && v.as_str() != Some(""))
                .map(py_str)
                .collect(),
        )
    };
    match arguments {
        Value::String(s) => ProcessArguments::Shell(s.clone()),
        Value::Null => ProcessArguments::List(Vec::new()),
        Value::Array(items) => kept(items.iter().collect()),
        Value::Object(map) => {
            let keys: Vec<Value> = map.keys().cloned().map(Value::String).collect();
            kept(
                keys.iter()
                    .zip(map.values())
                    .flat_map(|(k, v)| [k, v])
                    .collect(),
            )
        }
        scalar => ProcessArguments::List(vec![py_str(scalar)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn process_arguments_follow_ctk() {
        let list =
            |items: &[&str]| ProcessArguments::List(items.iter().map(|s| s.to_string()).collect());
        let cases = [
            (
                json!("-c 'echo hi'"),
                ProcessArguments::Shell("-c 'echo hi'".into()),
            ),
            (json!(null), list(&[])),
            (
                json!(["a", null, "", 3, true, 1.5, [1, "x"]]),
                list(&["a", "3", "True", "1.5", "[1, 'x']"]),
            ),
            (
                json!({"--name": "x", "--empty": "", "--none": null, "-v": true}),
                list(&["--name", "x", "--empty", "--none", "-v", "True"]),
            ),
            (json!(5), list(&["5"])),
        ];
        for (arguments, expected) in cases {
            assert_eq!(process_argv(&arguments), expected, "{arguments}");
        }
    }

    #[test]
    fn strategies_parse_and_print_as_ctk() {
        assert_eq!(
            HypothesisStrategy::parse("continously"),
            Some((HypothesisStrategy::Continuously, true))
        );
        assert_eq!(HypothesisStrategy::Continuously.log_name(), "continuous");
        assert_eq!(
            HypothesisStrategy::parse("skip"),
            Some((HypothesisStrategy::Skip, false))
        );
        assert_eq!(HypothesisStrategy::parse("sometimes"), None);
        for name in ["default", "always", "never", "deviated"] {
            assert_eq!(RollbackStrategy::parse(name).unwrap().as_str(), name);
        }
        assert_eq!(RollbackStrategy::parse("Always"), None);
    }
}
