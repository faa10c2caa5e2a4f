//! Compiled-component cache: compiling a component takes hundreds of milliseconds (seconds for Python
//! or JavaScript guests), loading a compiled one takes about one. Entries are keyed by the component's
//! sha256 and the engine's compatibility hash, so a different wasmtime or engine setting never loads a
//! stale artifact.
//!
//! A compiled artifact is native code that wasmtime runs as it is (`Component::deserialize` is
//! `unsafe` for that reason), and the cache directory is the least trusted place chaosrt keeps
//! anything: it may be wiped, shared, or restored from a CI cache, and an older chaosrt left it at
//! the umask's mode. So an artifact is loaded only when its own sha256 matches the one recorded when
//! this chaosrt wrote it, in a **ledger** kept in the data directory beside the plugin store
//! (`<data dir>/compiled/<component sha256>-<engine key>.json`). The ledger is per artifact rather
//! than in each plugin's manifest because built-in plugins are embedded in the binary and have no
//! manifest: one record per (component, engine) pair serves both alike, and a plugin's manifest
//! stays the operator's record of what was installed and granted. The cached bytes are read once,
//! and the very bytes that were hashed are deserialized, so nothing can swap the file between the
//! check and the load. An artifact with no record, or one that does not match it, is not loaded: the
//! component is compiled again, the artifact rewritten, and the load reports why
//! ([`Origin::Recompiled`]), so the operator can be warned.

use crate::private_fs;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::Engine;
use wasmtime::component::Component;

/// Hex sha256 of `bytes`: the identity of a component everywhere in chaosrt.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How long one component may take to compile before the load gives up on it. A 27 MB Python
/// component compiles in about 10 s on a small machine; this leaves room for slow CI runners and
/// the largest component the host accepts, and stops a component crafted to make cranelift churn.
pub const COMPILE_TIMEOUT: Duration = Duration::from_secs(120);

/// The most a ledger record can be; a real one is about 150 bytes.
const RECORD_BYTES: u64 = 4096;

/// Where a plugin's compiled form came from, reported in debug logs and used by tests to show the
/// second run does not recompile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Deserialized from the form precompiled into chaosrt at build time (a built-in plugin): nothing
    /// was compiled, and nothing is cached.
    Precompiled,
    /// Compiled: nothing was cached.
    Compiled,
    /// Loaded from a cached artifact that matched its record.
    Cached,
    /// Loaded from the compiled form an install stored beside the plugin, which matched the
    /// plugin's manifest.
    Installed,
    /// Compiled again because the cached artifact at `artifact` could not be trusted.
    Recompiled { artifact: PathBuf, why: Stale },
}

/// Why a cached artifact was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// The ledger has no record of it: this chaosrt did not write it here (or the data directory was
    /// reset while the cache was kept).
    Unrecorded,
    /// Its sha256 is not the recorded one: it was replaced or corrupted.
    Mismatch,
    /// It or its record could not be read safely (a link, another user's file, a bad record, an I/O
    /// error, or wasmtime refusing it).
    Unreadable(String),
}

impl Origin {
    /// What to warn the operator about when loading `plugin`, if anything: the cache held something
    /// it should not have.
    pub fn warning(&self, plugin: &str) -> Option<String> {
        let Origin::Recompiled { artifact, why } = self else {
            return None;
        };
        let artifact = crate::escape::escape(&artifact.display().to_string()).into_owned();
        let what = match why {
            Stale::Unrecorded => format!(
                "its cached compiled form {artifact} has no record in chaosrt's data directory \
                 (this chaosrt did not write it)"
            ),
            Stale::Mismatch => format!(
                "its cached compiled form {artifact} does not match the sha256 recorded for it \
                 (replaced or corrupted)"
            ),
            Stale::Unreadable(detail) => {
                format!("its cached compiled form {artifact} cannot be checked: {detail}")
            }
        };
        Some(format!(
            "Plugin '{}': {what}; it was not loaded, and the component was compiled again",
            crate::escape::escape(plugin)
        ))
    }
}

