//! Builds the built-in plugins into WebAssembly components for `src/lib.rs` to embed, and precompiles
//! each for this machine with the engine configuration the host runs them with.
//!
//! wasmtime here is the host's own: the same version and features, and (with the workspace's
//! `build-override` profiles matching the normal ones) the very same compiled crate, so this costs no
//! second build of wasmtime. An artifact that does not fit the machine chaosrt later runs on is
//! refused by wasmtime when loaded, and the host compiles the component instead.
//!
//! It also records each component's sha256 (its identity in the host's logs and compile cache): the
//! bytes are part of the binary, so their digest is known at build time, and hashing them on every
//! run was most of a warm run's instructions.

use sha2::{Digest, Sha256};
use std::env;
use std::path::PathBuf;

fn main() {
    let guests = [
        ("chaosrt-plugin-http", "CHAOSRT_BUILTIN_HTTP"),
        ("chaosrt-plugin-fs", "CHAOSRT_BUILTIN_FS"),
        ("chaosrt-plugin-kubernetes", "CHAOSRT_BUILTIN_KUBERNETES"),
    ];
    let built = chaosrt_guest_build::build_guests_into_env(&guests);
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    // Code compiled here runs only where it was compiled for: skip it when cross-compiling.
    let native = env::var("HOST").ok() == env::var("TARGET").ok();
    let engine = native.then(|| {
        wasmtime::Engine::new(&chaosrt_engine_config::config())
            .unwrap_or_else(|e| panic!("cannot start wasmtime to precompile the built-ins: {e:#}"))
    });
    for ((_, var), component) in guests.iter().zip(built) {
        let bytes = std::fs::read(&component)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", component.display()));
        let sha256: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        println!("cargo:rustc-env={var}_SHA256={sha256}");
        let artifact = match &engine {
            Some(engine) => engine
                .precompile_component(&bytes)
                .unwrap_or_else(|e| panic!("cannot precompile {}: {e:#}", component.display())),
            None => Vec::new(),
        };
        let path = out.join(format!("{var}.cwasm"));
        std::fs::write(&path, artifact)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        println!("cargo:rustc-env={var}_PRECOMPILED={}", path.display());
    }
    println!("cargo:rerun-if-env-changed=TARGET");
}
