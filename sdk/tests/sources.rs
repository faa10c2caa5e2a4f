//! What the crate ships stays what the workspace builds: the README's example is the compiled
//! `examples/health.rs`, and the WIT inside the crate is the workspace's `wit/`.

use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The first ```rust block after `after` in `markdown`.
fn rust_block_after<'a>(markdown: &'a str, after: &str) -> &'a str {
    let start = markdown
        .find(after)
        .unwrap_or_else(|| panic!("no {after:?}"));
    let rest = &markdown[start..];
    let open = rest.find("```rust\n").expect("a ```rust block") + "```rust\n".len();
    let close = rest[open..].find("```").expect("the block ends");
    &rest[open..open + close]
}

#[test]
fn the_readme_example_is_the_compiled_example() {
    let readme = std::fs::read_to_string(crate_dir().join("README.md")).unwrap();
    let example = std::fs::read_to_string(crate_dir().join("examples/health.rs")).unwrap();
    assert_eq!(
        rust_block_after(&readme, "`src/lib.rs`:"),
        example,
        "README.md's src/lib.rs must be examples/health.rs, which `cargo test` compiles"
    );
}

/// Every file below `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// `sdk/wit` is a link to `../wit`, which `cargo package` follows; should it ever become a copy (a
/// checkout without links), this keeps it the same. Skipped outside the workspace (the packaged crate
/// has no `../wit`).
#[test]
fn the_crates_wit_is_the_workspaces() {
    let ours = crate_dir().join("wit");
    let workspace = crate_dir().join("../wit");
    if !workspace.is_dir() {
        return;
    }
    assert_eq!(files(&ours), files(&workspace));
    for file in files(&workspace) {
        assert_eq!(
            std::fs::read(ours.join(&file)).unwrap(),
            std::fs::read(workspace.join(&file)).unwrap(),
            "sdk/wit/{} differs from wit/{}",
            file.display(),
            file.display()
        );
    }
    let world = std::fs::read_to_string(ours.join("world.wit")).unwrap();
    assert!(
        world.contains("package chaosrt:plugin@0.2.0;"),
        "the SDK's bindings name chaosrt:plugin@0.2.0; a new contract version needs them updated"
    );
}