/// The two directories the cache uses: the artifacts in the user's cache directory, the ledger that
/// vouches for them in the data directory.
#[derive(Debug, Clone)]
pub struct CacheDirs {
    /// chaosrt's cache directory (`$XDG_CACHE_HOME/chaosrt`); artifacts go in `components/`.
    pub cache: PathBuf,
    /// chaosrt's data directory (`$XDG_DATA_HOME/chaosrt`, beside the plugin store); the ledger goes
    /// in `compiled/`.
    pub data: PathBuf,
}

const ARTIFACTS: &str = "components";
const LEDGER: &str = "compiled";

/// What the ledger records of one artifact.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    /// Hex sha256 of the artifact file.
    artifact_sha256: String,
    /// Its length: a longer file is refused without being read.
    artifact_bytes: u64,
}

/// What a lookup found.
pub enum Lookup {
    /// A compiled component, and where it came from.
    Hit(Component, Origin),
    /// Nothing usable: compile, and report the load with this origin.
    Miss(Origin),
}

/// Why compiling failed.
#[derive(Debug)]
pub enum CompileFailure {
    Invalid(wasmtime::Error),
    TimedOut(Duration),
}

pub struct CompileCache {
    dirs: Option<CacheDirs>,
    engine_key: String,
}

impl CompileCache {
    /// A cache in `dirs`, or none (always compile) when there are no such directories.
    pub fn new(engine: &Engine, dirs: Option<CacheDirs>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        CompileCache {
            dirs,
            engine_key: format!("{:016x}", hasher.finish()),
        }
    }

    /// The engine's compatibility key, as artifacts are keyed by it.
    pub fn engine_key(&self) -> &str {
        &self.engine_key
    }

    fn stem(&self, sha256: &str) -> String {
        format!("{sha256}-{}", self.engine_key)
    }

