//! Chaos Toolkit extensions from PyPI as plugins (`plugin install python:PACKAGE==VERSION …`).
//!
//! chaosrt does not port extensions: it bundles the unmodified packages with one generic dispatcher
//! (`plugins/python/guest`) into a component through componentize-py, run by the builder script
//! `plugins/python/bundle.py` with the Python of the bundler's virtual environment
//! ([`bundler_python`]). The builder resolves with pip's normal resolver and pins, takes wheels only
//! (an sdist would run its build code on this machine), refuses native packages it cannot bundle by
//! name, and reports exact versions and sha256 digests, recorded in the manifest ([`PythonBundle`]).
//!
//! componentize-py keeps in the component what the extension imported while it was built; what it
//! imports later (dateparser's language data) and data files (time zones) are read from the
//! bundle's `site-packages`, stored beside `plugin.wasm` and mounted read-only at the guest path
//! componentize-py gave it ([`BUNDLE_GUEST_PATH`]).

use super::{Entry, Registry, RegistryError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// What an installed plugin built from Python packages records in its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonBundle {
    /// What the operator asked for, `PACKAGE==VERSION` each.
    pub requested: Vec<String>,
    /// The top-level modules of the requested packages: `{"type": "python", "module": M}` runs in
    /// this plugin when M is one of them or below one.
    pub modules: Vec<String>,
    /// Every package bundled, with the wheel and its sha256: what reproduces the install.
    pub packages: Vec<PythonPackage>,
    /// The Python the bundle was built for (componentize-py's interpreter).
    pub python: String,
    /// The componentize-py that built it.
    pub bundler: String,
    /// sha256 over the bundled `site-packages` (each file's path and digest, sorted).
    pub site_packages_sha256: String,
}

/// One bundled package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonPackage {
    pub name: String,
    pub version: String,
    /// `pure`, `native, without its compiled modules` or `wasm32-wasi build`.
    pub kind: String,
    /// The wheel's file name (optional in manifests written when chaosrt had stand-ins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Why a package is not bundled as published (built here, compiled modules left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// The directory of a bundle's packages, beside `plugin.wasm` in the store.
pub const SITE_PACKAGES: &str = "site-packages";

/// Where the bundle's packages are at run time inside the sandbox: componentize-py numbers the
/// directories it was given (`-p`), and the builder gives the dispatcher's first, the packages second.
pub const BUNDLE_GUEST_PATH: &str = "/1";

/// Where, in the bundler's environment, scripts/python-wasm-wheels puts the wasm32-wasi wheels it
/// built of native packages (regex) for componentize-py's CPython: they are tied to it.
pub const WASM_WHEELS: &str = "wasm-wheels";

/// componentize-py 0.25.x: the version the bundler's environment must have (wasm-facts.md).
pub const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";

/// What the builder script needs besides the Python of the bundler: the dispatcher, the builder
/// and the contract, as this chaosrt was built with them.
const FILES: &[(&str, &str)] = &[
    (
        "bundle.py",
        include_str!("../../../plugins/python/bundle.py"),
    ),
    (
        "guest/chaosrt_plugin.py",
        include_str!("../../../plugins/python/guest/chaosrt_plugin.py"),
    ),
    (
        "guest/chaosrt_wasi_http.py",
        include_str!("../../../plugins/python/guest/chaosrt_wasi_http.py"),
    ),
    (
        "guest/chaosrt_ssl.py",
        include_str!("../../../plugins/python/guest/chaosrt_ssl.py"),
    ),
    ("wit/world.wit", include_str!("../../../wit/world.wit")),
    ("wit/types.wit", include_str!("../../../wit/types.wit")),
    ("wit/host.wit", include_str!("../../../wit/host.wit")),
    ("wit/plugin.wit", include_str!("../../../wit/plugin.wit")),
    (
        "wit/deps/wasi-cli@0.2.12.wit",
        include_str!("../../../wit/deps/wasi-cli@0.2.12.wit"),
    ),
    (
        "wit/deps/wasi-clocks@0.2.12.wit",
        include_str!("../../../wit/deps/wasi-clocks@0.2.12.wit"),
    ),
    (
        "wit/deps/wasi-filesystem@0.2.12.wit",
        include_str!("../../../wit/deps/wasi-filesystem@0.2.12.wit"),
    ),
    (
        "wit/deps/wasi-http@0.2.12.wit",
        include_str!("../../../wit/deps/wasi-http@0.2.12.wit"),
    ),
    (
        "wit/deps/wasi-io@0.2.12.wit",
        include_str!("../../../wit/deps/wasi-io@0.2.12.wit"),
    ),
    (
        "wit/deps/wasi-random@0.2.12.wit",
        include_str!("../../../wit/deps/wasi-random@0.2.12.wit"),
    ),
    (
        "wit/deps/wasi-sockets@0.2.12.wit",
        include_str!("../../../wit/deps/wasi-sockets@0.2.12.wit"),
    ),
];

