//! The command line: plugin listing, validation reports, exit codes, the compile cache.

use crate::support::{Outcome, Scratch, StatusServer};
use serde_json::json;

#[test]
fn plugin_list_shows_builtins_with_version_activities_and_grants() {
    let scratch = Scratch::new();
    let out = scratch.chaosrt().args(["plugin", "list"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "http 0.1.0 (built-in)",
        "    request (probe) (url: string",
        "    http: the URL each activity names",
        "fs 0.1.0 (built-in)",
        "    move (action) (src: string, dst: string)",
        "    exists (probe) (path: string)",
        "    filesystem: the run's working directory (read-write)",
        "kubernetes 0.1.0 (built-in)",
        "    terminate_pods (action) (label_selector?: string, name_pattern?: string, all?: boolean",
        "    kubernetes: namespaces * (all); resources pods, pods/eviction, pods/log, deployments.apps, \
         replicasets.apps, statefulsets.apps, daemonsets.apps, services, nodes, namespaces, \
         networkpolicies.networking.k8s.io, *.* (custom resources); verbs get, list, watch, create, update, \
         patch, delete",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

#[test]
fn validate_reports_every_error_with_its_pointer_and_exits_1() {
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t",
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "p", "provider": {"type": "http", "url": "http://127.0.0.1:1/"}}
        ]},
        "method": [
            {"type": "action", "name": "k",
             "provider": {"type": "python", "module": "chaosaws.ec2.actions", "func": "stop_instances"}},
            {"type": "action", "name": "x",
             "provider": {"type": "python", "module": "chaosk8s.pod.actions", "func": "exec_in_pods",
                          "arguments": {"cmd": "true"}}},
            {"type": "action", "name": "n",
             "provider": {"type": "plugin", "plugin": "nope", "func": "x"}}
        ]
    });
    std::fs::write(scratch.run_dir().join("e.json"), experiment.to_string()).unwrap();
    let out = scratch
        .chaosrt()
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    let outcome = Outcome::new(out, scratch.run_dir().join("none"));
    assert_eq!(outcome.code, 1);
    for needle in [
        "/description: experiment requires a description",
        "/steady-state-hypothesis/probes/0: hypothesis probe must have a tolerance entry",
        "/method/0/provider/func: the python function 'chaosaws.ec2.actions.stop_instances' has no chaosrt plugin",
        "/method/1/provider/func: chaosrt's kubernetes plugin does not offer chaostoolkit-kubernetes' 'chaosk8s.pod.actions.exec_in_pods': it runs a command in containers, and chaosrt never proxies `exec` into a cluster (docs/kubernetes.md lists what it serves)",
    ] {
        assert!(
            outcome.stderr.contains(needle),
            "{needle:?} not in:\n{}",
            outcome.stderr
        );
    }
    assert!(!scratch.run_dir().join("journal.json").exists());
}

#[test]
fn an_unknown_plugin_is_reported_before_anything_runs() {
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [{"type": "action", "name": "n", "provider": {"type": "plugin", "plugin": "nope", "func": "x"}}]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 1);
    assert!(
        outcome.stderr.contains(
            "/method/0/provider: no plugin named 'nope' is installed; built-ins are http, fs"
        ),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.has_line("INFO Experiment looks valid"));
}

