//! The plugin host: runs WebAssembly components under the `chaosrt:plugin` contract in a sandbox.
//!
//! One wasmtime [`Engine`] and one [`Linker`] serve the whole process. Each plugin is compiled once
//! (or loaded from the compile cache) and pre-instantiated; each activity call gets a fresh [`Store`]
//! whose WASI context is built from that call's [`Grants`] only: no environment, no arguments, no
//! inherited stdio (captured into the log), no sockets, preopens only for granted directories, outbound
//! HTTP only to granted origins. Every call has a timeout (epoch interruption for busy loops, a tokio
//! timer for waits), a memory cap and an output cap.
//!
//! The host knows components and grants, not experiments: the engine decides what to grant.

mod bindings;
pub mod cache;
mod error;
mod insecure_tls;
mod links;
mod metadata;
pub mod policy;
mod state;

pub use bindings::Level;
pub use error::{CallError, LoadError};
pub use metadata::{ActivityKind, ActivitySpec, ArgumentSpec, Metadata};
pub use policy::{Capability, DirGrant, Grants, Origin};
pub use state::LogSink;

use bindings::{CONTRACT_VERSION, ChaosrtPluginPre, PLUGIN_INTERFACE, wit};
use cache::{CacheDirs, CompileCache, CompileFailure, Lookup};
use state::{CallState, Denials, HttpGate, MemoryCap};
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx};

/// How often the epoch advances; timeouts are rounded up to this.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Captured stdout/stderr per call; more is dropped (the log is for people, not bulk data).
const STDIO_CAPTURE_BYTES: usize = 64 * 1024;

/// The largest component chaosrt accepts. Compiling takes time and memory in proportion (a 22 MB
/// component took 42 s and 1.1 GB): honest plugins are far smaller (Python ones, which carry their
/// interpreter, are about 27 MB), so anything larger is refused before it is compiled.
pub const MAX_COMPONENT_BYTES: usize = 64 << 20;

/// Limits that apply to one call.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: usize,
    pub output_bytes: usize,
}

impl Default for Limits {
    /// Generous for real probes, small enough that a runaway plugin cannot take the machine down.
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(60),
            memory_bytes: 256 << 20,
            output_bytes: 16 << 20,
        }
    }
}

/// A compiled, linked plugin, ready to be instantiated once per call.
pub struct Plugin {
    pre: ChaosrtPluginPre<CallState>,
    pub sha256: String,
    pub metadata: Metadata,
    /// Whether loading compiled the component or found it in the cache.
    pub loaded_from: cache::Origin,
}

/// One activity call.
pub struct Call<'a> {
    pub activity: &'a str,
    /// The arguments, a JSON object as text.
    pub arguments: &'a str,
    /// The experiment's configuration, JSON text.
    pub configuration: &'a str,
    /// The secrets given to this call, JSON text.
    pub secrets: &'a str,
    pub grants: Grants,
    pub limits: Limits,
}

/// The plugin host. Cheap to share; create one per process.
pub struct Host {
    engine: Engine,
    linker: Linker<CallState>,
    cache: CompileCache,
    /// How long compiling one component may take ([`cache::COMPILE_TIMEOUT`] unless changed).
    compile_timeout: Duration,
}

impl Host {
    /// A host whose compiled components are cached in `cache` (none: always compile).
    pub fn new(cache: Option<CacheDirs>) -> wasmtime::Result<Host> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        links::guard(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        bindings::chaosrt::plugin::log::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
        spawn_epoch_ticker(&engine);
        let cache = CompileCache::new(&engine, cache);
        Ok(Host {
            engine,
            linker,
            cache,
            compile_timeout: cache::COMPILE_TIMEOUT,
        })
    }

    /// The same host with another limit on how long compiling one component may take.
    pub fn with_compile_timeout(self, limit: Duration) -> Host {
        Host {
            compile_timeout: limit,
            ..self
        }
    }

