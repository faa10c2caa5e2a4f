//! One activity: pauses, dry mode, substitution, the provider call, timing and the journal record
//! (`chaoslib/activity.py::execute_activity`).

use super::{Dry, Run, Runtime, grants, process, seconds};
use crate::experiment::{
    Activity, ActivityKind, CallForm, PluginCall, Provider, Returns, find_alias, process_argv,
};
use crate::host::{Call, Limits};
use crate::journal::{Run as Record, RunStatus, iso};
use chrono::Utc;
use serde_json::{Map, Value};

impl Runtime {
    /// Runs one activity and records it. Failures are recorded, never raised.
    pub(super) async fn execute(&self, activity: &Activity, run: &Run<'_>) -> Record {
        let console = &self.console;
        let dry = run.options.dry;
        let is_dry = match dry {
            Some(Dry::Actions) => activity.kind == ActivityKind::Action,
            Some(Dry::Probes) => activity.kind == ActivityKind::Probe,
            Some(Dry::Activities) => true,
            _ => false,
        };
        let sleeps = dry != Some(Dry::Pause) && !is_dry;
        let pause_before = self.pause(activity, "before", run);
        if let Some((text, secs)) = &pause_before {
            console.info(&format!("Pausing before next activity for {text}s..."));
            if sleeps {
                tokio::time::sleep(seconds(*secs)).await;
            }
        }
        let background = if activity.background {
            " [in background]"
        } else {
            ""
        };
        console.info(&format!(
            "{}: {}{background}",
            activity.kind.title(),
            activity.name
        ));
        let start = Utc::now();
        let result = match &pause_before {
            Some((text, secs)) if secs.is_nan() => Err(format!(
                "the before pause must be a number of seconds, got {text}"
            )),
            _ if is_dry => {
                console.debug(&format!("Activity {} is in dry mode", activity.name));
                Ok(Value::Null)
            }
            _ => self.call(activity, run).await,
        };
        let end = Utc::now();
        let (output, status, exception) = match result {
            Ok(output) => {
                console.debug(&format!(
                    "  => succeeded with '{}'",
                    console.json_text(&output)
                ));
                run.outputs
                    .lock()
                    .unwrap()
                    .insert(activity.name.clone(), output.clone());
                (output, RunStatus::Succeeded, None)
            }
            Err(message) => {
                console.error(&format!("  => failed: {message}"));
                // Chaos Toolkit's `traceback.format_exception` of its ActivityFailed, which scripts grep.
                let line = format!("chaoslib.exceptions.ActivityFailed: {message}\n");
                (Value::Null, RunStatus::Failed, Some(vec![line]))
            }
        };
        let record = Record {
            activity: activity.raw.clone(),
            output,
            start: iso(start),
            status,
            exception,
            end: iso(end),
            duration: (end - start).as_seconds_f64(),
            tolerance_met: None,
        };
        if let Some((text, secs)) = self.pause(activity, "after", run) {
            console.info(&format!("Pausing after activity for {text}s..."));
            if sleeps && !secs.is_nan() {
                tokio::time::sleep(seconds(secs)).await;
            }
        }
        record
    }

