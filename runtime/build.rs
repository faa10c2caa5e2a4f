//! Derives the plugin contract versions this chaosrt accepts from the WIT it is built from, so they
//! are never copied by hand (wit/README.md, "Versions the host accepts"):
//!
//! - the current version is the one every `wit/*.wit` file declares (`package chaosrt:plugin@X;`); files
//!   that disagree fail the build, since the host would otherwise speak a contract nobody wrote;
//! - the frozen versions are the names of `wit/frozen/chaosrt-plugin@X/`, each of whose files must
//!   declare that version.
//!
//! They are written to `$OUT_DIR/contract.rs` as constants, included by `src/host/bindings/mod.rs`.
//! It also embeds the `plugin new` templates (see `embed_templates`), and has release links lay out
//! the functions a run executes side by side (see `link_order`).

use std::fmt::Write;
use std::path::{Path, PathBuf};

const PACKAGE: &str = "chaosrt:plugin";

/// This package's directory, read when the script runs: `env!` would bake in where the script was
/// compiled, and cargo reuses a compiled build script from a target dir another checkout built.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
}

fn main() {
    let wit = manifest_dir().join("../wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    println!("cargo:rerun-if-changed={}", wit.join("frozen").display());

    let current = declared_version(&wit);
    let mut frozen = Vec::new();
    let prefix = format!("{}@", PACKAGE.replace(':', "-"));
    for entry in read_dir(&wit.join("frozen")) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        let Some(version) = name.strip_prefix(&prefix) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", entry.display());
        check_semver(&entry, version);
        let declared = declared_version(&entry);
        assert!(
            declared == version,
            "{} is named for {PACKAGE}@{version} but its files declare {PACKAGE}@{declared}",
            entry.display()
        );
        assert!(
            version != current,
            "{PACKAGE}@{version} is both the current contract (wit/*.wit) and frozen ({}); bump the \
             version in wit/*.wit after freezing it",
            entry.display()
        );
        frozen.push(version.to_string());
    }
    frozen.sort_by_key(|v| std::cmp::Reverse(numbers(v)));

    let mut out = String::new();
    let (major, minor, patch) = numbers(&current);
    writeln!(
        out,
        "/// The contract version of `wit/` (every file declares `{PACKAGE}@{current}`).\n\
         pub const CONTRACT_VERSION: &str = {current:?};\n\
         /// [`CONTRACT_VERSION`] as numbers.\n\
         pub const CONTRACT: (u64, u64, u64) = ({major}, {minor}, {patch});\n\
         /// The frozen versions still served, newest first: the directories \
         `wit/frozen/{prefix}X/`.\n\
         pub const FROZEN_VERSIONS: &[&str] = &{frozen:?};"
    )
    .unwrap();
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("contract.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
    embed_templates(&wit);
    link_order();
}

/// Gives `link-order.txt` (written by `bench/link-order`) to the linker of a release build on x86_64
/// Linux, where rustc links with its own lld: the functions a run executes then fill a few hundred
/// pages of `.text` instead of touching pages all over it, which is what a run's page faults and most
/// of its resident memory were (BENCHMARKS.md). Other targets and linkers, and
/// `CHAOSRT_LINK_ORDER=0`, link as usual; stale names in the list are skipped without a word.
fn link_order() {
    let list = manifest_dir().join("link-order.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    for var in ["CHAOSRT_LINK_ORDER", "RUSTC_LINKER"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let env = |name| std::env::var(name).unwrap_or_default();
    let own_lld = env("TARGET") == "x86_64-unknown-linux-gnu"
        && std::env::var_os("RUSTC_LINKER").is_none()
        && !env("CARGO_ENCODED_RUSTFLAGS").contains("link");
    // A path that is not UTF-8 could not be passed as it is; the build then links as usual.
    let Some(path) = list.to_str().filter(|_| list.exists()) else {
        return;
    };
    if env("PROFILE") != "release" || !own_lld || env("CHAOSRT_LINK_ORDER") == "0" {
        return;
    }
    // `-Xlinker` hands the next argument to lld whole: `-Wl,` would split a checkout path at its
    // commas.
    for arg in [
        "-Xlinker".to_string(),
        format!("--symbol-ordering-file={path}"),
        "-Xlinker".to_string(),
        "--no-warn-symbol-ordering".to_string(),
    ] {
        println!("cargo:rustc-link-arg-bin=chaosrt={arg}");
    }
}

/// Writes `$OUT_DIR/templates.rs` for `src/scaffold.rs`: every file below `sdk/templates/` and the
/// contract (`wit/*.wit`, `wit/deps/`) as `(path, bytes)`, so `chaosrt plugin new` writes what the
/// repository holds and a file added to a template cannot be forgotten.
fn embed_templates(wit: &Path) {
    let templates = manifest_dir().join("../sdk/templates");
    println!("cargo:rerun-if-changed={}", templates.display());
    let mut out = String::from("/// Every file below `sdk/templates/`, by its path there.\n");
    out.push_str("pub const TEMPLATE_FILES: &[(&str, &[u8])] = &[\n");
    for file in files_below(&templates) {
        let relative = file.strip_prefix(&templates).unwrap().to_str().unwrap();
        writeln!(
            out,
            "    ({relative:?}, include_bytes!({:?})),",
            file.display()
        )
        .unwrap();
    }
    out.push_str(
        "];\n/// The contract: `wit/*.wit` and `wit/deps/*.wit`, by their path below `wit/`.\n",
    );
    out.push_str("pub const CONTRACT_FILES: &[(&str, &[u8])] = &[\n");
    let deps = wit.join("deps");
    println!("cargo:rerun-if-changed={}", deps.display());
    for file in read_dir(wit).into_iter().chain(read_dir(&deps)) {
        if file.extension().is_none_or(|e| e != "wit") || !file.is_file() {
            continue;
        }
        let relative = file.strip_prefix(wit).unwrap().to_str().unwrap();
        writeln!(
            out,
            "    ({relative:?}, include_bytes!({:?})),",
            file.display()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("templates.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}

/// Every file below `dir`, sorted, with a rerun-if-changed for each directory (a new file counts).
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in read_dir(dir) {
        if entry.is_dir() {
            println!("cargo:rerun-if-changed={}", entry.display());
            found.extend(files_below(&entry));
        } else {
            println!("cargo:rerun-if-changed={}", entry.display());
            found.push(entry);
        }
    }
    found
}

/// The `chaosrt:plugin` version every `.wit` file directly in `dir` declares.
fn declared_version(dir: &Path) -> String {
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    for file in read_dir(dir) {
        if file.extension().is_none_or(|e| e != "wit") || !file.is_file() {
            continue;
        }
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let version = text
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix("package "))
            .and_then(|decl| decl.trim_end_matches(';').trim().strip_prefix(PACKAGE))
            .and_then(|rest| rest.strip_prefix('@'))
            .unwrap_or_else(|| {
                panic!(
                    "{} does not declare `package {PACKAGE}@VERSION;` (every contract file must, so \
                     that they can be checked to agree)",
                    file.display()
                )
            });
        check_semver(&file, version);
        found.push((file, version.to_string()));
    }
    let Some((_, first)) = found.first() else {
        panic!("{} holds no .wit file", dir.display());
    };
    if found.iter().any(|(_, v)| v != first) {
        let listed: Vec<String> = found
            .iter()
            .map(|(f, v)| format!("{} declares {PACKAGE}@{v}", f.display()))
            .collect();
        panic!(
            "the contract files disagree on the version: {}",
            listed.join("; ")
        );
    }
    first.clone()
}

/// `MAJOR.MINOR.PATCH`, plain numbers: what a released contract version is.
fn check_semver(at: &Path, version: &str) {
    let parts: Vec<&str> = version.split('.').collect();
    let plain = |p: &&str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    assert!(
        parts.len() == 3 && parts.iter().all(plain),
        "{}: `{version}` is not a contract version (MAJOR.MINOR.PATCH)",
        at.display()
    );
}

fn numbers(version: &str) -> (u64, u64, u64) {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap());
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

/// The entries of `dir`, sorted.
fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}
