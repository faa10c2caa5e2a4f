//! Grants as data, narrowed per run (issue 10): an experiment's `chaosrt` extension (which Chaos
//! Toolkit keeps as opaque data) or `chaosrt run --grant PLUGIN:KIND=VALUE` sets what a plugin holds
//! for one run, within what it was granted at install; going beyond needs `--widen-grants` and says
//! so; a denial says which grant to add and where. Kubernetes grants narrow at install too.

use crate::support::{Outcome, Scratch, assert_ok, hostile_read_then_write, plugin_action};
use chaosrt_test_guests::{FETCH, HOSTILE, KUBEWANT};
use serde_json::{Value, json};
use std::process::Output;

/// An experiment of `method`, with the `chaosrt` extension's grants when there are some.
fn experiment(method: Vec<Value>, grants: Option<Value>) -> Value {
    let mut experiment = json!({"title": "t", "description": "d", "method": method});
    if let Some(grants) = grants {
        experiment["extensions"] = json!([
            {"name": "reliability-team", "owner": "sre"},
            {"name": "chaosrt", "grants": grants}
        ]);
    }
    experiment
}

fn install(scratch: &Scratch, args: &[&str]) -> Output {
    let out = scratch
        .chaosrt()
        .args(["plugin", "install"])
        .args(args)
        .output()
        .unwrap();
    assert_ok(&out);
    out
}

fn notes(scratch: &Scratch) -> String {
    std::fs::read_to_string(scratch.run_dir().join("notes.txt")).unwrap()
}

/// The failure message of the method's run `index`.
#[track_caller]
fn failure(outcome: &Outcome, index: usize) -> String {
    let (_, run) = outcome.completed_despite_failed_run(index);
    run["exception"][0].as_str().unwrap().to_string()
}

#[test]
fn an_experiment_narrows_a_plugin_for_one_run_and_the_denial_says_where() {
    let scratch = Scratch::new();
    install(&scratch, &["--yes", HOSTILE]);
    std::fs::write(scratch.run_dir().join("notes.txt"), "kept").unwrap();
    let narrowed = experiment(
        hostile_read_then_write(),
        Some(json!({"hostile": ["filesystem=.:read-only"]})),
    );
    let outcome = scratch.run(&narrowed);
    assert_eq!(outcome.journal()["run"][0]["output"], "kept");
    let message = failure(&outcome, 1);
    assert!(
        message.contains(
            "(if that is for want of a grant: plugin 'hostile' asks for more than it holds in \
             this run: may read and write files under the directory an experiment runs in is left \
             out of this run by the experiment's grants at /extensions/1/grants/hostile: add \
             \"filesystem=.:read-write\" there)"
        ),
        "{message}"
    );
    assert_eq!(notes(&scratch), "kept");
    // The journal keeps the extension as written, as Chaos Toolkit does.
    assert_eq!(
        outcome.journal()["experiment"]["extensions"][1]["grants"],
        json!({"hostile": ["filesystem=.:read-only"]})
    );

    // The same experiment without the narrowing: the plugin holds what it was granted.
    let outcome = scratch.run(&experiment(hostile_read_then_write(), None));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(outcome.journal()["run"][1]["status"], "succeeded");
    assert_eq!(notes(&scratch), "changed");
}

#[test]
fn the_command_line_sets_a_plugins_grants_over_the_experiments() {
    let scratch = Scratch::new();
    install(&scratch, &["--yes", HOSTILE]);
    std::fs::write(scratch.run_dir().join("notes.txt"), "kept").unwrap();
    // The experiment would let it write; the command line says read only, for this run.
    let e = experiment(
        hostile_read_then_write(),
        Some(json!({"hostile": ["filesystem=.:read-write"]})),
    );
    let outcome = scratch.run_with(&e, &["--grant", "hostile:filesystem=.:read-only"]);
    let message = failure(&outcome, 1);
    assert!(
        message.contains(
            "is left out of this run by --grant hostile:…: add --grant \
             hostile:filesystem=.:read-write"
        ),
        "{message}"
    );
    assert_eq!(notes(&scratch), "kept");
}

