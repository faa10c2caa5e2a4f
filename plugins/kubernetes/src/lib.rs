//! The built-in `kubernetes` plugin: chaostoolkit-kubernetes' (`chaosk8s`) pod, deployment and node
//! activities, with chaosk8s' names, arguments, defaults, return values and failure texts, so an
//! experiment's `{"type": "python", "module": "chaosk8s.pod.actions", "func": "terminate_pods"}`
//! providers run unmodified (the host maps them here, see the experiment crate's aliases).
//!
//! Every request goes through the host's `kubernetes` interface: the host checks it against this
//! plugin's grant before sending it, with its own credentials (kubeconfig and `KUBERNETES_CONTEXT`
//! from the activity's secrets). Beyond chaosk8s, `terminate_pods` and `kill_pods` take Chaos Mesh's
//! selection modes, a dry run and a `min_ready` guard; `kill_pods` returns each pod's name, uid and
//! the grace period the API server applied.

mod api;
mod crd;
mod networking;
mod nodes;
mod pods;
mod select;
mod workloads;

use chaosrt_sdk::serde_json::{Map, Value};
use chaosrt_sdk::{Capability, Error, Target};
use pods::{Conditions, Kill};
use select::Selection;

/// Kill pods: select them by label and/or name pattern in `ns`, then delete them (chaosk8s'
/// terminate_pods). Returns the names of the pods deleted (with `dry_run`, those that would be).
#[allow(clippy::too_many_arguments)]
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn terminate_pods(
    /// A Kubernetes label selector, e.g. `app=web`; none selects every pod of `ns`.
    label_selector: Option<String>,
    /// A regular expression searched in each pod's name (unanchored, as Python's re.search).
    name_pattern: Option<String>,
    /// Kill every matching pod, whatever `mode` and `qty` say.
    #[default(false)]
    all: bool,
    /// Pick the pods at random rather than the first ones.
    #[default(false)]
    rand: bool,
    /// `fixed` (qty pods) or `percentage` (qty percent, rounded up); also Chaos Mesh's `one`, `all`,
    /// `fixed-percent` and `random-max-percent` (random pods).
    #[default("fixed")]
    mode: String,
    /// How many pods (fixed), or what percentage of them.
    #[default(1)]
    qty: i64,
    /// Seconds the pods get to stop; -1 leaves each pod's own (terminationGracePeriodSeconds), 0
    /// removes them from the API at once.
    #[default(-1)]
    grace_period: i64,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// `alphabetic` (the API's order, by name) or `oldest` (by creation time) before picking.
    #[default("alphabetic")]
    order: String,
    /// Only report what would be killed: the API server checks each delete and changes nothing.
    #[default(false)]
    dry_run: bool,
    /// Refuse, killing nothing, if the kill would leave fewer ready matching pods than this.
    min_ready: Option<u64>,
) -> Result<Vec<String>, Error> {
    let kill = kill_of(
        label_selector,
        name_pattern,
        Selection::new(&mode, qty, all, rand, &order)?,
        grace_period,
        ns,
        dry_run,
        min_ready,
    );
    Ok(kill.run()?.into_iter().map(|k| k.name).collect())
}

/// Kill pods as terminate_pods does, and return for each pod its name, uid, namespace, the grace
/// period the API server applied and whether it was removed at once.
#[allow(clippy::too_many_arguments)]
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn kill_pods(
    /// A Kubernetes label selector, e.g. `app=web`; none selects every pod of `ns`.
    label_selector: Option<String>,
    /// A regular expression searched in each pod's name (unanchored).
    name_pattern: Option<String>,
    /// `one`, `all`, `fixed`, `fixed-percent`, `random-max-percent` (Chaos Mesh), or `percentage`.
    #[default("one")]
    mode: String,
    /// The count (fixed) or percentage (the percent modes).
    #[default(1)]
    qty: i64,
    /// Seconds the pods get to stop; -1 leaves each pod's own, 0 removes them at once.
    #[default(-1)]
    grace_period: i64,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// `alphabetic` or `oldest`, before picking (for `fixed` and `percentage`).
    #[default("alphabetic")]
    order: String,
    /// Only report what would be killed.
    #[default(false)]
    dry_run: bool,
    /// Refuse, killing nothing, if the kill would leave fewer ready matching pods than this.
    min_ready: Option<u64>,
) -> Result<Vec<Value>, Error> {
    // Chaos Mesh's `fixed` is random; chaosk8s' is the first ones: here `rand` follows the mode.
    let rand = mode != "percentage";
    let kill = kill_of(
        label_selector,
        name_pattern,
        Selection::new(&mode, qty, false, rand, &order)?,
        grace_period,
        ns,
        dry_run,
        min_ready,
    );
    Ok(kill.run()?.iter().map(|k| k.to_json(dry_run)).collect())
}

