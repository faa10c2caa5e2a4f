//! Why loading a plugin or calling an activity failed. Every message names the plugin (and the
//! activity), because the operator reads them in a run log among many.

use super::bindings::{PLUGIN_INTERFACE, supported};

/// Why a component could not be loaded as a plugin.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Larger than any plugin should be: refused before compiling, which costs time and memory in
    /// proportion.
    #[error(
        "'{name}' is {mib:.1} MiB, larger than the {} MiB chaosrt accepts for a plugin component; \
         it was not compiled",
        super::MAX_COMPONENT_BYTES >> 20
    )]
    TooLarge { name: String, mib: f64 },
    /// Not WebAssembly at all, or a component whose sections do not parse (a truncated file).
    #[error("'{name}' is not a WebAssembly component: {detail}")]
    NotAComponent { name: String, detail: String },
    /// A core module: the usual mistake of giving the output of a plain `wasm32-*` build.
    #[error(
        "'{name}' is a core WebAssembly module, not a component; build it with \
         `wasm-tools component new` or cargo's wasm32-wasip2 target"
    )]
    CoreModule { name: String },
    /// Compiling took longer than the host allows.
    #[error(
        "compiling '{name}' did not finish within {seconds} s, so it was abandoned (a component \
         should compile in seconds; `chaosrt plugin install --compile-timeout SECONDS` allows more)"
    )]
    CompileTimeout { name: String, seconds: f64 },
    /// A filesystem capability whose path does not name one fixed directory.
    #[error("plugin '{name}' asks for the filesystem path '{path}', which is refused: {problem}")]
    BadPath {
        name: String,
        path: String,
        problem: &'static str,
    },
    /// The bytes are not a valid component, or cranelift could not compile them. (`error`, not
    /// `source`: the message already says it, and the CLI's error chain would print it twice.)
    #[error("plugin '{name}' is not a valid WebAssembly component: {error:#}")]
    Compile {
        name: String,
        error: wasmtime::Error,
    },
    /// The component does not export the plugin interface at all.
    #[error(
        "'{name}' is not a chaosrt plugin: it does not export `{PLUGIN_INTERFACE}` (build it with \
         chaosrt-sdk, or against chaosrt's wit/ directory, world `chaosrt-plugin`)"
    )]
    NotAPlugin { name: String },
    /// The component was built for a version of the contract outside the supported range.
    #[error(
        "plugin '{name}' was built for chaosrt:plugin@{found}, but this chaosrt supports {}; \
         rebuild it against a supported version's wit/ (or chaosrt-sdk)",
        supported()
    )]
    UnsupportedVersion { name: String, found: String },
    /// The component exports interfaces of two contract versions (`discovery` of one, `plugin` of
    /// another).
    #[error(
        "plugin '{name}' exports `{interface}`, which does not belong with its \
         chaosrt:plugin@{version}; build both exports against the same contract version"
    )]
    MixedVersions {
        name: String,
        interface: String,
        version: String,
    },
    /// The component imports something the host does not offer.
    #[error("plugin '{name}' needs imports this host does not provide: {error:#}")]
    Link {
        name: String,
        error: wasmtime::Error,
    },
    /// The plugin's metadata is malformed or out of bounds: refused before anything shows it.
    #[error("plugin '{name}' describes itself badly, so it is refused: {problem}")]
    BadMetadata {
        name: String,
        problem: super::metadata::BadMetadata,
    },
    /// Asking the plugin for its metadata failed.
    #[error("plugin '{name}' failed to describe itself: {error}")]
    Metadata {
        name: String,
        /// Not a `source`: the message already says it, and error chains would print it twice.
        error: Box<CallError>,
    },
}

impl LoadError {
    /// The refusal of a component of `bytes` bytes, over [`super::MAX_COMPONENT_BYTES`].
    pub fn too_large(name: &str, bytes: u64) -> LoadError {
        LoadError::TooLarge {
            name: name.into(),
            mib: bytes as f64 / f64::from(1 << 20),
        }
    }
}

/// How a plugin says a call did not produce a result (the contract's `error` variant, the same in
/// every version so far).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    UnknownActivity(String),
    InvalidArguments(String),
    Denied(String),
    Failed(String),
}

/// Why an activity call produced no output. Every message names the plugin and the activity.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The activity ran and failed: Chaos Toolkit's `ActivityFailed`; the plugin's own words.
    #[error("{message}")]
    Failed { message: String },
    /// The plugin does not have the activity.
    #[error("plugin '{plugin}' has no activity '{activity}'")]
    UnknownActivity { plugin: String, activity: String },
    /// The arguments did not fit.
    #[error("plugin '{plugin}' activity '{activity}': invalid arguments: {message}")]
    InvalidArguments {
        plugin: String,
        activity: String,
        message: String,
    },
    /// The host refused an operation the plugin attempted.
    #[error("plugin '{plugin}' activity '{activity}' was denied: {message}")]
    Denied {
        plugin: String,
        activity: String,
        message: String,
    },
    /// The call ran past its timeout and was stopped.
    #[error("plugin '{plugin}' activity '{activity}' timed out after {seconds}s and was stopped")]
    Timeout {
        plugin: String,
        activity: String,
        seconds: f64,
    },
    /// The plugin tried to grow its memory past the cap.
    #[error(
        "plugin '{plugin}' activity '{activity}' exceeded its memory cap of {cap_mib} MiB and was stopped"
    )]
    MemoryCap {
        plugin: String,
        activity: String,
        cap_mib: usize,
    },
    /// The plugin needed memory while the calls running at once held the whole budget.
    #[error(
        "plugin '{plugin}' activity '{activity}' was stopped: the plugin calls running at once \
         hold the whole memory budget of {budget_mib} MiB (run fewer background activities at once)"
    )]
    MemoryBudget {
        plugin: String,
        activity: String,
        budget_mib: usize,
    },
    /// The plugin trapped (a panic, an out-of-bounds access, …).
    #[error("plugin '{plugin}' activity '{activity}' crashed: {detail}")]
    Trap {
        plugin: String,
        activity: String,
        detail: String,
    },
    /// The output is too large or not JSON.
    #[error("plugin '{plugin}' activity '{activity}' returned a bad output: {detail}")]
    BadOutput {
        plugin: String,
        activity: String,
        detail: String,
    },
}
