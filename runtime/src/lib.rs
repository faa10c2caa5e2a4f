//! chaosrt: runs Chaos Toolkit experiments with every probe and action as a sandboxed WebAssembly
//! component.
//!
//! Layers, dependencies pointing down only: [`cli`] → [`engine`] → [`experiment`], [`journal`],
//! [`host`], [`registry`]. The host and the registry know nothing of experiments.

pub mod cli;
pub mod console;
pub mod discovery;
pub mod download;
pub mod engine;
pub mod escape;
pub mod experiment;
pub mod fsutil;
pub mod host;
pub mod journal;
pub mod private_fs;
pub mod registry;
pub mod scaffold;
pub mod settings;
pub mod tls;
