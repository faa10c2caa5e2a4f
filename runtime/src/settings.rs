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
    /// Reads `path` (never through a link); a default path that does not exist gives empty
    /// settings, as in Chaos Toolkit, but one the operator named (`explicit`) must exist: a typo
    /// would otherwise run with settings nobody meant.
    pub fn load(path: &Path, explicit: bool) -> Result<Settings, SettingsError> {
        let invalid = |message: String| SettingsError::Invalid {
            path: path.display().to_string(),
            message,
        };
        if path.symlink_metadata().is_err() {
            if explicit {
                return Err(invalid(
                    "no such settings file; check the --settings path, or leave the option out to \
                     use the default settings"
                        .into(),
                ));
            }
            return Ok(Settings::default());
        }
        let text = crate::fsutil::read_own(path).map_err(|e| invalid(e.to_string()))?;
        let value =
            crate::experiment::parse_yaml(&text, path).map_err(|e| invalid(e.to_string()))?;
        Settings::from_value(&value).map_err(invalid)
    }

    fn from_value(value: &Value) -> Result<Settings, String> {
        // Each level of `runtime.<key>.strategy` must have its type; a wrong one is named by its
        // dotted location rather than ignored.
        let mapping = |at: &str, v: Option<&Value>| match v {
            None | Some(Value::Null | Value::Object(_)) => Ok(()),
            Some(other) => Err(format!("{at}: expected a mapping, got {other}")),
        };
        match value {
            Value::Null | Value::Object(_) => {}
            other => return Err(format!("expected a mapping of settings, got {other}")),
        }
        mapping("runtime", value.get("runtime"))?;
        for key in ["rollbacks", "hypothesis"] {
            mapping(
                &format!("runtime.{key}"),
                value.pointer(&format!("/runtime/{key}")),
            )?;
            match value.pointer(&format!("/runtime/{key}/strategy")) {
                None | Some(Value::Null | Value::String(_)) => {}
                Some(other) => {
                    return Err(format!(
                        "runtime.{key}.strategy: expected a strategy name, got {other}"
                    ));
                }
            }
        }
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
    fn a_wrong_type_is_an_error_at_its_location() {
        for (settings, message) in [
            (json!({"runtime": 5}), "runtime: expected a mapping, got 5"),
            (
                json!({"runtime": {"rollbacks": "always"}}),
                "runtime.rollbacks: expected a mapping, got \"always\"",
            ),
            (
                json!({"runtime": {"hypothesis": {"strategy": 3}}}),
                "runtime.hypothesis.strategy: expected a strategy name, got 3",
            ),
            (json!([1]), "expected a mapping of settings, got [1]"),
        ] {
            assert_eq!(Settings::from_value(&settings).unwrap_err(), message);
        }
    }

    #[test]
    fn a_missing_file_is_empty_settings() {
        assert_eq!(
            Settings::load(Path::new("/nonexistent/settings.yaml"), false).unwrap(),
            Settings::default()
        );
        let err = Settings::load(Path::new("/nonexistent/settings.yaml"), true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/nonexistent/settings.yaml: no such settings file; check the --settings path, or leave \
             the option out to use the default settings"
        );
    }
}
