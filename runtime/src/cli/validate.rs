//! `chaosrt validate SOURCE`.

use super::vars::VarArgs;
use crate::console::Console;
use crate::engine::prepare::{Checks, prepare};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not verify the TLS certificate when fetching an https SOURCE.
    #[arg(long)]
    pub no_verify_tls: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    /// The experiment: a JSON or YAML file, or an http(s) URL.
    pub source: String,
}

pub async fn run(args: Args, console: Console) -> anyhow::Result<ExitCode> {
    let vars = args.vars.load()?;
    let (host, registry) = super::host_and_registry()?;
    let prepared = prepare(
        &args.source,
        &vars,
        &host,
        &registry,
        &console,
        Checks {
            validate: true,
            verify_tls: !args.no_verify_tls,
            // Validation runs nothing, so whatever the network did to the document is only reported.
            allow_http_source: true,
            ..Default::default()
        },
        &std::sync::OnceLock::new(),
    )
    .await;
    Ok(match prepared {
        Some(_) => {
            console.info("experiment syntax and semantic look valid");
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
    })
}
