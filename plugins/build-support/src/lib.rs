//! Builds guest crates of this workspace into `wasm32-wasip2` components from a build script, so the
//! crates that embed or test them get fresh components from a plain `cargo build`.
//!
//! The nested `cargo build` runs with a target directory of its own, `<target dir>/guests`: pointing it
//! at the outer target directory deadlocks on the lock the outer build holds. It also drops the settings
//! the outer build passes down that make no sense for another target or would make it rebuild needlessly
//! (`RUSTFLAGS`, the target, the jobserver, clippy's wrapper), as wasmtime's test-programs artifacts
//! build script does.
//!
//! ```no_run
//! // build.rs
//! chaosrt_guest_build::build_guests_into_env(&[("chaosrt-plugin-http", "CHAOSRT_PLUGIN_HTTP")]);
//! ```
//! ```text
//! // lib.rs (Rust; not a doc test: the variable exists only in the crate whose build.rs sets it)
//! pub const HTTP: &[u8] = include_bytes!(env!("CHAOSRT_PLUGIN_HTTP"));
//! ```

use serde_json::Value;
use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The target guests are built for.
pub const TARGET: &str = "wasm32-wasip2";

/// The Cargo profile guests are built with (defined in the workspace's `Cargo.toml`: small and fast to
/// load).
pub const PROFILE: &str = "guest";

/// Variables the outer build sets that must not reach the nested one: flags and wrappers meant for the
/// host target, the outer target settings, and the outer jobserver, whose tokens the nested cargo would
/// otherwise wait on.
const INHERITED_VARS: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
];

/// Builds `packages` (workspace package names) for `wasm32-wasip2` and returns each package's name with
/// the path of its component, `<target dir>/guests/wasm32-wasip2/guest/<crate_name>.wasm`.
///
/// Call it from a build script: it reads `CARGO`, `OUT_DIR` and `RUSTC`, prints `cargo:rerun-if-changed`
/// lines for the guests' sources, the SDK, the WIT contract and the lock file, and panics with a message
/// saying what to do when the build cannot run (the usual case: the `wasm32-wasip2` target is not
/// installed).
pub fn build_guests(packages: &[&str]) -> Vec<(String, PathBuf)> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    check_target_installed();
    let workspace = Workspace::load(&cargo);
    for package in packages {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.package_dir(package).display()
        );
    }
    for watched in ["sdk", "wit", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.root.join(watched).display()
        );
    }

    let target_dir = guests_target_dir();
    let mut command = Command::new(&cargo);
    command
        .args([
            "build",
            "--locked",
            "--target",
            TARGET,
            "--profile",
            PROFILE,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(&workspace.root)
        // A build script's stdout is read by cargo as directives; the nested build's belongs to the log.
        .stdout(Stdio::from(std::io::stderr()));
    for package in packages {
        command.args(["--package", package]);
    }
    for var in INHERITED_VARS {
        command.env_remove(var);
    }
    let status = command
        .status()
        .unwrap_or_else(|err| panic!("could not run {command:?}: {err}"));
    assert!(
        status.success(),
        "building the guest components failed ({status}); the nested build's errors are above"
    );

    packages
        .iter()
        .map(|package| {
            let file = format!("{}.wasm", package.replace('-', "_"));
            let path = target_dir.join(TARGET).join(PROFILE).join(file);
            assert!(
                path.is_file(),
                "the build of `{package}` produced no {}",
                path.display()
            );
            (package.to_string(), path)
        })
        .collect()
}

/// Builds `guests` (pairs of package name and environment variable) and sets each variable, for the
/// calling crate's code, to the path of the package's component: `env!("VAR")` in that crate then names
/// the file, for `include_bytes!` or as a path constant. Returns the paths, in the order of `guests`.
pub fn build_guests_into_env(guests: &[(&str, &str)]) -> Vec<PathBuf> {
    let packages: Vec<&str> = guests.iter().map(|(package, _)| *package).collect();
    let built = build_guests(&packages);
    for ((_, var), (_, path)) in guests.iter().zip(&built) {
        println!("cargo:rustc-env={var}={}", path.display());
    }
    built.into_iter().map(|(_, path)| path).collect()
}

/// Builds every guest crate in the directories directly below the calling crate (each a workspace
/// member named `<prefix><name>`) and writes `$OUT_DIR/guests.rs` for the calling crate to `include!`:
/// a `pub const NAME: &str` with each component's path, documented with the crate's `description`, and
/// a `foreach_guest!` macro that calls a macro once per guest name. A test suite that calls
/// `foreach_guest!(assert_tested)` cannot compile while a guest has no tests (wasmtime's
/// test-programs pattern). Panics on a guest directory that is not a workspace member or whose package
/// name lacks the prefix, so no guest is silently left out.
pub fn build_guest_suite(prefix: &str) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let here = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("run from a build script"));
    let workspace = Workspace::load(&cargo);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&here)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", here.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    println!("cargo:rerun-if-changed={}", here.display());
    let guests: Vec<(&str, &str)> = dirs
        .iter()
        .map(|dir| {
            let (package, description) = workspace.package_in(dir).unwrap_or_else(|| {
                panic!(
                    "{} holds a guest crate that is not a workspace member; add it to `members` in \
                     the workspace Cargo.toml",
                    dir.display()
                )
            });
            let name = package.strip_prefix(prefix).unwrap_or_else(|| {
                panic!(
                    "guest package `{package}` in {} is not named `{prefix}<name>`",
                    dir.display()
                )
            });
            (name, description)
        })
        .collect();
    let packages: Vec<String> = guests.iter().map(|(n, _)| format!("{prefix}{n}")).collect();
    let package_refs: Vec<&str> = packages.iter().map(String::as_str).collect();
    let built = build_guests(&package_refs);
    let mut code = String::new();
    let mut names = String::new();
    for ((name, description), (_, path)) in guests.iter().zip(&built) {
        let ident = name.replace('-', "_");
        code.push_str(&format!(
            "/// {description}\npub const {}: &str = {:?};\n",
            ident.to_uppercase(),
            path.display().to_string()
        ));
        names.push_str(&format!("$mac!({ident}); "));
    }
    code.push_str(&format!(
        "/// Calls `$mac!(name)` once for every guest.\n#[macro_export]\nmacro_rules! foreach_guest {{\n    ($mac:ident) => {{ {names}}};\n}}\n"
    ));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    std::fs::write(out.join("guests.rs"), code).expect("writing guests.rs");
}

