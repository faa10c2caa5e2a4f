//! Kubernetes, against a real control plane: kube-apiserver, kube-controller-manager, kube-scheduler
//! and etcd that `scripts/cluster start` builds from Debian's sources and runs on loopback, with its
//! stand-in kubelet playing the nodes `chaosrt-node` and `chaosrt-drain` (the latter tainted, so only
//! the drain test's pods land there). The tests fail, never skip, when the cluster cannot be started.
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

/// The journal of a run that completed with its steady state met before and after.
#[track_caller]
fn completed(outcome: &Outcome) -> Value {
    let journal = outcome.journal();
    assert_eq!(
        journal["status"],
        json!("completed"),
        "{journal:#}\n{}",
        outcome.stderr
    );
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

#[test]
fn cordon_uncordon_and_drain_the_drain_node() {
    const NODE: &str = "chaosrt-drain";
    let c = cluster();
    let nodes: Api<Node> = Api::all(c.client.clone());
    let unschedulable = || {
        c.block_on(nodes.get(NODE))
            .unwrap()
            .spec
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
    };
    /// Leaves the node schedulable whatever happens.
    struct Uncordon;
    impl Drop for Uncordon {
        fn drop(&mut self) {
            let c = cluster();
            let _ = c.block_on(Api::<Node>::all(c.client.clone()).patch(
                NODE,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"unschedulable": false}})),
            ));
        }
    }
    let _uncordon = Uncordon;
    let ns = Ns::new("kube-drain");
    deploy(
        &ns.name,
        2,
        1,
        json!({"nodeSelector": {"kubernetes.io/hostname": NODE},
               "tolerations": [{"key": "chaosrt.dev/drain-only", "operator": "Exists",
                                "effect": "NoSchedule"}]}),
    );
    let before = live(&ns.name);
    assert!(
        before.iter().all(|p| p.node.as_deref() == Some(NODE)),
        "{before:?}"
    );
    let scratch = Scratch::new();

    let out = output(&run(
        &scratch,
        &one("action", "cordon_node", json!({"name": NODE})),
    ));
    assert_eq!(out, json!([NODE]));
    assert!(unschedulable());
    let out = output(&run(
        &scratch,
        &one("action", "uncordon_node", json!({"name": NODE})),
    ));
    assert_eq!(out, json!([NODE]));
    assert!(!unschedulable());

    let out = output(&run(
        &scratch,
        &one(
            "action",
            "drain_nodes",
            json!({"name": NODE, "timeout": 60}),
        ),
    ));
    assert_eq!(out, json!([NODE]));
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
        &one("action", "uncordon_node", json!({"name": NODE})),
    ));
    assert_eq!(out, json!([NODE]));
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
