//! chaosk8s' deployment activities (`chaosk8s.deployment.probes`, `chaosk8s.deployment.actions`).

use crate::api::{self, fail_or_false};
use chaosrt_sdk::Error;
use chaosrt_sdk::kubernetes::Request;
use chaosrt_sdk::serde_json::{Value, json};
use std::time::{Duration, Instant};

fn replicas(d: &Value, field: &str) -> Option<i64> {
    d["status"][field].as_i64()
}

fn wanted(d: &Value) -> Option<i64> {
    d["spec"]["replicas"].as_i64()
}

/// `deployment_available_and_healthy` (`fully`: `status.availableReplicas == spec.replicas` for
/// each deployment found) and `deployment_partially_available` (`!fully`: the first one found has at
/// least one available replica), with chaosk8s' messages.
pub fn available(
    name: &str,
    ns: &str,
    label_selector: Option<&str>,
    fully: bool,
    raise: bool,
) -> Result<bool, Error> {
    let found = api::deployments(ns, name, label_selector)?;
    if found.is_empty() {
        return fail_or_false(raise, format!("Deployment '{name}' was not found"));
    }
    let healthy = if fully {
        found
            .iter()
            .all(|d| replicas(d, "availableReplicas") == wanted(d))
    } else {
        replicas(&found[0], "availableReplicas").unwrap_or(0) >= 1
    };
    if !healthy {
        return fail_or_false(raise, format!("Deployment '{name}' is not healthy"));
    }
    Ok(true)
}

/// How often the readiness probes look again while they wait.
const POLL: Duration = Duration::from_millis(250);

/// `deployment_fully_available` (`ready`) and `deployment_not_fully_available` (`!ready`): waits up
/// to `timeout` seconds for `status.readyReplicas == spec.replicas` to be `ready`. chaosk8s watches;
/// this looks every 250 ms, which reaches the same answer within the same timeout.
pub fn readiness_reaches(
    name: &str,
    ns: &str,
    label_selector: Option<&str>,
    timeout: u64,
    ready: bool,
    raise: bool,
) -> Result<bool, Error> {
    let selector = label_selector.map(|s| s.replace("{name}", name));
    let until = Instant::now() + Duration::from_secs(timeout);
    loop {
        let found = api::deployments(ns, name, selector.as_deref())?;
        if found
            .iter()
            .any(|d| (replicas(d, "readyReplicas") == wanted(d)) == ready)
        {
            return Ok(true);
        }
        if Instant::now() + POLL > until {
            break;
        }
        std::thread::sleep(POLL);
    }
    let m = if ready {
        format!("deployment '{name}' failed to recover within {timeout}s")
    } else {
        format!("deployment '{name}' failed to stop running within {timeout}s")
    };
    fail_or_false(raise, m)
}

/// Merge-patches the deployment `name`; a failure status is `failed` with what `failed` says of it.
fn patch(name: &str, ns: &str, patch: Value, failed: impl Fn(&str) -> String) -> Result<(), Error> {
    let response = Request::patch("apps", "v1", "deployments", name, patch)
        .namespace(ns)
        .send()?;
    if !response.is_success() {
        let why = format!("({}) {}", response.status, response.message());
        return Err(Error::failed(failed(&why)));
    }
    Ok(())
}

/// `scale_deployment`.
pub fn scale(name: &str, replicas: i64, ns: &str) -> Result<(), Error> {
    patch(name, ns, json!({"spec": {"replicas": replicas}}), |why| {
        format!("failed to scale '{name}' to {replicas} replicas: {why}")
    })
}

/// `rollout_deployment`: restarts its pods as `kubectl rollout restart` does.
pub fn rollout(name: &str, ns: &str, now: &str) -> Result<(), Error> {
    let restarted = json!({"spec": {"template": {"metadata": {"annotations":
        {"kubectl.kubernetes.io/restartedAt": now}}}}});
    patch(name, ns, restarted, |why| {
        format!("failed to rollout the deployment '{name}'! Error: {why}")
    })
}

/// `delete_deployment`: by name, else by label, else every deployment of `ns`.
pub fn delete(name: Option<&str>, ns: &str, label_selector: Option<&str>) -> Result<(), Error> {
    let by_name = name
        .filter(|n| !n.is_empty())
        .map(|n| format!("metadata.name={n}"));
    let labels = if by_name.is_some() {
        None
    } else {
        label_selector
    };
    let found = api::list(
        "apps",
        "v1",
        "deployments",
        Some(ns),
        labels,
        by_name.as_deref(),
    )?;
    for d in &found {
        Request::delete("apps", "v1", "deployments", api::name(d))
            .namespace(ns)
            .body(json!({}))
            .send()?
            .ok()?;
    }
    Ok(())
}
