//! chaosk8s' node actions (`chaosk8s.node.actions`): cordon, uncordon, drain (through the eviction
//! API, so PodDisruptionBudgets are honoured as `kubectl drain` honours them).

use crate::api;
use chaosrt_sdk::Error;
use chaosrt_sdk::kubernetes::Request;
use chaosrt_sdk::serde_json::{Value, json};
use std::time::{Duration, Instant};

/// chaosk8s' `_select_nodes` without `count`: by name and/or label; none found fails.
fn select(name: Option<&str>, label_selector: Option<&str>) -> Result<Vec<Value>, Error> {
    let by_name = name
        .filter(|n| !n.is_empty())
        .map(|n| format!("metadata.name={n}"));
    let nodes = api::list("", "v1", "nodes", None, label_selector, by_name.as_deref())?;
    if nodes.is_empty() {
        return Err(Error::failed("failed to find a node that matches selector"));
    }
    Ok(nodes)
}

/// `cordon_node` (`unschedulable`) and `uncordon_node` (`!unschedulable`): the names patched.
pub fn set_unschedulable(
    name: Option<&str>,
    label_selector: Option<&str>,
    unschedulable: bool,
) -> Result<Vec<String>, Error> {
    let mut done = Vec::new();
    for n in select(name, label_selector)? {
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
    name: Option<&str>,
    label_selector: Option<&str>,
    delete_pods_with_local_storage: bool,
    timeout: u64,
) -> Result<Vec<String>, Error> {
    let nodes = select(name, label_selector)?;
    for n in &nodes {
        set_unschedulable(Some(api::name(n)), None, true)?;
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
                "Draining nodes did not completed within {timeout}s: {} still running",
                names.join(", ")
            )));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(())
}
