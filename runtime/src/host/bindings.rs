//! Host-side bindings for the plugin contract in `wit/` (package `chaosrt:plugin@0.1.0`).
//!
//! Kept apart so the generated code has one documented home. Exports are async because every call runs
//! on tokio with epoch interruption; the `log` import is a plain host function.

wasmtime::component::bindgen!({
    path: "../wit/deps/chaosrt-plugin@0.1.0",
    world: "chaosrt-plugin",
    exports: { default: async },
});

pub use self::chaosrt::plugin::log::Level;
pub use self::chaosrt::plugin::types as wit;

/// The contract version this host speaks, as it appears in export names.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The exported interface every plugin must provide, without its version.
pub const PLUGIN_INTERFACE: &str = "chaosrt:plugin/plugin";
