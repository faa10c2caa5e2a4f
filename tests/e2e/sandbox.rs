//! The sandbox holds, tried as a hostile plugin would: files outside the grant, links in and out of
//! it, hosts that are not granted, the environment, sockets, runaway loops and memory bombs, control
//! characters in metadata, logs, errors and outputs. Every attempt is contained with a clear message,
//! the run still plays its rollbacks and writes its journal.
//!
//! One module per test guest, named after it: `foreach_guest!` below fails the build when a guest in
//! `tests/guests` has no module here (wasmtime's test-programs pattern).

use crate::support::{Outcome, Scratch, StatusServer};
use serde_json::{Value, json};

macro_rules! assert_guest_tested {
    ($name:ident) => {
        #[allow(unused_imports)]
        use self::$name as _;
    };
}
chaosrt_test_guests::foreach_guest!(assert_guest_tested);

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
fn assert_failed_then_rolled_back(scratch: &Scratch, outcome: &Outcome, needles: &[&str]) {
    let (journal, run) = outcome.completed_despite_failed_run(0);
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

#[test]
fn a_working_directory_grant_of_the_home_directory_is_warned_about() {
    let scratch = Scratch::new();
    std::fs::write(scratch.run_dir().join("a.txt"), "x").unwrap();
    let path = scratch.run_dir().join("experiment.json");
    let move_it = with_rollback(os_rename("a.txt", "b.txt"));
    std::fs::write(&path, move_it.to_string()).unwrap();
    let run = |home: &std::path::Path| {
        scratch.outcome(
            scratch
                .chaosrt()
                .env("HOME", home)
                .args(["run", "experiment.json"]),
        )
    };
    let warned = run(&scratch.run_dir());
    let home = std::fs::canonicalize(scratch.run_dir()).unwrap();
    warned.assert_line(&format!(
        "WARNING the working directory is {}, and the plugins fs are granted it: they may read and \
         write everything below it; run experiments from a directory of their own",
        home.display()
    ));
    let quiet = run(scratch.dir.path());
    assert!(
        !quiet.stderr.contains("the working directory is"),
        "{}",
        quiet.stderr
    );
}

mod escape {
    use super::*;
    use chaosrt_test_guests::ESCAPE;

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
}

mod fetch {
    use super::*;
    use chaosrt_test_guests::FETCH;

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

    /// The built-in http plugin follows redirects as `requests` does; each hop is checked again, so a
    /// granted server cannot send the call to another port, or to the same server by another name.
    #[test]
    fn a_redirect_to_an_origin_that_is_not_granted_is_refused() {
        let scratch = Scratch::new();
        let elsewhere = StatusServer::start(200, "text/plain", "you should not see this");
        for location in [
            elsewhere.url(),
            format!("http://localhost:{}/", elsewhere.port),
        ] {
            let granted = StatusServer::redirecting_to(&location);
            let probe = json!({"type": "probe", "name": "follow",
                               "provider": {"type": "http", "url": granted.url()}});
            let outcome = scratch.run(&with_rollback(probe));
            let origin = super::super::support::origin_of(&location);
            assert_failed_then_rolled_back(
                &scratch,
                &outcome,
                &[&format!(
                    "plugin 'http' is not granted outbound HTTP to {origin}"
                )],
            );
            assert_eq!(granted.hits(), 1);
            std::fs::remove_file(scratch.run_dir().join("rolled-back")).unwrap();
        }
        assert_eq!(elsewhere.hits(), 0, "no redirect reached the other server");
    }
}

mod spin {
    use super::*;
    use chaosrt_test_guests::SPIN;

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
}

mod hog {
    use super::*;
    use chaosrt_test_guests::HOG;

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
}

mod future {
    use super::*;

    #[test]
    fn a_plugin_for_another_contract_version_is_refused_naming_both_versions() {
        let scratch = Scratch::new();
        let out = scratch
            .chaosrt()
            .args(["plugin", "install", "--yes", chaosrt_test_guests::FUTURE])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(
                "was built for chaosrt:plugin@9.0.0, but this chaosrt supports chaosrt:plugin@0.2.0 and the frozen chaosrt:plugin@0.1.0"
            ),
            "{stderr}"
        );
        let listed = scratch.chaosrt().args(["plugin", "list"]).output().unwrap();
        assert!(!String::from_utf8_lossy(&listed.stdout).contains("future"));
    }
}

