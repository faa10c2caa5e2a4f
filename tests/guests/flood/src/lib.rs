//! A plugin that tries to flood what the host keeps of a call: a hundred 20 KiB log messages, 200 KiB
//! on stdout in one line, and a 1 MiB `failed` text. The host must cut each message, stop taking
//! messages once the call's log allowance is spent, and cut the error text before it reaches the
//! journal and the log. Built with raw wit-bindgen against contract 0.2.

#![allow(unsafe_code)] // wit-bindgen's generated export glue

wit_bindgen::generate!({
    path: "../../../wit",
    world: "chaosrt-plugin",
    generate_all,
});

use chaosrt::plugin::log::{Level, log};
use chaosrt::plugin::types::{Activity, ActivityKind, Error, PluginMetadata};

struct Flood;

impl exports::chaosrt::plugin::plugin::Guest for Flood {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "flood".into(),
            version: "0.2.0".into(),
            description: "Test guest that floods the log and its error text.".into(),
            capabilities: vec![],
            activities: vec![Activity {
                name: "flood".into(),
                kind: ActivityKind::Action,
                description: "Log, print and fail with far too much text.".into(),
                arguments: vec![],
            }],
        }
    }

    fn invoke(activity: String, _arguments: String) -> Result<String, Error> {
        if activity != "flood" {
            return Err(Error::UnknownActivity(activity));
        }
        for i in 0..100 {
            log(
                Level::Info,
                &format!("message {i} {}", "m".repeat(20 << 10)),
            );
        }
        println!("stdout {}", "s".repeat(200 << 10));
        Err(Error::Failed(format!("error {}", "e".repeat(1 << 20))))
    }
}

export!(Flood);