    /// A pause as logged (the value as written, or substituted from `${name}`) and in seconds; NaN
    /// seconds when it is not a number. `None` for no pause (absent or zero: Chaos Toolkit's falsy check).
    fn pause(&self, activity: &Activity, which: &str, run: &Run<'_>) -> Option<(String, f64)> {
        let raw = activity.raw.get("pauses")?.get(which)?;
        let value = if raw.is_string() {
            run.substitute(raw)
        } else {
            raw.clone()
        };
        match &value {
            Value::Number(n) => {
                let secs = n.as_f64().unwrap_or(0.0);
                (secs > 0.0).then(|| (python_number(n), secs))
            }
            Value::Null | Value::Bool(false) => None,
            Value::String(s) if s.is_empty() => None,
            other => Some((
                other
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| other.to_string()),
                f64::NAN,
            )),
        }
    }

    /// Calls the activity's provider. `Err` carries the failure message (an `ActivityFailed`).
    pub(super) async fn call(&self, activity: &Activity, run: &Run<'_>) -> Result<Value, String> {
        match &activity.provider {
            Provider::Process(call) => {
                let arguments = if run.substitutes_arguments() {
                    run.substitute(&call.arguments)
                } else {
                    call.arguments.clone()
                };
                let timeout = min_timeout(activity.timeout, call.timeout).map(seconds);
                let output = process::run(&call.path, &process_argv(&arguments), timeout).await?;
                if !activity.declares_tolerance()
                    && output["status"].as_i64().is_some_and(|s| s > 0)
                {
                    self.console.warning(
                        "This process returned a non-zero exit code. This may indicate some error and \
                         not what you expected. Please have a look at the logs.",
                    );
                }
                Ok(output)
            }
            Provider::Plugin(call) => {
                let arguments = self.plugin_arguments(call, run);
                let output = self.call_plugin(activity, call, arguments, run).await?;
                let http_error = output
                    .get("status")
                    .and_then(Value::as_i64)
                    .is_some_and(|s| s > 399);
                if call.form == CallForm::Http && !activity.declares_tolerance() && http_error {
                    self.console.warning(
                        "This HTTP call returned a response with a HTTP status code above 400. This may \
                         indicate some error and not what you expected. Please have a look at the logs.",
                    );
                }
                Ok(output)
            }
        }
    }

    /// Runs a tolerance probe with the probed `value` added to its arguments.
    pub(super) async fn call_with_value(
        &self,
        checker: &Activity,
        value: &Value,
        run: &Run<'_>,
    ) -> Result<Value, String> {
        match &checker.provider {
            Provider::Plugin(call) => {
                let mut arguments = self.plugin_arguments(call, run);
                arguments.insert("value".into(), value.clone());
                self.call_plugin(checker, call, arguments, run).await
            }
            Provider::Process(_) => self.call(checker, run).await,
        }
    }

    /// A plugin call's arguments after substitution, where Chaos Toolkit substitutes: an http
    /// provider's url, headers and timeout always, other arguments only when there is something to
    /// substitute from.
    fn plugin_arguments(&self, call: &PluginCall, run: &Run<'_>) -> Map<String, Value> {
        let always = call.form == CallForm::Http;
        let all = run.substitutes_arguments();
        call.arguments
            .iter()
            .map(|(key, value)| {
                let substituted = match key.as_str() {
                    "url" | "headers" | "timeout" if always => run.substitute(value),
                    "method" | "verify_tls" if always => value.clone(),
                    _ if all => run.substitute(value),
                    _ => value.clone(),
                };
                (key.clone(), substituted)
            })
            .collect()
    }

    async fn call_plugin(
        &self,
        activity: &Activity,
        call: &PluginCall,
        arguments: Map<String, Value>,
        run: &Run<'_>,
    ) -> Result<Value, String> {
        let alias = match &call.form {
            CallForm::Python { module, func } => find_alias(module, func),
            _ => None,
        };
        if let Some(alias) = alias
            && let Some(extra) = arguments
                .keys()
                .find(|k| !alias.required.contains(&k.as_str()))
        {
            // What Python raises when a tolerance probe gets a `value` its function does not take.
            return Err(format!(
                "TypeError: {}() got an unexpected keyword argument '{extra}'",
                alias.func
            ));
        }
        let returned = alias.and_then(|a| match a.returns {
            Returns::Output => None,
            Returns::Argument(name) => Some(arguments.get(name).cloned().unwrap_or(Value::Null)),
        });
        let loaded = run
            .plugins
            .get(call)
            .ok_or_else(|| format!("plugin '{}' was not loaded before the run", call.plugin))?;
        let mut limits = Limits::default();
        if let Some(t) = min_timeout(activity.timeout, call.timeout) {
            limits.timeout = seconds(t.max(0.001));
        }
        let grants = grants::for_call(&loaded.granted, &arguments, &self.working_dir);
        let arguments = Value::Object(arguments).to_string();
        let configuration = Value::Object(run.resolved.configuration.clone()).to_string();
        // Only the secret scopes the provider lists, as Chaos Toolkit injects them.
        let secrets: Map<String, Value> = call
            .secrets
            .iter()
            .filter_map(|scope| Some((scope.clone(), run.resolved.secrets.get(scope)?.clone())))
            .collect();
        let secrets = Value::Object(secrets).to_string();
        let log = super::plugins::plugin_log(&self.console, &loaded.plugin.metadata.name);
        let invocation = Call {
            activity: &call.func,
            arguments: &arguments,
            configuration: &configuration,
            secrets: &secrets,
            grants,
            limits,
        };
        let output = self
            .host
            .invoke(&loaded.plugin, invocation, log)
            .await
            .map_err(|e| loaded.failure(e))?;
        let output = serde_json::from_str(&output)
            .map_err(|e| format!("plugin '{}' returned bad JSON: {e}", call.plugin))?;
        Ok(returned.unwrap_or(output))
    }
}

/// The tighter of the activity's and the provider's timeouts.
fn min_timeout(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A JSON number as Python prints it in `f"{pause}s"`: `1`, `0.5`, `2.0`.
fn python_number(n: &serde_json::Number) -> String {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or_default();
        if f.fract() == 0.0 {
            format!("{f:.1}")
        } else {
            f.to_string()
        }
    } else {
        n.to_string()
    }
}
