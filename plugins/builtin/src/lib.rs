//! The built-in plugins, as WebAssembly component bytes the host embeds in its binary.
//!
//! `build.rs` compiles them from `plugins/http` and `plugins/fs`. The bytes live in this tiny crate of
//! their own so that rebuilding a guest recompiles only this crate, not the host's code.

/// The `http` plugin: HTTP(S) requests shaped like Chaos Toolkit's http provider.
pub const HTTP: &[u8] = include_bytes!(env!("CHAOSRT_BUILTIN_HTTP"));

/// The `fs` plugin: move a file and check that a path exists, in the run's working directory.
pub const FS: &[u8] = include_bytes!(env!("CHAOSRT_BUILTIN_FS"));

/// The `kubernetes` plugin: chaostoolkit-kubernetes' pod, deployment and node activities, through
/// the host's Kubernetes proxy.
pub const KUBERNETES: &[u8] = include_bytes!(env!("CHAOSRT_BUILTIN_KUBERNETES"));

/// Every built-in plugin, by the name experiments use for it.
pub const ALL: &[(&str, &[u8])] = &[("http", HTTP), ("fs", FS), ("kubernetes", KUBERNETES)];
