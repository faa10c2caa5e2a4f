//! The compatibility suite: every case in `tests/compat/cases/` is run with chaosrt and compared with
//! what the real `chaos run` did on it (`expected.json`, recorded by `tests/compat/record.py`), merged
//! with the case's `override.json` where chaosrt deliberately differs. The case format, the comparison
//! rules and the list of deliberate differences are in `tests/compat/README.md`.
//!
//! Every case is run and every mismatch reported at once. `COMPAT_CASES=07,21-tolerance-regex` runs
//! only the named cases (a name or its number).

use crate::support::{Outcome, Scratch, closed_port, workspace};
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Files of a case that are not copied into its working directory (kept in step with record.py).
const NOT_COPIED: &[&str] = &[
    "case.json",
    "expected.json",
    "override.json",
    "ctk.log",
    "settings.yaml",
];
const EXPERIMENT_FILES: &[&str] = &["experiment.json", "experiment.yaml", "experiment.yml"];
/// The fields expected.json (with override.json) may have.
const FIELDS: &[&str] = &[
    "exit_code",
    "journal",
    "status",
    "deviated",
    "steady_states",
    "run",
    "rollbacks",
    "journal_keys",
    "values",
    "log_contains",
    "log_ordered",
    "how",
];
const TIMEOUT: Duration = Duration::from_secs(60);
const WORKERS: usize = 4;
const MIN_CASES: usize = 45;

#[test]
fn chaosrt_matches_chaos_toolkit_on_every_compat_case() {
    let root = workspace().join("tests/compat/cases");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.len() >= MIN_CASES,
        "only {} compatibility cases in {}",
        names.len(),
        root.display()
    );
    if let Ok(only) = std::env::var("COMPAT_CASES") {
        let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
        names.retain(|n| {
            let number = n.split('-').next().unwrap_or_default();
            wanted.iter().any(|w| *w == n || *w == number)
        });
        assert!(!names.is_empty(), "COMPAT_CASES={only} names no case");
    }

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(String, Result<(), String>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(names.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(name) = names.get(i) else { break };
                    let result = std::panic::catch_unwind(|| run_case(&root.join(name)))
                        .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_text(&panic))));
                    results.lock().unwrap().push((name.clone(), result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));

    let failed: Vec<&(String, Result<(), String>)> =
        results.iter().filter(|(_, r)| r.is_err()).collect();
    let mut summary = String::new();
    for (name, result) in &results {
        let mark = if result.is_ok() { "pass" } else { "FAIL" };
        summary.push_str(&format!("  {mark} {name}\n"));
    }
    eprintln!(
        "compat: {} of {} cases match chaos\n{summary}",
        results.len() - failed.len(),
        results.len()
    );
    if !failed.is_empty() {
        let mut report = format!(
            "{} of {} compatibility cases do not match chaos:\n",
            failed.len(),
            results.len()
        );
        for (name, result) in &failed {
            if let Err(diff) = result {
                report.push_str(&format!("\n{name}:\n{diff}"));
            }
        }
        panic!("{report}");
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs one case with chaosrt and compares; `Err` holds every difference.
fn run_case(dir: &Path) -> Result<(), String> {
    let case = read_json(&dir.join("case.json"))?;
    let mut expected = read_json(&dir.join("expected.json")).map_err(|e| {
        format!("  no recorded expectation: run `python3 tests/compat/record.py` ({e})\n")
    })?;
    let override_path = dir.join("override.json");
    if override_path.exists() {
        let mut over = read_json(&override_path)?;
        let why = over
            .as_object_mut()
            .and_then(|o| o.remove("why"))
            .and_then(|w| w.as_str().map(str::to_owned))
            .unwrap_or_default();
        if why.trim().is_empty() {
            return Err("  override.json needs a \"why\"\n".into());
        }
        merge(&mut expected, over);
    }
    if let Some(object) = expected.as_object() {
        let unknown: Vec<&String> = object
            .keys()
            .filter(|k| !FIELDS.contains(&k.as_str()))
            .collect();
        if !unknown.is_empty() {
            return Err(format!("  unknown expectation fields {unknown:?}\n"));
        }
    }
    let experiment = {
        let found: Vec<&&str> = EXPERIMENT_FILES
            .iter()
            .filter(|f| dir.join(f).exists())
            .collect();
        match found.as_slice() {
            [one] => **one,
            _ => return Err(format!("  needs exactly one of {EXPERIMENT_FILES:?}\n")),
        }
    };

    let scratch = Scratch::new();
    let run_dir = scratch.run_dir();
    // No user settings: chaos is given --settings (record.py), chaosrt a home of its own, and
    // --settings when the case has settings.
    let home = scratch.dir.path().join("home");
    std::fs::create_dir_all(home.join(".config")).map_err(|e| e.to_string())?;
    let settings = scratch.dir.path().join("settings.yaml");
    let has_settings = dir.join("settings.yaml").exists();
    if has_settings {
        std::fs::copy(dir.join("settings.yaml"), &settings).map_err(|e| e.to_string())?;
    }
    let server = CaseServer::start(&run_dir)?;
    let placeholders = Placeholders {
        port: server.port,
        closed: closed_port(),
    };
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if NOT_COPIED.contains(&name.as_str()) || !entry.path().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
        let bytes = match String::from_utf8(bytes) {
            Ok(text) => placeholders.apply(&text).into_bytes(),
            Err(e) => e.into_bytes(),
        };
        std::fs::write(run_dir.join(&name), bytes).map_err(|e| e.to_string())?;
    }
    let args: Vec<String> = strings(&case["args"])
        .iter()
        .map(|a| placeholders.apply(a))
        .collect();
    let mut command = scratch.chaosrt();
    command
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"));
    if has_settings {
        command.arg("--settings").arg(&settings);
    }
    command.arg("run").args(&args).arg(experiment);
    if let Some(env) = case["env"].as_object() {
        for (k, v) in env {
            command.env(k, placeholders.apply(v.as_str().unwrap_or_default()));
        }
    }
    let output = run_with_timeout(command, TIMEOUT)?;
    drop(server);
    // chaosrt colours its log only on a terminal; strip colour anyway, as record.py does for chaos.
    let output = Output {
        stderr: strip_ansi(&String::from_utf8_lossy(&output.stderr)).into_bytes(),
        ..output
    };

    let journal_path = run_dir.join("journal.json");
    let journal: Option<Value> = match std::fs::read_to_string(&journal_path) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .map_err(|e| format!("  journal.json is not JSON: {e}\n"))?,
        ),
        Err(_) => None,
    };
    let outcome = Outcome::new(output, journal_path);
    let mut diffs = compare(&expected, &outcome, journal.as_ref());
    if !diffs.is_empty() {
        let lines: Vec<&str> = outcome.stderr.lines().collect();
        let tail = &lines[lines.len().saturating_sub(8)..];
        diffs.push_str("  chaosrt's log (last lines):\n");
        for line in tail {
            diffs.push_str(&format!("    {line}\n"));
        }
        return Err(diffs);
    }
    Ok(())
}

