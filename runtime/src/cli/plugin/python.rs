//! `plugin install python:PACKAGE==VERSION …`: what the command line adds to the install of any
//! component (`install.rs`) for a bundle of Python extensions built by `registry::python`.

use super::install::Install;
use crate::console::Console;
use crate::escape::escape;
use crate::host::{Capability, Origin};
use crate::registry::python::{self, Built, PythonBundle};
use crate::registry::{Manifest, Registry};
use anyhow::bail;

/// Builds the bundle, showing the builder's steps.
pub async fn build(first: &str, args: &Install, console: &Console) -> anyhow::Result<Built> {
    if args.sha256_pinned() {
        bail!(
            "--sha256 pins a component's bytes; a python: source is built here from pinned packages \
             whose wheels are checked against the digests PyPI publishes"
        );
    }
    let specs = args.python_specs(first);
    let started = std::time::Instant::now();
    let built = python::build(&specs, |step| {
        console.info(&format!("python: {}", escape(step)))
    })
    .await?;
    console.info(&format!(
        "python: built {} ({:.1} MB) in {:.1}s",
        specs.join(" "),
        built.component.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    ));
    Ok(built)
}

/// What the bundle holds, before the operator decides what it may reach.
pub fn describe(built: &Built) {
    let b = &built.bundle;
    eprintln!(
        "Python packages (for CPython {}, built by {}):",
        escape(&b.python),
        escape(&b.bundler)
    );
    for p in &b.packages {
        let why = p
            .why
            .as_deref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        eprintln!(
            "  {}=={} ({}){}",
            escape(&p.name),
            escape(&p.version),
            escape(&p.kind),
            escape(&why)
        );
    }
    eprintln!("It runs the python modules {}.", b.modules.join(", "));
    eprintln!(
        "A Python extension declares nothing: it may reach only the origins you grant, each with \
         --grant http-origin=ORIGIN, or --grant http-configuration=KEY for the URL an experiment's \
         configuration holds under KEY."
    );
    if !built.endpoint_keys.is_empty() {
        eprintln!("Its code reads these configuration keys that look like endpoints:");
        for key in &built.endpoint_keys {
            eprintln!(
                "  {}  [--grant http-configuration={}]",
                escape(key),
                escape(key)
            );
        }
    }
}

/// The operator's `--grant`s for a bundle: origins only, each well formed. Credentials (environment
/// variables, a kubeconfig, files) are not given to Python extensions.
pub fn granted(grants: &[Capability]) -> anyhow::Result<Vec<Capability>> {
    for grant in grants {
        let what = grant.grant_argument();
        if !python::grantable(grant) {
            bail!(
                "--grant {what}: a Python extension is granted origins only (http-origin=ORIGIN, \
                 http-configuration=KEY); credentials and files stay outside its sandbox (see \
                 docs/python-extensions.md); nothing was installed"
            );
        }
        match grant {
            Capability::HttpOrigin { origin } if Origin::parse(origin).is_none() => bail!(
                "--grant {what}: not an origin; write scheme://host[:port], e.g. \
                 http-origin=http://127.0.0.1:9090"
            ),
            Capability::HttpConfiguration { key }
                if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                bail!("--grant {what}: a configuration key is letters, digits and '_'")
            }
            _ => {}
        }
    }
    Ok(grants.to_vec())
}

/// Refuses a bundle serving a module another installed plugin already serves: which one would run
/// `{"type": "python", "module": M}` must never depend on the order plugins are listed in.
pub fn check_modules(
    registry: &Registry,
    manifest: &Manifest,
    bundle: &PythonBundle,
) -> anyhow::Result<()> {
    for (module, plugin, version) in registry.python_modules() {
        if plugin != manifest.name && bundle.modules.contains(&module) {
            bail!(
                "the python module '{module}' is already served by the installed plugin '{plugin}' \
                 {version}; remove it first (chaosrt plugin remove {plugin}); nothing was installed"
            );
        }
    }
    Ok(())
}
