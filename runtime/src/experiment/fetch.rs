//! Fetching an experiment by URL, the one part of loading that needs the network (reqwest on
//! rustls/ring); what a source is, what may be fetched and how its body is read are the experiment
//! crate's ([`chaosrt_experiment::locate`], [`parse_body`]); the bounded GET under it is
//! [`crate::download`].

use crate::download::{GetError, Request, get};
use chaosrt_experiment::{
    BEARER_TOKEN_VAR, FetchPolicy, LoadError, Loaded, Location, MAX_FETCHED_BYTES, load_file,
    locate, parse_body,
};
use serde_json::Value;
use std::time::Duration;

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
    let mut headers = vec![(
        reqwest::header::ACCEPT,
        "application/json, application/x-yaml".to_string(),
    )];
    if let Some(token) = bearer_token.filter(|t| !t.is_empty()) {
        headers.push((
            reqwest::header::AUTHORIZATION,
            format!("bearer {}", token.trim()),
        ));
    }
    let request = Request {
        url,
        headers,
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
    let content_type = fetched.content_type();
    let body = String::from_utf8_lossy(&fetched.body).into_owned();
    if fetched.status != reqwest::StatusCode::OK {
        return Err(LoadError::Status {
            status: fetched.status.as_u16(),
            body,
        });
    }
    parse_body(&body, &content_type, url)
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
