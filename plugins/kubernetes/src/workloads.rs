//! chaosk8s' workload activities: deployments (`chaosk8s.deployment`), stateful sets
//! (`chaosk8s.statefulset`) and daemon sets (`chaosk8s.daemonset`), which differ only in their
//! resource and in what "every replica is ready" means.

use crate::api::{self, Collection, fail_or_false};
use chaosrt_sdk::Error;
use chaosrt_sdk::kubernetes::Request;
use chaosrt_sdk::serde_json::{Value, json};
use std::time::Duration;

/// An `apps/v1` workload resource.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// The plural resource, e.g. `deployments`.
    pub resource: &'static str,
    /// Whether an object has every replica it wants ready, as chaosk8s compares the two (Python's
    /// `None == None` included).
    pub all_ready: fn(&Value) -> bool,
}

fn count(object: &Value, section: &str, field: &str) -> Option<i64> {
    object[section][field].as_i64()
}

pub const DEPLOYMENTS: Kind = Kind {
    resource: "deployments",
    all_ready: |d| count(d, "status", "readyReplicas") == count(d, "spec", "replicas"),
};

pub const STATEFULSETS: Kind = Kind {
    resource: "statefulsets",
    all_ready: |s| count(s, "status", "readyReplicas") == count(s, "spec", "replicas"),
};

pub const DAEMONSETS: Kind = Kind {
    resource: "daemonsets",
    all_ready: |d| {
        count(d, "status", "numberReady") == count(d, "status", "desiredNumberScheduled")
    },
};

impl Kind {
    /// The objects of `ns` that the field selector `by_name` names (and that match `labels`), as
    /// chaosk8s lists them.
    fn named<'a>(&self, ns: &'a str, labels: Option<&'a str>, by_name: &'a str) -> Collection<'a> {
        Collection {
            group: "apps",
            version: "v1",
            resource: self.resource,
            ns: Some(ns),
            labels,
            fields: Some(by_name),
        }
    }

    /// The objects named `name` in `ns`, also matching `labels` when given.
    pub fn find(&self, name: &str, ns: &str, labels: Option<&str>) -> Result<Vec<Value>, Error> {
        let by_name = format!("metadata.name={name}");
        Ok(self.named(ns, labels, &by_name).list()?.0)
    }

    /// chaosk8s' `_<kind>_readiness_has_state`: waits up to `timeout` seconds for the object `name`
    /// to have (`ready`) or lack (`!ready`) every replica ready, watching its changes.
    pub fn readiness_reaches(
        &self,
        name: &str,
        ns: &str,
        label_selector: Option<&str>,
        timeout: u64,
        ready: bool,
    ) -> Result<bool, Error> {
        let selector = label_selector.map(|s| s.replace("{name}", name));
        let by_name = format!("metadata.name={name}");
        self.named(ns, selector.as_deref(), &by_name)
            .wait_for(Duration::from_secs(timeout), |o| {
                (self.all_ready)(o) == ready
            })
    }

    /// chaosk8s' `scale_deployment` and `scale_statefulset`: a merge patch of `spec.replicas`.
    pub fn scale(&self, name: &str, replicas: i64, ns: &str) -> Result<(), Error> {
        self.patch(name, ns, json!({"spec": {"replicas": replicas}}), |why| {
            format!("failed to scale '{name}' to {replicas} replicas: {why}")
        })
    }

    /// Patches the object `name` as the Python client does: a list is a JSON patch, an object a
    /// strategic merge patch. A failure status is `failed` with what `failed` says of it.
    pub fn patch(
        &self,
        name: &str,
        ns: &str,
        patch: Value,
        failed: impl Fn(&str) -> String,
    ) -> Result<(), Error> {
        let content_type = if patch.is_array() {
            "application/json-patch+json"
        } else {
            "application/strategic-merge-patch+json"
        };
        let response = Request::patch("apps", "v1", self.resource, name, patch)
            .content_type(content_type)
            .namespace(ns)
            .send()?;
        if !response.is_success() {
            let why = format!("({}) {}", response.status, response.message());
            return Err(Error::failed(failed(&why)));
        }
        Ok(())
    }

    /// chaosk8s' `delete_deployment`, `remove_statefulset`, `delete_daemon_set` and
    /// `delete_replica_set`: by name, else by label, else every object of `ns`.
    pub fn delete(
        &self,
        name: Option<&str>,
        ns: &str,
        label_selector: Option<&str>,
    ) -> Result<(), Error> {
        delete_each("apps", self.resource, name, ns, label_selector)
    }
}