/// Extension families refused before anything is resolved: their credentials would have to enter
/// the sandbox. Each with why, and what to use instead.
const REFUSED: &[(&str, &str)] = &[
    (
        "chaostoolkit-kubernetes",
        "its client reads a kubeconfig and credentials from this machine, which never enter the \
         sandbox; use the built-in kubernetes plugin, which serves chaosk8s.* functions with the \
         host's credentials (`chaosrt plugin list` shows them)",
    ),
    (
        "chaostoolkit-aws",
        "boto3 reads AWS credentials from the environment and ~/.aws and signs requests inside the \
         process, so they would have to enter the sandbox; not supported yet (a host-side signer is \
         needed)",
    ),
    (
        "chaostoolkit-azure",
        "the Azure SDK reads credentials from the environment and files inside the process, so they \
         would have to enter the sandbox; not supported yet",
    ),
    (
        "chaostoolkit-google-cloud-platform",
        "google-auth reads service-account keys from files and the environment inside the process, \
         so they would have to enter the sandbox; not supported yet",
    ),
];

/// Why the extension named first in `spec` (`NAME==VERSION`) is refused outright, if it is.
pub fn refused_family(spec: &str) -> Option<&'static str> {
    let name = spec.split("==").next().unwrap_or_default();
    let normalized = name.to_ascii_lowercase().replace(['_', '.'], "-");
    REFUSED
        .iter()
        .find(|(family, _)| *family == normalized)
        .map(|(_, why)| *why)
}

/// Why a Python bundle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    /// The bundler's environment is missing.
    #[error(
        "building a Python extension needs {COMPONENTIZE_PY} and pip in a virtual environment; none \
         at {0}. Create it with scripts/python-bundler (or: python3 -m venv DIR && DIR/bin/pip \
         install {COMPONENTIZE_PY} pip, then set CHAOSRT_PYTHON_BUNDLER=DIR)"
    )]
    NoBundler(String),
    /// A package cannot be bundled; the text names it and why.
    #[error("cannot bundle {requested}: {why}; nothing was installed")]
    Refused { requested: String, why: String },
    /// The builder failed otherwise.
    #[error("building the Python bundle of {requested} failed: {why}")]
    Failed { requested: String, why: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PythonError + '_ {
    move |source| PythonError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A bundle the builder made, in a work directory that goes away with it.
pub struct Built {
    pub component: Vec<u8>,
    pub bundle: PythonBundle,
    /// The bundled packages, to be stored beside the component.
    pub site_packages: PathBuf,
    /// Configuration keys the extension reads that look like endpoints: what to suggest granting.
    pub endpoint_keys: Vec<String>,
    _work: tempfile::TempDir,
}

/// The bundler's virtual environment: `CHAOSRT_PYTHON_BUNDLER`, or `python-bundler` in chaosrt's
/// cache directory (where scripts/python-bundler puts it).
pub fn bundler_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CHAOSRT_PYTHON_BUNDLER") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "chaosrt").map(|d| d.cache_dir().join("python-bundler"))
}

