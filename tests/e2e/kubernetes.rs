//! Kubernetes, against a real control plane: kube-apiserver, kube-controller-manager, kube-scheduler
//! and etcd that `scripts/cluster start` builds from Debian's sources and runs on loopback, with its
//! stand-in kubelet playing the node `chaosrt-node` (and the node a test registers for itself, for
//! what acts on a whole node). The tests fail, never skip, when the cluster cannot be started.
//!
//! Each test has a namespace of its own (and its own deployment or pods), waits with a bounded poll
//! until they are ready before acting, and deletes the namespace when done, so tests run in parallel
//! without sharing state. Fixtures and checks go through the `kube` client directly, not through
//! chaosrt.

use crate::support::{Outcome, Scratch, StatusServer, workspace};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The running test cluster.
struct Cluster {
    kubeconfig: PathBuf,
    audit_log: PathBuf,
    runtime: tokio::runtime::Runtime,
    client: kube::Client,
}

/// Starts the cluster once per test binary (a no-op when it is already running).
fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let out = Command::new(workspace().join("scripts/cluster"))
            .arg("start")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "the test cluster could not be started (scripts/cluster start): {stderr}"
        );
        let kubeconfig = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let audit_log = kubeconfig.with_file_name("audit.log");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let client = runtime.block_on(async {
            let config = kube::Config::from_custom_kubeconfig(
                kube::config::Kubeconfig::read_from(&kubeconfig).unwrap(),
                &Default::default(),
            )
            .await
            .unwrap();
            kube::Client::try_from(config).unwrap()
        });
        Cluster {
            kubeconfig,
            audit_log,
            runtime,
            client,
        }
    })
}

impl Cluster {
    fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }

    fn pods(&self, ns: &str) -> Api<Pod> {
        Api::namespaced(self.client.clone(), ns)
    }

    fn deployments(&self, ns: &str) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), ns)
    }
}

/// A namespace of the test's own, deleted when the test ends.
struct Ns {
    name: String,
}

/// `prefix-` and eight random hex digits.
fn unique(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    format!("{prefix}-{:08x}", h.finish() as u32)
}

impl Ns {
    fn new(prefix: &str) -> Ns {
        let name = unique(prefix);
        let c = cluster();
        let namespace: Namespace =
            serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        c.block_on(
            Api::<Namespace>::all(c.client.clone()).create(&PostParams::default(), &namespace),
        )
        .unwrap();
        Ns { name }
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let c = cluster();
        let _ = c.block_on(
            Api::<Namespace>::all(c.client.clone()).delete(&self.name, &DeleteParams::default()),
        );
    }
}

/// A pod as the checks see it.
#[derive(Debug, Clone)]
struct Seen {
    name: String,
    uid: String,
    terminating: bool,
    grace: Option<i64>,
    phase: String,
    node: Option<String>,
}

fn seen(ns: &str) -> Vec<Seen> {
    let c = cluster();
    let list = c.block_on(c.pods(ns).list(&ListParams::default())).unwrap();
    list.items
        .into_iter()
        .map(|p| Seen {
            name: p.metadata.name.clone().unwrap_or_default(),
            uid: p.metadata.uid.clone().unwrap_or_default(),
            terminating: p.metadata.deletion_timestamp.is_some(),
            grace: p.metadata.deletion_grace_period_seconds,
            phase: p
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default(),
            node: p.spec.as_ref().and_then(|s| s.node_name.clone()),
        })
        .collect()
}

/// The pods that are Running and not being deleted.
fn live(ns: &str) -> Vec<Seen> {
    seen(ns)
        .into_iter()
        .filter(|p| !p.terminating && p.phase == "Running")
        .collect()
}

/// The names of the live pods, sorted.
fn live_names(ns: &str) -> Vec<String> {
    let mut names: Vec<String> = live(ns).into_iter().map(|p| p.name).collect();
    names.sort();
    names
}

/// The names of the pods being deleted, in the API's order (by name).
fn terminating_names(ns: &str) -> Vec<String> {
    seen(ns)
        .into_iter()
        .filter(|p| p.terminating)
        .map(|p| p.name)
        .collect()
}

/// Runs the action `func` of the kubernetes plugin with `arguments` and returns its output.
#[track_caller]
fn act(func: &str, arguments: Value) -> Value {
    output(&run(&Scratch::new(), &one("action", func, arguments)))
}

/// Polls `check` every 100 ms for up to 60 s; panics with `what` if it never holds.
#[track_caller]
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Creates the Deployment `web` (label `app=web`) with `replicas` and a termination grace period of
/// `grace` seconds, plus `extra` merged into its pod spec, and waits until every replica is ready.
fn deploy(ns: &str, replicas: i32, grace: i64, extra: Value) {
    let c = cluster();
    let mut pod_spec = json!({
        "terminationGracePeriodSeconds": grace,
        "containers": [{"name": "web", "image": "registry.invalid/web:1"}],
    });
    if let (Value::Object(spec), Value::Object(more)) = (&mut pod_spec, extra) {
        spec.extend(more);
    }
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec},
        },
    }))
    .unwrap();
    c.block_on(
        c.deployments(ns)
            .create(&PostParams::default(), &deployment),
    )
    .unwrap();
    wait_ready(ns, replicas);
}

/// Waits until the Deployment `web` reports `replicas` ready and that many pods are live.
fn wait_ready(ns: &str, replicas: i32) {
    let c = cluster();
    wait_for(&format!("{replicas} ready replicas of web in {ns}"), || {
        let d = c.block_on(c.deployments(ns).get("web")).unwrap();
        let status = d.status.unwrap_or_default();
        status.ready_replicas == Some(replicas)
            && status.available_replicas == Some(replicas)
            && live(ns).len() == replicas as usize
    });
}

/// Creates a bare pod `name` (label `app=solo`) with a termination grace period of `grace` seconds
/// and waits until it runs.
fn bare_pod(ns: &str, name: &str, grace: i64) {
    let c = cluster();
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "solo"}},
        "spec": {"terminationGracePeriodSeconds": grace,
                 "containers": [{"name": "c", "image": "registry.invalid/c:1"}]},
    }))
    .unwrap();
    c.block_on(c.pods(ns).create(&PostParams::default(), &pod))
        .unwrap();
    wait_for(&format!("pod {name} running"), || {
        live(ns).iter().any(|p| p.name == name)
    });
}

/// Runs `experiment` with chaosrt against the cluster.
fn run(scratch: &Scratch, experiment: &Value) -> Outcome {
    run_with(scratch, experiment, &cluster().kubeconfig, &[])
}

/// Runs `experiment` with chaosrt, the kubeconfig `kubeconfig` and the variables `env`.
fn run_with(
    scratch: &Scratch,
    experiment: &Value,
    kubeconfig: &std::path::Path,
    env: &[(&str, &str)],
) -> Outcome {
    let path = scratch.run_dir().join("experiment.json");
    std::fs::write(&path, serde_json::to_string_pretty(experiment).unwrap()).unwrap();
    let mut command = scratch.chaosrt();
    command
        .env("KUBECONFIG", kubeconfig)
        .envs(env.iter().copied());
    scratch.outcome(command.args(["run", "experiment.json"]))
}

/// An experiment with one activity calling `func` of the built-in kubernetes plugin.
fn one(kind: &str, func: &str, arguments: Value) -> Value {
    json!({"title": "t", "description": "d", "method": [{
        "type": kind, "name": func,
        "provider": {"type": "plugin", "plugin": "kubernetes", "func": func, "arguments": arguments},
    }]})
}

/// The journal record of the method's first activity, after checking that its status is `status`.
#[track_caller]
fn first_run(outcome: &Outcome, status: &str) -> Value {
    let journal = outcome.journal();
    let run = journal["run"][0].clone();
    assert_eq!(
        run["status"],
        json!(status),
        "{journal:#}\n{}",
        outcome.stderr
    );
    run
}