#[test]
fn a_run_cannot_widen_a_grant_unless_told_to_and_then_says_so() {
    let scratch = Scratch::new();
    install(&scratch, &["--grant", "filesystem=.:read-only", HOSTILE]);
    std::fs::write(scratch.run_dir().join("notes.txt"), "kept").unwrap();
    let wider = experiment(
        hostile_read_then_write(),
        Some(json!({"hostile": ["filesystem=.:read-write"]})),
    );
    let refused = scratch.run(&wider);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    refused.assert_line(
        "ERROR   /extensions/1/grants/hostile/0: plugin 'hostile' was not granted this at install \
         (may read and write files under the directory an experiment runs in); a run may only \
         narrow a plugin's grants. Grant it for good with `chaosrt plugin install --replace \
         --grant filesystem=.:read-write`, or for this run only pass --widen-grants",
    );
    assert_eq!(notes(&scratch), "kept");

    let widened = scratch.run_with(&wider, &["--widen-grants"]);
    assert_eq!(widened.code, 0, "{}", widened.stderr);
    widened.assert_line(
        "WARNING --widen-grants: plugin 'hostile' holds in this run what it was NOT granted at \
         install: it may read and write files under the directory an experiment runs in",
    );
    assert_eq!(notes(&scratch), "changed");

    // Without any narrowing, the install's read-only grant holds, and the denial says how to
    // grant more.
    std::fs::write(scratch.run_dir().join("notes.txt"), "kept").unwrap();
    let outcome = scratch.run(&experiment(hostile_read_then_write(), None));
    let message = failure(&outcome, 1);
    assert!(
        message.contains(
            "may read and write files under the directory an experiment runs in was not granted \
             at install: reinstall with `chaosrt plugin install --replace --grant \
             filesystem=.:read-write` (and its other grants), or for one run pass `chaosrt run \
             --widen-grants --grant hostile:filesystem=.:read-write`"
        ),
        "{message}"
    );
    assert_eq!(notes(&scratch), "kept");
}

