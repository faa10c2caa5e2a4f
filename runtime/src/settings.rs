//! The settings file (YAML, `$XDG_CONFIG_HOME/chaosrt/settings.yaml`, or `--settings PATH`), with
//! Chaos Toolkit's keys: `runtime.rollbacks.strategy` and `runtime.hypothesis.strategy`.

use crate::experiment::{HypothesisStrategy, RollbackStrategy};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Why the settings could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The settings chaosrt reads. A missing file is empty settings, as in Chaos Toolkit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub rollback_strategy: Option<RollbackStrategy>,
    pub hypothesis_strategy: Option<HypothesisStrategy>,
}

/// The default settings path.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "chaosrt").map(|d| d.config_dir().join("settings.yaml"))
}

impl Settings {
    /// Reads `path` (never through a link); a file that does not exist gives empty settings.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        if path.symlink_metadata().is_err() {
            return Ok(Settings::default());
        }
        let invalid = |message: String| SettingsError::Invalid {
            path: path.display().to_string(),
            message,
        };
        let text = crate::fsutil::read_own(path).map_err(|e| invalid(e.to_string()))?;
        let value =
            crate::experiment::parse_yaml(&text, path).map_err(|e| invalid(e.to_string()))?;
        Settings::from_value(&value).map_err(invalid)
    }

    fn from_value(value: &Value) -> Result<Settings, String> {
        let strategy = |key: &str| {
            value
                .pointer(&format!("/runtime/{key}/strategy"))
                .and_then(Value::as_str)
        };
        let rollback_strategy = match strategy("rollbacks") {
            None => None,
            Some(s) => Some(RollbackStrategy::parse(s).ok_or_else(|| {
                format!("runtime.rollbacks.strategy: unknown strategy '{s}' (use default, always, never or deviated)")
            })?),
        };
        let hypothesis_strategy = match strategy("hypothesis") {
            None => None,
            Some(s) => Some(HypothesisStrategy::parse(s).map(|(h, _)| h).ok_or_else(|| {
                format!(
                    "runtime.hypothesis.strategy: unknown strategy '{s}' (use default, before-method-only, \
                     after-method-only, during-method-only or continuously)"
                )
            })?),
        };
        Ok(Settings {
            rollback_strategy,
            hypothesis_strategy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_strategies_and_rejects_unknown_ones() {
        let s = Settings::from_value(&json!({"runtime": {"rollbacks": {"strategy": "always"},
                                                          "hypothesis": {"strategy": "after-method-only"}}}))
        .unwrap();
        assert_eq!(s.rollback_strategy, Some(RollbackStrategy::Always));
        assert_eq!(
            s.hypothesis_strategy,
            Some(HypothesisStrategy::AfterMethodOnly)
        );
        assert_eq!(
            Settings::from_value(&json!({})).unwrap(),
            Settings::default()
        );
        let err =
            Settings::from_value(&json!({"runtime": {"rollbacks": {"strategy": "sometimes"}}}))
                .unwrap_err();
        assert!(err.contains("unknown strategy 'sometimes'"), "{err}");
    }

    #[test]
    fn a_missing_file_is_empty_settings() {
        assert_eq!(
            Settings::load(Path::new("/nonexistent/settings.yaml")).unwrap(),
            Settings::default()
        );
    }
}