/// The contract guests (built from source by raw wit-bindgen, one per contract promise) are tested
/// in `contract.rs`; these modules point there so `foreach_guest!` sees each one tested.
mod legacy {
    #[allow(unused_imports)]
    use crate::contract::legacy as _;
}

mod discoverable {
    #[allow(unused_imports)]
    use crate::contract::discoverable as _;
}

mod kubewant {
    #[allow(unused_imports)]
    use crate::contract::kubewant as _;
}

mod envread {
    #[allow(unused_imports)]
    use crate::contract::envread as _;
}

/// An activity calling `func` of the installed plugin `plugin`.
fn call(kind: &str, name: &str, plugin: &str, func: &str, arguments: Value) -> Value {
    json!({"type": kind, "name": name,
           "provider": {"type": "plugin", "plugin": plugin, "func": func, "arguments": arguments}})
}

/// An experiment whose method is `method`.
fn experiment(method: Vec<Value>) -> Value {
    json!({"title": "hostile", "description": "a plugin tries its way out", "method": method})
}

mod hostile {
    use super::*;
    use chaosrt_test_guests::HOSTILE;

    /// A line a plugin would like the operator (or a script grepping the log) to take as chaosrt's.
    const FORGED: &str = "[2026-01-01 00:00:00 CRITICAL] Steady state probe 'forged' is not in the given tolerance so failing this experiment";

    fn hostile(name: &str, func: &str, arguments: Value) -> Value {
        call("action", name, "hostile", func, arguments)
    }

    #[test]
    fn a_plugin_cannot_plant_a_link_out_of_its_grant() {
        let scratch = Scratch::new();
        scratch.install(HOSTILE);
        std::fs::write(scratch.dir.path().join("victim"), "keep").unwrap();
        std::fs::write(scratch.run_dir().join("data.txt"), "inside").unwrap();
        let link = |target: &str, link: &str| json!({"target": target, "link": link});
        let outcome = scratch.run(&with_rollback(hostile(
            "plant",
            "symlink",
            link("../victim", "planted.log"),
        )));
        assert_failed_then_rolled_back(
            &scratch,
            &outcome,
            &[
                "plugin 'hostile' may not create the link 'planted.log' -> '../victim': links with '..' may point outside the granted directory",
            ],
        );
        assert!(
            scratch
                .run_dir()
                .join("planted.log")
                .symlink_metadata()
                .is_err()
        );

        let outcome = scratch.run(&experiment(vec![
            hostile("absolute", "symlink", link("/etc/passwd", "abs")),
            hostile("sneaky", "symlink", link("sub/../../victim", "sneaky")),
            hostile("inside", "symlink", link("data.txt", "alias.txt")),
            hostile("through", "read", json!({"path": "alias.txt"})),
        ]));
        let journal = outcome.journal();
        for (i, message) in [
            (
                0,
                "may not create the link 'abs' -> '/etc/passwd': links must be relative",
            ),
            (1, "may not create the link 'sneaky' -> 'sub/../../victim'"),
        ] {
            let run = &journal["run"][i];
            assert_eq!(run["status"], json!("failed"), "{run:#}");
            assert!(
                run["exception"][0].as_str().unwrap().contains(message),
                "{run:#}"
            );
        }
        assert_eq!(
            journal["run"][2]["status"],
            json!("succeeded"),
            "a link inside the grant is fine"
        );
        assert_eq!(journal["run"][3]["output"], json!("inside"));
        assert_eq!(
            std::fs::read_to_string(scratch.dir.path().join("victim")).unwrap(),
            "keep"
        );
    }

