//! Tolerance declaration and evaluation (bool, int, string, list, range, regex with Python's
//! syntax, jsonpath): declared through validation as Chaos Toolkit checks it, then checked against
//! probe outputs. The input is JSON: an experiment (each hypothesis probe's tolerance), or
//! `{"tolerance": …, "value": …, "configuration": {…}}`.
#![no_main]

use chaosrt_experiment::{Scope, validate};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(input) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let experiment = match input.get("tolerance") {
        Some(tolerance) => json!({
            "title": "t", "description": "d",
            "configuration": input.get("configuration").cloned().unwrap_or(json!({})),
            "steady-state-hypothesis": {"title": "h", "probes": [{
                "type": "probe", "name": "p", "tolerance": tolerance,
                "provider": {"type": "http", "url": "http://127.0.0.1/"}
            }]},
            "method": []
        }),
        None => input.clone(),
    };
    let Ok(experiment) = validate(&experiment) else {
        return;
    };
    let configuration: Map<String, Value> = experiment
        .configuration
        .iter()
        .filter(|(_, v)| !v.is_object())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let empty = Map::new();
    let scope = Scope {
        configuration: &configuration,
        secrets: &empty,
        outputs: &empty,
    };
    let mut values = vec![
        json!({"status": 200, "headers": {"content-type": "application/json"}, "body": "ok"}),
        json!({"status": 500, "body": {"a": [{"b": 1}, {"b": "x"}]}}),
        json!(0),
        json!("x"),
        json!([1, 2]),
        json!(true),
        Value::Null,
    ];
    values.extend(input.get("value").cloned());
    let probes = experiment.hypothesis.iter().flat_map(|h| &h.probes);
    for tolerance in probes.filter_map(|p| p.tolerance.as_ref()) {
        let _ = tolerance.describe();
        for value in &values {
            let _ = tolerance.check(value, &scope);
        }
    }
});
