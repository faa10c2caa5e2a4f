//! A small blocking HTTP client over `wasi:http/outgoing-handler`.
//!
//! Built on the raw `wasip2` bindings rather than an async WASI HTTP crate: measured here, `wstd` gave
//! about 0.5% spurious "connection reset" failures while the raw bindings gave none, and an activity is
//! one blocking call anyway.
//!
//! Every request goes through the host, which checks it against the plugin's HTTP grants before it
//! connects; a refusal comes back as [`HttpError::Denied`]. The client sends exactly one request: it does
//! not follow redirects or retry, so the caller decides what a redirect may reach.
//!
//! ```no_run
//! use chaosrt_sdk::http::{self, Request};
//! use std::time::Duration;
//!
//! let response = http::request(&Request::get("http://localhost:8080/health").timeout(Duration::from_secs(3)))?;
//! println!("{} {}", response.status, response.text());
//! # Ok::<(), chaosrt_sdk::http::HttpError>(())
//! ```

mod encode;
mod url;

pub use encode::{form_urlencode, percent_encode};
pub use url::{Scheme, Url};

use std::time::Duration;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, HeaderError, IncomingBody, IncomingResponse, Method,
    OutgoingBody, OutgoingRequest, RequestOptions,
};
use wasip2::io::streams::{InputStream, StreamError};

/// One HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, e.g. `GET`; sent as written.
    pub method: String,
    /// An absolute `http://` or `https://` URL.
    pub url: String,
    /// Header names and values, sent in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// The body, if any. `Content-Length` is added when the headers do not set it.
    pub body: Option<Vec<u8>>,
    /// How long each phase may take: connecting, waiting for the first response byte, and waiting
    /// between two body chunks. `None` leaves the host's defaults.
    pub timeout: Option<Duration>,
    /// A different limit for connecting only (Chaos Toolkit's `(connect, read)` timeout pair), overriding
    /// `timeout` for that phase.
    pub connect_timeout: Option<Duration>,
}

impl Request {
    /// A request with no headers, body or timeout.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: None,
            connect_timeout: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets the timeout of every phase: connecting, the first response byte, each later body chunk.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// The response to a request, body included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code. 4xx and 5xx are responses like any other, not errors.
    pub status: u16,
    /// Header names (lower-case, as the host's HTTP stack gives them) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text; invalid UTF-8 becomes U+FFFD rather than an error, because a probe that shows
    /// a slightly mangled body is more useful than one that fails.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request produced no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The host refused the request (`wasi:http` `HTTP-request-denied`): the plugin was not granted
    /// that origin.
    #[error("{0}")]
    Denied(String),
    /// Connecting, the first response byte or the next body chunk took longer than allowed.
    #[error("the request timed out")]
    Timeout,
    /// The connection could not be made or broke down: refused, DNS failure, TLS failure, reset.
    #[error("{0}")]
    Connect(String),
    /// The URL cannot be requested.
    #[error("invalid URL {0}")]
    InvalidUrl(String),
    /// A header name or value cannot be sent.
    #[error("{0}")]
    InvalidHeader(String),
    /// Anything else the host reported.
    #[error("{0}")]
    Other(String),
}

