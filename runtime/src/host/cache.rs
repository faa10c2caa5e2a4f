//! Compiled-component cache: compiling a component takes hundreds of milliseconds (seconds for Python
//! or JavaScript guests), loading a compiled one takes about one. Entries are keyed by the component's
//! sha256 and the engine's compatibility hash, so a different wasmtime or engine setting never loads a
//! stale artifact.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Hex sha256 of `bytes`: the identity of a component everywhere in chaosrt.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a component came from the cache or had to be compiled (reported in debug logs and used by
/// tests to show the second run does not recompile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Compiled,
    Cached,
}

pub struct CompileCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

impl CompileCache {
    /// A cache in `dir`, or none (always compile) when there is no cache directory.
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        CompileCache {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
        }
    }

    fn path_for(&self, sha256: &str) -> Option<PathBuf> {
        Some(
            self.dir
                .as_ref()?
                .join(format!("{sha256}-{}.cwasm", self.engine_key)),
        )
    }

    /// Loads the compiled form of `bytes` (whose digest is `sha256`), compiling and storing it on a miss.
    /// A cache that cannot be read or written only costs time: the component is compiled in memory.
    pub fn load(
        &self,
        engine: &Engine,
        sha256: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, Origin)> {
        let Some(path) = self.path_for(sha256) else {
            return Ok((Component::new(engine, bytes)?, Origin::Compiled));
        };
        if path.is_file()
            && let Ok(component) = deserialize(engine, &path)
        {
            return Ok((component, Origin::Cached));
        }
        let compiled = engine.precompile_component(bytes)?;
        // Best effort: a read-only cache dir must not fail the run.
        let _ = write_atomically(&path, &compiled);
        let component = match deserialize(engine, &path) {
            Ok(component) => component,
            Err(_) => Component::new(engine, bytes)?,
        };
        Ok((component, Origin::Compiled))
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the file be a trusted artifact of `Engine::precompile_component`.
    // Only this module writes into the cache directory (atomically, so never half-written), it lives in
    // the user's own cache dir, and the file name carries the engine's compatibility hash; wasmtime
    // also checks the header and refuses artifacts from another version or configuration.
    unsafe { Component::deserialize_file(engine, path) }
}

/// Writes through a temporary file in the same directory and renames it into place, so a reader never
/// sees half an artifact even when two runs fill the cache at once.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