fn bundler_python() -> Result<PathBuf, PythonError> {
    let dir = bundler_dir().ok_or_else(|| PythonError::NoBundler("(no home directory)".into()))?;
    let python = dir.join("bin").join("python");
    if python.is_file() && dir.join("bin").join("componentize-py").is_file() {
        Ok(python)
    } else {
        Err(PythonError::NoBundler(dir.display().to_string()))
    }
}

/// The componentize-py version of the bundler, as `componentize-py --version` says it.
async fn bundler_version(python: &Path) -> String {
    let Some(bin) = python.parent() else {
        return String::new();
    };
    let out = tokio::process::Command::new(bin.join("componentize-py"))
        .arg("--version")
        .output()
        .await;
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The builder's report (`bundle.py --report`).
#[derive(Deserialize)]
struct Report {
    modules: Vec<String>,
    python: String,
    packages: Vec<PythonPackage>,
    endpoint_keys: Vec<String>,
    site_packages: PathBuf,
}

/// Builds the component for `specs` (`PACKAGE==VERSION` each), with the wasm32-wasi builds of
/// native packages in the bundler's [`WASM_WHEELS`]. The builder's progress lines go to `progress`.
pub async fn build(specs: &[String], progress: impl Fn(&str)) -> Result<Built, PythonError> {
    let requested = specs.join(" ");
    if let Some(why) = specs.first().and_then(|first| refused_family(first)) {
        return Err(PythonError::Refused {
            requested,
            why: why.to_string(),
        });
    }
    let python = bundler_python()?;
    let work = tempfile::Builder::new()
        .prefix("chaosrt-python-")
        .tempdir()
        .map_err(io(Path::new("<temp dir>")))?;
    let root = work.path().join("builder");
    for (path, text) in FILES {
        let file = root.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&file, text).map_err(io(&file))?;
    }
    let build = work.path().join("build");
    std::fs::create_dir(&build).map_err(io(&build))?;
    let (out, report) = (
        work.path().join("plugin.wasm"),
        work.path().join("report.json"),
    );
    let mut command = tokio::process::Command::new(&python);
    command
        .arg(root.join("bundle.py"))
        .arg("--work")
        .arg(&build)
        .arg("--wit")
        .arg(root.join("wit"))
        .arg("--guest")
        .arg(root.join("guest"))
        .arg("--out")
        .arg(&out)
        .arg("--report")
        .arg(&report);
    if let Some(wheels) = python.parent().and_then(Path::parent) {
        command.arg("--wheels").arg(wheels.join(WASM_WHEELS));
    }
    command
        .arg("--")
        .args(specs)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(io(&python))?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stderr));
    let mut last = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        match line.strip_prefix("bundle: ") {
            Some(step) => progress(step),
            None => last.push(line),
        }
    }
    let status = child.wait().await.map_err(io(&python))?;
    let message = || {
        let text = last.join("\n");
        let text = text.trim();
        crate::escape::clip(text, 8 << 10).into_owned()
    };
    if !status.success() {
        let text = message();
        return Err(match text.strip_prefix("refused: ") {
            Some(why) => PythonError::Refused {
                requested,
                why: why.to_string(),
            },
            None => PythonError::Failed {
                requested,
                why: text.strip_prefix("error: ").unwrap_or(&text).to_string(),
            },
        });
    }
    let text = std::fs::read_to_string(&report).map_err(io(&report))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| PythonError::Failed {
        requested: requested.clone(),
        why: format!("its report does not parse: {e}"),
    })?;
    let component = std::fs::read(&out).map_err(io(&out))?;
    let site_packages_sha256 = tree_sha256(&report.site_packages)?;
    Ok(Built {
        component,
        bundle: PythonBundle {
            requested: specs.to_vec(),
            modules: report.modules,
            packages: report.packages,
            python: report.python,
            bundler: bundler_version(&python).await,
            site_packages_sha256,
        },
        site_packages: report.site_packages,
        endpoint_keys: report.endpoint_keys,
        _work: work,
    })
}

