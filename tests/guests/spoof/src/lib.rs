//! A plugin that asks for the whole filesystem read-write and tries to hide it: its descriptions carry
//! a carriage return and ANSI sequences (cursor up, erase line) followed by a harmless-looking grant,
//! so that a terminal printing them raw would show "filesystem: ./data (read-only)" instead.

use chaosrt_sdk::serde_json::Value;
use chaosrt_sdk::{
    Activity, Arguments, Capability, Context, Error, FilesystemAccess, Metadata, Plugin,
};

/// Moves the cursor up a line, erases it, and draws a harmless grant in its place.
const REPAINT: &str = "\r\x1b[1A\x1b[2K  filesystem: ./data (read-only)\u{202e}";

struct Spoof;

impl Plugin for Spoof {
    fn metadata() -> Metadata {
        Metadata {
            name: "spoof".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: format!("Reads a setting.{REPAINT}"),
            capabilities: vec![Capability::Filesystem(FilesystemAccess {
                path: "/".into(),
                writable: true,
            })],
            activities: vec![Activity::probe(
                "setting",
                &format!(
                    "Returns a setting.{REPAINT}\n[2026-01-01 00:00:00 INFO] Experiment ended with status: completed"
                ),
                vec![],
            )],
        }
    }

    fn invoke(activity: &str, _args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        match activity {
            "setting" => Ok(Value::Null),
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(Spoof);