/// An activity that lets a request's error through with `?` fails as the contract says: a refused origin
/// is [`Error::Denied`](crate::Error::Denied), anything else [`Error::Failed`](crate::Error::Failed)
/// with the error's text. Map the error yourself to add the URL or Chaos Toolkit's wording.
impl From<HttpError> for crate::Error {
    fn from(err: HttpError) -> Self {
        match err {
            HttpError::Denied(detail) => Self::Denied(detail),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// Sends a `GET` request to `url`, with no headers or timeout, and waits for the whole response.
pub fn get(url: impl Into<String>) -> Result<Response, HttpError> {
    request(&Request::get(url))
}

/// Sends `req` and waits for the whole response.
pub fn request(req: &Request) -> Result<Response, HttpError> {
    let url = Url::parse(&req.url)?;
    let outgoing = OutgoingRequest::new(request_headers(req)?);
    outgoing
        .set_method(&method(&req.method))
        .map_err(|()| HttpError::Other(format!("the host refused the method `{}`", req.method)))?;
    let scheme = match url.scheme() {
        Scheme::Http => wasip2::http::types::Scheme::Http,
        Scheme::Https => wasip2::http::types::Scheme::Https,
    };
    outgoing
        .set_scheme(Some(&scheme))
        .and_then(|()| outgoing.set_authority(Some(url.authority())))
        .and_then(|()| outgoing.set_path_with_query(Some(url.path_and_query())))
        .map_err(|()| HttpError::InvalidUrl(format!("`{url}`: refused by the host")))?;
    // The body handle must be taken before `handle` consumes the request; it is written afterwards so
    // the host is already reading it and a large body cannot fill the pipe and block.
    let body = match &req.body {
        Some(bytes) => Some((
            outgoing
                .body()
                .map_err(|()| other("the request body was already taken"))?,
            bytes,
        )),
        None => None,
    };
    let future = outgoing_handler::handle(outgoing, Some(request_options(req)?))
        .map_err(|code| classify(code, &url))?;
    if let Some((body, bytes)) = body {
        // A failed write leaves the body unfinished, so the host fails the request and the response
        // future below reports why; that error says more than the write's own.
        let _ = write_body(body, bytes);
    }
    let response = wait_for(&future).map_err(|code| classify(code, &url))?;
    read_response(response, &url)
}

/// Builds the request's header fields, adding `Content-Length` for a body.
fn request_headers(req: &Request) -> Result<Fields, HttpError> {
    let fields = Fields::new();
    for (name, value) in &req.headers {
        fields
            .append(name, value.as_bytes())
            .map_err(|err| header_error(name, err))?;
    }
    if let Some(body) = &req.body {
        let has_length = req
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-length"));
        if !has_length {
            fields
                .append("content-length", body.len().to_string().as_bytes())
                .map_err(|err| header_error("content-length", err))?;
        }
    }
    Ok(fields)
}

fn header_error(name: &str, err: HeaderError) -> HttpError {
    HttpError::InvalidHeader(match err {
        HeaderError::InvalidSyntax => format!("header `{name}` has an invalid name or value"),
        HeaderError::Forbidden => {
            format!("header `{name}` cannot be set by a plugin (the host forbids it)")
        }
        HeaderError::Immutable => format!("header `{name}` cannot be changed"),
    })
}

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    }
}

fn request_options(req: &Request) -> Result<RequestOptions, HttpError> {
    let options = RequestOptions::new();
    let nanos = |duration: Duration| u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    let refused = |()| other("the host does not support request timeouts");
    if let Some(connect) = req.connect_timeout.or(req.timeout) {
        options
            .set_connect_timeout(Some(nanos(connect)))
            .map_err(refused)?;
    }
    if let Some(read) = req.timeout {
        options
            .set_first_byte_timeout(Some(nanos(read)))
            .map_err(refused)?;
        options
            .set_between_bytes_timeout(Some(nanos(read)))
            .map_err(refused)?;
    }
    Ok(options)
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), HttpError> {
    /// `blocking-write-and-flush` accepts at most this many bytes per call.
    const CHUNK: usize = 4096;
    let stream = body
        .write()
        .map_err(|()| other("the request body stream was already taken"))?;
    for chunk in bytes.chunks(CHUNK) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(|err| other(format!("writing the request body failed: {err:?}")))?;
    }
    // The stream is a child of the body and must be gone before the body is finished.
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|code| other(describe(&code)))
}

/// Blocks until the response head arrives or the request fails.
fn wait_for(future: &FutureIncomingResponse) -> Result<IncomingResponse, ErrorCode> {
    loop {
        match future.get() {
            Some(Ok(result)) => return result,
            Some(Err(())) => {
                return Err(ErrorCode::InternalError(Some(
                    "the response was already taken".into(),
                )));
            }
            None => future.subscribe().block(),
        }
    }
}

fn read_response(response: IncomingResponse, url: &Url) -> Result<Response, HttpError> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    let body = response
        .consume()
        .map_err(|()| other("the response body was already taken"))?;
    let stream = body
        .stream()
        .map_err(|()| other("the response body stream was already taken"))?;
    let bytes = read_to_end(&stream, url);
    // Child resources go first: the stream before its body, the body before the response.
    drop(stream);
    drop(IncomingBody::finish(body));
    drop(response);
    Ok(Response {
        status,
        headers,
        body: bytes?,
    })
}

fn read_to_end(stream: &InputStream, url: &Url) -> Result<Vec<u8>, HttpError> {
    const CHUNK: u64 = 64 * 1024;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(CHUNK) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(err)) => {
                return Err(match wasip2::http::types::http_error_code(&err) {
                    Some(code) => classify(code, url),
                    None => other(format!(
                        "reading the response body failed: {}",
                        err.to_debug_string()
                    )),
                });
            }
        }
    }
}

fn other(message: impl Into<String>) -> HttpError {
    HttpError::Other(message.into())
}

