//! The plugin host: runs WebAssembly components under the `chaosrt:plugin` contract in a sandbox.
//!
//! One wasmtime [`Engine`] and one [`Linker`] serve the whole process. The linker holds the host
//! interfaces of every contract version the host accepts (0.2.x, and the frozen 0.1.0), each
//! converted at the edge to the host's own types ([`bindings`]), so the rest of chaosrt knows one
//! contract. Each plugin is compiled once (or loaded from the compile cache) and pre-instantiated;
//! each call (an activity, or `discover`) gets a fresh [`Store`] whose WASI context is built from that
//! call's [`Grants`] only: no environment but granted variables, no arguments, no inherited stdio
//! (captured into the log), no sockets, preopens only for granted directories, outbound HTTP only to
//! granted origins. Every call has a timeout (epoch interruption for busy loops, a tokio timer for
//! waits), a memory cap and an output cap, and can ask the host what it may know ([`Context`], and
//! the deadline its timeout sets).
//!
//! The host knows components and grants, not experiments: the engine decides what to grant. The
//! Kubernetes API is proxied by the host ([`kubernetes`]): each request checked against the grant
//! before any I/O, with the host's own credentials.

mod bindings;
pub mod cache;
mod capture;
mod error;
mod insecure_tls;
pub mod kubernetes;
mod links;
mod metadata;
pub mod policy;
mod state;
pub mod targets;

pub use bindings::bounded::{ERROR_TEXT_BYTES, OUTPUT_BYTES};
pub use bindings::{CONTRACT, CONTRACT_VERSION, FROZEN_VERSIONS, supported as supported_contracts};
pub use error::{CallError, LoadError};
pub use kubernetes::KubeGrant;
pub use metadata::{
    ActivityKind, ActivitySpec, ArgumentSpec, BadMetadata, Metadata, check_plugin_name,
};
pub use policy::{Access, Capability, DirGrant, Grants, Origin};
pub use state::{Context, Level, LogSink, MEMORY_BUDGET_BYTES};
pub use targets::{Discovered, Target};

use bindings::{Contract, DISCOVERY_INTERFACE, Exports, PLUGIN_INTERFACE};
use cache::{CacheDirs, CompileCache, CompileFailure, Lookup};
use error::PluginError;
use state::{CallClock, CallState, Denials, HttpGate, MemoryBudget, MemoryCap, Refused};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, InstancePre, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx};

/// How often the epoch advances; timeouts are rounded up to this.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Captured stdout/stderr per call; more is dropped (the log is for people, not bulk data).
const STDIO_CAPTURE_BYTES: usize = 64 * 1024;

/// The largest component chaosrt accepts. Compiling takes time and memory in proportion (a 22 MB
/// component took 42 s and 1.1 GB): honest plugins are far smaller (Python ones, which carry their
/// interpreter, are about 27 MB), so anything larger is refused before it is compiled.
pub const MAX_COMPONENT_BYTES: usize = 64 << 20;

/// Limits that apply to one call. (The output cap is [`OUTPUT_BYTES`], checked as the output is
/// lifted out of the guest.)
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: usize,
}

impl Default for Limits {
    /// Generous for real probes, small enough that a runaway plugin cannot take the machine down.
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(60),
            memory_bytes: 256 << 20,
        }
    }
}

/// A compiled, linked plugin, ready to be instantiated once per call.
pub struct Plugin {
    pre: InstancePre<CallState>,
    exports: Exports,
    pub sha256: String,
    pub metadata: Metadata,
    /// The contract version the component was built for, as its exports name it.
    pub contract: String,
    /// Whether loading compiled the component or found it in the cache.
    pub loaded_from: cache::Origin,
}

impl Plugin {
    /// Whether the plugin exports `discovery` (it can report targets).
    pub fn discovers(&self) -> bool {
        self.exports.discovers()
    }

    /// Its compiled form, for an install to keep beside it ([`Compiled::Installed`]).
    pub fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        self.pre.component().serialize()
    }
}

