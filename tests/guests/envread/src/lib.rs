//! A plugin built against contract 0.2 (raw wit-bindgen) granted one environment variable,
//! `CHAOSRT_GUEST_ENV_GRANTED`: its probe returns every variable it can see through
//! `wasi:cli/environment`, so end-to-end tests can check that the granted one is there and nothing
//! else of the host's environment is.
//!
//! Its `discover()` runs with the same grant: it reports the variable as a target, or fails
//! (`fail`) or traps (`trap`) when that is the variable's value, so the tests can show a failing
//! discovery is a warning, not the end of `chaosrt discover`.

#![allow(unsafe_code)] // wit-bindgen's generated export glue

wit_bindgen::generate!({
    path: "../../../wit",
    world: "chaosrt-discoverable-plugin",
    generate_all,
});

use chaosrt::plugin::types::{Activity, ActivityKind, Capability, Error, PluginMetadata, Target};
use serde_json::{Map, Value};

struct EnvRead;

impl exports::chaosrt::plugin::plugin::Guest for EnvRead {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "envread".into(),
            version: "0.2.0".into(),
            description: "Test guest reading its environment.".into(),
            capabilities: vec![Capability::Environment("CHAOSRT_GUEST_ENV_GRANTED".into())],
            activities: vec![Activity {
                name: "environment".into(),
                kind: ActivityKind::Probe,
                description: "Return every environment variable the plugin can see.".into(),
                arguments: vec![],
            }],
        }
    }

    fn invoke(_activity: String, _arguments: String) -> Result<String, Error> {
        // Both the interface the contract names and what a language's standard library reads.
        let seen: Map<String, Value> = wasi::cli::environment::get_environment()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let std_seen: Map<String, Value> = std::env::vars()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        if seen != std_seen {
            return Err(Error::Failed(
                "wasi:cli/environment and std::env disagree".into(),
            ));
        }
        Ok(Value::Object(seen).to_string())
    }
}

impl exports::chaosrt::plugin::discovery::Guest for EnvRead {
    fn discover() -> Result<Vec<Target>, Error> {
        let value = std::env::var("CHAOSRT_GUEST_ENV_GRANTED").unwrap_or_default();
        match value.as_str() {
            "fail" => Err(Error::Failed("told to fail".into())),
            "trap" => panic!("told to trap"),
            _ => Ok(vec![Target {
                kind: "variable".into(),
                name: "CHAOSRT_GUEST_ENV_GRANTED".into(),
                namespace: None,
                details: serde_json::json!({ "value": value }).to_string(),
            }]),
        }
    }
}

export!(EnvRead);
