//! Checking one Kubernetes request against the plugin's grant, and building its URL from the checked
//! parts only. Nothing here does I/O: a request refused here was never sent.

use super::super::bindings::v0_2::kubernetes::{Error, Request};
use crate::escape::escape;

/// What one `kubernetes` capability grants: `*` in a list allows every value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeGrant {
    /// Namespaces; the empty string matches cluster-scoped resources.
    pub namespaces: Vec<String>,
    /// `plural[.group][/subresource]`.
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
}

impl KubeGrant {
    fn allows(&self, namespace: &str, resource: &str, verb: &str) -> bool {
        let has = |list: &[String], value: &str| list.iter().any(|g| g == "*" || g == value);
        let custom = || is_custom(resource) && self.resources.iter().any(|g| g == CUSTOM_RESOURCES);
        has(&self.namespaces, namespace)
            && (has(&self.resources, resource) || custom())
            && has(&self.verbs, verb)
    }
}

/// In a grant's resources, every custom resource: a resource (not a subresource) of an API group
/// whose name has a dot, as a CustomResourceDefinition's must, and that is not one of Kubernetes'
/// own (`*.k8s.io`, `*.kubernetes.io`). Secrets, RBAC, pods and the other built-in resources are
/// never custom.
pub const CUSTOM_RESOURCES: &str = "*.*";

/// Whether `plural.group` names a custom resource (see [`CUSTOM_RESOURCES`]).
fn is_custom(resource: &str) -> bool {
    let own = |group: &str| {
        ["k8s.io", "kubernetes.io"]
            .iter()
            .any(|suffix| group == *suffix || group.ends_with(&format!(".{suffix}")))
    };
    match resource.split_once('.') {
        Some((_, group)) => !resource.contains('/') && group.contains('.') && !own(group),
        None => false,
    }
}

/// A request that passed the checks, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub verb: String,
    pub method: http::Method,
    /// Below the cluster's URL, starting with `/`, with the query (always a `?`).
    pub path_and_query: String,
    pub body: Option<String>,
    pub content_type: &'static str,
    /// Safe to send again after a 503 or a refused connection (reads).
    pub repeatable: bool,
    /// For a watch, the `timeoutSeconds` the plugin asked for; the host caps it to the time left.
    pub watch_seconds: Option<u64>,
    /// `list pods in namespace shop`: for messages.
    pub what: String,
}

/// The largest request body a plugin may send.
pub const REQUEST_BODY_BYTES: usize = 1 << 20;

/// Subresources that would open a shell, a stream or a tunnel into the cluster: never proxied.
const NEVER: &[&str] = &["exec", "attach", "portforward", "proxy"];

/// Well-known cluster-scoped resources (`plural[.group]`): a request for one without a namespace is
/// matched against the grant's empty namespace. Any other resource without a namespace is a request
/// across all namespaces and needs the namespace `*`.
const CLUSTER_SCOPED: &[&str] = &[
    "nodes",
    "namespaces",
    "persistentvolumes",
    "componentstatuses",
    "customresourcedefinitions.apiextensions.k8s.io",
    "storageclasses.storage.k8s.io",
    "clusterroles.rbac.authorization.k8s.io",
    "clusterrolebindings.rbac.authorization.k8s.io",
    "priorityclasses.scheduling.k8s.io",
    "runtimeclasses.node.k8s.io",
];

/// Query parameters a plugin may set. Selectors have their own fields; `watch` is a verb.
const QUERY_KEYS: &[&str] = &[
    "limit",
    "continue",
    "resourceVersion",
    "resourceVersionMatch",
    "allowWatchBookmarks",
    "gracePeriodSeconds",
    "propagationPolicy",
    "orphanDependents",
    "dryRun",
    "fieldManager",
    "force",
    "pretty",
    "container",
    "follow",
    "previous",
    "sinceSeconds",
    "sinceTime",
    "tailLines",
    "timestamps",
    "limitBytes",
    "timeoutSeconds",
];

