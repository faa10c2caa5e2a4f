//! Turns the activity's arguments into one checked request, before any I/O, so a bad argument fails as
//! `InvalidArguments` naming it rather than half-way through a request.

use chaosrt_sdk::http::{Request, Url, form_urlencode};
use chaosrt_sdk::serde_json::{Map, Value};
use chaosrt_sdk::{ArgumentType, ArgumentValue, Error, must_be};
use std::time::Duration;

/// One `request` call, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The URL as the experiment wrote it, for messages (Chaos Toolkit quotes it unchanged).
    pub url_text: String,
    /// What to send first; redirects derive the next request from it.
    pub request: Request,
    /// Where `request` goes, parsed.
    pub url: Url,
    pub verify_tls: bool,
    pub expected_status: Option<u16>,
    pub max_retries: u64,
}

impl Call {
    /// The call for the activity's arguments, as the SDK typed them.
    pub fn new(args: crate::request::Arguments) -> Result<Self, Error> {
        let mut url = Url::parse(&args.url)
            .map_err(|err| Error::invalid_arguments(format!("argument `url`: {err}")))?;
        let Timeout { connect, read } = args.timeout.unwrap_or_default();

        let mut request = Request::new(args.method.to_ascii_uppercase(), "");
        request.headers = headers(args.headers)?;
        request.timeout = read;
        request.connect_timeout = connect;
        request.body = args.body.as_ref().map(|body| body.as_bytes().to_vec());
        match &args.arguments {
            Some(arguments) if request.method == "GET" => {
                url.append_query(&form_urlencode(form_pairs(arguments)));
            }
            Some(_) if args.body.is_some() => {
                return Err(Error::invalid_arguments(
                    "give either `arguments` or `body` for a request body, not both",
                ));
            }
            Some(arguments) => set_body_from_arguments(&mut request, arguments),
            None => {}
        }
        request.url = url.to_string();

        Ok(Self {
            url_text: args.url,
            request,
            url,
            verify_tls: args.verify_tls,
            expected_status: args.expected_status,
            max_retries: args.max_retries,
        })
    }
}

/// The `timeout` argument: `(connect, read)` from a number (both) or a `[connect, read]` list, where
/// `null` means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timeout {
    pub connect: Option<Duration>,
    pub read: Option<Duration>,
}

impl ArgumentValue for Timeout {
    const TYPE: ArgumentType = ArgumentType::Any;
    const EXPECTED: &'static str = "a number of seconds or a [connect, read] list of them";

    fn from_json(value: &Value) -> Result<Self, String> {
        let seconds = |value: &Value| match value {
            Value::Null => Some(None),
            number => Duration::try_from_secs_f64(number.as_f64()?).ok().map(Some),
        };
        let timeout = match value {
            Value::Array(pair) if pair.len() == 2 => seconds(&pair[0]).zip(seconds(&pair[1])),
            Value::Number(_) => seconds(value).map(|both| (both, both)),
            _ => None,
        };
        timeout
            .map(|(connect, read)| Timeout { connect, read })
            .ok_or_else(|| must_be(Self::EXPECTED, value))
    }
}

/// The `headers` object as name/value pairs; every value must be a string, as `requests` insists.
fn headers(headers: Option<Map<String, Value>>) -> Result<Vec<(String, String)>, Error> {
    headers
        .into_iter()
        .flatten()
        .map(|(name, value)| match value {
            Value::String(text) => Ok((name, text)),
            other => Err(Error::invalid_arguments(format!(
                "argument `headers` must map header names to strings, but `{name}` is `{other}`"
            ))),
        })
        .collect()
}

