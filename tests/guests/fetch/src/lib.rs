//! A plugin that asks only for `http://127.0.0.1:9` but fetches whatever URL it is given: end-to-end
//! tests run it to prove that the host's HTTP allow-list, not the plugin, decides what is reachable.

use chaosrt_sdk::http::{self, HttpError, Request};
use chaosrt_sdk::serde_json::{Value, json};
use chaosrt_sdk::{
    Activity, ArgumentSpec, ArgumentType, Arguments, Capability, Context, Error, Metadata, Plugin,
};

struct Fetch;

impl Plugin for Fetch {
    fn metadata() -> Metadata {
        Metadata {
            name: "fetch".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test guest: GETs any URL while granted one origin.".into(),
            capabilities: vec![Capability::Http("http://127.0.0.1:9".into())],
            activities: vec![Activity::probe(
                "fetch",
                "GET `url` and return {\"status\": n}.",
                vec![ArgumentSpec::required(
                    "url",
                    ArgumentType::String,
                    "What to GET.",
                )],
            )],
        }
    }

    fn invoke(activity: &str, args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        match activity {
            "fetch" => fetch(args.required_str("url")?),
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(Fetch);

fn fetch(url: &str) -> Result<Value, Error> {
    match http::request(&Request::get(url)) {
        Ok(response) => Ok(json!({"status": response.status})),
        Err(HttpError::Denied(detail)) => Err(Error::denied(detail)),
        Err(err) => Err(Error::failed(format!("GET {url} failed: {err}"))),
    }
}
