//! `chaosrt plugin list` and `chaosrt plugin install FILE`.

use crate::console::Console;
use crate::engine::plugins::plugin_log;
use crate::host::{Capability, Host, LoadError, MAX_COMPONENT_BYTES, Plugin};
use crate::registry::{Entry, Manifest, Plan, Registry, Source};
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show every plugin with its version, activities and grants.
    List,
    /// Install a plugin component from a file, granting the capabilities it asks for.
    Install(Install),
}

#[derive(Debug, clap::Args)]
pub struct Install {
    /// Path to the component (.wasm).
    file: PathBuf,
    /// Grant the requested capabilities without asking.
    #[arg(long)]
    yes: bool,
    /// Replace the plugin installed under the same name and version with this component (and its
    /// grants with what this one asks for, asked again).
    #[arg(long)]
    replace: bool,
    /// Give up compiling the component after this many seconds.
    #[arg(long, value_name = "SECONDS", value_parser = seconds,
          default_value_t = crate::host::cache::COMPILE_TIMEOUT.as_secs_f64())]
    compile_timeout: f64,
}

pub async fn run(command: Command, console: Console) -> anyhow::Result<ExitCode> {
    let (host, registry) = super::host_and_registry()?;
    match command {
        Command::List => list(&host, &registry, console).await,
        Command::Install(args) => {
            let host = host.with_compile_timeout(Duration::from_secs_f64(args.compile_timeout));
            install(&host, &registry, console, args).await
        }
    }
}

/// A positive, finite number of seconds.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && Duration::try_from_secs_f64(s).is_ok() => Ok(s),
        _ => Err(format!("'{text}' is not a positive number of seconds")),
    }
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
    let _ = writeln!(out, "  grants:");
    let grants = granted(entry, plugin);
    if grants.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for g in grants {
        let _ = writeln!(out, "    {g}");
    }
}

/// Checks the component (before compiling it), compiles it and asks it what it is, shows what it asks
/// for and, once granted, stores it. Different bytes under an installed name and version are
/// refused unless `--replace`; the same bytes again change nothing.
async fn install(
    host: &Host,
    registry: &Registry,
    console: Console,
    args: Install,
) -> anyhow::Result<ExitCode> {
    let Install {
        file,
        yes,
        replace,
        compile_timeout: _,
    } = args;
    let label = file.display().to_string();
    let bytes = read_component(&file, &label)?;
    let plugin = host
        .load(&label, &bytes, plugin_log(&console, &label))
        .await?;
    if let Some(warning) = plugin.loaded_from.warning(&label) {
        console.warning(&warning);
    }
    let m = &plugin.metadata;
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
    match registry.plan(&manifest, replace)? {
        Plan::Unchanged => {
            eprintln!(
                "{} {} is already installed from the same bytes (sha256 {}); nothing was changed",
                m.name, m.version, plugin.sha256
            );
            return Ok(ExitCode::SUCCESS);
        }
        Plan::Replace => eprintln!(
            "This replaces the installed {} {} and what it was granted.",
            m.name, m.version
        ),
        Plan::Fresh => {}
    }
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
    let (plan, dir) = registry.install(&bytes, &manifest, replace)?;
    eprintln!(
        "{} {} {} (sha256 {}) in {}",
        if plan == Plan::Replace {
            "Replaced"
        } else {
            "Installed"
        },
        m.name,
        m.version,
        plugin.sha256,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The component file's bytes. One larger than the host accepts is refused before it is read.
fn read_component(file: &Path, label: &str) -> anyhow::Result<Vec<u8>> {
    let cannot = || format!("cannot read {}", file.display());
    let opened = std::fs::File::open(file).with_context(cannot)?;
    let meta = opened.metadata().with_context(cannot)?;
    if !meta.is_file() {
        bail!("{} is not a file", file.display());
    }
    let cap = MAX_COMPONENT_BYTES as u64;
    if meta.len() > cap {
        return Err(LoadError::too_large(label, meta.len()).into());
    }
    // Bounded even if the file grows meanwhile: the host refuses what is over the cap.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    opened
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot)?;
    Ok(bytes)
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
