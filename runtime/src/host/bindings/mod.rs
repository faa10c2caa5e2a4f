//! Host-side bindings for every version of the plugin contract (`chaosrt:plugin`) this chaosrt runs,
//! one module per version, the pattern Zed uses for its `since_v0_x` extension APIs:
//!
//! - [`v0_2`]: the current contract, generated from `wit/`; it serves every `0.2.Z` up to the
//!   version `wit/` declares (wasmtime matches `@0.2.Z` exports and imports to `@0.2.*` by semver);
//! - [`v0_1`]: 0.1.0, frozen in `wit/frozen/chaosrt-plugin@0.1.0/`.
//!
//! Each module converts its generated types into the host's own ([`Metadata`], [`Capability`],
//! [`PluginError`], [`Level`], [`Reported`]) right here, at the edge, so nothing else in chaosrt
//! knows more than one contract. The accepted versions are not written by hand: `build.rs` reads
//! them from the WIT into [`CONTRACT_VERSION`] and [`FROZEN_VERSIONS`].
//!
//! Exports are async because every call runs on tokio with epoch interruption; the imports (`log`,
//! `context`, `kubernetes`) are plain host functions on [`CallState`].
//!
//! [`Capability`]: super::policy::Capability

/// The conversions every version's bindings need whose WIT types have the same shape in each
/// (metadata around capabilities, argument types, errors, log levels): expanded inside each version's
/// module, next to its `types` and `log`, which differ as Rust types. Each version writes its own
/// `capability`, the part whose meaning changed.
macro_rules! shared_conversions {
    () => {
        /// The plugin's metadata in host types.
        pub fn metadata(m: types::PluginMetadata) -> crate::host::metadata::Metadata {
            use crate::host::metadata::{ActivityKind, ActivitySpec, ArgumentSpec, Metadata};
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

        impl From<types::Error> for crate::host::error::PluginError {
            fn from(e: types::Error) -> crate::host::error::PluginError {
                use crate::host::error::PluginError;
                // Cut as `invoke`'s errors are where they are lifted (`bounded`).
                let cut =
                    |s: String| crate::escape::clip(&s, crate::host::ERROR_TEXT_BYTES).into_owned();
                match e {
                    types::Error::UnknownActivity(s) => PluginError::UnknownActivity(cut(s)),
                    types::Error::InvalidArguments(s) => PluginError::InvalidArguments(cut(s)),
                    types::Error::Denied(s) => PluginError::Denied(cut(s)),
                    types::Error::Failed(s) => PluginError::Failed(cut(s)),
                }
            }
        }

        impl From<log::Level> for crate::host::state::Level {
            fn from(level: log::Level) -> crate::host::state::Level {
                use crate::host::state::Level;
                match level {
                    log::Level::Debug => Level::Debug,
                    log::Level::Info => Level::Info,
                    log::Level::Warning => Level::Warning,
                    log::Level::Error => Level::Error,
                }
            }
        }
    };
}

pub mod bounded;
pub mod v0_1;
pub mod v0_2;

use super::error::PluginError;
use super::metadata::Metadata;
use super::state::CallState;
use super::targets::Reported;
use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, HasSelf, Instance, InstancePre, Linker};

include!(concat!(env!("OUT_DIR"), "/contract.rs"));

// `v0_2` is generated from `wit/`, so `wit/` must still be a 0.2 contract. Moving to 0.3 means
// freezing 0.2 under `wit/frozen/` and adding bindings for both (wit/README.md, "Freezing a version").
const _: () = assert!(
    CONTRACT.0 == 0 && CONTRACT.1 == 2,
    "wit/ is no longer contract 0.2: freeze 0.2 and add host bindings for the new version"
);

/// The exported interface every plugin must provide, without its version.
pub const PLUGIN_INTERFACE: &str = "chaosrt:plugin/plugin";

/// The optional export that reports targets (0.2 and later).
pub const DISCOVERY_INTERFACE: &str = "chaosrt:plugin/discovery";

/// The bindings that serve a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    V0_1,
    V0_2,
}

impl Contract {
    /// The bindings for a component built for `version` (as its export names say), if this host
    /// accepts that version: any `0.2.Z` with `Z` up to [`CONTRACT_VERSION`]'s, or a frozen version
    /// exactly. Compared as semantic versions; a pre-release is never accepted.
    pub fn for_version(version: &str) -> Option<Contract> {
        if !super::metadata::is_semver(version) {
            return None;
        }
        if FROZEN_VERSIONS.contains(&version) {
            return frozen(version);
        }
        let numbers: Vec<u64> = version
            .split('.')
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        match numbers[..] {
            [major, minor, patch]
                if (major, minor) == (CONTRACT.0, CONTRACT.1) && patch <= CONTRACT.2 =>
            {
                Some(Contract::V0_2)
            }
            _ => None,
        }
    }
}