/// Panics, saying how to fix it, when the toolchain that runs this build has no `wasm32-wasip2`
/// standard library: the nested build would otherwise fail with a long, less obvious error.
fn check_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .unwrap_or_else(|err| panic!("could not run {}: {err}", Path::new(&rustc).display()));
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !sysroot.join("lib/rustlib").join(TARGET).is_dir() {
        panic!(
            "the {TARGET} target is not installed for the Rust toolchain at {}; the built-in plugins \
             and test guests are WebAssembly components built for it. Run `rustup target add {TARGET}` \
             or scripts/setup.",
            sysroot.display()
        );
    }
}

/// `<outer target dir>/guests`. The outer target directory is found from `OUT_DIR`
/// (`<target dir>[/<triple>]/<profile>/build/<package>-<hash>/out`) rather than from `CARGO_TARGET_DIR`,
/// which is unset unless the user set it.
fn guests_target_dir() -> PathBuf {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    let build = out_dir
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .unwrap_or_else(|| {
            panic!(
                "OUT_DIR {} is not inside a `build` directory",
                out_dir.display()
            )
        });
    let mut target_dir = build
        .parent()
        .and_then(Path::parent)
        .expect("the build directory sits in <target dir>/<profile>");
    // With `--target <triple>`, profiles sit one level lower, in `<target dir>/<triple>`.
    if let Ok(triple) = env::var("TARGET")
        && target_dir
            .file_name()
            .is_some_and(|name| name == triple.as_str())
    {
        target_dir = target_dir.parent().unwrap_or(target_dir);
    }
    target_dir.join("guests")
}

/// The package directories of the workspace, read from `cargo metadata` so callers name packages, not
/// paths.
struct Workspace {
    root: PathBuf,
    /// Name, directory and description of every member.
    packages: Vec<(String, PathBuf, String)>,
}

impl Workspace {
    fn load(cargo: &std::ffi::OsStr) -> Self {
        let output = Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .output()
            .unwrap_or_else(|err| panic!("could not run cargo metadata: {err}"));
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value =
            serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        let packages = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|package| {
                let manifest = PathBuf::from(text(&package["manifest_path"]));
                let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
                (text(&package["name"]), dir, text(&package["description"]))
            })
            .collect();
        Self {
            root: PathBuf::from(text(&metadata["workspace_root"])),
            packages,
        }
    }

    /// The member whose directory is `dir`: its name and description.
    fn package_in(&self, dir: &Path) -> Option<(&str, &str)> {
        self.packages
            .iter()
            .find(|(_, d, _)| d == dir)
            .map(|(name, _, description)| (name.as_str(), description.as_str()))
    }

    fn package_dir(&self, package: &str) -> &Path {
        self.packages
            .iter()
            .find(|(name, _, _)| name == package)
            .map(|(_, dir, _)| dir.as_path())
            .unwrap_or_else(|| {
                panic!(
                    "no package `{package}` in the workspace at {}",
                    self.root.display()
                )
            })
    }
}
