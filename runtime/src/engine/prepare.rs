//! Everything before the run: load the experiment (file or URL), validate it, resolve configuration
//! and secrets with the operator's vars, load the plugins it uses. Problems are logged as Chaos
//! Toolkit logs them, all at once, each at its JSON pointer.

use super::plugins::{self, Plugins};
use crate::console::Console;
use crate::experiment::{Experiment, Invalid, Resolved, Vars, load_source, resolve, validate};
use crate::host::Host;
use crate::registry::Registry;

/// An experiment ready to run.
pub struct Prepared {
    pub experiment: Experiment,
    pub resolved: Resolved,
    pub plugins: Plugins,
}

/// How thoroughly to check.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    /// `--no-validation` turns this off: no "Validating…" lines and no check of activity arguments
    /// against plugin metadata. chaosrt still needs a well-formed experiment to run it at all.
    pub validate: bool,
}

/// Loads and checks `source`; `None` (after logging why) when it cannot run.
pub async fn prepare(
    source: &str,
    vars: &Vars,
    host: &Host,
    registry: &Registry,
    console: &Console,
    checks: Checks,
) -> Option<Prepared> {
    let raw = match load_source(source).await {
        Ok(raw) => raw,
        Err(e) => {
            console.error(&e.to_string());
            return None;
        }
    };
    if checks.validate {
        console.info("Validating the experiment's syntax");
    }
    let report = |invalid: Invalid| {
        for line in invalid.to_string().lines() {
            console.error(line);
        }
    };
    let experiment = match validate(&raw) {
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
    match plugins::load(&experiment, host, registry, console, checks.validate).await {
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