/// The bindings of a frozen version. Every version under `wit/frozen/` must have some: the test
/// `every_frozen_version_has_bindings` fails otherwise.
fn frozen(version: &str) -> Option<Contract> {
    match version {
        "0.1.0" => Some(Contract::V0_1),
        _ => None,
    }
}

/// The supported range in words, for refusals: `chaosrt:plugin@0.2.0 and the frozen
/// chaosrt:plugin@0.1.0`.
pub fn supported() -> String {
    let (major, minor, patch) = CONTRACT;
    let current = if patch == 0 {
        format!("chaosrt:plugin@{CONTRACT_VERSION}")
    } else {
        format!("chaosrt:plugin@{major}.{minor}.0 to @{CONTRACT_VERSION}")
    };
    let frozen: Vec<String> = FROZEN_VERSIONS
        .iter()
        .map(|v| format!("chaosrt:plugin@{v}"))
        .collect();
    match frozen.as_slice() {
        [] => current,
        [one] => format!("{current} and the frozen {one}"),
        many => format!("{current} and the frozen {}", many.join(", ")),
    }
}

/// Defines every host interface of every contract version in `linker` (WASI is added by the
/// caller). The names differ by version (`chaosrt:plugin/log@0.1.0`, `…@0.2.0`), so they coexist.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    v0_1::log::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    v0_2::log::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    v0_2::context::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    v0_2::kubernetes::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    Ok(())
}

/// The exports of a pre-instantiated component, by contract version. `invoke` is called through
/// its own index rather than the generated bindings, so that its result is lifted by
/// [`bounded`]'s types: sizes checked before anything is copied.
pub enum Exports {
    V0_1 {
        plugin: v0_1::PluginIndices,
        invoke: ComponentExportIndex,
    },
    V0_2 {
        plugin: v0_2::PluginIndices,
        invoke: ComponentExportIndex,
        discovery: Option<v0_2::DiscoveryIndices>,
    },
}

impl Exports {
    /// Finds the exports `contract` defines in `pre`, whose plugin interface is named for
    /// `version`; the optional `discovery` only when `discovers` (the component exports it).
    pub fn new(
        contract: Contract,
        version: &str,
        pre: &InstancePre<CallState>,
        discovers: bool,
    ) -> wasmtime::Result<Exports> {
        let invoke = invoke_index(pre, version)?;
        Ok(match contract {
            Contract::V0_1 => Exports::V0_1 {
                plugin: v0_1::PluginIndices::new(pre)?,
                invoke,
            },
            Contract::V0_2 => Exports::V0_2 {
                plugin: v0_2::PluginIndices::new(pre)?,
                invoke,
                discovery: if discovers {
                    Some(v0_2::DiscoveryIndices::new(pre)?)
                } else {
                    None
                },
            },
        })
    }

    /// Whether the plugin reports targets.
    pub fn discovers(&self) -> bool {
        matches!(
            self,
            Exports::V0_2 {
                discovery: Some(_),
                ..
            }
        )
    }

