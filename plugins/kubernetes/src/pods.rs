//! chaosk8s' pod activities (`chaosk8s.pod.actions`, `chaosk8s.pod.probes`), with their names,
//! arguments, defaults, return values and failure texts.

use crate::api::{self, fail_or_false, phase, py};
use crate::select::Selection;
use chaosrt_sdk::kubernetes::Request;
use chaosrt_sdk::serde_json::{Map, Value, json};
use chaosrt_sdk::{Error, Json};

/// How a kill went for one pod.
#[derive(Debug, Clone, PartialEq)]
pub struct Killed {
    pub name: String,
    pub uid: String,
    pub namespace: String,
    /// The grace period the API server applied, in seconds (0: removed at once).
    pub grace_period_seconds: Option<i64>,
    /// Whether the pod was removed at once rather than marked for graceful termination.
    pub removed: bool,
}

impl Killed {
    pub fn to_json(&self, dry_run: bool) -> Value {
        json!({
            "name": self.name,
            "uid": self.uid,
            "namespace": self.namespace,
            "grace_period_seconds": self.grace_period_seconds,
            "removed": self.removed,
            "dry_run": dry_run,
        })
    }
}

/// Everything `terminate_pods` and `kill_pods` take.
pub struct Kill {
    pub label_selector: Option<String>,
    pub name_pattern: Option<String>,
    pub selection: Selection,
    pub grace_period: i64,
    pub ns: String,
    pub dry_run: bool,
    pub min_ready: Option<u64>,
}

impl Kill {
    /// Selects the pods as chaosk8s' `_select_pods` does, checks the guard, then deletes them one
    /// after the other (each conditioned on the uid that was selected, so a replacement that took the
    /// same name is never the one killed).
    pub fn run(&self) -> Result<Vec<Killed>, Error> {
        let pattern = match self.name_pattern.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => Some(regex::Regex::new(p).map_err(|e| {
                Error::failed(format!(
                    "name_pattern '{p}' is not a regular expression: {e}"
                ))
            })?),
            None => None,
        };
        let listed = api::pods(&self.ns, self.label_selector.as_deref())?;
        let matching: Vec<Value> = listed
            .into_iter()
            .filter(|p| pattern.as_ref().is_none_or(|re| re.is_match(api::name(p))))
            .collect();
        let ready = matching.iter().filter(|p| api::is_ready(p)).count();
        let picked = self.selection.pick(matching, &mut random_below);
        if let Some(min) = self.min_ready {
            let killed_ready = picked.iter().filter(|p| api::is_ready(p)).count();
            let left = ready - killed_ready;
            if (left as u64) < min {
                return Err(Error::failed(format!(
                    "refusing to kill {} pod(s) in '{}': that would leave {left} ready pod(s) of \
                     the {ready} ready now, fewer than min_ready {min}; nothing was killed",
                    picked.len(),
                    self.ns
                )));
            }
        }
        picked.iter().map(|pod| self.delete(pod)).collect()
    }

    fn delete(&self, pod: &Value) -> Result<Killed, Error> {
        let name = api::name(pod).to_string();
        let uid = pod["metadata"]["uid"].as_str().unwrap_or("").to_string();
        let mut options = Map::new();
        if self.grace_period >= 0 {
            options.insert("gracePeriodSeconds".into(), json!(self.grace_period));
        }
        if !uid.is_empty() {
            options.insert("preconditions".into(), json!({"uid": uid}));
        }
        if self.dry_run {
            options.insert("dryRun".into(), json!(["All"]));
        }
        let response = Request::delete("", "v1", "pods", &name)
            .namespace(&self.ns)
            .body(Value::Object(options))
            .send()?
            .ok()?;
        let answered: Value = chaosrt_sdk::serde_json::from_str(&response.body).unwrap_or_default();
        let grace = answered["metadata"]["deletionGracePeriodSeconds"]
            .as_i64()
            .or_else(|| (self.grace_period >= 0).then_some(self.grace_period))
            .or_else(|| pod["spec"]["terminationGracePeriodSeconds"].as_i64());
        // A pod the server removed at once comes back without a future deletion: either no
        // deletionTimestamp (a Status) or a grace period of 0.
        let removed = answered["metadata"]["deletionTimestamp"].is_null() || grace == Some(0);
        let said = format!(
            "pod {}/{name} (uid {uid}, grace period {})",
            self.ns,
            grace
                .map(|g| format!("{g} s"))
                .unwrap_or_else(|| "default".into())
        );
        // chaosk8s says nothing of a kill but at debug level; a dry run is chaosrt's own.
        if self.dry_run {
            chaosrt_sdk::log::info(&format!("would kill {said}"));
        } else {
            chaosrt_sdk::log::debug(&format!("killed {said}"));
        }
        Ok(Killed {
            name,
            uid,
            namespace: self.ns.clone(),
            grace_period_seconds: grace,
            removed,
        })
    }
}

