//! Third-party plugins as an operator installs and manages them (issue 10): from a file or an http
//! URL on loopback, pinned by `--sha256`, granted less than asked with `--grant`, inspected,
//! selected by a partial version, and removed.

use crate::support::{Outcome, Scratch, hostile_read_then_write, plugin_action};
use chaosrt_test_guests::{ESCAPE, HOSTILE};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Output;

/// Serves `bytes` as `application/wasm` at every request, on a loopback port.
fn serve(bytes: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/plugin.wasm", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/wasm\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                bytes.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&bytes);
        }
    });
    url
}

fn chaosrt(scratch: &Scratch, args: &[&str]) -> Output {
    scratch.chaosrt().args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn sha256(path: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The installed plugins' directories, as `name/version`.
fn installed(scratch: &Scratch) -> Vec<String> {
    let root = scratch.dir.path().join("data/chaosrt/plugins");
    let mut all = Vec::new();
    for name in std::fs::read_dir(&root).into_iter().flatten() {
        let name = name.unwrap().path();
        for version in std::fs::read_dir(&name).unwrap() {
            let version = version.unwrap().file_name().into_string().unwrap();
            let name = name.file_name().unwrap().to_str().unwrap();
            all.push(format!("{name}/{version}"));
        }
    }
    all.sort();
    all
}

fn run(scratch: &Scratch, method: Vec<Value>) -> Outcome {
    scratch.run(&json!({"title": "t", "description": "d", "method": method}))
}

#[test]
fn a_plugin_installs_from_a_loopback_url_pinned_by_its_digest() {
    let scratch = Scratch::new();
    let url = serve(std::fs::read(ESCAPE).unwrap());
    let wrong = "0".repeat(64);
    let refused = chaosrt(
        &scratch,
        &["plugin", "install", "--yes", "--sha256", &wrong, &url],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!(
            "{url}: its sha256 is {}, not the {wrong} that --sha256 pins; nothing was installed",
            sha256(ESCAPE)
        )),
        "{}",
        stderr(&refused)
    );
    assert!(installed(&scratch).is_empty());

    let digest = sha256(ESCAPE);
    let out = chaosrt(
        &scratch,
        &["plugin", "install", "--yes", "--sha256", &digest, &url],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(installed(&scratch), ["escape/0.1.0"]);
    let inspected = chaosrt(&scratch, &["plugin", "inspect", "escape"]);
    let text = String::from_utf8_lossy(&inspected.stdout);
    assert!(
        text.starts_with(&format!("escape 0.1.0 ({url})\n")),
        "{text}"
    );
    for line in [
        "    read (probe) (path: string): Return the text of the file at `path`.",
        "  grants:\n    filesystem: the run's working directory (read-write)",
        "  asks for:\n    may read and write files under the directory an experiment runs in",
        &format!("  sha256: {digest}"),
        "  contract: chaosrt:plugin@0.2.0",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    std::fs::write(scratch.run_dir().join("notes.txt"), "served").unwrap();
    let outcome = run(
        &scratch,
        vec![plugin_action(
            "escape",
            "read",
            json!({"path": "notes.txt"}),
        )],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(outcome.journal()["run"][0]["output"], "served");
}

/// A server that announces a huge body, and one that never ends its body: both stop at the cap.
#[test]
fn a_plugin_url_is_read_up_to_64_mib() {
    for announced in [true, false] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/huge.wasm", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let length = if announced {
                "Content-Length: 1000000000\r\n"
            } else {
                ""
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/wasm\r\n{length}Connection: \
                 close\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes());
            let chunk = vec![0u8; 1 << 20];
            while stream.write_all(&chunk).is_ok() {}
        });
        let scratch = Scratch::new();
        let out = chaosrt(&scratch, &["plugin", "install", "--yes", &url]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "cannot fetch the plugin from {url}: the response is larger than the 64 MiB \
                 chaosrt accepts for a plugin component; nothing was installed"
            )),
            "{}",
            stderr(&out)
        );
        assert!(installed(&scratch).is_empty());
    }
}