/// The output of the method's first activity, after checking that it succeeded.
#[track_caller]
fn output(outcome: &Outcome) -> Value {
    first_run(outcome, "succeeded")["output"].clone()
}

/// The failure text of the method's first activity, after checking that it failed.
#[track_caller]
fn failure(outcome: &Outcome) -> String {
    first_run(outcome, "failed")["exception"].to_string()
}

/// The journal of a run that completed.
#[track_caller]
fn finished(outcome: &Outcome) -> Value {
    let journal = outcome.journal();
    assert_eq!(
        journal["status"],
        json!("completed"),
        "{journal:#}\n{}",
        outcome.stderr
    );
    journal
}

/// The journal of a run that completed with its steady state met before and after.
#[track_caller]
fn completed(outcome: &Outcome) -> Value {
    let journal = finished(outcome);
    for when in ["before", "after"] {
        assert_eq!(
            journal["steady_states"][when]["steady_state_met"],
            json!(true),
            "{journal:#}"
        );
    }
    journal
}

fn names(output: &Value) -> Vec<String> {
    output
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {output}"))
        .iter()
        .map(|v| {
            v.as_str()
                .map(String::from)
                .unwrap_or_else(|| v["name"].as_str().unwrap().into())
        })
        .collect()
}

/// A chaosk8s probe, as an experiment written for `chaos run` has it.
fn chaosk8s(module: &str, func: &str, arguments: Value, tolerance: Value) -> Value {
    json!({"type": "probe", "name": func, "tolerance": tolerance,
           "provider": {"type": "python", "module": module, "func": func,
                        "arguments": arguments, "secrets": ["k8s"]}})
}

#[test]
fn a_chaosk8s_experiment_kills_one_pod_and_the_deployment_recovers() {
    let ns = Ns::new("kube-steady");
    deploy(&ns.name, 3, 1, json!({}));
    let before = live(&ns.name);
    let n = &ns.name;
    let experiment = json!({
        "title": "one pod of web can die",
        "description": "written for chaostoolkit-kubernetes",
        "secrets": {"k8s": {"KUBERNETES_CONTEXT": "chaosrt"}},
        "steady-state-hypothesis": {"title": "web is healthy", "probes": [
            chaosk8s("chaosk8s.deployment.probes", "deployment_available_and_healthy",
                     json!({"name": "web", "ns": n}), json!(true)),
            chaosk8s("chaosk8s.pod.probes", "pods_in_phase",
                     json!({"label_selector": "app=web", "ns": n}), json!(true)),
            chaosk8s("chaosk8s.pod.probes", "count_min_pods",
                     json!({"label_selector": "app=web", "min_count": 3, "ns": n}), json!(true)),
        ]},
        "method": [
            {"type": "action", "name": "kill one web pod",
             "provider": {"type": "python", "module": "chaosk8s.pod.actions",
                          "func": "terminate_pods", "secrets": ["k8s"],
                          "arguments": {"label_selector": "app=web", "qty": 1, "ns": n}},
             // Until the controllers have seen the kill, the Deployment still reports the
             // replicas it had: the readiness probe would pass at once (so with chaosk8s too).
             "pauses": {"after": 2}},
            {"type": "probe", "name": "web recovers",
             "provider": {"type": "python", "module": "chaosk8s.deployment.probes",
                          "func": "deployment_fully_available", "secrets": ["k8s"],
                          "arguments": {"name": "web", "ns": n, "timeout": 30}}},
        ],
    });
    let scratch = Scratch::new();
    let outcome = run(&scratch, &experiment);
    let journal = completed(&outcome);
    let killed = names(&journal["run"][0]["output"]);
    assert_eq!(killed.len(), 1, "{killed:?}");
    let victim = before
        .iter()
        .find(|p| p.name == killed[0])
        .expect("a pod that was there");
    assert_eq!(journal["run"][1]["output"], json!(true));

    // Exactly that one is gone (or going); the ReplicaSet replaced it; the others were not touched.
    wait_ready(n, 3);
    let after = live(n);
    let kept: Vec<&Seen> = after
        .iter()
        .filter(|p| before.iter().any(|b| b.uid == p.uid))
        .collect();
    assert_eq!(kept.len(), 2, "before {before:?}, after {after:?}");
    assert!(after.iter().all(|p| p.uid != victim.uid), "{after:?}");
    assert_eq!(after.len(), 3, "{after:?}");
}

#[test]
fn the_context_comes_from_the_secrets_and_an_unknown_one_is_refused() {
    let experiment = json!({
        "title": "t", "description": "d",
        "secrets": {"k8s": {"KUBERNETES_CONTEXT": "nope"}},
        "method": [chaosk8s("chaosk8s.pod.probes", "count_pods",
                            json!({"label_selector": "app=web"}), json!(0))],
    });
    let scratch = Scratch::new();
    let message = failure(&run(&scratch, &experiment));
    // The journal masks secret values, the context's name among them.
    assert!(
        message.contains(&format!(
            "cannot use the Kubernetes credentials from {} (context ***): failed to load current \
             context: ***",
            cluster().kubeconfig.display()
        )),
        "{message}"
    );
}

#[test]
fn percentage_mode_kills_the_rounded_up_share_in_name_order() {
    let ns = Ns::new("kube-percent");
    deploy(&ns.name, 4, 30, json!({}));
    let before = live_names(&ns.name);
    // ceil(30% of 4) = 2: the first two in the API's order, which is by name.
    let out = act(
        "terminate_pods",
        json!({"label_selector": "app=web", "mode": "percentage", "qty": 30, "ns": ns.name}),
    );
    assert_eq!(names(&out), before[..2].to_vec());
    assert_eq!(terminating_names(&ns.name), before[..2].to_vec());
}

#[test]
fn name_pattern_is_searched_in_pod_names() {
    let ns = Ns::new("kube-pattern");
    deploy(&ns.name, 3, 30, json!({}));
    let before = live_names(&ns.name);
    // The last pod by name: without the pattern, alphabetic order would take the first.
    let target = before.last().unwrap().clone();
    let suffix = &target[target.len() - 5..];
    let out = act(
        "terminate_pods",
        json!({"name_pattern": format!("{suffix}$"), "ns": ns.name}),
    );
    assert_eq!(names(&out), vec![target.clone()]);
    assert_eq!(terminating_names(&ns.name), vec![target]);
}

#[test]
fn order_oldest_kills_the_first_created_not_the_first_by_name() {
    let ns = Ns::new("kube-oldest");
    // Created a second apart (creation times have a resolution of one second), oldest last by name.
    for name in ["p-c", "p-b", "p-a"] {
        bare_pod(&ns.name, name, 30);
        std::thread::sleep(Duration::from_millis(1100));
    }
    let scratch = Scratch::new();
    let args = |order: &str| {
        json!({"label_selector": "app=solo", "qty": 2, "order": order, "ns": ns.name,
               "dry_run": true})
    };
    let alphabetic = output(&run(
        &scratch,
        &one("action", "terminate_pods", args("alphabetic")),
    ));
    assert_eq!(names(&alphabetic), ["p-a", "p-b"]);
    let oldest = output(&run(
        &scratch,
        &one("action", "terminate_pods", args("oldest")),
    ));
    assert_eq!(names(&oldest), ["p-c", "p-b"]);
}

