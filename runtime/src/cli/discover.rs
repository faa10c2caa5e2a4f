//! `chaosrt discover`: writes the discovery document of every plugin activity.

use crate::console::Console;
use crate::discovery::discover;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the discovery document.
    #[arg(long, default_value = "./discovery.json")]
    pub discovery_path: PathBuf,
    /// Leave out information about this machine.
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
    console.info(&format!(
        "Discovery outcome saved in {} ({count} activities)",
        args.discovery_path.display()
    ));
    Ok(ExitCode::SUCCESS)
}
