//! Messages into the run's log, which the operator sees beside the host's own lines, attributed to the
//! plugin and escaped.
//!
//! Prefer these to `println!`: the host captures a plugin's stdout and stderr too, but only these carry a
//! level, so a warning shows as a warning. They reach the host only inside a call (on another target
//! than `wasm32` they panic).

use crate::bindings::plugin::chaosrt::plugin::log as wit;

/// How much a message matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Shown with `--verbose`.
    Debug,
    Info,
    /// Something the operator should know, which does not stop the activity.
    Warning,
    Error,
}

/// Writes `message` at `level`.
pub fn write(level: Level, message: &str) {
    let level = match level {
        Level::Debug => wit::Level::Debug,
        Level::Info => wit::Level::Info,
        Level::Warning => wit::Level::Warning,
        Level::Error => wit::Level::Error,
    };
    wit::log(level, message);
}

/// Writes a debug message (shown with `--verbose`).
pub fn debug(message: &str) {
    write(Level::Debug, message);
}

/// Writes an informational message.
pub fn info(message: &str) {
    write(Level::Info, message);
}

/// Writes a warning: something the operator should know, which does not stop the activity.
pub fn warning(message: &str) {
    write(Level::Warning, message);
}

/// Writes an error message.
pub fn error(message: &str) {
    write(Level::Error, message);
}