#[test]
fn grace_periods_are_sent_and_the_result_says_what_the_server_applied() {
    let ns = Ns::new("kube-grace");
    for name in ["g-default", "g-five", "g-zero"] {
        bare_pod(&ns.name, name, 30);
    }
    let uid = |name: &str| {
        seen(&ns.name)
            .into_iter()
            .find(|p| p.name == name)
            .unwrap()
            .uid
    };
    let kill = |name: &str, grace: i64| {
        let scratch = Scratch::new();
        let out = output(&run(
            &scratch,
            &one(
                "action",
                "kill_pods",
                json!({"name_pattern": format!("^{name}$"), "grace_period": grace,
                        "ns": ns.name}),
            ),
        ));
        out.as_array().unwrap()[0].clone()
    };
    let five_uid = uid("g-five");
    let five = kill("g-five", 5);
    assert_eq!(five["name"], json!("g-five"));
    assert_eq!(five["uid"], json!(five_uid));
    assert_eq!(five["grace_period_seconds"], json!(5));
    assert_eq!(five["removed"], json!(false));
    let on_server = seen(&ns.name)
        .into_iter()
        .find(|p| p.name == "g-five")
        .unwrap();
    assert!(on_server.terminating);
    assert_eq!(on_server.grace, Some(5));

    // -1 leaves the pod's own (30 s).
    let default = kill("g-default", -1);
    assert_eq!(default["grace_period_seconds"], json!(30));
    let on_server = seen(&ns.name)
        .into_iter()
        .find(|p| p.name == "g-default")
        .unwrap();
    assert_eq!(on_server.grace, Some(30));

    // 0 removes it from the API at once.
    let zero = kill("g-zero", 0);
    assert_eq!(zero["grace_period_seconds"], json!(0));
    assert_eq!(zero["removed"], json!(true));
    assert!(seen(&ns.name).iter().all(|p| p.name != "g-zero"));
}

#[test]
fn chaos_mesh_modes_select_as_chaos_mesh_does_and_a_dry_run_kills_nothing() {
    let ns = Ns::new("kube-modes");
    deploy(&ns.name, 4, 30, json!({}));
    let before = live(&ns.name);
    let scratch = Scratch::new();
    let count = |mode: &str, qty: i64| {
        let out = output(&run(
            &scratch,
            &one(
                "action",
                "kill_pods",
                json!({"label_selector": "app=web", "mode": mode, "qty": qty, "ns": ns.name,
                        "dry_run": true}),
            ),
        ));
        for killed in out.as_array().unwrap() {
            assert_eq!(killed["dry_run"], json!(true));
            assert!(
                before
                    .iter()
                    .any(|p| p.uid == killed["uid"].as_str().unwrap())
            );
        }
        names(&out).len()
    };
    assert_eq!(count("one", 1), 1);
    assert_eq!(count("all", 1), 4);
    assert_eq!(count("fixed", 3), 3);
    assert_eq!(count("fixed-percent", 50), 2);
    assert!(count("random-max-percent", 50) <= 2);
    // Nothing was deleted by the dry runs.
    let after = seen(&ns.name);
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().all(|p| !p.terminating), "{after:?}");

    let out = output(&run(
        &scratch,
        &one(
            "action",
            "kill_pods",
            json!({"label_selector": "app=web", "ns": ns.name}),
        ),
    ));
    assert_eq!(names(&out).len(), 1);
    let terminating: Vec<Seen> = seen(&ns.name)
        .into_iter()
        .filter(|p| p.terminating)
        .collect();
    assert_eq!(terminating.len(), 1, "{terminating:?}");
    assert_eq!(json!(terminating[0].uid), out[0]["uid"]);
}

#[test]
fn the_min_ready_guard_refuses_and_kills_nothing() {
    let ns = Ns::new("kube-guard");
    deploy(&ns.name, 3, 30, json!({}));
    let scratch = Scratch::new();
    let kill = |min_ready: u64| {
        run(
            &scratch,
            &one(
                "action",
                "terminate_pods",
                json!({"label_selector": "app=web", "qty": 1, "ns": ns.name,
                        "min_ready": min_ready}),
            ),
        )
    };
    let message = failure(&kill(3));
    assert!(
        message.contains("refusing to kill 1 pod(s) in '")
            && message.contains(
                "that would leave 2 ready pod(s) of the 3 ready now, fewer than \
                                 min_ready 3; nothing was killed"
            ),
        "{message}"
    );
    assert!(seen(&ns.name).iter().all(|p| !p.terminating));
    assert_eq!(names(&output(&kill(2))).len(), 1);
}

#[test]
fn requests_outside_the_grant_never_reach_the_api_server() {
    use chaosrt_test_guests::KUBEWANT;
    let c = cluster();
    let scratch = Scratch::new();
    scratch.install(KUBEWANT);
    let marker = unique("kube-marker");
    let send = |arguments: Value| {
        let experiment = json!({"title": "t", "description": "d", "method": [{
            "type": "probe", "name": "send",
            "provider": {"type": "plugin", "plugin": "kubewant", "func": "pods",
                         "arguments": arguments}}]});
        run(&scratch, &experiment)
    };
    // Inside the grant: it reaches the server, which records it.
    let allowed = format!("probe=allowed-{marker}");
    assert_eq!(
        output(&send(json!({"label_selector": allowed}))),
        json!({"status": 200})
    );
    let audit = || std::fs::read_to_string(&c.audit_log).unwrap_or_default();
    wait_for("the allowed request in the audit log", || {
        audit().contains(&format!("allowed-{marker}"))
    });
    // Outside it: another namespace, a resource not granted, a verb not granted.
    let denied_ns = format!("denied-{marker}");
    for (arguments, needs) in [
        (
            json!({"namespace": denied_ns}),
            format!("namespace {denied_ns}, resource pods"),
        ),
        (
            json!({"group": "apps", "resource": "deployments",
                   "label_selector": format!("probe=resource-{marker}")}),
            "resource deployments.apps and verb list".to_string(),
        ),
        (
            json!({"verb": "get", "name": format!("verb-{marker}")}),
            "resource pods and verb get".to_string(),
        ),
    ] {
        let message = failure(&send(arguments));
        assert!(message.contains(&needs), "{message}");
    }
    // The server saw none of them: a later allowed request is in the log, the refused ones are not.
    let later = format!("probe=later-{marker}");
    assert_eq!(
        output(&send(json!({"label_selector": later}))),
        json!({"status": 200})
    );
    wait_for("the later request in the audit log", || {
        audit().contains(&format!("later-{marker}"))
    });
    let log = audit();
    for refused in [
        denied_ns,
        format!("resource-{marker}"),
        format!("verb-{marker}"),
    ] {
        assert!(!log.contains(&refused), "the API server saw {refused}");
    }
}

/// A kubeconfig for a server at `http://127.0.0.1:port`, in `scratch`.
fn kubeconfig_for(scratch: &Scratch, port: u16) -> PathBuf {
    let path = scratch.dir.path().join("fault.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: f\n  cluster:\n    server: \
             http://127.0.0.1:{port}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- \
             name: f\n  context:\n    cluster: f\n    user: u\ncurrent-context: f\n"
        ),
    )
    .unwrap();
    path
}

/// `pods_in_phase` with an activity timeout of `timeout` seconds against the server at `port`.
fn probe_against(port: u16, timeout: u64) -> String {
    let scratch = Scratch::new();
    let kubeconfig = kubeconfig_for(&scratch, port);
    let mut experiment = one(
        "probe",
        "pods_in_phase",
        json!({"label_selector": "app=web"}),
    );
    experiment["method"][0]["timeout"] = json!(timeout);
    failure(&run_with(&scratch, &experiment, &kubeconfig, &[]))
}

/// A fault-injecting stand-in for an API server that is itself the victim: every request gets 503
/// with a Kubernetes `Status` body. The activity fails within its timeout, with the server's
/// message, after a bounded number of attempts.
#[test]
fn an_api_server_answering_503_fails_the_activity_within_its_timeout() {
    let server = StatusServer::start(
        503,
        "application/json",
        r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: leader changed","reason":"ServiceUnavailable","code":503}"#,
    );
    let message = probe_against(server.port, 20);
    assert!(
        message.contains(&format!(
            "the Kubernetes API server at http://127.0.0.1:{} answered 503 to list pods in \
             namespace default: etcdserver: leader changed (3 attempts)",
            server.port
        )),
        "{message}"
    );
    assert!(!message.contains("took too long"), "{message}");
    assert_eq!(server.hits(), 3);
}

