//! What the sandbox costs per activity, through the host's public API (what `chaosrt run` calls):
//!
//! - a fresh instance and a call of the `noop` test guest (a probe that does nothing): the floor of
//!   every activity;
//! - an HTTP GET through the built-in `http` plugin, and the same GET made natively with reqwest, both
//!   against one loopback server and both on a new connection per request (wasi-http opens one per
//!   request, so a pooled native client would not be the same request);
//! - loading the built-in `http` plugin from its form precompiled into the binary, and by compiling
//!   it (a host without a compile cache).
//!
//! `cargo bench -p chaosrt --bench sandbox [-- ITERATIONS]`. Prints one line per measure: the median
//! and the 10th and 90th percentiles. No criterion: it would add a long build for what a sorted vector
//! of timings says well enough on a noisy machine.

use chaosrt::host::cache::Origin;
use chaosrt::host::{Call, Context, Grants, Host, Limits, LogSink, Plugin};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../../bench/okserver.rs"]
mod okserver;

const DEFAULT_ITERATIONS: usize = 2000;

fn main() {
    let iterations = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(DEFAULT_ITERATIONS);
    // One thread, as the `chaosrt` binary runs; the server has a thread of its own (`serve_ok`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(bench(iterations));
}

async fn bench(iterations: usize) {
    let host = Host::new(None).expect("the engine starts");
    let log: LogSink = Arc::new(|_, _| {});
    let noop_bytes = std::fs::read(chaosrt_test_guests::NOOP).expect("the noop guest is built");
    let noop = host
        .load("noop", &noop_bytes, log.clone())
        .await
        .expect("noop loads");
    let http = chaosrt_builtins::HTTP;
    let http_plugin = host
        .load_builtin(&http, log.clone())
        .await
        .expect("http loads");

    report(
        "fresh instance + no-op call",
        time_each(iterations, async || {
            call(&host, &noop, "noop", "{}", Grants::default(), &log).await;
        })
        .await,
    );

    let url = serve_ok();
    let grants = Grants {
        http: vec![chaosrt::host::Origin::parse(&url).expect("a loopback origin")],
        ..Grants::default()
    };
    let arguments = serde_json::json!({ "url": url }).to_string();
    let client = native_client();
    let http_iterations = iterations.div_ceil(4);
    let mut through_plugin = Vec::with_capacity(http_iterations);
    let mut native = Vec::with_capacity(http_iterations);
    // Alternating, so both see the same machine load.
    for _ in 0..http_iterations {
        let start = Instant::now();
        call(
            &host,
            &http_plugin,
            "request",
            &arguments,
            grants.clone(),
            &log,
        )
        .await;
        through_plugin.push(start.elapsed());
        let start = Instant::now();
        let response = client.get(&url).send().await.expect("the native GET");
        assert!(response.status().is_success());
        response.text().await.expect("the native body");
        native.push(start.elapsed());
    }
    let (plugin_median, native_median) = (median(&through_plugin), median(&native));
    report("HTTP GET through the http plugin", through_plugin);
    report("HTTP GET natively (reqwest)", native);
    println!(
        "plugin / native HTTP GET: {:.2}x",
        plugin_median.as_secs_f64() / native_median.as_secs_f64()
    );

    let (mut precompiled, mut compiled) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let start = Instant::now();
        let plugin = host.load_builtin(&http, log.clone()).await.expect("loads");
        precompiled.push(start.elapsed());
        assert_eq!(plugin.loaded_from, Origin::Precompiled, "not precompiled");
        let start = Instant::now();
        host.load("http", http.component(), log.clone())
            .await
            .expect("compiles");
        compiled.push(start.elapsed());
    }
    report("load http, precompiled into the binary", precompiled);
    report("load http, compiled", compiled);
}

/// One call that must succeed.
async fn call(
    host: &Host,
    plugin: &Plugin,
    activity: &str,
    arguments: &str,
    grants: Grants,
    log: &LogSink,
) {
    let call = Call {
        activity,
        arguments,
        context: Context::default(),
        grants,
        limits: Limits::default(),
    };
    if let Err(e) = host.invoke(plugin, call, log.clone()).await {
        panic!("{activity} failed: {e}");
    }
}

async fn time_each(iterations: usize, mut body: impl AsyncFnMut()) -> Vec<Duration> {
    // Warm up: first calls fault in code and the allocator's pages.
    for _ in 0..iterations.div_ceil(10) {
        body().await;
    }
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        body().await;
        times.push(start.elapsed());
    }
    times
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{what}: median {:.1} µs (p10 {:.1}, p90 {:.1}; {} runs)",
        us(at(0.5)),
        us(at(0.1)),
        us(at(0.9)),
        times.len()
    );
}

/// The loopback server compare.py uses too (`bench/okserver.rs`), on a thread of its own as a real
/// server is not on the measured thread; its URL.
fn serve_ok() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || okserver::serve(listener));
    url
}

/// reqwest on the ring provider, as chaosrt builds it, with no idle connections kept: a new
/// connection per request, as the plugin's.
fn native_client() -> reqwest::Client {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .pool_max_idle_per_host(0)
        .build()
        .expect("a reqwest client")
}
