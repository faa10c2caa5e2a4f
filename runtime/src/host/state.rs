//! Per-call store state: the WASI context built from grants, the HTTP gate, limits, captured logs and
//! what the call may learn from the host.
//!
//! One `CallState` lives in one `Store` for exactly one activity call, then is thrown away, so nothing a
//! plugin did in one call (or a trap it hit) can leak into the next. The host interfaces of every
//! contract version are implemented here on the same state, so a 0.1.0 plugin's `log` and a 0.2
//! plugin's `log` and `context` serve the same data.

use super::bindings::{v0_1, v0_2};
use super::policy::{Grants, Origin};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// The level of a plugin's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
}

/// Where plugin log lines (and captured stdout/stderr) go: the run's console log.
pub type LogSink = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// What one call may learn from the host: contract 0.2's `context` functions, and the `context`
/// record of 0.1.0 (configuration and secrets only).
#[derive(Debug, Clone)]
pub struct Context {
    /// The experiment's resolved configuration, a JSON object as text.
    pub configuration: String,
    /// The secrets given to this call, `{scope: {key: value}}` as JSON text.
    pub secrets: String,
    /// The activity's name in the experiment.
    pub activity_name: String,
    /// The run's identifier.
    pub run_id: String,
}

impl Default for Context {
    /// What a call outside a run learns (`metadata`, `discover`): empty objects and names.
    fn default() -> Self {
        Context {
            configuration: "{}".into(),
            secrets: "{}".into(),
            activity_name: String::new(),
            run_id: String::new(),
        }
    }
}

/// The state behind one activity call.
pub struct CallState {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) http: WasiHttpCtx,
    pub(super) gate: HttpGate,
    pub(super) limits: MemoryCap,
    pub(super) log: LogSink,
    pub(super) log_budget: LogBudget,
    pub(super) context: Context,
    /// When the call's timeout fires, in nanoseconds of the call's monotonic clock ([`CallClock`]).
    pub(super) deadline: u64,
    /// The same instant on the host's clock.
    pub(super) deadline_at: Instant,
}

/// The monotonic clock a call sees through `wasi:clocks/monotonic-clock`: nanoseconds since its
/// store was made. The host makes it, rather than taking wasmtime-wasi's, so that it knows which
/// instant of that clock the call's deadline is.
pub struct CallClock {
    pub(super) start: Instant,
}

impl CallClock {
    /// The instant of this clock `after` its start.
    pub fn at(&self, after: Duration) -> u64 {
        u64::try_from(after.as_nanos()).unwrap_or(u64::MAX)
    }
}

impl wasmtime_wasi::HostMonotonicClock for CallClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        self.at(self.start.elapsed())
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.gate,
        }
    }
}

/// How much one call may write to the run's log through `log`: a plugin cannot flood the console,
/// the log file or the disk. Each message is cut to [`LOG_LINE_BYTES`], and once a call has written
/// [`LOG_CALL_BYTES`] or [`LOG_CALL_MESSAGES`] messages (each line costs its timestamp and prefix
/// too, however short) its further messages are dropped, with one warning saying so.
pub const LOG_LINE_BYTES: usize = 16 << 10;
pub const LOG_CALL_BYTES: usize = 1 << 20;
pub const LOG_CALL_MESSAGES: usize = 10_000;

/// What is left of a call's log allowance.
pub struct LogBudget {
    left: usize,
    messages_left: usize,
    exhausted: bool,
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget {
            left: LOG_CALL_BYTES,
            messages_left: LOG_CALL_MESSAGES,
            exhausted: false,
        }
    }
}

impl CallState {
    /// Sends one plugin message to the log within the call's budget.
    fn emit(&mut self, level: Level, message: &str) {
        if self.log_budget.exhausted {
            return;
        }
        if self.log_budget.left == 0 || self.log_budget.messages_left == 0 {
            self.log_budget.exhausted = true;
            (self.log)(
                Level::Warning,
                &format!(
                    "this call wrote {} to the log; its further log messages are dropped",
                    if self.log_budget.left == 0 {
                        format!("{} MiB", LOG_CALL_BYTES >> 20)
                    } else {
                        format!("{LOG_CALL_MESSAGES} messages")
                    }
                ),
            );
            return;
        }
        let message = crate::escape::clip(message, LOG_LINE_BYTES.min(self.log_budget.left));
        self.log_budget.left = self.log_budget.left.saturating_sub(message.len());
        self.log_budget.messages_left -= 1;
        (self.log)(level, &message);
    }
}

