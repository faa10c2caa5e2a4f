//! A plugin built against the frozen contract 0.1.0 with raw wit-bindgen, not the SDK, so it pins
//! that contract: whatever the SDK becomes, this component keeps exporting
//! `chaosrt:plugin/plugin@0.1.0` and importing `chaosrt:plugin/log@0.1.0`, and the end-to-end tests
//! prove the host still installs and runs it through its 0.1 bindings.
//!
//! It asks for 0.1.0's two shapes of capability that 0.2 renamed (`http("*")`, now
//! `http-argument("url")`, and `filesystem{writable}`, now `access`) and uses both (`status`,
//! `read`); its `greet` probe returns what it was given: its arguments and the `context` record
//! (configuration, secrets).

#![allow(unsafe_code)] // wit-bindgen's generated export glue

wit_bindgen::generate!({
    path: "../../../wit/frozen/chaosrt-plugin@0.1.0",
    world: "chaosrt-plugin",
});

use chaosrt::plugin::log::{Level, log};
use chaosrt::plugin::types::{
    Activity, ActivityKind, ArgumentSpec, ArgumentType, Capability, Context, Error,
    FilesystemAccess, PluginMetadata,
};
use serde_json::{Value, json};

struct Legacy;

impl exports::chaosrt::plugin::plugin::Guest for Legacy {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "legacy".into(),
            version: "0.1.0".into(),
            description: "Test guest built for contract 0.1.0.".into(),
            capabilities: vec![
                Capability::Http("*".into()),
                Capability::Filesystem(FilesystemAccess {
                    path: ".".into(),
                    writable: false,
                }),
            ],
            activities: vec![
                Activity {
                    name: "greet".into(),
                    kind: ActivityKind::Probe,
                    description: "Greet `who`, and return the context the call was given.".into(),
                    arguments: vec![ArgumentSpec {
                        name: "who".into(),
                        type_: ArgumentType::String,
                        required: true,
                        default: None,
                        description: "Whom to greet.".into(),
                    }],
                },
                Activity {
                    name: "status".into(),
                    kind: ActivityKind::Probe,
                    description: "GET `url` and return the response's status code.".into(),
                    arguments: vec![ArgumentSpec {
                        name: "url".into(),
                        type_: ArgumentType::String,
                        required: true,
                        default: None,
                        description: "An http:// or https:// URL.".into(),
                    }],
                },
                Activity {
                    name: "read".into(),
                    kind: ActivityKind::Probe,
                    description: "Return the text of the file `path` in the working directory."
                        .into(),
                    arguments: vec![ArgumentSpec {
                        name: "path".into(),
                        type_: ArgumentType::String,
                        required: true,
                        default: None,
                        description: "The file.".into(),
                    }],
                },
            ],
        }
    }

    fn invoke(activity: String, arguments: String, context: Context) -> Result<String, Error> {
        let arguments: Value = serde_json::from_str(&arguments)
            .map_err(|e| Error::InvalidArguments(format!("not JSON: {e}")))?;
        let text = |name: &str| {
            arguments[name]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Error::InvalidArguments(format!("`{name}` must be a string")))
        };
        match activity.as_str() {
            "greet" => {
                let who = text("who")?;
                log(Level::Info, &format!("greeting {who}"));
                let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
                Ok(json!({
                    "greeting": format!("hello, {who}"),
                    "configuration": parse(&context.configuration),
                    "secrets": parse(&context.secrets),
                })
                .to_string())
            }
            "status" => get(&text("url")?)
                .map(|status| status.to_string())
                .map_err(Error::Failed),
            "read" => {
                let path = text("path")?;
                match std::fs::read_to_string(&path) {
                    Ok(content) => Ok(Value::String(content).to_string()),
                    Err(e) => Err(Error::Failed(format!("cannot read {path}: {e}"))),
                }
            }
            other => Err(Error::UnknownActivity(other.into())),
        }
    }
}

/// The status of a GET of `url`, through plain `wasi:http` as 0.1.0 plugins used it.
fn get(url: &str) -> Result<u16, String> {
    use wasip2::http::outgoing_handler;
    use wasip2::http::types::{Fields, OutgoingRequest, Scheme};
    let (scheme, rest) = url.split_once("://").ok_or("the URL has no scheme")?;
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    let request = OutgoingRequest::new(Fields::new());
    let scheme = if scheme == "https" {
        Scheme::Https
    } else {
        Scheme::Http
    };
    request
        .set_scheme(Some(&scheme))
        .and_then(|()| request.set_authority(Some(authority)))
        .and_then(|()| request.set_path_with_query(Some(path)))
        .map_err(|()| format!("the host refused the URL {url}"))?;
    let response = outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
    response.subscribe().block();
    match response.get() {
        Some(Ok(Ok(response))) => Ok(response.status()),
        Some(Ok(Err(e))) => Err(format!("{e:?}")),
        _ => Err("no response".into()),
    }
}

export!(Legacy);