/// Where [`Host::load_with`] finds a component's compiled form.
pub enum Compiled<'a> {
    /// In the compile cache; compiled on a miss, and what was compiled is cached.
    Cache,
    /// Compiled now unless the cache has it, and not cached ([`Host::load_to_install`]).
    Fresh,
    /// An artifact chaosrt's own build made (a built-in's); the cache on a misfit.
    Precompiled(&'a [u8]),
    /// The same, embedded in the binary: its code runs where it lies, uncopied.
    Embedded(chaosrt_builtins::Embedded),
    /// The artifact an install stored beside the plugin, at `path`, whose sha256 the registry
    /// checked against the record its install made in the plugin's private manifest.
    Installed { artifact: &'a [u8], path: &'a Path },
    /// The stored artifact at `path` could not be trusted: compiled again (and cached), with a
    /// warning that says why.
    Stale { path: &'a Path, why: cache::Stale },
}

/// One activity call.
pub struct Call<'a> {
    pub activity: &'a str,
    /// The arguments, a JSON object as text.
    pub arguments: &'a str,
    /// What the call may learn from the host.
    pub context: Context,
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
    /// The memory every call running at once may hold together.
    memory_budget: Arc<MemoryBudget>,
}

impl Host {
    /// A host whose compiled components are cached in `cache` (none: always compile).
    pub fn new(cache: Option<CacheDirs>) -> wasmtime::Result<Host> {
        let config = || {
            let mut config = chaosrt_engine_config::config();
            let code = MprotectCode { page: page_size() };
            if chaosrt_builtins::ALIGNMENT.is_multiple_of(code.page) {
                config.with_custom_code_memory(Some(Arc::new(code)));
            }
            config
        };
        let mut pooled = config();
        pooled.allocation_strategy(pooling());
        // The pool is address space reserved up front; where that is refused (a `ulimit -v`), the
        // on-demand allocator serves, slower per call but the same sandbox.
        let engine = Engine::new(&pooled).or_else(|_| Engine::new(&config()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        links::guard(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        bindings::add_to_linker(&mut linker)?;
        spawn_epoch_ticker(&engine);
        let cache = CompileCache::new(&engine, cache);
        Ok(Host {
            engine,
            linker,
            cache,
            compile_timeout: cache::COMPILE_TIMEOUT,
            memory_budget: Arc::new(MemoryBudget::new(MEMORY_BUDGET_BYTES)),
        })
    }

    /// The same host with another limit on how long compiling one component may take.
    pub fn with_compile_timeout(self, limit: Duration) -> Host {
        Host {
            compile_timeout: limit,
            ..self
        }
    }

    /// Checks that `bytes` are a component built for a contract version this host accepts, then
    /// compiles it (or loads it from the cache), links it and asks it for its metadata; refuses a
    /// plugin asking for what it may not have or the host does not implement. Only a plugin that got
    /// that far is written to the cache. `name` only labels errors.
    pub async fn load(&self, name: &str, bytes: &[u8], log: LogSink) -> Result<Plugin, LoadError> {
        self.load_with(name, bytes, Compiled::Cache, log).await
    }

    /// The key of this engine's compiled code: an artifact made by an engine with another key (another
    /// wasmtime, other settings) cannot be loaded here.
    pub fn engine_key(&self) -> &str {
        self.cache.engine_key()
    }

    /// Loads a built-in plugin as [`Host::load`] does, but from the form precompiled into chaosrt
    /// when wasmtime accepts it for this engine and CPU: then nothing is compiled, even on a first
    /// run, and nothing is written to the compile cache. When it does not fit (another CPU than the
    /// build machine's, a cross-compiled chaosrt), the component is loaded from the cache or compiled.
    pub async fn load_builtin(
        &self,
        builtin: &chaosrt_builtins::Builtin,
        log: LogSink,
    ) -> Result<Plugin, LoadError> {
        // A `Builtin` can only be one of the constants of `chaosrt_builtins`, whose artifacts its
        // build script made with wasmtime's `precompile_component`: they are part of this binary,
        // as trusted as its own code.
        let compiled = match builtin.precompiled() {
            Some(artifact) => Compiled::Embedded(artifact),
            None => Compiled::Cache,
        };
        let sha256 = builtin.sha256().to_string();
        self.load_digested(builtin.name(), builtin.component(), sha256, compiled, log)
            .await
    }

    /// [`Host::load`], with the compiled form where `compiled` says: [`Compiled::Fresh`] for a
    /// component about to be installed (the install keeps its compiled form, [`Plugin::serialize`],
    /// and a refused or abandoned install must leave nothing in the cache),
    /// [`Compiled::Installed`] or [`Compiled::Stale`] for an installed plugin whose stored compiled
    /// form the registry checked against its manifest.
    pub async fn load_with(
        &self,
        name: &str,
        bytes: &[u8],
        compiled: Compiled<'_>,
        log: LogSink,
    ) -> Result<Plugin, LoadError> {
        let sha256 = cache::sha256_hex(bytes);
        self.load_digested(name, bytes, sha256, compiled, log).await
    }

    /// [`Host::load_with`] for bytes whose sha256 the caller already holds, because it has just
    /// checked them against it (the registry, against an installed plugin's manifest) or because
    /// the build computed it (a built-in's): hashing a component is most of a warm run's work
    /// otherwise. `sha256` must be the lowercase hex digest of `bytes`: it keys the compile cache.
    pub async fn load_digested(
        &self,
        name: &str,
        bytes: &[u8],
        sha256: String,
        compiled: Compiled<'_>,
        log: LogSink,
    ) -> Result<Plugin, LoadError> {
        let built = check_contract_version(name, bytes)?;
        let cache_it = !matches!(compiled, Compiled::Fresh);
        let found = match compiled {
            Compiled::Precompiled(artifact) => {
                match deserialize_precompiled(&self.engine, artifact) {
                    Ok(component) => Lookup::Hit(component, cache::Origin::Precompiled),
                    Err(_) => self.cache.lookup(&self.engine, &sha256),
                }
            }
            Compiled::Embedded(artifact) => match deserialize_embedded(&self.engine, artifact) {
                Ok(component) => Lookup::Hit(component, cache::Origin::Precompiled),
                Err(_) => self.cache.lookup(&self.engine, &sha256),
            },
            Compiled::Installed { artifact, path } => {
                match deserialize_precompiled(&self.engine, artifact) {
                    Ok(component) => Lookup::Hit(component, cache::Origin::Installed),
                    Err(e) => Lookup::Miss(cache::Origin::Recompiled {
                        artifact: path.to_path_buf(),
                        why: cache::Stale::Unreadable(format!("wasmtime refused it: {e:#}")),
                    }),
                }
            }
            Compiled::Stale { path, why } => Lookup::Miss(cache::Origin::Recompiled {
                artifact: path.to_path_buf(),
                why,
            }),
            Compiled::Cache => self.cache.lookup(&self.engine, &sha256),
            Compiled::Fresh => match self.cache.lookup(&self.engine, &sha256) {
                hit @ Lookup::Hit(..) => hit,
                Lookup::Miss(_) => Lookup::Miss(cache::Origin::Compiled),
            },
        };
        let (component, loaded_from) = match found {
            Lookup::Hit(component, origin) => (component, origin),
            Lookup::Miss(origin) => {
                let compiled = CompileCache::compile(&self.engine, bytes, self.compile_timeout)
                    .await
                    .map_err(|failure| match failure {
                        CompileFailure::Invalid(error) => LoadError::Compile {
                            name: name.into(),
                            error,
                        },
                        CompileFailure::TimedOut(limit) => LoadError::CompileTimeout {
                            name: name.into(),
                            seconds: limit.as_secs_f64(),
                        },
                    })?;
                (compiled, origin)
            }
        };
        let link = |error| LoadError::Link {
            name: name.into(),
            error,
        };
        let pre = self.linker.instantiate_pre(&component).map_err(link)?;
        let exports =
            Exports::new(built.contract, &built.version, &pre, built.discovers).map_err(link)?;
        let limits = Limits {
            timeout: Duration::from_secs(10),
            ..Limits::default()
        };
        let (mut store, _, stdio) =
            self.store(name, Grants::default(), Context::default(), limits, log);
        let described = guard(
            name,
            "metadata",
            limits,
            &mut store,
            &stdio,
            async |store| {
                let instance = pre.instantiate_async(&mut *store).await?;
                exports.metadata(store, &instance).await
            },
        )
        .await
        .map_err(|error| LoadError::Metadata {
            name: name.into(),
            error: Box::new(error),
        })?;
        let metadata = described
            .checked()
            .map_err(|problem| LoadError::BadMetadata {
                name: name.into(),
                problem,
            })?;
        check_filesystem_paths(name, &metadata.capabilities)?;
        if cache_it
            && matches!(
                loaded_from,
                cache::Origin::Compiled | cache::Origin::Recompiled { .. }
            )
        {
            // Best effort: a cache that cannot be written only costs time.
            let _ = self.cache.store(&sha256, &component);
        }
        Ok(Plugin {
            pre,
            exports,
            sha256,
            metadata,
            contract: built.version,
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
            self.store(name, call.grants.clone(), call.context, limits, log.clone());
        let result = guard(
            name,
            call.activity,
            limits,
            &mut store,
            &stdio,
            async |store| {
                let instance = plugin.pre.instantiate_async(&mut *store).await?;
                plugin
                    .exports
                    .invoke(store, &instance, call.activity, call.arguments)
                    .await
            },
        )
        .await;
        stdio.forward(&log);
        let denied = denials.lock().unwrap().join("; ");
        let failed = |error| refusal(name, call.activity, &denied, error);
        match result? {
            // Checked in bytes again: the lift counted a UTF-16 guest's code units.
            Ok(output) if output.len() > OUTPUT_BYTES => Err(CallError::BadOutput {
                plugin: name.into(),
                activity: call.activity.into(),
                detail: format!("{} bytes, over the cap of {OUTPUT_BYTES}", output.len()),
            }),
            Ok(output) => match serde_json::from_str::<serde::de::IgnoredAny>(&output) {
                Ok(_) => Ok(output),
                Err(e) => Err(CallError::BadOutput {
                    plugin: name.into(),
                    activity: call.activity.into(),
                    detail: format!("not JSON: {e}"),
                }),
            },
            Err(error) => Err(failed(error)),
        }
    }

    /// Asks a plugin that exports `discovery` what it could act on, in a fresh sandbox with
    /// `grants` and `limits` like an activity call; `None` for a plugin without it. What it reports
    /// is bounded and escaped ([`Discovered::check`]).
    pub async fn discover(
        &self,
        plugin: &Plugin,
        grants: Grants,
        context: Context,
        limits: Limits,
        log: LogSink,
    ) -> Option<Result<Discovered, CallError>> {
        if !plugin.discovers() {
            return None;
        }
        let name = plugin.metadata.name.as_str();
        let (mut store, denials, stdio) = self.store(name, grants, context, limits, log.clone());
        let result = guard(
            name,
            "discover",
            limits,
            &mut store,
            &stdio,
            async |store| {
                let instance = plugin.pre.instantiate_async(&mut *store).await?;
                plugin.exports.discover(store, &instance).await
            },
        )
        .await;
        stdio.forward(&log);
        let denied = denials.lock().unwrap().join("; ");
        Some(match result {
            Err(error) => Err(error),
            Ok(None) => Ok(Discovered::default()),
            Ok(Some(Ok(reported))) => Ok(Discovered::check(reported)),
            Ok(Some(Err(error))) => Err(refusal(name, "discover", &denied, error)),
        })
    }

    /// A fresh store for one call, with the sandbox built from `grants` only.
    fn store(
        &self,
        plugin: &str,
        grants: Grants,
        context: Context,
        limits: Limits,
        log: LogSink,
    ) -> (Store<CallState>, Denials, Stdio) {
        let stdio = Stdio {
            out: capture::Capture::new(STDIO_CAPTURE_BYTES),
            err: capture::Capture::new(STDIO_CAPTURE_BYTES),
        };
        let mut wasi = WasiCtx::builder();
        wasi.stdout(stdio.out.clone()).stderr(stdio.err.clone());
        // The call's clock starts now, and its timeout (started just after) fires no earlier than
        // `deadline` on it.
        let clock = CallClock {
            start: Instant::now(),
        };
        let deadline = clock.at(limits.timeout);
        let deadline_at = clock.start + limits.timeout;
        wasi.monotonic_clock(clock);
        // Only the granted variables, and only those set (as text) in chaosrt's own environment.
        for name in &grants.env {
            if let Ok(value) = std::env::var(name) {
                wasi.env(name, value);
            }
        }
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
            context,
            deadline,
            deadline_at,
            table: ResourceTable::new(),
            http: Default::default(),
            gate: HttpGate {
                plugin: plugin.to_string(),
                grants,
                denials: denials.clone(),
            },
            limits: MemoryCap::new(limits.memory_bytes, self.memory_budget.clone()),
            log,
            log_budget: Default::default(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // A timeout too long to count in ticks never fires, rather than wrapping to a short one.
        let ticks = u64::try_from(limits.timeout.as_millis().div_ceil(EPOCH_TICK.as_millis()))
            .unwrap_or(u64::MAX);
        store.set_epoch_deadline(ticks.max(1));
        store.epoch_deadline_trap();
        (store, denials, stdio)
    }
}

/// Captured guest stdout and stderr.
struct Stdio {
    out: capture::Capture,
    err: capture::Capture,
}

impl Stdio {
    /// Sends what the plugin printed to the run's log, a line at a time.
    fn forward(&self, log: &LogSink) {
        for (pipe, level, name) in [
            (&self.out, Level::Info, "stdout"),
            (&self.err, Level::Warning, "stderr"),
        ] {
            let (text, dropped) = pipe.contents();
            for line in String::from_utf8_lossy(&text)
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                log(level, &crate::escape::clip(line, state::LOG_LINE_BYTES));
            }
            if dropped > 0 {
                log(
                    Level::Warning,
                    &format!(
                        "{dropped} more bytes on {name} were not kept (the first {} KiB are)",
                        STDIO_CAPTURE_BYTES >> 10
                    ),
                );
            }
        }
    }

    /// The last line the plugin wrote to stderr before it trapped: a Rust guest's panic message
    /// (Rust's "note: run with `RUST_BACKTRACE=1`" hint after it is skipped).
    fn stderr_tail(&self) -> String {
        let (text, _) = self.err.contents();
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
    match store.data().limits.refused {
        Some(Refused::Call) => {
            return Err(CallError::MemoryCap {
                plugin: plugin.into(),
                activity: activity.into(),
                cap_mib: limits.memory_bytes >> 20,
            });
        }
        Some(Refused::Budget) => {
            return Err(CallError::MemoryBudget {
                plugin: plugin.into(),
                activity: activity.into(),
                budget_mib: store.data().limits.budget.max_bytes >> 20,
            });
        }
        None => {}
    }
    if let Some(wasmtime::Trap::Interrupt) = error.downcast_ref::<wasmtime::Trap>() {
        return Err(timeout());
    }
    if let Some(too_large) = error.downcast_ref::<bindings::bounded::TooLarge>() {
        return Err(CallError::BadOutput {
            plugin: plugin.into(),
            activity: activity.into(),
            detail: too_large.to_string(),
        });
    }
    // The trap itself says what happened; wasmtime's wasm backtrace of unnamed functions does not help
    // an operator.
    let mut detail = match error.downcast_ref::<wasmtime::Trap>() {
        _ if let Some(overflow) = stack_overflow(&error) => overflow.to_string(),
        Some(trap) => trap.to_string(),
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

/// What to say of a trap that is, or most likely is, a guest that ran out of stack. wasmtime
/// reports its own call stack running out as such. Rust and C guests keep a second stack at the
/// bottom of linear memory, growing down: when it runs out the trap is a bare out-of-bounds access.
/// That one is told by its backtrace, which then holds one call site over and over.
fn stack_overflow(error: &wasmtime::Error) -> Option<&'static str> {
    match error.downcast_ref::<wasmtime::Trap>()? {
        wasmtime::Trap::StackOverflow => Some("stack overflow (the call stack ran out)"),
        wasmtime::Trap::MemoryOutOfBounds => {
            let frames = error.downcast_ref::<wasmtime::WasmBacktrace>()?.frames();
            let site = |f: &wasmtime::FrameInfo| (f.func_index(), f.module_offset());
            let repeats = |s| frames.iter().filter(|f| site(f) == s).count();
            let deepest = frames.iter().map(|f| repeats(site(f))).max()?;
            (deepest >= RECURSION_FRAMES).then_some(
                "stack overflow, most likely: an out-of-bounds memory access deep in a recursion, \
                 which is how a guest's own stack running out shows",
            )
        }
        _ => None,
    }
}

/// How often one call site must recur in a trap's backtrace (wasmtime keeps the innermost 20
/// frames) to call an out-of-bounds access a stack overflow.
const RECURSION_FRAMES: usize = 8;

/// The failure of a call whose plugin returned `error` (its texts already cut to
/// [`ERROR_TEXT_BYTES`] where they were lifted). A refusal the host recorded explains it better
/// than whatever the guest made of wasi-http's bare "request denied".
fn refusal(plugin: &str, activity: &str, denied: &str, error: PluginError) -> CallError {
    let (plugin, activity) = (plugin.to_string(), activity.to_string());
    match error {
        _ if !denied.is_empty() => CallError::Denied {
            plugin,
            activity,
            message: denied.to_string(),
        },
        PluginError::Denied(message) => CallError::Denied {
            plugin,
            activity,
            message,
        },
        PluginError::UnknownActivity(_) => CallError::UnknownActivity { plugin, activity },
        PluginError::InvalidArguments(message) => CallError::InvalidArguments {
            plugin,
            activity,
            message,
        },
        PluginError::Failed(message) => CallError::Failed { message },
    }
}

/// What a component's exports say it was built for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Built {
    contract: Contract,
    /// The version its `chaosrt:plugin/plugin` export names.
    version: String,
    /// Whether it exports `chaosrt:plugin/discovery` too.
    discovers: bool,
}

/// Refuses, before anything is compiled, bytes that are too large, not WebAssembly, a core module
/// rather than a component, or a component that does not export the plugin interface in a contract
/// version this host accepts (naming the version it was built for and the supported range). Only
/// the top level's sections are read: nested modules and components are skipped whole, so this
/// takes microseconds even for a large component.
fn check_contract_version(name: &str, bytes: &[u8]) -> Result<Built, LoadError> {
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
    // The version an export of `interface` names: `Some(None)` for an unversioned one.
    let version_of = |interface: &str| {
        let prefix = format!("{interface}@");
        exports
            .iter()
            .find_map(|export| match export.strip_prefix(&prefix) {
                Some(version) => Some(Some(version.to_string())),
                None if *export == interface => Some(None),
                None => None,
            })
    };
    let unsupported = |found: Option<String>| LoadError::UnsupportedVersion {
        name: name.into(),
        found: crate::escape::escape(&found.unwrap_or_else(|| "(unversioned)".into())).into_owned(),
    };
    let Some(version) = version_of(PLUGIN_INTERFACE) else {
        return Err(LoadError::NotAPlugin { name: name.into() });
    };
    let contract = version
        .as_deref()
        .and_then(Contract::for_version)
        .ok_or_else(|| unsupported(version.clone()))?;
    let version = version.unwrap_or_default();
    let discovers = match version_of(DISCOVERY_INTERFACE) {
        None => false,
        Some(Some(v))
            if contract == Contract::V0_2 && Contract::for_version(&v) == Some(contract) =>
        {
            true
        }
        Some(other) => {
            return Err(LoadError::MixedVersions {
                name: name.into(),
                interface: crate::escape::escape(&match other {
                    Some(v) => format!("{DISCOVERY_INTERFACE}@{v}"),
                    None => DISCOVERY_INTERFACE.to_string(),
                })
                .into_owned(),
                version,
            });
        }
    };
    Ok(Built {
        contract,
        version,
        discovers,
    })
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

/// The component in `bytes`, an artifact of wasmtime's `precompile_component`, when it fits this
/// engine; wasmtime refuses one of another wasmtime version, engine configuration or CPU, and this
/// refuses what is not a component's artifact at all before wasmtime reads it as one.
///
/// Only for artifacts chaosrt's own build made (the built-ins'): wasmtime runs the code in them as
/// it is, so deserializing is `unsafe`, and the caller vouches for where the bytes come from.
#[allow(unsafe_code)]
fn deserialize_precompiled(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    if Engine::detect_precompiled(bytes) != Some(wasmtime::Precompiled::Component) {
        return Err(wasmtime::Error::msg("not a precompiled component"));
    }
    // SAFETY: the callers' bytes are artifacts wasmtime's compiler made (see `Host::load_builtin`);
    // wasmtime checks their header against this engine before using them.
    unsafe { Component::deserialize(engine, bytes) }
}

/// The most calls a host runs at once: a run's background activities (the engine's
/// `BACKGROUND_AT_ONCE`, checked against this at compile time), the activity in the foreground and a continuous hypothesis' probe, with
/// room to spare. One more waits for nothing: it fails, saying the limit was reached.
pub const CALLS_AT_ONCE: u32 = 64;

/// How much of a pooled memory or table a call may have written and still have its slot reset in
/// place ([`pooling`]); past it the rest is handed back to the kernel. The built-ins write a few
/// hundred KiB of their 1.1 MiB memories.
const KEEP_RESIDENT: usize = 2 << 20;

/// Idle slots the pool keeps for the plugins that last used them (wasmtime's default is 100): with
/// [`KEEP_RESIDENT`] each may hold 2 MiB, and a run rarely loads more than a few plugins.
const WARM_SLOTS: u32 = 16;

/// The pooling allocator, sized for plugins: every call instantiates its plugin afresh, and the
/// pool makes that cost a reuse of slots (memories, tables, the async stack) instead of a fresh
/// `mmap` and `munmap` of each, which is most of a no-op call's time. The pool is virtual address
/// space reserved once, not resident memory: a slot keeps at most [`KEEP_RESIDENT`] of the pages
/// its call wrote (see below) and hands the rest back when the call ends; slots kept warm for a
/// plugin without a call running are at most [`WARM_SLOTS`], so what stays resident between calls
/// is bounded whatever the number of plugins.
/// Its limits are far above an honest plugin's: 1,000 core instances at once (a Rust plugin is
/// about four; the store's [`state::MAX_INSTANCES`] still bounds one call), tables of up to 100,000
/// elements (a JavaScript component's is about 8,000) and instances of up to 16 MiB of host state;
/// a component beyond them is refused when it is loaded, with wasmtime's message saying which
/// limit. Memories are capped per call by [`MemoryCap`], below the pool's 4 GiB slots. Async stacks
/// are [`CALLS_AT_ONCE`]: each costs a guard-page `mprotect` when the engine starts, and 1,000 of
/// them (the default) took longer than the rest of a short run's start.
///
/// Where the kernel can say which pages a call wrote (`PAGEMAP_SCAN`, Linux 6.7), a slot is reset
/// by copying back only those, up to [`KEEP_RESIDENT`] of them, instead of handing the whole memory
/// back with `madvise` and faulting it in again on the next call: 13% less CPU per HTTP probe.
/// Without it the default stays, since resetting the first [`KEEP_RESIDENT`] bytes blindly cost
/// more than it saved.
fn pooling() -> wasmtime::InstanceAllocationStrategy {
    let mut pool = wasmtime::PoolingAllocationConfig::new();
    pool.total_stacks(CALLS_AT_ONCE)
        .table_elements(100_000)
        .max_tables_per_module(4)
        .max_memories_per_module(4)
        .max_core_instance_size(16 << 20)
        .max_component_instance_size(16 << 20);
    if wasmtime::PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(wasmtime::Enabled::Yes)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT)
            .max_unused_warm_slots(WARM_SLOTS);
    }
    wasmtime::InstanceAllocationStrategy::Pooling(pool)
}

/// [`deserialize_precompiled`] for an artifact embedded in the binary, without copying it: its code
/// is made executable where it lies, in the binary's read-only segment ([`MprotectCode`]). wasmtime
/// registers code by its address for the whole process, once, so only the first load of each
/// artifact in a process runs in place (a run loads each plugin once); a later one, by this engine
/// or another, is a copy, as is a load the in-place path refuses.
#[allow(unsafe_code)]
fn deserialize_embedded(
    engine: &Engine,
    artifact: chaosrt_builtins::Embedded,
) -> wasmtime::Result<Component> {
    static IN_PLACE: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());
    let bytes = artifact.bytes();
    let first = {
        let mut claimed = IN_PLACE.lock().unwrap_or_else(|e| e.into_inner());
        let at = bytes.as_ptr() as usize;
        !claimed.contains(&at) && {
            claimed.push(at);
            true
        }
    };
    if first && Engine::detect_precompiled(bytes) == Some(wasmtime::Precompiled::Component) {
        // SAFETY: as `deserialize_precompiled`'s (an artifact chaosrt's build made, which wasmtime
        // checks against this engine); and the bytes outlive the component and are never written:
        // an `Embedded` is static data in the binary's read-only segment, aligned for its code to be
        // made executable in place. No other component uses them (`IN_PLACE`).
        let in_place =
            unsafe { Component::deserialize_raw(engine, std::ptr::NonNull::from(bytes)) };
        if let Ok(component) = in_place {
            return Ok(component);
        }
    }
    deserialize_precompiled(engine, bytes)
}

/// How wasmtime makes compiled code executable: `mprotect`, as it does itself, but also for code
/// that lies in memory wasmtime did not map (an [`chaosrt_builtins::Embedded`] artifact), and back
/// to read-only (not writable) when the code is dropped, since that memory may be the binary's.
struct MprotectCode {
    page: usize,
}

impl MprotectCode {
    #[allow(unsafe_code)]
    fn protect(&self, ptr: *const u8, len: usize, prot: libc::c_int) -> wasmtime::Result<()> {
        // SAFETY: wasmtime passes the text range of code memory it holds, aligned to `page`; only
        // its permissions change, never its contents.
        let done = unsafe { libc::mprotect(ptr as *mut libc::c_void, len, prot) };
        if done != 0 {
            return Err(wasmtime::Error::msg(format!(
                "mprotect of compiled code: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }
}

impl wasmtime::CustomCodeMemory for MprotectCode {
    fn required_alignment(&self) -> usize {
        self.page
    }

    fn publish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
        self.protect(ptr, len, libc::PROT_READ | libc::PROT_EXEC)
    }

    fn unpublish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
        self.protect(ptr, len, libc::PROT_READ)
    }
}

/// The host's page size, for [`MprotectCode`].
#[allow(unsafe_code)]
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        size if size > 0 => size as usize,
        _ => 4096,
    }
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
        let fs = chaosrt_builtins::FS.component();
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
    fn each_contract_version_is_served_by_its_own_bindings() {
        let read = |path: &str| std::fs::read(path).unwrap();
        let built = |path: &str| check_contract_version("x", &read(path)).unwrap();
        let legacy = built(chaosrt_test_guests::LEGACY);
        assert_eq!(
            (legacy.contract, legacy.version.as_str(), legacy.discovers),
            (Contract::V0_1, "0.1.0", false)
        );
        let discoverable = built(chaosrt_test_guests::DISCOVERABLE);
        assert_eq!(
            (discoverable.contract, discoverable.discovers),
            (Contract::V0_2, true)
        );
        assert_eq!(discoverable.version, CONTRACT_VERSION);
        let refused = check_contract_version("x", &read(chaosrt_test_guests::FUTURE))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains(&format!(
                "built for chaosrt:plugin@9.0.0, but this chaosrt supports {}",
                supported_contracts()
            )),
            "{refused}"
        );
    }

    #[test]
    fn each_builtins_digest_from_the_build_is_that_of_its_bytes() {
        for builtin in chaosrt_builtins::ALL {
            assert_eq!(
                builtin.sha256(),
                cache::sha256_hex(builtin.component()),
                "{}",
                builtin.name()
            );
        }
    }

    #[tokio::test]
    async fn a_builtin_loads_precompiled_and_an_artifact_that_does_not_fit_is_compiled_instead() {
        let host = Host::new(None).unwrap();
        let log: LogSink = std::sync::Arc::new(|_, _| {});
        let fs = chaosrt_builtins::FS;
        let builtin = host.load_builtin(&fs, log.clone()).await.unwrap();
        assert_eq!(builtin.loaded_from, cache::Origin::Precompiled);
        // Loaded again while the first is alive, by this engine and by another: wasmtime keeps one
        // registration per code address in a process, so these are copies, and they work.
        let again = host.load_builtin(&fs, log.clone()).await.unwrap();
        let other_host = Host::new(None).unwrap();
        let elsewhere = other_host.load_builtin(&fs, log.clone()).await.unwrap();
        for loaded in [&again, &elsewhere] {
            assert_eq!(loaded.loaded_from, cache::Origin::Precompiled);
            assert_eq!(loaded.metadata.name, builtin.metadata.name);
        }
        // An artifact of another engine configuration (no epoch interruption), as a chaosrt built
        // elsewhere would carry for a CPU unlike this one: wasmtime refuses it, so it is compiled.
        let other = Engine::new(&wasmtime::Config::new()).unwrap();
        let foreign = other.precompile_component(fs.component()).unwrap();
        let refused = deserialize_precompiled(&host.engine, &foreign).unwrap_err();
        assert!(format!("{refused:#}").contains("epoch"), "{refused:#}");
        // Bytes that are no artifact at all are refused before wasmtime reads them as one.
        let not_one = fs.component();
        for artifact in [&foreign[..], not_one] {
            let loaded = host
                .load_with(
                    "fs",
                    fs.component(),
                    Compiled::Precompiled(artifact),
                    log.clone(),
                )
                .await
                .unwrap();
            assert_eq!(loaded.loaded_from, cache::Origin::Compiled);
            assert_eq!(loaded.metadata.name, builtin.metadata.name);
            assert_eq!(loaded.sha256, builtin.sha256);
        }
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
