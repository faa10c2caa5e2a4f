//! The store on disk: atomic installs, refused reinstalls, broken entries kept to themselves.

use super::*;
use crate::host::Access;
use crate::private_fs::tests::{mode, with_umask_000};

fn manifest(name: &str, version: &str, bytes: &[u8]) -> Manifest {
    Manifest {
        name: name.into(),
        version: version.into(),
        description: "d".into(),
        sha256: sha256_hex(bytes),
        granted: vec![Capability::Filesystem {
            path: ".".into(),
            access: Access::ReadOnly,
        }],
        asked: None,
        python: None,
        source: "test".into(),
        contract: None,
        compiled: None,
    }
}

fn registry() -> (tempfile::TempDir, Registry) {
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::new(Some(tmp.path().join("chaosrt")));
    (tmp, registry)
}

/// Every path below `dir` with its content, to show a refused install changed nothing.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p.clone());
                all.push((p, Vec::new()));
            } else {
                all.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    all.sort();
    all
}

#[test]
fn an_install_is_private_and_readable_back() {
    let (tmp, registry) = registry();
    let (plan, dir) = with_umask_000(|| {
        registry
            .install(b"one", b"compiled", &manifest("p", "1.0.0", b"one"), false)
            .unwrap()
    });
    assert_eq!(plan, Plan::Fresh);
    for d in [
        "chaosrt",
        "chaosrt/plugins",
        "chaosrt/plugins/p",
        "chaosrt/plugins/p/1.0.0",
    ] {
        assert_eq!(mode(&tmp.path().join(d)), 0o700, "{d}");
    }
    assert_eq!(mode(&dir.join(WASM)), 0o600);
    assert_eq!(mode(&dir.join(MANIFEST)), 0o600);
    let entry = registry.find("p", None).unwrap();
    assert_eq!(registry.bytes(&entry).unwrap(), b"one");
}

#[test]
fn other_bytes_under_an_installed_version_are_refused_unless_replacing() {
    let (tmp, registry) = registry();
    registry
        .install(b"one", b"compiled", &manifest("p", "1.0.0", b"one"), false)
        .unwrap();
    let before = snapshot(tmp.path());
    let err = registry
        .install(b"two", b"compiled", &manifest("p", "1.0.0", b"two"), false)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is already installed from other bytes"),
        "{err}"
    );
    assert_eq!(
        snapshot(tmp.path()),
        before,
        "a refused install changed the store"
    );
    let (plan, _) = registry
        .install(b"one", b"compiled", &manifest("p", "1.0.0", b"one"), false)
        .unwrap();
    assert_eq!(plan, Plan::Unchanged);
    assert_eq!(snapshot(tmp.path()), before);
    let (plan, _) = registry
        .install(b"two", b"compiled", &manifest("p", "1.0.0", b"two"), true)
        .unwrap();
    assert_eq!(plan, Plan::Replace);
    let entry = registry.find("p", Some("1.0.0")).unwrap();
    assert_eq!(registry.bytes(&entry).unwrap(), b"two");
    // No staging or old copy is left beside it.
    let names: Vec<_> = std::fs::read_dir(tmp.path().join("chaosrt/plugins/p"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["1.0.0"]);
}

#[test]
fn relative_filesystem_grants_are_refused_at_install_and_at_load() {
    let (tmp, registry) = registry();
    let mut bad = manifest("p", "1.0.0", b"one");
    bad.granted = vec![Capability::Filesystem {
        path: "..".into(),
        access: Access::ReadWrite,
    }];
    let err = registry
        .install(b"one", b"compiled", &bad, false)
        .unwrap_err();
    assert!(
        err.to_string().contains("grants the filesystem path '..'"),
        "{err}"
    );
    assert!(!tmp.path().join("chaosrt/plugins/p/1.0.0").exists());
    // A manifest edited by hand to grant it is refused when read.
    let (_, dir) = registry
        .install(b"one", b"compiled", &manifest("p", "1.0.0", b"one"), false)
        .unwrap();
    std::fs::write(dir.join(MANIFEST), serde_json::to_string(&bad).unwrap()).unwrap();
    let err = registry.find("p", None).unwrap_err();
    assert!(
        err.to_string().contains("grants the filesystem path '..'"),
        "{err}"
    );
}