/// A fault-injecting stand-in that accepts connections and never answers: the request's own
/// deadline, inside the activity's timeout, ends it with a message saying so.
#[test]
fn an_api_server_that_hangs_fails_the_activity_within_its_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut reading = stream.try_clone().unwrap();
            std::thread::spawn(move || {
                let mut sink = [0u8; 1024];
                while reading.read(&mut sink).unwrap_or(0) > 0 {}
            });
            held.push(stream);
        }
    });
    let message = probe_against(port, 3);
    assert!(
        message.contains(&format!(
            "the Kubernetes API server at http://127.0.0.1:{port} did not answer list pods in \
             namespace default within"
        )),
        "{message}"
    );
    assert!(!message.contains("took too long"), "{message}");
}

/// A Node of the test's own, which the stand-in kubelet plays (label `chaosrt.dev/stand-in`), Ready
/// and tainted so that only pods tolerating `chaosrt.dev/own-node=NAME` land on it: cordoning and
/// draining it touches no other test's pods. Deleted when the test ends.
struct OwnNode {
    name: String,
}

impl OwnNode {
    fn new(prefix: &str) -> OwnNode {
        let name = unique(prefix);
        let c = cluster();
        let nodes: Api<Node> = Api::all(c.client.clone());
        let node: Node = serde_json::from_value(json!({"metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "chaosrt.dev/stand-in": "true"}}}))
        .unwrap();
        c.block_on(nodes.create(&PostParams::default(), &node))
            .unwrap();
        // What a kubelet does when it registers: its own taints in place of the not-ready one
        // admission adds, then a Ready status with room for pods.
        let taints = json!({"spec": {"taints": [
            {"key": "chaosrt.dev/own-node", "value": name, "effect": "NoSchedule"}]}});
        c.block_on(nodes.patch(&name, &PatchParams::default(), &Patch::Merge(taints)))
            .unwrap();
        let room = json!({"cpu": "32", "memory": "64Gi", "pods": "110"});
        let status = json!({"status": {
            "capacity": room, "allocatable": room,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "a test's node, played by the stand-in kubelet"}]}});
        c.block_on(nodes.patch_status(&name, &PatchParams::default(), &Patch::Merge(status)))
            .unwrap();
        OwnNode { name }
    }

    /// What a pod spec needs to land on this node.
    fn placement(&self) -> Value {
        json!({"nodeSelector": {"kubernetes.io/hostname": self.name},
               "tolerations": [{"key": "chaosrt.dev/own-node", "operator": "Equal",
                                "value": self.name, "effect": "NoSchedule"}]})
    }
}

impl Drop for OwnNode {
    fn drop(&mut self) {
        let c = cluster();
        let _ = c.block_on(
            Api::<Node>::all(c.client.clone()).delete(&self.name, &DeleteParams::default()),
        );
    }
}

#[test]
fn cordon_uncordon_and_drain_a_node() {
    let own = OwnNode::new("kube-drain");
    let node = own.name.as_str();
    let c = cluster();
    let nodes: Api<Node> = Api::all(c.client.clone());
    let unschedulable = || {
        c.block_on(nodes.get(node))
            .unwrap()
            .spec
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
    };
    let ns = Ns::new("kube-drain");
    deploy(&ns.name, 2, 1, own.placement());
    let before = live(&ns.name);
    assert!(
        before.iter().all(|p| p.node.as_deref() == Some(node)),
        "{before:?}"
    );
    let scratch = Scratch::new();

    let out = output(&run(
        &scratch,
        &one("action", "cordon_node", json!({"name": node})),
    ));
    assert_eq!(out, json!([node]));
    assert!(unschedulable());
    let out = output(&run(
        &scratch,
        &one("action", "uncordon_node", json!({"name": node})),
    ));
    assert_eq!(out, json!([node]));
    assert!(!unschedulable());

    let out = output(&run(
        &scratch,
        &one(
            "action",
            "drain_nodes",
            json!({"name": node, "timeout": 60}),
        ),
    ));
    assert_eq!(out, json!([node]));
    assert!(unschedulable());
    // The evicted pods are gone; their replacements wait, unscheduled, for the node to come back.
    let after = seen(&ns.name);
    assert!(
        after.iter().all(|p| before.iter().all(|b| b.uid != p.uid)),
        "{after:?}"
    );
    wait_for("two unscheduled replacements", || {
        let pending: Vec<Seen> = seen(&ns.name)
            .into_iter()
            .filter(|p| p.node.is_none() && p.phase == "Pending")
            .collect();
        pending.len() == 2
    });
    let out = output(&run(
        &scratch,
        &one("action", "uncordon_node", json!({"name": node})),
    ));
    assert_eq!(out, json!([node]));
    wait_ready(&ns.name, 2);
}

#[test]
fn deployment_actions_scale_and_delete() {
    let ns = Ns::new("kube-deploy");
    deploy(&ns.name, 1, 1, json!({}));
    let scratch = Scratch::new();
    output(&run(
        &scratch,
        &one(
            "action",
            "scale_deployment",
            json!({"name": "web", "replicas": 2, "ns": ns.name}),
        ),
    ));
    wait_ready(&ns.name, 2);
    let out = output(&run(
        &scratch,
        &one(
            "probe",
            "deployment_available_and_healthy",
            json!({"name": "web", "ns": ns.name}),
        ),
    ));
    assert_eq!(out, json!(true));
    let message = failure(&run(
        &scratch,
        &one(
            "probe",
            "deployment_available_and_healthy",
            json!({"name": "nope", "ns": ns.name}),
        ),
    ));
    assert!(
        message.contains("Deployment 'nope' was not found"),
        "{message}"
    );
    output(&run(
        &scratch,
        &one(
            "action",
            "delete_deployment",
            json!({"name": "web", "ns": ns.name}),
        ),
    ));
    let c = cluster();
    wait_for("web deleted", || {
        c.block_on(c.deployments(&ns.name).get_opt("web"))
            .unwrap()
            .is_none()
    });
}

#[test]
fn discover_lists_what_the_grant_lets_the_plugin_see() {
    let ns = Ns::new("kube-discover");
    deploy(&ns.name, 1, 1, json!({}));
    let scratch = Scratch::new();
    let discovered = scratch.outcome(
        scratch
            .chaosrt()
            .env("KUBECONFIG", &cluster().kubeconfig)
            .arg("discover"),
    );
    assert_eq!(discovered.code, 0, "{}", discovered.stderr);
    let document = crate::support::read_json(scratch.run_dir().join("discovery.json"));
    let plugin = document["system"]["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "kubernetes")
        .unwrap_or_else(|| panic!("{document:#}"));
    let targets = plugin["targets"].as_array().unwrap();
    let has = |kind: &str, name: &str, namespace: Option<&str>| {
        targets
            .iter()
            .any(|t| t["kind"] == kind && t["name"] == name && t["namespace"].as_str() == namespace)
    };
    assert!(has("namespace", &ns.name, None), "{targets:#?}");
    assert!(has("deployment", "web", Some(&ns.name)), "{targets:#?}");
    assert!(
        targets
            .iter()
            .any(|t| t["kind"] == "pod" && t["namespace"] == json!(ns.name)),
        "{targets:#?}"
    );
}

/// `examples/kubernetes/`, in a namespace of the test's own (the only change made to either file).
#[test]
fn the_example_experiment_runs_against_the_example_deployment() {
    let ns = Ns::new("kube-example");
    let example = workspace().join("examples/kubernetes");
    let mut deployment = crate::support::read_json(example.join("deployment.json"));
    deployment["metadata"]["namespace"] = json!(ns.name);
    let deployment: Deployment = serde_json::from_value(deployment).unwrap();
    let c = cluster();
    c.block_on(
        c.deployments(&ns.name)
            .create(&PostParams::default(), &deployment),
    )
    .unwrap();
    wait_ready(&ns.name, 3);
    let text = std::fs::read_to_string(example.join("experiment.json")).unwrap();
    let experiment: Value = serde_json::from_str(
        &text.replace(r#""ns": "default""#, &format!(r#""ns": "{}""#, ns.name)),
    )
    .unwrap();
    let scratch = Scratch::new();
    let outcome = run_with(
        &scratch,
        &experiment,
        &c.kubeconfig,
        &[("KUBERNETES_CONTEXT", "chaosrt")],
    );
    let journal = completed(&outcome);
    assert_eq!(names(&journal["run"][0]["output"]).len(), 1);
}

#[test]
fn a_network_policy_is_created_and_removed() {
    use k8s_openapi::api::networking::v1::NetworkPolicy;
    let ns = Ns::new("kube-netpol");
    let c = cluster();
    let policies: Api<NetworkPolicy> = Api::namespaced(c.client.clone(), &ns.name);
    let scratch = Scratch::new();
    output(&run(
        &scratch,
        &one(
            "action",
            "deny_all_ingress",
            json!({"label_selectors": {"app": "web"}, "ns": ns.name}),
        ),
    ));
    let policy = c
        .block_on(policies.get("chaostoolkit-deny-all-ingress"))
        .unwrap();
    let spec = serde_json::to_value(policy.spec.unwrap()).unwrap();
    assert_eq!(spec["podSelector"], json!({"matchLabels": {"app": "web"}}));
    assert_eq!(spec["policyTypes"], json!(["Ingress"]));
    output(&run(
        &scratch,
        &one("action", "remove_deny_all_ingress", json!({"ns": ns.name})),
    ));
    assert!(
        c.block_on(policies.get_opt("chaostoolkit-deny-all-ingress"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn service_is_initialized_finds_a_service_by_name_or_label() {
    use k8s_openapi::api::core::v1::Service;
    let ns = Ns::new("kube-service");
    let c = cluster();
    let service: Service = serde_json::from_value(json!({
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }))
    .unwrap();
    c.block_on(
        Api::<Service>::namespaced(c.client.clone(), &ns.name)
            .create(&PostParams::default(), &service),
    )
    .unwrap();
    let scratch = Scratch::new();
    let probe =
        |arguments: Value| run(&scratch, &one("probe", "service_is_initialized", arguments));
    assert_eq!(
        output(&probe(json!({"name": "web", "ns": ns.name}))),
        json!(true)
    );
    assert_eq!(
        output(&probe(json!({"label_selector": "app=web", "ns": ns.name}))),
        json!(true)
    );
    let message = failure(&probe(json!({"name": "nope", "ns": ns.name})));
    assert!(
        message.contains("service 'nope' is not initialized"),
        "{message}"
    );
    let quiet = json!({"name": "nope", "ns": ns.name, "raise_if_service_not_initialized": false});
    assert_eq!(output(&probe(quiet)), json!(false));
}

#[test]
fn read_pod_logs_returns_each_pods_logs_through_the_api_server() {
    let ns = Ns::new("kube-logs");
    deploy(&ns.name, 2, 1, json!({}));
    let pods = live_names(&ns.name);
    let experiment = json!({"title": "t", "description": "d", "method": [{
        "type": "probe", "name": "logs",
        "provider": {"type": "python", "module": "chaosk8s.pod.probes", "func": "read_pod_logs",
                     "arguments": {"label_selector": "app=web", "ns": ns.name, "last": "10 minutes"}},
    }]});
    let logs = output(&run(&Scratch::new(), &experiment));
    let mut names: Vec<&str> = logs
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort();
    assert_eq!(names, pods);
    for pod in &pods {
        // What the stand-in kubelet serves, fetched by the API server: a timestamp, then the line.
        let text = logs[pod].as_str().unwrap();
        let expected = format!(" stand-in container web of {}/{pod} started\n", ns.name);
        assert!(
            text.ends_with(&expected) && text.starts_with("20"),
            "{text:?}"
        );
    }
}

/// No kubeconfig: chaosk8s' explicit settings from the secrets (host, token, CA file) reach the
/// cluster, and the CA is checked (a wrong one fails the TLS handshake).
#[test]
fn explicit_host_and_token_secrets_are_used_without_a_kubeconfig() {
    let ns = Ns::new("kube-explicit");
    bare_pod(&ns.name, "solo", 1);
    let pki = cluster().kubeconfig.with_file_name("pki");
    let token = std::fs::read_to_string(pki.join("token")).unwrap();
    let scratch = Scratch::new();
    let count = |ca: &std::path::Path| {
        let experiment = json!({
            "title": "t", "description": "d",
            "secrets": {"k8s": {
                "KUBERNETES_HOST": "https://127.0.0.1:16443",
                "KUBERNETES_API_KEY": token.trim(),
                "KUBERNETES_CA_CERT_FILE": ca.display().to_string(),
            }},
            "method": [chaosk8s("chaosk8s.pod.probes", "count_pods",
                                json!({"label_selector": "app=solo", "ns": ns.name}), json!(1))],
        });
        scratch.run_adjusted(&experiment, |c| {
            c.env_remove("KUBECONFIG").env("HOME", scratch.dir.path())
        })
    };
    assert_eq!(output(&count(&pki.join("ca.crt"))), json!(1));
    // The server's own certificate is not a CA: verification fails, nothing is read.
    let message = failure(&count(&pki.join("apiserver.crt")));
    assert!(message.contains("certificate"), "{message}");
}

/// A CustomResourceDefinition of the test's own (`widgets.GROUP`, namespaced, and `gadgets.GROUP`,
/// cluster-scoped, in a group named after the test), deleted when the test ends.
struct Crd {
    group: String,
}

impl Crd {
    fn new(prefix: &str) -> Crd {
        use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
        let group = format!("{}.chaosrt.test", unique(prefix));
        let c = cluster();
        let crds: Api<CustomResourceDefinition> = Api::all(c.client.clone());
        for (plural, kind, scope) in [
            ("widgets", "Widget", "Namespaced"),
            ("gadgets", "Gadget", "Cluster"),
        ] {
            let crd: CustomResourceDefinition = serde_json::from_value(json!({
                "metadata": {"name": format!("{plural}.{group}")},
                "spec": {"group": group, "scope": scope,
                         "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind},
                         "versions": [{"name": "v1", "served": true, "storage": true, "schema":
                             {"openAPIV3Schema": {"type": "object",
                                                  "x-kubernetes-preserve-unknown-fields": true}}}]},
            }))
            .unwrap();
            c.block_on(crds.create(&PostParams::default(), &crd))
                .unwrap();
            let name = format!("{plural}.{group}");
            wait_for(&format!("{name} established"), || {
                let crd = c.block_on(crds.get(&name)).unwrap();
                crd.status
                    .and_then(|s| s.conditions)
                    .unwrap_or_default()
                    .iter()
                    .any(|cond| cond.type_ == "Established" && cond.status == "True")
            });
        }
        Crd { group }
    }
}

impl Drop for Crd {
    fn drop(&mut self) {
        use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
        let c = cluster();
        let crds: Api<CustomResourceDefinition> = Api::all(c.client.clone());
        for plural in ["widgets", "gadgets"] {
            let name = format!("{plural}.{}", self.group);
            let _ = c.block_on(crds.delete(&name, &DeleteParams::default()));
        }
    }
}

/// A chaosk8s activity of `kind` ("action" or "probe") as an experiment written for `chaos run` has
/// it, with no tolerance.
fn chaosk8s_call(kind: &str, module: &str, func: &str, arguments: Value) -> Value {
    json!({"type": kind, "name": func,
           "provider": {"type": "python", "module": module, "func": func, "arguments": arguments}})
}

/// The runs of an experiment that completed, each with its status, output and failure.
#[track_caller]
fn runs(outcome: &Outcome) -> Vec<Value> {
    finished(outcome)["run"].as_array().unwrap().clone()
}

/// Runs `experiment`, which must complete, and checks its runs' statuses: the runs, and the log.
#[track_caller]
fn method_with_statuses(experiment: &Value, statuses: &[&str]) -> (Vec<Value>, Outcome) {
    let scratch = Scratch::new();
    let outcome = run(&scratch, experiment);
    let runs = runs(&outcome);
    let seen: Vec<&str> = runs.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(seen, statuses, "{runs:#?}");
    (runs, outcome)
}

/// chaosk8s.crd against a resource of the test's own, as chaos run with chaostoolkit-kubernetes 0.39
/// runs the same calls on the same cluster: create (again: the server's 409 answer, not a failure),
/// patch with a JSON patch (a merge of an object is sent as a strategic merge patch, which custom
/// resources refuse: 415, as with chaosk8s), get, replace (which chaosk8s 0.39 cannot do), list,
/// delete (again: a failure with the server's 404), and the cluster-scoped twins. A Kubernetes
/// resource of its own group (Secrets) is outside the plugin's `*.*` grant.
#[test]
fn custom_objects_are_created_patched_replaced_listed_and_deleted() {
    let ns = Ns::new("kube-crd");
    let crd = Crd::new("kube-crd");
    let n = &ns.name;
    let crd_call = |kind: &str, func: &str, mut arguments: Value| {
        arguments["group"] = json!(crd.group);
        arguments["version"] = json!("v1");
        let module = if kind == "probe" {
            "chaosk8s.crd.probes"
        } else {
            "chaosk8s.crd.actions"
        };
        chaosk8s_call(kind, module, func, arguments)
    };
    let widget = json!({"apiVersion": format!("{}/v1", crd.group), "kind": "Widget",
                        "metadata": {"name": "w1"}, "spec": {"size": 1}});
    let mut replacement = widget.clone();
    replacement["metadata"]["resourceVersion"] =
        json!("${output:get_custom_object/metadata/resourceVersion}");
    let gadget = json!({"apiVersion": format!("{}/v1", crd.group), "kind": "Gadget",
                        "metadata": {"name": "g1"}, "spec": {"size": 1}});
    let w = |more: Value| {
        let mut args = json!({"plural": "widgets", "ns": n});
        args.as_object_mut()
            .unwrap()
            .extend(more.as_object().unwrap().clone());
        args
    };
    let experiment = json!({"title": "t", "description": "d", "method": [
        crd_call("action", "create_custom_object", w(json!({"resource": widget}))),
        crd_call("action", "create_custom_object", w(json!({"resource": widget}))),
        crd_call("action", "patch_custom_object",
                 w(json!({"name": "w1", "resource": [{"op": "replace", "path": "/spec/size", "value": 2}]}))),
        crd_call("action", "patch_custom_object", w(json!({"name": "w1", "resource": {"spec": {"size": 3}}}))),
        crd_call("probe", "get_custom_object", w(json!({"name": "w1"}))),
        // A replacement names the version it replaces, as the API server wants of custom objects.
        crd_call("action", "replace_custom_object", w(json!({"name": "w1", "resource": replacement}))),
        crd_call("probe", "list_custom_objects", w(json!({}))),
        crd_call("action", "delete_custom_object", w(json!({"name": "w1"}))),
        crd_call("action", "delete_custom_object", w(json!({"name": "w1"}))),
        crd_call("action", "create_cluster_custom_object", json!({"plural": "gadgets", "resource": gadget})),
        crd_call("probe", "list_cluster_custom_objects", json!({"plural": "gadgets"})),
        crd_call("action", "delete_cluster_custom_object", json!({"plural": "gadgets", "name": "g1"})),
        crd_call("probe", "get_cluster_custom_object", json!({"plural": "gadgets", "name": "g1"})),
        chaosk8s_call("action", "chaosk8s.crd.actions", "create_custom_object",
                      json!({"group": "", "version": "v1", "plural": "secrets", "ns": n,
                             "resource": {"metadata": {"name": "stolen"}}})),
    ]});
    let (runs, _) = method_with_statuses(
        &experiment,
        &[
            "succeeded",
            "succeeded",
            "succeeded",
            "failed",
            "succeeded",
            "succeeded",
            "succeeded",
            "succeeded",
            "failed",
            "succeeded",
            "succeeded",
            "succeeded",
            "failed",
            "failed",
        ],
    );
    assert_eq!(runs[0]["output"]["spec"], json!({"size": 1}));
    assert!(runs[0]["output"]["metadata"]["uid"].is_string());
    assert_eq!(runs[1]["output"]["reason"], json!("AlreadyExists"));
    assert_eq!(runs[2]["output"]["spec"], json!({"size": 2}));
    let refused = runs[3]["exception"].to_string();
    assert!(
        refused.contains("Failed to patch custom resource object: 'Unsupported Media Type'"),
        "{refused}"
    );
    assert_eq!(runs[4]["output"]["spec"], json!({"size": 2}));
    assert_eq!(runs[5]["output"]["spec"], json!({"size": 1}));
    let listed: Vec<&str> = runs[6]["output"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["w1"]);
    assert_eq!(runs[7]["output"]["status"], json!("Success"));
    let gone = runs[8]["exception"].to_string();
    assert!(
        gone.contains("Failed to delete custom resource object: 'Not Found'")
            && gone.contains(r#"\"reason\":\"NotFound\""#),
        "{gone}"
    );
    assert_eq!(runs[9]["output"]["metadata"]["name"], json!("g1"));
    assert_eq!(
        runs[10]["output"]["items"][0]["metadata"]["name"],
        json!("g1")
    );
    let gone = runs[12]["exception"].to_string();
    assert!(
        gone.contains("Failed to create custom resource object: 'Not Found'"),
        "{gone}"
    );
    let denied = runs[13]["exception"].to_string();
    assert!(
        denied.contains("may not create secrets in namespace")
            && denied.contains("resource secrets and verb create"),
        "{denied}"
    );
}

/// The deprecated `chaosk8s.probes` / `chaosk8s.actions` names and `delete_pods`, as chaosk8s 0.39
/// runs them (each checked with `chaos run` against this cluster): a warning naming the successor;
/// `service_endpoint_is_initialized` and `kill_microservice` pass their default selector
/// `name in ({name})` on unformatted, which the API server refuses (kill_microservice has deleted
/// the deployment by then); `microservice_available_and_healthy` returns nothing.
#[test]
fn deprecated_chaosk8s_names_run_as_chaosk8s_runs_them() {
    let ns = Ns::new("kube-deprecated");
    deploy(&ns.name, 3, 1, json!({}));
    let n = &ns.name;
    let probes = "chaosk8s.probes";
    let actions = "chaosk8s.actions";
    let experiment = json!({"title": "t", "description": "d", "method": [
        chaosk8s_call("probe", probes, "microservice_available_and_healthy", json!({"name": "web", "ns": n})),
        chaosk8s_call("probe", probes, "all_microservices_healthy", json!({"ns": n})),
        chaosk8s_call("probe", probes, "service_endpoint_is_initialized", json!({"name": "web", "ns": n})),
        chaosk8s_call("action", actions, "scale_microservice", json!({"name": "web", "replicas": 2, "ns": n})),
        chaosk8s_call("action", "chaosk8s.pod.actions", "delete_pods", json!({"name": "web", "ns": n})),
        chaosk8s_call("action", actions, "kill_microservice", json!({"name": "web", "ns": n})),
    ]});
    let (runs, outcome) = method_with_statuses(
        &experiment,
        &[
            "succeeded",
            "succeeded",
            "failed",
            "succeeded",
            "succeeded",
            "failed",
        ],
    );
    assert_eq!(runs[0]["output"], Value::Null);
    assert_eq!(runs[1]["output"], json!(true));
    for failed in [&runs[2], &runs[5]] {
        let message = failed["exception"].to_string();
        assert!(
            message.contains(r#"invalid label value: \"{name}\""#),
            "{message}"
        );
    }
    assert_eq!(names(&runs[4]["output"]).len(), 1);
    for (old, new) in [
        (
            "microservice_available_and_healthy",
            "deployment_available_and_healthy",
        ),
        ("all_microservices_healthy", "all_pods_healthy"),
        ("service_endpoint_is_initialized", "service_is_initialized"),
        ("scale_microservice", "scale_deployment"),
        ("delete_pods", "terminate_pods"),
        (
            "kill_microservice",
            "delete_deployment/delete_replica_set/delete_pods",
        ),
    ] {
        outcome.assert_line(&format!(
            "WARNING {old} function is DEPRECATED and will be removed in the next releases, \
             please use {new} instead"
        ));
    }
    let c = cluster();
    assert!(
        c.block_on(c.deployments(n).get_opt("web"))
            .unwrap()
            .is_none()
    );
}

/// Waits until a line of the API server's audit log holds every one of `parts` (JSON text).
fn wait_for_audit(what: &str, parts: &[&str]) {
    let c = cluster();
    wait_for(what, || {
        std::fs::read_to_string(&c.audit_log)
            .unwrap_or_default()
            .lines()
            .any(|l| parts.iter().all(|p| l.contains(p)))
    });
}

/// deployment_not_fully_available follows the deployment's changes as chaosk8s' watch does: a
/// change that lasts an instant (3 replicas wanted, 4, then 3 again, ready all along) is one it
/// sees, where looking from time to time would miss it. And deployment_fully_available fails at its
/// timeout for a deployment whose replicas never get ready.
#[test]
fn readiness_probes_see_each_change_through_a_watch_and_fail_at_their_timeout() {
    let ns = Ns::new("kube-watch");
    deploy(&ns.name, 3, 1, json!({}));
    let n = ns.name.clone();
    let scratch = Scratch::new();
    let experiment = one(
        "probe",
        "deployment_not_fully_available",
        json!({"name": "web", "ns": n, "timeout": 60}),
    );
    std::fs::write(
        scratch.run_dir().join("experiment.json"),
        experiment.to_string(),
    )
    .unwrap();
    let probe = scratch
        .chaosrt()
        .env("KUBECONFIG", &cluster().kubeconfig)
        .args(["run", "experiment.json"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The server has started answering its watch.
    wait_for_audit(
        "chaosrt's watch of the deployment",
        &[
            r#""verb":"watch""#,
            r#""stage":"ResponseStarted""#,
            &format!("/namespaces/{n}/deployments?"),
        ],
    );
    let c = cluster();
    for replicas in [4, 3] {
        c.block_on(c.deployments(&n).patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": replicas}})),
        ))
        .unwrap();
    }
    let out = probe.wait_with_output().unwrap();
    let outcome = Outcome::new(out, scratch.run_dir().join("journal.json"));
    assert_eq!(output(&outcome), json!(true));

    // Pods pinned to a node that does not exist are never ready.
    let stuck = Ns::new("kube-stuck");
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "stuck"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "stuck"}},
                 "template": {"metadata": {"labels": {"app": "stuck"}},
                              "spec": {"nodeSelector": {"kubernetes.io/hostname": "nowhere"},
                                       "containers": [{"name": "c", "image": "registry.invalid/c:1"}]}}},
    }))
    .unwrap();
    c.block_on(
        c.deployments(&stuck.name)
            .create(&PostParams::default(), &deployment),
    )
    .unwrap();
    let wait = |raise: bool| {
        run(
            &scratch,
            &one(
                "probe",
                "deployment_fully_available",
                json!({"name": "stuck", "ns": stuck.name, "timeout": 2,
                       "raise_on_not_fully_available": raise}),
            ),
        )
    };
    let message = failure(&wait(true));
    assert!(
        message.contains("deployment 'stuck' failed to recover within 2s"),
        "{message}"
    );
    assert_eq!(output(&wait(false)), json!(false));
}

/// chaosk8s.statefulset: ready, scaled (and ready at the new count), removed; and
/// chaosk8s.daemonset: available on the one node its pods may run on, patched, deleted.
#[test]
fn stateful_sets_and_daemon_sets() {
    use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
    let ns = Ns::new("kube-sets");
    let n = ns.name.clone();
    let c = cluster();
    let template = |app: &str| {
        json!({"metadata": {"labels": {"app": app}},
               "spec": {"terminationGracePeriodSeconds": 1,
                        "containers": [{"name": app, "image": "registry.invalid/app:1"}]}})
    };
    let statefulset: StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "db"},
        "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": template("db")},
    }))
    .unwrap();
    c.block_on(
        Api::<StatefulSet>::namespaced(c.client.clone(), &n)
            .create(&PostParams::default(), &statefulset),
    )
    .unwrap();
    let daemonset: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": template("agent")},
    }))
    .unwrap();
    let daemonsets = Api::<DaemonSet>::namespaced(c.client.clone(), &n);
    c.block_on(daemonsets.create(&PostParams::default(), &daemonset))
        .unwrap();
    // Until its controller has counted the nodes, a daemon set has no status, which chaosk8s reads
    // as fully available (None == None).
    wait_for("the daemon set's pod ready", || {
        let status = c.block_on(daemonsets.get("agent")).unwrap().status;
        status.is_some_and(|s| s.desired_number_scheduled == 1 && s.number_ready == 1)
    });
    let module = |kind: &str, which: &str| format!("chaosk8s.{kind}.{which}");
    let sts = |which: &str, func: &str, arguments: Value| {
        let kind = if which == "probes" { "probe" } else { "action" };
        chaosk8s_call(kind, &module("statefulset", which), func, arguments)
    };
    let ds = |which: &str, func: &str, arguments: Value| {
        let kind = if which == "probes" { "probe" } else { "action" };
        chaosk8s_call(kind, &module("daemonset", which), func, arguments)
    };
    let experiment = json!({"title": "t", "description": "d", "method": [
        sts("probes", "statefulset_fully_available", json!({"name": "db", "ns": n, "timeout": 50})),
        sts("actions", "scale_statefulset", json!({"name": "db", "replicas": 3, "ns": n})),
        sts("probes", "statefulset_fully_available", json!({"name": "db", "ns": n, "timeout": 50})),
        sts("actions", "remove_statefulset", json!({"name": "db", "ns": n})),
        ds("probes", "daemon_set_fully_available", json!({"name": "agent", "ns": n, "timeout": 50})),
        ds("probes", "daemon_set_available_and_healthy", json!({"name": "agent", "ns": n})),
        ds("probes", "daemon_set_partially_available", json!({"name": "agent", "ns": n})),
        ds("actions", "update_daemon_set",
           json!({"name": "agent", "ns": n, "spec": {"metadata": {"labels": {"patched": "yes"}}}})),
        ds("actions", "delete_daemon_set", json!({"name": "agent", "ns": n})),
        ds("probes", "daemon_set_available_and_healthy", json!({"name": "agent", "ns": n})),
    ]});
    let scratch = Scratch::new();
    let outcome = run(&scratch, &experiment);
    let runs = runs(&outcome);
    let outputs: Vec<(&str, &Value)> = runs
        .iter()
        .map(|r| (r["status"].as_str().unwrap(), &r["output"]))
        .collect();
    let t = json!(true);
    let null = Value::Null;
    assert_eq!(
        outputs,
        [
            ("succeeded", &t),
            ("succeeded", &null),
            ("succeeded", &t),
            ("succeeded", &null),
            ("succeeded", &t),
            ("succeeded", &t),
            ("succeeded", &t),
            ("succeeded", &null),
            ("succeeded", &null),
            ("succeeded", &json!(false)),
        ],
        "{runs:#?}"
    );
    assert!(
        c.block_on(Api::<StatefulSet>::namespaced(c.client.clone(), &n).get_opt("db"))
            .unwrap()
            .is_none()
    );
}

