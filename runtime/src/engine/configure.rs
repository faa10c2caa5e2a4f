//! Dynamic configuration: configuration values computed by a probe right before the run.

use super::{Plugins, Run, RunOptions, Runtime};
use crate::experiment::{CallForm, Experiment, Provider, Resolved};
use serde_json::Value;

impl Runtime {
    /// Dynamic configuration (`chaoslib/configuration.py::load_dynamic_configuration`): each probe's
    /// result becomes its key's value before the run starts: a process's stripped stdout (when it
    /// exits 0), an http call's body, a python function's return value. A probe that fails leaves its
    /// key out, with Chaos Toolkit's warning.
    pub(super) async fn configure(
        &self,
        experiment: &Experiment,
        plugins: &Plugins,
        resolved: &Resolved,
        options: &RunOptions,
        interrupts: &super::Interrupts,
    ) -> Resolved {
        let mut configured = resolved.clone();
        let mut failed = false;
        for (key, probe) in &experiment.dynamic_configuration {
            let output = {
                let run = Run::new(experiment, plugins, &configured, options, interrupts);
                self.call(probe, &run).await
            };
            let value = match (&probe.provider, output) {
                (_, Err(message)) => Err(message),
                (Provider::Process(_), Ok(out)) if out["status"] != 0 => {
                    Err(format!("{}", out["stderr"]))
                }
                (Provider::Process(_), Ok(out)) => Ok(Value::String(
                    out["stdout"]
                        .as_str()
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                )),
                (Provider::Plugin(call), Ok(out)) if call.form == CallForm::Http => {
                    Ok(out["body"].clone())
                }
                (Provider::Plugin(_), Ok(out)) => Ok(out),
            };
            match value {
                Ok(value) => {
                    configured.configuration.insert(key.clone(), value);
                }
                Err(message) => {
                    self.console.debug(&format!(
                        "Failed to load configuration '{}': {message}",
                        probe.name
                    ));
                    failed = true;
                }
            }
        }
        if failed {
            self.console.warning(
                "Some of the dynamic configuration failed to be loaded.Please review the log file for \
                 understanding what happened.",
            );
        }
        configured
    }
}
