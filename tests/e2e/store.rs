//! The plugin store holds: install compiles once and keeps the compiled form with the plugin, which
//! runs only if it is the one the manifest records, whatever was put in its place; install refuses
//! what is not a plugin before compiling it, never replaces an installed plugin behind the
//! operator's back, lands whole or not at all (killed in the middle too), and keeps everything
//! private to the user; one broken plugin does not break `plugin list`.

use crate::support::{Outcome, Scratch, read_json};
use chaosrt::host::cache::sha256_hex;
use chaosrt_test_guests::{BROKEN, ESCAPE, FETCH, FUTURE};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A scratch whose store and compile cache the tests tamper with and inspect.
struct Store {
    scratch: Scratch,
    cache: PathBuf,
}

impl Store {
    fn new() -> Store {
        let scratch = Scratch::new();
        let cache = scratch.cache_dir();
        Store { scratch, cache }
    }

    fn chaosrt(&self, args: &[&str]) -> Output {
        self.scratch.chaosrt().args(args).output().unwrap()
    }

    /// `plugin install --yes` of escape, run by `sh` after `setup` (a umask, a limit).
    fn install_in_shell(&self, setup: &str) -> Output {
        let command = format!(
            "{setup}; exec '{}' plugin install --yes '{ESCAPE}'",
            env!("CARGO_BIN_EXE_chaosrt")
        );
        std::process::Command::new("sh")
            .args(["-c", &command])
            .current_dir(self.scratch.run_dir())
            .env("XDG_DATA_HOME", self.scratch.dir.path().join("data"))
            .env("XDG_CONFIG_HOME", self.scratch.dir.path().join("config"))
            .env("XDG_CACHE_HOME", &self.cache)
            .output()
            .unwrap()
    }

    fn install(&self, wasm: &str) {
        let out = self.chaosrt(&["plugin", "install", "--yes", wasm]);
        assert!(out.status.success(), "{}", stderr(&out));
    }

    /// The compiled form the install of the component in `wasm` stored beside it.
    fn artifact(&self, wasm: &str) -> PathBuf {
        let stem = Path::new(wasm).file_stem().unwrap().to_str().unwrap();
        let name = stem.strip_prefix("chaosrt_guest_").unwrap_or(stem);
        self.data()
            .join(format!("plugins/{name}/0.1.0/plugin.cwasm"))
    }

    fn data(&self) -> PathBuf {
        self.scratch.dir.path().join("data/chaosrt")
    }

