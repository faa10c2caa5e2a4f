//! The built-in `http` plugin: one probe, `request`, that behaves like Chaos Toolkit's `http` provider so
//! an experiment's `{"type": "http", …}` provider runs unchanged.
//!
//! It asks for `http-argument("url")`: outbound HTTP to the URL each call names in its `url` argument,
//! which the operator wrote in the experiment; nothing else. A redirect elsewhere is checked again by
//! the host.

mod call;
mod output;
mod send;

use call::{Call, Timeout};
use chaosrt_sdk::serde_json::{Map, Value};
use chaosrt_sdk::{Capability, Error};

/// Send one HTTP(S) request and return {status, headers, body}. A 4xx or 5xx status is an output, not
/// a failure: check it with a tolerance or `expected_status`.
#[chaosrt_sdk::probe]
fn request(
    /// The http:// or https:// URL to request.
    url: String,
    /// The HTTP method; upper-cased.
    #[default("GET")]
    method: String,
    /// Request headers, name to value.
    headers: Option<Map<String, Value>>,
    /// For GET, query parameters. Otherwise the body: JSON when `headers` has `Content-Type:
    /// application/json`, else a urlencoded form.
    arguments: Option<Map<String, Value>>,
    /// A raw request body, instead of `arguments`.
    body: Option<String>,
    /// Seconds to wait, as a number or a [connect, read] pair. "activity took too long to complete"
    /// when exceeded.
    timeout: Option<Timeout>,
    /// Verify the server's TLS certificate. `false` is honoured by the host, which then sends this
    /// call's https requests itself without verification (wasi:http has no such switch).
    #[default(true)]
    verify_tls: bool,
    /// Fail the activity unless the response has this status.
    expected_status: Option<u16>,
    /// How many times to retry a request whose connection failed.
    #[default(0)]
    max_retries: u64,
) -> Result<Value, Error> {
    let call = Call::new(request::Arguments {
        url,
        method,
        headers,
        arguments,
        body,
        timeout,
        verify_tls,
        expected_status,
        max_retries,
    })?;
    let response = send::send(&call)?;
    if let Some(expected) = call.expected_status
        && response.status != expected
    {
        return Err(Error::failed(format!(
            "expected HTTP status {expected}, got {} from {}",
            response.status, call.url_text
        )));
    }
    output::shape(&response, &call.url_text)
}

chaosrt_sdk::plugin! {
    name: "http",
    description: "HTTP(S) requests, shaped like Chaos Toolkit's http provider.",
    capabilities: [Capability::http_argument("url")],
    activities: [request],
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaosrt_sdk::serde_json::json;
    use chaosrt_sdk::{ActivityKind, ArgumentType, Plugin};

    /// What `discover` and `init` show, and what the host checks calls against: the arguments keep the
    /// names, types, defaults and order Chaos Toolkit's http provider has.
    #[test]
    fn metadata_describes_chaos_toolkits_http_provider() {
        let metadata = ChaosrtPlugin::metadata();
        assert_eq!(metadata.name, "http");
        assert_eq!(
            metadata.capabilities,
            vec![Capability::http_argument("url")]
        );
        let [activity] = &metadata.activities[..] else {
            panic!("one activity")
        };
        assert_eq!(
            (activity.name.as_str(), activity.kind),
            ("request", ActivityKind::Probe)
        );
        assert!(
            activity
                .description
                .starts_with("Send one HTTP(S) request and return {status, headers, body}. A 4xx")
        );
        let arguments: Vec<_> = activity
            .arguments
            .iter()
            .map(|a| (a.name.as_str(), a.kind, a.required, a.default.clone()))
            .collect();
        use ArgumentType::{Any, Boolean, Integer, Object, String};
        assert_eq!(
            arguments,
            vec![
                ("url", String, true, None),
                ("method", String, false, Some(json!("GET"))),
                ("headers", Object, false, None),
                ("arguments", Object, false, None),
                ("body", String, false, None),
                ("timeout", Any, false, None),
                ("verify_tls", Boolean, false, Some(json!(true))),
                ("expected_status", Integer, false, None),
                ("max_retries", Integer, false, Some(json!(0))),
            ]
        );
        assert!(activity.arguments.iter().all(|a| !a.description.is_empty()));
    }
}
