//! The bindings `wit-bindgen` generates for the contract in `wit/` (`chaosrt:plugin@0.2.0`), and the
//! conversions between them and the SDK's own types. Nothing outside this file and the export macro
//! names a generated type.
//!
//! Every plugin exports [`plugin`]'s world, `chaosrt-plugin`; a discoverable one also exports
//! [`discovery`]'s, and the two make `chaosrt-discoverable-plugin`. A component exports exactly what
//! its worlds say, so a plugin without `discover` exports no `discovery`. Imports are generated once,
//! in `plugin`; the WASI interfaces are the `wasip2` crate's, which the SDK's HTTP client uses too. A
//! component imports only what it calls (`wit-component` drops the rest).

use crate::{
    Access, Activity, ActivityKind, Argument, ArgumentType, Capability, Error, Metadata, Target,
};

/// The `chaosrt-plugin` world: every import, and the `plugin` export.
#[allow(unsafe_code, clippy::all)]
pub mod plugin {
    wit_bindgen::generate!({
        path: "wit",
        world: "chaosrt:plugin/chaosrt-plugin@0.2.0",
        pub_export_macro: true,
        default_bindings_module: "chaosrt_sdk::__private::bindings::plugin",
        export_macro_name: "export",
        with: {
            "wasi:cli/environment@0.2.12": wasip2::cli::environment,
            "wasi:cli/exit@0.2.12": wasip2::cli::exit,
            "wasi:cli/stdin@0.2.12": wasip2::cli::stdin,
            "wasi:cli/stdout@0.2.12": wasip2::cli::stdout,
            "wasi:cli/stderr@0.2.12": wasip2::cli::stderr,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": wasip2::clocks::wall_clock,
            "wasi:filesystem/types@0.2.12": wasip2::filesystem::types,
            "wasi:filesystem/preopens@0.2.12": wasip2::filesystem::preopens,
            "wasi:http/types@0.2.12": wasip2::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasip2::http::outgoing_handler,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:random/random@0.2.12": wasip2::random::random,
            "wasi:random/insecure@0.2.12": wasip2::random::insecure,
            "wasi:random/insecure-seed@0.2.12": wasip2::random::insecure_seed,
            "wasi:cli/terminal-input@0.2.12": wasip2::cli::terminal_input,
            "wasi:cli/terminal-output@0.2.12": wasip2::cli::terminal_output,
            "wasi:cli/terminal-stdin@0.2.12": wasip2::cli::terminal_stdin,
            "wasi:cli/terminal-stdout@0.2.12": wasip2::cli::terminal_stdout,
            "wasi:cli/terminal-stderr@0.2.12": wasip2::cli::terminal_stderr,
        },
    });
}

/// The `discovery` export alone, in a world of the SDK's own that imports nothing else. A discoverable
/// plugin exports [`plugin`]'s world and this one: together they are `chaosrt-discoverable-plugin`.
/// (Bindings for that world itself would define a second copy of the `plugin` export, whose
/// `#[macro_export]`ed helper macros clash with the first.)
#[allow(unsafe_code, clippy::all)]
pub mod discovery {
    wit_bindgen::generate!({
        path: "wit",
        inline: "
            package chaosrt:sdk;

            world discovery-export {
                export chaosrt:plugin/discovery@0.2.0;
            }
        ",
        world: "chaosrt:sdk/discovery-export",
        pub_export_macro: true,
        default_bindings_module: "chaosrt_sdk::__private::bindings::discovery",
        export_macro_name: "export",
        with: {
            "chaosrt:plugin/types@0.2.0": crate::bindings::plugin::chaosrt::plugin::types,
        },
    });
}

/// The `kubernetes` import alone, in a world of the SDK's own: only a plugin that calls
/// [`crate::kubernetes`] imports it (and must then ask for a `kubernetes` capability).
#[allow(unsafe_code, clippy::all)]
pub mod kubernetes {
    wit_bindgen::generate!({
        path: "wit",
        inline: "
            package chaosrt:sdk;

            world kubernetes-import {
                import chaosrt:plugin/kubernetes@0.2.0;
            }
        ",
        world: "chaosrt:sdk/kubernetes-import",
        with: {
            "chaosrt:plugin/kubernetes@0.2.0": generate,
        },
    });
}

/// The contract's shared types.
pub use plugin::chaosrt::plugin::types as wit;

impl From<Metadata> for wit::PluginMetadata {
    fn from(metadata: Metadata) -> Self {
        Self {
            name: metadata.name,
            version: metadata.version,
            description: metadata.description,
            capabilities: metadata.capabilities.into_iter().map(Into::into).collect(),
            activities: metadata.activities.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Activity> for wit::Activity {
    fn from(activity: Activity) -> Self {
        Self {
            name: activity.name,
            kind: match activity.kind {
                ActivityKind::Probe => wit::ActivityKind::Probe,
                ActivityKind::Action => wit::ActivityKind::Action,
            },
            description: activity.description,
            arguments: activity.arguments.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Argument> for wit::ArgumentSpec {
    fn from(argument: Argument) -> Self {
        Self {
            name: argument.name,
            type_: match argument.kind {
                ArgumentType::String => wit::ArgumentType::String,
                ArgumentType::Integer => wit::ArgumentType::Integer,
                ArgumentType::Number => wit::ArgumentType::Number,
                ArgumentType::Boolean => wit::ArgumentType::Boolean,
                ArgumentType::Object => wit::ArgumentType::Object,
                ArgumentType::List => wit::ArgumentType::List,
                ArgumentType::Any => wit::ArgumentType::Any,
            },
            required: argument.required,
            default: argument.default.map(|value| value.to_string()),
            description: argument.description,
        }
    }
}

impl From<Capability> for wit::Capability {
    fn from(capability: Capability) -> Self {
        match capability {
            Capability::HttpOrigin(origin) => Self::HttpOrigin(origin),
            Capability::HttpArgument(argument) => Self::HttpArgument(argument),
            Capability::Filesystem { path, access } => Self::Filesystem(wit::FilesystemAccess {
                path,
                access: match access {
                    Access::ReadOnly => wit::Access::ReadOnly,
                    Access::ReadWrite => wit::Access::ReadWrite,
                },
            }),
            Capability::Environment(name) => Self::Environment(name),
            Capability::Kubernetes {
                namespaces,
                resources,
                verbs,
            } => Self::Kubernetes(wit::KubernetesAccess {
                namespaces,
                resources,
                verbs,
            }),
        }
    }
}

impl From<Error> for wit::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::UnknownActivity(text) => Self::UnknownActivity(text),
            Error::InvalidArguments(text) => Self::InvalidArguments(text),
            Error::Denied(text) => Self::Denied(text),
            Error::Failed(text) => Self::Failed(text),
        }
    }
}

impl From<Target> for wit::Target {
    fn from(target: Target) -> Self {
        Self {
            kind: target.kind,
            name: target.name,
            namespace: target.namespace,
            details: serde_json::Value::Object(target.details).to_string(),
        }
    }
}