fn kill_of(
    label_selector: Option<String>,
    name_pattern: Option<String>,
    selection: Selection,
    grace_period: i64,
    ns: String,
    dry_run: bool,
    min_ready: Option<u64>,
) -> Kill {
    Kill {
        label_selector,
        name_pattern,
        selection,
        grace_period,
        ns,
        dry_run,
        min_ready,
    }
}

/// Delete pods by name pattern and/or label (chaosk8s' deprecated delete_pods): terminate_pods with
/// `name_pattern` = `name`, so one pod by default. Returns the names of the pods deleted.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn delete_pods(
    /// A regular expression searched in each pod's name.
    name: Option<String>,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// A Kubernetes label selector.
    label_selector: Option<String>,
) -> Result<Vec<String>, Error> {
    first_pods(label_selector, name, ns)
}

/// chaosk8s' terminate_pods with its defaults: the first pod (in the API's order) that matches.
fn first_pods(
    label_selector: Option<String>,
    name_pattern: Option<String>,
    ns: String,
) -> Result<Vec<String>, Error> {
    let selection = Selection::new("fixed", 1, false, false, "alphabetic")?;
    let kill = kill_of(label_selector, name_pattern, selection, -1, ns, false, None);
    Ok(kill.run()?.into_iter().map(|k| k.name).collect())
}

/// Delete the deployment and the replica set named `name`, then a pod whose name contains `name`
/// among those `label_selector` selects (chaosk8s' deprecated kill_microservice). As in chaosk8s
/// 0.39, `{name}` in the selector is not replaced: the default selector `name in ({name})` is one the
/// API server refuses, which fails the action after the deployment is deleted.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn kill_microservice(
    /// The deployment, replica set and pod name.
    name: String,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// The pods' label selector, sent as written.
    #[default("name in ({name})")]
    label_selector: String,
) -> Result<(), Error> {
    workloads::DEPLOYMENTS.delete(Some(&name), &ns, Some(&label_selector))?;
    workloads::delete_each(
        "apps",
        workloads::REPLICASETS,
        Some(&name),
        &ns,
        Some(&label_selector),
    )?;
    first_pods(Some(label_selector), Some(name), ns)?;
    Ok(())
}

/// Delete the service `name` (chaosk8s' delete_service).
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn delete_service(
    /// The service.
    name: String,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<(), Error> {
    chaosrt_sdk::kubernetes::Request::delete("", "v1", "services", &name)
        .namespace(&ns)
        .body(chaosrt_sdk::serde_json::json!({}))
        .send()?
        .ok()?;
    Ok(())
}

/// Whether `pattern` is found in the logs of every container (or, without `all_containers`, of
/// one) in `value`, the output of read_pod_logs (chaosk8s' should_be_found_in_logs, a tolerance).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn should_be_found_in_logs(
    /// A regular expression searched in each container's logs.
    pattern: String,
    /// Every container must match, not only one.
    #[default(true)]
    all_containers: bool,
    /// `{container or pod: logs}`, as read_pod_logs returns them.
    value: Option<Map<String, Value>>,
) -> Result<bool, Error> {
    pods::found_in_logs(
        &pattern,
        all_containers,
        value.unwrap_or_default(),
        chaosrt_sdk::log::debug,
    )
}

