//! `chaosrt plugin list | inspect | remove`, `install` ([`install`]), `push` ([`push`]) and `new` ([`new`]).

mod install;
mod new;
mod push;
mod python;

use crate::console::Console;
use crate::engine::plugins::plugin_log;
use crate::host::{Capability, Host, Plugin};
use crate::registry::{Entry, Registry, Source};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show every plugin with its version, activities and grants.
    List,
    /// Install a plugin component from a file, an http(s) URL or an OCI registry, after showing
    /// what it asks for.
    Install(install::Install),
    /// Publish a plugin component to an OCI registry (the Wasm OCI artifact layout).
    Push(push::Push),
    /// Show one plugin: its activities and their arguments, what it asks for and what it was
    /// granted, its digest, source and contract version.
    Inspect {
        /// NAME, or NAME@VERSION (`@1.2`: the newest 1.2.x).
        plugin: String,
    },
    /// Write a new plugin project in Rust, Python or JavaScript, with a README that says how to
    /// build, test and install it.
    New(new::New),
    /// Remove an installed plugin: every version of it, or NAME@VERSION only.
    Remove {
        /// NAME, or NAME@VERSION (exactly that version).
        plugin: String,
    },
}

pub async fn run(command: Command, console: Console) -> anyhow::Result<ExitCode> {
    // Writing a project needs no engine.
    let command = match command {
        Command::New(args) => return new::new(args),
        other => other,
    };
    let (host, registry) = super::host_and_registry()?;
    match command {
        Command::List => list(&host, &registry, console).await,
        Command::Install(args) => {
            let host = host.with_compile_timeout(Duration::from_secs_f64(args.compile_timeout));
            install::install(&host, &registry, console, args).await
        }
        Command::Push(args) => push::push(&host, console, args).await,
        Command::Inspect { plugin } => inspect(&host, &registry, console, &plugin).await,
        Command::New(_) => unreachable!("handled above"),
        Command::Remove { plugin } => {
            let (name, version) = split_spec(&plugin);
            for removed in registry.remove(name, version)? {
                eprintln!("Removed {name} {removed}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `NAME[@VERSION]`.
fn split_spec(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once('@') {
        Some((name, version)) => (name, Some(version)),
        None => (spec, None),
    }
}

/// A positive, finite number of seconds.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && Duration::try_from_secs_f64(s).is_ok() => Ok(s),
        _ => Err(format!("'{text}' is not a positive number of seconds")),
    }
}

/// `plugin inspect`: the listing of one plugin, with what it asks for beside what it holds.
async fn inspect(
    host: &Host,
    registry: &Registry,
    console: Console,
    spec: &str,
) -> anyhow::Result<ExitCode> {
    use std::fmt::Write;
    let (name, version) = split_spec(spec);
    let entry = registry.find(name, version)?;
    let plugin = registry
        .load(host, &entry, plugin_log(&console, &entry.name))
        .await
        .map_err(|why| anyhow::anyhow!("{why}"))?;
    if let Some(warning) = plugin.loaded_from.warning(&entry.name) {
        console.warning(&warning);
    }
    let mut out = String::new();
    describe(&mut out, &entry, &plugin);
    if let Source::Installed(path) = &entry.source
        && let Some(dir) = path.parent()
    {
        let _ = writeln!(out, "  stored in: {}", dir.display());
    }
    let _ = writeln!(out, "  loaded from: {:?}", plugin.loaded_from);
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Lists every plugin that loads; one that does not is skipped with a warning naming it.
async fn list(host: &Host, registry: &Registry, console: Console) -> anyhow::Result<ExitCode> {
    let mut out = String::new();
    let loaded = registry
        .load_all(
            host,
            |name| plugin_log(&console, name),
            |warning| console.warning(warning),
        )
        .await;
    for (entry, plugin) in &loaded {
        describe(&mut out, entry, plugin);
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The granted capabilities of an entry: a built-in's requests, or its manifest's grants.
fn granted<'a>(entry: &'a Entry, plugin: &'a Plugin) -> &'a [Capability] {
    match &entry.manifest {
        Some(m) => &m.granted,
        None => &plugin.metadata.capabilities,
    }
}

/// A plugin's listing. Every string in it is plugin text (or a path it chose), printed escaped.
fn describe(out: &mut String, entry: &Entry, plugin: &Plugin) {
    use crate::escape::escape;
    use std::fmt::Write;
    let m = &plugin.metadata;
    let source = match &entry.source {
        Source::Builtin(_) => "built-in".to_string(),
        Source::Installed(_) => entry
            .manifest
            .as_ref()
            .map(|m| m.source.clone())
            .unwrap_or_default(),
    };
    let _ = writeln!(
        out,
        "{} {} ({})",
        escape(&m.name),
        escape(&m.version),
        escape(&source)
    );
    let _ = writeln!(out, "  {}", escape(&m.description));
    let _ = writeln!(out, "  activities:");
    for a in &m.activities {
        let args: Vec<String> = a
            .arguments
            .iter()
            .map(|arg| {
                format!(
                    "{}{}: {}",
                    escape(&arg.name),
                    if arg.required { "" } else { "?" },
                    arg.type_name
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "    {} ({}) ({}): {}",
            escape(&a.name),
            a.kind.as_str(),
            args.join(", "),
            escape(&a.description)
        );
    }
    let _ = writeln!(out, "  asks for:");
    if m.capabilities.is_empty() {
        let _ = writeln!(out, "    nothing");
    }
    for c in &m.capabilities {
        let _ = writeln!(out, "    {}", c.in_words());
    }
    let _ = writeln!(out, "  grants:");
    let grants = granted(entry, plugin);
    if grants.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for g in grants {
        let _ = writeln!(out, "    {g}");
    }
    let withheld: Vec<&Capability> = m
        .capabilities
        .iter()
        .filter(|asked| !grants.iter().any(|g| asked.is_within(g)))
        .collect();
    if !withheld.is_empty() {
        let _ = writeln!(out, "  asks for, not granted:");
        for c in withheld {
            let _ = writeln!(out, "    {c}");
        }
    }
    let _ = writeln!(out, "  sha256: {}", plugin.sha256);
    let _ = writeln!(out, "  contract: chaosrt:plugin@{}", plugin.contract);
}
