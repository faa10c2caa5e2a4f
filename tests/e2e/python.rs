//! Chaos Toolkit's Python extensions from PyPI, unmodified, bundled at install into one sandboxed
//! component (`plugin install python:…`), against real servers on loopback: Debian's Prometheus
//! scraping itself, and `chaos run` with the same extension installed natively beside it.
//!
//! What these need is installed by scripts/setup: the bundler's componentize-py
//! (scripts/python-bundler), Debian's prometheus, WireMock and a native Chaos Toolkit with both
//! extensions (scripts/extension-servers). Building a bundle takes about a minute, so the
//! chaostoolkit-prometheus one is built once for the module ([`installed`]) and its tests share it.

use crate::support::{Outcome, Scratch, StatusServer};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The extension, pinned, with what it imports without declaring (logzero) and the chaoslib the
/// native side runs (chaostoolkit 1.19.0 pins chaostoolkit-lib 1.44.0).
const PROMETHEUS: &[&str] = &[
    "python:chaostoolkit-prometheus==0.6.0",
    "logzero==1.7.0",
    "chaostoolkit-lib==1.44.0",
];

fn cache_home() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache"))
}

/// The bundler scripts/python-bundler made: tests run chaosrt with their own cache directory, so
/// they name it.
fn bundler() -> PathBuf {
    cache_home().join("chaosrt/python-bundler")
}

/// `chaos` with chaostoolkit-prometheus and chaostoolkit-wiremock, as scripts/extension-servers
/// installed it.
fn native_chaos() -> PathBuf {
    cache_home().join("chaosrt/ctk-extensions/bin/chaos")
}

/// A real Prometheus on a free loopback port, scraping itself every second, stopped on drop.
pub struct Prometheus {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    pub fn start() -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::support::closed_port();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - \
                 job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
            ),
        )
        .unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("Debian's prometheus (scripts/extension-servers installs it)");
        let prometheus = Prometheus {
            child,
            port,
            _dir: dir,
        };
        // Up once it has scraped itself at least twice (a range query then has two points).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = prometheus.api(
                "query_range",
                &[
                    ("query", "up"),
                    ("start", &(now() - 60.0).to_string()),
                    ("end", &now().to_string()),
                    ("step", "1"),
                ],
            );
            let points = answer
                .as_ref()
                .and_then(|a| a["data"]["result"][0]["values"].as_array().map(Vec::len));
            if points.unwrap_or(0) >= 2 {
                return prometheus;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus did not come up: {answer:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Prometheus' own HTTP API answer, fetched here without chaosrt.
    pub fn api(&self, endpoint: &str, params: &[(&str, &str)]) -> Option<Value> {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let path = format!("/api/v1/{endpoint}?{}", query.join("&"));
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        use std::io::{Read, Write};
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let (head, body) = response.split_once("\r\n\r\n")?;
        if !head.starts_with("HTTP/1.1 200") {
            return None;
        }
        serde_json::from_str(body).ok()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A chaosrt data and cache directory with chaostoolkit-prometheus installed once for the module,
/// granted the URL experiments give as `prometheus_base_url`, and nothing else.
struct Store {
    dir: tempfile::TempDir,
    install: Outcome,
}

fn installed() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let scratch = Scratch::new();
        let mut install = scratch.chaosrt();
        install
            .env("CHAOSRT_PYTHON_BUNDLER", bundler())
            .args(["plugin", "install"])
            .args(PROMETHEUS)
            .args(["--grant", "http-configuration=prometheus_base_url"]);
        let install = scratch.outcome(&mut install);
        assert_eq!(install.code, 0, "install failed:\n{}", install.stderr);
        Store {
            dir: scratch.dir,
            install,
        }
    })
}

/// `chaosrt` of the shared store, in `scratch`'s run directory.
fn chaosrt(scratch: &Scratch) -> Command {
    let store = installed().dir.path();
    let mut command = scratch.chaosrt();
    command
        .env("XDG_DATA_HOME", store.join("data"))
        .env("XDG_CACHE_HOME", store.join("cache"));
    command
}

/// Writes `experiment` to `scratch`'s run directory and runs it there with `command` (a chaosrt or
/// a chaos command without its final `run experiment.json`).
fn run_with(scratch: &Scratch, mut command: Command, experiment: &Value) -> Outcome {
    std::fs::write(
        scratch.run_dir().join("experiment.json"),
        serde_json::to_string_pretty(experiment).unwrap(),
    )
    .unwrap();
    scratch.outcome(
        command
            .current_dir(scratch.run_dir())
            .args(["run", "experiment.json"]),
    )
}