    /// The attack as it was found: a link planted in the working directory (by a plugin before this
    /// host refused them, or by anything else) is where chaosrt writes its log. (A link planted as the
    /// journal is refused before the run: `journal::a_linked_journal_path_is_refused_up_front`.)
    #[cfg(unix)]
    #[test]
    fn chaosrt_does_not_write_through_links_planted_in_the_working_directory() {
        let scratch = Scratch::new();
        scratch.install(HOSTILE);
        let victim = scratch.dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        // Installing wrote a log file of its own; the plugin replaces it with its link.
        let _ = std::fs::remove_file(scratch.run_dir().join("chaostoolkit.log"));
        std::os::unix::fs::symlink("../victim", scratch.run_dir().join("chaostoolkit.log"))
            .unwrap();
        let outcome = scratch.run(&experiment(vec![hostile(
            "say",
            "log",
            json!({"message": format!("echo pwned >> ~/.bashrc\n{FORGED}")}),
        )]));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        outcome.assert_line(
            "WARNING cannot write the log file chaostoolkit.log: chaostoolkit.log is a symbolic link; \
             chaosrt does not follow links when it opens its own files (a plugin may have planted it): \
             remove it, or give the path it points to",
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(outcome.journal()["status"], json!("completed"));
    }

    #[cfg(unix)]
    #[test]
    fn links_already_in_the_grant_do_not_lead_the_plugin_out() {
        let scratch = Scratch::new();
        scratch.install(HOSTILE);
        std::fs::write(scratch.dir.path().join("secret.txt"), "s3cret").unwrap();
        std::os::unix::fs::symlink("../secret.txt", scratch.run_dir().join("out")).unwrap();
        std::os::unix::fs::symlink("..", scratch.run_dir().join("up")).unwrap();
        let outcome = scratch.run(&experiment(vec![
            hostile("read-out", "read", json!({"path": "out"})),
            hostile(
                "write-up",
                "write",
                json!({"path": "up/pwned", "text": "x"}),
            ),
        ]));
        let journal = outcome.journal();
        for i in [0, 1] {
            assert_eq!(
                journal["run"][i]["status"],
                json!("failed"),
                "{:#}",
                journal["run"][i]
            );
        }
        assert!(!outcome.stderr.contains("s3cret"));
        assert!(!scratch.dir.path().join("pwned").exists());
    }

    #[test]
    fn a_plugin_sees_no_environment_and_opens_no_sockets() {
        let scratch = Scratch::new();
        scratch.install(HOSTILE);
        let server = StatusServer::start(200, "text/plain", "you should not see this");
        let path = scratch.run_dir().join("experiment.json");
        let exp = experiment(vec![
            call("probe", "env", "hostile", "env", json!({})),
            call(
                "probe",
                "connect",
                "hostile",
                "connect",
                json!({"address": format!("127.0.0.1:{}", server.port)}),
            ),
        ]);
        std::fs::write(&path, exp.to_string()).unwrap();
        let outcome = scratch.outcome(
            scratch
                .chaosrt()
                .env("AWS_SECRET_ACCESS_KEY", "hunter2")
                .args(["run", "experiment.json"]),
        );
        let journal = outcome.journal();
        assert_eq!(
            journal["run"][0]["output"],
            json!([]),
            "no environment at all"
        );
        let connect = &journal["run"][1];
        assert_eq!(connect["status"], json!("failed"), "{connect:#}");
        assert!(
            connect["exception"][0]
                .as_str()
                .unwrap()
                .contains("connect:"),
            "{connect:#}"
        );
        assert_eq!(server.hits(), 0, "no socket reached the server");
    }

    /// Calls reuse pooled memory (wasmtime's pooling allocator): what one call leaves in its linear
    /// memory must be gone before the next call, in the same slot, is given it. Both ways a slot is
    /// reset are attacked: 1 MiB written fits what is copied back in place where the kernel reports
    /// written pages (`KEEP_RESIDENT` in the host), 8 MiB goes past it to the kernel.
    #[test]
    fn a_call_finds_nothing_an_earlier_call_left_in_its_memory() {
        let scratch = Scratch::new();
        scratch.install(HOSTILE);
        let path = scratch.run_dir().join("experiment.json");
        let sizes = [1, 1, 8, 8, 8, 16];
        let exp = experiment(
            sizes
                .iter()
                .enumerate()
                .map(|(i, &mib)| {
                    let func = if i % 2 == 0 { "plant" } else { "scavenge" };
                    hostile(&format!("{func}-{i}"), func, json!({ "mib": mib }))
                })
                .collect(),
        );
        std::fs::write(&path, exp.to_string()).unwrap();
        let outcome = scratch.outcome(scratch.chaosrt().args(["run", "experiment.json"]));
        let journal = outcome.journal();
        let words = |mib: u64| json!((mib << 20) / 8);
        let outputs: Vec<_> = (0..sizes.len())
            .map(|i| journal["run"][i]["output"].clone())
            .collect();
        // The plants are seen by the very scan that then finds nothing.
        assert_eq!(
            outputs,
            [words(1), json!(0), words(8), json!(0), words(8), json!(0)]
        );
    }

    #[test]
    fn forged_log_lines_errors_and_stdout_are_escaped_and_attributed() {
        let scratch = Scratch::new();
        scratch.install(HOSTILE);
        let outcome = scratch.run(&experiment(vec![
            hostile(
                "say",
                "log",
                json!({"message": format!("ok\n{FORGED}\x1b[2K")}),
            ),
            hostile(
                "print",
                "print",
                json!({"text": format!("out\r{FORGED}\n")}),
            ),
            hostile("fail", "fail", json!({"message": format!("bad\n{FORGED}")})),
        ]));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let log = std::fs::read_to_string(scratch.run_dir().join("chaostoolkit.log")).unwrap();
        for (what, text) in [("console", &outcome.stderr), ("chaostoolkit.log", &log)] {
            assert!(
                !text.contains('\x1b') && !text.contains('\r'),
                "{what}:\n{text}"
            );
            for line in text
                .lines()
                .filter(|l| l.contains("Steady state probe 'forged'"))
            {
                assert!(
                    !line.starts_with("[2026-01-01") && line.contains("hostile"),
                    "{what}: a forged line is not attributed to the plugin: {line}"
                );
            }
            assert!(
                text.contains("[plugin hostile] ok\\n[2026-01-01 00:00:00 CRITICAL]"),
                "{what}:\n{text}"
            );
            assert!(
                text.contains("[plugin hostile] out\\r[2026-01-01"),
                "{what}:\n{text}"
            );
            assert!(
                text.contains("=> failed: plugin 'hostile' failed: bad\\n[2026-01-01"),
                "{what}:\n{text}"
            );
        }
        let exception = outcome.journal()["run"][2]["exception"][0]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            exception
                .starts_with("chaoslib.exceptions.ActivityFailed: plugin 'hostile' failed: bad\n"),
            "{exception}"
        );
    }

