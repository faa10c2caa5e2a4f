//! chaosk8s' node actions (`chaosk8s.node.actions`): cordon, uncordon, drain (through the eviction
//! API, so PodDisruptionBudgets are honoured as `kubectl drain` honours them).

use crate::api;
use chaosrt_sdk::Error;
use chaosrt_sdk::kubernetes::Request;
use chaosrt_sdk::serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Which nodes an activity acts on, as chaosk8s' `_select_nodes` picks them.
#[derive(Debug, Clone, Default)]
pub struct Nodes {
    pub name: Option<String>,
    pub label_selector: Option<String>,
    /// `count` nodes drawn at random, with replacement (Python's `random.choices`).
    pub count: Option<u64>,
    /// Only nodes running a pod that this selector selects in `pod_namespace` (both needed).
    pub pod_label_selector: Option<String>,
    pub pod_namespace: Option<String>,
}

impl Nodes {
    /// By name and/or label, then by the pods they run, then `count` at random; none found fails.
    fn select(&self) -> Result<Vec<Value>, Error> {
        let by_name = self
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|n| format!("metadata.name={n}"));
        let listed = api::list(
            "",
            "v1",
            "nodes",
            None,
            self.label_selector.as_deref(),
            by_name.as_deref(),
        )?;
        let nodes = match (
            self.pod_label_selector.as_deref().filter(|s| !s.is_empty()),
            self.pod_namespace.as_deref().filter(|s| !s.is_empty()),
        ) {
            (Some(selector), Some(ns)) => {
                let pods = api::pods(ns, Some(selector))?;
                // One entry per (node, pod) pair, as chaosk8s appends them.
                let mut running = Vec::new();
                for node in &listed {
                    for pod in &pods {
                        if pod["spec"]["nodeName"].as_str() == Some(api::name(node)) {
                            running.push(node.clone());
                        }
                    }
                }
                running
            }
            _ => listed,
        };
        if nodes.is_empty() {
            return Err(Error::failed("failed to find a node that matches selector"));
        }
        Ok(match self.count {
            Some(k) => (0..k)
                .map(|_| nodes[crate::pods::random_below(nodes.len())].clone())
                .collect(),
            None => nodes,
        })
    }
}

fn by_name(name: &str) -> Nodes {
    Nodes {
        name: Some(name.to_string()),
        ..Nodes::default()
    }
}

/// `cordon_node` (`unschedulable`) and `uncordon_node` (`!unschedulable`): the names patched.
pub fn set_unschedulable(nodes: &Nodes, unschedulable: bool) -> Result<Vec<String>, Error> {
    let mut done = Vec::new();
    for n in nodes.select()? {
        let node = api::name(&n).to_string();
        let response = Request::patch(
            "",
            "v1",
            "nodes",
            &node,
            json!({"spec": {"unschedulable": unschedulable}}),
        )
        .send()?;
        if !response.is_success() {
            let verb = if unschedulable {
                "unschedule"
            } else {
                "schedule"
            };
            return Err(Error::failed(format!(
                "Failed to {verb} node '{node}': {}",
                response.body
            )));
        }
        done.push(node);
    }
    Ok(done)
}

/// `drain_nodes`: cordons the nodes, evicts their pods as `kubectl drain --ignore-daemonsets` does
/// (mirror pods and DaemonSet pods stay, pods with local storage only with
/// `delete_pods_with_local_storage`, unmanaged pods fail the drain), then waits up to `timeout`
/// seconds for the evicted pods to be gone. Returns the names of the drained nodes.
pub fn drain(
    nodes: &Nodes,
    delete_pods_with_local_storage: bool,
    timeout: u64,
) -> Result<Vec<String>, Error> {
    let nodes = nodes.select()?;
    for n in &nodes {
        set_unschedulable(&by_name(api::name(n)), true)?;
    }
    let mut drained = Vec::new();
    for n in &nodes {
        let node = api::name(n).to_string();
        let on_node = format!("spec.nodeName={node}");
        let pods = api::list("", "v1", "pods", None, None, Some(&on_node))?;
        let mut evicted = Vec::new();
        for pod in &pods {
            if !evictable(pod, &node, delete_pods_with_local_storage)? {
                continue;
            }
            evict(pod)?;
            evicted.push((
                pod["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                api::name(pod).to_string(),
                pod["metadata"]["uid"].as_str().unwrap_or("").to_string(),
            ));
        }
        wait_gone(&evicted, timeout)?;
        drained.push(node);
    }
    Ok(drained)
}

/// chaosk8s' (and kubectl's) eviction candidates.
fn evictable(pod: &Value, node: &str, local_storage: bool) -> Result<bool, Error> {
    let name = api::name(pod);
    if pod["metadata"]["annotations"]["kubernetes.io/config.mirror"].is_string() {
        return Ok(false);
    }
    let has_local = pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|v| !v["emptyDir"].is_null());
    if has_local {
        return Ok(local_storage);
    }
    if matches!(api::phase(pod), Some("Succeeded" | "Failed")) {
        return Ok(true);
    }
    for owner in pod["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if owner["kind"] == "DaemonSet" {
            return Ok(false);
        }
        if owner["controller"] == true {
            return Ok(true);
        }
    }
    Err(Error::failed(format!(
        "Pod '{name}' on node '{node}' is unmanaged, cannot drain this node. Delete it manually \
         first?"
    )))
}

/// Evicts one pod: `policy/v1` (Kubernetes 1.22 and later), else `policy/v1beta1`.
fn evict(pod: &Value) -> Result<(), Error> {
    let name = api::name(pod);
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("");
    let mut last = None;
    for version in ["policy/v1", "policy/v1beta1"] {
        let body = json!({"apiVersion": version, "kind": "Eviction",
                          "metadata": {"name": name, "namespace": ns}});
        let response = Request::create("", "v1", "pods", body)
            .namespace(ns)
            .name(name)
            .subresource("eviction")
            .send()?;
        if response.is_success() {
            return Ok(());
        }
        // An older server does not know the newer Eviction version.
        let unknown_version = response.status == 400 && response.body.contains(version);
        last = Some(response);
        if !unknown_version {
            break;
        }
    }
    let response = last.expect("one attempt at least");
    Err(Error::failed(format!(
        "Failed to evict pod {name}: {}",
        response.body
    )))
}

/// Waits for each `(namespace, name, uid)` to be gone (404, or the name taken by another uid).
fn wait_gone(pods: &[(String, String, String)], timeout: u64) -> Result<(), Error> {
    let until = Instant::now() + Duration::from_secs(timeout);
    let mut left: Vec<&(String, String, String)> = pods.iter().collect();
    while !left.is_empty() {
        let mut still = Vec::new();
        for p in left {
            let response = Request::get("", "v1", "pods", &p.1)
                .namespace(&p.0)
                .send()?;
            let current: Value =
                chaosrt_sdk::serde_json::from_str(&response.body).unwrap_or_default();
            if response.is_success() && current["metadata"]["uid"] == p.2.as_str() {
                still.push(p);
            }
        }
        left = still;
        if left.is_empty() {
            break;
        }
        if Instant::now() > until {
            let names: Vec<&str> = left.iter().map(|p| p.1.as_str()).collect();
            return Err(Error::failed(format!(
                "Draining nodes did not completed within {timeout}s. Remaining pods are:\n{}",
                names.join("\n")
            )));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(())
}