/// Whether every pod matching `label_selector` in `ns` is in `phase` (chaosk8s' pods_in_phase). No
/// pod, or one in another phase, fails the probe (or returns false without `raise_on_invalid_phase`).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn pods_in_phase(
    /// A Kubernetes label selector.
    label_selector: String,
    /// The phase every pod must be in.
    #[default("Running")]
    phase: String,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// Fail rather than return false.
    #[default(true)]
    raise_on_invalid_phase: bool,
) -> Result<bool, Error> {
    pods::in_phase(&label_selector, &phase, &ns, raise_on_invalid_phase, true)
}

/// Whether no pod matching `label_selector` in `ns` is in `phase` (chaosk8s' pods_not_in_phase).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn pods_not_in_phase(
    /// A Kubernetes label selector.
    label_selector: String,
    /// The phase no pod may be in.
    #[default("Running")]
    phase: String,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// Fail rather than return false.
    #[default(true)]
    raise_on_in_phase: bool,
) -> Result<bool, Error> {
    pods::in_phase(&label_selector, &phase, &ns, raise_on_in_phase, false)
}

/// The number of pods matching `label_selector` in `ns`, in `phase` if given (chaosk8s' count_pods).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn count_pods(
    /// A Kubernetes label selector.
    label_selector: String,
    /// Count only the pods in this phase.
    phase: Option<String>,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<u64, Error> {
    pods::count(&label_selector, phase.as_deref(), &ns)
}

/// Whether at least `min_count` pods matching `label_selector` are in `phase` (chaosk8s'
/// count_min_pods).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn count_min_pods(
    /// A Kubernetes label selector.
    label_selector: String,
    /// The phase to count.
    #[default("Running")]
    phase: String,
    /// The least number of pods.
    #[default(2)]
    min_count: u64,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<bool, Error> {
    Ok(pods::count(&label_selector, Some(&phase), &ns)? >= min_count)
}

/// Whether every pod matching `label_selector` has each of `conditions`, e.g. `[{"type": "Ready",
/// "status": "True"}]` (chaosk8s' pods_in_conditions).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn pods_in_conditions(
    /// A Kubernetes label selector.
    label_selector: String,
    /// `{type, status}` objects each pod's conditions must hold.
    conditions: Conditions,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// Fail rather than return false.
    #[default(true)]
    raise_on_invalid_conditions: bool,
) -> Result<bool, Error> {
    pods::in_conditions(
        &label_selector,
        &conditions.0,
        &ns,
        raise_on_invalid_conditions,
    )
}

/// Whether no pod selected by `label_selector` (by default `name in ({name})`) is Running (chaosk8s'
/// pod_is_not_available).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn pod_is_not_available(
    /// The value `{name}` stands for in the selector.
    name: String,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// A label selector, `{name}` replaced by `name`.
    #[default("name in ({name})")]
    label_selector: String,
    /// Fail rather than return false.
    #[default(true)]
    raise_on_is_available: bool,
) -> Result<bool, Error> {
    pods::not_available(&name, &ns, &label_selector, raise_on_is_available)
}

/// The logs of the pods `label_selector` selects (by default `name in ({name})`), as `{pod name:
/// logs}` with timestamps (chaosk8s' read_pod_logs).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn read_pod_logs(
    /// The value `{name}` stands for in the selector.
    name: Option<String>,
    /// Only the logs of this last stretch of time, e.g. `60s`, `10 minutes`.
    last: Option<String>,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// The logs of the previous instance of the containers.
    #[default(false)]
    from_previous: bool,
    /// A label selector, `{name}` replaced by `name`.
    #[default("name in ({name})")]
    label_selector: String,
    /// The container, for pods with several.
    container_name: Option<String>,
) -> Result<Map<String, Value>, Error> {
    pods::logs(
        name.as_deref(),
        last.as_deref(),
        &ns,
        from_previous,
        &label_selector,
        container_name.as_deref(),
    )
}

/// Whether every pod of `ns` is Running or Succeeded (chaosk8s' all_pods_healthy).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn all_pods_healthy(
    /// The namespace.
    #[default("default")]
    ns: String,
    /// Fail rather than return false.
    #[default(true)]
    raise_on_any_unhealthy: bool,
) -> Result<bool, Error> {
    pods::all_healthy(&ns, raise_on_any_unhealthy)
}

