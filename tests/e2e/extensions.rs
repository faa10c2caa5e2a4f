//! What chaosrt adds to Chaos Toolkit's language: activity outputs referenced by later activities,
//! assertions in the method, retry-until-met for hypothesis probes, secrets masked everywhere,
//! `discover`/`init`, and the settings file.

use crate::support::{Scratch, StatusServer, assert_ok, read_json};
use serde_json::{Value, json};

fn process(kind: &str, name: &str, path: &str, arguments: Value) -> Value {
    json!({"type": kind, "name": name, "provider": {"type": "process", "path": path, "arguments": arguments}})
}

#[test]
fn a_later_activity_uses_an_earlier_output() {
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            process("probe", "make-name", "printf", json!(["created-by-probe"])),
            process("action", "use-name", "touch", json!(["${output:make-name/stdout}"]))
        ]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        scratch.run_dir().join("created-by-probe").exists(),
        "{}",
        outcome.stderr
    );
    // The journal keeps the activity as written.
    assert_eq!(
        outcome.journal()["run"][1]["activity"]["provider"]["arguments"],
        json!(["${output:make-name/stdout}"])
    );
}

#[test]
fn a_failed_assertion_fails_the_run_and_stops_the_method() {
    let scratch = Scratch::new();
    let server = StatusServer::start(503, "text/plain", "down");
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            {"type": "probe", "name": "service-up", "assert": 200, "provider": {"type": "http", "url": server.url()}},
            process("action", "after", "touch", json!(["after-ran"]))
        ]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("failed"));
    assert_eq!(journal["run"].as_array().unwrap().len(), 1);
    assert!(!scratch.run_dir().join("after-ran").exists());
    outcome.assert_line("CRITICAL Assertion 'service-up' failed: expected 200 but got status 503; stopping the method");
}

#[test]
fn a_met_assertion_changes_nothing_and_a_plain_tolerance_in_the_method_is_ignored() {
    let scratch = Scratch::new();
    let server = StatusServer::start(503, "text/plain", "down");
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            {"type": "probe", "name": "ignored", "tolerance": 200, "provider": {"type": "http", "url": server.url()}},
            {"type": "probe", "name": "asserted", "assert": [500, 503], "provider": {"type": "http", "url": server.url()}}
        ]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(outcome.journal()["status"], json!("completed"));
}

#[test]
fn retry_reruns_a_hypothesis_probe_until_it_is_met() {
    let scratch = Scratch::new();
    // Exits 0 from its third run on.
    let script = "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; test $n -ge 3";
    let mut probe = process("probe", "settles", "sh", json!(["-c", script]));
    probe["tolerance"] = json!(0);
    probe["retry"] = json!({"count": 5, "interval": 0.05});
    let experiment = json!({
        "title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "settled", "probes": [probe]},
        "method": []
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(
        journal["steady_states"]["before"]["steady_state_met"],
        json!(true)
    );
    assert_eq!(
        std::fs::read_to_string(scratch.run_dir().join("count"))
            .unwrap()
            .trim(),
        "4"
    );
    outcome.assert_line("INFO Probe 'settles' not met yet, retrying in 0.05s (1 of 5)");
    outcome.assert_line("INFO Probe 'settles' not met yet, retrying in 0.05s (2 of 5)");
}

#[test]
fn secrets_never_reach_the_log_or_the_journal() {
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "secrets": {"app": {"token": "s3cr3t-t0ken"}},
        "method": [process("probe", "echo", "echo", json!(["token=${token}"]))]
    });
    std::fs::write(
        scratch.run_dir().join("experiment.json"),
        experiment.to_string(),
    )
    .unwrap();
    let outcome = scratch.outcome(
        scratch
            .chaosrt()
            .args(["--verbose", "run", "experiment.json"]),
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal_text = std::fs::read_to_string(scratch.run_dir().join("journal.json")).unwrap();
    assert!(!journal_text.contains("s3cr3t-t0ken"), "{journal_text}");
    let log_file = std::fs::read_to_string(scratch.run_dir().join("chaostoolkit.log")).unwrap();
    assert!(log_file.contains("token=***"), "{log_file}");
    assert!(!log_file.contains("s3cr3t-t0ken"), "{log_file}");
    assert!(
        !outcome.stderr.contains("s3cr3t-t0ken"),
        "{}",
        outcome.stderr
    );
    let journal = outcome.journal();
    assert_eq!(journal["run"][0]["output"]["stdout"], json!("token=***\n"));
    assert_eq!(
        journal["experiment"]["secrets"]["app"]["token"],
        json!("***")
    );
}

#[test]
fn discover_then_init_scaffolds_a_valid_experiment() {
    let scratch = Scratch::new();
    let out = scratch.chaosrt().args(["discover"]).output().unwrap();
    assert_ok(&out);
    let discovery: Value = read_json(scratch.run_dir().join("discovery.json"));
    let activities = discovery["activities"].as_array().unwrap();
    let request = activities
        .iter()
        .find(|a| a["mod"] == "http" && a["name"] == "request")
        .unwrap();
    assert_eq!(request["type"], json!("probe"));
    assert!(
        request["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "url" && a["type"] == "string")
    );
    assert!(
        activities
            .iter()
            .any(|a| a["mod"] == "fs" && a["name"] == "move" && a["type"] == "action")
    );

    let out = scratch
        .chaosrt()
        .args([
            "init",
            "--title",
            "Can we lose a file?",
            "--probe",
            "fs.exists",
            "--action",
            "fs.move",
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    let experiment: Value = read_json(scratch.run_dir().join("experiment.json"));
    assert_eq!(experiment["title"], json!("Can we lose a file?"));
    assert_eq!(experiment["method"][0]["provider"]["func"], json!("move"));
    let out = scratch
        .chaosrt()
        .args(["validate", "experiment.json"])
        .output()
        .unwrap();
    assert_ok(&out);

    let out = scratch
        .chaosrt()
        .args(["init", "--probe", "fs.nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no probe 'fs.nope' in the discovery"));
}

#[test]
fn the_settings_file_sets_the_rollback_strategy_and_the_flag_wins() {
    let scratch = Scratch::new();
    let settings = scratch.dir.path().join("settings.yaml");
    std::fs::write(&settings, "runtime:\n  rollbacks:\n    strategy: never\n").unwrap();
    let experiment = json!({
        "title": "t", "description": "d", "method": [],
        "rollbacks": [process("action", "rollback", "touch", json!(["rolled-back"]))]
    });
    std::fs::write(scratch.run_dir().join("e.json"), experiment.to_string()).unwrap();
    let run = |extra: &[&str]| {
        scratch.outcome(
            scratch
                .chaosrt()
                .arg("--settings")
                .arg(&settings)
                .arg("run")
                .args(extra)
                .arg("e.json"),
        )
    };
    let never = run(&[]);
    assert_eq!(never.code, 0, "{}", never.stderr);
    never.assert_line("INFO Rollbacks strategy: never");
    assert!(!scratch.run_dir().join("rolled-back").exists());
    let always = run(&["--rollback-strategy", "always"]);
    always.assert_line("INFO Rollbacks strategy: always");
    assert!(scratch.run_dir().join("rolled-back").exists());
}
