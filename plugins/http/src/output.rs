//! The activity's output, shaped like Chaos Toolkit's: `{"status": int, "headers": {Name: value},
//! "body": …}`, so tolerances, `${…}` substitutions and journals written against `chaos run` still fit.

use chaosrt_sdk::Error;
use chaosrt_sdk::http::Response;
use chaosrt_sdk::serde_json::{self, Map, Value, json};

pub fn shape(response: &Response, url: &str) -> Result<Value, Error> {
    Ok(json!({
        "status": response.status,
        "headers": headers(response),
        "body": body(response, url)?,
    }))
}

/// Header names in Title-Case: the host's HTTP stack lower-cases them, while `requests` keeps the
/// server's spelling, which is nearly always Title-Case (`Content-Type`). A repeated header is joined
/// with `, ` as `requests` joins it.
fn headers(response: &Response) -> Map<String, Value> {
    let mut headers = Map::new();
    for (name, value) in &response.headers {
        let name = title_case(name);
        if let Some(Value::String(joined)) = headers.get_mut(&name) {
            joined.push_str(", ");
            joined.push_str(value);
        } else {
            headers.insert(name, Value::String(value.clone()));
        }
    }
    headers
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|segment| {
            let mut chars = segment.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The body as JSON when the response says it is JSON (`application/json`, with or without parameters
/// such as `charset`), else as text. An empty body is the empty string, whatever the type (a HEAD
/// response, a 204).
fn body(response: &Response, url: &str) -> Result<Value, Error> {
    if response.body.is_empty() || !is_json(response.header("content-type")) {
        return Ok(Value::String(response.text()));
    }
    serde_json::from_slice(&response.body).map_err(|err| {
        Error::failed(format!(
            "the response from {url} is declared as JSON but does not parse: {err}"
        ))
    })
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status: 500,
            headers: headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn text_body_and_title_case_headers() {
        let r = response(
            &[
                ("content-type", "text/plain"),
                ("x-request-id", "7"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
            ],
            "Exchange file is not ready",
        );
        assert_eq!(
            shape(&r, "http://h/").unwrap(),
            json!({
                "status": 500,
                "headers": {"Content-Type": "text/plain", "X-Request-Id": "7", "Set-Cookie": "a=1, b=2"},
                "body": "Exchange file is not ready",
            })
        );
        assert_eq!(
            shape(&r, "http://h/").unwrap().to_string(),
            r#"{"status":500,"headers":{"Content-Type":"text/plain","X-Request-Id":"7","Set-Cookie":"a=1, b=2"},"body":"Exchange file is not ready"}"#,
            "keys keep Chaos Toolkit's order"
        );
    }

    #[test]
    fn json_body_with_or_without_charset() {
        for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
            let r = response(&[("content-type", content_type)], r#"{"ok": true}"#);
            assert_eq!(shape(&r, "http://h/").unwrap()["body"], json!({"ok": true}));
        }
        let problem = response(&[("content-type", "application/problem+json")], "{}");
        assert_eq!(shape(&problem, "http://h/").unwrap()["body"], json!("{}"));
    }

    #[test]
    fn empty_json_body_is_empty_text() {
        let r = response(&[("content-type", "application/json")], "");
        assert_eq!(shape(&r, "http://h/").unwrap()["body"], json!(""));
    }

    #[test]
    fn malformed_json_names_the_url() {
        let r = response(&[("content-type", "application/json")], "{oops");
        let Error::Failed(message) = shape(&r, "http://h/x").unwrap_err() else {
            panic!("expected Failed")
        };
        assert!(
            message
                .starts_with("the response from http://h/x is declared as JSON but does not parse"),
            "{message}"
        );
    }
}