    /// Checks that `bytes` are a component speaking this contract version, then compiles it (or
    /// loads it from the cache), links it and asks it for its metadata. Only a plugin that got that
    /// far is written to the cache. `name` only labels errors.
    pub async fn load(&self, name: &str, bytes: &[u8], log: LogSink) -> Result<Plugin, LoadError> {
        check_contract_version(name, bytes)?;
        let sha256 = cache::sha256_hex(bytes);
        let (component, loaded_from) = match self.cache.lookup(&self.engine, &sha256) {
            Lookup::Hit(component) => (component, cache::Origin::Cached),
            Lookup::Miss(origin) => {
                let compiled = CompileCache::compile(&self.engine, bytes, self.compile_timeout)
                    .await
                    .map_err(|failure| match failure {
                        CompileFailure::Invalid(source) => LoadError::Compile {
                            name: name.into(),
                            source,
                        },
                        CompileFailure::TimedOut(limit) => LoadError::CompileTimeout {
                            name: name.into(),
                            seconds: limit.as_secs_f64(),
                        },
                    })?;
                (compiled, origin)
            }
        };
        let instance_pre =
            self.linker
                .instantiate_pre(&component)
                .map_err(|source| LoadError::Link {
                    name: name.into(),
                    source,
                })?;
        let pre = ChaosrtPluginPre::new(instance_pre).map_err(|source| LoadError::Link {
            name: name.into(),
            source,
        })?;
        let limits = Limits {
            timeout: Duration::from_secs(10),
            ..Limits::default()
        };
        let (mut store, _, stdio) = self.store(name, Grants::default(), limits, log);
        let described = guard(
            name,
            "metadata",
            limits,
            &mut store,
            &stdio,
            async |store| {
                let instance = pre.instantiate_async(&mut *store).await?;
                instance
                    .chaosrt_plugin_plugin()
                    .call_metadata(&mut *store)
                    .await
            },
        )
        .await
        .map_err(|error| LoadError::Metadata {
            name: name.into(),
            error: Box::new(error),
        })?;
        let metadata = Metadata::try_from(described).map_err(|problem| LoadError::BadMetadata {
            name: name.into(),
            problem,
        })?;
        check_filesystem_paths(name, &metadata.capabilities)?;
        if loaded_from != cache::Origin::Cached {
            // Best effort: a cache that cannot be written only costs time.
            let _ = self.cache.store(&sha256, &component);
        }
        Ok(Plugin {
            pre,
            sha256,
            metadata,
            loaded_from,
        })
    }

    /// Runs one activity call in a fresh sandbox. Returns the output JSON text.
    pub async fn invoke(
        &self,
        plugin: &Plugin,
        call: Call<'_>,
        log: LogSink,
    ) -> Result<String, CallError> {
        let name = plugin.metadata.name.as_str();
        let limits = call.limits;
        let (mut store, denials, stdio) =
            self.store(name, call.grants.clone(), limits, log.clone());
        let context = wit::Context {
            configuration: call.configuration.to_string(),
            secrets: call.secrets.to_string(),
        };
        let result = guard(
            name,
            call.activity,
            limits,
            &mut store,
            &stdio,
            async |store| {
                let instance = plugin.pre.instantiate_async(&mut *store).await?;
                instance
                    .chaosrt_plugin_plugin()
                    .call_invoke(&mut *store, call.activity, call.arguments, &context)
                    .await
            },
        )
        .await;
        stdio.forward(&log);
        let denied = denials.lock().unwrap().join("; ");
        let at = |message: String| (name.to_string(), call.activity.to_string(), message);
        match result? {
            Ok(output) if output.len() > limits.output_bytes => Err(CallError::BadOutput {
                plugin: name.into(),
                activity: call.activity.into(),
                detail: format!(
                    "{} bytes, over the cap of {}",
                    output.len(),
                    limits.output_bytes
                ),
            }),
            Ok(output) => match serde_json::from_str::<serde::de::IgnoredAny>(&output) {
                Ok(_) => Ok(output),
                Err(e) => Err(CallError::BadOutput {
                    plugin: name.into(),
                    activity: call.activity.into(),
                    detail: format!("not JSON: {e}"),
                }),
            },
            // A refusal the host recorded explains the failure better than whatever the guest made of
            // wasi-http's bare "request denied".
            Err(_) if !denied.is_empty() => {
                let (plugin, activity, message) = at(denied);
                Err(CallError::Denied {
                    plugin,
                    activity,
                    message,
                })
            }
            Err(wit::Error::Denied(message)) => {
                let (plugin, activity, message) = at(message);
                Err(CallError::Denied {
                    plugin,
                    activity,
                    message,
                })
            }
            Err(wit::Error::UnknownActivity(_)) => Err(CallError::UnknownActivity {
                plugin: name.into(),
                activity: call.activity.into(),
            }),
            Err(wit::Error::InvalidArguments(message)) => {
                let (plugin, activity, message) = at(message);
                Err(CallError::InvalidArguments {
                    plugin,
                    activity,
                    message,
                })
            }
            Err(wit::Error::Failed(message)) => Err(CallError::Failed { message }),
        }
    }

