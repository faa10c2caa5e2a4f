//! chaosk8s' NetworkPolicy actions (`chaosk8s.networking.actions`): one policy created from a spec,
//! and the helpers that deny all ingress or egress, or allow DNS, for a namespace's pods (or those
//! matching `label_selectors`), each with its remover.

use chaosrt_sdk::Error;
use chaosrt_sdk::kubernetes::Request;
use chaosrt_sdk::serde_json::{Map, Value, json};

const GROUP: &str = "networking.k8s.io";

/// `create_network_policy(spec, ns)`.
pub fn create(spec: Value, ns: &str) -> Result<(), Error> {
    Request::create(GROUP, "v1", "networkpolicies", spec)
        .namespace(ns)
        .send()?
        .ok()?;
    Ok(())
}

/// `remove_network_policy(name, ns)`.
pub fn remove(name: &str, ns: &str) -> Result<(), Error> {
    Request::delete(GROUP, "v1", "networkpolicies", name)
        .namespace(ns)
        .body(json!({}))
        .send()?
        .ok()?;
    Ok(())
}

/// The helpers' policies, by chaosk8s' names: `deny-all-ingress`, `deny-all-egress`, `allow-dns`.
pub fn helper(which: &str, label_selectors: Option<&Map<String, Value>>) -> Value {
    let mut pod_selector = Map::new();
    if let Some(labels) = label_selectors.filter(|l| !l.is_empty()) {
        pod_selector.insert("matchLabels".into(), Value::Object(labels.clone()));
    }
    let spec = match which {
        "deny-all-ingress" => {
            json!({"podSelector": pod_selector, "policyTypes": ["Ingress"], "ingress": []})
        }
        "deny-all-egress" => json!({"podSelector": pod_selector, "policyTypes": ["Egress"]}),
        _ => json!({"podSelector": pod_selector, "policyTypes": ["Egress"], "egress": [{
            "to": [{"namespaceSelector": {}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        }]}),
    };
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": helper_name(which)}, "spec": spec})
}

pub fn helper_name(which: &str) -> String {
    match which {
        "allow-dns" => "chaostoolkit-allow-dns".into(),
        other => format!("chaostoolkit-{other}"),
    }
}
