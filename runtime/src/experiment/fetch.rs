//! Fetching an experiment by URL, the one part of loading that needs the network (reqwest on
//! rustls/ring); what a source is, what may be fetched and how its body is read are the experiment
//! crate's ([`chaosrt_experiment::locate`], [`parse_body`]). The bounded GET under it ([`get`]) also
//! fetches the plugins `chaosrt plugin install URL` installs.

use chaosrt_experiment::{
    BEARER_TOKEN_VAR, FetchPolicy, LoadError, Loaded, Location, MAX_FETCHED_BYTES, is_remote_http,
    load_file, locate, parse_body,
};
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// reqwest's default limit, kept with the custom redirect policy.
const MAX_REDIRECTS: usize = 10;

/// How long fetching an experiment may take. Chaos Toolkit waits forever; a run should not hang
/// before it starts.
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// Loads `source`: an existing local path, else an `http(s)://` URL, as `policy` allows.
pub async fn load_source(source: &str, policy: FetchPolicy) -> Result<Loaded, LoadError> {
    match locate(source, policy)? {
        Location::File(path) => load_file(path).map(|document| Loaded {
            document,
            url: None,
        }),
        Location::Url(url) => {
            let token = std::env::var(BEARER_TOKEN_VAR).ok();
            let document = fetch(url, token.as_deref(), policy).await?;
            Ok(Loaded {
                document,
                url: Some(url.to_string()),
            })
        }
    }
}

/// GET `url` as Chaos Toolkit does (with `Authorization: bearer <token>` when there is a token) and
/// parse the body by its Content-Type.
async fn fetch(
    url: &str,
    bearer_token: Option<&str>,
    policy: FetchPolicy,
) -> Result<Value, LoadError> {
    let request = Request {
        url,
        accept: "application/json, application/x-yaml",
        bearer_token,
        max_bytes: MAX_FETCHED_BYTES,
        timeout: FETCH_TIMEOUT,
        policy,
        plain_http_refusal: |url| LoadError::PlainHttp(url.to_string()).to_string(),
    };
    let fetched = get(&request).await.map_err(|e| match e {
        GetError::TooLarge => LoadError::TooLarge {
            url: url.to_string(),
        },
        GetError::Request(source) => LoadError::Fetch {
            url: url.to_string(),
            source: source.into(),
        },
    })?;
    let body = String::from_utf8_lossy(&fetched.body).into_owned();
    if fetched.status != reqwest::StatusCode::OK {
        return Err(LoadError::Status {
            status: fetched.status.as_u16(),
            body,
        });
    }
    parse_body(&body, &fetched.content_type, url)
}

/// One bounded GET: what chaosrt fetches by URL (an experiment, a plugin to install).
pub struct Request<'a> {
    pub url: &'a str,
    pub accept: &'a str,
    pub bearer_token: Option<&'a str>,
    /// A body longer than this is refused, announced or not.
    pub max_bytes: u64,
    pub timeout: Duration,
    pub policy: FetchPolicy,
    /// What a redirect to plain http on another machine is refused with, when the policy says so.
    pub plain_http_refusal: fn(&str) -> String,
}

/// A response's status, type and whole body.
pub struct Fetched {
    pub status: reqwest::StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
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
    let mut builder = client
        .get(request.url)
        .header(reqwest::header::ACCEPT, request.accept)
        .timeout(request.timeout);
    if let Some(token) = request.bearer_token.filter(|t| !t.is_empty()) {
        builder = builder.header(
            reqwest::header::AUTHORIZATION,
            format!("bearer {}", token.trim()),
        );
    }
    let mut response = builder.send().await?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
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
        status,
        content_type,
        body,
    })
}

/// A client on rustls with the `ring` provider, which the workspace already builds for
/// wasmtime-wasi-http (reqwest's default provider, aws-lc-rs, would add a C build), and the
/// platform's certificate verifier as reqwest's default TLS setup uses. `localhost` is this
/// machine's loopback, never a name the network answers for, and a redirect may not go where the
/// policy would not fetch.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    const STRICT: FetchPolicy = FetchPolicy {
        verify_tls: true,
        allow_http: false,
    };

    #[tokio::test]
    async fn plain_http_from_another_machine_is_refused_redirects_too() {
        // TEST-NET-1: nothing is ever contacted, the refusal comes first.
        let err = load_source("http://192.0.2.1/e.json", STRICT)
            .await
            .unwrap_err();
        assert!(matches!(err, LoadError::PlainHttp(_)), "{err}");
        assert!(
            err.to_string()
                .ends_with("Use https, or pass --allow-http-source if you trust the network"),
            "{err}"
        );
        let (url, server) = serve_once(
            "302 Found",
            "text/plain\r\nLocation: http://192.0.2.1/e.json",
            "",
        );
        let err = load_source(&url, STRICT).await.unwrap_err();
        let chain = format!("{:?}", std::error::Error::source(&err));
        assert!(
            chain.contains("refusing to fetch the experiment from http://192.0.2.1/e.json"),
            "{chain}"
        );
        server.join().unwrap();
    }

    /// Serves one HTTP response on a loopback port and returns the URL and the request it read.
    fn serve_once(
        status: &str,
        content_type: &str,
        body: &str,
    ) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/e", listener.local_addr().unwrap());
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            stream.write_all(response.as_bytes()).unwrap();
            String::from_utf8_lossy(&request).to_lowercase()
        });
        (url, handle)
    }

    #[tokio::test]
    async fn urls_are_parsed_by_content_type() {
        let cases = [
            (
                "application/json; charset=utf-8",
                "{\"title\": \"j\"}",
                json!({"title": "j"}),
            ),
            ("application/x-yaml", "title: y\n", json!({"title": "y"})),
            ("text/yaml", "title: on\n", json!({"title": true})),
            ("text/plain", "{\"title\": \"p\"}", json!({"title": "p"})),
            ("text/plain", "title: p\n", json!({"title": "p"})),
        ];
        for (content_type, body, expected) in cases {
            let (url, server) = serve_once("200 OK", content_type, body);
            assert_eq!(
                load_source(&url, STRICT).await.unwrap().document,
                expected,
                "{content_type}"
            );
            let request = server.join().unwrap();
            assert!(
                request.contains("accept: application/json, application/x-yaml"),
                "{request}"
            );
        }
        let (url, server) = serve_once("200 OK", "application/json", "{}");
        fetch(&url, Some(" tok \n"), STRICT).await.unwrap();
        let request = server.join().unwrap();
        assert!(
            request.contains("authorization: bearer tok\r\n"),
            "{request}"
        );
        let (url, server) = serve_once("200 OK", "text/html", "<html/>");
        let err = load_source(&url, STRICT).await.unwrap_err().to_string();
        assert!(
            err.contains("cannot read a response of Content-Type 'text/html'"),
            "{err}"
        );
        server.join().unwrap();
        let (url, server) = serve_once("404 Not Found", "text/plain", "nope");
        let err = load_source(&url, STRICT).await.unwrap_err().to_string();
        assert_eq!(err, "Failed to fetch the experiment: 404: nope");
        server.join().unwrap();
        let (url, server) = serve_once("200 OK", "application/json", "{\"a\": }");
        let err = load_source(&url, STRICT).await.unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{url}:1:7: invalid JSON: ")),
            "{err}"
        );
        server.join().unwrap();
    }
}