/// Whether the deployment `name` has as many available replicas as it wants (chaosk8s'
/// deployment_available_and_healthy).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn deployment_available_and_healthy(
    /// The deployment.
    name: String,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// A label selector the deployment must also match.
    label_selector: Option<String>,
    /// Fail rather than return false.
    #[default(true)]
    raise_on_unavailable: bool,
) -> Result<bool, Error> {
    workloads::deployment_available(
        &name,
        &ns,
        label_selector.as_deref(),
        true,
        raise_on_unavailable,
    )
}

/// Whether the deployment `name` has at least one available replica (chaosk8s'
/// deployment_partially_available).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn deployment_partially_available(
    /// The deployment.
    name: String,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// A label selector the deployment must also match.
    label_selector: Option<String>,
    /// Fail rather than return false.
    #[default(true)]
    raise_on_not_partially_available: bool,
) -> Result<bool, Error> {
    workloads::deployment_available(
        &name,
        &ns,
        label_selector.as_deref(),
        false,
        raise_on_not_partially_available,
    )
}

/// Whether a Service named `name` and/or matching `label_selector` exists in `ns` (chaosk8s'
/// service_is_initialized).
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn service_is_initialized(
    /// The service.
    name: Option<String>,
    /// The namespace.
    #[default("default")]
    ns: String,
    /// A label selector.
    label_selector: Option<String>,
    /// Fail rather than return false.
    #[default(true)]
    raise_if_service_not_initialized: bool,
) -> Result<bool, Error> {
    let by_name = name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| format!("metadata.name={n}"));
    let found = api::list(
        "",
        "v1",
        "services",
        Some(&ns),
        label_selector.as_deref(),
        by_name.as_deref(),
    )?;
    if found.is_empty() {
        let shown = name.as_deref().unwrap_or("None");
        return api::fail_or_false(
            raise_if_service_not_initialized,
            format!("service '{shown}' is not initialized"),
        );
    }
    Ok(true)
}

/// Scale the deployment `name` to `replicas` (chaosk8s' scale_deployment).
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn scale_deployment(
    /// The deployment.
    name: String,
    /// The number of replicas.
    replicas: i64,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<(), Error> {
    workloads::DEPLOYMENTS.scale(&name, replicas, &ns)
}

/// Restart the pods of the deployment `name`, as `kubectl rollout restart` (chaosk8s'
/// rollout_deployment).
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn rollout_deployment(
    /// The deployment.
    name: String,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<(), Error> {
    workloads::rollout(&name, &ns, &now_rfc3339())
}

/// Mark the nodes matching `name` and/or `label_selector` unschedulable (chaosk8s' cordon_node).
/// Returns their names.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn cordon_node(
    /// The node.
    name: Option<String>,
    /// A node label selector.
    label_selector: Option<String>,
) -> Result<Vec<String>, Error> {
    let nodes = nodes::Nodes {
        name,
        label_selector,
        ..Default::default()
    };
    nodes::set_unschedulable(&nodes, true)
}

/// Mark the nodes matching `name` and/or `label_selector` schedulable again (chaosk8s'
/// uncordon_node). Returns their names.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn uncordon_node(
    /// The node.
    name: Option<String>,
    /// A node label selector.
    label_selector: Option<String>,
) -> Result<Vec<String>, Error> {
    let nodes = nodes::Nodes {
        name,
        label_selector,
        ..Default::default()
    };
    nodes::set_unschedulable(&nodes, false)
}

/// Cordon the nodes matching `name` and/or `label_selector` (and running a pod `pod_label_selector`
/// selects in `pod_namespace`; `count` of them at random) and evict their pods, as `kubectl drain
/// --ignore-daemonsets` (chaosk8s' drain_nodes); waits up to `timeout` seconds for the pods to go.
/// Returns the names of the drained nodes.
#[allow(clippy::too_many_arguments)]
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn drain_nodes(
    /// The node.
    name: Option<String>,
    /// A node label selector.
    label_selector: Option<String>,
    /// Evict pods with emptyDir volumes too.
    #[default(false)]
    delete_pods_with_local_storage: bool,
    /// Seconds to wait for the evicted pods to be gone.
    #[default(120)]
    timeout: u64,
    /// Drain this many of the nodes found, drawn at random (a node may be drawn twice).
    count: Option<u64>,
    /// Only nodes running a pod this label selector selects (with `pod_namespace`).
    pod_label_selector: Option<String>,
    /// The namespace of those pods.
    pod_namespace: Option<String>,
) -> Result<Vec<String>, Error> {
    let nodes = nodes::Nodes {
        name,
        label_selector,
        count,
        pod_label_selector,
        pod_namespace,
    };
    nodes::drain(&nodes, delete_pods_with_local_storage, timeout)
}