    /// A fresh store for one call, with the sandbox built from `grants` only.
    fn store(
        &self,
        plugin: &str,
        grants: Grants,
        limits: Limits,
        log: LogSink,
    ) -> (Store<CallState>, Denials, Stdio) {
        let stdio = Stdio {
            out: MemoryOutputPipe::new(STDIO_CAPTURE_BYTES),
            err: MemoryOutputPipe::new(STDIO_CAPTURE_BYTES),
        };
        let mut wasi = WasiCtx::builder();
        wasi.stdout(stdio.out.clone()).stderr(stdio.err.clone());
        let mut dir_errors = Vec::new();
        for dir in &grants.dirs {
            let perms = if dir.writable {
                FsPerms::ReadWrite
            } else {
                FsPerms::ReadOnly
            };
            if let Err(e) = wasi.preopened_dir(&dir.host, &dir.guest, perms) {
                dir_errors.push(format!("{}: {e:#}", dir.host.display()));
            }
        }
        let denials: Denials = Default::default();
        denials.lock().unwrap().extend(
            dir_errors
                .into_iter()
                .map(|e| format!("the granted directory cannot be opened: {e}")),
        );
        let state = CallState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            http: Default::default(),
            gate: HttpGate {
                plugin: plugin.to_string(),
                grants,
                denials: denials.clone(),
            },
            limits: MemoryCap {
                max_bytes: limits.memory_bytes,
                refused: None,
            },
            log,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let ticks = limits.timeout.as_millis().div_ceil(EPOCH_TICK.as_millis()) as u64;
        store.set_epoch_deadline(ticks.max(1));
        store.epoch_deadline_trap();
        (store, denials, stdio)
    }
}

/// Captured guest stdout and stderr.
struct Stdio {
    out: MemoryOutputPipe,
    err: MemoryOutputPipe,
}

impl Stdio {
    /// Sends what the plugin printed to the run's log, a line at a time.
    fn forward(&self, log: &LogSink) {
        for (pipe, level) in [(&self.out, Level::Info), (&self.err, Level::Warning)] {
            let text = pipe.contents();
            for line in String::from_utf8_lossy(&text)
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                log(level, line);
            }
        }
    }

    /// The last line the plugin wrote to stderr before it trapped: a Rust guest's panic message
    /// (Rust's "note: run with `RUST_BACKTRACE=1`" hint after it is skipped).
    fn stderr_tail(&self) -> String {
        let text = self.err.contents();
        let text = String::from_utf8_lossy(&text);
        text.lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .unwrap_or_default()
            .to_string()
    }
}

/// Runs `body` against the store under the call's limits and turns traps, timeouts and memory-cap
/// hits into [`CallError`]s that name the plugin and the activity.
async fn guard<T>(
    plugin: &str,
    activity: &str,
    limits: Limits,
    store: &mut Store<CallState>,
    stdio: &Stdio,
    body: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
) -> Result<T, CallError> {
    let timeout = || CallError::Timeout {
        plugin: plugin.into(),
        activity: activity.into(),
        seconds: limits.timeout.as_secs_f64(),
    };
    // The epoch deadline stops a guest that computes; this timer stops one that waits on the host.
    let outcome = tokio::time::timeout(limits.timeout, body(store)).await;
    let error = match outcome {
        Err(_) => return Err(timeout()),
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => error,
    };
    if store.data().limits.refused.is_some() {
        return Err(CallError::MemoryCap {
            plugin: plugin.into(),
            activity: activity.into(),
            cap_mib: limits.memory_bytes >> 20,
        });
    }
    if let Some(wasmtime::Trap::Interrupt) = error.downcast_ref::<wasmtime::Trap>() {
        return Err(timeout());
    }
    // The trap itself says what happened; wasmtime's wasm backtrace of unnamed functions does not help
    // an operator.
    let mut detail = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => format!("wasm trap: {trap}"),
        None => format!("{error:#}"),
    };
    // A Rust guest's panic message lands on stderr: the most useful part of a trap report.
    let stderr = stdio.stderr_tail();
    if !stderr.is_empty() {
        detail = format!("{detail} ({stderr})");
    }
    Err(CallError::Trap {
        plugin: plugin.into(),
        activity: activity.into(),
        detail,
    })
}