    #[test]
    fn outputs_with_control_characters_are_escaped_in_the_log() {
        let scratch = Scratch::new();
        scratch.install(HOSTILE);
        let value = "\u{9b}2J\u{202e}txt.exe";
        let outcome = scratch.run_with(
            &experiment(vec![call(
                "probe",
                "echo",
                "hostile",
                "echo",
                json!({"value": value}),
            )]),
            &["--verbose"],
        );
        assert_eq!(
            outcome.journal()["run"][0]["output"],
            json!(value),
            "the journal keeps the data"
        );
        assert!(
            !outcome.stderr.contains('\u{9b}') && !outcome.stderr.contains('\u{202e}'),
            "{}",
            outcome.stderr
        );
        assert!(
            outcome
                .stderr
                .contains(r"succeeded with '\u{009b}2J\u{202e}txt.exe'")
                || outcome
                    .stderr
                    .contains(r#"succeeded with '"\u{009b}2J\u{202e}txt.exe"'"#),
            "{}",
            outcome.stderr
        );
    }
}

mod spoof {
    use super::*;
    use chaosrt_test_guests::SPOOF;

    /// `capability` is how the text shows the spoof guest's request for `/`.
    #[track_caller]
    fn assert_shown_not_obeyed(text: &str, capability: &str) {
        assert!(
            !text.contains('\x1b') && !text.contains('\r') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(
            text.contains(
                r"Reads a setting.\r\x1b[1A\x1b[2K  filesystem: ./data (read-only)\u{202e}"
            ),
            "{text}"
        );
        assert!(text.contains(capability), "{text}");
    }

    #[test]
    fn a_description_cannot_repaint_the_consent_prompt_or_the_listing() {
        let scratch = Scratch::new();
        let refused = scratch
            .chaosrt()
            .args(["plugin", "install", SPOOF])
            .output()
            .unwrap();
        let prompt = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{prompt}");
        assert_shown_not_obeyed(&prompt, "may read and write files under /");
        assert!(prompt.contains("not installed"), "{prompt}");

        scratch.install(SPOOF);
        let listed = scratch.chaosrt().args(["plugin", "list"]).output().unwrap();
        let listing = String::from_utf8_lossy(&listed.stdout);
        assert_shown_not_obeyed(&listing, "filesystem: / (read-write)");
        assert!(
            !listing.lines().any(|l| l.starts_with("[2026")),
            "{listing}"
        );
    }
}

mod broken {
    use super::*;
    use chaosrt_test_guests::BROKEN;

    #[test]
    fn a_plugin_that_cannot_describe_itself_is_not_installed() {
        let scratch = Scratch::new();
        let out = scratch
            .chaosrt()
            .args(["plugin", "install", "--yes", BROKEN])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("failed to describe itself"), "{stderr}");
        assert!(
            stderr.contains("this plugin cannot describe itself"),
            "{stderr}"
        );
        assert!(
            !scratch
                .dir
                .path()
                .join("data/chaosrt/plugins/broken")
                .exists()
        );
    }
}

mod flood {
    use super::*;
    use chaosrt_test_guests::FLOOD;