/// Checks `request` against `grants` (any one grant must cover it whole) and its parts for shape.
pub fn check(plugin: &str, grants: &[KubeGrant], request: &Request) -> Result<Checked, Error> {
    let invalid = |what: String| Err(Error::Invalid(what));
    let verb = request.verb.as_str();
    let method = match verb {
        "get" | "list" | "watch" => http::Method::GET,
        "create" => http::Method::POST,
        "update" => http::Method::PUT,
        "patch" => http::Method::PATCH,
        "delete" | "deletecollection" => http::Method::DELETE,
        _ => {
            return invalid(format!(
                "unknown verb `{}`; use get, list, watch, create, update, patch, delete or \
                 deletecollection",
                escape(&crate::escape::clip(verb, 64))
            ));
        }
    };
    part("group", &request.group, true, is_group)?;
    part("version", &request.version, false, is_word)?;
    part("resource", &request.resource, false, is_word)?;
    if let Some(ns) = &request.namespace {
        part("namespace", ns, false, is_label)?;
    }
    if let Some(name) = &request.name {
        part("name", name, false, is_name)?;
    }
    if let Some(sub) = &request.subresource {
        part("subresource", sub, false, is_word)?;
        if NEVER.contains(&sub.as_str()) {
            return Err(Error::Denied(format!(
                "plugin '{plugin}' may not use the `{sub}` subresource: chaosrt never proxies a \
                 shell, stream or tunnel into the cluster"
            )));
        }
    }
    let named = request.name.is_some();
    match verb {
        "list" | "watch" | "deletecollection" if named => {
            return invalid(format!("`{verb}` is for collections: leave `name` out"));
        }
        "get" | "update" | "patch" | "delete" if !named => {
            return invalid(format!("`{verb}` needs the object's `name`"));
        }
        "create" if named != request.subresource.is_some() => {
            return invalid(
                "`create` takes a `name` only with a `subresource` (e.g. `eviction`)".into(),
            );
        }
        _ => {}
    }
    if request.subresource.is_some() && !named {
        return invalid("a `subresource` needs the object's `name`".into());
    }
    let mut resource = request.resource.clone();
    if !request.group.is_empty() {
        resource = format!("{resource}.{}", request.group);
    }
    let scoped = CLUSTER_SCOPED.contains(&resource.as_str());
    if let Some(sub) = &request.subresource {
        resource = format!("{resource}/{sub}");
    }
    // The namespace the grant must cover: the request's, "" for a cluster-scoped resource, `*` for
    // a namespaced one asked for across all namespaces.
    let namespace = match (&request.namespace, scoped) {
        (Some(_), true) => {
            return invalid(format!(
                "`{resource}` is cluster-scoped: leave `namespace` out"
            ));
        }
        (Some(ns), false) => ns.as_str(),
        (None, true) => "",
        (None, false) => "*",
    };
    let where_ = match namespace {
        "" => "(cluster-scoped)".to_string(),
        "*" => "in all namespaces".to_string(),
        ns => format!("in namespace {ns}"),
    };
    let what = match &request.name {
        Some(name) => format!("{verb} {resource} {} {where_}", escape(name)),
        None => format!("{verb} {resource} {where_}"),
    };
    if !grants.iter().any(|g| g.allows(namespace, &resource, verb)) {
        let granted = if grants.is_empty() {
            "no Kubernetes access".to_string()
        } else {
            grants
                .iter()
                .map(|g| {
                    super::super::policy::kubernetes_scope(&g.namespaces, &g.resources, &g.verbs)
                })
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let ns_grant = if namespace.is_empty() {
            "\"\" (cluster-scoped)".to_string()
        } else {
            namespace.to_string()
        };
        return Err(Error::Denied(format!(
            "plugin '{plugin}' may not {what}: it is granted {granted}. The request needs a \
             kubernetes grant with namespace {ns_grant}, resource {resource} and verb {verb}: the \
             plugin must ask for it and the operator grant it (`chaosrt plugin install`)"
        )));
    }

    let mut path = if request.group.is_empty() {
        format!("/api/{}", request.version)
    } else {
        format!("/apis/{}/{}", request.group, request.version)
    };
    if let Some(ns) = &request.namespace {
        path.push_str(&format!("/namespaces/{ns}"));
    }
    path.push_str(&format!("/{}", request.resource));
    if let Some(name) = &request.name {
        path.push_str(&format!("/{name}"));
    }
    if let Some(sub) = &request.subresource {
        path.push_str(&format!("/{sub}"));
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    if verb == "watch" {
        query.append_pair("watch", "1");
    }
    let mut watch_seconds = None;
    if let Some(s) = &request.label_selector {
        query.append_pair("labelSelector", s);
    }
    if let Some(s) = &request.field_selector {
        query.append_pair("fieldSelector", s);
    }
    for (key, value) in &request.query {
        if !QUERY_KEYS.contains(&key.as_str()) {
            return invalid(format!(
                "query parameter `{}` is not one chaosrt passes on (selectors have their own \
                 fields; watch is a verb); it passes {}",
                escape(&crate::escape::clip(key, 64)),
                QUERY_KEYS.join(", ")
            ));
        }
        if key == "follow" && value != "false" {
            return invalid("a request cannot outlive its call: no `follow`".into());
        }
        if key == "timeoutSeconds" {
            // The host adds it to every watch, within the call's deadline (super::once).
            watch_seconds = match value.parse::<u64>() {
                Ok(s) if verb == "watch" && s > 0 => Some(s),
                _ => {
                    return invalid(format!(
                        "`timeoutSeconds` is for `watch` only, a whole number of seconds above 0, \
                         not {:?} on `{verb}`",
                        escape(&crate::escape::clip(value, 64))
                    ));
                }
            };
            continue;
        }
        query.append_pair(key, value);
    }
    let path_and_query = format!("{path}?{}", query.finish());
    const PATCHES: &[&str] = &[
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/strategic-merge-patch+json",
    ];
    let content_type = match request.content_type.as_deref() {
        None | Some("application/json") => "application/json",
        Some(t) if verb == "patch" && PATCHES.contains(&t) => PATCHES
            .iter()
            .find(|p| **p == t)
            .copied()
            .unwrap_or_default(),
        Some(other) => {
            return invalid(format!(
                "content type `{}` is not one of application/json, application/merge-patch+json, \
                 application/json-patch+json, application/strategic-merge-patch+json (patch only)",
                escape(&crate::escape::clip(other, 100))
            ));
        }
    };
    if let Some(body) = &request.body {
        if body.len() > REQUEST_BODY_BYTES {
            return invalid(format!(
                "the request body is {} bytes, over the {} KiB chaosrt passes on",
                body.len(),
                REQUEST_BODY_BYTES >> 10
            ));
        }
        if serde_json::from_str::<serde::de::IgnoredAny>(body).is_err() {
            return invalid("the request body is not JSON".into());
        }
    }
    Ok(Checked {
        verb: verb.to_string(),
        method,
        path_and_query,
        body: request.body.clone(),
        content_type,
        repeatable: matches!(verb, "get" | "list" | "watch"),
        watch_seconds,
        what,
    })
}

/// Refuses a part that is empty (unless `may_be_empty`) or not of its shape, naming it.
fn part(what: &str, value: &str, may_be_empty: bool, shape: fn(&str) -> bool) -> Result<(), Error> {
    if value.is_empty() && may_be_empty {
        return Ok(());
    }
    if value.is_empty() || value.len() > 253 || !shape(value) {
        return Err(Error::Invalid(format!(
            "`{what}` {:?} is not a Kubernetes {what}",
            escape(&crate::escape::clip(value, 100))
        )));
    }
    Ok(())
}

/// A version, a plural resource or a subresource: lower-case letters and digits.
fn is_word(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// An API group: a DNS subdomain.
fn is_group(s: &str) -> bool {
    s.split('.').all(|l| !l.is_empty() && is_label(l))
}

/// A namespace: a DNS label.
fn is_label(s: &str) -> bool {
    s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// An object's name: what Kubernetes names may hold (DNS subdomains, and `:` in RBAC names), never a
/// path segment of its own (`.`, `..`).
fn is_name(s: &str) -> bool {
    s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(verb: &str, resource: &str, namespace: Option<&str>, name: Option<&str>) -> Request {
        Request {
            verb: verb.into(),
            group: String::new(),
            version: "v1".into(),
            resource: resource.into(),
            namespace: namespace.map(String::from),
            name: name.map(String::from),
            subresource: None,
            label_selector: None,
            field_selector: None,
            query: vec![],
            body: None,
            content_type: None,
        }
    }

    fn grant(ns: &[&str], resources: &[&str], verbs: &[&str]) -> KubeGrant {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        KubeGrant {
            namespaces: v(ns),
            resources: v(resources),
            verbs: v(verbs),
        }
    }

    #[test]
    fn urls_are_built_from_checked_parts() {
        let g = [grant(
            &["shop"],
            &["pods", "deployments.apps/scale"],
            &["*"],
        )];
        let mut r = request("list", "pods", Some("shop"), None);
        r.label_selector = Some("app=web,tier in (a,b)".into());
        let c = check("k", &g, &r).unwrap();
        assert_eq!(
            c.path_and_query,
            "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb%2Ctier+in+%28a%2Cb%29"
        );
        assert!(c.repeatable);
        let mut r = request("patch", "deployments", Some("shop"), Some("web"));
        r.group = "apps".into();
        r.subresource = Some("scale".into());
        r.body = Some(r#"{"spec":{"replicas":2}}"#.into());
        r.content_type = Some("application/merge-patch+json".into());
        let c = check("k", &g, &r).unwrap();
        assert_eq!(
            c.path_and_query,
            "/apis/apps/v1/namespaces/shop/deployments/web/scale?"
        );
        assert_eq!(
            (c.method, c.content_type, c.repeatable),
            (http::Method::PATCH, "application/merge-patch+json", false)
        );
    }

    #[test]
    fn a_request_outside_the_grant_is_refused_naming_what_it_needs() {
        let g = [grant(&["default"], &["pods"], &["list", "delete"])];
        let denied = |r: Request| match check("kubewant", &g, &r) {
            Err(Error::Denied(m)) => m,
            other => panic!("{other:?}"),
        };
        let m = denied(request("list", "pods", Some("other"), None));
        assert!(
            m.contains("may not list pods in namespace other: it is granted namespaces default"),
            "{m}"
        );
        assert!(
            m.contains("namespace other, resource pods and verb list"),
            "{m}"
        );
        let m = denied(request("create", "pods", Some("default"), None));
        assert!(m.contains("verb create"), "{m}");
        // Across all namespaces needs `*`; a cluster-scoped resource needs "".
        let m = denied(request("list", "pods", None, None));
        assert!(
            m.contains("in all namespaces") && m.contains("namespace *"),
            "{m}"
        );
        let m = denied(request("get", "nodes", None, Some("n1")));
        assert!(m.contains("(cluster-scoped)"), "{m}");
        // A subresource is a resource of its own.
        let mut r = request("get", "pods", Some("default"), Some("p"));
        r.subresource = Some("log".into());
        assert!(denied(r).contains("pods/log"));
        let mut r = request("create", "pods", Some("default"), Some("p"));
        r.subresource = Some("exec".into());
        assert!(denied(r).contains("never proxies"));
        assert!(check("k", &g, &request("list", "pods", Some("default"), None)).is_ok());
        let nodes = [grant(&[""], &["nodes"], &["get"])];
        assert!(check("k", &nodes, &request("get", "nodes", None, Some("n1"))).is_ok());
    }

    #[test]
    fn star_dot_star_grants_custom_resources_and_none_of_kubernetes_own() {
        let g = [grant(&["shop"], &["*.*"], &["create"])];
        let ask = |group: &str, resource: &str, sub: Option<&str>| {
            let mut r = request("create", resource, Some("shop"), sub.map(|_| "x"));
            r.group = group.into();
            r.subresource = sub.map(String::from);
            check("k", &g, &r)
        };
        assert!(ask("chaos-mesh.org", "podchaos", None).is_ok());
        assert!(ask("cluster.x-k8s.io", "machines", None).is_ok());
        for (group, resource, sub) in [
            ("", "secrets", None),
            ("", "pods", None),
            ("apps", "deployments", None),
            ("rbac.authorization.k8s.io", "roles", None),
            ("networking.k8s.io", "networkpolicies", None),
            ("metrics.k8s.io", "pods", None),
            ("example.kubernetes.io", "things", None),
            ("chaos-mesh.org", "podchaos", Some("status")),
        ] {
            assert!(
                matches!(ask(group, resource, sub), Err(Error::Denied(_))),
                "{resource}.{group}"
            );
        }
    }

    #[test]
    fn malformed_parts_never_make_a_url() {
        let g = [grant(&["*"], &["*"], &["*"])];
        let invalid = |r: Request| matches!(check("k", &g, &r), Err(Error::Invalid(_)));
        assert!(invalid(request("list", "pods", Some("../etc"), None)));
        assert!(invalid(request(
            "get",
            "pods",
            Some("a"),
            Some("x/../../y")
        )));
        assert!(invalid(request("get", "pods", Some("a"), Some(".."))));
        assert!(invalid(request("get", "pods?x=1", Some("a"), Some("b"))));
        assert!(invalid(request("get", "pods", Some("a"), None)));
        assert!(invalid(request("list", "pods", Some("a"), Some("b"))));
        assert!(invalid(request("frobnicate", "pods", Some("a"), None)));
        assert!(invalid(request("get", "nodes", Some("a"), Some("b"))));
        let mut r = request("list", "pods", Some("a"), None);
        r.query = vec![("watch".into(), "1".into())];
        assert!(invalid(r));
        let mut r = request("create", "pods", Some("a"), None);
        r.body = Some("{not json".into());
        assert!(invalid(r));
        let mut r = request("create", "pods", Some("a"), None);
        r.content_type = Some("text/plain".into());
        assert!(invalid(r));
    }
}