impl v0_2::log::Host for CallState {
    fn log(&mut self, level: v0_2::log::Level, message: String) {
        self.emit(level.into(), &message);
    }
}

impl v0_1::log::Host for CallState {
    fn log(&mut self, level: v0_1::log::Level, message: String) {
        self.emit(level.into(), &message);
    }
}

impl v0_2::context::Host for CallState {
    fn configuration(&mut self) -> String {
        self.context.configuration.clone()
    }

    fn secrets(&mut self) -> String {
        self.context.secrets.clone()
    }

    fn activity_name(&mut self) -> String {
        self.context.activity_name.clone()
    }

    fn run_id(&mut self) -> String {
        self.context.run_id.clone()
    }

    fn deadline(&mut self) -> u64 {
        self.deadline
    }
}

/// The Kubernetes API through the host: checked against the call's grant, sent with the host's
/// credentials, within the call's deadline. A refusal is also recorded, so the call's error says it
/// even if the plugin words it otherwise.
impl v0_2::kubernetes::Host for CallState {
    async fn send(
        &mut self,
        request: v0_2::kubernetes::Request,
    ) -> Result<v0_2::kubernetes::Response, v0_2::kubernetes::Error> {
        let call = super::kubernetes::KubeCall {
            plugin: &self.gate.plugin,
            grants: &self.gate.grants.kubernetes,
            secrets: &self.context.secrets,
            deadline: self.deadline_at,
        };
        let result = super::kubernetes::send(call, request).await;
        if let Err(v0_2::kubernetes::Error::Denied(message)) = &result {
            self.gate.denials.lock().unwrap().push(message.clone());
        }
        result
    }
}

impl v0_2::types::Host for CallState {}

/// Refusals recorded during a call, so the host's error can say what was refused and how to grant it;
/// the guest itself only sees wasi-http's bare `HTTP-request-denied`.
pub type Denials = Arc<Mutex<Vec<String>>>;

/// The outbound-HTTP allow-list, checked before any connection is attempted.
pub struct HttpGate {
    pub(super) plugin: String,
    pub(super) grants: Grants,
    pub(super) denials: Denials,
}

impl WasiHttpHooks for HttpGate {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> SendFuture {
        _ = fut;
        let allowed = Origin::of_uri(request.uri()).filter(|o| self.grants.allows_http(o));
        if allowed.is_none() {
            let target = Origin::of_uri(request.uri())
                .map(|o| o.to_string())
                .unwrap_or_else(|| request.uri().to_string());
            self.denials.lock().unwrap().push(format!(
                "plugin '{}' is not granted outbound HTTP to {target}; it needs the capability \
                 `http-origin: {target}` (built-in http calls may reach only the URL the activity \
                 names)",
                self.plugin
            ));
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        let insecure =
            Origin::of_uri(request.uri()).is_some_and(|o| self.grants.allows_insecure_tls(&o));
        Box::new(async move {
            use http_body_util::BodyExt;
            if insecure {
                return super::insecure_tls::send(request, options).await;
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as IoFuture,
            ))
        })
    }
}

/// The future wasi-http polls for errors on the request side of an exchange.
pub type IoFuture = Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>;

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (http::Response<wasmtime_wasi_http::WasiBody>, IoFuture),
                wasmtime_wasi_http::Error,
            >,
        > + Send,
>;

/// The memory cap for one call, over everything the call's store holds: every linear memory and
/// table of every instance a component makes, so splitting an allocation across memories or
/// instances gains nothing. Each byte is also taken from the process-wide [`MemoryBudget`], so
/// calls running at once (background activities) cannot add up to more than it. Remembers that it
/// refused a grow so the error can say so plainly instead of as a bare trap.
pub struct MemoryCap {
    pub(super) max_bytes: usize,
    /// Bytes of memories and tables the call holds now (also held in `budget`).
    pub(super) used: usize,
    pub(super) refused: Option<Refused>,
    pub(super) budget: Arc<MemoryBudget>,
}

/// Which limit a refused grow hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The call's own cap.
    Call,
    /// The budget shared by every call running at once.
    Budget,
}

/// The memory all plugin calls of the process may hold at once: without it, per-call caps multiply
/// with concurrency (twenty background calls of 200 MiB each took 4 GB).
#[derive(Debug)]
pub struct MemoryBudget {
    pub max_bytes: usize,
    used: std::sync::atomic::AtomicUsize,
}

/// [`MemoryBudget`] of a host: four calls at the default per-call cap.
pub const MEMORY_BUDGET_BYTES: usize = 1 << 30;