/// `replicasets`, which chaosk8s only deletes (`kill_microservice`).
pub const REPLICASETS: &str = "replicasets";

/// Deletes the objects of `resource` named `name`, else those matching `label_selector`, else every
/// one of `ns`, one after the other with empty delete options (the resource's default policy).
pub fn delete_each(
    group: &str,
    resource: &str,
    name: Option<&str>,
    ns: &str,
    label_selector: Option<&str>,
) -> Result<(), Error> {
    let by_name = name
        .filter(|n| !n.is_empty())
        .map(|n| format!("metadata.name={n}"));
    let labels = if by_name.is_some() {
        None
    } else {
        label_selector
    };
    let found = api::list(group, "v1", resource, Some(ns), labels, by_name.as_deref())?;
    for object in &found {
        Request::delete(group, "v1", resource, api::name(object))
            .namespace(ns)
            .body(json!({}))
            .send()?
            .ok()?;
    }
    Ok(())
}

/// `deployment_available_and_healthy` (`fully`: `status.availableReplicas == spec.replicas` for
/// each deployment found) and `deployment_partially_available` (`!fully`: the first one found has at
/// least one available replica), with chaosk8s' messages.
pub fn deployment_available(
    name: &str,
    ns: &str,
    label_selector: Option<&str>,
    fully: bool,
    raise: bool,
) -> Result<bool, Error> {
    let found = DEPLOYMENTS.find(name, ns, label_selector)?;
    if found.is_empty() {
        return fail_or_false(raise, format!("Deployment '{name}' was not found"));
    }
    let available = |d: &Value| count(d, "status", "availableReplicas");
    let healthy = if fully {
        found
            .iter()
            .all(|d| available(d) == count(d, "spec", "replicas"))
    } else {
        available(&found[0]).unwrap_or(0) >= 1
    };
    if !healthy {
        return fail_or_false(raise, format!("Deployment '{name}' is not healthy"));
    }
    Ok(true)
}

/// `daemon_set_available_and_healthy` (`fully`: `numberReady == desiredNumberScheduled` for each
/// one found) and `daemon_set_partially_available` (`!fully`: the first one found has a ready pod).
/// chaosk8s returns `False` rather than failing in every case.
pub fn daemon_set_available(
    name: &str,
    ns: &str,
    label_selector: Option<&str>,
    fully: bool,
) -> Result<bool, Error> {
    let found = DAEMONSETS.find(name, ns, label_selector)?;
    if found.is_empty() {
        chaosrt_sdk::log::debug(&format!("daemon set '{name}' was not found"));
        return Ok(false);
    }
    Ok(if fully {
        found.iter().all(DAEMONSETS.all_ready)
    } else {
        count(&found[0], "status", "numberReady").unwrap_or(0) >= 1
    })
}

/// `rollout_deployment`: restarts its pods as `kubectl rollout restart` does.
pub fn rollout(name: &str, ns: &str, now: &str) -> Result<(), Error> {
    let restarted = json!({"spec": {"template": {"metadata": {"annotations":
        {"kubectl.kubernetes.io/restartedAt": now}}}}});
    DEPLOYMENTS.patch(name, ns, restarted, |why| {
        format!("failed to rollout the deployment '{name}'! Error: {why}")
    })
}