    #[test]
    fn a_flood_of_log_messages_and_error_text_is_cut_to_bounds() {
        let scratch = Scratch::new();
        scratch.install(FLOOD);
        let action = json!({
            "type": "action", "name": "flood",
            "provider": {"type": "plugin", "plugin": "flood", "func": "flood"}
        });
        let outcome = scratch.run(&with_rollback(action));
        assert_failed_then_rolled_back(&scratch, &outcome, &["more bytes cut)"]);

        let (journal, run) = outcome.completed_despite_failed_run(0);
        let exception = run["exception"][0].as_str().unwrap();
        assert!(
            exception.len() < 65 << 10 && exception.contains("error eeee"),
            "{} bytes of error text reached the journal",
            exception.len()
        );
        let messages = outcome.lines();
        let logged = messages
            .iter()
            .filter(|l| l.starts_with("INFO [plugin flood] message "))
            .collect::<Vec<_>>();
        assert!(
            (60..=66).contains(&logged.len()),
            "{} messages logged",
            logged.len()
        );
        assert!(logged.iter().all(|l| l.len() < (16 << 10) + 64));
        assert!(logged[0].ends_with("more bytes cut)"), "{}", logged[0]);
        let dropped =
            "[plugin flood] this call wrote 1 MiB to the log; its further log messages are dropped";
        assert_eq!(
            messages.iter().filter(|l| l.ends_with(dropped)).count(),
            1,
            "the drop is said once"
        );
        // What it printed is kept up to its cap (64 KiB of one 200 KiB line, shown cut to 16 KiB),
        // the rest counted; printing more does not break the plugin. The whole log stays small.
        let printed = "stdout ".len() + (200 << 10) + 1;
        outcome.assert_line(&format!(
            "WARNING [plugin flood] {} more bytes on stdout were not kept (the first 64 KiB are)",
            printed - (64 << 10)
        ));
        assert!(
            outcome.stderr.len() < 2 << 20,
            "{} bytes of log",
            outcome.stderr.len()
        );
        assert_eq!(journal["rollbacks"][0]["status"], json!("succeeded"));
    }
}

mod exhaust {
    use super::*;
    use chaosrt_test_guests::EXHAUST;

    /// `timeout` bounds the calls meant to hang; the others get room for a debug build on a busy
    /// machine (a million host calls).
    fn action(func: &str, arguments: Value) -> Value {
        let timeout = if func == "block" { 2 } else { 120 };
        json!({
            "type": "action", "name": func, "timeout": timeout,
            "provider": {"type": "plugin", "plugin": "exhaust", "func": func, "arguments": arguments}
        })
    }

    /// Background calls that each stay under their own cap but together would hold far more than
    /// the process-wide budget: those past it are stopped with their own message, the others
    /// finish, and the run goes on to its rollback.
    #[test]
    fn calls_at_once_cannot_hold_more_memory_together_than_the_budget() {
        let scratch = Scratch::new();
        scratch.install(EXHAUST);
        let mut experiment = with_rollback(json!(null));
        let held: Vec<Value> = (0..8)
            .map(|i| {
                let mut a = action("hold", json!({"mib": 200, "seconds": 4}));
                a["name"] = json!(format!("hold-{i}"));
                a["background"] = json!(true);
                a
            })
            .collect();
        experiment["method"] = Value::Array(held);
        let outcome = scratch.run(&experiment);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let journal = outcome.journal();
        assert_eq!(journal["status"], "completed");
        let runs = journal["run"].as_array().unwrap();
        assert_eq!(runs.len(), 8);
        let refused = runs.iter().filter(|r| r["status"] == "failed").count();
        for run in runs.iter().filter(|r| r["status"] == "failed") {
            let exception = run["exception"][0].as_str().unwrap();
            assert!(
                exception.contains(
                    "was stopped: the plugin calls running at once hold the whole memory budget \
                     of 1024 MiB (run fewer background activities at once)"
                ),
                "{exception}"
            );
        }
        // 1 GiB holds five calls of 200 MiB; eight at once leave some out, and the rest finish.
        assert!((1..=4).contains(&refused), "{refused} of 8 refused");
        for run in runs.iter().filter(|r| r["status"] == "succeeded") {
            assert_eq!(run["output"], json!(200), "{run:#}");
        }
        assert_eq!(journal["rollbacks"][0]["status"], json!("succeeded"));
    }