    /// The compiled form of the component whose digest is `sha256`, if the cache holds one that
    /// matches its ledger record.
    pub fn lookup(&self, engine: &Engine, sha256: &str) -> Lookup {
        let Some(dirs) = &self.dirs else {
            return Lookup::Miss(Origin::Compiled);
        };
        let artifact = dirs
            .cache
            .join(ARTIFACTS)
            .join(format!("{}.cwasm", self.stem(sha256)));
        let stale = |why| {
            Lookup::Miss(Origin::Recompiled {
                artifact: artifact.clone(),
                why,
            })
        };
        let unreadable = |e: &dyn std::fmt::Display| stale(Stale::Unreadable(e.to_string()));
        match private_fs::check_dirs(&dirs.cache, &[ARTIFACTS]) {
            Ok(Some(_)) => {}
            Ok(None) => return Lookup::Miss(Origin::Compiled),
            Err(e) => return unreadable(&e),
        }
        // Nothing cached is the common miss (a first run, a wiped cache): no warning.
        if artifact.symlink_metadata().is_err() {
            return Lookup::Miss(Origin::Compiled);
        }
        let record = match self.record(dirs, sha256) {
            Ok(Some(record)) => record,
            Ok(None) => return stale(Stale::Unrecorded),
            Err(e) => return unreadable(&e),
        };
        // Read once; what is hashed is what is deserialized.
        let bytes = match private_fs::read_file(&artifact, record.artifact_bytes) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Lookup::Miss(Origin::Compiled),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return stale(Stale::Mismatch),
            Err(e) => return unreadable(&e),
        };
        if sha256_hex(&bytes) != record.artifact_sha256 {
            return stale(Stale::Mismatch);
        }
        match deserialize(engine, &bytes) {
            Ok(component) => Lookup::Hit(component, Origin::Cached),
            Err(e) => unreadable(&format_args!("wasmtime refused it: {e:#}")),
        }
    }

    /// The ledger's record for `sha256`, or `None` when there is none.
    fn record(&self, dirs: &CacheDirs, sha256: &str) -> std::io::Result<Option<Record>> {
        let Some(ledger) = private_fs::check_dirs(&dirs.data, &[LEDGER])? else {
            return Ok(None);
        };
        let path = ledger.join(format!("{}.json", self.stem(sha256)));
        let Some(text) = private_fs::read_file(&path, RECORD_BYTES)? else {
            return Ok(None);
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| std::io::Error::other(format!("{}: bad record: {e}", path.display())))
    }

    /// Compiles `bytes` on a thread of its own, giving up after `limit`. Cranelift cannot be
    /// interrupted, so an abandoned compilation runs on until it ends or the process exits; the
    /// commands that load plugins exit soon after a failed load.
    pub async fn compile(
        engine: &Engine,
        bytes: &[u8],
        limit: Duration,
    ) -> Result<Component, CompileFailure> {
        let (done, result) = tokio::sync::oneshot::channel();
        let engine = engine.clone();
        let bytes = bytes.to_vec();
        std::thread::Builder::new()
            .name("chaosrt-compile".into())
            .spawn(move || {
                let _ = done.send(Component::new(&engine, &bytes));
            })
            .map_err(|e| CompileFailure::Invalid(e.into()))?;
        match tokio::time::timeout(limit, result).await {
            Err(_) => Err(CompileFailure::TimedOut(limit)),
            Ok(Ok(compiled)) => compiled.map_err(CompileFailure::Invalid),
            Ok(Err(_)) => Err(CompileFailure::Invalid(wasmtime::Error::msg(
                "the compiler stopped without a result",
            ))),
        }
    }

    /// Stores the compiled form of the component `sha256` with its ledger record. Call it only for
    /// a component that is a plugin this host can run (it passed the contract check and described
    /// itself): a cache entry must never be the only thing left of a refused component. Best
    /// effort: a cache that cannot be written only costs time, so the caller may ignore the error.
    pub fn store(&self, sha256: &str, component: &Component) -> std::io::Result<()> {
        let Some(dirs) = &self.dirs else {
            return Ok(());
        };
        let bytes = component.serialize().map_err(std::io::Error::other)?;
        let artifacts = private_fs::ensure_dirs(&dirs.cache, &[ARTIFACTS])?;
        let ledger = private_fs::ensure_dirs(&dirs.data, &[LEDGER])?;
        let stem = self.stem(sha256);
        let artifact = artifacts.join(format!("{stem}.cwasm"));
        private_fs::write_file(&artifact, &bytes)?;
        let record = Record {
            artifact_sha256: sha256_hex(&bytes),
            artifact_bytes: bytes.len() as u64,
        };
        let text = serde_json::to_vec_pretty(&record).expect("records serialise");
        if let Err(e) = private_fs::write_file(&ledger.join(format!("{stem}.json")), &text) {
            // Without its record the artifact would only earn a warning on every later run.
            let _ = std::fs::remove_file(&artifact);
            return Err(e);
        }
        Ok(())
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the bytes be a trusted artifact of this engine's compiler.
    // These are: their sha256 equals the one this chaosrt recorded, in the user's private data
    // directory, when it serialized a component it had just compiled and checked; the bytes were
    // read once, into memory, so they are the ones that were hashed. wasmtime also checks the header
    // and refuses artifacts of another version or configuration.
    unsafe { Component::deserialize(engine, bytes) }
}

