//! chaosk8s' custom-object activities (`chaosk8s.crd.actions`, `chaosk8s.crd.probes`): create, patch,
//! replace, delete, get and list objects of a custom resource, in a namespace or cluster-wide. The
//! host lets the plugin reach custom resources only (`*.*` in its grant): not Kubernetes' own groups.

use crate::api::Collection;
use chaosrt_sdk::Error;
use chaosrt_sdk::kubernetes::Response;
use chaosrt_sdk::serde_json::{self, Value};

/// Declares chaosk8s' namespaced activity `$ns` (with `ns`, `default` by default) and its
/// cluster-wide twin `$cluster`, both taking `group`, `version`, `plural` and the arguments listed,
/// and returning what `$op` makes of the resource `$custom`.
macro_rules! custom_pair {
    (
        $kind:ident, $ns:ident, $cluster:ident, $what:literal,
        [$( $(#[$meta:meta])* $arg:ident : $ty:ty ),*],
        |$custom:ident| $op:expr
    ) => {
        #[doc = concat!($what, ", in the namespace `ns` (chaosk8s' ", stringify!($ns), ").")]
        #[chaosrt_sdk::$kind(deny_unknown_arguments)]
        pub fn $ns(
            /// The API group, e.g. `chaos-mesh.org`.
            group: String,
            /// The API version, e.g. `v1alpha1`.
            version: String,
            /// The resource's plural name, e.g. `podchaos`.
            plural: String,
            $( $(#[$meta])* $arg: $ty, )*
            /// The namespace.
            #[default("default")]
            ns: String,
        ) -> Result<Value, Error> {
            let $custom = custom(&group, &version, &plural, Some(&ns));
            $op
        }

        #[doc = concat!($what, ", cluster-wide (chaosk8s' ", stringify!($cluster), ").")]
        #[chaosrt_sdk::$kind(deny_unknown_arguments)]
        pub fn $cluster(
            /// The API group, e.g. `chaos-mesh.org`.
            group: String,
            /// The API version, e.g. `v1alpha1`.
            version: String,
            /// The resource's plural name, e.g. `podchaos`.
            plural: String,
            $( $(#[$meta])* $arg: $ty, )*
        ) -> Result<Value, Error> {
            let $custom = custom(&group, &version, &plural, None);
            $op
        }
    };
}

custom_pair!(
    action, create_custom_object, create_cluster_custom_object,
    "Create a custom object (its resource must be defined); an object that already exists is \
     returned as the server's answer",
    [
        /// The object.
        resource: Option<Value>
    ],
    |custom| custom.create_object(resource)
);

custom_pair!(
    action, delete_custom_object, delete_cluster_custom_object,
    "Delete the custom object `name`",
    [
        /// The object's name.
        name: String
    ],
    |custom| custom.delete_object(&name)
);

custom_pair!(
    action, patch_custom_object, patch_cluster_custom_object,
    "Patch the custom object `name` with `resource`, a JSON patch (a list of operations)",
    [
        /// The object's name.
        name: String,
        /// Taken, as chaosk8s takes it, and unused.
        #[default(false)]
        force: bool,
        /// The patch.
        resource: Option<Value>
    ],
    |custom| {
        let _ = force;
        custom.patch_object(&name, resource)
    }
);

custom_pair!(
    action, replace_custom_object, replace_cluster_custom_object,
    "Replace the custom object `name` with `resource`",
    [
        /// The object's name.
        name: String,
        /// Take over fields other managers own.
        #[default(false)]
        force: bool,
        /// The new object.
        resource: Option<Value>
    ],
    |custom| custom.replace_object(&name, force, resource)
);

custom_pair!(
    probe, get_custom_object, get_cluster_custom_object,
    "The custom object `name`",
    [
        /// The object's name.
        name: String
    ],
    |custom| custom.get_object(&name)
);

custom_pair!(
    probe,
    list_custom_objects,
    list_cluster_custom_objects,
    "The custom objects of a resource, as the server lists them",
    [],
    |custom| custom.list_objects()
);

/// A custom resource, namespaced (`ns`) or cluster-wide.
fn custom<'a>(
    group: &'a str,
    version: &'a str,
    plural: &'a str,
    ns: Option<&'a str>,
) -> Collection<'a> {
    Collection {
        group,
        version,
        resource: plural,
        ns,
        labels: None,
        fields: None,
    }
}

/// chaosk8s' operations on the objects of a custom resource.
impl Collection<'_> {
    /// `create_custom_object` / `create_cluster_custom_object`: the object the server created, or
    /// its answer when the object already exists (409, as chaosk8s).
    pub fn create_object(&self, resource: Option<Value>) -> Result<Value, Error> {
        let response = self.object("create", None).body(body(resource)?).send()?;
        if response.status == 409 {
            chaosrt_sdk::log::debug(&format!(
                "Custom resource object {}/{} already exists",
                self.group, self.version
            ));
            return Ok(parsed(&response));
        }
        answer(response, "create")
    }

    /// `delete_custom_object` / `delete_cluster_custom_object`: the server's answer.
    pub fn delete_object(&self, name: &str) -> Result<Value, Error> {
        let response = self.object("delete", Some(name)).send()?;
        answer(response, "delete")
    }

    /// `patch_custom_object` / `patch_cluster_custom_object`: a JSON patch (a list of operations).
    /// Anything else goes as the Python client sends it, a strategic merge patch, which the API
    /// server refuses for custom resources (415), as it does chaosk8s'.
    pub fn patch_object(&self, name: &str, resource: Option<Value>) -> Result<Value, Error> {
        let body = body(resource)?;
        let content_type = if body.is_array() {
            "application/json-patch+json"
        } else {
            "application/strategic-merge-patch+json"
        };
        let response = self
            .object("patch", Some(name))
            .body(body)
            .content_type(content_type)
            .send()?;
        answer(response, "patch")
    }

    /// `replace_custom_object` / `replace_cluster_custom_object`: the object as the server stored it.
    pub fn replace_object(
        &self,
        name: &str,
        force: bool,
        resource: Option<Value>,
    ) -> Result<Value, Error> {
        let mut request = self.object("update", Some(name)).body(body(resource)?);
        if force {
            request = request.query("force", "true");
        }
        answer(request.send()?, "replace")
    }

    /// `get_custom_object` / `get_cluster_custom_object`.
    pub fn get_object(&self, name: &str) -> Result<Value, Error> {
        answer(self.object("get", Some(name)).send()?, "get")
    }

    /// `list_custom_objects` / `list_cluster_custom_objects`: the list, as the server sent it.
    pub fn list_objects(&self) -> Result<Value, Error> {
        answer(self.object("list", None).send()?, "list")
    }
}

/// chaosk8s' `load_body` without a file: the plugin reads none (`resource_as_yaml_file` is refused
/// when the experiment is validated).
fn body(resource: Option<Value>) -> Result<Value, Error> {
    resource
        .ok_or_else(|| Error::failed("Either `body_as_object` or `body_as_yaml_file` must be set"))
}

fn parsed(response: &Response) -> Value {
    serde_json::from_str(&response.body).unwrap_or_else(|_| Value::String(response.body.clone()))
}

/// The answer's JSON on success; otherwise chaosk8s' failure, with the HTTP reason and the body.
/// (The probes say "create" whatever they do, as chaosk8s' do.)
fn answer(response: Response, what: &str) -> Result<Value, Error> {
    if response.is_success() {
        return Ok(parsed(&response));
    }
    let what = match what {
        "get" | "list" => "create",
        other => other,
    };
    Err(Error::failed(format!(
        "Failed to {what} custom resource object: '{}' {}",
        reason(response.status),
        response.body
    )))
}

/// The reason phrase of an HTTP status, as the API server sends it (Go's `net/http`).
fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