/// Every difference between the expectation and what chaosrt did, one `  field: …` line each.
fn compare(expected: &Value, outcome: &Outcome, journal: Option<&Value>) -> String {
    let mut diffs = String::new();
    let mut differ = |field: &str, want: &Value, got: &Value| {
        if want != got {
            diffs.push_str(&format!("  {field}: expected {want}, got {got}\n"));
        }
    };
    let null = Value::Null;
    differ(
        "exit_code",
        &expected["exit_code"],
        &Value::from(outcome.code),
    );
    differ(
        "journal",
        &expected["journal"],
        &Value::Bool(journal.is_some()),
    );
    let want_journal = expected["journal"].as_bool().unwrap_or(true);
    if let (Some(journal), true) = (journal, want_journal) {
        let ss = &journal["steady_states"];
        differ("status", &expected["status"], &journal["status"]);
        differ("deviated", &expected["deviated"], &journal["deviated"]);
        differ("journal_keys", &expected["journal_keys"], &keys(journal));
        differ("run", &expected["run"], &runs(&journal["run"]));
        differ(
            "rollbacks",
            &expected["rollbacks"],
            &runs(&journal["rollbacks"]),
        );
        let want_ss = &expected["steady_states"];
        if want_ss.is_null() {
            differ("steady_states", &null, ss);
        } else {
            differ(
                "steady_states.before",
                &want_ss["before"],
                &state(&ss["before"]),
            );
            differ(
                "steady_states.after",
                &want_ss["after"],
                &state(&ss["after"]),
            );
            let during = ss["during"].as_array().cloned().unwrap_or_default();
            let count = during.len() as u64;
            let min = want_ss["during_count_min"].as_u64().unwrap_or(0);
            let max = want_ss["during_count_max"].as_u64();
            if count < min || max.is_some_and(|m| count > m) {
                differ(
                    "steady_states.during count",
                    &Value::String(format!(
                        "{min}..{}",
                        max.map(|m| m.to_string()).unwrap_or_default()
                    )),
                    &Value::from(count),
                );
            }
            let last = during
                .last()
                .map(|s| s["steady_state_met"].clone())
                .unwrap_or(Value::Null);
            differ(
                "steady_states.during last met",
                &want_ss["during_last_met"],
                &last,
            );
        }
        if let Some(values) = expected["values"].as_object() {
            for (pointer, want) in values {
                let got = journal
                    .pointer(pointer)
                    .cloned()
                    .unwrap_or_else(|| Value::String("<missing>".into()));
                differ(&format!("values {pointer}"), want, &got);
            }
        }
    } else if let Some(journal) = journal {
        differ("status", &expected["status"], &journal["status"]);
    }
    let lines = outcome.lines();
    let ordered = expected["log_ordered"].as_bool().unwrap_or(true);
    let mut at = 0;
    let mut unmatched = Vec::new();
    for want in strings(&expected["log_contains"]) {
        let from = if ordered { at } else { 0 };
        match lines[from..].iter().position(|l| log_matches(&want, l)) {
            Some(i) => at = from + i + 1,
            None if ordered && lines.iter().any(|l| log_matches(&want, l)) => {
                unmatched.push(format!("out of order {want:?}"))
            }
            None => unmatched.push(format!("missing {want:?}")),
        }
    }
    for line in unmatched.iter().take(3) {
        diffs.push_str(&format!("  log: {line}\n"));
    }
    if unmatched.len() > 3 {
        diffs.push_str(&format!("  log: … and {} more\n", unmatched.len() - 3));
    }
    diffs
}

