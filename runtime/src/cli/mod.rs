//! The command line: parses, dispatches to one file per subcommand, maps outcomes to exit codes
//! (0 completed, 1 deviated/failed/invalid, 2 usage, as `chaos`). No run logic lives here.

mod plugin;
mod run;
mod validate;

use crate::console::Console;
use crate::host::Host;
use crate::registry::Registry;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Runs Chaos Toolkit experiments with every probe and action as a sandboxed WebAssembly component.
#[derive(Debug, Parser)]
#[command(name = "chaosrt", version, about)]
struct Cli {
    /// Show debug lines (plugin loading, activity outputs).
    #[arg(long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an experiment and write its journal.
    Run(run::Args),
    /// Check an experiment without running it.
    Validate(validate::Args),
    /// List and install plugins.
    #[command(subcommand)]
    Plugin(plugin::Command),
}

/// Entry point of the `chaosrt` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let console = Console::new(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            console.error(&format!("cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(args, console).await,
            Command::Validate(args) => validate::run(args, console).await,
            Command::Plugin(command) => plugin::run(command, console).await,
        }
    });
    match outcome {
        Ok(code) => code,
        Err(error) => {
            console.error(&format!("{error:#}"));
            ExitCode::from(1)
        }
    }
}

/// The plugin host and registry in the user's directories (`$XDG_CACHE_HOME/chaosrt`,
/// `$XDG_DATA_HOME/chaosrt` on Linux).
fn host_and_registry() -> anyhow::Result<(Host, Registry)> {
    let dirs = directories::ProjectDirs::from("", "", "chaosrt");
    let cache = dirs.as_ref().map(|d| d.cache_dir().join("components"));
    let data = dirs.as_ref().map(|d| d.data_dir().to_path_buf());
    let host = Host::new(cache)
        .map_err(|e| anyhow::anyhow!("cannot start the WebAssembly engine: {e:#}"))?;
    Ok((host, Registry::new(data)))
}
