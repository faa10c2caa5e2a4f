//! Run semantics that decide statuses, exit codes and rollbacks, each checked against `chaos run`
//! (chaostoolkit 1.19.0 / chaostoolkit-lib 1.44.0, `../shared/ctk-semantics.md` §1.10, and run beside
//! chaosrt with the same experiments).

use crate::support::{Scratch, StatusServer, closed_port};
use serde_json::{Value, json};

fn http_probe(name: &str, url: &str, tolerance: Value) -> Value {
    json!({"type": "probe", "name": name, "tolerance": tolerance,
           "provider": {"type": "http", "url": url, "timeout": 3}})
}

fn touch(name: &str, file: &str) -> Value {
    json!({"type": "action", "name": name,
           "provider": {"type": "process", "path": "touch", "arguments": [file]}})
}

/// CTK (lib ≥ 1.35): a before-hypothesis whose tolerance is not met skips the method, ends
/// `completed`, not deviated, exit 0, and the rollbacks are played.
#[test]
fn before_hypothesis_not_met_completes_and_plays_rollbacks() {
    let scratch = Scratch::new();
    let server = StatusServer::start(503, "text/plain", "down");
    let experiment = json!({
        "title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "up", "probes": [http_probe("up", &server.url(), json!(200))]},
        "method": [touch("method", "method-ran")],
        "rollbacks": [touch("rollback", "rollback-ran")]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(
        (journal["status"].clone(), journal["deviated"].clone()),
        (json!("completed"), json!(false))
    );
    assert_eq!(journal["steady_states"]["after"], json!(null));
    assert_eq!(journal["run"], json!([]));
    assert!(!scratch.run_dir().join("method-ran").exists());
    assert!(scratch.run_dir().join("rollback-ran").exists());
    outcome.assert_line(
        "CRITICAL Steady state probe 'up' is not in the given tolerance so failing this experiment",
    );
    outcome.assert_line("WARNING Probe 'up' expected 200 but got status 503");
}

/// CTK: a hypothesis probe that errors (connection refused) ends `failed`, and the default strategy
/// skips the rollbacks.
#[test]
fn a_probe_that_errors_fails_the_run_and_skips_rollbacks() {
    let scratch = Scratch::new();
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let experiment = json!({
        "title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "up", "probes": [http_probe("up", &url, json!(200))]},
        "method": [],
        "rollbacks": [touch("rollback", "rollback-ran")]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("failed"));
    let probe = &journal["steady_states"]["before"]["probes"][0];
    assert_eq!(probe["status"], json!("failed"));
    assert!(
        probe["exception"][0]
            .as_str()
            .unwrap()
            .contains(&format!("failed to connect to {url}"))
    );
    outcome.assert_line(
        "WARNING Probe terminated unexpectedly, so its tolerance could not be validated",
    );
    assert!(!scratch.run_dir().join("rollback-ran").exists());
    assert_eq!(journal["rollbacks"], json!([]));
}

/// CTK: a method action that fails leaves the run `completed`, exit 0, rollbacks played.
#[test]
fn a_failing_action_leaves_the_run_completed() {
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [{"type": "action", "name": "move-missing",
                    "provider": {"type": "python", "module": "os", "func": "rename",
                                 "arguments": {"src": "./missing.dat", "dst": "./x"}}}],
        "rollbacks": [touch("rollback", "rollback-ran")]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("completed"));
    assert_eq!(journal["run"][0]["status"], json!("failed"));
    let exception = journal["run"][0]["exception"][0].as_str().unwrap();
    assert_eq!(
        exception,
        "chaoslib.exceptions.ActivityFailed: FileNotFoundError: [Errno 2] No such file or directory: './missing.dat' -> './x'\n"
    );
    assert!(scratch.run_dir().join("rollback-ran").exists());
}

/// The http provider's output: JSON bodies parsed (also with a charset), statuses above 399 are
/// outputs, not failures; the process provider's `{status, stdout, stderr}`.
#[test]
fn provider_outputs_have_chaos_toolkit_shapes() {
    let scratch = Scratch::new();
    let json_server = StatusServer::start(
        418,
        "application/json; charset=utf-8",
        r#"{"teapot": true}"#,
    );
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            {"type": "probe", "name": "teapot", "provider": {"type": "http", "url": json_server.url()}},
            {"type": "probe", "name": "echo",
             "provider": {"type": "process", "path": "sh", "arguments": ["-c", "echo out; echo err >&2; exit 3"]}}
        ]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    let http = &journal["run"][0];
    assert_eq!(http["status"], json!("succeeded"));
    assert_eq!(http["output"]["status"], json!(418));
    assert_eq!(http["output"]["body"], json!({"teapot": true}));
    assert_eq!(
        http["output"]["headers"]["Content-Type"],
        json!("application/json; charset=utf-8")
    );
    outcome.assert_line(
        "WARNING This HTTP call returned a response with a HTTP status code above 400. This may indicate some error and not what you expected. Please have a look at the logs.",
    );
    assert_eq!(
        journal["run"][1]["output"],
        json!({"status": 3, "stdout": "out\n", "stderr": "err\n"})
    );
    outcome.assert_line(
        "WARNING This process returned a non-zero exit code. This may indicate some error and not what you expected. Please have a look at the logs.",
    );
}

/// Background activities run concurrently and are joined at the end of the method: the five 1-second
/// actions all run at the same time (their intervals overlap), so the method takes about 1 s, not 5.
/// Shown by overlap rather than by a timed assertion.
#[test]
fn background_actions_run_concurrently() {
    let scratch = Scratch::new();
    let sleeper = |i: usize| {
        json!({"type": "action", "name": format!("sleep-{i}"), "background": true,
               "provider": {"type": "process", "path": "sleep", "arguments": ["1"]}})
    };
    let experiment = json!({
        "title": "t", "description": "d",
        "method": (0..5).map(sleeper).collect::<Vec<_>>()
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    let runs = journal["run"].as_array().unwrap();
    assert_eq!(runs.len(), 5);
    let names: Vec<&str> = runs
        .iter()
        .map(|r| r["activity"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["sleep-0", "sleep-1", "sleep-2", "sleep-3", "sleep-4"],
        "start order"
    );
    let latest_start = runs
        .iter()
        .map(|r| r["start"].as_str().unwrap())
        .max()
        .unwrap();
    let earliest_end = runs
        .iter()
        .map(|r| r["end"].as_str().unwrap())
        .min()
        .unwrap();
    assert!(
        latest_start < earliest_end,
        "all five overlap: {latest_start} < {earliest_end}"
    );
    for i in 0..5 {
        outcome.assert_line(&format!("INFO Action: sleep-{i} [in background]"));
    }
}

/// A signal during the method: the run ends `interrupted`, exit 1, rollbacks are not played under the
/// default strategy, and the journal is written with what completed.
fn interrupt_during_the_method(signal: &str, expected_lines: &[&str]) {
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            touch("first", "first-ran"),
            {"type": "action", "name": "long", "provider": {"type": "process", "path": "sleep", "arguments": ["30"]}}
        ],
        "rollbacks": [touch("rollback", "rollback-ran")]
    });
    std::fs::write(scratch.run_dir().join("e.json"), experiment.to_string()).unwrap();
    let mut child = scratch
        .chaosrt()
        .args(["run", "e.json"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the long action has started, then send the signal.
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let mut log = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.ends_with("Action: long") {
            break;
        }
    }
    let kill = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    for line in lines {
        log.push_str(&line.unwrap());
        log.push('\n');
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{log}");
    for line in expected_lines {
        assert!(log.contains(line), "{line:?} not in:\n{log}");
    }
    assert!(
        log.contains("Experiment ended with status: interrupted"),
        "{log}"
    );
    let journal = crate::support::read_json(scratch.run_dir().join("journal.json"));
    assert_eq!(journal["status"], json!("interrupted"));
    assert_eq!(journal["run"][0]["status"], json!("succeeded"));
    assert_eq!(journal["rollbacks"], json!([]));
    assert!(!scratch.run_dir().join("rollback-ran").exists());
}

#[test]
fn sigint_during_the_method_interrupts_and_writes_the_journal() {
    interrupt_during_the_method(
        "-INT",
        &["WARNING] Received a termination signal (Ctrl-C)..."],
    );
}

#[test]
fn sigterm_during_the_method_interrupts_and_writes_the_journal() {
    interrupt_during_the_method(
        "-TERM",
        &[
            "WARNING] Caught SIGTERM signal, interrupting experiment now",
            "CRITICAL] SIGTERM signal received",
        ],
    );
}