/// A random number in `0..n`, from the sandbox's `wasi:random` (std's hasher keys come from it).
pub fn random_below(n: usize) -> usize {
    use std::hash::{BuildHasher, Hasher};
    if n <= 1 {
        return 0;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(n);
    (h.finish() % n as u64) as usize
}

/// Whether every pod matching the selector is in `phase` (chaosk8s' `pods_in_phase`).
pub fn in_phase(
    label_selector: &str,
    phase_wanted: &str,
    ns: &str,
    raise: bool,
    wanted: bool,
) -> Result<bool, Error> {
    let pods = api::pods(ns, Some(label_selector))?;
    if pods.is_empty() {
        return fail_or_false(raise, format!("no pods '{label_selector}' were found"));
    }
    for p in &pods {
        let actual = phase(p);
        if wanted && actual != Some(phase_wanted) {
            return fail_or_false(
                raise,
                format!(
                    "pod '{label_selector}' is in phase '{}' but should be '{phase_wanted}'",
                    py(actual)
                ),
            );
        }
        if !wanted && actual == Some(phase_wanted) {
            return fail_or_false(
                raise,
                format!("pod '{label_selector}' should not be in phase '{phase_wanted}'"),
            );
        }
    }
    Ok(true)
}

/// chaosk8s' `count_pods`.
pub fn count(label_selector: &str, phase_wanted: Option<&str>, ns: &str) -> Result<u64, Error> {
    let pods = api::pods(ns, Some(label_selector))?;
    Ok(match phase_wanted.filter(|p| !p.is_empty()) {
        None => pods.len(),
        Some(wanted) => pods.iter().filter(|p| phase(p) == Some(wanted)).count(),
    } as u64)
}

/// chaosk8s' `pods_in_conditions`: each pod's `{type, status}` pairs hold every given one.
pub fn in_conditions(
    label_selector: &str,
    conditions: &[Map<String, Value>],
    ns: &str,
    raise: bool,
) -> Result<bool, Error> {
    let pods = api::pods(ns, Some(label_selector))?;
    if pods.is_empty() {
        return fail_or_false(raise, format!("no pods '{label_selector}' were found"));
    }
    for p in &pods {
        let have: Vec<Value> = p["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| json!({"type": c["type"], "status": c["status"]}))
            .collect();
        for wanted in conditions {
            if !have.contains(&Value::Object(wanted.clone())) {
                return fail_or_false(
                    raise,
                    format!(
                        "pod {} does not match the following given condition: {}",
                        api::name(p),
                        python_dict(wanted)
                    ),
                );
            }
        }
    }
    Ok(true)
}

/// A dict as Python prints it: `{'type': 'Ready', 'status': 'True'}`.
fn python_dict(map: &Map<String, Value>) -> String {
    let item = |v: &Value| match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    };
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("'{k}': {}", item(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// chaosk8s' `pod_is_not_available`: no pod of the selector is `Running`.
pub fn not_available(
    name: &str,
    ns: &str,
    label_selector: &str,
    raise: bool,
) -> Result<bool, Error> {
    let selector = label_selector.replace("{name}", name);
    for p in api::pods(ns, Some(&selector))? {
        if phase(&p) == Some("Running") {
            return fail_or_false(raise, format!("pod '{name}' is actually running"));
        }
    }
    Ok(true)
}

/// chaosk8s' `all_pods_healthy`: no pod `Failed`, every one `Running` or `Succeeded`.
pub fn all_healthy(ns: &str, raise: bool) -> Result<bool, Error> {
    let pods = api::pods(ns, None)?;
    let unhealthy = pods
        .iter()
        .filter(|p| !matches!(phase(p), Some("Running" | "Succeeded")))
        .count();
    if unhealthy > 0 {
        return fail_or_false(raise, "the system is unhealthy".into());
    }
    Ok(true)
}

/// `conditions` of `pods_in_conditions`: a list of `{type, status}` objects.
pub type Conditions = Json<Vec<Map<String, Value>>>;

/// chaosk8s' `read_pod_logs`: `{pod name: logs}` of the pods `label_selector` (with `{name}` replaced
/// by `name`, `None` when there is none, as Python formats it) selects in `ns`, with timestamps.
pub fn logs(
    name: Option<&str>,
    last: Option<&str>,
    ns: &str,
    from_previous: bool,
    label_selector: &str,
    container_name: Option<&str>,
) -> Result<Map<String, Value>, Error> {
    let selector = label_selector.replace("{name}", name.unwrap_or("None"));
    let since = last.map(seconds_in).transpose()?;
    let mut logs = Map::new();
    for pod in api::pods(ns, Some(&selector))? {
        let pod_name = api::name(&pod).to_string();
        let mut request = Request::get("", "v1", "pods", &pod_name)
            .namespace(ns)
            .subresource("log")
            .query("timestamps", "true")
            .query("previous", if from_previous { "true" } else { "false" });
        if let Some(c) = container_name.filter(|c| !c.is_empty()) {
            request = request.query("container", c);
        }
        if let Some(s) = since.filter(|s| *s > 0) {
            request = request.query("sinceSeconds", s.to_string());
        }
        let text = request.send()?.ok()?.body;
        logs.insert(pod_name, Value::String(text));
    }
    Ok(logs)
}

/// chaosk8s' `should_be_found_in_logs`: the first match of `pattern` in each entry of `logs`, each
/// told to `debug`.
pub fn found_in_logs(
    pattern: &str,
    all_containers: bool,
    logs: Map<String, Value>,
    debug: impl Fn(&str),
) -> Result<bool, Error> {
    if logs.is_empty() {
        return Err(Error::failed("no logs to search from"));
    }
    let re = regex::Regex::new(pattern).map_err(|e| {
        Error::failed(format!(
            "pattern '{pattern}' is not a regular expression chaosrt can search with: {e}"
        ))
    })?;
    let mut matched = 0;
    for (container, text) in &logs {
        match re.find(text.as_str().unwrap_or("")) {
            Some(m) => {
                debug(&format!(
                    "Container '{container}' matched at position ({}, {})",
                    m.start(),
                    m.end()
                ));
                matched += 1;
            }
            None => debug(&format!("Container '{container}' did not match")),
        }
    }
    Ok(if all_containers {
        matched == logs.len()
    } else {
        matched > 0
    })
}

/// `last` as chaosk8s reads it with dateparser, for the relative forms experiments write: `60s`,
/// `10 minutes`, `2 hours`, `1 day` (a number and a unit, with or without `ago`).
pub fn seconds_in(last: &str) -> Result<u64, Error> {
    let text = last
        .trim()
        .trim_end_matches("ago")
        .trim()
        .to_ascii_lowercase();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit = unit.trim();
    let scale = match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if scale > 0 => Ok(n * scale),
        _ => Err(Error::failed(format!(
            "cannot read `last` {last:?}: write a number and a unit, e.g. \"60s\", \"10 minutes\", \
             \"2 hours\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_searched_in_every_container_or_in_one() {
        let logs = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect::<Map<String, Value>>()
        };
        let quiet = |_: &str| {};
        let both = logs(&[("a", "x started\n"), ("b", "y started\n")]);
        let one = logs(&[("a", "x started\n"), ("b", "y crashed\n")]);
        assert_eq!(found_in_logs("start(ed)?", true, both, quiet), Ok(true));
        assert_eq!(
            found_in_logs("started", true, one.clone(), quiet),
            Ok(false)
        );
        assert_eq!(
            found_in_logs("started", false, one.clone(), quiet),
            Ok(true)
        );
        assert_eq!(found_in_logs("nothing", false, one, quiet), Ok(false));
        assert_eq!(
            found_in_logs("x", true, Map::new(), quiet),
            Err(Error::failed("no logs to search from"))
        );
        assert!(found_in_logs("(?<=x)y", true, logs(&[("a", "xy")]), quiet).is_err());
    }

    #[test]
    fn last_is_read_in_the_forms_experiments_write() {
        assert_eq!(seconds_in("60s").unwrap(), 60);
        assert_eq!(seconds_in("10 minutes").unwrap(), 600);
        assert_eq!(seconds_in("2 hours ago").unwrap(), 7200);
        assert_eq!(seconds_in("1 day").unwrap(), 86_400);
        assert!(seconds_in("yesterday").is_err());
        assert!(seconds_in("5 fortnights").is_err());
    }
}
