//! Faults of the surroundings, as `chaos run` reports them (compared with chaostoolkit 1.19.0 on
//! loopback): a target that refuses, does not resolve or never answers fails the activity with
//! Chaos Toolkit's message and the run goes on; bad settings stop the run before it starts.

use crate::support::Scratch;
use serde_json::{Value, json};

fn http_probe(url: &str) -> Value {
    json!({"title": "t", "description": "d",
           "method": [{"type": "probe", "name": "target",
                       "provider": {"type": "http", "url": url, "timeout": 1}}]})
}

/// The failure message the run recorded for a probe of `url`.
fn failure_of(url: &str) -> String {
    let scratch = Scratch::new();
    let outcome = scratch.run(&http_probe(url));
    let (_, run) = outcome.completed_despite_failed_run(0);
    let exception = run["exception"][0].as_str().unwrap();
    let message = exception
        .strip_prefix("chaoslib.exceptions.ActivityFailed: ")
        .unwrap()
        .trim_end()
        .to_string();
    outcome.assert_line(&format!("ERROR   => failed: {message}"));
    message
}

#[test]
fn a_target_that_does_not_resolve_fails_to_connect() {
    let url = "http://nonexistent.invalid/";
    let message = failure_of(url);
    assert!(
        message.starts_with(&format!("failed to connect to {url}: ")),
        "{message}"
    );
}

#[test]
fn a_target_that_never_answers_took_too_long() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    assert_eq!(failure_of(&url), "activity took too long to complete");
}

#[test]
fn a_settings_file_named_but_missing_is_an_error() {
    let scratch = Scratch::new();
    let missing = scratch.dir.path().join("nope.yaml");
    let outcome = scratch.run_with(
        &json!({"title": "t", "description": "d", "method": []}),
        &[],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let outcome = scratch.outcome(
        scratch
            .chaosrt()
            .arg("--settings")
            .arg(&missing)
            .args(["run", "experiment.json"]),
    );
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    outcome.assert_line(&format!(
        "ERROR {}: no such settings file; check the --settings path, or leave the option out to use \
         the default settings",
        missing.display()
    ));
}

#[test]
fn settings_of_the_wrong_type_are_an_error_at_their_location() {
    let scratch = Scratch::new();
    let settings = scratch.dir.path().join("settings.yaml");
    std::fs::write(&settings, "runtime: 5\n").unwrap();
    std::fs::write(
        scratch.run_dir().join("experiment.json"),
        json!({"title": "t", "description": "d", "method": []}).to_string(),
    )
    .unwrap();
    let outcome = scratch.outcome(
        scratch
            .chaosrt()
            .arg("--settings")
            .arg(&settings)
            .args(["run", "experiment.json"]),
    );
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    outcome.assert_line(&format!(
        "ERROR {}: runtime: expected a mapping, got 5",
        settings.display()
    ));
}

/// The compile cache is a convenience: when its directory cannot be made (a file stands where it
/// should be), every run compiles again and still runs.
#[test]
fn a_compile_cache_that_cannot_be_written_costs_time_not_the_run() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.cache_dir()).unwrap();
    std::fs::write(scratch.cache_dir().join("chaosrt"), "not a directory").unwrap();
    let server = crate::support::StatusServer::start(200, "text/plain", "up");
    for _ in 0..2 {
        let outcome = scratch.run(&http_probe(&server.url()));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let journal = outcome.journal();
        assert_eq!(journal["status"], "completed");
        assert_eq!(journal["run"][0]["output"]["status"], 200);
    }
    assert_eq!(server.hits(), 2);
    assert_eq!(
        std::fs::read_to_string(scratch.cache_dir().join("chaosrt")).unwrap(),
        "not a directory"
    );
}
