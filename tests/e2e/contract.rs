//! The plugin contract as third parties build against it, with guests built from source by raw
//! wit-bindgen (not the SDK, so they pin the contract): a 0.1.0 component still installs and runs
//! through the frozen bindings; a 0.2 component exporting `discovery` shows its targets in
//! `chaosrt discover`, and its activity learns from the `context` functions its name, the run's id,
//! its deadline and the configuration; a Kubernetes grant is shown at install and every request
//! outside it is refused before any I/O; an environment grant shows one variable and nothing else.
//!
//! One module per guest; `sandbox.rs` points at each, so `foreach_guest!` sees it tested.

use crate::support::{Outcome, Scratch, StatusServer, read_json};
use serde_json::{Value, json};

/// Installs `wasm`, granting what it asks for; returns what install printed.
fn install(scratch: &Scratch, wasm: &str) -> String {
    let out = scratch
        .chaosrt()
        .args(["plugin", "install", "--yes", wasm])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "install failed: {stderr}");
    stderr
}

/// A probe named `name` calling `func` of the plugin `plugin`.
fn probe(name: &str, plugin: &str, func: &str, arguments: Value) -> Value {
    json!({"type": "probe", "name": name,
           "provider": {"type": "plugin", "plugin": plugin, "func": func, "arguments": arguments}})
}

/// The outputs of the method's runs, by activity name, after checking each succeeded.
#[track_caller]
fn outputs(outcome: &Outcome) -> serde_json::Map<String, Value> {
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("completed"), "{}", outcome.stderr);
    journal["run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            assert_eq!(run["status"], json!("succeeded"), "{run:#}");
            (
                run["activity"]["name"].as_str().unwrap().to_string(),
                run["output"].clone(),
            )
        })
        .collect()
}

/// Runs `chaosrt discover` (with `extra` arguments) and returns the document and the log.
fn discover(scratch: &Scratch, extra: &[&str]) -> (Value, String) {
    let out = scratch
        .chaosrt()
        .arg("discover")
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "discover failed: {stderr}");
    (read_json(scratch.run_dir().join("discovery.json")), stderr)
}

/// The `system.plugins` entry of `plugin` in a discovery document.
fn discovered<'a>(document: &'a Value, plugin: &str) -> Option<&'a Value> {
    document["system"]["plugins"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == plugin)
}