/// Runs `experiment` with the shared store's chaostoolkit-prometheus.
fn run(scratch: &Scratch, experiment: &Value) -> Outcome {
    run_with(scratch, chaosrt(scratch), experiment)
}

/// Runs `experiment` with `chaos run` and the natively installed extensions, in a scratch of its
/// own (returned with the outcome: the journal is read from it).
fn chaos_run(experiment: &Value) -> (Scratch, Outcome) {
    let scratch = Scratch::new();
    let mut chaos = Command::new(native_chaos());
    chaos.arg("--no-version-check");
    let outcome = run_with(&scratch, chaos, experiment);
    (scratch, outcome)
}

fn probe(name: &str, func: &str, arguments: Value) -> Value {
    json!({"type": "probe", "name": name, "provider": {
        "type": "python", "module": "chaosprometheus.probes", "func": func, "arguments": arguments}})
}

/// The instant-query answer without what differs between two evaluations a moment apart: the
/// evaluation time of each sample.
fn without_time(answer: &Value) -> Value {
    let mut answer = answer.clone();
    for result in answer["data"]["result"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        if let Some(value) = result.get_mut("value") {
            value[0] = Value::Null;
        }
    }
    answer
}

/// chaostoolkit-reporting draws charts with matplotlib and cairo: native packages chaosrt has no
/// WebAssembly build of (numpy, cffi, pillow…), so nothing is installed.
#[test]
fn an_extension_with_an_unbundlable_native_dependency_is_refused_naming_it() {
    let scratch = Scratch::new();
    let out = scratch.outcome(
        scratch
            .chaosrt()
            .env("CHAOSRT_PYTHON_BUNDLER", bundler())
            .args(["plugin", "install", "python:chaostoolkit-reporting==0.17.1"]),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cannot bundle chaostoolkit-reporting==0.17.1")
            && out.stderr.contains("matplotlib==")
            && out.stderr.contains("(needed by chaostoolkit-reporting")
            && out.stderr.contains("ships only native wheels (matplotlib-")
            && out
                .stderr
                .contains("chaosrt has no WebAssembly build of it"),
        "{}",
        out.stderr
    );
    let list = scratch.outcome(scratch.chaosrt().args(["plugin", "list"]));
    assert!(
        !list.stdout.contains("chaostoolkit-reporting"),
        "{}",
        list.stdout
    );
}

