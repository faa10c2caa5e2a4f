//! The `kubernetes` host interface: the Kubernetes API, proxied by the host.
//!
//! A plugin describes each request by what it does (verb, group, version, resource, namespace, name,
//! subresource, selectors) rather than by URL, so the host can check it against the plugin's grant
//! ([`check`]) before any I/O: a refused request never reaches the API server, and the refusal names
//! the grant it lacks. The host builds the URL itself from checked parts, so a plugin cannot reach
//! anything but the API path it was granted. Credentials never enter the sandbox: the host's own
//! `kube` client holds them ([`credentials`]), made lazily on a plugin's first request and shared by
//! the calls that use the same cluster and identity.
//!
//! Every request runs within the call's deadline, with bounded retries of the answers that mean
//! "try again" (429, 503, 504, a refused connection) for requests that are safe to repeat, so an API
//! server that answers 503 or hangs fails the activity in bounded time with the server's message.

mod check;
mod credentials;

pub use check::{Checked, KubeGrant};

use super::bindings::v0_2::kubernetes::{Error, Request, Response};
use std::time::{Duration, Instant};

/// The largest response body passed to a plugin; a larger list must be narrowed (a selector, `limit`).
pub const RESPONSE_BYTES: usize = 8 << 20;

/// The longest one request may take, when the call's deadline leaves more.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Kept free before the call's deadline, so the plugin learns why its request failed before the call
/// itself times out.
const DEADLINE_MARGIN: Duration = Duration::from_millis(300);

/// How many times a request is sent in all, at most, when the server asks to try again.
const ATTEMPTS: u32 = 3;

/// What one call needs to send Kubernetes requests.
pub struct KubeCall<'a> {
    pub plugin: &'a str,
    pub grants: &'a [KubeGrant],
    /// The call's secrets, `{scope: {key: value}}` JSON text.
    pub secrets: &'a str,
    /// When the call's timeout fires.
    pub deadline: Instant,
}

/// Checks `request` against the grant, then sends it with the host's client.
pub async fn send(call: KubeCall<'_>, request: Request) -> Result<Response, Error> {
    let checked = check::check(call.plugin, call.grants, &request)?;
    let target = credentials::client(call.secrets).await?;
    execute(&target, &checked, call.deadline).await
}

