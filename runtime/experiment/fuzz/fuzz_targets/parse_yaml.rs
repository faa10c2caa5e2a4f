//! YAML loading (PyYAML's safe_load rules): any text is a value or an error with a position, never
//! a panic, an overflow or unbounded memory (anchors, aliases and nesting are capped).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = chaosrt_experiment::parse_yaml(text, Path::new("fuzz.yaml"))
    {
        let _ = e.to_string();
    }
});
