//! `chaosrt run [--journal-path P] FILE`.

use crate::console::Console;
use crate::engine::Runtime;
use crate::journal::Status;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the journal.
    #[arg(long, default_value = "./journal.json")]
    pub journal_path: PathBuf,
    /// The experiment file (JSON).
    pub file: PathBuf,
}

pub async fn run(args: Args, console: Console) -> anyhow::Result<ExitCode> {
    let (host, registry) = super::host_and_registry()?;
    let Some((experiment, plugins)) =
        super::validate::check(&args.file, &host, &registry, console).await
    else {
        return Ok(ExitCode::from(1));
    };
    console.info("Experiment looks valid");
    let working_dir = std::env::current_dir().context("cannot read the current directory")?;
    let runtime = Runtime {
        host,
        console,
        working_dir,
    };
    let journal = runtime.run(&experiment, &plugins).await;
    journal.write(&args.journal_path).with_context(|| {
        format!(
            "cannot write the journal to {}",
            args.journal_path.display()
        )
    })?;
    let ok = journal.status == Some(Status::Completed) && !journal.deviated;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
