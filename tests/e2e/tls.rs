//! `verify_tls: false` against a real HTTPS server on loopback whose certificate no one signed: the
//! host sends that call itself without verification; without the flag the call fails. On a plain
//! `http://` URL the flag means nothing, as in Chaos Toolkit: the call goes out as plain HTTP.

use crate::support::{Scratch, StatusServer};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

/// An HTTPS server on 127.0.0.1 with a fresh self-signed certificate, answering 200 with `body`.
fn self_signed_server(content_type: &'static str, body: &'static str) -> u16 {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let Ok(connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let mut reader = BufReader::new(&mut tls);
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return, // the client refused the certificate
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes());
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

#[test]
fn verify_tls_false_reaches_a_self_signed_server_and_the_default_refuses_it() {
    let scratch = Scratch::new();
    let url = format!(
        "https://127.0.0.1:{}/",
        self_signed_server("text/plain", "secure")
    );
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            {"type": "probe", "name": "insecure", "provider": {"type": "http", "url": url, "verify_tls": false, "timeout": 5}},
            {"type": "probe", "name": "verified", "provider": {"type": "http", "url": url, "timeout": 5}}
        ]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    let insecure = &journal["run"][0];
    assert_eq!(
        insecure["status"],
        json!("succeeded"),
        "{insecure:#}\n{}",
        outcome.stderr
    );
    assert_eq!(insecure["output"]["status"], json!(200));
    assert_eq!(insecure["output"]["body"], json!("secure"));
    let verified = &journal["run"][1];
    assert_eq!(verified["status"], json!("failed"), "{verified:#}");
    let exception = verified["exception"][0].as_str().unwrap();
    assert!(
        exception.contains(&format!("failed to connect to {url}")),
        "{exception}"
    );
}

#[test]
fn no_verify_tls_fetches_an_experiment_from_a_self_signed_server() {
    let scratch = Scratch::new();
    let experiment = r#"{"title": "over https", "description": "d", "method": []}"#;
    let url = format!(
        "https://127.0.0.1:{}/",
        self_signed_server("application/json", experiment)
    );
    let refused = scratch.chaosrt().args(["run", &url]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!("Failed to fetch the experiment from {url}")),
        "{stderr}"
    );
    let out = scratch
        .chaosrt()
        .args(["run", "--no-verify-tls", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Running experiment: over https"),
        "{stderr}"
    );
}

/// Chaos Toolkit hands `verify=False` to requests, which ignores it for plain HTTP; so the call must
/// not become a TLS handshake with a server that speaks none.
#[test]
fn verify_tls_false_on_a_plain_http_url_is_plain_http() {
    let scratch = Scratch::new();
    let server = StatusServer::start(200, "text/plain", "plain");
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            {"type": "probe", "name": "plain", "provider": {"type": "http", "url": server.url(), "verify_tls": false, "timeout": 5}}
        ]
    });
    let outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("completed"), "{}", outcome.stderr);
    let plain = &journal["run"][0];
    assert_eq!(
        plain["status"],
        json!("succeeded"),
        "{plain:#}\n{}",
        outcome.stderr
    );
    assert_eq!(plain["output"]["status"], json!(200));
    assert_eq!(plain["output"]["body"], json!("plain"));
    assert_eq!(server.hits(), 1);
}