/// The plugins whose activities a discovery document lists.
fn listed(document: &Value) -> Vec<String> {
    let mut names: Vec<String> = document["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["mod"].as_str().unwrap().to_string())
        .collect();
    names.dedup();
    names
}

pub mod legacy {
    use super::*;
    use chaosrt_test_guests::LEGACY;

    #[test]
    fn a_plugin_built_for_0_1_installs_and_runs_under_this_host() {
        let scratch = Scratch::new();
        let shown = install(&scratch, LEGACY);
        // 0.1.0's `http("*")` and `filesystem{writable: false}`, in today's words.
        for asked in [
            "  may send HTTP requests to the URL an experiment writes in its argument 'url' (and \
             only there)  [--grant http-argument=url]",
            "  may read files under the directory an experiment runs in  [--grant \
             filesystem=.:read-only]",
        ] {
            assert!(shown.contains(asked), "{asked:?} not in:\n{shown}");
        }
        std::fs::write(scratch.run_dir().join("notes.txt"), "kept").unwrap();
        let server = StatusServer::start(204, "text/plain", "");
        let experiment = json!({
            "title": "0.1.0", "description": "a frozen-contract plugin",
            "configuration": {"region": "eu-west-1"},
            "secrets": {"vault": {"token": "s3cr3t"}, "other": {"k": "v"}},
            "method": [
                {"type": "probe", "name": "greet",
                 "provider": {"type": "plugin", "plugin": "legacy", "func": "greet",
                              "arguments": {"who": "${region}"}, "secrets": ["vault"]}},
                probe("status", "legacy", "status", json!({"url": server.url()})),
                probe("read", "legacy", "read", json!({"path": "notes.txt"})),
            ]
        });
        let outcome = scratch.run(&experiment);
        let outputs = outputs(&outcome);
        assert_eq!(
            outputs["greet"],
            json!({
                "greeting": "hello, eu-west-1",
                "configuration": {"region": "eu-west-1"},
                // Only the provider's scope reached the plugin; the journal masks its value.
                "secrets": {"vault": {"token": "***"}},
            })
        );
        assert_eq!(outputs["status"], json!(204));
        assert_eq!(server.hits(), 1);
        assert_eq!(outputs["read"], json!("kept"));
        outcome.assert_line("INFO [plugin legacy] greeting eu-west-1");
    }

    #[test]
    fn a_0_1_plugin_reaches_only_the_url_the_experiment_names() {
        let scratch = Scratch::new();
        install(&scratch, LEGACY);
        let named = StatusServer::start(200, "text/plain", "");
        let other = StatusServer::start(200, "text/plain", "");
        // The URL comes from an earlier output, which a plugin shaped: refused before the call.
        let experiment = json!({
            "title": "t", "description": "d",
            "method": [
                probe("where", "legacy", "read", json!({"path": "where.txt"})),
                probe("status", "legacy", "status", json!({"url": "${output:where}"})),
                probe("named", "legacy", "status", json!({"url": named.url()})),
            ]
        });
        std::fs::write(scratch.run_dir().join("where.txt"), other.url()).unwrap();
        let outcome = scratch.run(&experiment);
        let journal = outcome.journal();
        assert_eq!(journal["run"][1]["status"], json!("failed"), "{journal:#}");
        assert!(
            outcome
                .stderr
                .contains("that origin comes from ${output:where}"),
            "{}",
            outcome.stderr
        );
        assert_eq!(other.hits(), 0);
        assert_eq!(journal["run"][2]["output"], json!(200));
        assert_eq!(named.hits(), 1);
    }
}

pub mod discoverable {
    use super::*;
    use chaosrt_test_guests::DISCOVERABLE;

    #[test]
    fn discover_lists_its_targets_escaped_and_drops_the_malformed() {
        let scratch = Scratch::new();
        install(&scratch, DISCOVERABLE);
        let (document, log) = discover(&scratch, &[]);
        let entry = discovered(&document, "discoverable").expect("no discoverable entry");
        assert_eq!(entry["version"], json!("0.2.0"));
        assert_eq!(
            entry["targets"],
            json!([
                {"kind": "namespace", "name": "default", "namespace": null, "details": {}},
                {"kind": "pod", "name": "web-1\\x1b[2K", "namespace": "default",
                 "details": {"labels": {"app": "web\\u{202e}"}, "run_id": document["id"]}},
            ])
        );
        assert!(
            log.contains(
                "WARNING] Plugin 'discoverable' reported 1 malformed targets (over-long, or \
                 details that are not a JSON object); they are not listed"
            ),
            "{log}"
        );
        assert!(
            log.contains("INFO] Plugin 'discoverable' discovered 2 targets"),
            "{log}"
        );
        // Plugins without `discovery` load and list as before.
        let names = listed(&document);
        for name in ["http", "fs", "discoverable"] {
            assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
        }
        assert!(discovered(&document, "http").is_none());
        // Without system information, no plugin code runs for it.
        let (document, log) = discover(&scratch, &["--no-system-info"]);
        assert_eq!(document["system"], Value::Null);
        assert!(!log.contains("discovered"), "{log}");
    }

    #[test]
    fn an_activity_learns_its_name_the_run_id_its_deadline_and_the_configuration() {
        let scratch = Scratch::new();
        install(&scratch, DISCOVERABLE);
        let experiment = json!({
            "title": "t", "description": "d",
            "configuration": {"region": "eu-west-1"},
            "secrets": {"vault": {"token": "s3cr3t"}},
            "method": [
                {"type": "probe", "name": "first", "timeout": 20,
                 "provider": {"type": "plugin", "plugin": "discoverable", "func": "context",
                              "arguments": {"note": "n"}, "secrets": ["vault"]}},
                probe("second", "discoverable", "context", json!({})),
            ]
        });
        // Each run overwrites the journal: read the first before the second runs.
        let first_run = scratch.run(&experiment);
        let one = outputs(&first_run);
        let two = outputs(&scratch.run(&experiment));
        let (first, second) = (&one["first"], &one["second"]);
        assert_eq!(first["activity_name"], json!("first"));
        assert_eq!(second["activity_name"], json!("second"));
        assert_eq!(first["note"], json!("n"));
        assert_eq!(first["configuration"], json!({"region": "eu-west-1"}));
        assert_eq!(first["secrets"], json!({"vault": {"token": "***"}}));
        assert_eq!(second["secrets"], json!({}));
        // One id for every call of a run, another for the next run.
        let id = first["run_id"].as_str().unwrap();
        assert_eq!(id.len(), 32, "{id}");
        assert_eq!(second["run_id"], first["run_id"]);
        assert_eq!(two["first"]["run_id"], two["second"]["run_id"]);
        assert_ne!(two["first"]["run_id"], first["run_id"]);
        // The deadline is when the call's timeout (the activity's, else the default 60 s) fires.
        let left = |output: &Value| output["deadline_in_ms"].as_u64().unwrap();
        assert_eq!(first["deadline_passed"], json!(false));
        assert!((15_000..=20_000).contains(&left(first)), "{first}");
        assert!((55_000..=60_000).contains(&left(second)), "{second}");
        first_run.assert_line("INFO [plugin discoverable] reading the context");
    }
}

pub mod kubewant {
    use super::*;
    use chaosrt_test_guests::KUBEWANT;

    /// A scratch where kubewant is installed, granted what it asks for, and no Kubernetes
    /// credentials exist (no KUBECONFIG, a HOME without `.kube`).
    fn installed() -> (Scratch, String) {
        let scratch = Scratch::new();
        let printed = install(&scratch, KUBEWANT);
        (scratch, printed)
    }

    fn run(scratch: &Scratch, arguments: Value) -> Outcome {
        let experiment = json!({"title": "t", "description": "d",
                                "method": [probe("send", "kubewant", "pods", arguments)]});
        scratch.run_adjusted(&experiment, |c| {
            c.env_remove("KUBECONFIG")
                .env_remove("KUBERNETES_HOST")
                .env("HOME", scratch.dir.path())
        })
    }

    #[test]
    fn a_kubernetes_grant_is_shown_at_install_and_listed() {
        let (scratch, printed) = installed();
        assert!(
            printed.contains(
                "may make Kubernetes API requests: namespaces default; resources pods; verbs \
                 list, delete"
            ),
            "{printed}"
        );
        let list = scratch.chaosrt().args(["plugin", "list"]).output().unwrap();
        assert!(String::from_utf8_lossy(&list.stdout).contains("kubewant"));
    }

    /// Refused by the host before it looks for credentials, let alone a server: there is none here.
    #[test]
    fn requests_outside_the_grant_are_refused_naming_what_is_missing() {
        let (scratch, _) = installed();
        for (arguments, needs) in [
            (
                json!({"namespace": "other"}),
                "may not list pods in namespace other: it is granted namespaces default; \
                 resources pods; verbs list, delete. The request needs a kubernetes grant with \
                 namespace other, resource pods and verb list",
            ),
            (json!({"verb": "create"}), "resource pods and verb create"),
            (
                json!({"resource": "deployments", "group": "apps"}),
                "resource deployments.apps and verb list",
            ),
        ] {
            let outcome = run(&scratch, arguments.clone());
            let journal = outcome.journal();
            let run = &journal["run"][0];
            assert_eq!(run["status"], json!("failed"), "{arguments}: {journal:#}");
            let message = run["exception"].to_string();
            assert!(message.contains(needs), "{arguments}: {message}");
            assert!(!message.contains("credentials"), "{message}");
        }
    }

    /// Inside the grant, the host looks for credentials only then, and says where it looked.
    #[test]
    fn a_request_inside_the_grant_without_credentials_says_where_it_looked() {
        let (scratch, _) = installed();
        let outcome = run(&scratch, json!({}));
        let journal = outcome.journal();
        let message = journal["run"][0]["exception"].to_string();
        assert!(
            message.contains(
                "no Kubernetes credentials: no kubeconfig (KUBECONFIG, else \
                              ~/.kube/config)"
            ),
            "{message}"
        );
    }
}

pub mod envread {
    use super::*;
    use chaosrt_test_guests::ENVREAD;

    fn run_seeing(scratch: &Scratch, granted: Option<&str>) -> Value {
        let experiment = json!({"title": "t", "description": "d",
                                "method": [probe("env", "envread", "environment", json!({}))]});
        let path = scratch.run_dir().join("experiment.json");
        std::fs::write(&path, experiment.to_string()).unwrap();
        let mut command = scratch.chaosrt();
        command
            .env("CHAOSRT_GUEST_ENV_OTHER", "not granted")
            .env("CHAOSRT_GUEST_ENV_GRANTED_NOT", "not granted either")
            .args(["run", "experiment.json"]);
        match granted {
            Some(value) => command.env("CHAOSRT_GUEST_ENV_GRANTED", value),
            None => command.env_remove("CHAOSRT_GUEST_ENV_GRANTED"),
        };
        let outcome = Outcome::new(
            command.output().unwrap(),
            scratch.run_dir().join("journal.json"),
        );
        outputs(&outcome)["env"].clone()
    }

    #[test]
    fn only_the_granted_variable_of_the_environment_is_visible() {
        let scratch = Scratch::new();
        let shown = install(&scratch, ENVREAD);
        assert!(
            shown.contains(
                "  may read the environment variable CHAOSRT_GUEST_ENV_GRANTED of this machine  \
                 [--grant environment=CHAOSRT_GUEST_ENV_GRANTED]"
            ),
            "{shown}"
        );
        assert_eq!(
            run_seeing(&scratch, Some("granted value")),
            json!({"CHAOSRT_GUEST_ENV_GRANTED": "granted value"})
        );
        // Unset: nothing at all (HOME, PATH, … never reach the sandbox).
        assert_eq!(run_seeing(&scratch, None), json!({}));
        // Not granted (the operator took the grant back): nothing either.
        let manifest = scratch
            .dir
            .path()
            .join("data/chaosrt/plugins/envread/0.2.0/manifest.json");
        let mut text = read_json(&manifest);
        text["granted"] = json!([]);
        std::fs::write(&manifest, text.to_string()).unwrap();
        assert_eq!(run_seeing(&scratch, Some("granted value")), json!({}));
    }

    /// `discover()` runs with the plugin's grants, and its failure is a warning.
    #[test]
    fn a_discover_that_fails_or_traps_is_a_warning_not_a_failure() {
        let scratch = Scratch::new();
        install(&scratch, ENVREAD);
        let discover_with = |value: &str| {
            let out = scratch
                .chaosrt()
                .env("CHAOSRT_GUEST_ENV_GRANTED", value)
                .arg("discover")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "{stderr}");
            (read_json(scratch.run_dir().join("discovery.json")), stderr)
        };
        let (document, _) = discover_with("seen");
        assert_eq!(
            discovered(&document, "envread").unwrap()["targets"],
            json!([{"kind": "variable", "name": "CHAOSRT_GUEST_ENV_GRANTED", "namespace": null,
                    "details": {"value": "seen"}}])
        );
        for (value, why) in [
            ("fail", "told to fail"),
            ("trap", "plugin 'envread' activity 'discover' crashed"),
        ] {
            let (document, log) = discover_with(value);
            assert!(
                log.contains(
                    "WARNING] Plugin 'envread' could not discover its targets, so none are listed: "
                ),
                "{log}"
            );
            assert!(log.contains(why), "{why:?} not in {log}");
            assert!(discovered(&document, "envread").is_none());
            assert!(listed(&document).contains(&"envread".to_string()));
        }
    }
}
