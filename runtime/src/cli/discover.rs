//! `chaosrt discover`: writes the discovery document of every plugin activity, and of the targets
//! plugins that export `discovery` report (under `system.plugins`, unless `--no-system-info`).

use crate::console::Console;
use crate::discovery::discover;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the discovery document.
    #[arg(long, default_value = "./discovery.json")]
    pub discovery_path: PathBuf,
    /// Leave out information about this machine and the systems plugins can see (no plugin's
    /// `discover()` runs).
    #[arg(long)]
    pub no_system_info: bool,
}

pub async fn run(args: Args, console: Console) -> anyhow::Result<ExitCode> {
    let (host, registry) = super::host_and_registry()?;
    console.info("Attempting to discover the plugins' activities...");
    let discovery = discover(&host, &registry, &console, !args.no_system_info).await?;
    let text = serde_json::to_string_pretty(&discovery)? + "\n";
    crate::host::cache::write_atomically(&args.discovery_path, text.as_bytes())?;
    let count = discovery["activities"].as_array().map_or(0, Vec::len);
    let targets: usize = discovery["system"]["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["targets"].as_array().map_or(0, Vec::len))
        .sum();
    let targets = if targets > 0 {
        format!(", {targets} targets")
    } else {
        String::new()
    };
    console.info(&format!(
        "Discovery outcome saved in {} ({count} activities{targets})",
        args.discovery_path.display()
    ));
    Ok(ExitCode::SUCCESS)
}
