//! A plugin that asks only for `http://127.0.0.1:9` but fetches whatever URL it is given: end-to-end
//! tests run it to prove that the host's HTTP allow-list, not the plugin, decides what is reachable.

use chaosrt_sdk::http::{self, HttpError};
use chaosrt_sdk::serde_json::{Value, json};
use chaosrt_sdk::{Capability, Error};

/// GET `url` and return {"status": n}.
#[chaosrt_sdk::probe]
fn fetch(
    /// What to GET.
    url: String,
) -> Result<Value, Error> {
    match http::get(url.as_str()) {
        Ok(response) => Ok(json!({"status": response.status})),
        Err(HttpError::Denied(detail)) => Err(Error::denied(detail)),
        Err(err) => Err(Error::failed(format!("GET {url} failed: {err}"))),
    }
}

chaosrt_sdk::plugin! {
    name: "fetch",
    description: "Test guest: GETs any URL while granted one origin.",
    capabilities: [Capability::http_origin("http://127.0.0.1:9")],
    activities: [fetch],
}
