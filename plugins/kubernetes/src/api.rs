//! The few shapes of request and answer every activity shares, over the SDK's Kubernetes client.

use chaosrt_sdk::Error;
use chaosrt_sdk::kubernetes::Request;
use chaosrt_sdk::serde_json::Value;

/// The objects of a `list` of `resource` in `ns`, with Python's truthiness for the selectors (an
/// empty selector is none).
pub fn list(
    group: &str,
    version: &str,
    resource: &str,
    ns: Option<&str>,
    labels: Option<&str>,
    fields: Option<&str>,
) -> Result<Vec<Value>, Error> {
    let mut request = Request::list(group, version, resource);
    if let Some(ns) = ns {
        request = request.namespace(ns);
    }
    if let Some(s) = labels.filter(|s| !s.is_empty()) {
        request = request.labels(s);
    }
    if let Some(s) = fields.filter(|s| !s.is_empty()) {
        request = request.fields(s);
    }
    let list = request.send()?.json()?;
    Ok(match list {
        Value::Object(mut o) => match o.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    })
}

/// The pods of `ns` matching `labels`.
pub fn pods(ns: &str, labels: Option<&str>) -> Result<Vec<Value>, Error> {
    list("", "v1", "pods", Some(ns), labels, None)
}

/// The deployments of `ns` named `name` (and matching `labels`), as chaosk8s lists them.
pub fn deployments(ns: &str, name: &str, labels: Option<&str>) -> Result<Vec<Value>, Error> {
    let by_name = format!("metadata.name={name}");
    list(
        "apps",
        "v1",
        "deployments",
        Some(ns),
        labels,
        Some(&by_name),
    )
}

pub fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or("")
}

/// `status.phase`, `None` when the server has not set one (Python's `None`).
pub fn phase(pod: &Value) -> Option<&str> {
    pod["status"]["phase"].as_str()
}

/// A pod that serves: `Ready=True` and not being deleted.
pub fn is_ready(pod: &Value) -> bool {
    pod["metadata"]["deletionTimestamp"].is_null()
        && pod["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Python's `str(x)` of a value from an object: `None` for absent.
pub fn py(value: Option<&str>) -> &str {
    value.unwrap_or("None")
}

/// A probe's failure: `ActivityFailed(message)` when `raise`, else `False`.
pub fn fail_or_false(raise: bool, message: String) -> Result<bool, Error> {
    if raise {
        Err(Error::failed(message))
    } else {
        chaosrt_sdk::log::debug(&message);
        Ok(false)
    }
}
