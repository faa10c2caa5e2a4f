//! The command line: parses, dispatches to one file per subcommand, maps outcomes to exit codes
//! (0 completed, 1 deviated/failed/invalid, 2 usage, as `chaos`). No run logic lives here.

mod discover;
mod init;
mod plugin;
mod run;
mod validate;
mod vars;

use crate::console::{Console, Level};
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
    /// The settings file (default: `settings.yaml` in the user config dir, e.g. ~/.config/chaosrt).
    #[arg(long, global = true, value_name = "PATH")]
    settings: Option<std::path::PathBuf>,
    /// File path where to write the command's log.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "chaostoolkit.log"
    )]
    log_file: std::path::PathBuf,
    /// Change directory before running the command (the log file is opened first, as in Chaos
    /// Toolkit).
    #[arg(long, global = true, value_name = "DIR")]
    change_dir: Option<std::path::PathBuf>,
    /// Console logging format.
    #[arg(long, global = true, value_enum, default_value = "string")]
    log_format: LogFormat,
    /// Disable logging to file entirely.
    #[arg(long, global = true)]
    no_log_file: bool,
    /// File logging level.
    #[arg(long, global = true, value_enum, default_value = "debug")]
    log_file_level: FileLevel,
    /// Accepted for Chaos Toolkit compatibility; chaosrt never checks for new versions.
    #[arg(long, global = true, hide = true)]
    no_version_check: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an experiment and write its journal.
    Run(run::Args),
    /// Check an experiment without running it.
    Validate(validate::Args),
    /// Write a discovery document of every activity the plugins offer.
    Discover(discover::Args),
    /// Scaffold an experiment from a discovery document.
    Init(init::Args),
    /// List and install plugins.
    #[command(subcommand)]
    Plugin(plugin::Command),
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    String,
    Json,
}

/// `--log-file-level` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FileLevel {
    Debug,
    Info,
    Warning,
    Error,
}

/// Entry point of the `chaosrt` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut console = Console::new(cli.verbose);
    if cli.log_format == LogFormat::Json {
        console = console.json();
    }
    if !cli.no_log_file {
        let level = match cli.log_file_level {
            FileLevel::Debug => Level::Debug,
            FileLevel::Info => Level::Info,
            FileLevel::Warning => Level::Warning,
            FileLevel::Error => Level::Error,
        };
        console = match console.clone().with_file(&cli.log_file, level) {
            Ok(with_file) => with_file,
            Err(e) => {
                console.warning(&format!(
                    "cannot write the log file {}: {e}",
                    cli.log_file.display()
                ));
                console
            }
        };
    }
    // One thread: a run's activities follow one another (background ones are polled by the same
    // task), so worker threads only added their start-up and a hand-off between threads at every
    // HTTP request (a quarter of the CPU of a run of 1,000 probes). Compilation has a thread of its
    // own; blocking file and DNS work goes to tokio's blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            console.error(&format!("cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    if let Some(dir) = &cli.change_dir
        && let Err(e) = std::env::set_current_dir(dir)
    {
        console.error(&format!(
            "cannot change directory to {}: {e}",
            dir.display()
        ));
        return ExitCode::from(1);
    }
    let explicit = cli.settings.is_some();
    let settings_path = cli.settings.clone().or_else(crate::settings::default_path);
    let outcome = runtime.block_on({
        let console = console.clone();
        async move {
            let settings = match settings_path {
                Some(path) => crate::settings::Settings::load(&path, explicit)?,
                None => Default::default(),
            };
            match cli.command {
                Command::Run(args) => run::run(args, console, &settings).await,
                Command::Validate(args) => validate::run(args, console).await,
                Command::Plugin(command) => plugin::run(command, console).await,
                Command::Discover(args) => discover::run(args, console).await,
                Command::Init(args) => init::run(args, console).await,
            }
        }
    });
    // What is left (tokio's idle blocking threads) need not be waited for: the process ends.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => code,
        Err(error) => {
            console.error(&format!("{error:#}"));
            ExitCode::from(1)
        }
    }
}

/// The plugin host and registry in the user's directories: compiled components are cached under
/// `$XDG_CACHE_HOME/chaosrt`, vouched for by a ledger beside the plugin store under
/// `$XDG_DATA_HOME/chaosrt` (on Linux).
fn host_and_registry() -> anyhow::Result<(Host, Registry)> {
    let dirs = directories::ProjectDirs::from("", "", "chaosrt");
    let cache = dirs.as_ref().map(|d| crate::host::cache::CacheDirs {
        cache: d.cache_dir().to_path_buf(),
        data: d.data_dir().to_path_buf(),
    });
    let data = dirs.as_ref().map(|d| d.data_dir().to_path_buf());
    let host = Host::new(cache)
        .map_err(|e| anyhow::anyhow!("cannot start the WebAssembly engine: {e:#}"))?;
    Ok((host, Registry::new(data)))
}
