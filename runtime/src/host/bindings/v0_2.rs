//! Bindings for the current contract, generated from `wit/` (`chaosrt:plugin@0.2.x`).
//!
//! Generated for the widest world, `chaosrt-kubernetes-plugin`, so that the host implements every
//! interface a 0.2 plugin may import (`log`, `context`, `kubernetes`; WASI comes from wasmtime-wasi
//! and wasmtime-wasi-http through `with`). A component importing less links all the same. The
//! exports are looked up one interface at a time ([`PluginIndices`], [`DiscoveryIndices`]) rather
//! than through the world, because `discovery` is optional.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "chaosrt-kubernetes-plugin",
    exports: { default: async },
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:filesystem": wasmtime_wasi::p2::bindings::filesystem,
        "wasi:random": wasmtime_wasi::p2::bindings::random,
        "wasi:cli": wasmtime_wasi::p2::bindings::cli,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
    },
});

pub use self::chaosrt::plugin::{context, kubernetes, log, types};
pub use self::exports::chaosrt::plugin::discovery::GuestIndices as DiscoveryIndices;
pub use self::exports::chaosrt::plugin::plugin::GuestIndices as PluginIndices;

use crate::host::error::PluginError;
use crate::host::metadata::{ActivityKind, ActivitySpec, ArgumentSpec, Metadata};
use crate::host::policy::{Access, Capability};
use crate::host::state::Level;
use crate::host::targets::Reported;

/// 0.2's metadata in host types.
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
        types::Capability::HttpOrigin(origin) => Capability::HttpOrigin { origin },
        types::Capability::HttpArgument(argument) => Capability::HttpArgument { argument },
        types::Capability::Filesystem(fs) => Capability::Filesystem {
            path: fs.path,
            access: match fs.access {
                types::Access::ReadOnly => Access::ReadOnly,
                types::Access::ReadWrite => Access::ReadWrite,
            },
        },
        types::Capability::Environment(name) => Capability::Environment { name },
        types::Capability::Kubernetes(k) => Capability::Kubernetes {
            namespaces: k.namespaces,
            resources: k.resources,
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

/// A reported target, unchecked ([`crate::host::targets::Discovered::check`] checks it).
pub fn target(t: types::Target) -> Reported {
    Reported {
        kind: t.kind,
        name: t.name,
        namespace: t.namespace,
        details: t.details,
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