/// Writes through a temporary file in the same directory and renames it into place, so a reader never
/// sees half a file. For the files chaosrt writes where the operator asks (journal, discovery,
/// experiment scaffold): the parent directories are created as needed with their usual modes.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    private_fs::write_file(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private_fs::tests::{mode, with_umask_000};

    struct Fixture {
        _tmp: tempfile::TempDir,
        dirs: CacheDirs,
        engine: Engine,
        cache: CompileCache,
    }

    fn fixture() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = CacheDirs {
            cache: tmp.path().join("cache/chaosrt"),
            data: tmp.path().join("data/chaosrt"),
        };
        let engine = Engine::default();
        let cache = CompileCache::new(&engine, Some(dirs.clone()));
        Fixture {
            _tmp: tmp,
            dirs,
            engine,
            cache,
        }
    }

    /// Two different real components (the built-in plugins), each compiled and stored.
    fn two_stored(f: &Fixture) -> [(String, PathBuf); 2] {
        ["fs", "http"].map(|name| {
            let bytes = chaosrt_builtins::ALL
                .iter()
                .find(|b| b.name() == name)
                .unwrap()
                .component();
            let sha = sha256_hex(bytes);
            let component = Component::new(&f.engine, bytes).unwrap();
            f.cache.store(&sha, &component).unwrap();
            let artifact = f
                .dirs
                .cache
                .join(ARTIFACTS)
                .join(format!("{}.cwasm", f.cache.stem(&sha)));
            (sha, artifact)
        })
    }

    #[track_caller]
    fn assert_recompiled(f: &Fixture, sha: &str, expected: Stale) {
        match f.cache.lookup(&f.engine, sha) {
            Lookup::Hit(..) => panic!("an untrusted artifact was loaded"),
            Lookup::Miss(Origin::Recompiled { why, .. }) => assert_eq!(why, expected),
            Lookup::Miss(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_stored_artifact_is_loaded_back() {
        let f = fixture();
        let [(fs, _), _] = two_stored(&f);
        assert!(matches!(f.cache.lookup(&f.engine, &fs), Lookup::Hit(..)));
        assert!(matches!(
            f.cache.lookup(&f.engine, &"0".repeat(64)),
            Lookup::Miss(Origin::Compiled)
        ));
    }

    #[test]
    fn another_components_artifact_in_its_place_is_not_loaded() {
        let f = fixture();
        let [(fs, fs_artifact), (_, http_artifact)] = two_stored(&f);
        std::fs::copy(&http_artifact, &fs_artifact).unwrap();
        assert_recompiled(&f, &fs, Stale::Mismatch);
    }

    #[test]
    fn a_corrupted_artifact_is_not_loaded() {
        let f = fixture();
        let [(fs, artifact), _] = two_stored(&f);
        let mut bytes = std::fs::read(&artifact).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&artifact, &bytes).unwrap();
        assert_recompiled(&f, &fs, Stale::Mismatch);
        // Truncated: refused by its recorded length.
        std::fs::write(&artifact, &bytes[..middle]).unwrap();
        assert_recompiled(&f, &fs, Stale::Mismatch);
        // Stored again, it loads again.
        let fs_bytes = chaosrt_builtins::FS.component();
        let component = Component::new(&f.engine, fs_bytes).unwrap();
        let sha = sha256_hex(fs_bytes);
        f.cache.store(&sha, &component).unwrap();
        assert!(matches!(f.cache.lookup(&f.engine, &sha), Lookup::Hit(..)));
    }

    #[test]
    fn an_artifact_without_a_record_is_not_loaded() {
        let f = fixture();
        let [(fs, _), _] = two_stored(&f);
        std::fs::remove_dir_all(f.dirs.data.join(LEDGER)).unwrap();
        assert_recompiled(&f, &fs, Stale::Unrecorded);
    }

    #[test]
    fn a_linked_artifact_is_not_loaded() {
        let f = fixture();
        let [(fs, fs_artifact), (_, http_artifact)] = two_stored(&f);
        std::fs::remove_file(&fs_artifact).unwrap();
        std::os::unix::fs::symlink(&http_artifact, &fs_artifact).unwrap();
        match f.cache.lookup(&f.engine, &fs) {
            Lookup::Miss(Origin::Recompiled {
                why: Stale::Unreadable(detail),
                ..
            }) => assert!(detail.contains("is a symbolic link"), "{detail}"),
            Lookup::Hit(..) => panic!("a link was followed"),
            Lookup::Miss(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn cache_and_ledger_are_private_under_umask_000() {
        let f = fixture();
        let [(sha, artifact), _] = with_umask_000(|| two_stored(&f));
        let stem = f.cache.stem(&sha);
        for dir in [
            &f.dirs.cache,
            &f.dirs.cache.join(ARTIFACTS),
            &f.dirs.data,
            &f.dirs.data.join(LEDGER),
        ] {
            assert_eq!(mode(dir), 0o700, "{}", dir.display());
        }
        assert_eq!(mode(&artifact), 0o600);
        assert_eq!(
            mode(&f.dirs.data.join(LEDGER).join(format!("{stem}.json"))),
            0o600
        );
    }

    #[tokio::test]
    async fn compiling_gives_up_after_its_time_limit() {
        let engine = Engine::default();
        let bytes = chaosrt_builtins::FS.component();
        match CompileCache::compile(&engine, bytes, Duration::from_millis(1)).await {
            Err(CompileFailure::TimedOut(_)) => {}
            Err(CompileFailure::Invalid(e)) => panic!("{e:#}"),
            Ok(_) => panic!("compiled within a millisecond"),
        }
        assert!(
            CompileCache::compile(&engine, bytes, COMPILE_TIMEOUT)
                .await
                .is_ok()
        );
    }
}
