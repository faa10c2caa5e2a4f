//! Installing and removing a plugin: all at once or not at all.
//!
//! `plugin.wasm`, its compiled form `plugin.cwasm` and `manifest.json` are written into a private
//! staging directory beside the final one and the directory is then renamed into place (exchanged
//! with the old one when replacing), so a listing sees the old plugin or the new one, never half of
//! either, and a failed or killed install leaves the store as it was (a killed one leaves a hidden
//! `.staging-*` directory, which nothing reads and the next install of that plugin removes).
//! Different bytes under an installed name and version are refused unless the operator asks to
//! replace them: a reinstall must never swap a plugin, and what it was granted,
//! behind their back.

use super::{
    COMPILED, MANIFEST, Manifest, PLUGINS, Registry, RegistryError, WASM, check_grants, io,
};
use crate::private_fs::{self, Staged};
use std::path::PathBuf;

/// What installing a plugin will do (and, once done, did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing of that name and version is installed.
    Fresh,
    /// The same bytes are already installed there: nothing to do.
    Unchanged,
    /// The operator asked to replace what is installed there: other bytes, an install that cannot be
    /// read, or the same bytes (to store their compiled form and grants afresh).
    Replace,
}

impl Registry {
    /// What installing `manifest` (whose `sha256` is the component's) would do; refuses different
    /// bytes under an installed name and version unless `replace`.
    pub fn plan(&self, manifest: &Manifest, replace: bool) -> Result<Plan, RegistryError> {
        check_name(&manifest.name)?;
        check_name(&manifest.version)?;
        if chaosrt_builtins::ALL
            .iter()
            .any(|b| b.name() == manifest.name)
        {
            return Err(RegistryError::Builtin(manifest.name.clone()));
        }
        let existing = self
            .installed()?
            .into_iter()
            .find(|f| f.name == manifest.name && f.version == manifest.version);
        match existing.map(|f| f.entry) {
            None => Ok(Plan::Fresh),
            Some(Ok(entry)) => {
                let installed = entry.manifest.map(|m| m.sha256).unwrap_or_default();
                if installed == manifest.sha256 && !replace {
                    Ok(Plan::Unchanged)
                } else if replace {
                    Ok(Plan::Replace)
                } else {
                    Err(RegistryError::Exists {
                        name: manifest.name.clone(),
                        version: manifest.version.clone(),
                        installed,
                        offered: manifest.sha256.clone(),
                    })
                }
            }
            // A broken install can be replaced, on request, but is never silently written over.
            Some(Err(_)) if replace => Ok(Plan::Replace),
            Some(Err(e)) => Err(e),
        }
    }

    /// Stores a plugin, its compiled form and its manifest (whose `compiled` must describe
    /// `compiled`), as [`Registry::plan`] says; returns what was done and the plugin's directory.
    pub fn install(
        &self,
        bytes: &[u8],
        compiled: &[u8],
        manifest: &Manifest,
        replace: bool,
    ) -> Result<(Plan, PathBuf), RegistryError> {
        self.install_with(bytes, compiled, manifest, replace, None)
    }

    /// [`Registry::install`], with a Python bundle's packages (`site_packages`) stored beside the
    /// component, in the same atomic step.
    pub fn install_with(
        &self,
        bytes: &[u8],
        compiled: &[u8],
        manifest: &Manifest,
        replace: bool,
        site_packages: Option<&std::path::Path>,
    ) -> Result<(Plan, PathBuf), RegistryError> {
        let plan = self.plan(manifest, replace)?;
        check_grants(&manifest.granted).map_err(|problem| RegistryError::Manifest {
            path: format!("the manifest of {} {}", manifest.name, manifest.version),
            problem,
        })?;
        let data = self.data.as_ref().ok_or_else(|| RegistryError::Io {
            path: "<data dir>".into(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no data directory (HOME unset?)",
            ),
        })?;
        let name_dir = private_fs::ensure_dirs(data, &[PLUGINS, &manifest.name])
            .map_err(RegistryError::Store)?;
        let dir = name_dir.join(&manifest.version);
        if plan == Plan::Unchanged {
            return Ok((plan, dir));
        }
        let staged = Staged::new_in(&name_dir).map_err(RegistryError::Store)?;
        let text = serde_json::to_string_pretty(manifest).expect("manifests serialise");
        // The manifest last: a staging directory cut short never holds one.
        for (file, content) in [
            (WASM, bytes),
            (COMPILED, compiled),
            (MANIFEST, text.as_bytes()),
        ] {
            let path = staged.path().join(file);
            private_fs::write_file(&path, content).map_err(RegistryError::Store)?;
        }
        if let Some(site_packages) = site_packages {
            super::python::copy_tree(
                site_packages,
                &staged.path().join(super::python::SITE_PACKAGES),
            )?;
        }
        // Make the files' directory entries durable before the rename publishes them.
        std::fs::File::open(staged.path())
            .and_then(|d| d.sync_all())
            .map_err(io(staged.path()))?;
        staged
            .commit(&dir, plan == Plan::Replace)
            .map_err(RegistryError::Store)?;
        Ok((plan, dir))
    }
}

impl Registry {
    /// Removes the installed plugin `name` at `version`, or every version of it; returns the
    /// versions removed. Each version's directory is moved out of the store in one rename (a
    /// listing sees it whole or not at all) and then deleted.
    pub fn remove(&self, name: &str, version: Option<&str>) -> Result<Vec<String>, RegistryError> {
        check_name(name)?;
        if chaosrt_builtins::ALL.iter().any(|b| b.name() == name) {
            return Err(RegistryError::Builtin(name.to_string()));
        }
        let versions: Vec<String> = self
            .installed()?
            .into_iter()
            .filter(|f| f.name == name && version.is_none_or(|v| f.version == v))
            .map(|f| f.version)
            .collect();
        let (Some(data), false) = (&self.data, versions.is_empty()) else {
            return Err(RegistryError::NotFound {
                name: name.to_string(),
                version: version.map(str::to_string),
                builtins: Self::builtin_names(),
            });
        };
        let name_dir = data.join(PLUGINS).join(name);
        for version in &versions {
            // Dropped at the end of this block, the staging directory takes the old one with it.
            let doomed = Staged::new_in(&name_dir).map_err(RegistryError::Store)?;
            let dir = name_dir.join(version);
            std::fs::rename(&dir, doomed.path().join(version)).map_err(io(&dir))?;
        }
        if version.is_none() || self.installed()?.iter().all(|f| f.name != name) {
            let _ = std::fs::remove_dir(&name_dir);
        }
        Ok(versions)
    }
}

/// A name or version that can be a directory of the store.
fn check_name(s: &str) -> Result<(), RegistryError> {
    let valid = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c))
        && !s.starts_with('.');
    if valid {
        Ok(())
    } else {
        Err(RegistryError::BadName(s.to_string()))
    }
}
