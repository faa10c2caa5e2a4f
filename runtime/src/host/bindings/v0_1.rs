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

use crate::host::policy::{Access, Capability};
use crate::host::state::Context;

shared_conversions!();

/// A 0.1.0 capability in host terms. `http("*")` meant "the URL in the `url` argument", which 0.2
/// names `http-argument("url")`; `filesystem{writable}` is 0.2's `access`; 0.1.0's Kubernetes access
/// named one resource and no namespace, so any namespace.
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

/// 0.1.0's `context` record: the configuration and secrets 0.2's `context` functions serve.
pub fn context(context: &Context) -> types::Context {
    types::Context {
        configuration: context.configuration.clone(),
        secrets: context.secrets.clone(),
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
