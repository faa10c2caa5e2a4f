//! Plugins on disk: the built-ins embedded in the binary and the ones installed under the user's data
//! directory, each with a manifest recording its sha256 and the capabilities the operator granted.
//! The registry owns integrity: bytes whose digest does not match their manifest are never handed out.
//!
//! The store is `<data dir>/plugins/<name>/<version>/{plugin.wasm, plugin.cwasm, manifest.json}`
//! (the component, its compiled form made at install, and what was installed), private to the
//! user and read without following links ([`crate::private_fs`]). Every file read from it is
//! bounded, and every manifest is checked against the directory it is in. One installed plugin that
//! cannot be read is reported on its own: it never hides the others ([`Registry::load_all`]).

mod install;
mod load;
pub mod oci;
pub mod python;

pub use install::Plan;

use crate::host::cache::sha256_hex;
use crate::host::{Capability, MAX_COMPONENT_BYTES};
use crate::private_fs;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a plugin's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    Builtin(&'static chaosrt_builtins::Builtin),
    Installed(PathBuf),
}

/// What an installed plugin's `manifest.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub description: String,
    /// Hex sha256 of `plugin.wasm`, checked on every load.
    pub sha256: String,
    /// What the operator granted at install (a subset of what the plugin asked for).
    pub granted: Vec<Capability>,
    /// What the plugin asked for when it was installed (absent from an older chaosrt's manifests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked: Option<Vec<Capability>>,
    /// Where it was installed from: a file's path, a URL, or an OCI reference pinned to the
    /// manifest digest it named (`oci://HOST/REPOSITORY:TAG@sha256:…`).
    pub source: String,
    /// The contract version it was built for, as its exports name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// Its compiled form, `plugin.cwasm` beside it, made by the install (absent from an older
    /// chaosrt's manifests: those are compiled into the compile cache instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compiled: Option<CompiledRecord>,
    /// A plugin chaosrt built from Python packages: what it bundles and serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<python::PythonBundle>,
}

/// What a manifest records of the compiled form its install stored: the artifact is native code
/// wasmtime runs as it is, so it is loaded only when it is still these very bytes, made by an engine
/// of this key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompiledRecord {
    /// The engine's compatibility key ([`crate::host::Host::engine_key`]).
    pub engine: String,
    /// Hex sha256 of the component it was compiled from: the compiled form of other bytes is never
    /// run in the place of these.
    pub component: String,
    /// Hex sha256 of `plugin.cwasm`.
    pub sha256: String,
    /// Its length: a longer file is refused without being read.
    pub bytes: u64,
}

/// A plugin the registry can hand out.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub source: Source,
    /// `None` for built-ins: they get what they request (documented default grants).
    pub manifest: Option<Manifest>,
}

impl Entry {
    /// `'NAME' VERSION` of an installed plugin, `'NAME'` of a built-in (whose version is only known once
    /// it is loaded): how warnings name it.
    pub fn label(&self) -> String {
        match &self.manifest {
            Some(m) => format!("'{}' {}", m.name, m.version),
            None => format!("'{}'", self.name),
        }
    }
}

