//! One bounded HTTP GET, on rustls with the `ring` provider: what chaosrt fetches from the network
//! (an experiment by URL, a plugin by URL, a manifest, token or layer from an OCI registry). The body
//! is read in chunks and refused as soon as it passes its cap, announced or not, so a server that
//! sends without end stops at the cap, not at memory's end; the whole exchange has a timeout.

use chaosrt_experiment::{FetchPolicy, is_remote_http};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// reqwest's default limit, kept with the custom redirect policy.
const MAX_REDIRECTS: usize = 10;

/// One bounded GET.
pub struct Request<'a> {
    pub url: &'a str,
    /// Extra request headers. An `authorization` header is marked sensitive (never shown in debug
    /// output), and reqwest drops it on a redirect to another host.
    pub headers: Vec<(HeaderName, String)>,
    /// A body longer than this is refused, announced or not.
    pub max_bytes: u64,
    pub timeout: Duration,
    pub policy: FetchPolicy,
    /// What a redirect to plain http on another machine is refused with, when the policy says so.
    pub plain_http_refusal: fn(&str) -> String,
}

/// A response's status, headers and whole body.
pub struct Fetched {
    pub status: reqwest::StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Fetched {
    /// The response's Content-Type, empty when it has none (or one that is not text).
    pub fn content_type(&self) -> String {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

/// Why a [`get`] failed.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    /// The body is larger than the request's `max_bytes`.
    #[error("the response is too large")]
    TooLarge,
}

/// GETs `request.url`, reading the body in chunks so one without a (truthful) length stops at the
/// cap, not at memory's end.
pub async fn get(request: &Request<'_>) -> Result<Fetched, GetError> {
    let client = http_client(request.policy, request.plain_http_refusal)?;
    let mut headers = HeaderMap::new();
    for (name, value) in &request.headers {
        // A value that is not a valid header (a token with a newline, say) is not sent at all.
        if let Ok(mut value) = HeaderValue::from_str(value) {
            value.set_sensitive(name == reqwest::header::AUTHORIZATION);
            headers.insert(name.clone(), value);
        }
    }
    let mut response = client
        .get(request.url)
        .headers(headers)
        .timeout(request.timeout)
        .send()
        .await?;
    if response
        .content_length()
        .is_some_and(|n| n > request.max_bytes)
    {
        return Err(GetError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > request.max_bytes {
            return Err(GetError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        status: response.status(),
        headers: response.headers().clone(),
        body,
    })
}

/// The process-wide rustls provider, `ring`: reqwest is built without one of its own (its default,
/// aws-lc-rs, would add a C build), and clients that do not take a preconfigured TLS setup (the OCI
/// client) find it here. Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client on rustls with the `ring` provider, which the workspace already builds for
/// wasmtime-wasi-http, and the platform's certificate verifier as reqwest's default TLS setup uses.
/// `localhost` is this machine's loopback, never a name the network answers for, and a redirect may
/// not go where the policy would not fetch.
fn http_client(
    policy: FetchPolicy,
    plain_http_refusal: fn(&str) -> String,
) -> Result<reqwest::Client, reqwest::Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = if policy.verify_tls {
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_platform_verifier())
            .map(|builder| builder.with_no_client_auth())
    } else {
        crate::tls::unverified_client_config()
    };
    let loopback = [
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0),
        SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 0),
    ];
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if !policy.allow_http && is_remote_http(attempt.url()) {
            let refused = plain_http_refusal(attempt.url().as_str());
            attempt.error(refused)
        } else if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    });
    let builder = reqwest::Client::builder()
        .resolve_to_addrs("localhost", &loopback)
        .redirect(redirects);
    match tls {
        Ok(tls) => builder.tls_backend_preconfigured(tls),
        // Leaves reqwest to report the TLS setup failure when the client is built.
        Err(_) => builder,
    }
    .build()
}
