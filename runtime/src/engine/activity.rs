//! One activity: pauses, the provider call, timing and the journal record
//! (`chaoslib/activity.py::execute_activity`).

use super::{Runtime, grants, plugins::Plugins, process};
use crate::experiment::{Activity, CallForm, Experiment, PluginCall, Provider};
use crate::host::{Call, Limits};
use crate::journal::{Run, RunStatus, iso};
use chrono::Utc;
use serde_json::Value;
use std::time::Duration;

impl Runtime {
    /// Runs one activity and records it. Failures are recorded, never raised.
    pub(super) async fn execute(
        &self,
        activity: &Activity,
        experiment: &Experiment,
        plugins: &Plugins,
    ) -> Run {
        let console = self.console;
        let pause = |which: &str| {
            activity
                .raw
                .get("pauses")
                .and_then(|p| p.get(which))
                .map(Value::to_string)
        };
        if activity.pause_before > 0.0 {
            console.info(&format!(
                "Pausing before next activity for {}s...",
                pause("before").unwrap_or_default()
            ));
            tokio::time::sleep(Duration::from_secs_f64(activity.pause_before)).await;
        }
        console.info(&format!("{}: {}", activity.kind.title(), activity.name));
        let start = Utc::now();
        let result = self.call(activity, experiment, plugins).await;
        let end = Utc::now();
        let (output, status, exception) = match result {
            Ok(output) => {
                console.debug(&format!("  => succeeded with '{output}'"));
                (output, RunStatus::Succeeded, None)
            }
            Err(message) => {
                console.error(&format!("  => failed: {message}"));
                // Chaos Toolkit's `traceback.format_exception` of its ActivityFailed, which scripts grep.
                let line = format!("chaoslib.exceptions.ActivityFailed: {message}\n");
                (Value::Null, RunStatus::Failed, Some(vec![line]))
            }
        };
        let run = Run {
            activity: activity.raw.clone(),
            output,
            start: iso(start),
            status,
            exception,
            end: iso(end),
            duration: (end - start).as_seconds_f64(),
            tolerance_met: None,
        };
        if activity.pause_after > 0.0 {
            console.info(&format!(
                "Pausing after activity for {}s...",
                pause("after").unwrap_or_default()
            ));
            tokio::time::sleep(Duration::from_secs_f64(activity.pause_after)).await;
        }
        run
    }

    /// Calls the activity's provider. `Err` carries the failure message (an `ActivityFailed`).
    async fn call(
        &self,
        activity: &Activity,
        experiment: &Experiment,
        plugins: &Plugins,
    ) -> Result<Value, String> {
        let seconds = |s: f64| Duration::from_secs_f64(s.max(0.0));
        match &activity.provider {
            Provider::Process(call) => {
                let timeout = min_timeout(activity.timeout, call.timeout).map(seconds);
                let output = process::run(call, timeout).await?;
                if activity.tolerance.is_none() && output["status"].as_i64().is_some_and(|s| s > 0)
                {
                    self.console.warning(
                        "This process returned a non-zero exit code. This may indicate some error and \
                         not what you expected. Please have a look at the logs.",
                    );
                }
                Ok(output)
            }
            Provider::Plugin(call) => {
                let output = self
                    .call_plugin(activity, call, experiment, plugins)
                    .await?;
                let http_error = output
                    .get("status")
                    .and_then(Value::as_i64)
                    .is_some_and(|s| s > 399);
                if call.form == CallForm::Http && activity.tolerance.is_none() && http_error {
                    self.console.warning(
                        "This HTTP call returned a response with a HTTP status code above 400. This may \
                         indicate some error and not what you expected. Please have a look at the logs.",
                    );
                }
                Ok(output)
            }
        }
    }

    async fn call_plugin(
        &self,
        activity: &Activity,
        call: &PluginCall,
        experiment: &Experiment,
        plugins: &Plugins,
    ) -> Result<Value, String> {
        let loaded = plugins
            .get(call)
            .ok_or_else(|| format!("plugin '{}' was not loaded before the run", call.plugin))?;
        let mut limits = Limits::default();
        if let Some(t) = min_timeout(activity.timeout, call.timeout) {
            limits.timeout = Duration::from_secs_f64(t.max(0.001));
        }
        let arguments = Value::Object(call.arguments.clone()).to_string();
        let configuration = Value::Object(experiment.configuration.clone()).to_string();
        let grants = grants::for_call(&loaded.granted, &call.arguments, &self.working_dir);
        let log = super::plugins::plugin_log(self.console, &loaded.plugin.metadata.name);
        let invocation = Call {
            activity: &call.func,
            arguments: &arguments,
            configuration: &configuration,
            secrets: "{}",
            grants,
            limits,
        };
        let output = self
            .host
            .invoke(&loaded.plugin, invocation, log)
            .await
            .map_err(|e| e.to_string())?;
        serde_json::from_str(&output)
            .map_err(|e| format!("plugin '{}' returned bad JSON: {e}", call.plugin))
    }
}

/// The tighter of the activity's and the provider's timeouts.
fn min_timeout(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
