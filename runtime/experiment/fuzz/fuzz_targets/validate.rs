//! Validation and configuration: any document (JSON, else YAML) validates to an experiment or to
//! errors, and a valid one resolves with no environment, never panicking.
#![no_main]

use chaosrt_experiment::{Vars, parse_json, parse_yaml, resolve, validate};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(document) =
        parse_json(text, "fuzz.json").or_else(|_| parse_yaml(text, Path::new("fuzz.yaml")))
    else {
        return;
    };
    match validate(&document) {
        Ok(experiment) => {
            let _ = resolve(&experiment, &Vars::default(), &|_| None);
            let _ = experiment.tainted_configuration();
        }
        Err(invalid) => {
            let _ = invalid.to_string();
        }
    }
});
