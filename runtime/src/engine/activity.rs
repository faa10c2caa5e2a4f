//! One activity: pauses, dry mode, substitution, the provider call, timing and the journal record
//! (`chaoslib/activity.py::execute_activity`).

use super::{Dry, Run, Runtime, grants, process, seconds};
use crate::experiment::{
    Activity, ActivityKind, CallForm, PluginCall, ProcessCall, Provider, Returns, find_alias,
    process_argv, substitute, substitute_shell, substitute_trusted, tainted,
};
use crate::host::{Call, CallError, Capability, Context, Grants, Limits};
use crate::journal::{Run as Record, RunStatus, iso};
use chrono::Utc;
use serde_json::{Map, Value};

/// An activity's record, and its output when the run had no room left to keep it
/// ([`KEPT_OUTPUT_BYTES`]): then the record says `null`, and only the tolerance or assertion that
/// follows sees the output before it is dropped.
pub(super) struct Executed {
    pub record: Record,
    unkept: Option<Value>,
}

impl Executed {
    /// The output the activity returned, kept or not.
    pub fn output(&self) -> &Value {
        self.unkept.as_ref().unwrap_or(&self.record.output)
    }
}

/// Bytes of output (as JSON text) a run keeps for its journal over all its activities. Each
/// output is capped on its own, but 10,000 activities or a long `retry` each keeping 16 MiB would
/// hold gigabytes.
pub const KEPT_OUTPUT_BYTES: usize = 256 << 20;

/// How much of an output the debug log line shows; the journal has all of it.
pub const LOGGED_OUTPUT_BYTES: usize = 64 << 10;