#[test]
fn plain_http_from_another_machine_is_refused_unless_pinned() {
    let scratch = Scratch::new();
    // TEST-NET-1: refused before anything is contacted.
    let out = chaosrt(
        &scratch,
        &["plugin", "install", "--yes", "http://192.0.2.1/p.wasm"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "refusing to install a plugin from http://192.0.2.1/p.wasm over plain http from \
             another machine: the network could change it. Use https, or pin its content with \
             --sha256"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_plugin_granted_less_than_it_asks_cannot_do_the_rest() {
    let scratch = Scratch::new();
    // More than it asks for is refused, and nothing is installed.
    let wider = chaosrt(
        &scratch,
        &["plugin", "install", "--grant", "environment=HOME", HOSTILE],
    );
    assert_eq!(wider.status.code(), Some(1));
    assert!(
        stderr(&wider).contains("--grant environment=HOME: the plugin does not ask for it"),
        "{}",
        stderr(&wider)
    );
    assert!(installed(&scratch).is_empty());

    // It asks to read and write the working directory; it is granted reading only.
    let out = chaosrt(
        &scratch,
        &[
            "plugin",
            "install",
            "--grant",
            "filesystem=.:read-only",
            HOSTILE,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "Granted (--grant):\n  may read files under the directory an experiment runs in"
        ),
        "{}",
        stderr(&out)
    );
    let inspected = chaosrt(&scratch, &["plugin", "inspect", "hostile"]);
    let text = String::from_utf8_lossy(&inspected.stdout);
    assert!(
        text.contains(
            "  grants:\n    filesystem: the run's working directory (read-only)\n  asks for, not \
             granted:\n    filesystem: the run's working directory (read-write)\n"
        ),
        "{text}"
    );
    std::fs::write(scratch.run_dir().join("notes.txt"), "kept").unwrap();
    let outcome = run(&scratch, hostile_read_then_write());
    let journal = outcome.journal();
    assert_eq!(journal["run"][0]["output"], "kept", "{journal:#}");
    assert_eq!(journal["run"][1]["status"], "failed");
    let exception = journal["run"][1]["exception"][0].as_str().unwrap();
    assert!(exception.contains("write: "), "{exception}");
    assert_eq!(
        std::fs::read_to_string(scratch.run_dir().join("notes.txt")).unwrap(),
        "kept"
    );
}

#[test]
fn versions_side_by_side_are_selected_by_prefix_and_removed_one_or_all() {
    let scratch = Scratch::new();
    scratch.install(ESCAPE);
    std::fs::write(scratch.run_dir().join("notes.txt"), "kept").unwrap();
    let read = |plugin: &str| {
        run(
            &scratch,
            vec![plugin_action(plugin, "read", json!({"path": "notes.txt"}))],
        )
    };
    assert_eq!(read("escape@0.1").journal()["run"][0]["output"], "kept");
    let outcome = read("escape@0.2");
    assert_ne!(outcome.code, 0);
    assert!(
        outcome.stderr.contains(
            "/method/0/provider: no plugin named 'escape' at version 0.2 is installed; built-ins \
             are http, fs, kubernetes; install one with `chaosrt plugin install`"
        ),
        "{}",
        outcome.stderr
    );

    let out = chaosrt(&scratch, &["plugin", "remove", "escape@0.1.0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Removed escape 0.1.0"),
        "{}",
        stderr(&out)
    );
    assert!(installed(&scratch).is_empty());
    let listed = chaosrt(&scratch, &["plugin", "list"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("escape"));
    let again = chaosrt(&scratch, &["plugin", "remove", "escape"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("no plugin named 'escape' is installed"));
    let builtin = chaosrt(&scratch, &["plugin", "remove", "http"]);
    assert!(stderr(&builtin).contains("'http' is a built-in plugin"));
}