/// A recorded `LEVEL message` line matches the same line (trailing spaces aside). An ERROR line also
/// matches chaosrt's `ERROR   /json/pointer: message` form, where chaosrt may add detail after CTK's
/// message (`message: detail`, `message (hint)`): chaosrt reports every validation error at its
/// pointer, with more to go on.
fn log_matches(want: &str, got: &str) -> bool {
    let (want, got) = (want.trim_end(), got.trim_end());
    if want == got {
        return true;
    }
    let (Some(message), Some(rest)) = (want.strip_prefix("ERROR "), got.strip_prefix("ERROR "))
    else {
        return false;
    };
    rest.trim_start()
        .split_once(": ")
        .is_some_and(|(pointer, m)| {
            let extends = m.strip_prefix(message).is_some_and(|tail| {
                tail.is_empty() || tail.starts_with(": ") || tail.starts_with(" (")
            });
            pointer.starts_with('/') && !pointer.contains(' ') && extends
        })
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn keys(journal: &Value) -> Value {
    Value::Array(
        journal
            .as_object()
            .map(|o| o.keys().map(|k| Value::String(k.clone())).collect())
            .unwrap_or_default(),
    )
}

/// `[[name, status], …]` of a list of run entries.
fn runs(entries: &Value) -> Value {
    Value::Array(
        entries
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|r| Value::Array(vec![r["activity"]["name"].clone(), r["status"].clone()]))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// `{met, probes: [[name, status, tolerance_met], …]}` of a steady state, or null.
fn state(s: &Value) -> Value {
    if s.is_null() {
        return Value::Null;
    }
    let probes = s["probes"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|p| {
                    Value::Array(vec![
                        p["activity"]["name"].clone(),
                        p["status"].clone(),
                        p["tolerance_met"].clone(),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Map::new();
    out.insert("met".into(), s["steady_state_met"].clone());
    out.insert("probes".into(), Value::Array(probes));
    Value::Object(out)
}

/// Objects merge key by key (recursively); anything else is replaced.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (k, v) in over {
                match base.get_mut(&k) {
                    Some(slot @ Value::Object(_)) if v.is_object() => merge(slot, v),
                    _ => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// COMPAT_PORT and COMPAT_CLOSED_PORT, as record.py replaces them.
struct Placeholders {
    port: u16,
    closed: u16,
}

impl Placeholders {
    fn apply(&self, text: &str) -> String {
        text.replace("COMPAT_CLOSED_PORT", &self.closed.to_string())
            .replace("COMPAT_PORT", &self.port.to_string())
    }
}

/// `tests/compat/server.py` in a case's working directory, stopped when dropped.
struct CaseServer {
    child: Child,
    port: u16,
}

impl CaseServer {
    fn start(dir: &Path) -> Result<CaseServer, String> {
        let script: PathBuf = workspace().join("tests/compat/server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("  cannot start python3 {}: {e}\n", script.display()))?;
        let mut line = String::new();
        let read = child
            .stdout
            .take()
            .map(|out| BufReader::new(out).read_line(&mut line));
        match (read, line.trim().parse::<u16>()) {
            (Some(Ok(_)), Ok(port)) => Ok(CaseServer { child, port }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "  server.py did not print its port (got {line:?})\n"
                ))
            }
        }
    }
}

impl Drop for CaseServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to completion, or kills it after `timeout`.
fn run_with_timeout(mut command: Command, timeout: Duration) -> Result<Output, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("  cannot run chaosrt: {e}\n"))?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("  chaosrt did not finish within {timeout:?}\n"));
            }
            Err(e) => return Err(format!("  waiting for chaosrt: {e}\n")),
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}
