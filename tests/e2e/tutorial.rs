//! The exchange-file tutorial against the real Python service, as a new user runs it.

use crate::support::{Scratch, closed_port, workspace};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The tutorial service, stopped when dropped.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_service(dir: &std::path::Path, port: u16) -> Service {
    let child = Command::new("python3")
        .arg(workspace().join("examples/exchange/service.py"))
        .args(["--port", &port.to_string(), "--dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 runs the tutorial service");
    let service = Service(child);
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && dir.join("exchange.dat").exists()
        {
            return service;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the tutorial service did not start on port {port}");
}

#[test]
fn tutorial_deviates_with_ctk_lines_exit_code_and_journal() {
    let scratch = Scratch::new();
    let port = closed_port();
    let _service = start_service(&scratch.run_dir(), port);
    // The tutorial experiment exactly as shipped, only pointed at this test's port.
    let text =
        std::fs::read_to_string(workspace().join("examples/exchange/experiment.json")).unwrap();
    let text = text.replace(
        "http://localhost:8080/",
        &format!("http://localhost:{port}/"),
    );
    let experiment: serde_json::Value = serde_json::from_str(&text).unwrap();

    let outcome = scratch.run(&experiment);

    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let expected = [
        "INFO Validating the experiment's syntax",
        "INFO Experiment looks valid",
        "INFO Running experiment: Does our service tolerate the loss of its exchange file?",
        "INFO Steady-state strategy: default",
        "INFO Rollbacks strategy: default",
        "INFO Steady state hypothesis: The exchange file must exist",
        "INFO Probe: service-is-unavailable",
        "INFO Steady state hypothesis is met!",
        "INFO Playing your experiment's method now...",
        "INFO Action: move-exchange-file",
        "INFO Steady state hypothesis: The exchange file must exist",
        "INFO Probe: service-is-unavailable",
        "CRITICAL Steady state probe 'service-is-unavailable' is not in the given tolerance so failing this experiment",
        "INFO Let's rollback...",
        "INFO No declared rollbacks, let's move on.",
        "INFO Experiment ended with status: deviated",
        "INFO The steady-state has deviated, a weakness may have been discovered",
    ];
    // Chaos Toolkit's lines in Chaos Toolkit's order; chaosrt may add its own in between.
    let lines = outcome.lines();
    let mut at = 0;
    for want in expected {
        let found = lines[at..].iter().position(|l| l == want);
        assert!(
            found.is_some(),
            "missing or out of order: {want:?}\n{}",
            outcome.stderr
        );
        at += found.unwrap() + 1;
    }
    assert!(outcome.stdout.is_empty(), "stdout: {}", outcome.stdout);

    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("completed"));
    assert_eq!(journal["deviated"], json!(true));
    assert_eq!(journal["experiment"]["title"], experiment["title"]);
    assert_eq!(journal["experiment"]["dry"], json!(null));
    let before = &journal["steady_states"]["before"];
    assert_eq!(before["steady_state_met"], json!(true));
    let probe = &before["probes"][0];
    assert_eq!(probe["status"], json!("succeeded"));
    assert_eq!(probe["tolerance_met"], json!(true));
    assert_eq!(probe["output"]["status"], json!(200));
    assert_eq!(
        probe["output"]["headers"]["Content-Type"],
        json!("text/plain")
    );
    let body = probe["output"]["body"].as_str().unwrap();
    assert!(
        body.starts_with("20") && body.contains('T'),
        "a timestamp: {body}"
    );
    let after = &journal["steady_states"]["after"];
    assert_eq!(after["steady_state_met"], json!(false));
    assert_eq!(after["probes"][0]["tolerance_met"], json!(false));
    assert_eq!(after["probes"][0]["output"]["status"], json!(500));
    assert_eq!(
        after["probes"][0]["output"]["body"],
        json!("Exchange file is not ready")
    );
    assert_eq!(journal["run"][0]["status"], json!("succeeded"));
    assert_eq!(journal["run"][0]["output"], json!(null));
    assert_eq!(journal["rollbacks"], json!([]));

    // The action really moved the file.
    assert!(scratch.run_dir().join("exchange.dat.old").exists());
}