impl Runtime {
    /// Runs one activity and records it. Failures are recorded, never raised. A signal while it
    /// runs ends it at once, recorded as Chaos Toolkit keeps it (output null, no status); a signal
    /// before it started (in its before-pause) leaves no record (`None`), as there.
    pub(super) async fn execute(&self, activity: &Activity, run: &Run<'_>) -> Option<Executed> {
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
            if sleeps && !secs.is_nan() && !run.sleep(seconds(*secs)).await {
                return None;
            }
        }
        if run.stop_requested() {
            return None;
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
                Ok((Value::Null, false))
            }
            _ => tokio::select! {
                result = self.call_vouched(activity, run) => result,
                () = run.stopped() => {
                    let end = Utc::now();
                    return Some(Executed { unkept: None, record: Record {
                        activity: activity.raw.clone(),
                        output: Value::Null,
                        start: iso(start),
                        status: RunStatus::Interrupted,
                        exception: None,
                        end: iso(end),
                        duration: (end - start).as_seconds_f64(),
                        tolerance_met: None,
                    }});
                }
            },
        };
        let end = Utc::now();
        let mut unkept = None;
        let (output, status, exception) = match result {
            Ok((output, trusted)) => {
                let text = console.json_text(&output);
                console.debug(&format!(
                    "  => succeeded with '{}'",
                    crate::escape::clip(&text, LOGGED_OUTPUT_BYTES)
                ));
                let mut outputs = run.outputs.lock().unwrap();
                if run.keep(text.len()) {
                    if run.output_referenced(&activity.name) {
                        outputs.insert(&activity.name, output.clone(), trusted);
                    }
                    (output, RunStatus::Succeeded, None)
                } else {
                    outputs.forget(&activity.name);
                    console.warning(&format!(
                        "Activity '{}' returned {} bytes of output, more than is left of the {} \
                         MiB of outputs a run keeps: its journal entry has null for it, and \
                         ${{output:{}}} does not resolve",
                        activity.name,
                        text.len(),
                        KEPT_OUTPUT_BYTES >> 20,
                        activity.name
                    ));
                    unkept = Some(output);
                    (Value::Null, RunStatus::Succeeded, None)
                }
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
                run.sleep(seconds(secs)).await;
            }
        }
        Some(Executed { record, unkept })
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
        self.call_vouched(activity, run)
            .await
            .map(|(output, _)| output)
    }

    /// [`Runtime::call`], and whether the operator can vouch for the output: a process's, from
    /// arguments free of values a plugin shaped (so a process never launders a plugin's text).
    async fn call_vouched(
        &self,
        activity: &Activity,
        run: &Run<'_>,
    ) -> Result<(Value, bool), String> {
        match &activity.provider {
            Provider::Process(call) => {
                let (arguments, trusted) = process_arguments(call, run)?;
                let timeout = min_timeout(activity.timeout, call.timeout).map(seconds);
                let ran = process::run(&call.path, &process_argv(&arguments), timeout).await?;
                for (stream, dropped) in ran.dropped.into_iter().filter(|(_, d)| *d > 0) {
                    self.console.warning(&format!(
                        "Activity '{}' wrote {dropped} more bytes to {stream} than the {} MiB \
                         chaosrt keeps; they were dropped",
                        activity.name,
                        process::STREAM_BYTES >> 20
                    ));
                }
                let output = ran.output;
                if !activity.declares_tolerance()
                    && output["status"].as_i64().is_some_and(|s| s > 0)
                {
                    self.console.warning(
                        "This process returned a non-zero exit code. This may indicate some error and \
                         not what you expected. Please have a look at the logs.",
                    );
                }
                Ok((output, trusted))
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
                Ok((output, false))
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
        let all = run.substitutes_arguments();
        call.arguments
            .iter()
            .map(|(key, value)| {
                let value = if substituted(call, key, all) {
                    run.substitute(value)
                } else {
                    value.clone()
                };
                (key.clone(), value)
            })
            .collect()
    }

    /// The grants for a call with (substituted) `arguments`: the origin an `http-argument(NAME)`
    /// call reaches is the one its argument NAME has with trusted values only, unless the provider
    /// allows the other.
    fn call_grants(
        &self,
        activity: &Activity,
        call: &PluginCall,
        arguments: &Map<String, Value>,
        granted: &[Capability],
        run: &Run<'_>,
    ) -> Result<Grants, grants::Refused> {
        let mut fixed = Map::new();
        let mut fixed_configuration = Map::new();
        let mut tainted_by = Vec::new();
        for capability in granted {
            // The configuration value an `http-configuration` grant names, as `${KEY}` would
            // substitute it with trusted values only: plugin-computed configuration is tainted.
            if let Capability::HttpConfiguration { key } = capability {
                let placeholder = Value::String(format!("${{{key}}}"));
                let written = run.with_taint(|scope, taint| {
                    tainted_by.extend(tainted(&placeholder, scope, taint));
                    substitute_trusted(&placeholder, scope, taint)
                });
                fixed_configuration.insert(key.clone(), written);
                continue;
            }
            let Capability::HttpArgument { argument } = capability else {
                continue;
            };
            let Some(value) = call.arguments.get(argument) else {
                continue;
            };
            let written = if substituted(call, argument, run.substitutes_arguments()) {
                run.with_taint(|scope, taint| {
                    tainted_by.extend(tainted(value, scope, taint));
                    substitute_trusted(value, scope, taint)
                })
            } else {
                value.clone()
            };
            fixed.insert(argument.clone(), written);
        }
        let written = grants::Written {
            activity: &activity.name,
            arguments: &fixed,
            tainted: &tainted_by,
            allowed_origins: &call.allowed_origins,
            configuration: &fixed_configuration,
        };
        grants::for_call(
            granted,
            arguments,
            &run.resolved.configuration,
            &written,
            &self.working_dir,
        )
    }

    async fn call_plugin(
        &self,
        activity: &Activity,
        call: &PluginCall,
        mut arguments: Map<String, Value>,
        run: &Run<'_>,
    ) -> Result<Value, String> {
        let alias = match &call.form {
            CallForm::Python { module, func } => find_alias(module, func),
            _ => None,
        };
        if let Some(alias) = alias
            && let Some(extra) = arguments.keys().find(|k| !alias.takes(k))
        {
            // What Python raises when a tolerance probe gets a `value` its function does not take.
            return Err(format!(
                "TypeError: {}() got an unexpected keyword argument '{extra}'",
                alias.func
            ));
        }
        if let Some(alias) = alias {
            if let Some(successor) = alias.deprecated {
                // The warning the Python function logs.
                self.console.warning(&format!(
                    "{} function is DEPRECATED and will be removed in the next releases, please \
                     use {successor} instead",
                    alias.func
                ));
            }
            for (name, value) in alias.defaults {
                arguments
                    .entry(*name)
                    .or_insert_with(|| Value::String(value.to_string()));
            }
        }
        let returned = alias.and_then(|a| match a.returns {
            Returns::Output => None,
            Returns::Argument(name) => Some(arguments.get(name).cloned().unwrap_or(Value::Null)),
            Returns::Null => Some(Value::Null),
        });
        let loaded = run
            .plugins
            .get(call)
            .ok_or_else(|| format!("plugin '{}' was not loaded before the run", call.plugin))?;
        let mut limits = Limits::default();
        // The http plugin enforces the provider's own timeout and fails with Chaos Toolkit's message
        // ("activity took too long to complete"); the host's limit, a moment later, is the backstop.
        let provider_timeout = match call.form {
            CallForm::Http => call.timeout.map(|t| t + HTTP_TIMEOUT_GRACE),
            _ => call.timeout,
        };
        if let Some(t) = min_timeout(activity.timeout, provider_timeout) {
            limits.timeout = seconds(t.max(0.001));
        } else if let Some((argument, default)) = alias.and_then(|a| a.waits) {
            // A Python function that waits has no limit in Chaos Toolkit: let the call take as long
            // as the function may wait, and a margin for the requests around the wait.
            let wait = arguments
                .get(argument)
                .and_then(Value::as_f64)
                .unwrap_or(default as f64);
            limits.timeout = limits.timeout.max(seconds(wait + WAIT_MARGIN));
        }
        let mut grants = self
            .call_grants(activity, call, &arguments, &loaded.granted, run)
            .map_err(|e| e.to_string())?;
        // A Python bundle reads the modules it imports late, and its data files, from its own
        // packages: read-only, where componentize-py put them when it built the bundle.
        if let Some(site_packages) = &loaded.site_packages {
            grants.dirs.push(crate::host::DirGrant {
                host: site_packages.clone(),
                guest: crate::registry::python::BUNDLE_GUEST_PATH.into(),
                writable: false,
            });
        }
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
            context: Context {
                configuration,
                secrets,
                activity_name: activity.name.clone(),
                run_id: run.plugins.run_id().to_string(),
            },
            grants,
            limits,
        };
        let output = self
            .host
            .invoke(&loaded.plugin, invocation, log)
            .await
            .map_err(|e| match (e, alias.and_then(|a| a.raises)) {
                // What Chaos Toolkit's python provider makes of the exception the function raises.
                (CallError::Failed { message }, Some(raised)) => {
                    loaded.failure(CallError::Failed {
                        message: format!("{raised}: {message}"),
                    })
                }
                (e, _) => loaded.failure(e),
            })?;
        let output = serde_json::from_str(&output)
            .map_err(|e| format!("plugin '{}' returned bad JSON: {e}", call.plugin))?;
        Ok(returned.unwrap_or(output))
    }
}

