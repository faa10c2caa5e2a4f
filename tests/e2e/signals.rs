//! SIGTERM and SIGINT in every phase of a run, as `chaos run` handles them (chaostoolkit-lib 1.44:
//! `exit.py::_terminate_now` raises `InterruptExecution`, the run ends `interrupted`, exit 1): the
//! journal is written with every activity that ran, the one in flight kept with `output: null` and
//! no `status` (what `execute_activity` leaves when the exception passes through it); the default
//! rollback strategy skips the rollbacks, `always` plays them; a second signal during the rollbacks
//! stops them. Beyond Chaos Toolkit, which leaves them running: no process an activity started is
//! left behind, the `sh -c` string form and its children included.
//!
//! Each phase is made observable by an activity that creates a marker file and then waits: the test
//! waits for the marker, then signals. Nothing depends on how long anything takes.

use crate::support::Scratch;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Long enough that only a signal ends it: a hang shows as the deadline in [`Running::finish`].
const FOREVER: &str = "300";

/// How long a step may take before the test gives up (not a timing assertion: a hang guard).
const DEADLINE: Duration = Duration::from_secs(60);

/// A process action that records its pid and its child's in `pids`, creates `marker`, and waits on
/// a long `sleep`; as a shell string, the form that used to leave its children behind.
fn holding(name: &str, marker: &str) -> Value {
    json!({"type": "action", "name": name,
           "provider": {"type": "process", "path": "sh",
                        "arguments": format!("-c 'echo $$ >> pids; sleep {FOREVER} & echo $! >> pids; touch {marker}; wait'")}})
}

fn touch(name: &str, file: &str) -> Value {
    json!({"type": "action", "name": name,
           "provider": {"type": "process", "path": "touch", "arguments": [file]}})
}

fn as_probe(mut activity: Value) -> Value {
    activity["type"] = json!("probe");
    activity["tolerance"] = json!(0);
    activity
}

fn experiment(method: Vec<Value>, rollbacks: Vec<Value>) -> Value {
    json!({"title": "t", "description": "d", "method": method, "rollbacks": rollbacks})
}

/// A chaosrt run in progress, its log collected as it comes.
struct Running<'a> {
    scratch: &'a Scratch,
    child: Child,
    log: Arc<Mutex<String>>,
}

