//! Run-wide bounds and load (issue 8): a process's streams, the outputs a run keeps, background
//! activities at once, and runs of 10,000 activities and 200 background ones. Peak memory of the
//! load runs is measured by `bench/load.py`, not asserted here.

use crate::support::{Scratch, StatusServer};
use serde_json::{Value, json};

/// A process activity running `script` in `sh -c`.
fn shell(name: &str, script: &str) -> Value {
    json!({
        "type": "action", "name": name,
        "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]}
    })
}

fn experiment(method: Vec<Value>) -> Value {
    json!({"title": "load", "description": "bounds and load", "method": method})
}

/// A probe of `url` through the built-in http plugin.
fn http_probe(name: &str, url: &str) -> Value {
    json!({
        "type": "probe", "name": name,
        "provider": {"type": "http", "url": url, "timeout": 30}
    })
}

#[test]
fn a_process_keeps_16_mib_of_each_stream_and_drops_the_rest() {
    let scratch = Scratch::new();
    let outcome = scratch.run(&experiment(vec![shell(
        "loud",
        "head -c 41943040 /dev/zero | tr '\\0' o; printf eee >&2",
    )]));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    let run = &journal["run"][0];
    assert_eq!(run["status"], "succeeded");
    let stdout = run["output"]["stdout"].as_str().unwrap();
    assert_eq!(stdout.len(), 16 << 20);
    assert!(stdout.bytes().all(|b| b == b'o'));
    assert_eq!(run["output"]["stderr"], "eee");
    assert_eq!(run["output"]["status"], 0);
    outcome.assert_line(&format!(
        "WARNING Activity 'loud' wrote {} more bytes to stdout than the 16 MiB chaosrt keeps; they \
         were dropped",
        (40 << 20) - (16 << 20)
    ));
}

#[test]
fn a_run_keeps_256_mib_of_outputs_and_the_debug_log_shows_64_kib_of_each() {
    let scratch = Scratch::new();
    // Sixteen outputs of a little over 16 MiB each (as JSON): the sixteenth does not fit.
    let mut method: Vec<Value> = (0..16)
        .map(|i| {
            shell(
                &format!("big-{i}"),
                "head -c 16777216 /dev/zero | tr '\\0' b",
            )
        })
        .collect();
    method.push(shell("small", "echo small"));
    let outcome = scratch.run_with(&experiment(method), &["--log-file-level", "debug"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], "completed");
    let runs = journal["run"].as_array().unwrap();
    for run in &runs[..15] {
        assert_eq!(run["output"]["stdout"].as_str().unwrap().len(), 16 << 20);
    }
    assert_eq!(runs[15]["status"], "succeeded");
    assert_eq!(runs[15]["output"], Value::Null);
    assert_eq!(runs[16]["output"]["stdout"], "small\n");
    let dropped = outcome
        .lines()
        .into_iter()
        .find(|l| l.starts_with("WARNING Activity 'big-15' returned "))
        .unwrap_or_else(|| panic!("no warning for big-15:\n{}", tail(&outcome.stderr)));
    assert!(
        dropped.ends_with(
            "bytes of output, more than is left of the 256 MiB of outputs a run keeps: its \
             journal entry has null for it, and ${output:big-15} does not resolve"
        ),
        "{dropped}"
    );
    let log = std::fs::read_to_string(scratch.run_dir().join("chaostoolkit.log")).unwrap();
    let shown: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("=> succeeded with '") && l.contains("bbbbbbbbbbbbbbbb"))
        .collect();
    assert_eq!(shown.len(), 16, "one debug line per big output");
    for line in shown {
        assert!(line.len() < (64 << 10) + 200, "{} bytes", line.len());
        assert!(
            line.ends_with(" more bytes cut)'"),
            "{}",
            &line[line.len() - 80..]
        );
    }
}

fn tail(text: &str) -> &str {
    &text[text.floor_char_boundary(text.len().saturating_sub(4000))..]
}

#[test]
fn at_most_32_background_activities_run_at_once_and_all_of_them_run() {
    let scratch = Scratch::new();
    std::fs::create_dir(scratch.run_dir().join("running")).unwrap();
    // Each says how many are running while it runs; without the limit all 40 would overlap.
    let script = "touch running/$$; sleep 2; ls running | wc -l; rm running/$$";
    let method: Vec<Value> = (0..40)
        .map(|i| {
            let mut a = shell(&format!("bg-{i}"), script);
            a["background"] = json!(true);
            a
        })
        .collect();
    let outcome = scratch.run(&experiment(method));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    let runs = journal["run"].as_array().unwrap();
    assert_eq!(runs.len(), 40);
    let mut most = 0;
    for run in runs {
        assert_eq!(run["status"], "succeeded", "{run:#}");
        let running: usize = run["output"]["stdout"]
            .as_str()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        most = most.max(running);
    }
    assert!((2..=32).contains(&most), "{most} ran at once");
}

#[test]
fn a_method_of_10000_probes_runs_each_once_and_journals_them_all() {
    let scratch = Scratch::new();
    let server = StatusServer::start(200, "text/plain", "ok");
    let method: Vec<Value> = (0..10_000)
        .map(|i| http_probe(&format!("p-{i}"), &server.url()))
        .collect();
    let outcome = scratch.run(&experiment(method));
    assert_eq!(outcome.code, 0, "{}", tail(&outcome.stderr));
    let journal = outcome.journal();
    assert_eq!(journal["status"], "completed");
    let runs = journal["run"].as_array().unwrap();
    assert_eq!(runs.len(), 10_000);
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run["activity"]["name"], format!("p-{i}"));
        assert_eq!(run["status"], "succeeded", "{run:#}");
        assert_eq!(run["output"]["status"], 200);
    }
    assert_eq!(server.hits(), 10_000);
}

#[test]
fn two_hundred_background_probes_all_run_and_are_journaled_in_start_order() {
    let scratch = Scratch::new();
    let server = StatusServer::start(200, "text/plain", "ok");
    let mut method: Vec<Value> = (0..200)
        .map(|i| {
            let mut p = http_probe(&format!("bg-{i}"), &server.url());
            p["background"] = json!(true);
            p
        })
        .collect();
    method.push(http_probe("last", &server.url()));
    let outcome = scratch.run(&experiment(method));
    assert_eq!(outcome.code, 0, "{}", tail(&outcome.stderr));
    let journal = outcome.journal();
    assert_eq!(journal["status"], "completed");
    let runs = journal["run"].as_array().unwrap();
    assert_eq!(runs.len(), 201);
    assert!(runs.iter().all(|r| r["status"] == "succeeded"));
    let starts: Vec<&str> = runs.iter().map(|r| r["start"].as_str().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "start order");
    assert_eq!(server.hits(), 201);
}