impl MemoryBudget {
    pub fn new(max_bytes: usize) -> MemoryBudget {
        MemoryBudget {
            max_bytes,
            used: Default::default(),
        }
    }

    /// Bytes held by calls now.
    #[cfg(test)]
    pub fn used(&self) -> usize {
        self.used.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn take(&self, bytes: usize) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        self.used
            .fetch_update(SeqCst, SeqCst, |used| {
                used.checked_add(bytes)
                    .filter(|&total| total <= self.max_bytes)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.used
            .fetch_sub(bytes, std::sync::atomic::Ordering::SeqCst);
    }
}

/// What one table element is counted as: a function or resource reference, two words.
pub const TABLE_ELEMENT_BYTES: usize = 16;

/// Instances, memories and tables one call may create. A component is a handful of core instances
/// (the plugin, the WASI adapter, shims); these are far beyond any honest plugin, and each one
/// costs the host bookkeeping whatever its size.
pub const MAX_INSTANCES: usize = 100;
pub const MAX_MEMORIES: usize = 100;
pub const MAX_TABLES: usize = 100;

impl MemoryCap {
    pub fn new(max_bytes: usize, budget: Arc<MemoryBudget>) -> MemoryCap {
        MemoryCap {
            max_bytes,
            used: 0,
            refused: None,
            budget,
        }
    }

    /// Takes `more` bytes from the call's allowance and the shared budget, or records the refusal.
    fn grow(&mut self, more: usize) -> wasmtime::Result<bool> {
        let total = self.used.saturating_add(more);
        if total > self.max_bytes {
            self.refused = Some(Refused::Call);
            wasmtime::bail!("memory cap of {} bytes exceeded", self.max_bytes);
        }
        if !self.budget.take(more) {
            self.refused = Some(Refused::Budget);
            wasmtime::bail!(
                "the memory budget of {} bytes for all calls at once is exhausted",
                self.budget.max_bytes
            );
        }
        self.used = total;
        Ok(true)
    }
}

impl Drop for MemoryCap {
    /// The store is gone with its memories: what it held is free for other calls.
    fn drop(&mut self) {
        self.budget.give_back(self.used);
    }
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.grow(desired.saturating_sub(current))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.grow(
            desired
                .saturating_sub(current)
                .saturating_mul(TABLE_ELEMENT_BYTES),
        )
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ResourceLimiter;

    #[test]
    fn the_memory_cap_counts_every_memory_and_table_of_the_call_together() {
        let budget = || Arc::new(MemoryBudget::new(1 << 30));
        let mut cap = MemoryCap::new(10 << 20, budget());
        // Two memories of 4 MiB each fit; a third does not, though each alone is under the cap.
        assert!(cap.memory_growing(0, 4 << 20, None).unwrap());
        assert!(cap.memory_growing(0, 4 << 20, None).unwrap());
        assert!(cap.memory_growing(0, 4 << 20, None).is_err());
        assert_eq!(cap.refused, Some(Refused::Call));
        // Growing an existing memory counts only what it adds; tables count per element.
        let mut cap = MemoryCap::new(10 << 20, budget());
        assert!(cap.memory_growing(0, 4 << 20, None).unwrap());
        assert!(cap.memory_growing(4 << 20, 8 << 20, None).unwrap());
        assert_eq!(cap.used, 8 << 20);
        let elements = (2 << 20) / TABLE_ELEMENT_BYTES;
        assert!(cap.table_growing(0, elements, None).unwrap());
        assert!(cap.table_growing(elements, elements + 1, None).is_err());
        assert_eq!(cap.used, 10 << 20);
    }

    #[test]
    fn calls_at_once_share_one_budget_and_give_it_back_when_they_end() {
        let budget = Arc::new(MemoryBudget::new(10 << 20));
        let mut first = MemoryCap::new(8 << 20, budget.clone());
        let mut second = MemoryCap::new(8 << 20, budget.clone());
        assert!(first.memory_growing(0, 6 << 20, None).unwrap());
        // Under its own cap, but the two together would pass the budget.
        assert!(second.memory_growing(0, 6 << 20, None).is_err());
        assert_eq!(second.refused, Some(Refused::Budget));
        assert!(second.memory_growing(0, 4 << 20, None).unwrap());
        assert_eq!(budget.used(), 10 << 20);
        drop(first);
        assert_eq!(budget.used(), 4 << 20);
        let mut third = MemoryCap::new(8 << 20, budget.clone());
        assert!(third.memory_growing(0, 6 << 20, None).unwrap());
        drop((second, third));
        assert_eq!(budget.used(), 0);
    }
}