/// Extensions whose credentials would have to enter the sandbox are refused before anything is
/// resolved, saying why and what to use instead.
#[test]
fn kubernetes_and_cloud_extensions_are_refused_saying_what_to_use_instead() {
    let scratch = Scratch::new();
    for (spec, says) in [
        (
            "python:chaostoolkit-kubernetes==0.39.0",
            "use the built-in kubernetes plugin",
        ),
        (
            "python:chaostoolkit_aws==0.35.1",
            "a host-side signer is needed",
        ),
    ] {
        let out = scratch.outcome(
            scratch
                .chaosrt()
                .env("CHAOSRT_PYTHON_BUNDLER", "/nonexistent")
                .args([
                    "plugin",
                    "install",
                    spec,
                    "--grant",
                    "http-origin=http://127.0.0.1:1",
                ]),
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("cannot bundle") && out.stderr.contains(says),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn install_records_exact_versions_and_digests_and_what_was_granted() {
    let store = installed();
    let install = &store.install;
    assert!(
        install
            .stderr
            .contains("chaosprometheus.probes.query (probe)")
            && install
                .stderr
                .contains("prometheus_base_url  [--grant http-configuration=prometheus_base_url]")
            && install.stderr.contains("regex==")
            && install.stderr.contains("wasm32-wasi build"),
        "{}",
        install.stderr
    );
    let manifest = crate::support::read_json(
        store
            .dir
            .path()
            .join("data/chaosrt/plugins/chaostoolkit-prometheus/0.6.0/manifest.json"),
    );
    assert_eq!(
        manifest["granted"],
        json!([{"kind": "http-configuration", "key": "prometheus_base_url"}])
    );
    let python = &manifest["python"];
    assert_eq!(python["modules"], json!(["chaosprometheus"]));
    let packages = python["packages"].as_array().unwrap();
    let find = |name: &str| packages.iter().find(|p| p["name"] == name).unwrap();
    assert_eq!(find("chaostoolkit-prometheus")["version"], "0.6.0");
    assert_eq!(find("chaostoolkit-lib")["version"], "1.44.0");
    assert_eq!(find("requests")["kind"], "pure");
    // dateparser's regex, built here for componentize-py's CPython (scripts/python-wasm-wheels).
    let regex = find("regex");
    assert_eq!(regex["kind"], "wasm32-wasi build");
    assert!(
        regex["wheel"]
            .as_str()
            .unwrap()
            .ends_with("-cp314-cp314-wasi_wasm32.whl"),
        "{regex}"
    );
    for p in packages {
        let digest = p["sha256"].as_str().unwrap();
        assert!(digest.len() == 64, "{p}");
    }
    assert!(
        store
            .dir
            .path()
            .join("data/chaosrt/plugins/chaostoolkit-prometheus/0.6.0/site-packages/chaosprometheus/probes.py")
            .is_file()
    );
}

#[test]
fn query_answers_what_prometheus_own_api_answers() {
    let prometheus = Prometheus::start();
    let scratch = Scratch::new();
    let query = "prometheus_build_info";
    let experiment = json!({
        "title": "t", "description": "d",
        "configuration": {"prometheus_base_url": prometheus.url()},
        "method": [probe("build-info", "query", json!({"query": query}))]
    });
    let outcome = run(&scratch, &experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let direct = prometheus.api("query", &[("query", query)]).unwrap();
    let run = &outcome.journal()["run"][0];
    assert_eq!(run["status"], "succeeded", "{run:#}\n{}", outcome.stderr);
    assert_eq!(without_time(&run["output"]), without_time(&direct));
    assert_eq!(run["output"]["data"]["result"].as_array().unwrap().len(), 1);
    // The extension's own debug line, through Python logging (logzero), at its level.
    let log = std::fs::read_to_string(scratch.run_dir().join("chaostoolkit.log")).unwrap();
    assert!(
        log.lines().any(|l| l.contains(" DEBUG] ")
            && l.ends_with(
                "[plugin chaostoolkit-prometheus] Querying with: {'query': 'prometheus_build_info'}"
            )),
        "{log}"
    );
}

#[test]
fn an_experiment_of_chaosprometheus_probes_ends_as_chaos_run_ends_it() {
    let prometheus = Prometheus::start();
    for (expect, met) in [("1", true), ("0", false)] {
        let experiment = json!({
            "title": "Prometheus scrapes itself", "description": "d",
            "configuration": {"prometheus_base_url": prometheus.url()},
            "steady-state-hypothesis": {"title": "up", "probes": [{
                "type": "probe", "name": "self-scrape-up",
                "tolerance": {"type": "jsonpath", "path": "$.data.result[0].value[1]", "expect": expect},
                "provider": {"type": "python", "module": "chaosprometheus.probes", "func": "query",
                             "arguments": {"query": "up{job=\"prometheus\"}"}}}]},
            "method": [probe("targets", "query", json!({"query": "count(up)"}))]
        });
        let ours = Scratch::new();
        let chaosrt = run(&ours, &experiment);
        let (_theirs, chaos) = chaos_run(&experiment);
        assert_eq!(
            chaosrt.code, chaos.code,
            "chaosrt run:\n{}\nchaos run:\n{}",
            chaosrt.stderr, chaos.stderr
        );
        let (a, b) = (chaosrt.journal(), chaos.journal());
        for key in ["status", "deviated"] {
            assert_eq!(a[key], b[key], "{key}");
        }
        for (x, y) in a["run"]
            .as_array()
            .unwrap()
            .iter()
            .zip(b["run"].as_array().unwrap())
        {
            assert_eq!(x["status"], y["status"]);
            assert_eq!(without_time(&x["output"]), without_time(&y["output"]));
        }
        let (x, y) = (&a["steady_states"]["before"], &b["steady_states"]["before"]);
        assert_eq!(x["steady_state_met"], y["steady_state_met"]);
        assert_eq!(x["steady_state_met"], met);
        assert_eq!(
            without_time(&x["probes"][0]["output"]),
            without_time(&y["probes"][0]["output"])
        );
    }
}

/// The times the extension sent, as its own debug line in the run log shows them
/// (`Querying with: {'query': …, 'time': …}`), in the order of the calls.
fn sent_times(log: &str, key: &str) -> Vec<String> {
    let marker = format!("'{key}': '");
    log.lines()
        .filter(|l| l.contains("[plugin chaostoolkit-prometheus] Querying with: "))
        .filter_map(|l| {
            let start = l.find(&marker)? + marker.len();
            Some(l[start..].split('\'').next()?.to_string())
        })
        .collect()
}

/// `when`, `start` and `end` are parsed by dateparser, whose patterns need the real `regex` (a
/// variable-width look-behind): built for WebAssembly and bundled. The relative times become
/// the RFC 3339 times the extension sends; Prometheus answers the same query at the same times
/// exactly as the extension reported it.
#[test]
fn query_when_and_query_interval_answer_what_prometheus_own_api_answers() {
    let prometheus = Prometheus::start();
    // A counter that grows with every scrape: an answer at another time would differ.
    let query = "prometheus_tsdb_head_samples_appended_total";
    // Wait until there is data 10 seconds back, so the answer at `when` is not empty.
    let deadline = Instant::now() + Duration::from_secs(60);
    while prometheus
        .api(
            "query",
            &[("query", query), ("time", &(now() - 12.0).to_string())],
        )
        .is_none_or(|a| a["data"]["result"].as_array().is_none_or(Vec::is_empty))
    {
        assert!(Instant::now() < deadline, "no data 12 s back");
        std::thread::sleep(Duration::from_millis(500));
    }
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "configuration": {"prometheus_base_url": prometheus.url()},
        "method": [
            probe("then", "query", json!({"query": query, "when": "10 seconds ago"})),
            // Samples newer than `end` may still be on their way; 5 seconds back they are all in.
            probe("range", "query_interval", json!({
                "query": query, "start": "1 minute ago", "end": "5 seconds ago", "step": 1}))
        ]
    });
    let before = now();
    let outcome = run(&scratch, &experiment);
    let after = now();
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    let log = std::fs::read_to_string(scratch.run_dir().join("chaostoolkit.log")).unwrap();
    for run in journal["run"].as_array().unwrap() {
        assert_eq!(run["status"], "succeeded", "{run:#}\n{log}");
    }

    let time = sent_times(&log, "time");
    assert_eq!(time.len(), 1, "{log}");
    let instant = prometheus
        .api("query", &[("query", query), ("time", &time[0])])
        .unwrap();
    let output = &journal["run"][0]["output"];
    assert_eq!(output, &instant);
    // Evaluated 10 seconds before the call, not at it.
    let evaluated = output["data"]["result"][0]["value"][0].as_f64().unwrap();
    assert!(
        evaluated >= before - 11.0 && evaluated <= after - 9.0,
        "{evaluated} not 10 s before the run ({before}..{after})"
    );

    let (start, end) = (sent_times(&log, "start"), sent_times(&log, "end"));
    assert_eq!((start.len(), end.len()), (1, 1), "{log}");
    let range = prometheus
        .api(
            "query_range",
            &[
                ("query", query),
                ("start", &start[0]),
                ("end", &end[0]),
                ("step", "1"),
            ],
        )
        .unwrap();
    let output = &journal["run"][1]["output"];
    assert_eq!(output, &range);
    let values = output["data"]["result"][0]["values"].as_array().unwrap();
    assert!(values.len() >= 5, "{output}");
}

#[test]
fn a_configuration_url_a_plugin_computed_is_refused_and_the_server_sees_nothing() {
    // Dynamic configuration: an http probe's answer becomes `prometheus_base_url`.
    let target = StatusServer::start(200, "application/json", "{}");
    let url: &'static str = Box::leak(target.url().into_boxed_str());
    let pointer = StatusServer::start(200, "text/plain", url);
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "configuration": {"prometheus_base_url": {
            "type": "probe", "name": "where", "provider": {"type": "http", "url": pointer.url()}}},
        "method": [probe("q", "query", json!({"query": "up"}))]
    });
    let outcome = run(&scratch, &experiment);
    let (_, run) = outcome.completed_despite_failed_run(0);
    assert!(
        run["exception"]
            .to_string()
            .contains("configuration a plugin computed (dynamic configuration)"),
        "{run:#}\n{}",
        outcome.stderr
    );
    assert_eq!(pointer.hits(), 1);
    assert_eq!(
        target.hits(),
        0,
        "the extension reached the origin a plugin chose"
    );
}

