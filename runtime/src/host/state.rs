//! Per-call store state: the WASI context built from grants, the HTTP gate, limits and captured logs.
//!
//! One `CallState` lives in one `Store` for exactly one activity call, then is thrown away, so nothing a
//! plugin did in one call (or a trap it hit) can leak into the next.

use super::bindings::{Level, chaosrt::plugin::log};
use super::policy::{Grants, Origin};
use std::sync::{Arc, Mutex};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// Where plugin log lines (and captured stdout/stderr) go: the run's console log.
pub type LogSink = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// The state behind one activity call.
pub struct CallState {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) http: WasiHttpCtx,
    pub(super) gate: HttpGate,
    pub(super) limits: MemoryCap,
    pub(super) log: LogSink,
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

impl log::Host for CallState {
    fn log(&mut self, level: Level, message: String) {
        (self.log)(level, &message);
    }
}

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
                "plugin '{}' is not granted outbound HTTP to {target}; grant it with the capability \
                 `http: {target}` (built-in http calls may reach only the URL the activity names)",
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

/// The memory cap for one call. Remembers that it refused a grow so the error can say so plainly
/// instead of as a bare trap.
pub struct MemoryCap {
    pub(super) max_bytes: usize,
    pub(super) refused: Option<usize>,
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.refused = Some(desired);
            wasmtime::bail!("memory cap of {} bytes exceeded", self.max_bytes);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million entries is far beyond any honest plugin.
        Ok(desired <= 1_000_000)
    }
}
