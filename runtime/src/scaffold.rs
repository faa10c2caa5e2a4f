//! `chaosrt plugin new`: a plugin project in Rust, Python or JavaScript, from the templates under
//! `sdk/templates/` (embedded at build time by `build.rs`, so the binary writes what the repository
//! holds). Python and JavaScript projects also get the contract (`wit/`) this chaosrt speaks: their
//! tools generate bindings from it. A Rust project gets it through the `chaosrt-sdk` crate.
//!
//! The project is written into a fresh directory beside the target and renamed into place, so a
//! failure leaves nothing half-written.

use crate::host::{CONTRACT_VERSION, check_plugin_name};
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The languages `plugin new` writes projects in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    /// The directory of its template below `sdk/templates/`.
    fn template(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }

    /// Whether the project needs the contract's WIT files (the Rust SDK carries its own).
    fn needs_wit(self) -> bool {
        self != Lang::Rust
    }
}

/// Where a Rust project finds `chaosrt-sdk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sdk {
    /// The release on crates.io that implements this chaosrt's contract.
    Registry,
    /// A checkout's `sdk/` directory.
    Path(PathBuf),
}

/// Why no project was written.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    /// The name cannot name a plugin.
    #[error("{0}")]
    BadName(#[from] crate::host::BadMetadata),
    /// Cargo refuses package names that start with a digit.
    #[error(
        "'{0}' cannot name a Rust plugin: Cargo package names cannot start with a digit; start \
         it with a letter"
    )]
    RustName(String),
    /// The target directory holds something already.
    #[error(
        "{} already exists and is not empty; nothing was written. Choose another name, or \
         another place with --dir",
        .0.display()
    )]
    NotEmpty(PathBuf),
    /// `--sdk` does not point at the SDK's sources.
    #[error(
        "--sdk {}: no chaosrt-sdk there (expected the `sdk` directory of a chaosrt checkout, \
         holding Cargo.toml)",
        .0.display()
    )]
    NoSdk(PathBuf),
    /// Reading or writing the file system failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> NewError + '_ {
    move |source| NewError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a new `lang` project for the plugin `name` into `dir`, which must not exist or be
/// empty, and returns the files written (relative to `dir`).
pub fn create(name: &str, lang: Lang, dir: &Path, sdk: &Sdk) -> Result<Vec<PathBuf>, NewError> {
    check_plugin_name(name)?;
    if lang == Lang::Rust && name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(NewError::RustName(name.to_string()));
    }
    let sdk_dependency = match sdk {
        Sdk::Registry => {
            let (major, minor, _) = crate::host::CONTRACT;
            format!("\"{major}.{minor}\"")
        }
        Sdk::Path(path) => {
            let path = std::fs::canonicalize(path)
                .ok()
                .filter(|p| p.join("Cargo.toml").is_file())
                .ok_or_else(|| NewError::NoSdk(path.clone()))?;
            format!("{{ path = {} }}", toml_string(&path.to_string_lossy()))
        }
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(NewError::NotEmpty(dir.to_path_buf()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(dir)(e)),
    }
    let substitute = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{crate}}", &name.replace('-', "_"))
            .replace("{{sdk}}", &sdk_dependency)
            .replace("{{contract}}", CONTRACT_VERSION)
    };

    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".chaosrt-new-")
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    let mut written = Vec::new();
    for (path, bytes) in files(lang) {
        let target = staging.path().join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let contents = match std::str::from_utf8(bytes) {
            Ok(text) => substitute(text).into_bytes(),
            Err(_) => bytes.to_vec(),
        };
        std::fs::write(&target, contents).map_err(io(&target))?;
        written.push(path);
    }
    // An empty directory the user made is replaced; rename(2) refuses a non-empty one, so a
    // directory filled meanwhile is not lost.
    if dir.is_dir() {
        std::fs::remove_dir(dir).map_err(|_| NewError::NotEmpty(dir.to_path_buf()))?;
    }
    std::fs::rename(staging.path(), dir).map_err(io(dir))?;
    // The staging directory is the project now: nothing is left to clean up.
    let _ = staging.keep();
    written.sort();
    Ok(written)
}