/// The pod's service account, as chaosk8s uses it with `CHAOSTOOLKIT_IN_POD=true` and no
/// kubeconfig: the documented variables `KUBERNETES_SERVICE_HOST`/`_PORT` and files under
/// `/var/run/secrets/kubernetes.io/serviceaccount/`, there for chaosrt alone (a private mount
/// namespace), holding a real service account's token and the cluster's CA. The API server's audit
/// log shows the request made as that service account.
#[test]
fn a_pods_service_account_reaches_the_api_server_in_cluster() {
    use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
    let ns = Ns::new("kube-incluster");
    bare_pod(&ns.name, "solo", 1);
    let c = cluster();
    let account: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "chaosrt"}})).unwrap();
    c.block_on(
        Api::<ServiceAccount>::namespaced(c.client.clone(), &ns.name)
            .create(&PostParams::default(), &account),
    )
    .unwrap();
    // The token controller writes the account's token into a Secret.
    let secrets = Api::<Secret>::namespaced(c.client.clone(), &ns.name);
    let mut token = String::new();
    wait_for("the service account's token", || {
        let list = c.block_on(secrets.list(&ListParams::default())).unwrap();
        let found = list.items.iter().find_map(|s| {
            let data = s.data.as_ref()?;
            let owner = s
                .metadata
                .annotations
                .as_ref()?
                .get("kubernetes.io/service-account.name")?;
            (owner == "chaosrt").then(|| data.get("token").map(|t| t.0.clone()))?
        });
        if let Some(t) = found {
            token = String::from_utf8(t).unwrap();
        }
        !token.is_empty()
    });
    let scratch = Scratch::new();
    let account_dir = scratch.dir.path().join("serviceaccount");
    std::fs::create_dir(&account_dir).unwrap();
    std::fs::write(account_dir.join("token"), &token).unwrap();
    std::fs::write(account_dir.join("namespace"), &ns.name).unwrap();
    std::fs::copy(
        c.kubeconfig.with_file_name("pki").join("ca.crt"),
        account_dir.join("ca.crt"),
    )
    .unwrap();
    let experiment = json!({"title": "t", "description": "d", "method": [
        chaosk8s("chaosk8s.pod.probes", "count_pods",
                 json!({"label_selector": "app=solo", "ns": ns.name}), json!(1))]});
    // The files where a pod has them, for chaosrt's process only.
    let mount = "mount -t tmpfs tmpfs /var/run && mkdir -p /var/run/secrets/kubernetes.io && cp -r \
                 \"$1\" /var/run/secrets/kubernetes.io/serviceaccount && shift && exec \"$@\"";
    let outcome = scratch.run_adjusted(&experiment, |command| {
        let chaosrt = std::mem::replace(command, Command::new("unshare"));
        command
            .args(["-Urm", "sh", "-c", mount, "sh"])
            .arg(&account_dir)
            .arg(chaosrt.get_program())
            .args(chaosrt.get_args())
            .current_dir(scratch.run_dir())
            .envs(chaosrt.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env_remove("KUBECONFIG")
            .env("HOME", scratch.dir.path())
            .env("CHAOSTOOLKIT_IN_POD", "true")
            .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
            .env("KUBERNETES_SERVICE_PORT", "16443")
    });
    assert_eq!(output(&outcome), json!(1));
    let user = format!("system:serviceaccount:{}:chaosrt", ns.name);
    assert_audited(&ns.name, &user);
}

