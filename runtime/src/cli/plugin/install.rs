//! `chaosrt plugin install SOURCE`: a file or an http(s) URL, optionally pinned by `--sha256`;
//! checked and compiled with nothing granted, shown in words, and stored only once the operator
//! consents (or `--yes` / `--grant` say so for a script). The store's install is atomic.

use super::seconds;
use crate::console::Console;
use crate::download;
use crate::engine::plugins::plugin_log;
use crate::host::cache::sha256_hex;
use crate::host::{Capability, Compiled, Host, LoadError, MAX_COMPONENT_BYTES};
use crate::registry::oci::OciRef;
use crate::registry::{CompiledRecord, Manifest, Plan, Registry};
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Install {
    /// The component (.wasm): a path, an http(s):// URL, or an OCI reference
    /// oci://HOST[:PORT]/REPOSITORY:TAG (or @sha256:DIGEST). Or Chaos Toolkit extensions from PyPI,
    /// bundled into one component: `python:PACKAGE==VERSION [PACKAGE==VERSION…]`.
    source: String,
    /// More `PACKAGE==VERSION`s to bundle with a `python:` source (dependencies the extension
    /// imports without declaring them, such as `logzero==1.7.0` for chaostoolkit-prometheus).
    #[arg(value_name = "PACKAGE==VERSION")]
    packages: Vec<String>,
    /// The component's expected sha256 (hex): any other bytes are refused before they are compiled.
    #[arg(long, value_name = "DIGEST")]
    sha256: Option<String>,
    /// Grant every capability the plugin asks for without asking.
    #[arg(long, conflicts_with = "grant")]
    yes: bool,
    /// Grant this capability, and only the ones named so, without asking: `http-origin=ORIGIN`,
    /// `http-argument=NAME`, `filesystem=PATH:read-only|read-write`, `environment=NAME`,
    /// `kubernetes=NAMESPACES:RESOURCES:VERBS` (comma lists). Each must be one the plugin asks for
    /// or a narrower form of one (a read-write directory read-only, some of the namespaces,
    /// resources and verbs). A `python:` bundle asks for nothing and takes origins only:
    /// `http-origin=ORIGIN`, or `http-configuration=KEY` for the URL an experiment's configuration
    /// holds under KEY (`prometheus_base_url`).
    #[arg(long, value_name = "CAPABILITY", value_parser = Capability::from_grant_argument)]
    grant: Vec<Capability>,
    /// Replace the plugin installed under the same name and version with this component (and its
    /// grants with what this one asks for, asked again).
    #[arg(long)]
    replace: bool,
    /// Give up compiling the component after this many seconds.
    #[arg(long, value_name = "SECONDS", value_parser = seconds,
          default_value_t = crate::host::cache::COMPILE_TIMEOUT.as_secs_f64())]
    pub compile_timeout: f64,
}

