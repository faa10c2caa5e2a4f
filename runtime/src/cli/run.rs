//! `chaosrt run [OPTIONS] SOURCE`: Chaos Toolkit's `chaos run` flags.

use super::vars::VarArgs;
use crate::console::{Console, Mask};
use crate::engine::plugins::GrantOptions;
use crate::engine::prepare::{Checks, prepare};
use crate::engine::{
    Dry, Interrupts, RunOptions, Runtime, StrategyFlags, interrupted_while_loading,
};
use crate::experiment::{HypothesisStrategy, RollbackStrategy, secret_strings};
use crate::host::Capability;
use crate::journal::{Destination, Saved, Status};
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the journal.
    #[arg(long, default_value = "./journal.json")]
    pub journal_path: PathBuf,
    /// Run without executing these activities (they still appear in the journal).
    #[arg(long, value_enum)]
    pub dry: Option<Dry>,
    /// Skip the up-front checks of activity arguments against the plugins.
    #[arg(long)]
    pub no_validation: bool,
    /// Do not verify the TLS certificate when fetching an https SOURCE.
    #[arg(long)]
    pub no_verify_tls: bool,
    /// Fetch an http:// SOURCE from another machine (loopback always is): the network could change it.
    #[arg(long)]
    pub allow_http_source: bool,
    /// When to play the rollbacks.
    #[arg(long, value_parser = parse_rollback)]
    pub rollback_strategy: Option<RollbackStrategy>,
    /// When to check the steady-state hypothesis.
    #[arg(long, value_parser = parse_hypothesis)]
    pub hypothesis_strategy: Option<HypothesisStrategy>,
    /// Seconds between two continuous hypothesis checks.
    #[arg(long, default_value_t = 1.0)]
    pub hypothesis_frequency: f64,
    /// Stop the method as soon as the continuous hypothesis deviates.
    #[arg(long)]
    pub fail_fast: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    /// What a plugin holds in this run, as PLUGIN:KIND=VALUE (the KIND=VALUE of `plugin install
    /// --grant`); repeat it for each grant. For a plugin named so, these are all it holds (its
    /// grants in the experiment's `chaosrt` extension are not used); each must be within what it
    /// was granted at install.
    #[arg(long, value_name = "PLUGIN:KIND=VALUE", value_parser = parse_run_grant)]
    pub grant: Vec<(String, Capability)>,
    /// Let this run's grants go beyond what a plugin was granted at install (never beyond what it
    /// asks for); each widened grant is logged as a warning.
    #[arg(long)]
    pub widen_grants: bool,
    /// The experiment: a JSON or YAML file, or an http(s) URL.
    pub source: String,
}

/// `PLUGIN:KIND=VALUE`.
fn parse_run_grant(text: &str) -> Result<(String, Capability), String> {
    let (plugin, grant) = text
        .split_once(':')
        .filter(|(p, _)| !p.is_empty() && !p.contains('='))
        .ok_or_else(|| {
            format!("'{text}' is not PLUGIN:KIND=VALUE (e.g. fs:filesystem=.:read-only)")
        })?;
    Ok((plugin.to_string(), Capability::from_grant_argument(grant)?))
}

fn parse_rollback(s: &str) -> Result<RollbackStrategy, String> {
    RollbackStrategy::parse(s)
        .ok_or_else(|| format!("'{s}' is not one of default, always, never, deviated"))
}

fn parse_hypothesis(s: &str) -> Result<HypothesisStrategy, String> {
    HypothesisStrategy::parse(s).map(|(h, _)| h).ok_or_else(|| {
        format!("'{s}' is not one of default, before-method-only, after-method-only, during-method-only, continuously")
    })
}

pub async fn run(
    args: Args,
    console: Console,
    settings: &crate::settings::Settings,
) -> anyhow::Result<ExitCode> {
    // From here on a signal ends the run with a journal, loading included.
    let interrupts = Interrupts::listen(console.clone());
    let started = std::time::Instant::now();
    let vars = args.vars.load()?;
    // Before anything runs: finding out at the end would lose the run.
    let destination = Destination::check(&args.journal_path)?;
    let (host, registry) = super::host_and_registry()?;
    let checks = Checks {
        validate: !args.no_validation,
        verify_tls: !args.no_verify_tls,
        allow_http_source: args.allow_http_source,
        grants: GrantOptions {
            grants: args.grant.clone(),
            widen: args.widen_grants,
        },
    };
    let loaded = std::sync::OnceLock::new();
    let prepared = tokio::select! {
        prepared = prepare(&args.source, &vars, &host, &registry, &console, checks.clone(), &loaded) => prepared,
        () = interrupts.after(0) => {
            let journal = interrupted_while_loading(loaded.get(), args.dry, started, &console);
            journal.save(&destination, &Mask::default())?;
            return Ok(ExitCode::from(1));
        }
    };
    let Some(prepared) = prepared else {
        return Ok(ExitCode::from(1));
    };
    if checks.validate {
        console.info("Experiment looks valid");
    }
    let mut options = RunOptions {
        hypothesis_frequency: args.hypothesis_frequency,
        fail_fast: args.fail_fast,
        dry: args.dry,
        ..RunOptions::default()
    };
    let flags = StrategyFlags {
        hypothesis: args.hypothesis_strategy,
        rollbacks: args.rollback_strategy,
    };
    options.strategies(flags, &prepared.experiment, settings);
    let mask = Mask::new(secret_strings(&prepared.resolved));
    let console = console.masking(mask.clone());
    let working_dir = std::env::current_dir().context("cannot read the current directory")?;
    crate::engine::plugins::warn_broad_working_dir(&prepared.plugins, &working_dir, &console);
    let runtime = Runtime {
        host,
        console,
        working_dir,
    };
    let journal = runtime
        .run(
            &prepared.experiment,
            &prepared.plugins,
            &prepared.resolved,
            &options,
            &interrupts,
        )
        .await;
    let saved = journal.save(&destination, &mask)?;
    if let Saved::Fallback { error, fallback } = &saved {
        runtime.console.error(&format!(
            "cannot write the journal to {}: {error}; it was written to {} instead",
            destination.path().display(),
            fallback.display()
        ));
    }
    let ok = journal.status == Some(Status::Completed)
        && !journal.deviated
        && matches!(saved, Saved::AtPath);
    // The process ends now: handing the engine's pool of address space (every call's memories,
    // tables and stacks) back to the kernel slot by slot took longer than a short run's own work.
    std::mem::forget(runtime.host);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
