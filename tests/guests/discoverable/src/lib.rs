//! A plugin built against contract 0.2 with raw wit-bindgen (not the SDK, so it pins the contract):
//! it exports `discovery`, and its `context` probe returns what the host's `context` functions tell
//! the call (activity name, run id, deadline, configuration, secrets), so end-to-end tests can check
//! each against the run.
//!
//! Its targets include hostile text (a terminal escape in a pod's name and in its labels) and one
//! malformed target (details that are not a JSON object), which the host must escape and drop.

#![allow(unsafe_code)] // wit-bindgen's generated export glue

wit_bindgen::generate!({
    path: "../../../wit",
    world: "chaosrt-discoverable-plugin",
    generate_all,
});

use chaosrt::plugin::context;
use chaosrt::plugin::log::{Level, log};
use chaosrt::plugin::types::{
    Activity, ActivityKind, ArgumentSpec, ArgumentType, Error, PluginMetadata, Target,
};
use serde_json::{Value, json};
use wasi::clocks::monotonic_clock;

struct Discoverable;

impl exports::chaosrt::plugin::plugin::Guest for Discoverable {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "discoverable".into(),
            version: "0.2.0".into(),
            description: "Test guest built for contract 0.2, with discovery.".into(),
            capabilities: vec![],
            activities: vec![Activity {
                name: "context".into(),
                kind: ActivityKind::Probe,
                description: "Return what the host's context functions say.".into(),
                arguments: vec![ArgumentSpec {
                    name: "note".into(),
                    type_: ArgumentType::String,
                    required: false,
                    default: Some("\"none\"".into()),
                    description: "Returned as given.".into(),
                }],
            }],
        }
    }

    fn invoke(activity: String, arguments: String) -> Result<String, Error> {
        if activity != "context" {
            return Err(Error::UnknownActivity(activity));
        }
        let arguments: Value = serde_json::from_str(&arguments)
            .map_err(|e| Error::InvalidArguments(format!("not JSON: {e}")))?;
        let now = monotonic_clock::now();
        let deadline = context::deadline();
        let parse = |s: String| serde_json::from_str::<Value>(&s).unwrap_or(Value::Null);
        log(Level::Info, "reading the context");
        Ok(json!({
            "note": arguments.get("note").cloned().unwrap_or(Value::Null),
            "activity_name": context::activity_name(),
            "run_id": context::run_id(),
            "deadline_in_ms": deadline.saturating_sub(now) / 1_000_000,
            "deadline_passed": deadline <= now,
            "configuration": parse(context::configuration()),
            "secrets": parse(context::secrets()),
        })
        .to_string())
    }
}

impl exports::chaosrt::plugin::discovery::Guest for Discoverable {
    fn discover() -> Result<Vec<Target>, Error> {
        let target = |kind: &str, name: &str, namespace: Option<&str>, details: &str| Target {
            kind: kind.into(),
            name: name.into(),
            namespace: namespace.map(str::to_string),
            details: details.into(),
        };
        Ok(vec![
            target("namespace", "default", None, "{}"),
            target(
                "pod",
                "web-1\x1b[2K",
                Some("default"),
                &json!({"labels": {"app": "web\u{202e}"}, "run_id": context::run_id()}).to_string(),
            ),
            target("pod", "malformed", Some("default"), "[1, 2]"),
        ])
    }
}

export!(Discoverable);
