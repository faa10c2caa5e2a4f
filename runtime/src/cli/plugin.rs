//! `chaosrt plugin list` and `chaosrt plugin install FILE`.

use crate::console::Console;
use crate::engine::plugins::plugin_log;
use crate::host::{Capability, Host, Plugin};
use crate::registry::{Entry, Manifest, Registry, Source};
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show every plugin with its version, activities and grants.
    List,
    /// Install a plugin component from a file, granting the capabilities it asks for.
    Install {
        /// Path to the component (.wasm).
        file: PathBuf,
        /// Grant the requested capabilities without asking.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(command: Command, console: Console) -> anyhow::Result<ExitCode> {
    let (host, registry) = super::host_and_registry()?;
    match command {
        Command::List => list(&host, &registry, console).await,
        Command::Install { file, yes } => install(&host, &registry, console, file, yes).await,
    }
}

async fn list(host: &Host, registry: &Registry, console: Console) -> anyhow::Result<ExitCode> {
    let mut out = String::new();
    for entry in registry.list()? {
        let bytes = registry.bytes(&entry)?;
        let plugin = host
            .load(&entry.name, &bytes, plugin_log(&console, &entry.name))
            .await?;
        describe(&mut out, &entry, &plugin);
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
    let _ = writeln!(out, "  grants:");
    let grants = granted(entry, plugin);
    if grants.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for g in grants {
        let _ = writeln!(out, "    {g}");
    }
}

async fn install(
    host: &Host,
    registry: &Registry,
    console: Console,
    file: PathBuf,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let label = file.display().to_string();
    let plugin = host
        .load(&label, &bytes, plugin_log(&console, &label))
        .await?;
    let m = &plugin.metadata;
    // Plugin text, escaped: a description cannot rewrite the lines below it.
    eprintln!(
        "{} {}: {}",
        crate::escape::escape(&m.name),
        crate::escape::escape(&m.version),
        crate::escape::escape(&m.description)
    );
    eprintln!("It asks for:");
    if m.capabilities.is_empty() {
        eprintln!("  nothing");
    }
    for c in &m.capabilities {
        eprintln!("  {c}");
    }
    if !yes && !m.capabilities.is_empty() && !confirm()? {
        bail!("not installed: the capabilities were not granted (pass --yes to grant them)");
    }
    let manifest = Manifest {
        name: m.name.clone(),
        version: m.version.clone(),
        description: m.description.clone(),
        sha256: plugin.sha256.clone(),
        granted: m.capabilities.clone(),
        source: std::fs::canonicalize(&file)
            .unwrap_or(file)
            .display()
            .to_string(),
    };
    let dir = registry.install(&bytes, &manifest)?;
    eprintln!(
        "Installed {} {} (sha256 {}) in {}",
        m.name,
        m.version,
        plugin.sha256,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal; without one, refuses (granting must be explicit).
fn confirm() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("Grant these capabilities? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