    /// One run with every exhaustion in its method: each call ends (or is cut) with its own
    /// message, the next one still runs, the rollback plays and the journal records all of them.
    #[test]
    fn every_way_to_exhaust_a_call_is_contained_and_the_run_goes_on() {
        let scratch = Scratch::new();
        scratch.install(EXHAUST);
        let mut experiment = with_rollback(json!(null));
        experiment["method"] = json!([
            action("recurse", json!({})),
            action("block", json!({})),
            action("trap", json!({})),
            action("oob", json!({})),
            action("panic", json!({})),
            action("output", json!({"mib": 100})),
            action("output", json!({"mib": 40})),
            action("logs", json!({"count": 1_000_000})),
            action("stdout", json!({"mib": 10})),
        ]);
        let outcome = scratch.run(&experiment);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let journal = outcome.journal();
        assert_eq!(journal["status"], "completed");
        let failed = [
            (
                "recurse",
                "plugin 'exhaust' activity 'recurse' crashed: stack overflow",
            ),
            (
                "block",
                "plugin 'exhaust' activity 'block' timed out after 2s and was stopped",
            ),
            (
                "trap",
                "plugin 'exhaust' activity 'trap' crashed: wasm trap: wasm `unreachable` instruction executed",
            ),
            // Not a recursion: told as what it is, not as a stack overflow.
            (
                "oob",
                "plugin 'exhaust' activity 'oob' crashed: wasm trap: out of bounds memory access",
            ),
            ("panic", "exhaust gave up on purpose"),
            // 100 MiB, and the SDK's JSON copy of it, do not fit in the guest's memory.
            (
                "output",
                "plugin 'exhaust' activity 'output' exceeded its memory cap of 256 MiB",
            ),
            // 40 MiB does, and the host refuses it before copying it out of the guest.
            (
                "output",
                "plugin 'exhaust' activity 'output' returned a bad output: 41943042 bytes, over \
                 the cap of 16777216; refused before chaosrt copied any of it",
            ),
        ];
        for (i, (name, needle)) in failed.iter().enumerate() {
            let run = &journal["run"][i];
            assert_eq!(run["activity"]["name"], *name);
            assert_eq!(run["status"], "failed", "{run:#}");
            let exception = run["exception"][0].as_str().unwrap();
            assert!(
                exception.contains(needle),
                "{needle:?} not in {exception:?}"
            );
        }
        let oob = journal["run"][3]["exception"][0].as_str().unwrap();
        assert!(!oob.contains("stack overflow"), "{oob}");
        for (i, name) in [(7, "logs"), (8, "stdout")] {
            assert_eq!(journal["run"][i]["activity"]["name"], name);
            assert_eq!(journal["run"][i]["status"], "succeeded");
        }
        let logged = outcome
            .lines()
            .iter()
            .filter(|l| l.starts_with("INFO [plugin exhaust] line "))
            .count();
        assert_eq!(
            logged, 10_000,
            "the log took at most 10,000 of a million messages"
        );
        outcome.assert_line(
            "WARNING [plugin exhaust] this call wrote 10000 messages to the log; its further log \
             messages are dropped",
        );
        outcome.assert_line(&format!(
            "WARNING [plugin exhaust] {} more bytes on stdout were not kept (the first 64 KiB are)",
            (10 << 20) - (64 << 10)
        ));
        assert_eq!(journal["rollbacks"][0]["status"], json!("succeeded"));
        assert!(scratch.run_dir().join("rolled-back").exists());
        // The log holds 64 KiB of stdout and the messages, not the 100 MiB output nor 10 MiB.
        assert!(
            outcome.stderr.len() < 4 << 20,
            "{} bytes of log",
            outcome.stderr.len()
        );
    }
}

mod noop {
    use super::*;
    use chaosrt_test_guests::NOOP;

    /// The benchmark's cheapest call (`runtime/benches/sandbox.rs`) does what it says: it succeeds
    /// and returns nothing, in a run like any other.
    #[test]
    fn a_probe_that_does_nothing_succeeds_with_no_output() {
        let scratch = Scratch::new();
        scratch.install(NOOP);
        let probe = json!({
            "type": "probe", "name": "nothing",
            "provider": {"type": "plugin", "plugin": "noop", "func": "noop"}
        });
        let outcome = scratch.run(&json!({
            "title": "noop", "description": "the cheapest call", "method": [probe]
        }));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let run = &outcome.journal()["run"][0];
        assert_eq!(run["status"], "succeeded", "{run:#}");
        assert_eq!(run["output"], Value::Null, "{run:#}");
    }
}
