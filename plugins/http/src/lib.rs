//! The built-in `http` plugin: one probe, `request`, that behaves like Chaos Toolkit's `http` provider so
//! an experiment's `{"type": "http", …}` provider runs unchanged.
//!
//! It asks for the `http("*")` capability, which the host reads as "the URL each call names": the
//! experiment decides what it may reach, nothing else. A redirect elsewhere is checked again by the host.

mod call;
mod output;
mod send;

use call::Call;
use chaosrt_sdk::serde_json::{Value, json};
use chaosrt_sdk::{
    Activity, ArgumentSpec, ArgumentType, Arguments, Capability, Context, Error, Metadata, Plugin,
};

/// The plugin, as exported to the host.
struct HttpPlugin;

impl Plugin for HttpPlugin {
    fn metadata() -> Metadata {
        Metadata {
            name: "http".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "HTTP(S) requests, shaped like Chaos Toolkit's http provider.".into(),
            capabilities: vec![Capability::Http("*".into())],
            activities: vec![Activity::probe(
                "request",
                "Send one HTTP(S) request and return {status, headers, body}. A 4xx or 5xx status is \
                 an output, not a failure: check it with a tolerance or `expected_status`.",
                arguments(),
            )],
        }
    }

    fn invoke(activity: &str, args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        match activity {
            "request" => request(&args),
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(HttpPlugin);

fn arguments() -> Vec<ArgumentSpec> {
    use ArgumentType::{Any, Boolean, Integer, Object, String};
    vec![
        ArgumentSpec::required("url", String, "The http:// or https:// URL to request."),
        ArgumentSpec::optional("method", String, "The HTTP method; upper-cased.")
            .with_default(json!("GET")),
        ArgumentSpec::optional("headers", Object, "Request headers, name to value."),
        ArgumentSpec::optional(
            "arguments",
            Object,
            "For GET, query parameters. Otherwise the body: JSON when `headers` has \
             `Content-Type: application/json`, else a urlencoded form.",
        ),
        ArgumentSpec::optional(
            "body",
            String,
            "A raw request body, instead of `arguments`.",
        ),
        ArgumentSpec::optional(
            "timeout",
            Any,
            "Seconds to wait, as a number or a [connect, read] pair. \
             \"activity took too long to complete\" when exceeded.",
        ),
        ArgumentSpec::optional(
            "verify_tls",
            Boolean,
            "Verify the server's TLS certificate. `false` is honoured by the host, which then sends \
             this call's https requests itself without verification (wasi:http has no such switch).",
        )
        .with_default(json!(true)),
        ArgumentSpec::optional(
            "expected_status",
            Integer,
            "Fail the activity unless the response has this status.",
        ),
        ArgumentSpec::optional(
            "max_retries",
            Integer,
            "How many times to retry a request whose connection failed.",
        )
        .with_default(json!(0)),
    ]
}

/// Runs the `request` activity.
fn request(args: &Arguments) -> Result<Value, Error> {
    let call = Call::from_arguments(args)?;
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