/// Why the registry could not hand out or store a plugin.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No plugin of that name (and version).
    #[error("no plugin named '{name}'{} is installed; built-ins are {builtins}; install one with `chaosrt plugin install`", version.as_ref().map(|v| format!(" at version {v}")).unwrap_or_default())]
    NotFound {
        name: String,
        version: Option<String>,
        builtins: String,
    },
    /// The bytes on disk are not the ones that were installed.
    #[error(
        "plugin '{name}' failed its integrity check: {path} has sha256 {found}, the manifest says {expected}; reinstall it"
    )]
    Integrity {
        name: String,
        path: String,
        found: String,
        expected: String,
    },
    /// A name that cannot be a directory.
    #[error("'{0}' is not a valid plugin name (use letters, digits, '-' and '_')")]
    BadName(String),
    /// A built-in's name is taken.
    #[error("'{0}' is a built-in plugin; choose another name")]
    Builtin(String),
    /// Another component is installed under this name and version.
    #[error(
        "plugin '{name}' {version} is already installed from other bytes (sha256 {installed}; this \
         one is {offered}); nothing was changed. Install it under another version, or pass \
         --replace to replace the installed plugin and its grants"
    )]
    Exists {
        name: String,
        version: String,
        installed: String,
        offered: String,
    },
    /// Reading or writing the plugin directory failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The store could not be read or written safely; the error names the path.
    #[error("{0}")]
    Store(std::io::Error),
    /// A manifest that does not parse, or does not fit where it is stored.
    #[error("{path}: bad manifest: {problem}")]
    Manifest { path: String, problem: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RegistryError + '_ {
    move |source| RegistryError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The most a manifest can be; a real one is well under a kilobyte, and metadata bounds keep even
/// the largest honest one far below this.
const MANIFEST_BYTES: u64 = 1 << 20;

/// The directory of the store below the data directory.
const PLUGINS: &str = "plugins";
const WASM: &str = "plugin.wasm";
const COMPILED: &str = "plugin.cwasm";
const MANIFEST: &str = "manifest.json";

/// One installed plugin found in the store: its directory's name and version, and what it holds.
struct Found {
    name: String,
    version: String,
    entry: Result<Entry, RegistryError>,
}

/// The plugin registry rooted at a data directory (none: built-ins only).
pub struct Registry {
    data: Option<PathBuf>,
}

impl Registry {
    pub fn new(data_dir: Option<PathBuf>) -> Registry {
        Registry { data: data_dir }
    }

    fn builtin_names() -> String {
        chaosrt_builtins::ALL
            .iter()
            .map(|b| b.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn builtins() -> impl Iterator<Item = Entry> {
        chaosrt_builtins::ALL.iter().map(|builtin| Entry {
            name: builtin.name().to_string(),
            source: Source::Builtin(builtin),
            manifest: None,
        })
    }

    /// Every plugin: built-ins first, then installed ones by name and version. Fails on the first
    /// installed plugin that cannot be read; [`Registry::load_all`] reports those one by one instead.
    pub fn list(&self) -> Result<Vec<Entry>, RegistryError> {
        let mut entries: Vec<Entry> = Self::builtins().collect();
        for found in self.installed()? {
            entries.push(found.entry?);
        }
        Ok(entries)
    }

    /// The plugin `name` (a built-in, or the newest installed version), or the newest installed
    /// version that `version` selects ([`selects`]: `1.2` is the newest 1.2.x, `1.2.3` exactly that).
    /// An installed plugin of another name that cannot be read does not get in the way; one of this
    /// name does, since the newest version might be the broken one.
    pub fn find(&self, name: &str, version: Option<&str>) -> Result<Entry, RegistryError> {
        if let Some(builtin) = Self::builtins().find(|e| e.name == name) {
            return Ok(builtin);
        }
        let mut matching = self
            .installed()?
            .into_iter()
            .filter(|f| f.name == name && version.is_none_or(|v| selects(v, &f.version)));
        match matching.next_back() {
            Some(found) => found.entry,
            None => Err(RegistryError::NotFound {
                name: name.to_string(),
                version: version.map(str::to_string),
                builtins: Self::builtin_names(),
            }),
        }
    }

    /// The component bytes of `entry`, integrity-checked against its manifest.
    pub fn bytes(&self, entry: &Entry) -> Result<Vec<u8>, RegistryError> {
        let (path, manifest) = match (&entry.source, &entry.manifest) {
            (Source::Builtin(builtin), _) => return Ok(builtin.component().to_vec()),
            (Source::Installed(path), Some(manifest)) => (path, manifest),
            (Source::Installed(path), None) => {
                return Err(RegistryError::Manifest {
                    path: path.display().to_string(),
                    problem: "an installed plugin without a manifest".into(),
                });
            }
        };
        let bytes = private_fs::read_file(path, MAX_COMPONENT_BYTES as u64)
            .map_err(RegistryError::Store)?
            .ok_or_else(|| io(path)(std::io::ErrorKind::NotFound.into()))?;
        let found = sha256_hex(&bytes);
        if found != manifest.sha256 {
            return Err(RegistryError::Integrity {
                name: entry.name.clone(),
                path: path.display().to_string(),
                found,
                expected: manifest.sha256.clone(),
            });
        }
        Ok(bytes)
    }

    /// Every installed plugin's directory, sorted by name and then version (oldest first), each
    /// with its entry or why it cannot be read. Fails only when the store itself cannot be read.
    fn installed(&self) -> Result<Vec<Found>, RegistryError> {
        let Some(data) = &self.data else {
            return Ok(Vec::new());
        };
        let Some(root) = private_fs::check_dirs(data, &[PLUGINS]).map_err(RegistryError::Store)?
        else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for name in dir_names(&root)? {
            let name_dir = root.join(&name);
            let versions = match private_fs::check_dir(&name_dir) {
                Ok(_) => dir_names(&name_dir),
                Err(e) => Err(RegistryError::Store(e)),
            };
            match versions {
                Ok(versions) => found.extend(versions.into_iter().map(|version| Found {
                    entry: read_entry(&name_dir.join(&version), &name, &version),
                    name: name.clone(),
                    version,
                })),
                Err(e) => found.push(Found {
                    name: name.clone(),
                    version: String::new(),
                    entry: Err(e),
                }),
            }
        }
        found.sort_by(|a, b| {
            (&a.name, version_key(&a.version)).cmp(&(&b.name, version_key(&b.version)))
        });
        Ok(found)
    }
}

/// The names in `dir`, without the hidden ones (an install's staging directory is `.staging-*`).
fn dir_names(dir: &Path) -> Result<Vec<String>, RegistryError> {
    let mut names = Vec::new();
    for item in std::fs::read_dir(dir).map_err(io(dir))? {
        let name = item.map_err(io(dir))?.file_name();
        match name.to_str() {
            Some(name) if !name.starts_with('.') => names.push(name.to_string()),
            Some(_) => {}
            None => {
                return Err(RegistryError::BadName(name.to_string_lossy().into_owned()));
            }
        }
    }
    Ok(names)
}

/// The entry stored in `dir`, which is `<name>/<version>` in the store: its manifest must say so,
/// and grant only what a plugin may be granted.
fn read_entry(dir: &Path, name: &str, version: &str) -> Result<Entry, RegistryError> {
    private_fs::check_dir(dir).map_err(RegistryError::Store)?;
    let path = dir.join(MANIFEST);
    let bad = |problem: String| RegistryError::Manifest {
        path: path.display().to_string(),
        problem,
    };
    let text = private_fs::read_file(&path, MANIFEST_BYTES)
        .map_err(RegistryError::Store)?
        .ok_or_else(|| bad("missing (an interrupted install by an older chaosrt?)".into()))?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    if manifest.name != name || manifest.version != version {
        return Err(bad(format!(
            "it describes '{}' {}, but is stored as '{name}' {version}",
            crate::escape::escape(&manifest.name),
            crate::escape::escape(&manifest.version)
        )));
    }
    check_grants(&manifest.granted).map_err(bad)?;
    Ok(Entry {
        name: manifest.name.clone(),
        source: Source::Installed(dir.join(WASM)),
        manifest: Some(manifest),
    })
}

/// Refuses grants no plugin may hold (see [`crate::host::filesystem_path_problem`]), so a manifest
/// edited by hand cannot grant what install would have refused.
fn check_grants(granted: &[Capability]) -> Result<(), String> {
    for grant in granted {
        if let Capability::Filesystem { path, .. } = grant
            && let Some(problem) = crate::host::filesystem_path_problem(path)
        {
            return Err(format!(
                "it grants the filesystem path '{}': {problem}",
                crate::escape::escape(path)
            ));
        }
    }
    Ok(())
}

/// Whether `wanted` (from `"plugin": "name@wanted"`) selects the installed `version`: the same
/// version, or one it is a prefix of at a `.` (`1` selects 1.4.0, `1.2` selects 1.2.7, not 1.20.0).
/// A pre-release is selected only by naming it, as Cargo and npm do.
pub fn selects(wanted: &str, version: &str) -> bool {
    if wanted == version {
        return true;
    }
    let pre_release = version.split('+').next().unwrap_or_default().contains('-');
    !pre_release
        && version
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Orders versions as semantic versions where they are (`0.10.0` after `0.9.0`; a pre-release
/// before its release), and as text otherwise.
fn version_key(version: &str) -> (Vec<u64>, bool, &str) {
    let core = version.split('+').next().unwrap_or_default();
    let (numbers, pre) = match core.split_once('-') {
        Some((numbers, pre)) => (numbers, Some(pre)),
        None => (core, None),
    };
    let numbers: Vec<u64> = numbers.split('.').map_while(|n| n.parse().ok()).collect();
    (numbers, pre.is_none(), pre.unwrap_or(version))
}

#[cfg(test)]
mod tests;
