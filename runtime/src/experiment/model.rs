//! The typed experiment the engine runs. Each part keeps its raw JSON too: the journal records
//! activities exactly as written.

use super::tolerance::Tolerance;
use serde_json::{Map, Value};

/// A validated experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The experiment as loaded, key order kept.
    pub raw: Value,
    pub title: String,
    pub configuration: Map<String, Value>,
    pub hypothesis: Option<Hypothesis>,
    pub method: Vec<Activity>,
    pub rollbacks: Vec<Activity>,
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

/// One probe or action.
#[derive(Debug, Clone)]
pub struct Activity {
    /// As written in the file.
    pub raw: Value,
    pub kind: ActivityKind,
    pub name: String,
    pub provider: Provider,
    pub tolerance: Option<Tolerance>,
    /// Seconds to sleep before and after (0: none).
    pub pause_before: f64,
    pub pause_after: f64,
    /// Activity-level timeout in seconds. Chaos Toolkit validates but ignores it; chaosrt enforces it.
    pub timeout: Option<f64>,
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
    pub arguments: Map<String, Value>,
    pub form: CallForm,
    /// Provider-level timeout in seconds (http `timeout`); the call's limit is the smaller of this and
    /// the activity's.
    pub timeout: Option<f64>,
}

/// A host process call.
#[derive(Debug, Clone)]
pub struct ProcessCall {
    pub path: String,
    pub arguments: ProcessArguments,
    pub timeout: Option<f64>,
}

/// Process arguments as Chaos Toolkit accepts them.
#[derive(Debug, Clone)]
pub enum ProcessArguments {
    /// A string: run through the shell as `"<path> <arguments>"`.
    Shell(String),
    /// A list (or the deprecated dict, flattened): passed as argv.
    List(Vec<String>),
}
