//! Loading every plugin, for the commands that show them all (`plugin list`, `discover`): one plugin
//! that cannot be read, fails its integrity check or cannot describe itself is skipped with a warning
//! naming it and why, and the others are still served.

use super::{Entry, Registry, Source};
use crate::escape::escape;
use crate::host::{Host, LogSink, Plugin};

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

    /// Loads `entry`'s component, integrity-checked. An installed plugin must still describe itself
    /// as the name and version it was installed as: its metadata is the plugin's word, read again on
    /// every load, and the name is what its log lines and failures are attributed to.
    pub async fn load(&self, host: &Host, entry: &Entry, log: LogSink) -> Result<Plugin, String> {
        let loaded = match &entry.source {
            Source::Builtin(builtin) => host.load_builtin(builtin, log).await,
            Source::Installed(_) => {
                let bytes = self.bytes(entry).map_err(|e| e.to_string())?;
                host.load(&entry.name, &bytes, log).await
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
