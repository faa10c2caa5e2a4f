//! Plugins in other languages: the Python, JavaScript and C examples under `examples/plugins/`, and
//! the projects `chaosrt plugin new` writes in every language. Each is built from source here with
//! the tools `scripts/toolchains` installs (a test fails, never skips, when they cannot be had),
//! installed as a user would, and called by an experiment; each example is also shown to be held to
//! its grant.

use super::support::{Outcome, Scratch, StatusServer, assert_ok, origin_of, workspace};
use serde_json::{Value, json};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where `scripts/toolchains` put the tools, and the `PATH` that finds them (and this chaosrt, and
/// the workspace's `chaosrt-wit-c`).
struct Toolchains {
    python_venv: PathBuf,
    path: OsString,
}

/// Installs what is missing (idempotent, serialised by the script's lock) and reads where it is.
fn toolchains() -> &'static Toolchains {
    static TOOLCHAINS: OnceLock<Toolchains> = OnceLock::new();
    TOOLCHAINS.get_or_init(|| {
        let out = Command::new(workspace().join("scripts/toolchains"))
            .arg("--env")
            .output()
            .expect("run scripts/toolchains");
        assert!(
            out.status.success(),
            "scripts/toolchains could not install the plugin toolchains (these tests need them):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let exported = |name: &str| -> PathBuf {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}='"))?.strip_suffix('\''))
                .unwrap_or_else(|| panic!("scripts/toolchains --env printed no {name}:\n{text}"))
                .into()
        };
        let python_venv = exported("CHAOSRT_TOOLCHAINS_PYTHON");
        let node_modules = exported("CHAOSRT_TOOLCHAINS_NODE");
        let mut dirs = vec![
            python_venv.join("bin"),
            node_modules.join(".bin"),
            bin_dir(),
        ];
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        Toolchains {
            python_venv,
            path: std::env::join_paths(dirs).unwrap(),
        }
    })
}

/// The directory of the chaosrt under test; the workspace's `chaosrt-wit-c` is built beside it.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_chaosrt"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `sh -ec script` in `dir` with the toolchains on PATH (and `scratch`'s chaosrt directories), as
/// a user's shell would run it after `eval "$(scripts/toolchains --env)"`.
fn shell(scratch: &Scratch, dir: &Path, script: &str) -> std::process::Output {
    let tools = toolchains();
    let home = std::env::var_os("HOME").unwrap_or_default();
    scratch
        .command("sh")
        .args(["-ec", script])
        .current_dir(dir)
        .env("PATH", &tools.path)
        // The scratch moves XDG_CACHE_HOME for chaosrt; pip keeps using the user's cache.
        .env("PIP_CACHE_DIR", Path::new(&home).join(".cache/pip"))
        // A project's own `cargo build` writes its own target/, as its README says.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .unwrap()
}

#[track_caller]
fn assert_shell_ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The example `examples/plugins/LANG` built by its `build.sh`, once per test run; its component.
fn example(lang: &'static str, component: &str) -> PathBuf {
    let dir = workspace().join("examples/plugins").join(lang);
    let built = dir.join("build").join(component);
    let _ = std::fs::remove_file(&built);
    let scratch = Scratch::new();
    let out = shell(&scratch, &dir, "./build.sh");
    assert_shell_ok(&out, &format!("examples/plugins/{lang}/build.sh"));
    assert!(built.is_file(), "{} was not built", built.display());
    built
}

fn python_example() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| example("python", "jmespath-probe.wasm"))
}

fn js_example() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| example("js", "latency-probe.wasm"))
}

fn c_example() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| example("c", "checksum-probe.wasm"))
}

/// Held while a test installs (compiles) a component: a Python or JavaScript component takes tens
/// of CPU-seconds to compile, and several at once on a loaded 2-core machine could overrun
/// `plugin install`'s compile timeout, which the README commands these tests run leave at its
/// default.
static COMPILING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn compiling() -> std::sync::MutexGuard<'static, ()> {
    COMPILING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `chaosrt plugin install FILE` with `grant` (`--yes`, or `--grant …` pairs), as a user types it.