impl Install {
    /// The `python:` source as the manifest records it: every package, as the operator named them.
    fn source_line(&self) -> String {
        std::iter::once(self.source.as_str())
            .chain(self.packages.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Every `PACKAGE==VERSION` of a `python:` source.
    pub(super) fn python_specs(&self, first: &str) -> Vec<String> {
        std::iter::once(first.to_string())
            .chain(self.packages.iter().cloned())
            .collect()
    }

    pub(super) fn sha256_pinned(&self) -> bool {
        self.sha256.is_some()
    }
}

/// How long fetching a plugin by URL may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// Checks the component (before compiling it), compiles it and asks it what it is, shows what it asks
/// for and, once granted, stores it. Different bytes under an installed name and version are
/// refused unless `--replace`; the same bytes again change nothing.
pub async fn install(
    host: &Host,
    registry: &Registry,
    console: Console,
    args: Install,
) -> anyhow::Result<ExitCode> {
    let (bytes, source, bundle) = match args.source.strip_prefix("python:") {
        Some(first) => {
            let built = super::python::build(first, &args, &console).await?;
            (built.component.clone(), args.source_line(), Some(built))
        }
        None if !args.packages.is_empty() => bail!(
            "more packages go with a python: source only (python:PACKAGE==VERSION \
             PACKAGE==VERSION…)"
        ),
        None => {
            let (bytes, source) = read_source(&args.source, args.sha256.is_some()).await?;
            (bytes, source, None)
        }
    };
    if let Some(expected) = &args.sha256 {
        let found = sha256_hex(&bytes);
        if !found.eq_ignore_ascii_case(expected.trim()) {
            bail!(
                "{}: its sha256 is {found}, not the {} that --sha256 pins; nothing was installed",
                crate::escape::escape(&args.source),
                crate::escape::escape(expected)
            );
        }
    }
    let label = crate::escape::escape(&args.source).into_owned();
    let plugin = host
        .load_with(
            &label,
            &bytes,
            Compiled::Fresh,
            plugin_log(&console, &label),
        )
        .await?;
    if let Some(warning) = plugin.loaded_from.warning(&label) {
        console.warning(&warning);
    }
    let m = &plugin.metadata;
    let asked = &m.capabilities;
    let mut manifest = Manifest {
        name: m.name.clone(),
        version: m.version.clone(),
        description: m.description.clone(),
        sha256: plugin.sha256.clone(),
        granted: asked.clone(),
        asked: Some(asked.clone()),
        source,
        contract: Some(plugin.contract.clone()),
        compiled: None,
        python: bundle.as_ref().map(|b| b.bundle.clone()),
    };
    if let Some(built) = &bundle {
        super::python::check_modules(registry, &manifest, &built.bundle)?;
    }
    match registry.plan(&manifest, args.replace)? {
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
    use crate::escape::escape;
    eprintln!(
        "{} {} (chaosrt:plugin@{}, sha256 {}): {}",
        escape(&m.name),
        escape(&m.version),
        plugin.contract,
        plugin.sha256,
        escape(&m.description)
    );
    eprintln!("Activities:");
    for a in &m.activities {
        eprintln!(
            "  {} ({}): {}",
            escape(&a.name),
            a.kind.as_str(),
            escape(&a.description)
        );
    }
    if let Some(built) = &bundle {
        super::python::describe(built);
    }
    eprintln!("It asks for:");
    if asked.is_empty() {
        eprintln!("  nothing");
    }
    for c in asked {
        eprintln!("  {}  [--grant {}]", c.in_words(), c.grant_argument());
    }
    // A Python bundle asks for nothing: what the operator names is all it gets.
    let named = match &bundle {
        Some(_) => Some(super::python::granted(&args.grant)?),
        None if !args.grant.is_empty() => Some(narrowed(&args.grant, asked)?),
        None => None,
    };
    if let Some(named) = named {
        manifest.granted = named;
        eprintln!("Granted (--grant):");
        if manifest.granted.is_empty() {
            eprintln!("  nothing: it can reach no network");
        }
        for c in &manifest.granted {
            eprintln!("  {}", c.in_words());
        }
    } else if !asked.is_empty() && !args.yes && !confirm()? {
        bail!(
            "not installed: the capabilities were not granted (pass --yes to grant them all, or \
             --grant for each one to grant)"
        );
    }
    // Compiled once, here, ahead of any run; stored with the plugin in the same atomic step.
    let compiled = plugin
        .serialize()
        .map_err(|e| anyhow::anyhow!("cannot keep the compiled form of {label}: {e:#}"))?;
    manifest.compiled = Some(CompiledRecord {
        engine: host.engine_key().to_string(),
        component: plugin.sha256.clone(),
        sha256: sha256_hex(&compiled),
        bytes: compiled.len() as u64,
    });
    let site_packages = bundle.as_ref().map(|b| b.site_packages.as_path());
    let (plan, dir) =
        registry.install_with(&bytes, &compiled, &manifest, args.replace, site_packages)?;
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

/// The component's bytes and the source to record: a file's canonical path, or the URL. Plain
/// http from another machine is refused unless the bytes are pinned by digest.
async fn read_source(source: &str, pinned: bool) -> anyhow::Result<(Vec<u8>, String)> {
    let is_url = source.starts_with("http://") || source.starts_with("https://");
    if source.starts_with("oci://") {
        let reference = OciRef::parse(source)?;
        let pulled = crate::registry::oci::pull(&reference).await?;
        return Ok((pulled.bytes, reference.pinned(&pulled.manifest_digest)));
    }
    if !is_url {
        if source.contains("://") {
            bail!(
                "{}: chaosrt installs plugins from a file, an http(s):// URL or an oci:// \
                 reference",
                crate::escape::escape(source)
            );
        }
        let path = Path::new(source);
        let bytes = read_component(path, source)?;
        let recorded = std::fs::canonicalize(path).unwrap_or(path.to_path_buf());
        return Ok((bytes, recorded.display().to_string()));
    }
    let url = reqwest::Url::parse(source).with_context(|| format!("{source}: not a URL"))?;
    let remote_http = crate::experiment::is_remote_http(&url);
    if remote_http && !pinned {
        bail!(
            "refusing to install a plugin from {source} over plain http from another machine: the \
             network could change it. Use https, or pin its content with --sha256"
        );
    }
    let request = download::Request {
        url: source,
        headers: vec![(
            reqwest::header::ACCEPT,
            "application/wasm, application/octet-stream".into(),
        )],
        max_bytes: MAX_COMPONENT_BYTES as u64,
        timeout: FETCH_TIMEOUT,
        policy: crate::experiment::FetchPolicy {
            verify_tls: true,
            allow_http: pinned,
        },
        plain_http_refusal: |url| {
            format!(
                "refusing to follow a redirect to {url}: plain http from another machine (pin \
                 the plugin with --sha256 to allow it)"
            )
        },
    };
    let fetched = download::get(&request).await.map_err(|e| match e {
        download::GetError::TooLarge => anyhow::anyhow!(
            "cannot fetch the plugin from {source}: the response is larger than the {} MiB chaosrt \
             accepts for a plugin component; nothing was installed",
            MAX_COMPONENT_BYTES >> 20
        ),
        download::GetError::Request(e) => {
            anyhow::anyhow!("cannot fetch the plugin from {source}: {e:#}")
        }
    })?;
    if !fetched.status.is_success() {
        bail!(
            "cannot fetch the plugin from {source}: the server answered {}",
            fetched.status
        );
    }
    Ok((fetched.body, source.to_string()))
}

/// The component file's bytes. One larger than the host accepts is refused before it is read.
pub(super) fn read_component(file: &Path, label: &str) -> anyhow::Result<Vec<u8>> {
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

/// The `--grant`s, each checked to be one the plugin asks for or a narrower form of one.
fn narrowed(grants: &[Capability], asked: &[Capability]) -> anyhow::Result<Vec<Capability>> {
    let within = |grant: &Capability| asked.iter().any(|a| grant.is_within(a));
    if let Some(wider) = grants.iter().find(|g| !within(g)) {
        bail!(
            "--grant {}: the plugin does not ask for it; a grant can only be one it asks for (or a \
             narrower form: a directory read-only that it asks read-write, some of the Kubernetes \
             namespaces, resources and verbs it asks for), see `It asks for` above; nothing was \
             installed",
            wider.grant_argument()
        );
    }
    Ok(grants.to_vec())
}
