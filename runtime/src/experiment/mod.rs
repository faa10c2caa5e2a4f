//! The experiment layer: the `chaosrt-experiment` crate (pure data, no wasmtime), re-exported so
//! its items keep their `chaosrt::experiment` paths, plus the one part of loading that needs the
//! network, fetching an experiment by URL.

pub use chaosrt_experiment::*;

pub mod fetch;

pub use fetch::load_source;
