//! `chaosrt init`: scaffolds an experiment from a discovery document.

use crate::console::Console;
use crate::discovery::{names, scaffold};
use crate::host::ActivityKind;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The discovery document written by `chaosrt discover`.
    #[arg(long, default_value = "./discovery.json")]
    pub discovery_path: PathBuf,
    /// Where to write the experiment.
    #[arg(long, default_value = "./experiment.json")]
    pub experiment_path: PathBuf,
    /// The experiment's title.
    #[arg(long, default_value = "TODO: the question this experiment answers")]
    pub title: String,
    /// A probe for the steady-state hypothesis, as PLUGIN.ACTIVITY (repeatable).
    #[arg(long = "probe", value_name = "PLUGIN.ACTIVITY")]
    pub probes: Vec<String>,
    /// An action for the method, as PLUGIN.ACTIVITY (repeatable).
    #[arg(long = "action", value_name = "PLUGIN.ACTIVITY")]
    pub actions: Vec<String>,
}

pub async fn run(args: Args, console: Console) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.discovery_path).with_context(|| {
        format!(
            "cannot read {} (run `chaosrt discover` first)",
            args.discovery_path.display()
        )
    })?;
    let discovery: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a discovery document",
            args.discovery_path.display()
        )
    })?;
    if args.probes.is_empty() && args.actions.is_empty() {
        console.info(&format!(
            "Probes you can use: {}",
            names(&discovery, ActivityKind::Probe).join(", ")
        ));
        console.info(&format!(
            "Actions you can use: {}",
            names(&discovery, ActivityKind::Action).join(", ")
        ));
    }
    let experiment = scaffold(&discovery, &args.title, &args.probes, &args.actions)?;
    let text = serde_json::to_string_pretty(&experiment)? + "\n";
    crate::host::cache::write_atomically(&args.experiment_path, text.as_bytes())?;
    console.info(&format!(
        "Experiment created and saved in '{}'",
        args.experiment_path.display()
    ));
    Ok(ExitCode::SUCCESS)
}
