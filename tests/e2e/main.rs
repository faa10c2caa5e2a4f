//! End-to-end tests: the real `chaosrt` binary against real servers on loopback, real files and real
//! WebAssembly components built from this workspace. One binary, one module per concern.

mod support;

mod bounds;
mod cli;
mod compat;
mod contract;
mod extensions;
mod faults;
mod grants;
mod journal;
mod kubernetes;
mod languages;
mod load;
mod oci;
mod plugins;
mod pyfs;
mod python;
mod run;
mod sandbox;
mod signals;
mod store;
mod taint;
mod tls;
mod tutorial;
