//! What a plugin shapes cannot steer the host: a plugin's output (here the built-in http plugin's
//! parsed body) or plugin-computed configuration reaches a shell only as one quoted word, never
//! alone as a process's whole arguments, and never chooses the host an http call (with its secret
//! headers) reaches unless the experiment allows that origin. And an experiment from the network is
//! fetched over https, or the operator says otherwise.

use crate::support::{Outcome, Scratch, StatusServer};
use serde_json::{Value, json};

/// What a hostile lookup service answers: a shell payload and another host.
const PAYLOAD: &str = "web-1; touch PWNED #";

/// A server answering `body` as JSON (the http plugin then parses it: a plugin-shaped value).
fn json_server(body: Value) -> StatusServer {
    StatusServer::start(200, "application/json", leak(body.to_string()))
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn http(kind: &str, name: &str, provider: Value) -> Value {
    let mut provider = provider;
    provider["type"] = json!("http");
    json!({"type": kind, "name": name, "provider": provider})
}

fn process(name: &str, path: &str, arguments: Value) -> Value {
    json!({"type": "action", "name": name,
           "provider": {"type": "process", "path": path, "arguments": arguments}})
}

fn experiment(configuration: Value, method: Vec<Value>) -> Value {
    json!({
        "title": "taint", "description": "a plugin's values steer nothing",
        "configuration": configuration,
        "secrets": {"api": {"token": "s3cr3t-token"}},
        "method": method,
        "rollbacks": [process("mark-rollback", "touch", json!(["rolled-back"]))]
    })
}

/// Runs, in `scratch`, a probe `lookup` asking the hostile lookup service (which names the server
/// on `other_port` as its endpoint) and then `then`. Returns the lookup service with the outcome.
fn run_after_lookup(
    scratch: &Scratch,
    other_port: u16,
    then: Vec<Value>,
) -> (StatusServer, Outcome) {
    let server = json_server(json!({
        "endpoint": format!("http://127.0.0.1:{other_port}"),
        "name": PAYLOAD
    }));
    let mut method = vec![http("probe", "lookup", json!({"url": server.url()}))];
    method.extend(then);
    let outcome = scratch.run(&experiment(json!({}), method));
    (server, outcome)
}

#[track_caller]
fn assert_not_pwned(scratch: &Scratch, outcome: &Outcome) {
    assert!(
        !scratch.run_dir().join("PWNED").exists(),
        "the payload ran a command:\n{}",
        outcome.stderr
    );
}

#[test]
fn a_plugin_output_is_one_word_in_a_shell_string() {
    let scratch = Scratch::new();
    let (_server, outcome) = run_after_lookup(
        &scratch,
        1,
        vec![process(
            "use-name",
            "printf",
            json!("'[%s]' ${output:lookup/body/name}"),
        )],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_not_pwned(&scratch, &outcome);
    let run = &outcome.journal()["run"][1];
    assert_eq!(run["status"], json!("succeeded"), "{run:#}");
    assert_eq!(run["output"]["stdout"], json!(format!("[{PAYLOAD}]")));
}

/// A process that echoes a plugin's value does not make it the operator's: its output is tainted.
#[test]
fn a_process_does_not_launder_a_plugin_output() {
    let scratch = Scratch::new();
    let (_server, outcome) = run_after_lookup(
        &scratch,
        1,
        vec![
            process(
                "echo-name",
                "printf",
                json!(["%s", "${output:lookup/body/name}"]),
            ),
            process(
                "use-name",
                "printf",
                json!("'[%s]' ${output:echo-name/stdout}"),
            ),
        ],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_not_pwned(&scratch, &outcome);
    let journal = outcome.journal();
    assert_eq!(journal["run"][1]["output"]["stdout"], json!(PAYLOAD));
    assert_eq!(
        journal["run"][2]["output"]["stdout"],
        json!(format!("[{PAYLOAD}]"))
    );
}

#[test]
fn a_plugin_output_alone_as_process_arguments_is_refused_before_the_run() {
    let scratch = Scratch::new();
    let (server, outcome) = run_after_lookup(
        &scratch,
        1,
        vec![process(
            "use-name",
            "printf",
            json!("${output:lookup/body/name}"),
        )],
    );
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    outcome.assert_line(
        "ERROR   /method/1/provider/arguments: \"${output:lookup/body/name}\" is a value from an \
         earlier activity's output, which a plugin shapes: as a process's whole arguments it would \
         choose between the shell form (a string) and the argv form (a list). Write the arguments \
         as a list instead: [\"${output:lookup/body/name}\"]",
    );
    assert_eq!(server.hits(), 0, "nothing ran");
    assert!(!scratch.run_dir().join("journal.json").exists());
}

/// The refusal of a call to `other`, whose origin came from `source`.
#[track_caller]
fn assert_refused(
    scratch: &Scratch,
    outcome: &Outcome,
    index: usize,
    other: &StatusServer,
    source: &str,
) {
    let (journal, run) = outcome.completed_despite_failed_run(index);
    let origin = format!("http://127.0.0.1:{}", other.port);
    let message = format!(
        "activity 'call-endpoint' may not call {origin}: that origin comes from {source}, not from \
         the experiment as written, and the provider does not allow it. To let it, add to the \
         activity's provider: \"allowed_origins\": [\"{origin}\"]"
    );
    assert_eq!(
        run["exception"][0],
        json!(format!("chaoslib.exceptions.ActivityFailed: {message}\n"))
    );
    outcome.assert_line(&format!("ERROR   => failed: {message}"));
    assert_eq!(other.hits(), 0, "the secret went to {origin}");
    assert_eq!(journal["rollbacks"][0]["status"], json!("succeeded"));
    assert!(scratch.run_dir().join("rolled-back").exists());
}

fn call_endpoint(url: &str, allowed_origins: Option<Value>) -> Value {
    let mut provider = json!({"url": url, "headers": {"Authorization": "Bearer ${token}"}});
    if let Some(origins) = allowed_origins {
        provider["allowed_origins"] = origins;
    }
    http("action", "call-endpoint", provider)
}

#[test]
fn a_plugin_output_cannot_choose_the_host_that_gets_the_secret() {
    let scratch = Scratch::new();
    let other = StatusServer::start(200, "text/plain", "got it");
    let (_server, outcome) = run_after_lookup(
        &scratch,
        other.port,
        vec![call_endpoint("${output:lookup/body/endpoint}/x", None)],
    );
    assert_refused(
        &scratch,
        &outcome,
        1,
        &other,
        "${output:lookup/body/endpoint} (an earlier activity's output)",
    );
}

#[test]
fn allowed_origins_lets_a_plugin_output_choose_a_listed_host() {
    let scratch = Scratch::new();
    let other = StatusServer::start(200, "text/plain", "got it");
    let origin = format!("http://127.0.0.1:{}", other.port);
    let (_server, outcome) = run_after_lookup(
        &scratch,
        other.port,
        vec![call_endpoint(
            "${output:lookup/body/endpoint}/x",
            Some(json!([origin])),
        )],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let run = &outcome.journal()["run"][1];
    assert_eq!(run["status"], json!("succeeded"), "{run:#}");
    assert_eq!(run["output"]["body"], json!("got it"));
    assert_eq!(other.hits(), 1);
}

/// Configuration the http plugin computed is as much the plugin's as its outputs.
#[test]
fn plugin_computed_configuration_is_tainted_too() {
    let scratch = Scratch::new();
    let other = StatusServer::start(200, "text/plain", "got it");
    let names = StatusServer::start(200, "text/plain", PAYLOAD);
    let endpoints = StatusServer::start(
        200,
        "text/plain",
        leak(format!("http://127.0.0.1:{}", other.port)),
    );
    let dynamic = |server: &StatusServer| json!({"type": "probe", "name": "compute", "provider": {"type": "http", "url": server.url()}});
    let configuration = json!({"name": dynamic(&names), "endpoint": dynamic(&endpoints)});
    let outcome = scratch.run(&experiment(
        configuration.clone(),
        vec![
            process("use-name", "printf", json!("'[%s]' ${name}")),
            call_endpoint("${endpoint}/x", None),
        ],
    ));
    assert_not_pwned(&scratch, &outcome);
    assert_eq!(
        outcome.journal()["run"][0]["output"]["stdout"],
        json!(format!("[{PAYLOAD}]"))
    );
    assert_refused(
        &scratch,
        &outcome,
        1,
        &other,
        "${endpoint} (configuration a plugin computed (dynamic configuration))",
    );

    let refused = Scratch::new().run(&experiment(
        configuration,
        vec![process("use-name", "printf", json!("${name}"))],
    ));
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "/method/0/provider/arguments: \"${name}\" is a value from configuration a plugin \
             computed (dynamic configuration), which a plugin shapes"
        ),
        "{}",
        refused.stderr
    );
}

/// An experiment served from a loopback address with a process activity.
fn served_experiment() -> StatusServer {
    let experiment = json!({
        "title": "remote", "description": "d",
        "method": [process("mark", "touch", json!(["ran"]))]
    });
    json_server(experiment)
}

/// `0.0.0.0` reaches this machine's server but is no loopback name: it stands for another machine.
#[test]
fn a_plain_http_experiment_from_another_machine_needs_the_operators_leave() {
    let scratch = Scratch::new();
    let server = served_experiment();
    let url = format!("http://0.0.0.0:{}/experiment.json", server.port);
    let refused = scratch.chaosrt().args(["run", &url]).output().unwrap();
    let refused = Outcome::new(refused, scratch.run_dir().join("journal.json"));
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    refused.assert_line(&format!(
        "ERROR refusing to fetch the experiment from {url} over plain http: anyone on the network \
         path could change what it runs on this host. Use https, or pass --allow-http-source if you \
         trust the network"
    ));
    assert_eq!(server.hits(), 0);

    let allowed = scratch
        .chaosrt()
        .args(["run", "--allow-http-source", &url])
        .output()
        .unwrap();
    let allowed = Outcome::new(allowed, scratch.run_dir().join("journal.json"));
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert!(scratch.run_dir().join("ran").exists());
}

#[test]
fn a_remote_experiment_says_which_commands_it_runs() {
    let scratch = Scratch::new();
    let server = served_experiment();
    let outcome = scratch.outcome(scratch.chaosrt().args(["run", &server.url()]));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    outcome.assert_line(&format!(
        "WARNING The experiment fetched from {} runs commands on this host (/method/0 runs \
         \"touch\"): read what they run before you trust it",
        server.url()
    ));
}
