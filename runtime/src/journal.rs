//! The run journal, with Chaos Toolkit's key set and key order (`chaoslib/run.py`), so tools that
//! read `journal.json` (reports, CI scripts) keep working. Written atomically: a crash or a full disk
//! never leaves half a journal.

use crate::console::Mask;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// How a run ended. "deviated" is not a status: it is the separate [`Journal::deviated`] flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Completed,
    Failed,
    Aborted,
    Interrupted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Aborted => "aborted",
            Status::Interrupted => "interrupted",
        }
    }
}

/// Whether one activity ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Succeeded,
    Failed,
}

/// One activity's record. Field order is the journal's key order.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The activity as written in the experiment.
    pub activity: Value,
    pub output: Value,
    pub start: String,
    pub status: RunStatus,
    /// Chaos Toolkit's formatted exception lines, when the activity failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Vec<String>>,
    pub end: String,
    /// Seconds, pauses excluded.
    pub duration: f64,
    /// Hypothesis probes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance_met: Option<bool>,
}

/// One pass of the steady-state hypothesis.
#[derive(Debug, Clone, Serialize)]
pub struct SteadyState {
    pub steady_state_met: bool,
    pub probes: Vec<Run>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SteadyStates {
    pub before: Option<SteadyState>,
    pub after: Option<SteadyState>,
    pub during: Vec<SteadyState>,
}

/// The whole journal. Field order is Chaos Toolkit's key order.
#[derive(Debug, Clone, Serialize)]
pub struct Journal {
    #[serde(rename = "chaoslib-version")]
    pub chaoslib_version: String,
    pub platform: String,
    pub node: String,
    pub experiment: Value,
    pub start: String,
    pub status: Option<Status>,
    pub deviated: bool,
    pub steady_states: SteadyStates,
    pub run: Vec<Run>,
    pub rollbacks: Vec<Run>,
    pub end: Option<String>,
    pub duration: Option<f64>,
}

/// A timestamp as Chaos Toolkit writes it: ISO 8601, microseconds, `+00:00`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

impl Journal {
    /// A journal for a run that starts now. `experiment` is recorded as given, plus `dry`.
    pub fn start(experiment: &Value, dry: Option<&str>) -> Journal {
        let mut experiment = experiment.clone();
        if let Some(map) = experiment.as_object_mut() {
            map.insert(
                "dry".into(),
                dry.map(|d| Value::String(d.into())).unwrap_or(Value::Null),
            );
        }
        Journal {
            chaoslib_version: concat!("chaosrt ", env!("CARGO_PKG_VERSION")).to_string(),
            platform: platform(),
            node: node(),
            experiment,
            start: iso(Utc::now()),
            status: None,
            deviated: false,
            steady_states: SteadyStates::default(),
            run: Vec::new(),
            rollbacks: Vec::new(),
            end: None,
            duration: None,
        }
    }

    /// Writes the journal to `path` through a temporary file and a rename, secrets hidden.
    pub fn write(&self, path: &Path, mask: &Mask) -> std::io::Result<()> {
        let value = serde_json::to_value(self).map_err(std::io::Error::other)?;
        let mut text = serde_json::to_string_pretty(&mask.apply_json(&value))
            .map_err(std::io::Error::other)?;
        text.push('\n');
        // A link at `path` itself is replaced by the rename, never written through.
        crate::fsutil::check_parents(path)?;
        crate::host::cache::write_atomically(path, text.as_bytes())
    }
}

/// Like Python's `platform.platform()`: `Linux-<release>-<machine>`.
fn platform() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        other => other,
    };
    format!("{os}-{}-{}", release.trim(), std::env::consts::ARCH)
}

/// The host name, like Python's `platform.node()`.
fn node() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn keys_come_in_chaos_toolkit_order() {
        let journal = Journal::start(&json!({"title": "t"}), None);
        let value = serde_json::to_value(&journal).unwrap();
        let keys = keys(&value);
        assert_eq!(
            keys,
            [
                "chaoslib-version",
                "platform",
                "node",
                "experiment",
                "start",
                "status",
                "deviated",
                "steady_states",
                "run",
                "rollbacks",
                "end",
                "duration"
            ]
        );
        assert_eq!(value["experiment"], json!({"title": "t", "dry": null}));
        assert_eq!(
            value["steady_states"],
            json!({"before": null, "after": null, "during": []})
        );
    }

    #[test]
    fn run_keys_in_order_and_optional_ones_omitted() {
        let run = Run {
            activity: json!({}),
            output: Value::Null,
            start: "s".into(),
            status: RunStatus::Failed,
            exception: Some(vec!["x\n".into()]),
            end: "e".into(),
            duration: 0.5,
            tolerance_met: None,
        };
        let value = serde_json::to_value(&run).unwrap();
        let keys = keys(&value);
        assert_eq!(
            keys,
            [
                "activity",
                "output",
                "start",
                "status",
                "exception",
                "end",
                "duration"
            ]
        );
    }
}
