//! `chaosrt validate FILE`.

use crate::console::Console;
use crate::engine::plugins;
use crate::experiment::{Experiment, Invalid, load_file, validate};
use crate::host::Host;
use crate::registry::Registry;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment file (JSON).
    pub file: PathBuf,
}

pub async fn run(args: Args, console: Console) -> anyhow::Result<ExitCode> {
    let (host, registry) = super::host_and_registry()?;
    Ok(match check(&args.file, &host, &registry, console).await {
        Some(_) => {
            console.info("experiment syntax and semantic look valid");
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
    })
}

/// Loads, validates and loads the plugins of an experiment, logging every problem. `None` when the
/// experiment cannot run.
pub async fn check(
    file: &Path,
    host: &Host,
    registry: &Registry,
    console: Console,
) -> Option<(Experiment, plugins::Plugins)> {
    let raw = match load_file(file) {
        Ok(raw) => raw,
        Err(e) => {
            console.error(&e.to_string());
            return None;
        }
    };
    console.info("Validating the experiment's syntax");
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
    match plugins::load(&experiment, host, registry, console).await {
        Ok(plugins) => Some((experiment, plugins)),
        Err(errors) => {
            report(Invalid(errors));
            None
        }
    }
}
