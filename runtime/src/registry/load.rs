//! Loading every plugin, for the commands that show them all (`plugin list`, `discover`): one plugin
//! that cannot be read, fails its integrity check or cannot describe itself is skipped with a warning
//! naming it and why, and the others are still served.

use super::{Entry, Registry, Source};
use crate::escape::escape;
use crate::host::cache::Stale;
use crate::host::cache::sha256_hex;
use crate::host::{Compiled, Host, LogSink, Plugin};

impl Registry {
    /// Every plugin that loads, built-ins first. `log` gives each plugin's log sink; `warn` receives a
    /// line for each plugin skipped and each cached compiled form that could not be trusted.
    pub async fn load_all(
        &self,
        host: &Host,
        log: impl Fn(&str) -> LogSink,
        warn: impl Fn(&str),
    ) -> Vec<(Entry, Plugin)> {
        let mut entries: Vec<Result<Entry, (String, String)>> = Self::builtins().map(Ok).collect();
        match self.installed() {
            Ok(found) => entries.extend(found.into_iter().map(|f| {
                f.entry
                    .map_err(|e| (format!("'{}' {}", f.name, f.version), e.to_string()))
            })),
            Err(e) => warn(&format!("Skipping the installed plugins: {e}")),
        }
        let mut loaded = Vec::new();
        for entry in entries {
            let outcome = match entry {
                Ok(entry) => self
                    .load(host, &entry, log(&entry.name))
                    .await
                    .map(|plugin| (entry.clone(), plugin))
                    .map_err(|why| (entry.label(), why)),
                Err(skipped) => Err(skipped),
            };
            match outcome {
                Ok((entry, plugin)) => {
                    if let Some(warning) = plugin.loaded_from.warning(&entry.name) {
                        warn(&warning);
                    }
                    loaded.push((entry, plugin));
                }
                Err((label, why)) => {
                    warn(&format!("Skipping plugin {}: {why}", escape(label.trim())))
                }
            }
        }
        loaded
    }

    /// The compiled form the install of `entry` stored at `path`, when it was made by an engine of
    /// `engine_key`: its bytes when they are the ones the manifest records, why not otherwise.
    /// `None` when there is none for this engine (an older install, another chaosrt): the compile
    /// cache serves then.
    fn compiled(
        &self,
        entry: &Entry,
        engine_key: &str,
        path: &std::path::Path,
    ) -> Option<Result<Vec<u8>, Stale>> {
        let manifest = entry.manifest.as_ref()?;
        let record = manifest.compiled.as_ref()?;
        if record.engine != engine_key {
            return None;
        }
        if record.component != manifest.sha256 {
            return Some(Err(Stale::Unreadable(
                "it was compiled from other bytes than the plugin's".into(),
            )));
        }
        Some(match crate::private_fs::read_file(path, record.bytes) {
            Ok(Some(bytes)) if sha256_hex(&bytes) == record.sha256 => Ok(bytes),
            Ok(Some(_)) => Err(Stale::Mismatch),
            Ok(None) => Err(Stale::Unreadable("it is missing".into())),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(Stale::Mismatch),
            Err(e) => Err(Stale::Unreadable(e.to_string())),
        })
    }

    /// Loads `entry`'s component, integrity-checked. An installed plugin must still describe itself
    /// as the name and version it was installed as: its metadata is the plugin's word, read again on
    /// every load, and the name is what its log lines and failures are attributed to.
    pub async fn load(&self, host: &Host, entry: &Entry, log: LogSink) -> Result<Plugin, String> {
        let loaded = match &entry.source {
            Source::Builtin(builtin) => host.load_builtin(builtin, log).await,
            Source::Installed(path) => {
                let bytes = self.bytes(entry).map_err(|e| e.to_string())?;
                // `bytes` checked them against this digest.
                let sha256 = match &entry.manifest {
                    Some(manifest) => manifest.sha256.clone(),
                    None => sha256_hex(&bytes),
                };
                let compiled_path = path.with_file_name(super::COMPILED);
                match self.compiled(entry, host.engine_key(), &compiled_path) {
                    Some(Ok(artifact)) => {
                        let compiled = Compiled::Installed {
                            artifact: &artifact,
                            path: &compiled_path,
                        };
                        host.load_digested(&entry.name, &bytes, sha256, compiled, log)
                            .await
                    }
                    Some(Err(why)) => {
                        let compiled = Compiled::Stale {
                            path: &compiled_path,
                            why,
                        };
                        host.load_digested(&entry.name, &bytes, sha256, compiled, log)
                            .await
                    }
                    None => {
                        host.load_digested(&entry.name, &bytes, sha256, Compiled::Cache, log)
                            .await
                    }
                }
            }
        };
        let plugin = loaded.map_err(|e| e.to_string())?;
        let (name, version) = (&plugin.metadata.name, &plugin.metadata.version);
        let installed = entry.manifest.as_ref().map(|m| (&m.name, &m.version));
        if let Some((was, at)) = installed
            && (was != name || at != version)
        {
            return Err(format!(
                "plugin '{}' {} now describes itself as '{}' {}; it was not loaded (reinstall it \
                 if that is intended)",
                escape(was),
                escape(at),
                escape(name),
                escape(version)
            ));
        }
        Ok(plugin)
    }
}