    /// Runs an experiment whose one probe reads `inside.txt` with the `escape` plugin.
    fn run_escape_read(&self) -> Outcome {
        std::fs::write(self.scratch.run_dir().join("inside.txt"), "fine").unwrap();
        let experiment = json!({
            "title": "t", "description": "d",
            "method": [{"type": "probe", "name": "read",
                        "provider": {"type": "plugin", "plugin": "escape", "func": "read",
                                     "arguments": {"path": "inside.txt"}}}]
        });
        std::fs::write(
            self.scratch.run_dir().join("e.json"),
            experiment.to_string(),
        )
        .unwrap();
        let out = self.chaosrt(&["--verbose", "run", "e.json"]);
        Outcome::new(out, self.scratch.run_dir().join("journal.json"))
    }

    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>, u32)> {
        self.scratch.snapshot()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_read_inside_ran_escape(outcome: &Outcome) {
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(
        journal["run"][0]["status"],
        json!("succeeded"),
        "{journal:#}"
    );
    assert_eq!(journal["run"][0]["output"], json!("fine"));
}

/// The compiled form an install stored beside the plugin is native code: it runs only while it is
/// the one the manifest records. Swapped or truncated, it is not loaded, the component is compiled
/// again (every time, with a warning, until a reinstall stores a good one).
/// The run read the file with escape's own code, compiled again because its stored compiled form
/// at `artifact` did not match its record, and said so.
#[track_caller]
fn assert_ran_recompiled(outcome: &Outcome, artifact: &Path) {
    assert_read_inside_ran_escape(outcome);
    assert!(
        outcome.stderr.contains("Plugin escape 0.1.0 (Recompiled"),
        "{}",
        outcome.stderr
    );
    outcome.assert_line(&format!(
        "WARNING Plugin 'escape': its cached compiled form {} does not match the sha256 recorded \
         for it (replaced or corrupted); it was not loaded, and the component was compiled again",
        artifact.display()
    ));
}

#[test]
fn swapped_compiled_forms_are_recompiled_not_run() {
    let store = Store::new();
    store.install(ESCAPE);
    store.install(FETCH);
    let (escape, fetch) = (store.artifact(ESCAPE), store.artifact(FETCH));
    let (escape_bytes, fetch_bytes) = (
        std::fs::read(&escape).unwrap(),
        std::fs::read(&fetch).unwrap(),
    );
    std::fs::write(&escape, &fetch_bytes).unwrap();
    std::fs::write(&fetch, &escape_bytes).unwrap();

    let listed = store.chaosrt(&["plugin", "list"]);
    let (out, err) = (String::from_utf8_lossy(&listed.stdout), stderr(&listed));
    assert!(listed.status.success(), "{err}");
    for name in ["escape", "fetch"] {
        assert!(
            err.contains(&format!("Plugin '{name}': its cached compiled form ")),
            "{err}"
        );
    }
    assert!(
        err.contains("does not match the sha256 recorded for it (replaced or corrupted); it was not loaded, and the component was compiled again"),
        "{err}"
    );
    // Each name lists its own activities: escape reads, fetch fetches.
    assert!(out.contains("    read (probe)"), "{out}");
    assert!(out.contains("    fetch (probe)"), "{out}");

    // A run runs escape's own code, and says so again every time.
    for _ in 0..2 {
        assert_ran_recompiled(&store.run_escape_read(), &escape);
    }
    // Reinstalling the same bytes with --replace stores a good one: quiet again.
    let replaced = store.chaosrt(&["plugin", "install", "--yes", "--replace", ESCAPE]);
    assert!(replaced.status.success(), "{}", stderr(&replaced));
    let again = store.run_escape_read();
    assert_read_inside_ran_escape(&again);
    assert!(
        again.stderr.contains("Plugin escape 0.1.0 (Installed"),
        "{}",
        again.stderr
    );
    assert!(
        !again.stderr.contains("its cached compiled form"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_truncated_compiled_form_is_recompiled_not_loaded() {
    let store = Store::new();
    store.install(ESCAPE);
    let artifact = store.artifact(ESCAPE);
    let bytes = std::fs::read(&artifact).unwrap();
    std::fs::write(&artifact, &bytes[..bytes.len() / 3]).unwrap();
    assert_ran_recompiled(&store.run_escape_read(), &artifact);
}

/// Install compiles once: the first run loads the compiled form the install stored, compiles
/// nothing and writes nothing to the compile cache.
#[test]
fn install_compiles_once_ahead_of_any_run() {
    let store = Store::new();
    store.install(ESCAPE);
    let dir = store.data().join("plugins/escape/0.1.0");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["manifest.json", "plugin.cwasm", "plugin.wasm"]);
    let manifest = read_json(dir.join("manifest.json"));
    let compiled = std::fs::read(dir.join("plugin.cwasm")).unwrap();
    assert_eq!(manifest["compiled"]["sha256"], json!(sha256_hex(&compiled)));
    assert_eq!(manifest["compiled"]["bytes"], json!(compiled.len()));
    assert_eq!(manifest["contract"], json!("0.2.0"));
    assert!(
        !store.cache.join("chaosrt").exists(),
        "install wrote the cache"
    );
    let outcome = store.run_escape_read();
    assert_read_inside_ran_escape(&outcome);
    assert!(
        outcome.stderr.contains("Plugin escape 0.1.0 (Installed"),
        "{}",
        outcome.stderr
    );
    assert!(!store.cache.join("chaosrt").exists(), "the run compiled");
}

/// An install killed in the middle (here by the file-size limit, once the component is staged and
/// while its compiled form is written) leaves no plugin: the store lists what it listed before, and
/// the next install lands whole.
#[test]
fn an_install_killed_in_the_middle_leaves_no_plugin() {
    let store = Store::new();
    let wasm = std::fs::metadata(ESCAPE).unwrap().len();
    let compiled = {
        let other = Store::new();
        other.install(ESCAPE);
        std::fs::metadata(other.artifact(ESCAPE)).unwrap().len()
    };
    // Room for the component, not for its compiled form; `sh`'s ulimit counts 512-byte blocks.
    let limit = wasm + (16 << 10);
    assert!(compiled > limit + (16 << 10), "{compiled} vs {limit} bytes");
    let killed = store.install_in_shell(&format!("ulimit -c 0; ulimit -f {}", limit / 512));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        killed.status.signal(),
        Some(libc::SIGXFSZ),
        "{:?}: {}",
        killed.status,
        stderr(&killed)
    );
    // What the install had staged is there, hidden, and the plugin is not.
    let name_dir = store.data().join("plugins/escape");
    let left: Vec<String> = std::fs::read_dir(&name_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        left.len() == 1 && left[0].starts_with(".staging-"),
        "{left:?}"
    );
    let staged = name_dir.join(&left[0]);
    assert!(staged.join("plugin.wasm").exists());
    assert!(!staged.join("manifest.json").exists());
    let listed = store.chaosrt(&["plugin", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        !String::from_utf8_lossy(&listed.stdout).contains("escape"),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
    let outcome = store.run_escape_read();
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("no plugin named 'escape' is installed"),
        "{}",
        outcome.stderr
    );
    // The next install lands whole.
    store.install(ESCAPE);
    assert_read_inside_ran_escape(&store.run_escape_read());
}

#[test]
fn what_is_not_a_plugin_is_refused_before_it_is_compiled() {
    let store = Store::new();
    store.install(ESCAPE);
    let escape = std::fs::read(ESCAPE).unwrap();
    let dir = store.scratch.dir.path();
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let cases = [
        (
            file("core.wasm", b"\0asm\x01\0\0\0"),
            "is a core WebAssembly module, not a component; build it with `wasm-tools component new` or cargo's wasm32-wasip2 target".to_string(),
        ),
        (
            file("notes.txt", b"just some text\n"),
            "is not a WebAssembly component: magic header not detected".to_string(),
        ),
        (
            file("truncated.wasm", &escape[..escape.len() / 2]),
            "is not a WebAssembly component: it is truncated".to_string(),
        ),
        (
            FUTURE.to_string(),
            "was built for chaosrt:plugin@9.0.0, but this chaosrt supports chaosrt:plugin@0.2.0 and the frozen chaosrt:plugin@0.1.0".to_string(),
        ),
        (
            file("huge.wasm", &vec![0; (64 << 20) + 1]),
            "is 64.0 MiB, larger than the 64 MiB chaosrt accepts for a plugin component; it was not compiled".to_string(),
        ),
    ];
    let before = store.snapshot();
    // A component whose own sections parse but whose first nested core module does not: only the
    // compiler finds it, and its reason must be printed once, not once more as the error's cause.
    let mut nested_broken = escape.clone();
    let nested = nested_broken
        .windows(4)
        .skip(4)
        .position(|w| w == b"\0asm")
        .expect("a nested core module")
        + 4;
    nested_broken[nested + 1] = b'x';
    let path = file("nested.wasm", &nested_broken);
    let out = store.chaosrt(&["plugin", "install", "--yes", &path]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is not a valid WebAssembly component"),
        "{err}"
    );
    assert_eq!(err.matches("magic header not detected").count(), 1, "{err}");
    assert_eq!(
        store.snapshot(),
        before,
        "a broken component changed the store"
    );
    for (path, expected) in cases {
        let out = store.chaosrt(&["plugin", "install", "--yes", &path]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{path}: {err}");
        assert!(
            err.contains(&expected),
            "{path}: {expected:?} not in\n{err}"
        );
        assert_eq!(
            store.snapshot(),
            before,
            "{path} changed the store or the cache"
        );
    }
}

#[test]
fn a_component_slower_to_compile_than_allowed_is_abandoned() {
    let store = Store::new();
    let out = store.chaosrt(&[
        "plugin",
        "install",
        "--yes",
        "--compile-timeout",
        "0.001",
        ESCAPE,
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("did not finish within 0.001 s, so it was abandoned"),
        "{err}"
    );
    assert!(!store.data().join("plugins").exists());
    assert!(!store.cache.join("chaosrt/components").exists());
}

/// `escape` with a custom section appended: the same plugin, other bytes.
fn escape_rebuilt(dir: &Path) -> String {
    let mut bytes = std::fs::read(ESCAPE).unwrap();
    bytes.extend_from_slice(&[0, 6, 5, b'e', b'x', b't', b'r', b'a']);
    let path = dir.join("escape-rebuilt.wasm");
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn other_bytes_under_an_installed_name_and_version_are_refused_unless_replacing() {
    let store = Store::new();
    store.install(ESCAPE);
    let manifest = store.data().join("plugins/escape/0.1.0/manifest.json");
    let original = read_json(&manifest)["sha256"].clone();
    let before = store.snapshot();

    let same = store.chaosrt(&["plugin", "install", "--yes", ESCAPE]);
    assert!(same.status.success(), "{}", stderr(&same));
    assert!(
        stderr(&same).contains(&format!(
            "escape 0.1.0 is already installed from the same bytes (sha256 {}); nothing was changed",
            original.as_str().unwrap()
        )),
        "{}",
        stderr(&same)
    );
    assert_eq!(store.snapshot(), before);

    let rebuilt = escape_rebuilt(store.scratch.dir.path());
    let other = store.chaosrt(&["plugin", "install", "--yes", &rebuilt]);
    let err = stderr(&other);
    assert_eq!(other.status.code(), Some(1), "{err}");
    assert!(
        err.contains("plugin 'escape' 0.1.0 is already installed from other bytes"),
        "{err}"
    );
    assert!(
        err.contains("pass --replace to replace the installed plugin and its grants"),
        "{err}"
    );
    // Its compiled form is now cached (it is a good plugin); the store itself is untouched.
    assert_eq!(read_json(&manifest)["sha256"], original);
    let store_only = |s: Vec<(PathBuf, Vec<u8>, u32)>| -> Vec<_> {
        s.into_iter()
            .filter(|(p, _, _)| p.starts_with(store.data().join("plugins")))
            .collect()
    };
    assert_eq!(store_only(store.snapshot()), store_only(before.clone()));

    // --replace asks again, like a fresh install; without a terminal that is a refusal.
    let unconfirmed = store.chaosrt(&["plugin", "install", "--replace", &rebuilt]);
    let err = stderr(&unconfirmed);
    assert_eq!(unconfirmed.status.code(), Some(1), "{err}");
    assert!(
        err.contains("This replaces the installed escape 0.1.0 and what it was granted."),
        "{err}"
    );
    assert!(
        err.contains(
            "It asks for:\n  may read and write files under the directory an experiment runs in"
        ),
        "{err}"
    );
    assert!(
        err.contains("not installed: the capabilities were not granted"),
        "{err}"
    );
    assert_eq!(read_json(&manifest)["sha256"], original);

    let replaced = store.chaosrt(&["plugin", "install", "--replace", "--yes", &rebuilt]);
    assert!(replaced.status.success(), "{}", stderr(&replaced));
    assert!(
        stderr(&replaced).contains("Replaced escape 0.1.0 (sha256 "),
        "{}",
        stderr(&replaced)
    );
    let new: Value = read_json(&manifest)["sha256"].clone();
    assert_eq!(new, json!(sha256_hex(&std::fs::read(&rebuilt).unwrap())));
    assert_read_inside_ran_escape(&store.run_escape_read());
}

#[test]
fn a_relative_directory_grant_is_refused_when_loaded() {
    let store = Store::new();
    store.install(ESCAPE);
    let manifest_path = store.data().join("plugins/escape/0.1.0/manifest.json");
    let mut manifest = read_json(&manifest_path);
    manifest["granted"] = json!([{"kind": "filesystem", "path": "..", "writable": true}]);
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let outcome = store.run_escape_read();
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(
            "bad manifest: it grants the filesystem path '..': a filesystem capability must be `.` (the run's working directory) or an absolute path"
        ),
        "{}",
        outcome.stderr
    );
}

#[test]
fn plugin_list_and_discover_skip_a_broken_plugin_and_show_the_others() {
    let store = Store::new();
    store.install(ESCAPE);
    store.install(FETCH);
    // `broken` cannot be installed (its metadata() traps): placed by hand, as if it broke later.
    let dir = store.data().join("plugins/broken/0.1.0");
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(BROKEN).unwrap();
    std::fs::write(dir.join("plugin.wasm"), &bytes).unwrap();
    let manifest = json!({"name": "broken", "version": "0.1.0", "description": "d",
                          "sha256": sha256_hex(&bytes), "granted": [], "source": "by hand"});
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    // And `fetch`'s bytes no longer match its manifest.
    let fetch = store.data().join("plugins/fetch/0.1.0/plugin.wasm");
    let mut tampered = std::fs::read(&fetch).unwrap();
    tampered.extend_from_slice(&[0, 2, 1, b'x']);
    std::fs::write(&fetch, tampered).unwrap();

    let listed = store.chaosrt(&["plugin", "list"]);
    let (out, err) = (String::from_utf8_lossy(&listed.stdout), stderr(&listed));
    assert!(listed.status.success(), "{err}");
    assert!(
        err.contains("Skipping plugin 'broken' 0.1.0: plugin 'broken' failed to describe itself"),
        "{err}"
    );
    assert!(
        err.contains("Skipping plugin 'fetch' 0.1.0: plugin 'fetch' failed its integrity check"),
        "{err}"
    );
    for shown in ["escape 0.1.0", "fs 0.1.0", "http 0.1.0"] {
        assert!(
            out.lines().any(|l| l.starts_with(shown)),
            "{shown} not in\n{out}"
        );
    }
    assert!(
        !out.contains("broken") && !out.lines().any(|l| l.starts_with("fetch")),
        "{out}"
    );

    let discovered = store.chaosrt(&["discover"]);
    let err = stderr(&discovered);
    assert!(discovered.status.success(), "{err}");
    assert!(err.contains("Skipping plugin 'broken' 0.1.0"), "{err}");
    assert!(err.contains("Skipping plugin 'fetch' 0.1.0"), "{err}");
    let discovery = read_json(store.scratch.run_dir().join("discovery.json"));
    let plugins: Vec<&str> = discovery["activities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["mod"].as_str())
        .collect();
    assert!(plugins.contains(&"escape"), "{discovery:#}");
    assert!(
        !plugins.contains(&"broken") && !plugins.contains(&"fetch"),
        "{discovery:#}"
    );
}

#[test]
fn the_store_and_the_cache_are_private_under_umask_000() {
    let store = Store::new();
    let out = store.install_in_shell("umask 000");
    assert!(out.status.success(), "{}", stderr(&out));
    let ours = |path: &Path| {
        path.starts_with(store.data()) || path.starts_with(store.cache.join("chaosrt"))
    };
    let mut seen = 0;
    for (path, _, mode) in store.snapshot() {
        if !ours(&path) {
            continue;
        }
        seen += 1;
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode & 0o7777, expected, "{}", path.display());
    }
    // data/chaosrt/plugins/escape/0.1.0/{plugin.wasm, plugin.cwasm, manifest.json}; the compile
    // cache is not written by an install (its privacy: host::cache's unit tests).
    assert!(seen >= 7, "{seen}");
}

/// Metadata is the plugin's word, read again on every load: a component that describes itself as
/// another plugin than the one installed (here, another plugin's bytes vouched for by an edited
/// manifest) is not loaded, so it cannot borrow a name for its log lines and failures. (The
/// compiled form escape's install stored is not run for fetch's bytes either: it would describe
/// itself as escape and load.)
#[test]
fn a_plugin_that_no_longer_describes_itself_as_installed_is_not_loaded() {
    let store = Store::new();
    store.install(ESCAPE);
    store.install(FETCH);
    let escape = store.data().join("plugins/escape/0.1.0");
    let fetch_bytes = std::fs::read(store.data().join("plugins/fetch/0.1.0/plugin.wasm")).unwrap();
    std::fs::write(escape.join("plugin.wasm"), &fetch_bytes).unwrap();
    let mut manifest = read_json(escape.join("manifest.json"));
    manifest["sha256"] = json!(sha256_hex(&fetch_bytes));
    std::fs::write(escape.join("manifest.json"), manifest.to_string()).unwrap();

    let outcome = store.run_escape_read();
    let said = "plugin 'escape' 0.1.0 now describes itself as 'fetch' 0.1.0; it was not loaded \
                (reinstall it if that is intended)";
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    outcome.assert_line(&format!("ERROR   /method/0/provider: {said}"));
    let listed = store.chaosrt(&["plugin", "list"]);
    assert!(
        stderr(&listed).contains(&format!("Skipping plugin 'escape' 0.1.0: {said}")),
        "{}",
        stderr(&listed)
    );
}
