//! Messages into the run's log, which the operator sees beside the host's own lines.
//!
//! Prefer these to `println!`: the host captures a plugin's stdout and stderr too, but only these carry a
//! level, so a warning shows as a warning.

pub use crate::bindings::chaosrt::plugin::log::Level;
use crate::bindings::chaosrt::plugin::log::log;

/// Writes `message` at `level`.
pub fn write(level: Level, message: &str) {
    log(level, message);
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