/// What a plugin does not ask for cannot be granted even with `--widen-grants`; grants for a plugin
/// the experiment does not use, malformed grants and unknown settings are errors at their pointers.
#[test]
fn bad_run_grants_are_errors_at_their_json_pointers() {
    let scratch = Scratch::new();
    install(&scratch, &["--yes", HOSTILE]);
    let e = json!({
        "title": "t", "description": "d",
        "method": [plugin_action("hostile", "read", json!({"path": "x"}))],
        "extensions": [{"name": "chaosrt", "grant": {},
                        "grants": {"hostile": ["environment=HOME", "filesystem=.", 7],
                                   "nosuch": []}}]
    });
    let outcome = scratch.run_with(&e, &["--widen-grants"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    for line in [
        "ERROR   /extensions/0/grant: `grant` is not a setting of chaosrt's extension (it has `grants`)",
        "ERROR   /extensions/0/grants/hostile/2: a grant is a string KIND=VALUE, e.g. \
         \"filesystem=.:read-only\" or \"http-origin=https://api.example.com\"",
    ] {
        outcome.assert_line(line);
    }
    // Structure first (the experiment layer), then contents (once the plugins are known).
    let fixed = json!({
        "title": "t", "description": "d",
        "method": [plugin_action("hostile", "read", json!({"path": "x"}))],
        "extensions": [{"name": "chaosrt",
                        "grants": {"hostile": ["environment=HOME", "filesystem=."],
                                   "nosuch": []}}]
    });
    let outcome = scratch.run_with(
        &fixed,
        &["--widen-grants", "--grant", "other:environment=X"],
    );
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    for line in [
        "ERROR   /extensions/0/grants/hostile/0: plugin 'hostile' does not ask for this (may read \
         the environment variable HOME of this machine), so no grant can give it",
        "ERROR   /extensions/0/grants/hostile/1: 'filesystem=.': a filesystem grant is \
         filesystem=PATH:read-only or PATH:read-write",
        "ERROR   /extensions/0/grants/nosuch: the experiment uses no plugin named 'nosuch'",
        "ERROR   --grant other:environment=X: the experiment uses no plugin named 'other'",
    ] {
        outcome.assert_line(line);
    }
}

/// The host refuses the request before connecting; the denial says where the narrowing is.
#[test]
fn an_http_denial_names_the_grant_to_add_and_where() {
    let scratch = Scratch::new();
    install(&scratch, &["--yes", FETCH]);
    let e = experiment(
        vec![plugin_action(
            "fetch",
            "fetch",
            json!({"url": "http://127.0.0.1:9/"}),
        )],
        Some(json!({"fetch": []})),
    );
    let message = failure(&scratch.run(&e), 0);
    assert!(
        message.contains("plugin 'fetch' is not granted outbound HTTP to http://127.0.0.1:9"),
        "{message}"
    );
    assert!(
        message.contains(
            ". plugin 'fetch' asks for more than it holds in this run: may send HTTP requests to \
             http://127.0.0.1:9 is left out of this run by the experiment's grants at \
             /extensions/1/grants/fetch: add \"http-origin=http://127.0.0.1:9\" there"
        ),
        "{message}"
    );
}

/// Built-ins hold their documented grants as data too: a run narrows the fs plugin to reading.
#[test]
fn a_builtin_is_narrowed_like_any_plugin() {
    let scratch = Scratch::new();
    std::fs::write(scratch.run_dir().join("a.txt"), "x").unwrap();
    let e = experiment(
        vec![json!({"type": "action", "name": "move",
                    "provider": {"type": "python", "module": "os", "func": "rename",
                                 "arguments": {"src": "a.txt", "dst": "b.txt"}}})],
        None,
    );
    let outcome = scratch.run_with(&e, &["--grant", "fs:filesystem=.:read-only"]);
    let message = failure(&outcome, 0);
    assert!(
        message.contains("add --grant fs:filesystem=.:read-write"),
        "{message}"
    );
    assert!(scratch.run_dir().join("a.txt").exists());
}

/// A Kubernetes grant narrows at install (some of the namespaces, resources and verbs asked for);
/// the request beyond it is refused by the host before any I/O, saying what to grant.
#[test]
fn kubernetes_is_narrowed_at_install_and_the_rest_is_denied() {
    let scratch = Scratch::new();
    let wider = scratch
        .chaosrt()
        .args([
            "plugin",
            "install",
            "--grant",
            "kubernetes=default:pods:get",
            KUBEWANT,
        ])
        .output()
        .unwrap();
    assert_eq!(wider.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wider.stderr)
            .contains("--grant kubernetes=default:pods:get: the plugin does not ask for it"),
        "{}",
        String::from_utf8_lossy(&wider.stderr)
    );
    let out = install(
        &scratch,
        &["--grant", "kubernetes=default:pods:list", KUBEWANT],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "Granted (--grant):\n  may make Kubernetes API requests: namespaces default; \
             resources pods; verbs list"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = experiment(
        vec![plugin_action(
            "kubewant",
            "pods",
            json!({"verb": "delete", "name": "p1"}),
        )],
        None,
    );
    let outcome = scratch.run_adjusted(&e, |c| {
        c.env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_HOST")
            .env("HOME", scratch.dir.path())
    });
    let message = failure(&outcome, 0);
    assert!(
        message.contains(
            "may not delete pods p1 in namespace default: it is granted namespaces default; \
             resources pods; verbs list"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "was not granted at install: reinstall with `chaosrt plugin install --replace \
             --grant kubernetes=default:pods:list,delete`"
        ),
        "{message}"
    );
}
