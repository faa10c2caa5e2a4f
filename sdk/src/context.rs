//! What the host tells the call in progress: the experiment's configuration, the secrets the activity
//! was given, the activity's name in the experiment, the run's id and the call's deadline.
//!
//! Each is asked of the host when called (contract 0.2 makes them host functions, so that the contract
//! can add more without breaking plugins), so ask only inside an activity; on another target than
//! `wasm32` they panic.

use crate::Error;
use crate::bindings::plugin::chaosrt::plugin::context as wit;
use serde_json::{Map, Value};
use std::time::Duration;

/// The experiment's resolved `configuration`.
pub fn configuration() -> Result<Map<String, Value>, Error> {
    object(&wit::configuration(), "configuration")
}

/// The secrets the activity's provider was given, as `{scope: {key: value}}`: only the scopes the
/// provider lists, as Chaos Toolkit passes them.
pub fn secrets() -> Result<Map<String, Value>, Error> {
    object(&wit::secrets(), "secrets")
}

/// The secret `key` in `scope`, when the provider was given it as a string.
pub fn secret(scope: &str, key: &str) -> Result<Option<String>, Error> {
    Ok(secret_in(&secrets()?, scope, key))
}

/// The name of the activity in the experiment (its `name`, not the plugin's activity name).
pub fn activity_name() -> String {
    wit::activity_name()
}

/// This run's identifier: the same for every call of one run, different in every run.
pub fn run_id() -> String {
    wit::run_id()
}

/// When the host stops this call (the activity's timeout).
pub fn deadline() -> Deadline {
    Deadline {
        instant: wit::deadline(),
    }
}

/// The moment the host stops the call in progress, on the `wasi:clocks/monotonic-clock` clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline {
    instant: u64,
}

impl Deadline {
    /// The deadline in nanoseconds of `wasi:clocks/monotonic-clock`.
    pub fn instant(self) -> u64 {
        self.instant
    }

    /// How long the call has left (zero once the deadline has passed).
    pub fn remaining(self) -> Duration {
        Duration::from_nanos(
            self.instant
                .saturating_sub(wasip2::clocks::monotonic_clock::now()),
        )
    }
}

/// `text` as a JSON object; empty text is an empty object.
fn object(text: &str, what: &str) -> Result<Map<String, Value>, Error> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::Failed(format!(
            "the host sent {what} that is not a JSON object: {}",
            crate::args::describe_value(&other)
        ))),
        Err(err) => Err(Error::Failed(format!(
            "the host sent {what} that is not JSON: {err}"
        ))),
    }
}

fn secret_in(secrets: &Map<String, Value>, scope: &str, key: &str) -> Option<String> {
    secrets.get(scope)?.get(key)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_parse_and_empty_text_is_empty() {
        assert_eq!(object(r#"{"a": 1}"#, "x").unwrap()["a"], json!(1));
        assert!(object("", "x").unwrap().is_empty());
        assert_eq!(
            object("[1]", "configuration").unwrap_err(),
            Error::Failed(
                "the host sent configuration that is not a JSON object: a list `[1]`".into()
            )
        );
    }

    #[test]
    fn secret_looks_up_scope_then_key() {
        let secrets = object(r#"{"k8s": {"token": "t", "n": 1}}"#, "secrets").unwrap();
        assert_eq!(secret_in(&secrets, "k8s", "token").as_deref(), Some("t"));
        assert_eq!(secret_in(&secrets, "k8s", "n"), None);
        assert_eq!(secret_in(&secrets, "other", "token"), None);
    }
}