/// A body made from `arguments` the way Chaos Toolkit does: JSON when the `Content-Type` header (that
/// exact key, as in the Python dict) is exactly `application/json`, else a urlencoded form.
fn set_body_from_arguments(request: &mut Request, arguments: &Map<String, Value>) {
    let json = request
        .headers
        .iter()
        .any(|(name, value)| name == "Content-Type" && value == "application/json");
    if json {
        request.body = Some(Value::Object(arguments.clone()).to_string().into_bytes());
        return;
    }
    let form = form_urlencode(form_pairs(arguments));
    // `requests` sends no body at all for an empty form.
    if form.is_empty() {
        return;
    }
    let has_content_type = request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !has_content_type {
        request.headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    request.body = Some(form.into_bytes());
}

/// Key/value pairs for a query string or form, as `requests` encodes a dict: `null` values are left out,
/// a list repeats its key, and other values are written as Python's `str()` would.
fn form_pairs(arguments: &Map<String, Value>) -> Vec<(&str, String)> {
    let mut pairs = Vec::new();
    for (key, value) in arguments {
        let values = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        pairs.extend(
            values
                .into_iter()
                .filter(|value| !value.is_null())
                .map(|value| (key.as_str(), python_str(value))),
        );
    }
    pairs
}

fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaosrt_sdk::Arguments;
    use chaosrt_sdk::serde_json::json;

    /// The call for `arguments` as an experiment writes them: parsed by the SDK as the host's call would
    /// be, defaults included.
    fn call(arguments: Value) -> Result<Call, Error> {
        let arguments = Arguments::from_json(&arguments.to_string()).unwrap();
        Call::new(crate::request::parse(&arguments)?)
    }

    fn body_text(call: &Call) -> Option<String> {
        call.request
            .body
            .as_ref()
            .map(|body| String::from_utf8(body.clone()).unwrap())
    }

    #[test]
    fn defaults() {
        let c = call(json!({"url": "http://localhost:8080/"})).unwrap();
        assert_eq!(c.request.method, "GET");
        assert_eq!(c.request.url, "http://localhost:8080/");
        assert!(c.request.headers.is_empty());
        assert_eq!(c.request.body, None);
        assert_eq!(c.request.timeout, None);
        assert!(c.verify_tls);
        assert_eq!(c.expected_status, None);
        assert_eq!(c.max_retries, 0);
    }

    #[test]
    fn get_arguments_become_the_query() {
        let c = call(json!({
            "url": "http://h/search?lang=en",
            "method": "get",
            "arguments": {"q": "chaos monkey", "n": 2, "on": true, "tags": ["a", "b"], "none": null},
        }))
        .unwrap();
        assert_eq!(c.request.method, "GET");
        assert_eq!(
            c.request.url,
            "http://h/search?lang=en&q=chaos+monkey&n=2&on=True&tags=a&tags=b"
        );
        assert_eq!(c.request.body, None);
    }

    #[test]
    fn json_body_needs_the_exact_content_type_header() {
        let c = call(json!({
            "url": "http://h/", "method": "post",
            "headers": {"Content-Type": "application/json"},
            "arguments": {"a": 1},
        }))
        .unwrap();
        assert_eq!(body_text(&c).as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(c.request.headers.len(), 1);

        let form = call(json!({
            "url": "http://h/", "method": "POST",
            "headers": {"content-type": "application/json"},
            "arguments": {"a": 1},
        }))
        .unwrap();
        assert_eq!(body_text(&form).as_deref(), Some("a=1"));
    }

    #[test]
    fn other_methods_send_a_form() {
        let c =
            call(json!({"url": "http://h/", "method": "PUT", "arguments": {"k": "v w"}})).unwrap();
        assert_eq!(body_text(&c).as_deref(), Some("k=v+w"));
        assert_eq!(
            c.request.headers,
            vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into()
            )]
        );
        let empty = call(json!({"url": "http://h/", "method": "PUT", "arguments": {}})).unwrap();
        assert_eq!(empty.request.body, None);
        assert!(empty.request.headers.is_empty());
    }

    #[test]
    fn raw_body() {
        let c = call(json!({"url": "http://h/", "method": "POST", "body": "raw"})).unwrap();
        assert_eq!(body_text(&c).as_deref(), Some("raw"));
        let both = call(
            json!({"url": "http://h/", "method": "POST", "body": "raw", "arguments": {"a": 1}}),
        );
        assert_eq!(
            both.unwrap_err(),
            Error::InvalidArguments(
                "give either `arguments` or `body` for a request body, not both".into()
            )
        );
    }

    #[test]
    fn timeouts_as_number_or_pair() {
        let one = call(json!({"url": "http://h/", "timeout": 1.5})).unwrap();
        assert_eq!(one.request.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(
            one.request.connect_timeout,
            Some(Duration::from_millis(1500))
        );
        let pair = call(json!({"url": "http://h/", "timeout": [2, 30]})).unwrap();
        assert_eq!(pair.request.connect_timeout, Some(Duration::from_secs(2)));
        assert_eq!(pair.request.timeout, Some(Duration::from_secs(30)));
        for bad in [json!(-1), json!([1]), json!("3"), json!([1, "x"])] {
            assert!(
                matches!(
                    call(json!({"url": "http://h/", "timeout": bad})),
                    Err(Error::InvalidArguments(message)) if message.starts_with("argument `timeout` must be")
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn invalid_arguments_name_the_argument() {
        assert_eq!(
            call(json!({})).unwrap_err(),
            Error::InvalidArguments("missing required argument `url` (a string)".into())
        );
        assert_eq!(
            call(json!({"url": "localhost"})).unwrap_err(),
            Error::InvalidArguments(
                "argument `url`: invalid URL `localhost`: no scheme; write http://… or https://…"
                    .into()
            )
        );
        assert_eq!(
            call(json!({"url": "http://h/", "headers": {"X-N": 1}})).unwrap_err(),
            Error::InvalidArguments(
                "argument `headers` must map header names to strings, but `X-N` is `1`".into()
            )
        );
        assert!(matches!(
            call(json!({"url": "http://h/", "expected_status": "200"})),
            Err(Error::InvalidArguments(_))
        ));
    }

    #[test]
    fn optional_flags() {
        let c = call(json!({
            "url": "https://h/", "verify_tls": false, "expected_status": 204, "max_retries": 2,
        }))
        .unwrap();
        assert!(!c.verify_tls);
        assert_eq!(c.expected_status, Some(204));
        assert_eq!(c.max_retries, 2);
    }
}