/// Whether Chaos Toolkit substitutes the provider field `key`: an http provider's url, headers and
/// timeout always, its method and verify_tls never, anything else when `all` (there is something to
/// substitute from).
fn substituted(call: &PluginCall, key: &str, all: bool) -> bool {
    match key {
        "url" | "headers" | "timeout" if call.form == CallForm::Http => true,
        "method" | "verify_tls" if call.form == CallForm::Http => false,
        _ => all,
    }
}

/// A process's arguments after substitution, and whether no value a plugin shaped went into them.
/// A shell string takes tainted values as quoted words ([`substitute_shell`]); a list or object
/// keeps each value one argv item, as substitution always does.
fn process_arguments(call: &ProcessCall, run: &Run<'_>) -> Result<(Value, bool), String> {
    if !run.substitutes_arguments() {
        return Ok((call.arguments.clone(), true));
    }
    run.with_taint(|scope, taint| {
        let trusted = tainted(&call.arguments, scope, taint).is_empty();
        let arguments = match &call.arguments {
            Value::String(s) => substitute_shell(s, scope, taint).map_err(|e| e.to_string())?,
            other => substitute(other, scope),
        };
        Ok((arguments, trusted))
    })
}

/// Seconds a call may take beyond the wait a Python function's argument allows (its requests).
const WAIT_MARGIN: f64 = 30.0;

/// Seconds the host waits past an http provider's timeout before it stops the plugin itself.
const HTTP_TIMEOUT_GRACE: f64 = 1.0;

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