/// Sorts a `wasi:http` error into the cases a caller handles differently.
fn classify(code: ErrorCode, url: &Url) -> HttpError {
    match code {
        ErrorCode::HttpRequestDenied => HttpError::Denied(format!(
            "the host denied the HTTP request to {}: this plugin is not granted that origin",
            url.origin()
        )),
        ErrorCode::DnsTimeout
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => HttpError::Timeout,
        ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTerminated
        | ErrorCode::ConnectionLimitReached
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_)
        | ErrorCode::HttpResponseIncomplete
        | ErrorCode::HttpProtocolError => HttpError::Connect(describe(&code)),
        ErrorCode::HttpRequestUriInvalid | ErrorCode::HttpRequestUriTooLong => {
            HttpError::InvalidUrl(format!("`{url}`: {}", describe(&code)))
        }
        other => HttpError::Other(describe(&other)),
    }
}

/// A `wasi:http` error in words, for the cases a person is likely to meet; the rest keep the WIT name.
fn describe(code: &ErrorCode) -> String {
    match code {
        ErrorCode::DnsError(payload) => match &payload.rcode {
            Some(rcode) => format!("DNS lookup failed ({rcode})"),
            None => "DNS lookup failed".into(),
        },
        ErrorCode::DestinationNotFound => "destination not found".into(),
        ErrorCode::DestinationUnavailable => "destination unavailable".into(),
        ErrorCode::DestinationIpProhibited => "destination IP address prohibited".into(),
        ErrorCode::DestinationIpUnroutable => "destination IP address unroutable".into(),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionTerminated => "connection terminated".into(),
        ErrorCode::ConnectionLimitReached => "connection limit reached".into(),
        ErrorCode::TlsProtocolError => "TLS protocol error".into(),
        ErrorCode::TlsCertificateError => "TLS certificate error".into(),
        ErrorCode::TlsAlertReceived(payload) => match &payload.alert_message {
            Some(message) => format!("TLS alert received: {message}"),
            None => "TLS alert received".into(),
        },
        ErrorCode::HttpResponseIncomplete => "the response was incomplete".into(),
        ErrorCode::HttpProtocolError => "HTTP protocol error".into(),
        ErrorCode::HttpRequestUriInvalid => "the host's HTTP stack rejected the URI".into(),
        ErrorCode::HttpRequestUriTooLong => "the URI is too long".into(),
        ErrorCode::InternalError(Some(message)) => message.clone(),
        other => format!("{other:?}")
            .trim_start_matches("ErrorCode::")
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasip2::http::types::DnsErrorPayload;

    fn classified(code: ErrorCode) -> HttpError {
        classify(code, &Url::parse("http://127.0.0.1:9/x").unwrap())
    }

    #[test]
    fn denial_names_the_origin() {
        assert_eq!(
            classified(ErrorCode::HttpRequestDenied),
            HttpError::Denied(
                "the host denied the HTTP request to http://127.0.0.1:9: this plugin is not granted that origin"
                    .into()
            )
        );
    }

    #[test]
    fn timeouts_of_every_phase_are_timeouts() {
        for code in [
            ErrorCode::ConnectionTimeout,
            ErrorCode::ConnectionReadTimeout,
            ErrorCode::HttpResponseTimeout,
            ErrorCode::DnsTimeout,
        ] {
            assert_eq!(classified(code), HttpError::Timeout);
        }
    }

    #[test]
    fn connection_failures_are_connect_errors() {
        assert_eq!(
            classified(ErrorCode::ConnectionRefused),
            HttpError::Connect("connection refused".into())
        );
        assert_eq!(
            classified(ErrorCode::DnsError(DnsErrorPayload {
                rcode: Some("address not available".into()),
                info_code: None,
            })),
            HttpError::Connect("DNS lookup failed (address not available)".into())
        );
    }

    #[test]
    fn other_errors_keep_their_wit_name() {
        assert_eq!(
            classified(ErrorCode::HttpRequestBodySize(Some(3))),
            HttpError::Other("HttpRequestBodySize(Some(3))".into())
        );
    }

    #[test]
    fn builder_and_header_lookup() {
        let req = Request::get("http://h/")
            .header("Accept", "text/plain")
            .body("x");
        assert_eq!(req.method, "GET");
        assert_eq!(req.headers, vec![("Accept".into(), "text/plain".into())]);
        assert_eq!(req.body.as_deref(), Some(&b"x"[..]));
        let response = Response {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"ok\xff".to_vec(),
        };
        assert_eq!(response.header("Content-Type"), Some("text/plain"));
        assert_eq!(response.header("server"), None);
        assert_eq!(response.text(), "ok\u{fffd}");
    }

    #[test]
    fn errors_convert_into_the_contracts() {
        assert_eq!(
            crate::Error::from(HttpError::Denied("no".into())),
            crate::Error::Denied("no".into())
        );
        assert_eq!(
            crate::Error::from(HttpError::Timeout),
            crate::Error::Failed("the request timed out".into())
        );
    }
}