/// Create the NetworkPolicy `spec` in `ns` (chaosk8s' create_network_policy; `spec_path` is not
/// taken: the plugin reads no files).
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn create_network_policy(
    /// The NetworkPolicy object.
    spec: Map<String, Value>,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<(), Error> {
    networking::create(Value::Object(spec), &ns)
}

/// Delete the NetworkPolicy `name` from `ns` (chaosk8s' remove_network_policy).
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn remove_network_policy(
    /// The NetworkPolicy.
    name: String,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<(), Error> {
    networking::remove(&name, &ns)
}

/// chaosk8s' NetworkPolicy helpers: an action creating the policy `which` for the pods of `ns` (or
/// those matching `label_selectors`), and one removing it.
macro_rules! network_helper {
    ($create:ident, $remove:ident, $which:literal, $create_doc:literal, $remove_doc:literal) => {
        #[doc = $create_doc]
        #[chaosrt_sdk::action(deny_unknown_arguments)]
        fn $create(
            /// Labels the pods must have, e.g. `{"app": "web"}`; none: every pod of `ns`.
            label_selectors: Option<Map<String, Value>>,
            /// The namespace.
            #[default("default")]
            ns: String,
        ) -> Result<(), Error> {
            networking::create(networking::helper($which, label_selectors.as_ref()), &ns)
        }

        #[doc = $remove_doc]
        #[chaosrt_sdk::action(deny_unknown_arguments)]
        fn $remove(
            /// The namespace.
            #[default("default")]
            ns: String,
        ) -> Result<(), Error> {
            networking::remove(&networking::helper_name($which), &ns)
        }
    };
}

network_helper!(
    deny_all_ingress,
    remove_deny_all_ingress,
    "deny-all-ingress",
    "Deny all ingress to the pods of `ns`, or those matching `label_selectors` (chaosk8s' \
     deny_all_ingress: the NetworkPolicy `chaostoolkit-deny-all-ingress`).",
    "Remove what deny_all_ingress set (chaosk8s' remove_deny_all_ingress)."
);
network_helper!(
    deny_all_egress,
    remove_deny_all_egress,
    "deny-all-egress",
    "Deny all egress from the pods of `ns`, or those matching `label_selectors` (chaosk8s' \
     deny_all_egress: the NetworkPolicy `chaostoolkit-deny-all-egress`).",
    "Remove what deny_all_egress set (chaosk8s' remove_deny_all_egress)."
);
network_helper!(
    allow_dns_access,
    remove_allow_dns_access,
    "allow-dns",
    "Allow DNS (port 53) egress from the pods of `ns`, or those matching `label_selectors` \
     (chaosk8s' allow_dns_access: the NetworkPolicy `chaostoolkit-allow-dns`).",
    "Remove what allow_dns_access set (chaosk8s' remove_allow_dns_access)."
);

/// Now, as chaosk8s writes it into `kubectl.kubernetes.io/restartedAt`.
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Howard Hinnant's days-to-civil-date algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The namespaces, deployments and pods the grant lets the plugin see.
fn discover() -> Result<Vec<Target>, Error> {
    let mut found = Vec::new();
    for ns in api::list("", "v1", "namespaces", None, None, None)? {
        found.push(Target::new("namespace", api::name(&ns)));
    }
    for d in api::list("apps", "v1", "deployments", None, None, None)? {
        let ns = d["metadata"]["namespace"].as_str().unwrap_or("");
        found.push(
            Target::new("deployment", api::name(&d))
                .in_namespace(ns)
                .detail("replicas", d["spec"]["replicas"].clone())
                .detail("labels", d["metadata"]["labels"].clone()),
        );
    }
    for p in api::list("", "v1", "pods", None, None, None)? {
        let ns = p["metadata"]["namespace"].as_str().unwrap_or("");
        found.push(
            Target::new("pod", api::name(&p))
                .in_namespace(ns)
                .detail("phase", p["status"]["phase"].clone())
                .detail("labels", p["metadata"]["labels"].clone()),
        );
    }
    Ok(found)
}

/// What the plugin may ask the host for: the resources and verbs its activities use, in every
/// namespace of the cluster the host's credentials reach. `*.*` is every custom resource (the crd
/// activities name theirs in their arguments), never one of Kubernetes' own groups.
const RESOURCES: &[&str] = &[
    "pods",
    "pods/eviction",
    "pods/log",
    "deployments.apps",
    "replicasets.apps",
    "statefulsets.apps",
    "daemonsets.apps",
    "services",
    "nodes",
    "namespaces",
    "networkpolicies.networking.k8s.io",
    "*.*",
];
const VERBS: &[&str] = &[
    "get", "list", "watch", "create", "update", "patch", "delete",
];

chaosrt_sdk::plugin! {
    name: "kubernetes",
    description: "Kubernetes pods, workloads, nodes, network policies and custom objects, as \
                  chaostoolkit-kubernetes' activities.",
    capabilities: [Capability::kubernetes(&["*"], RESOURCES, VERBS)],
    activities: [
        terminate_pods,
        kill_pods,
        delete_pods,
        kill_microservice,
        pods_in_phase,
        pods_not_in_phase,
        count_pods,
        count_min_pods,
        pods_in_conditions,
        pod_is_not_available,
        read_pod_logs,
        should_be_found_in_logs,
        all_pods_healthy,
        deployment_available_and_healthy,
        deployment_partially_available,
        workloads::deployment_fully_available,
        workloads::deployment_not_fully_available,
        service_is_initialized,
        delete_service,
        scale_deployment,
        rollout_deployment,
        workloads::delete_deployment,
        workloads::statefulset_fully_available,
        workloads::statefulset_not_fully_available,
        workloads::scale_statefulset,
        workloads::remove_statefulset,
        workloads::delete_daemon_set,
        workloads::update_daemon_set,
        workloads::daemon_set_available_and_healthy,
        workloads::daemon_set_partially_available,
        workloads::daemon_set_fully_available,
        workloads::daemon_set_not_fully_available,
        cordon_node,
        uncordon_node,
        drain_nodes,
        create_network_policy,
        remove_network_policy,
        deny_all_ingress,
        remove_deny_all_ingress,
        deny_all_egress,
        remove_deny_all_egress,
        allow_dns_access,
        remove_allow_dns_access,
        crd::create_custom_object,
        crd::create_cluster_custom_object,
        crd::delete_custom_object,
        crd::delete_cluster_custom_object,
        crd::patch_custom_object,
        crd::patch_cluster_custom_object,
        crd::replace_custom_object,
        crd::replace_cluster_custom_object,
        crd::get_custom_object,
        crd::get_cluster_custom_object,
        crd::list_custom_objects,
        crd::list_cluster_custom_objects,
    ],
    discover: discover,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaosrt_sdk::Plugin;

    #[test]
    fn metadata_keeps_chaosk8s_names_and_defaults() {
        let m = ChaosrtPlugin::metadata();
        assert_eq!(m.name, "kubernetes");
        let terminate = m
            .activities
            .iter()
            .find(|a| a.name == "terminate_pods")
            .unwrap();
        let args: Vec<(&str, Option<String>)> = terminate
            .arguments
            .iter()
            .map(|a| (a.name.as_str(), a.default.as_ref().map(|d| d.to_string())))
            .collect();
        assert_eq!(
            &args[..9],
            &[
                ("label_selector", None),
                ("name_pattern", None),
                ("all", Some("false".into())),
                ("rand", Some("false".into())),
                ("mode", Some("\"fixed\"".into())),
                ("qty", Some("1".into())),
                ("grace_period", Some("-1".into())),
                ("ns", Some("\"default\"".into())),
                ("order", Some("\"alphabetic\"".into())),
            ]
        );
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