/// Every regular file below `dir` by its path relative to it, sorted; a link or anything but a file
/// or directory is refused (a bundle is made of wheel contents, which hold neither).
fn files_below(dir: &Path) -> Result<Vec<PathBuf>, PythonError> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let path = dir.join(&relative);
        for item in std::fs::read_dir(&path).map_err(io(&path))? {
            let item = item.map_err(io(&path))?;
            let kind = item.file_type().map_err(io(&item.path()))?;
            let name = relative.join(item.file_name());
            if kind.is_dir() {
                pending.push(name);
            } else if kind.is_file() {
                files.push(name);
            } else {
                return Err(PythonError::Io {
                    path: item.path().display().to_string(),
                    source: std::io::Error::other("neither a file nor a directory"),
                });
            }
        }
    }
    files.sort();
    Ok(files)
}

/// sha256 over each file's relative path and digest, in order.
fn tree_sha256(dir: &Path) -> Result<String, PythonError> {
    use sha2::{Digest, Sha256};
    let mut tree = Sha256::new();
    for file in files_below(dir)? {
        let path = dir.join(&file);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        tree.update(file.to_string_lossy().as_bytes());
        tree.update([0]);
        tree.update(Sha256::digest(&bytes));
    }
    Ok(format!("{:x}", tree.finalize()))
}

/// Copies the bundle's packages into `target` (a new directory), files only.
pub(super) fn copy_tree(source: &Path, target: &Path) -> Result<(), RegistryError> {
    let store = |e: PythonError| RegistryError::Store(std::io::Error::other(e.to_string()));
    for file in files_below(source).map_err(store)? {
        let to = target.join(&file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(super::io(parent))?;
        }
        let from = source.join(&file);
        std::fs::copy(&from, &to).map_err(super::io(&from))?;
    }
    Ok(())
}

impl Entry {
    /// The packages of an installed Python bundle, mounted read-only at [`BUNDLE_GUEST_PATH`].
    pub fn site_packages(&self) -> Option<PathBuf> {
        match (&self.source, &self.manifest) {
            (super::Source::Installed(wasm), Some(m)) if m.python.is_some() => {
                wasm.parent().map(|dir| dir.join(SITE_PACKAGES))
            }
            _ => None,
        }
    }
}

impl Registry {
    /// The top-level modules installed Python bundles serve, each with its plugin's name and
    /// version (`chaosprometheus.probes` is served by the bundle holding `chaosprometheus`). Install
    /// refuses a second plugin for a module, so only versions of one plugin compete: the newest wins.
    /// Bundles that cannot be read are passed over (loading them reports why).
    pub fn python_modules(&self) -> Vec<(String, String, String)> {
        let Ok(found) = self.installed() else {
            return Vec::new();
        };
        let mut served: Vec<(String, String, String)> = Vec::new();
        for f in found.into_iter().rev() {
            let Ok(Entry {
                manifest: Some(m), ..
            }) = f.entry
            else {
                continue;
            };
            let Some(python) = &m.python else { continue };
            for module in &python.modules {
                if !served.iter().any(|(served, _, _)| served == module) {
                    served.push((module.clone(), m.name.clone(), m.version.clone()));
                }
            }
        }
        served
    }
}

/// What the operator may grant a Python bundle: origins, fixed or named by a configuration key.
/// Credentials (environment variables, Kubernetes) stay outside: see docs/python-extensions.md.
pub fn grantable(grant: &crate::host::Capability) -> bool {
    use crate::host::Capability;
    matches!(
        grant,
        Capability::HttpOrigin { .. } | Capability::HttpConfiguration { .. }
    )
}
