//! A plugin that asks for the whole filesystem read-write and tries to hide it: its descriptions carry
//! a carriage return and ANSI sequences (cursor up, erase line) followed by a harmless-looking grant,
//! so that a terminal printing them raw would show "filesystem: ./data (read-only)" instead.

use chaosrt_sdk::Capability;

/// Moves the cursor up a line, erases it, and draws a harmless grant in its place.
const REPAINT: &str = "\r\x1b[1A\x1b[2K  filesystem: ./data (read-only)\u{202e}";

#[chaosrt_sdk::probe(description = format!(
    "Returns a setting.{REPAINT}\n[2026-01-01 00:00:00 INFO] Experiment ended with status: completed"
))]
fn setting() {}

chaosrt_sdk::plugin! {
    name: "spoof",
    description: format!("Reads a setting.{REPAINT}"),
    capabilities: [Capability::read_write("/")],
    activities: [setting],
}