impl<'a> Running<'a> {
    fn start(scratch: &'a Scratch, experiment: &Value, extra: &[&str]) -> Running<'a> {
        std::fs::write(
            scratch.run_dir().join("experiment.json"),
            experiment.to_string(),
        )
        .unwrap();
        Running::spawn(scratch, extra, "experiment.json")
    }

    fn spawn(scratch: &'a Scratch, extra: &[&str], source: &str) -> Running<'a> {
        let mut child = scratch
            .chaosrt()
            .arg("run")
            .args(extra)
            .arg(source)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Running {
            scratch,
            child,
            log,
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `marker` exists in the run directory, or the log shows `line`.
    fn wait_for(&mut self, marker: &str) {
        let path = self.scratch.run_dir().join(marker);
        let start = Instant::now();
        while !path.exists() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chaosrt ended ({status}) before {marker}:\n{}", self.log());
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no {marker} after {DEADLINE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the log has a line ending with `text`.
    fn wait_for_line(&mut self, text: &str) {
        let start = Instant::now();
        while !self.log().lines().any(|l| l.ends_with(text)) {
            assert!(
                start.elapsed() < DEADLINE,
                "no line {text:?} after {DEADLINE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn signal(&self, signal: &str) {
        let sent = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for chaosrt to exit; its exit code, log and journal.
    fn finish(mut self) -> Ended {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!(
                    "chaosrt did not end {DEADLINE:?} after the signal:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // The log thread ends with the pipe.
        let deadline = Instant::now();
        while !self.log().contains("Experiment ended with status")
            && deadline.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let log = self.log();
        let journal_path = self.scratch.run_dir().join("journal.json");
        let journal = std::fs::read_to_string(&journal_path)
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or_else(|e| panic!("no journal ({e}):\n{log}"));
        no_process_left(&self.scratch.run_dir());
        Ended {
            code: status.code(),
            log,
            journal,
        }
    }
}

struct Ended {
    code: Option<i32>,
    log: String,
    journal: Value,
}

impl Ended {
    /// Interrupted as Chaos Toolkit ends it: exit 1, status `interrupted`, its log lines for `signal`.
    #[track_caller]
    fn interrupted(&self, signal: &str) {
        assert_eq!(self.code, Some(1), "{}", self.log);
        assert_eq!(self.journal["status"], "interrupted", "{}", self.log);
        assert_eq!(self.journal["deviated"], false);
        let lines: &[&str] = match signal {
            "-TERM" => &[
                "WARNING] Caught SIGTERM signal, interrupting experiment now",
                "CRITICAL] SIGTERM signal received",
            ],
            _ => &["WARNING] Received a termination signal (Ctrl-C)..."],
        };
        for line in lines
            .iter()
            .chain(&["INFO] Experiment ended with status: interrupted"])
        {
            assert!(self.log.contains(line), "{line:?} not in:\n{}", self.log);
        }
    }

    /// The names of the runs in `records`, each with its status (`-` when it has none: in flight).
    fn names(records: &Value) -> Vec<String> {
        records
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}:{}",
                    r["activity"]["name"].as_str().unwrap(),
                    r["status"].as_str().unwrap_or("-")
                )
            })
            .collect()
    }
}

/// The record of the activity in flight: Chaos Toolkit's keys, no status, output null.
#[track_caller]
fn in_flight(record: &Value) {
    assert_eq!(
        crate::support::keys(record),
        ["activity", "output", "start", "end", "duration"],
        "{record:#}"
    );
    assert_eq!(record["output"], Value::Null);
}

/// Every process whose pid an activity wrote to `pids` is gone (or a zombie nobody reaps).
fn no_process_left(run_dir: &Path) {
    let Ok(pids) = std::fs::read_to_string(run_dir.join("pids")) else {
        return;
    };
    let alive = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let state = stat.rsplit_once(") ")?.1.chars().next()?;
                Some(state != 'Z' && state != 'X')
            })
            .unwrap_or(false)
    };
    let start = Instant::now();
    loop {
        let left: Vec<&str> = pids.lines().filter(|p| alive(p)).collect();
        if left.is_empty() {
            return;
        }
        // SIGKILL is delivered at once, but the kernel tears a process down in its own time.
        if start.elapsed() > Duration::from_secs(10) {
            let kill: Vec<&str> = left.clone();
            let _ = std::process::Command::new("kill")
                .arg("-KILL")
                .args(&kill)
                .status();
            panic!("processes left behind: {left:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

const SIGNALS: [&str; 2] = ["-TERM", "-INT"];

#[test]
fn a_signal_while_loading_writes_an_interrupted_journal() {
    for signal in SIGNALS {
        let scratch = Scratch::new();
        // The experiment is fetched from a server that takes the request and never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/experiment.json", listener.local_addr().unwrap());
        let marker = scratch.run_dir().join("requested");
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                std::fs::write(&marker, "").unwrap();
                held.push(stream);
            }
        });
        let mut running = Running::spawn(&scratch, &[], &url);
        running.wait_for("requested");
        running.signal(signal);
        let ended = running.finish();
        ended.interrupted(signal);
        assert_eq!(ended.journal["experiment"], Value::Null);
        assert_eq!(ended.journal["run"], json!([]));
    }
}

#[test]
fn a_signal_in_the_steady_state_before_keeps_the_probe_and_skips_the_method() {
    for signal in SIGNALS {
        let scratch = Scratch::new();
        let mut e = experiment(
            vec![touch("method", "method-ran")],
            vec![touch("rb", "rb-ran")],
        );
        e["steady-state-hypothesis"] =
            json!({"title": "h", "probes": [as_probe(holding("probe", "marker"))]});
        let mut running = Running::start(&scratch, &e, &[]);
        running.wait_for("marker");
        running.signal(signal);
        let ended = running.finish();
        ended.interrupted(signal);
        let before = &ended.journal["steady_states"]["before"];
        assert_eq!(before["steady_state_met"], false);
        in_flight(&before["probes"][0]);
        assert_eq!(ended.journal["run"], json!([]));
        assert!(!scratch.run_dir().join("method-ran").exists());
        assert!(!scratch.run_dir().join("rb-ran").exists());
        assert_eq!(ended.journal["rollbacks"], json!([]));
    }
}

/// The method: what ran before stays, the action in flight is kept; the default strategy skips
/// the rollbacks, `always` plays them.
#[test]
fn a_signal_in_the_method_keeps_the_activity_in_flight() {
    for (signal, strategy) in [
        ("-TERM", "default"),
        ("-INT", "default"),
        ("-TERM", "always"),
    ] {
        let scratch = Scratch::new();
        let e = experiment(
            vec![
                touch("first", "first-ran"),
                holding("long", "marker"),
                touch("never", "never-ran"),
            ],
            vec![touch("rb", "rb-ran")],
        );
        let mut running = Running::start(&scratch, &e, &["--rollback-strategy", strategy]);
        running.wait_for("marker");
        running.signal(signal);
        let ended = running.finish();
        ended.interrupted(signal);
        let runs = &ended.journal["run"];
        assert_eq!(Ended::names(runs), ["first:succeeded", "long:-"]);
        in_flight(&runs[1]);
        assert!(!scratch.run_dir().join("never-ran").exists());
        assert_eq!(ended.journal["steady_states"]["after"], Value::Null);
        let played = strategy == "always";
        assert_eq!(scratch.run_dir().join("rb-ran").exists(), played);
        let expected: &[&str] = if played { &["rb:succeeded"] } else { &[] };
        assert_eq!(Ended::names(&ended.journal["rollbacks"]), expected);
    }
}

#[test]
fn a_signal_with_background_activities_keeps_each_of_them() {
    for signal in SIGNALS {
        let scratch = Scratch::new();
        let mut a = holding("bg-a", "marker-a");
        a["background"] = json!(true);
        let mut b = holding("bg-b", "marker-b");
        b["background"] = json!(true);
        let e = experiment(vec![a, b, holding("fg", "marker-fg")], vec![]);
        let mut running = Running::start(&scratch, &e, &[]);
        for marker in ["marker-a", "marker-b", "marker-fg"] {
            running.wait_for(marker);
        }
        running.signal(signal);
        let ended = running.finish();
        ended.interrupted(signal);
        let mut names = Ended::names(&ended.journal["run"]);
        names.sort();
        assert_eq!(names, ["bg-a:-", "bg-b:-", "fg:-"]);
    }
}

/// A pause is cut short: the activity before it completed and is kept; one whose before-pause was
/// interrupted never started and is not in the journal (as in Chaos Toolkit).
#[test]
fn a_signal_during_a_pause_ends_it() {
    for (signal, which) in [("-TERM", "after"), ("-INT", "before")] {
        let scratch = Scratch::new();
        let mut paused = touch("paused", "marker");
        let mut next = touch("next", "next-ran");
        match which {
            "after" => paused["pauses"] = json!({"after": 300}),
            _ => next["pauses"] = json!({"before": 300}),
        }
        let e = experiment(vec![paused, next], vec![]);
        let mut running = Running::start(&scratch, &e, &[]);
        running.wait_for("marker");
        running.wait_for_line(&format!(
            "Pausing {} for 300s...",
            if which == "after" {
                "after activity"
            } else {
                "before next activity"
            }
        ));
        running.signal(signal);
        let ended = running.finish();
        ended.interrupted(signal);
        assert_eq!(Ended::names(&ended.journal["run"]), ["paused:succeeded"]);
        assert!(!scratch.run_dir().join("next-ran").exists());
    }
}

#[test]
fn a_signal_in_the_steady_state_after_is_not_a_deviation() {
    for signal in SIGNALS {
        let scratch = Scratch::new();
        // Passes at once before the method; holds the second time, after it.
        let probe = json!({"type": "probe", "name": "probe", "tolerance": 0,
            "provider": {"type": "process", "path": "sh",
                         "arguments": format!("-c 'if [ -e before-done ]; then echo $$ >> pids; touch marker; exec sleep {FOREVER}; fi; touch before-done'")}});
        let mut e = experiment(
            vec![touch("method", "method-ran")],
            vec![touch("rb", "rb-ran")],
        );
        e["steady-state-hypothesis"] = json!({"title": "h", "probes": [probe]});
        let mut running = Running::start(&scratch, &e, &[]);
        running.wait_for("marker");
        running.signal(signal);
        let ended = running.finish();
        ended.interrupted(signal);
        assert_eq!(
            ended.journal["steady_states"]["before"]["steady_state_met"],
            true
        );
        assert_eq!(Ended::names(&ended.journal["run"]), ["method:succeeded"]);
        in_flight(&ended.journal["steady_states"]["after"]["probes"][0]);
        assert!(!scratch.run_dir().join("rb-ran").exists());
    }
}

/// A first signal during the rollbacks stops them, as in Chaos Toolkit, keeping the one in flight.
#[test]
fn a_signal_in_the_rollbacks_stops_them() {
    for signal in SIGNALS {
        let scratch = Scratch::new();
        let e = experiment(
            vec![touch("method", "method-ran")],
            vec![holding("rb", "marker"), touch("rb-next", "rb-next-ran")],
        );
        let mut running = Running::start(&scratch, &e, &[]);
        running.wait_for("marker");
        running.signal(signal);
        let ended = running.finish();
        ended.interrupted(signal);
        assert_eq!(Ended::names(&ended.journal["run"]), ["method:succeeded"]);
        assert_eq!(Ended::names(&ended.journal["rollbacks"]), ["rb:-"]);
        in_flight(&ended.journal["rollbacks"][0]);
        assert!(!scratch.run_dir().join("rb-next-ran").exists());
    }
}

/// Interrupted in the method with `always`, the rollbacks are played; a second Ctrl-C aborts them
/// with a message that says so.
#[test]
fn a_second_sigint_aborts_the_rollbacks() {
    let scratch = Scratch::new();
    let e = experiment(
        vec![holding("long", "marker")],
        vec![holding("rb", "rb-marker"), touch("rb-next", "rb-next-ran")],
    );
    let mut running = Running::start(&scratch, &e, &["--rollback-strategy", "always"]);
    running.wait_for("marker");
    running.signal("-INT");
    running.wait_for("rb-marker");
    running.signal("-INT");
    let ended = running.finish();
    ended.interrupted("-INT");
    assert!(
        ended
            .log
            .contains("ERROR] Received a second signal during the rollbacks: aborting them"),
        "{}",
        ended.log
    );
    assert_eq!(Ended::names(&ended.journal["run"]), ["long:-"]);
    assert_eq!(Ended::names(&ended.journal["rollbacks"]), ["rb:-"]);
    assert!(!scratch.run_dir().join("rb-next-ran").exists());
}

/// A process provider's timeout kills its whole process group, the `sh -c` form's children too.
#[test]
fn a_process_timeout_leaves_no_child_behind() {
    let scratch = Scratch::new();
    let mut long = holding("long", "marker");
    long["provider"]["timeout"] = json!(1);
    let outcome = scratch.run(&experiment(vec![long], vec![]));
    let (_, run) = outcome.completed_despite_failed_run(0);
    assert_eq!(
        run["exception"][0],
        "chaoslib.exceptions.ActivityFailed: process activity took too long to complete\n"
    );
    let pids = std::fs::read_to_string(scratch.run_dir().join("pids")).unwrap();
    assert_eq!(pids.lines().count(), 2, "{pids}");
    no_process_left(&scratch.run_dir());
}