/// Waits until the audit log shows a list of pods in `namespace` made as `user`.
fn assert_audited(namespace: &str, user: &str) {
    wait_for_audit(
        &format!("a list of pods in {namespace} by {user}"),
        &[
            &format!("/api/v1/namespaces/{namespace}/pods?"),
            r#""verb":"list""#,
            &format!(r#""username":"{user}""#),
        ],
    );
}

/// chaosk8s' explicit client certificate secrets (`KUBERNETES_CERT_FILE`, `KUBERNETES_KEY_FILE`)
/// without a kubeconfig: the API server authenticates the certificate's user.
#[test]
fn a_client_certificate_from_the_secrets_reaches_the_api_server() {
    let ns = Ns::new("kube-cert");
    bare_pod(&ns.name, "solo", 1);
    let pki = cluster().kubeconfig.with_file_name("pki");
    let file = |name: &str| pki.join(name).display().to_string();
    let scratch = Scratch::new();
    let experiment = json!({
        "title": "t", "description": "d",
        "secrets": {"k8s": {
            "KUBERNETES_HOST": "https://127.0.0.1:16443",
            "KUBERNETES_CERT_FILE": file("client.crt"),
            "KUBERNETES_KEY_FILE": file("client.key"),
            "KUBERNETES_CA_CERT_FILE": file("ca.crt"),
        }},
        "method": [chaosk8s("chaosk8s.pod.probes", "count_pods",
                            json!({"label_selector": "app=solo", "ns": ns.name}), json!(1))],
    });
    let outcome = scratch.run_adjusted(&experiment, |c| {
        c.env_remove("KUBECONFIG").env("HOME", scratch.dir.path())
    });
    assert_eq!(output(&outcome), json!(1));
    assert_audited(&ns.name, "chaosrt-client");
}

/// The experiment in chaostoolkit-kubernetes' README, unmodified, against a deployment `myapp` in
/// the namespace `default` (created once, never changed: the method does not run). As with `chaos
/// run`: the deprecated probe returns nothing, so the tolerance `true` is not met; the run ends
/// `completed`, not deviated, exit 0, with the method skipped and chaosk8s' warning logged.
#[test]
fn the_chaosk8s_readme_experiment_ends_as_chaos_run_ends_it() {
    let c = cluster();
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "myapp", "labels": {"app": "my-app"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "my-app"}},
                 "template": {"metadata": {"labels": {"app": "my-app"}},
                              "spec": {"containers": [{"name": "my-app",
                                                       "image": "registry.invalid/my-app:1"}]}}},
    }))
    .unwrap();
    // Another run of this test may have made it; either way, it must be available first.
    let _ = c.block_on(
        c.deployments("default")
            .create(&PostParams::default(), &deployment),
    );
    wait_for("myapp available", || {
        let d = c.block_on(c.deployments("default").get("myapp")).unwrap();
        d.status.and_then(|s| s.available_replicas) == Some(1)
    });
    let experiment: Value = serde_json::from_str(
        r#"{
    "title": "Do we remain available in face of pod going down?",
    "description": "We expect Kubernetes to handle the situation gracefully when a pod goes down",
    "tags": ["kubernetes"],
    "steady-state-hypothesis": {
        "title": "Verifying service remains healthy",
        "probes": [
            {
                "name": "all-our-microservices-should-be-healthy",
                "type": "probe",
                "tolerance": true,
                "provider": {
                    "type": "python",
                    "module": "chaosk8s.probes",
                    "func": "microservice_available_and_healthy",
                    "arguments": {
                        "name": "myapp"
                    }
                }
            }
        ]
    },
    "method": [
        {
            "type": "action",
            "name": "terminate-db-pod",
            "provider": {
                "type": "python",
                "module": "chaosk8s.pod.actions",
                "func": "terminate_pods",
                "arguments": {
                    "label_selector": "app=my-app",
                    "name_pattern": "my-app-[0-9]$",
                    "rand": true
                }
            },
            "pauses": {
                "after": 5
            }
        }
    ]
}"#,
    )
    .unwrap();
    let scratch = Scratch::new();
    let outcome = run(&scratch, &experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("completed"));
    assert_eq!(journal["deviated"], json!(false));
    let before = &journal["steady_states"]["before"];
    assert_eq!(before["steady_state_met"], json!(false), "{journal:#}");
    assert_eq!(before["probes"][0]["status"], json!("succeeded"));
    assert_eq!(before["probes"][0]["output"], Value::Null);
    assert_eq!(before["probes"][0]["tolerance_met"], json!(false));
    assert_eq!(journal["run"], json!([]));
    for line in [
        "WARNING microservice_available_and_healthy function is DEPRECATED and will be removed in \
         the next releases, please use deployment_available_and_healthy instead",
        "CRITICAL Steady state probe 'all-our-microservices-should-be-healthy' is not in the given \
         tolerance so failing this experiment",
        "INFO Experiment ended with status: completed",
    ] {
        outcome.assert_line(line);
    }
}