#[test]
fn a_broken_plugin_hides_only_itself() {
    let (_tmp, registry) = registry();
    registry
        .install(
            b"one",
            b"compiled",
            &manifest("good", "1.0.0", b"one"),
            false,
        )
        .unwrap();
    let (_, dir) = registry
        .install(
            b"two",
            b"compiled",
            &manifest("bad", "1.0.0", b"two"),
            false,
        )
        .unwrap();
    std::fs::write(dir.join(MANIFEST), "{").unwrap();
    assert!(registry.find("good", None).is_ok());
    assert!(matches!(
        registry.find("bad", None),
        Err(RegistryError::Manifest { .. })
    ));
    // A manifest that names another plugin than its directory.
    std::fs::write(
        dir.join(MANIFEST),
        serde_json::to_string(&manifest("good", "1.0.0", b"two")).unwrap(),
    )
    .unwrap();
    let err = registry.find("bad", None).unwrap_err();
    assert!(
        err.to_string().contains("but is stored as 'bad' 1.0.0"),
        "{err}"
    );
}

#[test]
fn a_linked_plugin_directory_is_refused() {
    let (tmp, registry) = registry();
    let (_, dir) = registry
        .install(b"one", b"compiled", &manifest("p", "1.0.0", b"one"), false)
        .unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::rename(&dir, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
    let err = registry.find("p", None).unwrap_err();
    assert!(err.to_string().contains("is a symbolic link"), "{err}");
}

#[test]
fn the_newest_version_is_the_highest_semantic_version() {
    let (_tmp, registry) = registry();
    for v in ["0.9.0", "0.10.0", "0.10.0-rc.1"] {
        registry
            .install(
                v.as_bytes(),
                b"compiled",
                &manifest("p", v, v.as_bytes()),
                false,
            )
            .unwrap();
    }
    let entry = registry.find("p", None).unwrap();
    assert_eq!(entry.manifest.unwrap().version, "0.10.0");
}

#[test]
fn a_partial_version_selects_the_newest_release_it_prefixes() {
    let (_tmp, registry) = registry();
    for v in ["1.2.0", "1.2.10", "1.2.9", "1.20.0", "1.3.0-rc.1", "2.0.0"] {
        registry
            .install(
                v.as_bytes(),
                b"compiled",
                &manifest("p", v, v.as_bytes()),
                false,
            )
            .unwrap();
    }
    let found = |wanted: &str| {
        registry
            .find("p", Some(wanted))
            .map(|e| e.manifest.unwrap().version)
            .map_err(|e| e.to_string())
    };
    assert_eq!(found("1.2").unwrap(), "1.2.10");
    assert_eq!(found("1").unwrap(), "1.20.0");
    assert_eq!(found("1.2.9").unwrap(), "1.2.9");
    assert_eq!(found("1.3.0-rc.1").unwrap(), "1.3.0-rc.1");
    assert!(
        found("1.3")
            .unwrap_err()
            .contains("no plugin named 'p' at version 1.3")
    );
    assert!(found("1.2.1").is_err());
}

/// Manifests written by chaosrt before contract 0.2 recorded 0.1.0's capabilities: they still read,
/// as what the host converts 0.1.0 plugins' requests to, so installed plugins keep their grants.
#[test]
fn a_manifest_written_before_contract_0_2_keeps_its_grants() {
    let (_tmp, registry) = registry();
    let (_, dir) = registry
        .install(b"one", b"compiled", &manifest("p", "1.0.0", b"one"), false)
        .unwrap();
    let old = serde_json::json!({
        "name": "p", "version": "1.0.0", "description": "d", "sha256": sha256_hex(b"one"),
        "source": "test",
        "granted": [
            {"kind": "http", "origin": "*"},
            {"kind": "http", "origin": "https://api.example.com"},
            {"kind": "filesystem", "path": ".", "writable": true},
        ],
    });
    std::fs::write(dir.join(MANIFEST), old.to_string()).unwrap();
    let granted = registry.find("p", None).unwrap().manifest.unwrap().granted;
    assert_eq!(
        granted,
        [
            Capability::HttpArgument {
                argument: "url".into()
            },
            Capability::HttpOrigin {
                origin: "https://api.example.com".into()
            },
            Capability::Filesystem {
                path: ".".into(),
                access: Access::ReadWrite
            },
        ]
    );
    // Written back, they take today's form.
    let text = serde_json::to_string(&granted).unwrap();
    assert_eq!(
        text,
        r#"[{"kind":"http-argument","argument":"url"},{"kind":"http-origin","origin":"https://api.example.com"},{"kind":"filesystem","path":".","access":"read-write"}]"#
    );
}

#[test]
fn removing_takes_one_version_or_all_and_leaves_the_others() {
    let (_tmp, registry) = registry();
    for v in ["1.0.0", "1.1.0"] {
        registry
            .install(
                v.as_bytes(),
                b"compiled",
                &manifest("p", v, v.as_bytes()),
                false,
            )
            .unwrap();
    }
    registry
        .install(b"q", b"compiled", &manifest("q", "1.0.0", b"q"), false)
        .unwrap();
    assert_eq!(registry.remove("p", Some("1.0.0")).unwrap(), ["1.0.0"]);
    assert_eq!(
        registry.find("p", None).unwrap().manifest.unwrap().version,
        "1.1.0"
    );
    assert!(registry.remove("p", Some("1.0.0")).is_err());
    assert_eq!(registry.remove("p", None).unwrap(), ["1.1.0"]);
    assert!(registry.find("p", None).is_err());
    assert!(registry.find("q", None).is_ok());
    let err = registry.remove("http", None).unwrap_err().to_string();
    assert!(err.contains("is a built-in plugin"), "{err}");
    let err = registry.remove("../q", None).unwrap_err().to_string();
    assert!(err.contains("not a valid plugin name"), "{err}");
    // Nothing of p is left in the store, staging directories included.
    let plugins = _tmp.path().join("chaosrt").join("plugins");
    let left: Vec<_> = std::fs::read_dir(&plugins)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["q"]);
}

