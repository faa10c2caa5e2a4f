//! The Kubernetes API, through the host (`chaosrt:plugin/kubernetes`).
//!
//! A request is described by what it does, not by its URL, so the host can check it against the
//! plugin's `kubernetes` grant (namespaces, resources, verbs) before sending anything: a request outside
//! the grant comes back as [`KubeError::Denied`] and never reaches the cluster. The host holds the
//! credentials (kubeconfig, `KUBERNETES_CONTEXT` from the activity's secrets, …); they never enter the
//! sandbox. Each request runs within the call's deadline; an API server that keeps failing or does not
//! answer in time gives [`KubeError::Unavailable`] with the server's message.
//!
//! ```no_run
//! use chaosrt_sdk::kubernetes::Request;
//!
//! let pods = Request::list("", "v1", "pods").namespace("shop").labels("app=web").send()?.json()?;
//! let names: Vec<&str> = pods["items"].as_array().into_iter().flatten()
//!     .filter_map(|p| p["metadata"]["name"].as_str()).collect();
//! # Ok::<(), chaosrt_sdk::kubernetes::KubeError>(())
//! ```

use crate::Error;
use crate::bindings::kubernetes::chaosrt::plugin::kubernetes as wit;
use serde_json::Value;

/// One API request. Build it with [`Request::new`] or a verb's shorthand, then [`send`](Request::send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete` or `deletecollection`.
    pub verb: String,
    /// API group; empty for the core group (pods, services, nodes).
    pub group: String,
    /// API version, e.g. `v1`.
    pub version: String,
    /// Plural resource name, e.g. `pods`, `deployments`.
    pub resource: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `log`, `status`, `eviction`, `scale`, … (`exec` and `attach` are refused).
    pub subresource: Option<String>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    /// Other query parameters, e.g. `gracePeriodSeconds`, `container`, `tailLines`, `dryRun`.
    pub query: Vec<(String, String)>,
    /// The body, JSON.
    pub body: Option<Value>,
    /// For `patch`: `application/merge-patch+json` (the default for patches),
    /// `application/json-patch+json` or `application/strategic-merge-patch+json`.
    pub content_type: Option<String>,
}

impl Request {
    /// A request of `verb` on `resource` in `group`/`version`, with nothing else set.
    pub fn new(verb: &str, group: &str, version: &str, resource: &str) -> Self {
        Self {
            verb: verb.into(),
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
            namespace: None,
            name: None,
            subresource: None,
            label_selector: None,
            field_selector: None,
            query: Vec::new(),
            body: None,
            content_type: None,
        }
    }

    /// `list` a collection.
    pub fn list(group: &str, version: &str, resource: &str) -> Self {
        Self::new("list", group, version, resource)
    }

    /// `get` one object.
    pub fn get(group: &str, version: &str, resource: &str, name: &str) -> Self {
        Self::new("get", group, version, resource).name(name)
    }

    /// `delete` one object.
    pub fn delete(group: &str, version: &str, resource: &str, name: &str) -> Self {
        Self::new("delete", group, version, resource).name(name)
    }

    /// `patch` one object with a JSON merge patch.
    pub fn patch(group: &str, version: &str, resource: &str, name: &str, patch: Value) -> Self {
        Self::new("patch", group, version, resource)
            .name(name)
            .body(patch)
            .content_type("application/merge-patch+json")
    }

    /// `create` an object from `body`.
    pub fn create(group: &str, version: &str, resource: &str, body: Value) -> Self {
        Self::new("create", group, version, resource).body(body)
    }

    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn subresource(mut self, subresource: impl Into<String>) -> Self {
        self.subresource = Some(subresource.into());
        self
    }

    /// A label selector, e.g. `app=web,tier in (a,b)`.
    pub fn labels(mut self, selector: impl Into<String>) -> Self {
        self.label_selector = Some(selector.into());
        self
    }

    /// A field selector, e.g. `status.phase=Running`.
    pub fn fields(mut self, selector: impl Into<String>) -> Self {
        self.field_selector = Some(selector.into());
        self
    }

    /// One more query parameter.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Sends the request through the host and waits for the answer. Any HTTP status is an answer;
    /// [`Response::ok`] turns the ones that are not 2xx into an error with the server's message.
    pub fn send(&self) -> Result<Response, KubeError> {
        let request = wit::Request {
            verb: self.verb.clone(),
            group: self.group.clone(),
            version: self.version.clone(),
            resource: self.resource.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            subresource: self.subresource.clone(),
            label_selector: self.label_selector.clone(),
            field_selector: self.field_selector.clone(),
            query: self.query.clone(),
            body: self.body.as_ref().map(Value::to_string),
            content_type: self.content_type.clone(),
        };
        match wit::send(&request) {
            Ok(response) => Ok(Response {
                status: response.status,
                body: response.body,
                what: self.describe(),
            }),
            Err(wit::Error::Denied(why)) => Err(KubeError::Denied(why)),
            Err(wit::Error::Unavailable(why)) => Err(KubeError::Unavailable(why)),
            Err(wit::Error::Invalid(why)) => Err(KubeError::Invalid(why)),
        }
    }

    /// `delete pods web-1 in namespace shop`: for messages.
    fn describe(&self) -> String {
        let mut resource = self.resource.clone();
        if !self.group.is_empty() {
            resource = format!("{resource}.{}", self.group);
        }
        if let Some(sub) = &self.subresource {
            resource = format!("{resource}/{sub}");
        }
        let mut text = format!("{} {resource}", self.verb);
        if let Some(name) = &self.name {
            text = format!("{text} {name}");
        }
        if let Some(ns) = &self.namespace {
            text = format!("{text} in namespace {ns}");
        }
        text
    }
}

/// The API server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// JSON text (plain text for `log`).
    pub body: String,
    /// What was asked, for messages.
    what: String,
}

impl Response {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether the object was not there (404).
    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }

    /// The answer when it is a success, else [`KubeError::Status`] with the server's message.
    pub fn ok(self) -> Result<Response, KubeError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(KubeError::Status {
                status: self.status,
                message: format!("{}: {}", self.what, self.message()),
            })
        }
    }

    /// The body of a successful answer, parsed as JSON; a failure status is an error.
    pub fn json(self) -> Result<Value, KubeError> {
        let ok = self.ok()?;
        serde_json::from_str(&ok.body).map_err(|e| {
            KubeError::Unavailable(format!("the answer to {} is not JSON: {e}", ok.what))
        })
    }

    /// What an error answer says: a `Status` object's `message`, else the body.
    pub fn message(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(String::from))
            .unwrap_or_else(|| self.body.trim().chars().take(500).collect())
    }
}

/// Why a request produced no answer, or an answer that is a failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeError {
    /// The grant does not allow the request; the text names what to grant. Nothing was sent.
    #[error("{0}")]
    Denied(String),
    /// The server could not be reached, kept failing or did not answer in time.
    #[error("{0}")]
    Unavailable(String),
    /// The request is malformed (unknown verb, missing name, …).
    #[error("{0}")]
    Invalid(String),
    /// The server answered with a failure status.
    #[error("{message} (HTTP {status})")]
    Status { status: u16, message: String },
}

impl From<KubeError> for Error {
    fn from(error: KubeError) -> Self {
        match error {
            KubeError::Denied(why) => Error::Denied(why),
            other => Error::Failed(other.to_string()),
        }
    }
}