/// Sends one checked request, retrying what is safe to retry, within `deadline`.
async fn execute(
    target: &credentials::Target,
    checked: &Checked,
    deadline: Instant,
) -> Result<Response, Error> {
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(DEADLINE_MARGIN);
        if left.is_zero() {
            return Err(Error::Unavailable(if last.is_empty() {
                format!(
                    "no time left in the activity's timeout to {} (raise the activity's timeout)",
                    checked.what
                )
            } else {
                format!("{last}; no time left in the activity's timeout to try again")
            }));
        }
        let limit = left.min(REQUEST_TIMEOUT);
        let outcome = tokio::time::timeout(limit, once(target, checked, limit)).await;
        let retry_after = match outcome {
            Err(_) => {
                return Err(Error::Unavailable(format!(
                    "the Kubernetes API server at {} did not answer {} within {:.1} s",
                    target.server,
                    checked.what,
                    limit.as_secs_f64()
                )));
            }
            Ok(Err(Failure::Connect(e))) => {
                last = format!(
                    "cannot reach the Kubernetes API server at {} to {}: {e}",
                    target.server, checked.what
                );
                None
            }
            Ok(Err(Failure::Other(e))) => return Err(Error::Unavailable(e)),
            Ok(Ok((response, retry_after))) => {
                if !matches!(response.status, 429 | 503 | 504) {
                    return Ok(response);
                }
                last = format!(
                    "the Kubernetes API server at {} answered {} to {}: {}",
                    target.server,
                    response.status,
                    checked.what,
                    server_message(&response.body)
                );
                Some(retry_after)
            }
        };
        if !checked.repeatable || attempt == ATTEMPTS {
            break;
        }
        let pause = retry_after
            .flatten()
            .unwrap_or(Duration::from_millis(200 << attempt))
            .min(Duration::from_secs(2));
        if Instant::now() + pause + DEADLINE_MARGIN >= deadline {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    let tries = if checked.repeatable {
        format!(" ({ATTEMPTS} attempts)")
    } else {
        String::new()
    };
    Err(Error::Unavailable(format!("{last}{tries}")))
}

enum Failure {
    /// The connection could not be made: worth another try.
    Connect(String),
    /// Anything else: reported as is.
    Other(String),
}

/// One attempt: the response, and how long the server asked to wait (`Retry-After`).
async fn once(
    target: &credentials::Target,
    checked: &Checked,
    limit: Duration,
) -> Result<(Response, Option<Duration>), Failure> {
    use http_body_util::BodyExt;
    let mut path = checked.path_and_query.clone();
    let watch = checked.verb == "watch";
    if watch {
        // The server ends a watch at `timeoutSeconds`: make that fall inside this request's limit.
        let seconds = limit
            .as_secs()
            .saturating_sub(1)
            .max(1)
            .min(checked.watch_seconds.unwrap_or(u64::MAX));
        path.push_str(&format!("&timeoutSeconds={seconds}"));
    }
    let mut builder = http::Request::builder()
        .method(checked.method.clone())
        .uri(path)
        .header(http::header::ACCEPT, "application/json, */*");
    if checked.body.is_some() {
        builder = builder.header(http::header::CONTENT_TYPE, checked.content_type);
    }
    let request = builder
        .body(kube::client::Body::from(
            checked.body.clone().unwrap_or_default().into_bytes(),
        ))
        .map_err(|e| Failure::Other(format!("cannot build the request: {e}")))?;
    let response = target.client.send(request).await.map_err(|e| {
        let text = crate::escape::clip(&chain(&e), 500).into_owned();
        if is_connect_error(&e) {
            Failure::Connect(text)
        } else {
            Failure::Other(format!(
                "the request to the Kubernetes API server at {} failed: {text}",
                target.server
            ))
        }
    })?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let too_large = || {
        Failure::Other(format!(
            "the answer to {} is larger than {} MiB; narrow the request (a label or field \
             selector, or `limit`)",
            checked.what,
            RESPONSE_BYTES >> 20
        ))
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        Failure::Other(format!(
            "reading the answer to {} from {}: {e}",
            checked.what, target.server
        ))
    };
    let body = if watch && status == 200 {
        first_events(response.into_body())
            .await
            .map_err(|e| match e {
                None => too_large(),
                Some(e) => unreadable(&e),
            })?
    } else {
        http_body_util::Limited::new(response.into_body(), RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_large()
                } else {
                    unreadable(&e)
                }
            })?
            .to_bytes()
            .to_vec()
    };
    Ok((
        Response {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        },
        retry_after,
    ))
}

/// A watch's answer, as a long poll: the complete event lines (newline-delimited JSON) that have
/// arrived when the first one does, or none when the server ends the watch (`timeoutSeconds`). The
/// plugin watches again from the last event's `resourceVersion` for the rest, so it learns of each
/// change as it happens without a request that outlives the call. `Err(None)`: over the size cap.
async fn first_events(mut body: kube::client::Body) -> Result<Vec<u8>, Option<kube::Error>> {
    use http_body_util::BodyExt;
    let mut received = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(Some)?.into_data() else {
            continue;
        };
        received.extend_from_slice(&data);
        if let Some(end) = received.iter().rposition(|b| *b == b'\n') {
            // A partial event after the last newline comes again when the plugin watches on.
            received.truncate(end + 1);
            return Ok(received);
        }
        if received.len() > RESPONSE_BYTES {
            return Err(None);
        }
    }
    Ok(received)
}

/// An error and its causes, `outer: inner: …`: kube's own text ("client error (Connect)") does not
/// say that, say, the server's certificate was refused.
fn chain(e: &kube::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text = format!("{text}: {next}");
        }
        source = s.source();
    }
    text
}

/// Whether a client error is a connection that could not be made (worth retrying).
fn is_connect_error(e: &kube::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
            )
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// What an error answer says: a `Status` object's `message`, else the start of the body, escaped.
pub fn server_message(body: &str) -> String {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(String::from))
        .unwrap_or_else(|| body.trim().to_string());
    let message = if message.is_empty() {
        "(no message)".to_string()
    } else {
        message
    };
    crate::escape::escape(&crate::escape::clip(&message, 500)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_message_is_read_from_a_status_or_the_body() {
        assert_eq!(
            server_message(r#"{"kind":"Status","message":"etcd is down","code":503}"#),
            "etcd is down"
        );
        assert_eq!(server_message("upstream gone\n"), "upstream gone");
        assert_eq!(server_message(""), "(no message)");
        assert_eq!(server_message("a\x1bb"), "a\\x1bb");
    }
}
