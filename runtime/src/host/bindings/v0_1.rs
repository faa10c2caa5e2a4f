//! Bindings for the frozen contract 0.1.0 (`wit/frozen/chaosrt-plugin@0.1.0`), kept so that plugins
//! built against it keep running. Nothing outside this module sees its types: [`super::convert`]
//! turns them into the host's at the edge.
//!
//! 0.1.0's world imports only `log`; its plugins used standard WASI for the rest, which the host
//! links for every version.

wasmtime::component::bindgen!({
    path: "../wit/frozen/chaosrt-plugin@0.1.0",
    world: "chaosrt-plugin",
    exports: { default: async },
});

pub use self::chaosrt::plugin::{log, types};
pub use self::exports::chaosrt::plugin::plugin::GuestIndices as PluginIndices;

use crate::host::error::PluginError;
use crate::host::metadata::{ActivityKind, ActivitySpec, ArgumentSpec, Metadata};
use crate::host::policy::{Access, Capability};
use crate::host::state::{Context, Level};

/// 0.1.0's metadata in host types. `http("*")` meant "the URL in the `url` argument", which 0.2
/// names `http-argument("url")`; `filesystem{writable}` is 0.2's `access`; 0.1.0's Kubernetes access
/// named one resource and no namespace, so any namespace.
pub fn metadata(m: types::PluginMetadata) -> Metadata {
    Metadata {
        name: m.name,
        version: m.version,
        description: m.description,
        capabilities: m.capabilities.into_iter().map(capability).collect(),
        activities: m
            .activities
            .into_iter()
            .map(|a| ActivitySpec {
                name: a.name,
                kind: match a.kind {
                    types::ActivityKind::Probe => ActivityKind::Probe,
                    types::ActivityKind::Action => ActivityKind::Action,
                },
                description: a.description,
                arguments: a
                    .arguments
                    .into_iter()
                    .map(|arg| ArgumentSpec {
                        name: arg.name,
                        type_name: argument_type(arg.type_),
                        required: arg.required,
                        default: arg.default,
                        description: arg.description,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn capability(c: types::Capability) -> Capability {
    match c {
        types::Capability::Http(origin) if origin == "*" => Capability::HttpArgument {
            argument: "url".into(),
        },
        types::Capability::Http(origin) => Capability::HttpOrigin { origin },
        types::Capability::Filesystem(fs) => Capability::Filesystem {
            path: fs.path,
            access: if fs.writable {
                Access::ReadWrite
            } else {
                Access::ReadOnly
            },
        },
        types::Capability::Kubernetes(k) => Capability::Kubernetes {
            namespaces: vec!["*".into()],
            resources: vec![k.resource],
            verbs: k.verbs,
        },
    }
}

fn argument_type(t: types::ArgumentType) -> &'static str {
    match t {
        types::ArgumentType::String => "string",
        types::ArgumentType::Integer => "integer",
        types::ArgumentType::Number => "number",
        types::ArgumentType::Boolean => "boolean",
        types::ArgumentType::Object => "object",
        types::ArgumentType::List => "list",
        types::ArgumentType::Any => "any",
    }
}

/// 0.1.0's `context` record: the configuration and secrets 0.2's `context` functions serve.
pub fn context(context: &Context) -> types::Context {
    types::Context {
        configuration: context.configuration.clone(),
        secrets: context.secrets.clone(),
    }
}

impl From<types::Error> for PluginError {
    fn from(e: types::Error) -> PluginError {
        match e {
            types::Error::UnknownActivity(s) => PluginError::UnknownActivity(s),
            types::Error::InvalidArguments(s) => PluginError::InvalidArguments(s),
            types::Error::Denied(s) => PluginError::Denied(s),
            types::Error::Failed(s) => PluginError::Failed(s),
        }
    }
}

impl From<log::Level> for Level {
    fn from(level: log::Level) -> Level {
        match level {
            log::Level::Debug => Level::Debug,
            log::Level::Info => Level::Info,
            log::Level::Warning => Level::Warning,
            log::Level::Error => Level::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_mean_what_they_meant_in_0_1() {
        let cases = [
            (
                types::Capability::Http("*".into()),
                Capability::HttpArgument {
                    argument: "url".into(),
                },
            ),
            (
                types::Capability::Http("https://api.example.com".into()),
                Capability::HttpOrigin {
                    origin: "https://api.example.com".into(),
                },
            ),
            (
                types::Capability::Filesystem(types::FilesystemAccess {
                    path: ".".into(),
                    writable: false,
                }),
                Capability::Filesystem {
                    path: ".".into(),
                    access: Access::ReadOnly,
                },
            ),
            (
                types::Capability::Filesystem(types::FilesystemAccess {
                    path: "/srv".into(),
                    writable: true,
                }),
                Capability::Filesystem {
                    path: "/srv".into(),
                    access: Access::ReadWrite,
                },
            ),
            (
                types::Capability::Kubernetes(types::KubernetesAccess {
                    resource: "pods".into(),
                    verbs: vec!["delete".into()],
                }),
                Capability::Kubernetes {
                    namespaces: vec!["*".into()],
                    resources: vec!["pods".into()],
                    verbs: vec!["delete".into()],
                },
            ),
        ];
        for (old, new) in cases {
            assert_eq!(capability(old), new);
        }
    }
}
