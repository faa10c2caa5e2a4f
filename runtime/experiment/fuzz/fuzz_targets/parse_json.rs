//! JSON loading: any text is a value or an error with a position, never a panic or an overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = chaosrt_experiment::parse_json(text, "fuzz.json")
    {
        let _ = e.to_string();
    }
});
