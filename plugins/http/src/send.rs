//! Sends a call the way `requests` does: follows redirects (`wasi:http` does not) and retries failed
//! connections `max_retries` times, then turns what went wrong into Chaos Toolkit's messages.

use crate::call::Call;
use chaosrt_sdk::Error;
use chaosrt_sdk::http::{self, HttpError, Request, Response, Scheme, Url};

/// `requests`' limit (`DEFAULT_REDIRECT_LIMIT`).
const MAX_REDIRECTS: usize = 30;

/// Sends `call`, following redirects, and returns the final response.
pub fn send(call: &Call) -> Result<Response, Error> {
    let mut request = call.request.clone();
    let mut url = call.url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let response = send_with_retries(&request, call.max_retries)
            .map_err(|err| activity_error(err, &call.url_text))?;
        let Some(location) = redirect_location(&response) else {
            return Ok(response);
        };
        let next = url
            .join(location)
            .map_err(|err| Error::failed(format!("{} redirected to {err}", call.url_text)))?;
        follow_redirect(&mut request, response.status, &url, &next);
        url = next;
    }
    Err(Error::failed(format!(
        "{} redirected more than {MAX_REDIRECTS} times",
        call.url_text
    )))
}

fn send_with_retries(request: &Request, max_retries: u64) -> Result<Response, HttpError> {
    let mut retries_left = max_retries;
    loop {
        match http::request(request) {
            Err(HttpError::Connect(_)) if retries_left > 0 => retries_left -= 1,
            result => return result,
        }
    }
}

/// Where a redirect response points, if it is one.
fn redirect_location(response: &Response) -> Option<&str> {
    matches!(response.status, 301 | 302 | 303 | 307 | 308)
        .then(|| response.header("location"))
        .flatten()
}

/// Turns `request` into the request for the redirect from `from` to `to`, as `requests` does: 301, 302
/// and 303 drop the body (and switch to GET, except HEAD, and except a 301 of anything but POST); the
/// `Authorization` header does not follow to another host.
fn follow_redirect(request: &mut Request, status: u16, from: &Url, to: &Url) {
    let becomes_get = match status {
        302 | 303 => request.method != "HEAD",
        301 => request.method == "POST",
        _ => false,
    };
    if becomes_get {
        request.method = "GET".into();
    }
    if matches!(status, 301..=303) {
        request.body = None;
        request.headers.retain(|(name, _)| {
            !["content-length", "content-type", "transfer-encoding"]
                .iter()
                .any(|purged| name.eq_ignore_ascii_case(purged))
        });
    }
    if strips_authorization(from, to) {
        request
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
    }
    request.url = to.to_string();
}

/// Credentials stay with their origin; the one exception is the usual upgrade from `http://host` to
/// `https://host` on the default ports.
fn strips_authorization(from: &Url, to: &Url) -> bool {
    if !from.host().eq_ignore_ascii_case(to.host()) {
        return true;
    }
    let upgrade = from.scheme() == Scheme::Http
        && to.scheme() == Scheme::Https
        && from.authority() == from.host()
        && to.authority() == to.host();
    from.origin() != to.origin() && !upgrade
}

/// The activity error for a failed request, in Chaos Toolkit's words where it has some.
fn activity_error(err: HttpError, url: &str) -> Error {
    match err {
        HttpError::Denied(detail) => Error::denied(detail),
        HttpError::Timeout => Error::failed("activity took too long to complete"),
        HttpError::Connect(detail) => {
            Error::failed(format!("failed to connect to {url}: {detail}"))
        }
        HttpError::InvalidHeader(detail) => Error::invalid_arguments(detail),
        HttpError::InvalidUrl(_) | HttpError::Other(_) => {
            Error::failed(format!("HTTP request to {url} failed: {err}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn post() -> Request {
        Request::new("POST", "http://a/form")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Authorization", "Bearer t")
            .body("a=1")
    }

    #[test]
    fn see_other_turns_a_post_into_a_get_without_body() {
        let mut request = post();
        follow_redirect(
            &mut request,
            303,
            &url("http://a/form"),
            &url("http://a/done"),
        );
        assert_eq!(request.method, "GET");
        assert_eq!(request.body, None);
        assert_eq!(request.url, "http://a/done");
        assert_eq!(
            request.headers,
            vec![("Authorization".into(), "Bearer t".into())]
        );
    }

    #[test]
    fn temporary_redirect_keeps_method_and_body() {
        let mut request = post();
        follow_redirect(
            &mut request,
            307,
            &url("http://a/form"),
            &url("http://a/other"),
        );
        assert_eq!(request.method, "POST");
        assert_eq!(request.body.as_deref(), Some(&b"a=1"[..]));
        assert_eq!(request.headers.len(), 2);
    }

    #[test]
    fn moved_permanently_keeps_put() {
        let mut request = Request::new("PUT", "http://a/x");
        follow_redirect(&mut request, 301, &url("http://a/x"), &url("http://a/y"));
        assert_eq!(request.method, "PUT");
    }

    #[test]
    fn authorization_stays_with_its_host() {
        assert!(!strips_authorization(
            &url("http://a/x"),
            &url("http://a/y")
        ));
        assert!(!strips_authorization(
            &url("http://a/x"),
            &url("https://a/y")
        ));
        assert!(strips_authorization(&url("http://a/x"), &url("http://b/y")));
        assert!(strips_authorization(
            &url("http://a:8080/x"),
            &url("http://a:9090/y")
        ));
        assert!(strips_authorization(
            &url("https://a/x"),
            &url("http://a/y")
        ));
    }

    #[test]
    fn only_redirect_statuses_with_a_location_redirect() {
        let response = |status, headers: &[(&str, &str)]| Response {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            body: Vec::new(),
        };
        assert_eq!(
            redirect_location(&response(302, &[("location", "/next")])),
            Some("/next")
        );
        assert_eq!(redirect_location(&response(302, &[])), None);
        assert_eq!(
            redirect_location(&response(200, &[("location", "/next")])),
            None
        );
        assert_eq!(
            redirect_location(&response(304, &[("location", "/next")])),
            None
        );
    }

    #[test]
    fn errors_read_like_chaos_toolkit() {
        let url = "http://localhost:8080/";
        assert_eq!(
            activity_error(HttpError::Timeout, url),
            Error::Failed("activity took too long to complete".into())
        );
        assert_eq!(
            activity_error(HttpError::Connect("connection refused".into()), url),
            Error::Failed("failed to connect to http://localhost:8080/: connection refused".into())
        );
        assert_eq!(
            activity_error(HttpError::Denied("not granted".into()), url),
            Error::Denied("not granted".into())
        );
        assert_eq!(
            activity_error(HttpError::Other("boom".into()), url),
            Error::Failed("HTTP request to http://localhost:8080/ failed: boom".into())
        );
    }
}