fn install(scratch: &Scratch, component: &Path, grant: &[&str]) {
    let _one_at_a_time = compiling();
    let out = scratch
        .chaosrt()
        .args(["plugin", "install"])
        .args(grant)
        .arg(component)
        .output()
        .unwrap();
    assert_ok(&out);
}

fn probe(name: &str, plugin: &str, func: &str, arguments: Value) -> Value {
    json!({"type": "probe", "name": name,
           "provider": {"type": "plugin", "plugin": plugin, "func": func, "arguments": arguments}})
}

fn experiment(method: Vec<Value>) -> Value {
    json!({"title": "a plugin in another language", "description": "examples/plugins", "method": method})
}

/// The message of a failed run in the journal.
#[track_caller]
fn failure(run: &Value) -> String {
    assert_eq!(run["status"], json!("failed"), "{run:#}");
    run["exception"]
        .as_array()
        .map(|lines| lines.iter().filter_map(Value::as_str).collect::<String>())
        .unwrap_or_default()
}

mod python {
    use super::*;

    /// Bodies the JSON API serves, and expressions asked of each: filters, functions, projections,
    /// multi-selects, errors (a function given the wrong type) and Unicode.
    const BODIES: &[&str] = &[
        r#"{"replicas": [{"name": "a", "healthy": true, "latency": 12.5},
                          {"name": "b", "healthy": false, "latency": 40},
                          {"name": "c", "healthy": true, "latency": 7}],
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}"#,
        r#"[1, 2, 3, {"a": null}, "x"]"#,
        r#"{"unicode": "h\u00e9llo \u2713", "nested": {"a": {"b": {"c": [0, [1, [2]]]}}},
            "empty": {}, "num": -0.5e3, "replicas": "not a list"}"#,
    ];
    const EXPRESSIONS: &[&str] = &[
        "replicas[?healthy].name",
        "length(replicas[?healthy])",
        "status.phase",
        "max_by(replicas, &latency).name",
        "sort_by(replicas, &latency)[].latency",
        "status.conditions[?type=='Ready'] | [0].status",
        "missing.field",
        "[?@ > `1`]",
        "[-1]",
        "nested.a.b.c[1][1][0]",
        "unicode",
        "keys(@)",
        "sum(replicas[].latency)",
        "{names: replicas[].name, n: length(replicas)}",
        "to_string(num)",
        "empty || 'fallback'",
    ];

    /// What `jmespath` answers natively (the same version, in the toolchain's venv): `{"ok": value}`
    /// or `{"error": type}` per (body, expression).
    fn native(cases: &[(&str, &str)]) -> Vec<Value> {
        let script = r#"
import json, sys, jmespath
out = []
for body, expression in json.load(sys.stdin):
    try:
        out.append({"ok": jmespath.search(expression, json.loads(body))})
    except Exception as e:
        out.append({"error": type(e).__name__})
json.dump(out, sys.stdout)
"#;
        let mut child = Command::new(toolchains().python_venv.join("bin/python3"))
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        serde_json::to_writer(child.stdin.take().unwrap(), &cases).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_ok(&out);
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// One install (a Python component compiles for tens of seconds), with `--grant`: the table
    /// of expressions, then a redirect out of the grant.
    #[test]
    fn answers_as_jmespath_does_natively_and_is_held_to_its_grant() {
        let scratch = Scratch::new();
        install(
            &scratch,
            python_example(),
            &["--grant", "http-argument=url"],
        );
        let servers: Vec<StatusServer> = BODIES
            .iter()
            .map(|body| StatusServer::start(200, "application/json", body))
            .collect();
        let mut cases = Vec::new();
        let mut method = Vec::new();
        for (server, body) in servers.iter().zip(BODIES) {
            for expression in EXPRESSIONS {
                cases.push((*body, *expression));
                method.push(probe(
                    &format!("q{}", method.len()),
                    "jmespath-probe",
                    "query",
                    json!({"url": server.url(), "expression": expression}),
                ));
            }
        }
        let outcome = scratch.run(&experiment(method));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let journal = outcome.journal();
        let expected = native(&cases);
        let mut errors = 0;
        for (i, ((body, expression), native)) in cases.iter().zip(&expected).enumerate() {
            let run = &journal["run"][i];
            let context = format!("{expression:?} on {body}: native {native}, plugin {run:#}");
            match native.get("ok") {
                Some(value) => {
                    assert_eq!(run["status"], json!("succeeded"), "{context}");
                    assert_eq!(&run["output"], value, "{context}");
                }
                None => {
                    errors += 1;
                    let error = native["error"].as_str().unwrap();
                    assert!(
                        failure(run).contains(&format!("evaluating `{expression}`: {error}: ")),
                        "{context}"
                    );
                }
            }
        }
        assert!(errors > 0, "the table has expressions jmespath refuses");
        assert!(errors < cases.len() / 2, "most expressions answer");

        // It follows redirects as `requests` does; the host checks every hop against the grant
        // (the origin of the URL the experiment wrote), so a JSON API cannot send it elsewhere.
        assert_a_redirect_out_of_the_grant_is_refused(
            &scratch,
            "jmespath-probe",
            "query",
            json!({"expression": "secret"}),
        );
    }
}

