use chaosrt_sdk::{Capability, Error, http};

/// Whether the service's health endpoint answers 200.
#[chaosrt_sdk::probe]
fn healthy(
    /// The path to check.
    #[default("/health")]
    path: String,
) -> Result<bool, Error> {
    let response = http::get(format!("http://localhost:8080{path}"))?;
    Ok(response.status == 200)
}

chaosrt_sdk::plugin! {
    description: "Checks a service's health endpoint.",
    capabilities: [Capability::http_origin("http://localhost:8080")],
    activities: [healthy],
}