#[test]
fn syntax_errors_name_the_line_and_column() {
    let scratch = Scratch::new();
    std::fs::write(
        scratch.run_dir().join("bad.json"),
        "{\n  \"title\": \"t\",,\n}",
    )
    .unwrap();
    let outcome = scratch.outcome(scratch.chaosrt().args(["run", "bad.json"]));
    assert_eq!(outcome.code, 1);
    assert!(
        outcome.stderr.contains("bad.json:2:16: invalid JSON"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    let scratch = Scratch::new();
    let out = scratch.chaosrt().args(["run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = scratch
        .chaosrt()
        .args(["run", "--no-such-flag", "x.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The built-ins are precompiled into the binary: even the first run on a machine, with an empty
/// compile cache, compiles neither of them, and leaves no compile-cache entry or ledger record for
/// them. (Installed plugins are compiled once, at install, and kept with the plugin: `store.rs`.)
#[test]
fn builtins_run_precompiled_and_leave_nothing_in_the_compile_cache() {
    let scratch = Scratch::new();
    std::fs::write(scratch.run_dir().join("present"), "").unwrap();
    let server = StatusServer::start(200, "text/plain", "ok");
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            {"type": "probe", "name": "e",
             "provider": {"type": "python", "module": "os.path", "func": "exists",
                          "arguments": {"path": "present"}}},
            {"type": "probe", "name": "h", "provider": {"type": "http", "url": server.url()}}
        ]
    });
    std::fs::write(scratch.run_dir().join("e.json"), experiment.to_string()).unwrap();
    let run = || scratch.outcome(scratch.chaosrt().args(["--verbose", "run", "e.json"]));
    for _ in 0..2 {
        let outcome = run();
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        for plugin in ["fs", "http"] {
            assert!(
                outcome
                    .stderr
                    .contains(&format!("Plugin {plugin} 0.1.0 (Precompiled")),
                "{}",
                outcome.stderr
            );
        }
        let journal = outcome.journal();
        assert_eq!(journal["run"][0]["output"], json!(true));
        assert_eq!(journal["run"][1]["output"]["status"], json!(200));
        for dir in [
            scratch.cache_dir().join("chaosrt/components"),
            scratch.dir.path().join("data/chaosrt/compiled"),
        ] {
            let entries = std::fs::read_dir(&dir).map(Iterator::count).unwrap_or(0);
            assert_eq!(entries, 0, "{} holds a compiled built-in", dir.display());
        }
    }
}

#[test]
fn unknown_placeholders_and_undeclared_vars_are_warnings() {
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t ${nobody}", "description": "d",
        "configuration": {"declared": 1},
        "method": [{"type": "action", "name": "a",
                    "provider": {"type": "process", "path": "echo", "arguments": ["${output:nope/stdout}"]}}]
    });
    let outcome = scratch.run_with(&experiment, &["--var", "undeclared=x"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    outcome.assert_line("WARNING ${nobody} is declared neither in the configuration nor in the secrets; it stays as written");
    outcome.assert_line("WARNING ${output:nope/stdout} refers to no activity named 'nope' in this experiment; it stays as written");
    assert!(
        outcome.stderr.contains("The var 'undeclared' is ignored"),
        "{}",
        outcome.stderr
    );
    outcome.assert_line("INFO Running experiment: t ${nobody}");
}

#[test]
fn an_experiment_is_loaded_from_a_url() {
    let scratch = Scratch::new();
    let server = crate::support::StatusServer::start(
        200,
        "application/json",
        r#"{"title": "from a url", "description": "d", "method": []}"#,
    );
    let outcome = scratch.outcome(scratch.chaosrt().args(["run", &server.url()]));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    outcome.assert_line("INFO Running experiment: from a url");
    assert_eq!(
        outcome.journal()["experiment"]["title"],
        json!("from a url")
    );
}

#[test]
fn the_log_file_gets_every_line_down_to_debug_unless_disabled() {
    let experiment = json!({
        "title": "logged", "description": "d",
        "method": [{"type": "probe", "name": "echo",
                    "provider": {"type": "process", "path": "echo", "arguments": ["hi"]}}]
    });
    let scratch = Scratch::new();
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let log = std::fs::read_to_string(scratch.run_dir().join("chaostoolkit.log")).unwrap();
    assert!(
        log.contains("INFO] [chaosrt] Running experiment: logged"),
        "{log}"
    );
    assert!(
        log.contains("DEBUG] [chaosrt]   => succeeded with"),
        "{log}"
    );
    assert!(
        !outcome.stderr.contains("DEBUG"),
        "the console stays at INFO"
    );

    let quiet = Scratch::new();
    let outcome = quiet.run_with(&experiment, &["--no-log-file"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(!quiet.run_dir().join("chaostoolkit.log").exists());

    let elsewhere = quiet.dir.path().join("elsewhere.log");
    let outcome = quiet.run_with(
        &experiment,
        &[
            "--log-file",
            elsewhere.to_str().unwrap(),
            "--log-file-level",
            "warning",
        ],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(
        std::fs::read_to_string(&elsewhere).unwrap(),
        "",
        "nothing at warning level or above"
    );
}

#[test]
fn log_format_json_prints_one_object_per_line_with_ctk_keys() {
    let scratch = Scratch::new();
    let experiment = json!({"title": "as json", "description": "d", "method": []});
    let outcome = scratch.run_with(&experiment, &["--log-format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let lines: Vec<serde_json::Value> = outcome
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let keys = crate::support::keys(&lines[0]);
    assert_eq!(
        keys,
        [
            "process",
            "asctime",
            "levelname",
            "module",
            "lineno",
            "message",
            "context_id",
            "timestamp"
        ]
    );
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "Running experiment: as json" && l["levelname"] == "INFO")
    );
    assert!(
        lines
            .iter()
            .all(|l| l["context_id"] == lines[0]["context_id"])
    );
}

#[test]
fn change_dir_runs_the_command_elsewhere_and_keeps_the_log_file_here() {
    let scratch = Scratch::new();
    let elsewhere = scratch.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let experiment = json!({"title": "moved", "description": "d", "method": []});
    std::fs::write(elsewhere.join("e.json"), experiment.to_string()).unwrap();
    let out = scratch
        .chaosrt()
        .arg("--change-dir")
        .arg(&elsewhere)
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(elsewhere.join("journal.json").exists());
    assert!(scratch.run_dir().join("chaostoolkit.log").exists());
}