/// A chaosk8s readiness probe `$probe` for `$kind`: waits up to `timeout` seconds for its object to
/// have every replica ready (`$ready`) or not, else fails saying the `$noun` failed to `$reach` (or
/// returns false without `$raise`).
macro_rules! readiness_probe {
    (
        $kind:expr, $probe:ident, $ready:literal, $raise:ident, $noun:literal, $reach:literal,
        $doc:expr
    ) => {
        #[doc = $doc]
        #[chaosrt_sdk::probe(deny_unknown_arguments)]
        pub fn $probe(
            /// The object's name.
            name: String,
            /// The namespace.
            #[default("default")]
            ns: String,
            /// A label selector it must also match (`{name}` replaced by `name`).
            label_selector: Option<String>,
            /// Seconds to wait.
            #[default(30)]
            timeout: u64,
            /// Fail rather than return false.
            #[default(true)]
            $raise: bool,
        ) -> Result<bool, Error> {
            if $kind.readiness_reaches(&name, &ns, label_selector.as_deref(), timeout, $ready)? {
                return Ok(true);
            }
            fail_or_false(
                $raise,
                format!(
                    concat!($noun, " '{}' failed to ", $reach, " within {}s"),
                    name, timeout
                ),
            )
        }
    };
}

/// chaosk8s' `<kind>_fully_available` and `<kind>_not_fully_available` probes for `$kind`, whose
/// failures name it `$noun`.
macro_rules! readiness_probes {
    ($kind:expr, $fully:ident, $not_fully:ident, $noun:literal) => {
        readiness_probe!(
            $kind,
            $fully,
            true,
            raise_on_not_fully_available,
            $noun,
            "recover",
            concat!(
                "Wait up to `timeout` seconds for every replica of the ",
                $noun,
                " `name` to be ready (chaosk8s' ",
                stringify!($fully),
                ")."
            )
        );
        readiness_probe!(
            $kind,
            $not_fully,
            false,
            raise_on_fully_available,
            $noun,
            "stop running",
            concat!(
                "Wait up to `timeout` seconds for the ",
                $noun,
                " `name` to have fewer ready replicas than it wants (chaosk8s' ",
                stringify!($not_fully),
                ")."
            )
        );
    };
}

readiness_probes!(
    DEPLOYMENTS,
    deployment_fully_available,
    deployment_not_fully_available,
    "deployment"
);
// chaosk8s' stateful set messages say "microservice".
readiness_probes!(
    STATEFULSETS,
    statefulset_fully_available,
    statefulset_not_fully_available,
    "microservice"
);

