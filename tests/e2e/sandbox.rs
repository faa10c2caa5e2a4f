//! The sandbox holds: files outside the granted directory, hosts that are not granted, runaway loops
//! and memory bombs are all stopped with a clear message, and the run still plays its rollbacks and
//! writes its journal.

use crate::support::{Scratch, StatusServer};
use chaosrt_test_guests::{ESCAPE, FETCH, HOG, SPIN};
use serde_json::{Value, json};

/// An experiment whose method is `action`, with a rollback that leaves a mark we can check.
fn with_rollback(action: Value) -> Value {
    json!({
        "title": "sandbox",
        "description": "a plugin misbehaves",
        "method": [action],
        "rollbacks": [{
            "type": "action", "name": "mark-rollback",
            "provider": {"type": "process", "path": "touch", "arguments": ["rolled-back"]}
        }]
    })
}

/// The method's one run failed with a message containing every one of `needles`, and the run still
/// completed, played its rollback and wrote its journal.
#[track_caller]
fn assert_failed_then_rolled_back(
    scratch: &Scratch,
    outcome: &crate::support::Outcome,
    needles: &[&str],
) {
    assert_eq!(
        outcome.code, 0,
        "a failed action leaves the run completed:\n{}",
        outcome.stderr
    );
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("completed"));
    let run = &journal["run"][0];
    assert_eq!(run["status"], json!("failed"), "{run:#}");
    let exception = run["exception"][0].as_str().unwrap();
    for needle in needles {
        assert!(
            exception.contains(needle),
            "{needle:?} not in {exception:?}"
        );
        assert!(
            outcome.stderr.contains(needle),
            "{needle:?} not in log:\n{}",
            outcome.stderr
        );
    }
    assert_eq!(journal["rollbacks"][0]["status"], json!("succeeded"));
    assert!(
        scratch.run_dir().join("rolled-back").exists(),
        "the rollback ran"
    );
    outcome.assert_line("INFO Rollback: mark-rollback");
}

fn os_rename(src: &str, dst: &str) -> Value {
    json!({
        "type": "action", "name": "move",
        "provider": {"type": "python", "module": "os", "func": "rename",
                     "arguments": {"src": src, "dst": dst}}
    })
}

#[test]
fn fs_plugin_refuses_a_parent_path() {
    let scratch = Scratch::new();
    let outside = scratch.dir.path().join("outside.txt");
    std::fs::write(&outside, "keep me").unwrap();
    let outcome = scratch.run(&with_rollback(os_rename("../outside.txt", "stolen.txt")));
    assert_failed_then_rolled_back(
        &scratch,
        &outcome,
        &["'../outside.txt' is outside the granted directory"],
    );
    assert!(outside.exists() && !scratch.run_dir().join("stolen.txt").exists());
}

#[test]
fn fs_plugin_refuses_an_absolute_path() {
    let scratch = Scratch::new();
    let outside = scratch.dir.path().join("outside.txt");
    std::fs::write(&outside, "keep me").unwrap();
    let src = outside.display().to_string();
    let outcome = scratch.run(&with_rollback(os_rename(&src, "stolen.txt")));
    assert_failed_then_rolled_back(
        &scratch,
        &outcome,
        &[&format!("'{src}' is outside the granted directory")],
    );
    assert!(outside.exists());
}

/// A plugin without its own checks: the host's preopen is what refuses it.
#[test]
fn sandbox_refuses_reads_outside_the_preopen_even_without_plugin_checks() {
    let scratch = Scratch::new();
    scratch.install(ESCAPE);
    std::fs::write(scratch.dir.path().join("secret.txt"), "s3cret").unwrap();
    std::fs::write(scratch.run_dir().join("inside.txt"), "fine").unwrap();
    let read = |name: &str, path: &str| {
        json!({"type": "probe", "name": name,
               "provider": {"type": "plugin", "plugin": "escape", "func": "read", "arguments": {"path": path}}})
    };
    let experiment = json!({
        "title": "escape", "description": "a plugin reads what it should not",
        "method": [read("inside", "inside.txt"), read("parent", "../secret.txt"), read("absolute", "/etc/hostname")]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["run"][0]["status"], json!("succeeded"));
    assert_eq!(journal["run"][0]["output"], json!("fine"));
    for i in [1, 2] {
        let run = &journal["run"][i];
        assert_eq!(run["status"], json!("failed"), "{run:#}");
        assert_eq!(run["output"], json!(null));
    }
    assert!(!outcome.stderr.contains("s3cret"));
}

#[test]
fn http_to_a_host_that_is_not_granted_is_refused_before_any_connection() {
    let scratch = Scratch::new();
    scratch.install(FETCH);
    let server = StatusServer::start(200, "text/plain", "you should not see this");
    let action = json!({
        "type": "probe", "name": "fetch-ungranted",
        "provider": {"type": "plugin", "plugin": "fetch", "func": "fetch", "arguments": {"url": server.url()}}
    });
    let outcome = scratch.run(&with_rollback(action));
    let origin = format!("http://127.0.0.1:{}", server.port);
    assert_failed_then_rolled_back(
        &scratch,
        &outcome,
        &[
            "plugin 'fetch'",
            "activity 'fetch'",
            &format!("not granted outbound HTTP to {origin}"),
        ],
    );
    assert_eq!(server.hits(), 0, "the host refused before connecting");
}

#[test]
fn an_endless_loop_is_stopped_by_the_activity_timeout() {
    let scratch = Scratch::new();
    scratch.install(SPIN);
    let action = json!({
        "type": "action", "name": "spin", "timeout": 1,
        "provider": {"type": "plugin", "plugin": "spin", "func": "spin"}
    });
    let outcome = scratch.run(&with_rollback(action));
    assert_failed_then_rolled_back(
        &scratch,
        &outcome,
        &["plugin 'spin' activity 'spin' timed out after 1s"],
    );
}

#[test]
fn a_memory_bomb_is_stopped_by_the_memory_cap() {
    let scratch = Scratch::new();
    scratch.install(HOG);
    let action = json!({
        "type": "action", "name": "hog",
        "provider": {"type": "plugin", "plugin": "hog", "func": "hog"}
    });
    let outcome = scratch.run(&with_rollback(action));
    assert_failed_then_rolled_back(
        &scratch,
        &outcome,
        &["plugin 'hog' activity 'hog' exceeded its memory cap of 256 MiB"],
    );
}