    /// The plugin's metadata, converted but not yet checked.
    pub async fn metadata(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<Metadata> {
        Ok(match self {
            Exports::V0_1 { plugin, .. } => {
                let described = plugin.load(&mut *store, instance)?;
                v0_1::metadata(described.call_metadata(&mut *store).await?)
            }
            Exports::V0_2 { plugin, .. } => {
                let described = plugin.load(&mut *store, instance)?;
                v0_2::metadata(described.call_metadata(&mut *store).await?)
            }
        })
    }

    /// Runs `activity`. A 0.1.0 plugin gets the call's context as its `context` record, built from
    /// the data 0.2's `context` functions serve. An output over [`bounded::OUTPUT_BYTES`] fails
    /// with [`bounded::TooLarge`] before it is copied.
    pub async fn invoke(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        activity: &str,
        arguments: &str,
    ) -> wasmtime::Result<Result<String, PluginError>> {
        let (returned,) = match self {
            Exports::V0_1 { invoke, .. } => {
                let context = v0_1::context(&store.data().context);
                instance
                    .get_typed_func::<(&str, &str, &v0_1::types::Context), bounded::Returned>(
                        &mut *store,
                        invoke,
                    )?
                    .call_async(&mut *store, (activity, arguments, &context))
                    .await?
            }
            Exports::V0_2 { invoke, .. } => {
                instance
                    .get_typed_func::<(&str, &str), bounded::Returned>(&mut *store, invoke)?
                    .call_async(&mut *store, (activity, arguments))
                    .await?
            }
        };
        Ok(returned.map(|output| output.0).map_err(PluginError::from))
    }

    /// Calls `discover()`; `None` when the plugin does not export `discovery`.
    pub async fn discover(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<Option<Result<Vec<Reported>, PluginError>>> {
        let Exports::V0_2 {
            discovery: Some(discovery),
            ..
        } = self
        else {
            return Ok(None);
        };
        let guest = discovery.load(&mut *store, instance)?;
        let reported = guest.call_discover(&mut *store).await?;
        Ok(Some(
            reported
                .map(|targets| targets.into_iter().map(v0_2::target).collect())
                .map_err(PluginError::from),
        ))
    }
}

/// The index of `invoke` in the plugin interface the component exports as `version`.
fn invoke_index(
    pre: &InstancePre<CallState>,
    version: &str,
) -> wasmtime::Result<ComponentExportIndex> {
    let component = pre.component();
    let interface = format!("{PLUGIN_INTERFACE}@{version}");
    let plugin = component
        .get_export_index(None, interface.as_str())
        .ok_or_else(|| wasmtime::format_err!("the component does not export `{interface}`"))?;
    component
        .get_export_index(Some(&plugin), "invoke")
        .ok_or_else(|| wasmtime::format_err!("`{interface}` has no function `invoke`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frozen_version_has_bindings() {
        assert!(!FROZEN_VERSIONS.is_empty());
        for version in FROZEN_VERSIONS {
            assert!(frozen(version).is_some(), "{version} has no bindings");
            assert_eq!(Contract::for_version(version), frozen(version));
        }
    }

    /// The constants are the versions the WIT declares, read here independently of `build.rs`.
    #[test]
    fn the_supported_range_is_the_one_the_wit_declares() {
        let wit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
        let declared = |dir: &std::path::Path| -> Vec<String> {
            let mut found = Vec::new();
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "wit") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let line = text
                        .lines()
                        .find(|l| l.starts_with("package chaosrt:plugin@"))
                        .unwrap_or_else(|| panic!("{}", path.display()));
                    found.push(
                        line["package chaosrt:plugin@".len()..]
                            .trim_end_matches(';')
                            .into(),
                    );
                }
            }
            found
        };
        let current = declared(&wit);
        assert!(current.len() >= 4, "{current:?}");
        assert!(current.iter().all(|v| v == CONTRACT_VERSION), "{current:?}");
        let mut frozen: Vec<String> = std::fs::read_dir(wit.join("frozen"))
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_prefix("chaosrt-plugin@").map(str::to_string)
            })
            .collect();
        frozen.sort();
        let mut constants: Vec<String> = FROZEN_VERSIONS.iter().map(|v| v.to_string()).collect();
        constants.sort();
        assert_eq!(frozen, constants);
        assert!(frozen.contains(&"0.1.0".to_string()));
    }

    #[test]
    fn every_patch_of_the_current_minor_up_to_it_is_accepted() {
        let (major, minor, patch) = CONTRACT;
        for z in 0..=patch {
            let v = format!("{major}.{minor}.{z}");
            assert_eq!(Contract::for_version(&v), Some(Contract::V0_2), "{v}");
        }
        let refused = [
            format!("{major}.{minor}.{}", patch + 1),
            format!("{major}.{}.0", minor + 1),
            format!("{}.0.0", major + 1),
            format!("{major}.{minor}.0-rc.1"),
            format!("{major}.{minor}"),
            "0.1.1".to_string(),
            "9.0.0".to_string(),
            "(unversioned)".to_string(),
        ];
        for v in refused {
            assert_eq!(Contract::for_version(&v), None, "{v}");
        }
    }

    #[test]
    fn the_range_is_named_in_words() {
        let words = supported();
        assert!(words.starts_with(&format!("chaosrt:plugin@{}.{}.0", CONTRACT.0, CONTRACT.1)));
        assert!(words.contains(CONTRACT_VERSION), "{words}");
        for v in FROZEN_VERSIONS {
            assert!(
                words.contains(&format!("the frozen chaosrt:plugin@{v}")),
                "{words}"
            );
        }
    }
}
