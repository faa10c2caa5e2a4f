//! Plugins on disk: the built-ins embedded in the binary and the ones installed under the user's data
//! directory, each with a manifest recording its sha256 and the capabilities the operator granted.
//! The registry owns integrity: bytes whose digest does not match their manifest are never handed out.

use crate::host::Capability;
use crate::host::cache::{sha256_hex, write_atomically};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a plugin's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    Builtin(&'static [u8]),
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
    /// Where it was installed from, for `plugin list`.
    pub source: String,
}

/// A plugin the registry can hand out.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub source: Source,
    /// `None` for built-ins: they get what they request (documented default grants).
    pub manifest: Option<Manifest>,
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
    /// Reading or writing the plugin directory failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// A manifest that does not parse.
    #[error("{path}: bad manifest: {source}")]
    Manifest {
        path: String,
        source: serde_json::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RegistryError + '_ {
    move |source| RegistryError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The plugin registry rooted at a data directory (none: built-ins only).
pub struct Registry {
    root: Option<PathBuf>,
}

impl Registry {
    pub fn new(data_dir: Option<PathBuf>) -> Registry {
        Registry {
            root: data_dir.map(|d| d.join("plugins")),
        }
    }

    fn builtin_names() -> String {
        chaosrt_builtins::ALL
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every plugin: built-ins first, then installed ones by name and version.
    pub fn list(&self) -> Result<Vec<Entry>, RegistryError> {
        let mut entries: Vec<Entry> = chaosrt_builtins::ALL
            .iter()
            .map(|(name, bytes)| Entry {
                name: name.to_string(),
                source: Source::Builtin(bytes),
                manifest: None,
            })
            .collect();
        let Some(root) = &self.root else {
            return Ok(entries);
        };
        if !root.is_dir() {
            return Ok(entries);
        }
        let mut installed = Vec::new();
        for name_dir in std::fs::read_dir(root).map_err(io(root))? {
            let name_dir = name_dir.map_err(io(root))?.path();
            if !name_dir.is_dir() {
                continue;
            }
            for version_dir in std::fs::read_dir(&name_dir).map_err(io(&name_dir))? {
                let dir = version_dir.map_err(io(&name_dir))?.path();
                let manifest_path = dir.join("manifest.json");
                if !manifest_path.is_file() {
                    continue;
                }
                let text = std::fs::read_to_string(&manifest_path).map_err(io(&manifest_path))?;
                let manifest: Manifest =
                    serde_json::from_str(&text).map_err(|source| RegistryError::Manifest {
                        path: manifest_path.display().to_string(),
                        source,
                    })?;
                installed.push(Entry {
                    name: manifest.name.clone(),
                    source: Source::Installed(dir.join("plugin.wasm")),
                    manifest: Some(manifest),
                });
            }
        }
        installed.sort_by(|a, b| (&a.name, version_of(a)).cmp(&(&b.name, version_of(b))));
        entries.extend(installed);
        Ok(entries)
    }

    /// The plugin `name`, at `version` if given (else a built-in, or the newest installed version).
    pub fn find(&self, name: &str, version: Option<&str>) -> Result<Entry, RegistryError> {
        let entries = self.list()?;
        let mut matching = entries.into_iter().filter(|e| e.name == name).filter(|e| {
            match (version, &e.manifest) {
                (None, _) => true,
                (Some(v), Some(m)) => m.version == v,
                // A built-in's version is only known once loaded; the engine checks it then.
                (Some(_), None) => true,
            }
        });
        matching.next_back().ok_or_else(|| RegistryError::NotFound {
            name: name.to_string(),
            version: version.map(str::to_string),
            builtins: Self::builtin_names(),
        })
    }

    /// The component bytes of `entry`, integrity-checked against its manifest.
    pub fn bytes(&self, entry: &Entry) -> Result<Vec<u8>, RegistryError> {
        match (&entry.source, &entry.manifest) {
            (Source::Builtin(bytes), _) => Ok(bytes.to_vec()),
            (Source::Installed(path), manifest) => {
                let bytes = std::fs::read(path).map_err(io(path))?;
                if let Some(m) = manifest {
                    let found = sha256_hex(&bytes);
                    if found != m.sha256 {
                        return Err(RegistryError::Integrity {
                            name: entry.name.clone(),
                            path: path.display().to_string(),
                            found,
                            expected: m.sha256.clone(),
                        });
                    }
                }
                Ok(bytes)
            }
        }
    }

    /// Stores a plugin and its manifest; the manifest is written last so a half-finished install is
    /// never listed.
    pub fn install(&self, bytes: &[u8], manifest: &Manifest) -> Result<PathBuf, RegistryError> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !s.starts_with('.')
        };
        if !valid(&manifest.name) {
            return Err(RegistryError::BadName(manifest.name.clone()));
        }
        if !valid(&manifest.version) {
            return Err(RegistryError::BadName(manifest.version.clone()));
        }
        if chaosrt_builtins::ALL
            .iter()
            .any(|(n, _)| *n == manifest.name)
        {
            return Err(RegistryError::Builtin(manifest.name.clone()));
        }
        let root = self.root.as_ref().ok_or_else(|| RegistryError::Io {
            path: "<data dir>".into(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no data directory (HOME unset?)",
            ),
        })?;
        let dir = root.join(&manifest.name).join(&manifest.version);
        let wasm = dir.join("plugin.wasm");
        write_atomically(&wasm, bytes).map_err(io(&wasm))?;
        let manifest_path = dir.join("manifest.json");
        let text = serde_json::to_string_pretty(manifest).expect("manifests serialise");
        write_atomically(&manifest_path, text.as_bytes()).map_err(io(&manifest_path))?;
        Ok(dir)
    }
}

fn version_of(e: &Entry) -> &str {
    e.manifest
        .as_ref()
        .map(|m| m.version.as_str())
        .unwrap_or_default()
}
