//! The one wasmtime [`Config`] chaosrt runs plugins with.
//!
//! The host's engine and the build script that precompiles the built-in plugins
//! (`plugins/builtin/build.rs`) both take it from here: wasmtime refuses an artifact compiled under
//! another configuration, so if the two drifted apart every first run would compile the built-ins
//! again (correct, but slow). Only settings that shape compiled code or the engine belong here; what
//! is per call (limits, deadlines) stays in the host.

use wasmtime::Config;

/// The engine configuration: epoch interruption, so a call's timeout stops a guest that never yields.
pub fn config() -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config
}