/// The project's files as (path in the project, template bytes): the language's template, the
/// shared files, and the contract for languages that generate bindings from it.
fn files(lang: Lang) -> Vec<(PathBuf, &'static [u8])> {
    let mut files = Vec::new();
    for (path, bytes) in TEMPLATE_FILES {
        let Some((dir, rest)) = path.split_once('/') else {
            continue;
        };
        if dir == lang.template() || dir == "common" {
            let rest = rest.strip_suffix(".tmpl").unwrap_or(rest);
            files.push((PathBuf::from(rest), *bytes));
        }
    }
    if lang.needs_wit() {
        for (path, bytes) in CONTRACT_FILES {
            files.push((Path::new("wit").join(path), *bytes));
        }
    }
    files
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_belongs_to_a_language_or_is_shared() {
        for (path, _) in TEMPLATE_FILES {
            let dir = path.split_once('/').map(|(d, _)| d);
            assert!(
                matches!(dir, Some("rust" | "python" | "js" | "common")) || *path == "README.md",
                "sdk/templates/{path} is written by no `plugin new --lang`"
            );
        }
    }

    #[test]
    fn projects_hold_their_sources_and_the_contract_where_their_tools_need_it() {
        let names = |lang| -> Vec<String> {
            files(lang)
                .into_iter()
                .map(|(p, _)| p.display().to_string())
                .collect()
        };
        let rust = names(Lang::Rust);
        for f in ["Cargo.toml", "src/lib.rs", "README.md", "experiment.json"] {
            assert!(rust.contains(&f.to_string()), "{f} in {rust:?}");
        }
        assert!(!rust.iter().any(|f| f.starts_with("wit/")));
        let python = names(Lang::Python);
        let js = names(Lang::Js);
        for f in [
            "wit/world.wit",
            "wit/deps/wasi-http@0.2.12.wit",
            "README.md",
        ] {
            assert!(python.contains(&f.to_string()), "{f} in {python:?}");
            assert!(js.contains(&f.to_string()), "{f} in {js:?}");
        }
        assert!(js.contains(&"package-lock.json".to_string()));
        assert!(python.contains(&"app.py".to_string()));
    }

    #[test]
    fn names_are_checked_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "-x", "a b", "x/../y", "ünï", &"x".repeat(65)] {
            let target = dir.path().join("p");
            let err = create(bad, Lang::Python, &target, &Sdk::Registry).unwrap_err();
            assert!(
                matches!(err, NewError::BadName(_)),
                "{bad:?}: {err} ({err:?})"
            );
            assert!(!target.exists());
        }
        let err = create("1x", Lang::Rust, &dir.path().join("p"), &Sdk::Registry).unwrap_err();
        assert!(
            err.to_string().contains("cannot start with a digit"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_non_empty_directory_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
        let err = create("x", Lang::Js, dir.path(), &Sdk::Registry).unwrap_err();
        assert!(
            err.to_string().contains("already exists and is not empty"),
            "{err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn placeholders_are_filled_in_and_an_empty_directory_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("my-probe");
        std::fs::create_dir(&target).unwrap();
        let sdk = dir.path().join("sdk \"quoted\"");
        std::fs::create_dir(&sdk).unwrap();
        std::fs::write(sdk.join("Cargo.toml"), "").unwrap();
        create("my-probe", Lang::Rust, &target, &Sdk::Path(sdk.clone())).unwrap();
        let manifest = std::fs::read_to_string(target.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"my-probe\""), "{manifest}");
        let quoted = toml_string(&std::fs::canonicalize(&sdk).unwrap().to_string_lossy());
        assert!(
            manifest.contains(&format!("chaosrt-sdk = {{ path = {quoted} }}")),
            "{manifest}"
        );
        let readme = std::fs::read_to_string(target.join("README.md")).unwrap();
        assert!(readme.contains("target/wasm32-wasip2/release/my_probe.wasm"));
        for (path, _) in files(Lang::Rust) {
            let text = std::fs::read_to_string(target.join(&path)).unwrap();
            assert!(
                !text.contains("{{"),
                "{} keeps a placeholder",
                path.display()
            );
        }
        // No staging directory is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn the_registry_sdk_is_the_release_of_this_contract() {
        let dir = tempfile::tempdir().unwrap();
        create("p", Lang::Rust, &dir.path().join("p"), &Sdk::Registry).unwrap();
        let manifest = std::fs::read_to_string(dir.path().join("p/Cargo.toml")).unwrap();
        let (major, minor, _) = crate::host::CONTRACT;
        assert!(
            manifest.contains(&format!("chaosrt-sdk = \"{major}.{minor}\"")),
            "{manifest}"
        );
    }

    #[test]
    fn an_sdk_path_without_the_sdk_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = create(
            "p",
            Lang::Rust,
            &dir.path().join("p"),
            &Sdk::Path(dir.path().join("nowhere")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no chaosrt-sdk there"), "{err}");
        assert!(!dir.path().join("p").exists());
    }
}