/// Runs `plugin`'s `func` on a server that redirects to another origin: the run fails with the
/// host's refusal naming the grant, and the other origin is never reached.
#[track_caller]
fn assert_a_redirect_out_of_the_grant_is_refused(
    scratch: &Scratch,
    plugin: &str,
    func: &str,
    arguments: Value,
) {
    let elsewhere = StatusServer::start(200, "application/json", r#"{"secret": 1}"#);
    let granted = StatusServer::redirecting_to(&elsewhere.url());
    let mut arguments = arguments;
    arguments["url"] = json!(granted.url());
    let outcome = scratch.run(&experiment(vec![probe("follow", plugin, func, arguments)]));
    let (_, run) = outcome.completed_despite_failed_run(0);
    let origin = origin_of(&elsewhere.url());
    let message = failure(&run);
    assert!(
        message.contains(&format!(
            "plugin '{plugin}' is not granted outbound HTTP to {origin}; it needs the capability \
             `http-origin: {origin}`"
        )),
        "{message}\n{}",
        outcome.stderr
    );
    assert_eq!(granted.hits(), 1);
    assert_eq!(elsewhere.hits(), 0, "the host refused before connecting");
}

mod js {
    use super::*;

    /// One install (a JavaScript component compiles for tens of seconds), with `--grant`:
    /// percentiles, arguments it refuses, then a redirect out of the grant (with
    /// `follow_redirects` each hop is a new `fetch`, which the host checks).
    #[test]
    fn reports_latency_percentiles_and_is_held_to_its_grant() {
        let scratch = Scratch::new();
        install(&scratch, js_example(), &["--grant", "http-argument=url"]);
        let server = StatusServer::start(200, "text/plain", "pong");
        let outcome = scratch.run(&experiment(vec![
            probe(
                "latency",
                "latency-probe",
                "latency",
                json!({"url": server.url(), "requests": 25, "percentiles": [50, 90, 99, 100]}),
            ),
            probe(
                "too-many",
                "latency-probe",
                "latency",
                json!({"url": server.url(), "requests": 5000}),
            ),
        ]));
        let (journal, refused) = outcome.completed_despite_failed_run(1);
        assert!(
            failure(&refused).contains("`requests` must be an integer from 1 to 1000"),
            "{refused:#}"
        );
        let run = &journal["run"][0];
        assert_eq!(run["status"], json!("succeeded"), "{run:#}");
        let output = &run["output"];
        assert_eq!(output["requests"], json!(25), "{output:#}");
        assert_eq!(output["statuses"], json!({"200": 25}), "{output:#}");
        assert_eq!(
            server.hits(),
            25,
            "one request each, none for the refused call"
        );
        let ms = |key: &str| {
            output["percentiles_ms"][key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} in {output:#}"))
        };
        let (min, max) = (
            output["min_ms"].as_f64().unwrap(),
            output["max_ms"].as_f64().unwrap(),
        );
        assert!(min > 0.0, "{output:#}");
        assert!(
            min <= ms("p50") && ms("p50") <= ms("p90") && ms("p90") <= ms("p99"),
            "{output:#}"
        );
        assert_eq!(ms("p100"), max, "{output:#}");

        assert_a_redirect_out_of_the_grant_is_refused(
            &scratch,
            "latency-probe",
            "latency",
            json!({"requests": 1, "follow_redirects": true}),
        );
    }
}

mod c {
    use super::*;
    use sha2::Digest;

    fn checksum(path: &str) -> Value {
        probe(
            &format!("checksum {path}"),
            "checksum-probe",
            "checksum",
            json!({"path": path}),
        )
    }

    #[test]
    fn the_probe_answers_the_sha256_of_a_file_in_its_grant() {
        let scratch = Scratch::new();
        install(
            &scratch,
            c_example(),
            &["--grant", "filesystem=.:read-only"],
        );
        let content: Vec<u8> = (0..200_003u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::create_dir(scratch.run_dir().join("conf")).unwrap();
        std::fs::write(scratch.run_dir().join("conf/app.yaml"), &content).unwrap();
        std::fs::write(scratch.run_dir().join("empty"), b"").unwrap();
        let outcome = scratch.run(&experiment(vec![
            checksum("conf/app.yaml"),
            checksum("empty"),
            checksum("missing.txt"),
        ]));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let journal = outcome.journal();
        let hex = |bytes: &[u8]| format!("{:x}", sha2::Sha256::digest(bytes));
        assert_eq!(
            journal["run"][0]["output"],
            json!({"path": "conf/app.yaml", "bytes": content.len(), "sha256": hex(&content)})
        );
        assert_eq!(
            journal["run"][1]["output"],
            json!({"path": "empty", "bytes": 0, "sha256": hex(b"")})
        );
        let missing = failure(&journal["run"][2]);
        assert!(
            missing.contains("cannot read 'missing.txt'") && !missing.contains("grant"),
            "{missing}"
        );
    }

    /// A parent path, an absolute one and a link out of the grant (made by someone else) all end
    /// at the sandbox's preopen; the plugin's error names its grant.
    #[test]
    fn files_outside_its_grant_are_refused_naming_the_grant() {
        let scratch = Scratch::new();
        install(&scratch, c_example(), &["--yes"]);
        std::fs::write(scratch.dir.path().join("secret.txt"), "s3cret").unwrap();
        std::os::unix::fs::symlink("../secret.txt", scratch.run_dir().join("link.txt")).unwrap();
        let outcome = scratch.run(&experiment(vec![
            checksum("../secret.txt"),
            checksum(&scratch.dir.path().join("secret.txt").display().to_string()),
            checksum("link.txt"),
        ]));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let journal = outcome.journal();
        for i in 0..3 {
            let message = failure(&journal["run"][i]);
            assert!(
                message.contains(
                    "outside the directory this plugin was granted (filesystem: . read-only)"
                ),
                "{message}"
            );
        }
        assert!(!outcome.stderr.contains("s3cret"));
    }

    #[test]
    fn a_path_that_is_not_a_string_is_refused() {
        let scratch = Scratch::new();
        install(&scratch, c_example(), &["--yes"]);
        let outcome = scratch.run(&experiment(vec![
            probe("number", "checksum-probe", "checksum", json!({"path": 3})),
            probe(
                "nul",
                "checksum-probe",
                "checksum",
                json!({"path": "a\u{0}b"}),
            ),
        ]));
        let journal = outcome.journal();
        assert!(failure(&journal["run"][0]).contains("`path` must be a string"));
        assert!(failure(&journal["run"][1]).contains("`path` must not hold NUL"));
    }
}

/// `chaosrt plugin new NAME --lang L`, then the commands of the generated README's Build and Test
/// sections, as written, in the project.
mod new {
    use super::*;

    /// The commands of the first ```sh block after the heading `## {section}`.
    fn commands(readme: &str, section: &str) -> String {
        let start = readme
            .find(&format!("\n## {section}\n"))
            .unwrap_or_else(|| panic!("no `## {section}` in the README:\n{readme}"));
        let rest = &readme[start..];
        let open = rest.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
        let close = rest[open..].find("```").expect("the block ends");
        rest[open..open + close].to_string()
    }

    /// Generates the project in `scratch`, runs its README's Build and Test commands and returns
    /// the outcome of the experiment the Test section runs.
    fn build_and_test(
        scratch: &Scratch,
        lang: &str,
        extra: &[&str],
        prepare: impl FnOnce(&Path),
    ) -> Outcome {
        let project = scratch.run_dir().join("my-probe");
        let out = scratch
            .chaosrt()
            .args(["plugin", "new", "my-probe", "--lang", lang])
            .args(extra)
            .output()
            .unwrap();
        assert_ok(&out);
        prepare(&project);
        let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
        let build = shell(scratch, &project, &commands(&readme, "Build"));
        assert_shell_ok(&build, &format!("the {lang} README's Build commands"));
        let test = {
            let _one_at_a_time = compiling();
            shell(scratch, &project, &commands(&readme, "Test"))
        };
        assert_shell_ok(&test, &format!("the {lang} README's Test commands"));
        Outcome::new(test, project.join("journal.json"))
    }

    #[track_caller]
    fn assert_the_experiment_called_the_plugin(outcome: &Outcome) {
        let journal = outcome.journal();
        assert_eq!(journal["status"], json!("completed"), "{}", outcome.stderr);
        assert_eq!(
            journal["steady_states"]["before"]["steady_state_met"],
            json!(true)
        );
        let probe = &journal["steady_states"]["before"]["probes"][0];
        assert_eq!(probe["output"], json!("hello, chaos"), "{probe:#}");
        assert_eq!(journal["run"][0]["output"], json!("hello, world"));
    }

    #[test]
    fn rust() {
        // The project builds its own target/ as the README says; it points at a cache kept with
        // this workspace's build so that a rerun compiles only what changed.
        let cache = bin_dir().parent().unwrap().join("plugin-new-rust");
        std::fs::create_dir_all(&cache).unwrap();
        let sdk = workspace().join("sdk");
        let scratch = Scratch::new();
        let outcome = build_and_test(
            &scratch,
            "rust",
            &["--sdk", sdk.to_str().unwrap()],
            |project| std::os::unix::fs::symlink(&cache, project.join("target")).unwrap(),
        );
        assert_the_experiment_called_the_plugin(&outcome);
    }

    #[test]
    fn python() {
        let scratch = Scratch::new();
        assert_the_experiment_called_the_plugin(&build_and_test(&scratch, "python", &[], |_| {}));
    }

    #[test]
    fn js() {
        let scratch = Scratch::new();
        assert_the_experiment_called_the_plugin(&build_and_test(&scratch, "js", &[], |_| {}));
    }

    /// `chaosrt plugin new ARGS` in `scratch`, which must fail; its stderr.
    #[track_caller]
    fn refused(scratch: &Scratch, args: &[&str]) -> String {
        let out = scratch
            .chaosrt()
            .args(["plugin", "new"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    #[test]
    fn a_bad_name_or_a_directory_in_use_is_refused_and_nothing_is_written() {
        let scratch = Scratch::new();
        let stderr = refused(&scratch, &["../evil", "--lang", "python"]);
        assert!(
            stderr.contains("'../evil' is not a valid name: use 1 to 64 ASCII letters"),
            "{stderr}"
        );
        assert!(!scratch.dir.path().join("evil").exists());
        std::fs::create_dir(scratch.run_dir().join("taken")).unwrap();
        std::fs::write(scratch.run_dir().join("taken/notes.txt"), "mine").unwrap();
        let stderr = refused(&scratch, &["taken", "--lang", "js"]);
        assert!(
            stderr.contains("taken already exists and is not empty; nothing was written"),
            "{stderr}"
        );
        let left: Vec<String> = std::fs::read_dir(scratch.run_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name != "chaostoolkit.log")
            .collect();
        assert_eq!(left, ["taken"], "no staging directory is left behind");
        assert_eq!(
            std::fs::read_dir(scratch.run_dir().join("taken"))
                .unwrap()
                .count(),
            1
        );
        let stderr = refused(&scratch, &["x", "--lang", "js", "--sdk", "."]);
        assert!(stderr.contains("--sdk is for Rust projects"), "{stderr}");
    }
}