/// Scale the stateful set `name` to `replicas` (chaosk8s' scale_statefulset).
#[chaosrt_sdk::action(deny_unknown_arguments)]
pub fn scale_statefulset(
    /// The stateful set.
    name: String,
    /// The number of replicas.
    replicas: i64,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<(), Error> {
    STATEFULSETS.scale(&name, replicas, &ns)
}

/// chaosk8s' delete of `$kind` objects: `name`, else those matching `label_selector`, else every
/// one of `ns`.
macro_rules! delete_workload {
    ($kind:expr, $action:ident, $doc:expr) => {
        #[doc = $doc]
        #[chaosrt_sdk::action(deny_unknown_arguments)]
        pub fn $action(
            /// The object's name.
            name: Option<String>,
            /// The namespace.
            #[default("default")]
            ns: String,
            /// A label selector, when there is no `name`.
            label_selector: Option<String>,
        ) -> Result<(), Error> {
            $kind.delete(name.as_deref(), &ns, label_selector.as_deref())
        }
    };
}

delete_workload!(
    DEPLOYMENTS,
    delete_deployment,
    "Delete the deployment `name`, or those matching `label_selector`, or every deployment of `ns` \
     (chaosk8s' delete_deployment)."
);
delete_workload!(
    STATEFULSETS,
    remove_statefulset,
    "Delete the stateful set `name`, or those matching `label_selector`, or every one of `ns` \
     (chaosk8s' remove_statefulset)."
);
delete_workload!(
    DAEMONSETS,
    delete_daemon_set,
    "Delete the daemon set `name`, or those matching `label_selector`, or every one of `ns` \
     (chaosk8s' delete_daemon_set)."
);

/// Patch the daemon set `name` with `spec`, as chaosk8s' update_daemon_set does (a strategic merge
/// patch of the object given).
#[chaosrt_sdk::action(deny_unknown_arguments)]
pub fn update_daemon_set(
    /// The daemon set.
    name: String,
    /// The patch, e.g. `{"spec": {"template": …}}`.
    spec: Value,
    /// The namespace.
    #[default("default")]
    ns: String,
) -> Result<(), Error> {
    DAEMONSETS.patch(&name, &ns, spec, |why| {
        format!("failed to update daemon set '{name}': {why}")
    })
}

/// A chaosk8s daemon set probe `$probe` on the daemon set `name` in `ns` (matching `label_selector`
/// too), with the further arguments listed; chaosk8s' return false rather than fail.
macro_rules! daemon_set_probe {
    (
        $probe:ident, $doc:expr, [$( $(#[$meta:meta])* $arg:ident : $ty:ty ),*],
        |$name:ident, $ns:ident, $selector:ident| $body:expr
    ) => {
        #[doc = $doc]
        #[chaosrt_sdk::probe(deny_unknown_arguments)]
        pub fn $probe(
            /// The daemon set.
            $name: String,
            /// The namespace.
            #[default("default")]
            $ns: String,
            /// A label selector it must also match (`{name}` replaced by `name` when waiting).
            $selector: Option<String>,
            $( $(#[$meta])* $arg: $ty, )*
        ) -> Result<bool, Error> {
            $body
        }
    };
}

daemon_set_probe!(
    daemon_set_available_and_healthy,
    "Whether the daemon set `name` has a ready pod on every node it should run on (chaosk8s' \
     daemon_set_available_and_healthy; false when it does not or is not found).",
    [],
    |name, ns, label_selector| daemon_set_available(&name, &ns, label_selector.as_deref(), true)
);
daemon_set_probe!(
    daemon_set_partially_available,
    "Whether the daemon set `name` has at least one ready pod (chaosk8s' \
     daemon_set_partially_available; false when it has none or is not found).",
    [],
    |name, ns, label_selector| daemon_set_available(&name, &ns, label_selector.as_deref(), false)
);
daemon_set_probe!(
    daemon_set_fully_available,
    "Wait up to `timeout` seconds for every pod of the daemon set `name` to be ready (chaosk8s' \
     daemon_set_fully_available; false at the timeout).",
    [
        /// Seconds to wait.
        #[default(30)]
        timeout: u64
    ],
    |name, ns, label_selector| daemon_set_readiness(&name, &ns, label_selector.as_deref(), timeout, true)
);
daemon_set_probe!(
    daemon_set_not_fully_available,
    "Wait up to `timeout` seconds for the daemon set `name` to miss a ready pod (chaosk8s' \
     daemon_set_not_fully_available; false at the timeout).",
    [
        /// Seconds to wait.
        #[default(30)]
        timeout: u64
    ],
    |name, ns, label_selector| daemon_set_readiness(&name, &ns, label_selector.as_deref(), timeout, false)
);

/// Wait up to `timeout` seconds for the daemon set `name` to have (`ready`) or lack (`!ready`) a
/// ready pod on every node it should run on; false at the timeout, as chaosk8s.
fn daemon_set_readiness(
    name: &str,
    ns: &str,
    label_selector: Option<&str>,
    timeout: u64,
    ready: bool,
) -> Result<bool, Error> {
    let reached = DAEMONSETS.readiness_reaches(name, ns, label_selector, timeout, ready)?;
    if !reached {
        let state = if ready { "recover" } else { "stop running" };
        chaosrt_sdk::log::debug(&format!(
            "daemon set '{name}' failed to {state} within {timeout}s"
        ));
    }
    Ok(reached)
}
