//! Everything before the run: load the experiment (file or URL), validate it, resolve configuration
//! and secrets with the operator's vars, load the plugins it uses. Problems are logged as Chaos
//! Toolkit logs them, all at once, each at its JSON pointer.

use super::plugins::{self, Plugins};
use crate::console::Console;
use crate::experiment::{
    Experiment, FetchPolicy, Invalid, Provider, Resolved, Scope, Vars, load_source, resolve,
    unknown_names, validate_with,
};
use crate::host::Host;
use crate::registry::Registry;
use serde_json::{Map, Value};

/// An experiment ready to run.
pub struct Prepared {
    pub experiment: Experiment,
    pub resolved: Resolved,
    pub plugins: Plugins,
}

/// How thoroughly to check, and what the command line grants.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// `--no-validation` turns this off: no "Validating…" lines and no check of activity arguments
    /// against plugin metadata. chaosrt still needs a well-formed experiment to run it at all.
    pub validate: bool,
    /// Check the certificate of an https source (`--no-verify-tls` turns it off).
    pub verify_tls: bool,
    /// Fetch a plain-http source from another machine (`--allow-http-source`); loopback always is.
    pub allow_http_source: bool,
    /// What plugins hold for this run, from the command line (`run --grant`, `--widen-grants`).
    pub grants: plugins::GrantOptions,
}

/// Loads and checks `source`; `None` (after logging why) when it cannot run. The experiment goes
/// into `loaded` as soon as it is parsed, for the journal of a run interrupted while it loads.
pub async fn prepare(
    source: &str,
    vars: &Vars,
    host: &Host,
    registry: &Registry,
    console: &Console,
    checks: Checks,
    loaded: &std::sync::OnceLock<Value>,
) -> Option<Prepared> {
    let policy = FetchPolicy {
        verify_tls: checks.verify_tls,
        allow_http: checks.allow_http_source,
    };
    let (raw, url) = match load_source(source, policy).await {
        Ok(loaded) => (loaded.document, loaded.url),
        Err(e) => {
            console.error(&e.to_string());
            return None;
        }
    };
    let _ = loaded.set(raw.clone());
    if checks.validate {
        console.info("Validating the experiment's syntax");
    }
    let report = |invalid: Invalid| {
        for line in invalid.to_string().lines() {
            console.error(line);
        }
    };
    // Python modules installed extension bundles serve (`plugin install python:…`).
    let experiment = match validate_with(&raw, &registry.python_modules()) {
        Ok(e) => e,
        Err(invalid) => {
            report(invalid);
            return None;
        }
    };
    let env = |key: &str| std::env::var(key).ok();
    let resolved = match resolve(&experiment, vars, &env) {
        Ok(resolved) => resolved,
        Err(invalid) => {
            report(invalid);
            return None;
        }
    };
    for warning in &resolved.warnings {
        console.warning(warning);
    }
    warn_unknown_names(&experiment, &resolved, console);
    if let Some(url) = &url {
        warn_remote_processes(&experiment, url, console);
    }
    match plugins::load(
        &experiment,
        host,
        registry,
        console,
        checks.validate,
        &checks.grants,
    )
    .await
    {
        Ok(plugins) => Some(Prepared {
            experiment,
            resolved,
            plugins,
        }),
        Err(errors) => {
            report(Invalid(errors));
            None
        }
    }
}

/// Warns that an experiment fetched from `url` runs commands on this host: whoever serves it chose
/// them, and the operator may never have read them.
fn warn_remote_processes(experiment: &Experiment, url: &str, console: &Console) {
    let commands: Vec<String> = super::plugins::activities_with_pointers(experiment)
        .into_iter()
        .filter_map(|(at, activity)| match &activity.provider {
            Provider::Process(call) => {
                Some(format!("{at} runs {}", Value::from(call.path.as_str())))
            }
            Provider::Plugin(_) => None,
        })
        .collect();
    if !commands.is_empty() {
        console.warning(&format!(
            "The experiment fetched from {url} runs commands on this host ({}): read what they run \
             before you trust it",
            commands.join(", ")
        ));
    }
}

/// Warns about `${name}` placeholders nothing will resolve (Chaos Toolkit leaves them verbatim without a
/// word) and `${output:NAME}` references to activities the experiment does not have.
fn warn_unknown_names(experiment: &Experiment, resolved: &Resolved, console: &Console) {
    let mut configuration = resolved.configuration.clone();
    for (key, _) in &experiment.dynamic_configuration {
        configuration.insert(key.clone(), Value::Null);
    }
    let no_outputs = Map::new();
    let scope = Scope {
        configuration: &configuration,
        secrets: &resolved.secrets,
        outputs: &no_outputs,
    };
    // Declarations and prose are never substituted.
    let mut substituted = experiment.raw.clone();
    if let Some(map) = substituted.as_object_mut() {
        for key in ["configuration", "secrets", "description"] {
            map.remove(key);
        }
    }
    let activity_names: Vec<&str> = super::plugins::activities_with_pointers(experiment)
        .into_iter()
        .map(|(_, a)| a.name.as_str())
        .collect();
    for name in unknown_names(&substituted, &scope) {
        match name.strip_prefix("output:") {
            Some(reference) => {
                let activity = reference.split('/').next().unwrap_or_default();
                if !activity_names.contains(&activity) {
                    console.warning(&format!(
                        "${{{name}}} refers to no activity named '{activity}' in this experiment; it stays as written"
                    ));
                }
            }
            None => console.warning(&format!(
                "${{{name}}} is declared neither in the configuration nor in the secrets; it stays as written"
            )),
        }
    }
}
