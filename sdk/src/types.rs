//! What a plugin says about itself and how a call fails: the SDK's own types, converted to the
//! contract's generated ones only at the component boundary (`bindings.rs`), so that a plugin's code
//! does not change when the SDK's bindings are regenerated.

use serde_json::{Map, Value};

/// What a plugin says about itself. `plugin!` builds it; a plugin that implements [`Plugin`](crate::Plugin)
/// by hand returns it from `metadata()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// `[A-Za-z0-9][A-Za-z0-9_-]*`, at most 64 characters: what an experiment's `"plugin": NAME` says.
    pub name: String,
    /// The plugin's own semantic version (not the contract's).
    pub version: String,
    pub description: String,
    /// What the plugin asks to be granted; the operator sees this list before anything runs.
    pub capabilities: Vec<Capability>,
    pub activities: Vec<Activity>,
}

/// One activity a plugin offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// The name an experiment uses as `func`.
    pub name: String,
    pub kind: ActivityKind,
    pub description: String,
    pub arguments: Vec<Argument>,
}

/// What an activity does to the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// Observes the system and returns what it saw.
    Probe,
    /// Disturbs the system.
    Action,
}

/// One argument an activity takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    /// The key an experiment writes in `arguments`.
    pub name: String,
    pub kind: ArgumentType,
    /// Whether the activity cannot run without it (no default, not `Option`).
    pub required: bool,
    /// The value the activity uses when the experiment gives none; shown by `chaosrt discover`.
    pub default: Option<Value>,
    pub description: String,
}

/// The JSON type an argument expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentType {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    List,
    /// Any JSON value.
    Any,
}

/// A capability a plugin asks for. The operator grants it, narrows it or refuses it; without a grant
/// the I/O it needs fails before it starts (the SDK's [`http`](crate::http) client reports
/// [`HttpError::Denied`](crate::http::HttpError::Denied)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability {
    /// Outbound HTTP(S) to one origin, `scheme://host[:port]`.
    HttpOrigin(String),
    /// Outbound HTTP(S) to the URL each call names in the argument of this name (the built-in `http`
    /// plugin asks for `url`): the origin the operator wrote in the experiment.
    HttpArgument(String),
    /// Files below a directory, through `std::fs` (`wasi:filesystem`). `.` is the run's working
    /// directory; anything else is an absolute host path the operator must grant.
    Filesystem { path: String, access: Access },
    /// One environment variable of the host, by name, visible through `std::env`.
    Environment(String),
    /// Kubernetes API requests, each checked against all three lists (`*` allows every value).
    Kubernetes {
        /// Namespaces, e.g. `default`; the empty string matches cluster-scoped resources.
        namespaces: Vec<String>,
        /// `plural[.group]`, e.g. `pods`, `deployments.apps`, `pods/log`; `*.*` is every custom
        /// resource (not Kubernetes' own groups).
        resources: Vec<String>,
        /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`.
        verbs: Vec<String>,
    },
}

/// How a granted directory may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

impl Capability {
    /// Outbound HTTP(S) to `origin` (`scheme://host[:port]`).
    pub fn http_origin(origin: impl Into<String>) -> Self {
        Self::HttpOrigin(origin.into())
    }

    /// Outbound HTTP(S) to the URL in the argument `argument` of each call.
    pub fn http_argument(argument: impl Into<String>) -> Self {
        Self::HttpArgument(argument.into())
    }

    /// Reading files below `path` (`.` is the run's working directory).
    pub fn read_only(path: impl Into<String>) -> Self {
        Self::Filesystem {
            path: path.into(),
            access: Access::ReadOnly,
        }
    }

    /// Reading and writing files below `path` (`.` is the run's working directory).
    pub fn read_write(path: impl Into<String>) -> Self {
        Self::Filesystem {
            path: path.into(),
            access: Access::ReadWrite,
        }
    }

    /// Kubernetes API requests in `namespaces`, on `resources` (`plural[.group][/subresource]`), with
    /// `verbs`; `*` in a list allows every value.
    pub fn kubernetes(namespaces: &[&str], resources: &[&str], verbs: &[&str]) -> Self {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        Self::Kubernetes {
            namespaces: owned(namespaces),
            resources: owned(resources),
            verbs: owned(verbs),
        }
    }

    /// The host's environment variable `name`.
    pub fn environment(name: impl Into<String>) -> Self {
        Self::Environment(name.into())
    }
}

/// Why a call did not produce a result: the contract's error cases. Return it from an activity, or
/// anything that converts into it with `?` (an [`HttpError`](crate::http::HttpError) does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No activity of that name in this plugin.
    #[error("{0}")]
    UnknownActivity(String),
    /// The arguments do not fit the activity: a missing or mistyped argument, named in the text.
    #[error("{0}")]
    InvalidArguments(String),
    /// The host refused an operation the activity needed (a capability not granted).
    #[error("{0}")]
    Denied(String),
    /// The activity ran and failed (Chaos Toolkit's `ActivityFailed`); the text says why.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// The error for an activity name the plugin does not offer.
    pub fn unknown_activity(activity: &str) -> Self {
        Self::UnknownActivity(format!("no activity named `{activity}` in this plugin"))
    }

    /// Arguments that do not fit the activity.
    pub fn invalid_arguments(message: impl Into<String>) -> Self {
        Self::InvalidArguments(message.into())
    }

    /// An operation the host refused because the capability was not granted.
    pub fn denied(message: impl Into<String>) -> Self {
        Self::Denied(message.into())
    }

    /// An activity that ran and failed.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }
}

/// Something a plugin could act on, reported by its `discover` function (`chaosrt discover` lists it).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// What it is, e.g. `namespace`, `deployment`, `pod`.
    pub kind: String,
    pub name: String,
    /// Where it lives, when that is part of its identity.
    pub namespace: Option<String>,
    /// Anything else worth showing (labels, replicas, …).
    pub details: Map<String, Value>,
}

impl Target {
    /// A target with no namespace and no details.
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
            details: Map::new(),
        }
    }

    /// Sets the namespace.
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Adds a detail.
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

impl Activity {
    /// A probe, for plugins that build their [`Metadata`] by hand.
    pub fn probe(name: &str, description: &str, arguments: Vec<Argument>) -> Self {
        Self::new(ActivityKind::Probe, name, description, arguments)
    }

    /// An action, for plugins that build their [`Metadata`] by hand.
    pub fn action(name: &str, description: &str, arguments: Vec<Argument>) -> Self {
        Self::new(ActivityKind::Action, name, description, arguments)
    }

    fn new(kind: ActivityKind, name: &str, description: &str, arguments: Vec<Argument>) -> Self {
        Self {
            name: name.into(),
            kind,
            description: description.into(),
            arguments,
        }
    }
}

impl Argument {
    /// An argument the activity cannot run without.
    pub fn required(name: &str, kind: ArgumentType, description: &str) -> Self {
        Self {
            name: name.into(),
            kind,
            required: true,
            default: None,
            description: description.into(),
        }
    }

    /// An argument the activity can do without, with no default.
    pub fn optional(name: &str, kind: ArgumentType, description: &str) -> Self {
        Self {
            required: false,
            ..Self::required(name, kind, description)
        }
    }

    /// Makes the argument optional with `default` as the value used when it is absent.
    pub fn with_default(self, default: Value) -> Self {
        Self {
            required: false,
            default: Some(default),
            ..self
        }
    }
}