#[test]
fn an_origin_not_granted_is_refused_by_the_host_and_the_server_sees_nothing() {
    // Granted `prometheus_base_url`; the extension's default (localhost:9090) is not granted, and
    // neither is anything a `query` argument could name.
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [probe("q", "query", json!({"query": "up"}))]
    });
    let outcome = run(&scratch, &experiment);
    let (_, run) = outcome.completed_despite_failed_run(0);
    let message = run["exception"].to_string();
    assert!(
        message.contains("not granted outbound HTTP to http://localhost:9090"),
        "{run:#}\n{}",
        outcome.stderr
    );
}

/// WireMock's standalone server (the npm package's jar, on the machine's Java) on a free loopback
/// port, stopped on drop.
struct WireMock {
    child: Child,
    port: u16,
}

impl WireMock {
    fn start() -> WireMock {
        let jar = cache_home()
            .join("chaosrt/wiremock/node_modules/wiremock/build/wiremock-standalone-3.13.2.jar");
        let port = crate::support::closed_port();
        let child = Command::new("java")
            .arg("-jar")
            .arg(&jar)
            .args(["--port", &port.to_string(), "--bind-address", "127.0.0.1"])
            .args(["--disable-banner", "--no-request-journal"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("java and WireMock (scripts/extension-servers installs it)");
        let wiremock = WireMock { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "WireMock did not come up");
            std::thread::sleep(Duration::from_millis(200));
        }
        wiremock
    }
}

impl Drop for WireMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chaostoolkit-wiremock, a second pure-HTTP extension: actions that change a real server's state,
/// an endpoint given as configuration that is not a URL (`wiremock: {host, port}`), so it is
/// granted as an origin. Its experiment ends as `chaos run` ends it, and an origin it was not
/// granted is refused before anything reaches it.
#[test]
fn chaostoolkit_wiremock_runs_unmodified_beside_chaos_run_and_reaches_only_its_grant() {
    let wiremock = WireMock::start();
    let origin = format!("http://127.0.0.1:{}", wiremock.port);
    let scratch = Scratch::new();
    let install = scratch.outcome(
        scratch
            .chaosrt()
            .env("CHAOSRT_PYTHON_BUNDLER", bundler())
            .args([
                "plugin",
                "install",
                "python:chaostoolkit-wiremock==0.1.2",
                "logzero==1.7.0",
            ])
            .args([
                "chaostoolkit-lib==1.44.0",
                "--grant",
                &format!("http-origin={origin}"),
            ]),
    );
    assert_eq!(install.code, 0, "{}", install.stderr);
    let experiment = |port: u16| {
        json!({
            "title": "WireMock slows down", "description": "d",
            "configuration": {"wiremock": {"host": "127.0.0.1", "port": port, "timeout": 10}},
            "method": [
                {"type": "action", "name": "stub", "provider": {"type": "python",
                    "module": "chaoswm.actions", "func": "add_mappings", "arguments": {"mappings": [
                        {"request": {"method": "GET", "url": "/hello"},
                         "response": {"status": 200, "body": "hi"}}]}}},
                {"type": "probe", "name": "hello", "provider": {"type": "http",
                    "url": format!("http://127.0.0.1:{port}/hello")}},
                {"type": "action", "name": "slow", "provider": {"type": "python",
                    "module": "chaoswm.actions", "func": "global_fixed_delay",
                    "arguments": {"fixedDelay": 10}}}
            ],
            "rollbacks": [{"type": "action", "name": "reset", "provider": {"type": "python",
                "module": "chaoswm.actions", "func": "reset"}}]
        })
    };
    let ours = run_with(&scratch, scratch.chaosrt(), &experiment(wiremock.port));
    let (_theirs, chaos) = chaos_run(&experiment(wiremock.port));
    assert_eq!(chaos.code, 0, "chaos run:\n{}", chaos.stderr);
    assert_eq!(ours.code, 0, "chaosrt run:\n{}", ours.stderr);
    let (a, b) = (ours.journal(), chaos.journal());
    assert_eq!(a["status"], b["status"]);
    let runs = |j: &Value| j["run"].as_array().unwrap().clone();
    for (x, y) in runs(&a).iter().zip(&runs(&b)) {
        assert_eq!(x["status"], y["status"], "{x:#}\n{y:#}");
    }
    // A list of one mapping id (a fresh UUID each time), then the probe saw the stub, then 200.
    assert_eq!(a["run"][0]["output"].as_array().map(Vec::len), Some(1));
    assert_eq!(a["run"][1]["output"]["body"], b["run"][1]["output"]["body"]);
    assert_eq!(a["run"][1]["output"]["body"], "hi");
    assert_eq!(a["run"][2]["output"], b["run"][2]["output"]);
    assert_eq!(a["rollbacks"][0]["output"], b["rollbacks"][0]["output"]);

    // The same experiment pointed at a server it was not granted: refused by the host.
    let elsewhere = StatusServer::start(201, "application/json", "{\"id\": \"x\"}");
    let port = elsewhere
        .url()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let refused = run_with(&scratch, scratch.chaosrt(), &experiment(port));
    let (_, run) = refused.completed_despite_failed_run(0);
    assert!(
        run["exception"].to_string().contains(&format!(
            "not granted outbound HTTP to http://127.0.0.1:{port}"
        )),
        "{run:#}"
    );
    assert_eq!(
        elsewhere.hits(),
        1,
        "only the experiment's own http probe reached it"
    );
}
