//! The few shapes of request and answer every activity shares, over the SDK's Kubernetes client.

use chaosrt_sdk::Error;
use chaosrt_sdk::kubernetes::Request;
use chaosrt_sdk::serde_json::Value;
use std::time::{Duration, Instant};

/// A collection of `resource` in `ns` (all namespaces, or cluster-scoped, when `None`), narrowed by
/// selectors with Python's truthiness (an empty selector is none).
#[derive(Debug, Clone, Copy)]
pub struct Collection<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub resource: &'a str,
    pub ns: Option<&'a str>,
    pub labels: Option<&'a str>,
    pub fields: Option<&'a str>,
}

impl Collection<'_> {
    /// A request of `verb` on the collection, selectors included.
    fn request(&self, verb: &str) -> Request {
        let mut request = self.object(verb, None);
        if let Some(s) = self.labels.filter(|s| !s.is_empty()) {
            request = request.labels(s);
        }
        if let Some(s) = self.fields.filter(|s| !s.is_empty()) {
            request = request.fields(s);
        }
        request
    }

    /// A request of `verb` on the collection's object `name`, or on the collection without selectors.
    pub fn object(&self, verb: &str, name: Option<&str>) -> Request {
        let mut request = Request::new(verb, self.group, self.version, self.resource);
        if let Some(ns) = self.ns {
            request = request.namespace(ns);
        }
        if let Some(name) = name {
            request = request.name(name);
        }
        request
    }

    /// The objects listed, and the list's `resourceVersion` (where a watch of changes starts).
    pub fn list(&self) -> Result<(Vec<Value>, String), Error> {
        let mut list = self.request("list").send()?.json()?;
        let version = list["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let items = match list.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        Ok((items, version))
    }

    /// Waits up to `timeout` for an object for which `reached` holds, as chaosk8s' watches do: an
    /// object listed now, then the object of each change the API server reports (a watch from the
    /// list's version, so no change is missed however briefly it lasts). `false` at the timeout.
    pub fn wait_for(
        &self,
        timeout: Duration,
        reached: impl Fn(&Value) -> bool,
    ) -> Result<bool, Error> {
        let until = Instant::now() + timeout;
        let (items, mut version) = self.list()?;
        if items.iter().any(&reached) {
            return Ok(true);
        }
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            let seconds = left.as_secs_f64().ceil().max(1.0) as u64;
            let answer = self
                .request("watch")
                .query("resourceVersion", version.clone())
                .query("timeoutSeconds", seconds.to_string())
                .send()?
                .ok()?;
            for line in answer.body.lines().filter(|l| !l.trim().is_empty()) {
                let event: Value = chaosrt_sdk::serde_json::from_str(line).map_err(|e| {
                    Error::failed(format!(
                        "the API server sent a watch event that is not JSON: {e}"
                    ))
                })?;
                let object = &event["object"];
                if event["type"] == "ERROR" {
                    // 410: the version is too old to watch from; start again from a new list.
                    if object["code"] != 410 {
                        return Err(Error::failed(format!(
                            "watching {}: {}",
                            self.resource,
                            object["message"].as_str().unwrap_or("an error")
                        )));
                    }
                    let (items, now) = self.list()?;
                    if items.iter().any(&reached) {
                        return Ok(true);
                    }
                    version = now;
                    break;
                }
                if let Some(v) = object["metadata"]["resourceVersion"].as_str() {
                    version = v.to_string();
                }
                if event["type"] != "BOOKMARK" && reached(object) {
                    return Ok(true);
                }
            }
        }
    }
}

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
    let collection = Collection {
        group,
        version,
        resource,
        ns,
        labels,
        fields,
    };
    Ok(collection.list()?.0)
}

/// The pods of `ns` matching `labels`.
pub fn pods(ns: &str, labels: Option<&str>) -> Result<Vec<Value>, Error> {
    list("", "v1", "pods", Some(ns), labels, None)
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
