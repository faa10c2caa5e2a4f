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
    // The Kubernetes proxy does network I/O: it must not block the runtime's threads.
    imports: { "chaosrt:plugin/kubernetes.send": async },
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

use crate::host::policy::{Access, Capability};
use crate::host::targets::Reported;

shared_conversions!();

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

/// A reported target, unchecked ([`crate::host::targets::Discovered::check`] checks it).
pub fn target(t: types::Target) -> Reported {
    Reported {
        kind: t.kind,
        name: t.name,
        namespace: t.namespace,
        details: t.details,
    }
}