/// A Python bundle: its packages stored beside the component in the same install, the modules it
/// serves found from its manifest, its files mounted from where the store put them.
fn bundle(modules: &[&str]) -> python::PythonBundle {
    python::PythonBundle {
        requested: vec!["chaostoolkit-x==1.0.0".into()],
        modules: modules.iter().map(|m| m.to_string()).collect(),
        packages: Vec::new(),
        python: "3.14".into(),
        bundler: "componentize-py 0.25.1".into(),
        site_packages_sha256: String::new(),
    }
}

fn site_packages(tmp: &Path) -> PathBuf {
    let site = tmp.join("site");
    std::fs::create_dir_all(site.join("chaosx/data")).unwrap();
    std::fs::write(site.join("chaosx/__init__.py"), "x = 1\n").unwrap();
    std::fs::write(site.join("chaosx/data/en.json"), "{}").unwrap();
    site
}

#[test]
fn a_python_bundle_is_stored_with_its_packages_and_serves_its_modules() {
    let (tmp, registry) = registry();
    let site = site_packages(tmp.path());
    let mut m = manifest("chaostoolkit-x", "1.0.0", b"one");
    m.python = Some(bundle(&["chaosx"]));
    let (_, dir) = registry
        .install_with(b"one", b"compiled", &m, false, Some(&site))
        .unwrap();
    assert_eq!(
        std::fs::read(dir.join("site-packages/chaosx/data/en.json")).unwrap(),
        b"{}"
    );
    let entry = registry.find("chaostoolkit-x", None).unwrap();
    assert_eq!(entry.site_packages(), Some(dir.join("site-packages")));
    assert_eq!(
        registry.python_modules(),
        [(
            "chaosx".to_string(),
            "chaostoolkit-x".to_string(),
            "1.0.0".to_string()
        )]
    );
    // A plugin that is not a bundle has no packages to mount, even with a directory of that name.
    let (_, plain) = registry
        .install(b"two", b"compiled", &manifest("p", "1.0.0", b"two"), false)
        .unwrap();
    std::fs::create_dir(plain.join("site-packages")).unwrap();
    assert_eq!(registry.find("p", None).unwrap().site_packages(), None);
}

#[test]
fn a_link_among_the_packages_is_refused_and_nothing_is_installed() {
    let (tmp, registry) = registry();
    let site = site_packages(tmp.path());
    std::os::unix::fs::symlink("/etc/passwd", site.join("chaosx/passwd")).unwrap();
    let mut m = manifest("chaostoolkit-x", "1.0.0", b"one");
    m.python = Some(bundle(&["chaosx"]));
    let err = registry.install_with(b"one", b"compiled", &m, false, Some(&site));
    assert!(
        err.as_ref()
            .is_err_and(|e| e.to_string().contains("neither a file nor a directory")),
        "{:?}",
        err.map(|_| ())
    );
    assert!(registry.find("chaostoolkit-x", None).is_err());
    let stored = tmp.path().join("chaosrt/plugins/chaostoolkit-x");
    let left: Vec<_> = std::fs::read_dir(&stored).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
