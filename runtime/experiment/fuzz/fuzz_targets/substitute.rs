//! `${…}` substitution, as Chaos Toolkit's and as a shell word: any template against any scope.
//! The input is JSON: an experiment (its method and rollbacks substituted with its own literal
//! configuration and secrets), or `{"value": …, "configuration": {…}, "secrets": {…}, "outputs":
//! {…}}`; text that is not JSON is one template string.
#![no_main]

use chaosrt_experiment::{
    Scope, Taint, substitute, substitute_shell, substitute_trusted, tainted, unknown_names,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

fn object(input: &Value, key: &str) -> Map<String, Value> {
    input
        .get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input: Value = serde_json::from_str(text).unwrap_or_else(|_| json!({"value": text}));
    let configuration = object(&input, "configuration");
    let secrets = object(&input, "secrets");
    let outputs = object(&input, "outputs");
    let scope = Scope {
        configuration: &configuration,
        secrets: &secrets,
        outputs: &outputs,
    };
    let tainted_keys: BTreeSet<String> = configuration.keys().step_by(2).cloned().collect();
    let trusted: BTreeSet<String> = outputs.keys().step_by(2).cloned().collect();
    let taint = Taint {
        configuration: &tainted_keys,
        trusted_outputs: &trusted,
    };
    let templates = match input.get("value") {
        Some(value) => vec![value.clone()],
        None => ["method", "rollbacks", "title"]
            .iter()
            .filter_map(|key| input.get(*key).cloned())
            .collect(),
    };
    for template in templates {
        let _ = substitute(&template, &scope);
        let _ = substitute_trusted(&template, &scope, &taint);
        let _ = tainted(&template, &scope, &taint);
        let _ = unknown_names(&template, &scope);
        if let Value::String(s) = &template {
            let _ = substitute_shell(s, &scope, &taint);
        }
    }
});