/// Refuses, before anything is compiled, bytes that are too large, not WebAssembly, a core module
/// rather than a component, or a component that does not export the plugin interface in this
/// contract version (naming the version it was built for). Only the top level's sections are read:
/// nested modules and components are skipped whole, so this takes microseconds even for a large
/// component.
fn check_contract_version(name: &str, bytes: &[u8]) -> Result<(), LoadError> {
    use wasmparser::{Chunk, Encoding, Parser, Payload};
    if bytes.len() > MAX_COMPONENT_BYTES {
        return Err(LoadError::too_large(name, bytes.len() as u64));
    }
    let invalid = |detail: String| LoadError::NotAComponent {
        name: name.into(),
        detail,
    };
    let mut parser = Parser::new(0);
    let mut offset = 0;
    let mut exports = Vec::new();
    loop {
        let payload = match parser.parse(&bytes[offset..], true) {
            Ok(Chunk::Parsed { consumed, payload }) => {
                offset += consumed;
                payload
            }
            Ok(Chunk::NeedMoreData(_)) => return Err(invalid("it is truncated".into())),
            Err(e) => return Err(invalid(e.to_string())),
        };
        match payload {
            Payload::Version {
                encoding: Encoding::Module,
                ..
            } => return Err(LoadError::CoreModule { name: name.into() }),
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                if unchecked_range.end > bytes.len() {
                    return Err(invalid("it is truncated".into()));
                }
                offset = unchecked_range.end;
            }
            Payload::ComponentExportSection(section) => {
                for export in section {
                    let export = export.map_err(|e| invalid(e.to_string()))?;
                    exports.push(export.name.name);
                }
            }
            Payload::End(_) => break,
            _ => {}
        }
    }
    let prefix = format!("{PLUGIN_INTERFACE}@");
    let mut found = None;
    for export in exports {
        if let Some(version) = export.strip_prefix(&prefix) {
            if version == CONTRACT_VERSION {
                return Ok(());
            }
            found = Some(version.to_string());
        } else if export == PLUGIN_INTERFACE {
            found = Some("(unversioned)".to_string());
        }
    }
    match found {
        Some(found) => Err(LoadError::UnsupportedVersion {
            name: name.into(),
            found,
        }),
        None => Err(LoadError::NotAPlugin { name: name.into() }),
    }
}

/// Why a filesystem capability's path is refused, if it is: it must be `.` (the run's working
/// directory) or an absolute path without `..`. Any other relative path would name a different
/// directory depending on where chaosrt runs, so the operator could not know what they granted.
pub fn filesystem_path_problem(path: &str) -> Option<&'static str> {
    use std::path::{Component, Path};
    if path == "." {
        return None;
    }
    let path = Path::new(path);
    if !path.is_absolute() {
        return Some(
            "a filesystem capability must be `.` (the run's working directory) or an absolute path",
        );
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Some("a filesystem capability's path may not contain `..`");
    }
    None
}

/// Refuses a plugin asking for a filesystem path [`filesystem_path_problem`] refuses.
fn check_filesystem_paths(name: &str, capabilities: &[Capability]) -> Result<(), LoadError> {
    for capability in capabilities {
        if let Capability::Filesystem { path, .. } = capability
            && let Some(problem) = filesystem_path_problem(path)
        {
            return Err(LoadError::BadPath {
                name: name.into(),
                path: crate::escape::escape(path).into_owned(),
                problem,
            });
        }
    }
    Ok(())
}

/// Advances the engine's epoch every [`EPOCH_TICK`] for as long as the engine lives.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("chaosrt-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_components_exporting_this_contract_pass_before_compiling() {
        let fs = chaosrt_builtins::ALL[0].1;
        check_contract_version("fs", fs).unwrap();
        let refused = |bytes: &[u8]| check_contract_version("x", bytes).unwrap_err().to_string();
        assert!(
            refused(b"\0asm\x01\0\0\0").contains("is a core WebAssembly module, not a component"),
        );
        assert!(refused(b"hello\n").contains("not a WebAssembly component: magic header"));
        for cut in [fs.len() / 2, fs.len() - 1, 9] {
            let message = refused(&fs[..cut]);
            assert!(
                message.contains("is not a WebAssembly component"),
                "{cut}: {message}"
            );
        }
        assert!(refused(&vec![0; MAX_COMPONENT_BYTES + 1]).contains("larger than the 64 MiB"));
    }

    #[test]
    fn filesystem_paths_must_name_one_directory() {
        for ok in [".", "/", "/srv/data", "/srv/./data"] {
            assert_eq!(filesystem_path_problem(ok), None, "{ok}");
        }
        for refused in ["..", "data", "./data", "../x", "/srv/../etc", ""] {
            assert!(filesystem_path_problem(refused).is_some(), "{refused}");
        }
    }
}
