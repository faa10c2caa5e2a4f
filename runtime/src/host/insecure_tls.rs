//! HTTPS without certificate verification, for the origins a call is granted "insecure" (Chaos
//! Toolkit's http provider with `verify_tls: false`, which hands `verify=False` to requests).
//! wasi:http has no such switch, so the host sends these requests itself; every other request takes
//! wasmtime's default path, and this one is still subject to the allow-list before it gets here.
//! Only an https request is sent without verification: a plain `http://` one has no certificate to
//! skip, so it takes the default path even here (requests, too, ignores `verify=False` for it).

use rustls::pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// Sends `request` over TLS accepting any certificate. Returns the response and the future wasi-http
/// polls for request-side errors (the connection itself is driven by a task of its own).
pub async fn send(
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<(http::Response<WasiBody>, super::state::IoFuture), Error> {
    use http_body_util::BodyExt;
    if request.uri().scheme() != Some(&http::uri::Scheme::HTTPS) {
        let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
        return Ok((response.map(BodyExt::boxed_unsync), Box::new(io)));
    }
    let authority = request
        .uri()
        .authority()
        .cloned()
        .ok_or(Error::HttpRequestUriInvalid)?;
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = authority.port_u16().unwrap_or(443);
    let connect_timeout = options
        .and_then(|o| o.connect_timeout)
        .unwrap_or(Duration::from_secs(600));
    let tcp = tokio::time::timeout(
        connect_timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)?
    .map_err(Error::Connect)?;
    let config = crate::tls::unverified_client_config()
        .map_err(|e| Error::InternalError(Some(e.to_string())))?;
    let name = ServerName::try_from(host).map_err(|_| Error::HttpRequestUriInvalid)?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(Error::Tls)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(wasmtime_wasi_http::io::TokioIo::new(tls)).await?;
    tokio::spawn(connection);
    // The request line carries only the path: scheme and authority are for proxies.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    let first_byte = options
        .and_then(|o| o.first_byte_timeout)
        .unwrap_or(Duration::from_secs(600));
    let response = tokio::time::timeout(first_byte, sender.send_request(request))
        .await
        .map_err(|_| Error::ConnectionReadTimeout)??;
    let response = response.map(|body| body.map_err(Error::from).boxed_unsync());
    Ok((response, Box::new(async { Ok(()) })))
}
