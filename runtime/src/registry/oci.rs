//! Plugins in OCI registries, in the Wasm OCI artifact layout that wkg, Spin and wasmCloud use (CNCF
//! TAG Runtime's "Wasm OCI Artifact layout"): an image manifest whose config has the media type
//! `application/vnd.wasm.config.v0+json` and whose one layer, `application/wasm`, is the component.
//!
//! Pulling reads what a registry chose to send, so every read is chaosrt's own bounded GET
//! ([`crate::download`]): the manifest (4 MiB, what the distribution spec asks registries to accept),
//! a token (64 KiB) and the layer (the size the manifest gives it, at most what the host accepts for a
//! component), each checked against its digest. `oci-client` reads whole bodies without a cap, so it
//! only parses references and pushes (where chaosrt sends its own bytes). A registry on this
//! machine's loopback is spoken to over plain HTTP, every other over TLS. Credentials come from the
//! docker config ([`credentials`]) and never appear in a message.

mod credentials;

pub use credentials::{Credentials, docker_config_path};

use crate::download::{self, GetError};
use crate::escape::escape;
use crate::host::MAX_COMPONENT_BYTES;
use crate::host::cache::sha256_hex;
use chaosrt_experiment::FetchPolicy;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The image manifest's media type.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The config's media type: what marks a manifest as a Wasm artifact.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The one layer's media type: the component itself.
pub const LAYER_MEDIA_TYPE: &str = "application/wasm";

/// The largest manifest read: the distribution spec asks registries to accept at least 4 MiB, and a
/// Wasm artifact's is well under a kilobyte.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// The largest token answer read from an auth realm.
const MAX_TOKEN_BYTES: u64 = 64 << 10;
/// The largest answer to anything else (`/v2/`, an error).
const MAX_SMALL_BYTES: u64 = 64 << 10;
/// How long one exchange with a registry may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// `oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRef {
    /// `HOST[:PORT]`, as written.
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:HEX` of the manifest.
    pub digest: Option<String>,
}

/// Why a plugin could not be pulled from or pushed to a registry. Messages name the reference and
/// what to do; none carries a credential.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// Not an `oci://` reference chaosrt can use.
    #[error("'{reference}' is not an OCI reference chaosrt can use: {problem}")]
    BadReference { reference: String, problem: String },
    /// The docker config could not be read.
    #[error("{0}")]
    Credentials(String),
    /// The registry could not be reached or the exchange failed.
    #[error("cannot reach the registry {registry}: {detail}")]
    Unreachable { registry: String, detail: String },
    /// The registry wants a login chaosrt does not have, or refused the one it sent.
    #[error("{0}")]
    Auth(String),
    /// The registry answered with an error status.
    #[error("{what}: the registry answered {status}{detail}")]
    Status {
        what: String,
        status: StatusCode,
        detail: String,
    },
    /// A manifest that is not a Wasm OCI artifact (a container image, an index, …).
    #[error(
        "{reference} is not a Wasm OCI artifact: {problem} (chaosrt installs the layout wkg, Spin \
         and `chaosrt plugin push` publish: config {CONFIG_MEDIA_TYPE}, one layer {LAYER_MEDIA_TYPE})"
    )]
    NotWasm { reference: String, problem: String },
    /// Something larger than chaosrt reads.
    #[error("{0}")]
    TooLarge(String),
    /// Bytes whose digest is not the one they were asked for by.
    #[error(
        "{what} from {reference} has digest {found}, not the {expected} it was asked for by; \
         nothing was installed"
    )]
    Digest {
        what: &'static str,
        reference: String,
        expected: String,
        found: String,
    },
    /// Pushing failed.
    #[error("cannot push to {reference}: {detail}")]
    Push { reference: String, detail: String },
}

impl OciRef {
    /// Parses `oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]`: the registry must be named (no
    /// Docker Hub default), and a reference without tag or digest is refused rather than read as
    /// `latest`, which would install whatever that tag says today.
    pub fn parse(source: &str) -> Result<OciRef, OciError> {
        let bad = |problem: &str| OciError::BadReference {
            reference: escape(source).into_owned(),
            problem: problem.to_string(),
        };
        let rest = source
            .strip_prefix("oci://")
            .ok_or_else(|| bad("it does not start with oci://"))?;
        let (registry, _) = rest
            .split_once('/')
            .ok_or_else(|| bad("write oci://HOST[:PORT]/REPOSITORY:TAG"))?;
        if registry.is_empty()
            || !registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        {
            return Err(bad("the registry must be HOST or HOST:PORT"));
        }
        let parsed = oci_client::Reference::try_from(rest).map_err(|e| bad(&e.to_string()))?;
        if parsed.registry() != registry {
            return Err(bad("the registry must be HOST or HOST:PORT"));
        }
        let tag = parsed.tag().map(str::to_string);
        let digest = parsed.digest().map(str::to_string);
        // oci-client reads a bare repository as `:latest`; only a tag that is written counts.
        let written_tag = tag.filter(|t| {
            rest.split('@')
                .next()
                .is_some_and(|name| name.ends_with(&format!(":{t}")))
        });
        if written_tag.is_none() && digest.is_none() {
            return Err(bad(
                "name a tag (:1.0) or a digest (@sha256:…); chaosrt does not assume :latest",
            ));
        }
        if let Some(d) = &digest
            && !is_sha256_digest(d)
        {
            return Err(bad("the digest must be sha256:<64 hex digits>"));
        }
        Ok(OciRef {
            registry: registry.to_string(),
            repository: parsed.repository().to_string(),
            tag: written_tag,
            digest,
        })
    }

    /// Whether the registry is on this machine's loopback (spoken to over plain HTTP).
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
            _ => &self.registry,
        };
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// `http://HOST[:PORT]` for a loopback registry, `https://HOST[:PORT]` for any other.
    pub fn base(&self) -> String {
        let scheme = if self.is_loopback() { "http" } else { "https" };
        format!("{scheme}://{}", self.registry)
    }

    /// The manifest's reference in the API: the digest when pinned, else the tag.
    fn reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// This reference pinned to the manifest `digest`, as a store records where a plugin came from:
    /// the tag stays for the reader, the digest says what it named then.
    pub fn pinned(&self, digest: &str) -> String {
        OciRef {
            digest: Some(digest.to_string()),
            ..self.clone()
        }
        .to_string()
    }
}

impl std::fmt::Display for OciRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// What a registry held under a reference.
#[derive(Debug)]
pub struct Pulled {
    /// The component (the layer), checked against its digest.
    pub bytes: Vec<u8>,
    /// `sha256:…` of the manifest the reference named when it was read.
    pub manifest_digest: String,
}

/// The image manifest, as much of it as chaosrt reads and writes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    schema_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
}

/// How requests to one registry are authorized.
#[derive(Clone)]
enum Authorization {
    /// The registry asks for nothing.
    Anonymous,
    /// HTTP basic auth with the docker config's credentials.
    Basic(Credentials),
    /// A token the registry's auth realm issued.
    Bearer(String),
}

impl Authorization {
    fn header(&self) -> Option<String> {
        match self {
            Authorization::Anonymous => None,
            Authorization::Basic(credentials) => Some(credentials.basic_header()),
            Authorization::Bearer(token) => Some(format!("Bearer {token}")),
        }
    }
}

/// One bounded GET to (or, for a realm, on behalf of) a registry.
async fn get(
    registry: &str,
    url: &str,
    accept: &str,
    authorization: Option<String>,
    max_bytes: u64,
    too_large: impl FnOnce() -> String,
) -> Result<download::Fetched, OciError> {
    let mut headers = vec![(ACCEPT, accept.to_string())];
    if let Some(value) = authorization {
        headers.push((AUTHORIZATION, value));
    }
    let request = download::Request {
        url,
        headers,
        max_bytes,
        timeout: TIMEOUT,
        // Plain http is only ever asked of loopback; a redirect elsewhere over it is refused.
        policy: FetchPolicy {
            verify_tls: true,
            allow_http: false,
        },
        plain_http_refusal: |url| {
            format!("refusing to follow a redirect to {url}: plain http to another machine")
        },
    };
    download::get(&request).await.map_err(|e| match e {
        GetError::TooLarge => OciError::TooLarge(too_large()),
        GetError::Request(e) => OciError::Unreachable {
            registry: registry.to_string(),
            detail: error_chain(&e),
        },
    })
}

/// An error and its causes on one line: reqwest's own message alone says only "error sending
/// request".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A short, escaped excerpt of an error body a registry sent, for a message.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    format!(": {}", escape(&crate::escape::clip(text, 300)))
}

/// Finds out how the registry wants requests for `reference` authorized (`push` too, or only
/// pull), and gets a token when it uses a token realm.
async fn authorize(
    reference: &OciRef,
    credentials: &credentials::Lookup,
    push: bool,
) -> Result<Authorization, OciError> {
    let registry = &reference.registry;
    let url = format!("{}/v2/", reference.base());
    let answer = get(
        registry,
        &url,
        "application/json",
        None,
        MAX_SMALL_BYTES,
        || format!("the registry {registry} answered /v2/ with more than 64 KiB"),
    )
    .await?;
    if answer.status.is_success() {
        return Ok(Authorization::Anonymous);
    }
    if answer.status != StatusCode::UNAUTHORIZED {
        return Err(OciError::Status {
            what: format!("{url} (the registry API)"),
            status: answer.status,
            detail: excerpt(&answer.body),
        });
    }
    let challenge = answer
        .headers
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    match Challenge::parse(&challenge) {
        Some(Challenge::Basic) => {
            let Some(found) = &credentials.found else {
                return Err(OciError::Auth(credentials.missing(registry)));
            };
            // Tried once here, so a wrong password is told as such, not as a failed upload.
            let basic = Authorization::Basic(found.clone());
            let again = get(
                registry,
                &url,
                "application/json",
                basic.header(),
                MAX_SMALL_BYTES,
                || format!("the registry {registry} answered /v2/ with more than 64 KiB"),
            )
            .await?;
            if again.status.is_success() {
                Ok(basic)
            } else {
                Err(OciError::Auth(credentials.refused(registry)))
            }
        }
        Some(Challenge::Bearer { realm, service }) => {
            token(reference, credentials, push, &realm, service.as_deref()).await
        }
        None => Err(OciError::Auth(format!(
            "the registry {registry} asks for a login chaosrt cannot give (WWW-Authenticate: {}); \
             chaosrt speaks HTTP basic auth and bearer tokens",
            escape(&crate::escape::clip(&challenge, 200))
        ))),
    }
}

/// An authentication challenge chaosrt can answer.
#[derive(Debug, PartialEq, Eq)]
enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

impl Challenge {
    fn parse(header: &str) -> Option<Challenge> {
        let mut basic = false;
        for challenge in http_auth::ChallengeParser::new(header).flatten() {
            if challenge.scheme.eq_ignore_ascii_case("bearer") {
                let param = |name: &str| {
                    challenge
                        .params
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.to_unescaped())
                };
                if let Some(realm) = param("realm") {
                    return Some(Challenge::Bearer {
                        realm,
                        service: param("service"),
                    });
                }
            } else if challenge.scheme.eq_ignore_ascii_case("basic") {
                basic = true;
            }
        }
        basic.then_some(Challenge::Basic)
    }
}

/// Asks the registry's token realm for a token to pull (and push) `reference`, with the docker
/// config's credentials when there are some. The realm is where those credentials go, so it must
/// be https, or plain http on this machine's loopback.
async fn token(
    reference: &OciRef,
    credentials: &credentials::Lookup,
    push: bool,
    realm: &str,
    service: Option<&str>,
) -> Result<Authorization, OciError> {
    let registry = &reference.registry;
    let mut url = reqwest::Url::parse(realm).map_err(|_| {
        OciError::Auth(format!(
            "the registry {registry} names the token realm '{}', which is not a URL",
            escape(realm)
        ))
    })?;
    let loopback_http = url.scheme() == "http" && !chaosrt_experiment::is_remote_http(&url);
    if url.scheme() != "https" && !loopback_http {
        return Err(OciError::Auth(format!(
            "the registry {registry} names the token realm {}, which is not https: chaosrt sends \
             credentials and takes tokens only over TLS (or on this machine's loopback)",
            escape(realm)
        )));
    }
    let actions = if push { "pull,push" } else { "pull" };
    {
        let mut query = url.query_pairs_mut();
        if let Some(service) = service {
            query.append_pair("service", service);
        }
        query.append_pair(
            "scope",
            &format!("repository:{}:{actions}", reference.repository),
        );
    }
    let basic = credentials.found.as_ref().map(Credentials::basic_header);
    let answer = get(
        registry,
        url.as_str(),
        "application/json",
        basic,
        MAX_TOKEN_BYTES,
        || format!("the token realm of {registry} answered with more than 64 KiB"),
    )
    .await?;
    if answer.status == StatusCode::UNAUTHORIZED || answer.status == StatusCode::FORBIDDEN {
        return Err(OciError::Auth(credentials.refused(registry)));
    }
    if !answer.status.is_success() {
        return Err(OciError::Status {
            what: format!("the token realm of {registry}"),
            status: answer.status,
            detail: excerpt(&answer.body),
        });
    }
    #[derive(Deserialize)]
    struct Token {
        token: Option<String>,
        access_token: Option<String>,
    }
    let parsed: Token = serde_json::from_slice(&answer.body).map_err(|_| {
        OciError::Auth(format!(
            "the token realm of {registry} answered with something that is not a token"
        ))
    })?;
    parsed
        .token
        .or(parsed.access_token)
        .filter(|t| !t.is_empty())
        .map(Authorization::Bearer)
        .ok_or_else(|| {
            OciError::Auth(format!(
                "the token realm of {registry} answered without a token"
            ))
        })
}

/// Pulls the component `reference` names: the manifest once (checked against the reference's digest
/// when it has one), then its one layer by digest. A tag that moves meanwhile cannot mix two
/// artifacts: the layer is the one the manifest read names, and the manifest's digest is returned
/// for the record.
pub async fn pull(reference: &OciRef) -> Result<Pulled, OciError> {
    let shown = escape(&reference.to_string()).into_owned();
    let credentials = credentials::lookup(&reference.registry)?;
    let authorization = authorize(reference, &credentials, false).await?;
    let url = format!(
        "{}/v2/{}/manifests/{}",
        reference.base(),
        reference.repository,
        reference.reference()
    );
    let fetched = get(
        &reference.registry,
        &url,
        MANIFEST_MEDIA_TYPE,
        authorization.header(),
        MAX_MANIFEST_BYTES,
        || {
            format!(
                "the manifest of {shown} is larger than the {} MiB chaosrt reads; nothing was installed",
                MAX_MANIFEST_BYTES >> 20
            )
        },
    )
    .await?;
    check_status(&fetched, &shown, "the manifest", &credentials, reference)?;
    let manifest_digest = sha256_digest(&fetched.body);
    if let Some(expected) = &reference.digest
        && *expected != manifest_digest
    {
        return Err(OciError::Digest {
            what: "the manifest",
            reference: shown,
            expected: expected.clone(),
            found: manifest_digest,
        });
    }
    let layer = wasm_layer(&fetched.body, &shown)?;
    if layer.size > MAX_COMPONENT_BYTES as u64 {
        return Err(OciError::TooLarge(format!(
            "the component of {shown} is {:.1} MiB, larger than the {} MiB chaosrt accepts for a \
             plugin component; nothing was downloaded",
            layer.size as f64 / f64::from(1 << 20),
            MAX_COMPONENT_BYTES >> 20
        )));
    }
    let url = format!(
        "{}/v2/{}/blobs/{}",
        reference.base(),
        reference.repository,
        layer.digest
    );
    let fetched = get(
        &reference.registry,
        &url,
        LAYER_MEDIA_TYPE,
        authorization.header(),
        layer.size,
        || {
            format!(
                "the component of {shown} is longer than the {} bytes its manifest gives it; \
                 nothing was installed",
                layer.size
            )
        },
    )
    .await?;
    check_status(&fetched, &shown, "the component", &credentials, reference)?;
    let found = sha256_digest(&fetched.body);
    if found != layer.digest {
        return Err(OciError::Digest {
            what: "the component",
            reference: shown,
            expected: layer.digest,
            found,
        });
    }
    Ok(Pulled {
        bytes: fetched.body,
        manifest_digest,
    })
}

/// Refuses an error status with what it means for this reference.
fn check_status(
    fetched: &download::Fetched,
    shown: &str,
    what: &str,
    credentials: &credentials::Lookup,
    reference: &OciRef,
) -> Result<(), OciError> {
    match fetched.status {
        s if s.is_success() => Ok(()),
        StatusCode::NOT_FOUND => Err(OciError::Status {
            what: format!("{what} of {shown}"),
            status: fetched.status,
            detail: " (no such repository, tag or digest)".into(),
        }),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            Err(OciError::Auth(credentials.refused(&reference.registry)))
        }
        _ => Err(OciError::Status {
            what: format!("{what} of {shown}"),
            status: fetched.status,
            detail: excerpt(&fetched.body),
        }),
    }
}

/// The one `application/wasm` layer of a Wasm artifact's manifest; anything else is refused with
/// what it is instead.
fn wasm_layer(body: &[u8], shown: &str) -> Result<Descriptor, OciError> {
    let not_wasm = |problem: String| OciError::NotWasm {
        reference: shown.to_string(),
        problem,
    };
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| not_wasm(format!("its manifest is not JSON ({e})")))?;
    let media_type = value.get("mediaType").and_then(|v| v.as_str());
    if let Some(media_type) = media_type
        && media_type != MANIFEST_MEDIA_TYPE
    {
        let what = if media_type.contains("index") || media_type.contains("list") {
            "an index of several images"
        } else {
            "a manifest of another kind"
        };
        return Err(not_wasm(format!(
            "it is {what} ({})",
            escape(&crate::escape::clip(media_type, 200))
        )));
    }
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| {
        not_wasm(format!(
            "its manifest does not parse as an image manifest ({e})"
        ))
    })?;
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(not_wasm(format!(
            "its config is {}",
            escape(&crate::escape::clip(&manifest.config.media_type, 200))
        )));
    }
    let mut layers = manifest.layers.into_iter();
    let (Some(layer), None) = (layers.next(), layers.next()) else {
        return Err(not_wasm("it does not have exactly one layer".into()));
    };
    if layer.media_type != LAYER_MEDIA_TYPE {
        return Err(not_wasm(format!(
            "its layer is {}",
            escape(&crate::escape::clip(&layer.media_type, 200))
        )));
    }
    if !is_sha256_digest(&layer.digest) {
        return Err(not_wasm(
            "its layer's digest is not sha256:<64 hex digits>".into(),
        ));
    }
    Ok(layer)
}

/// What `chaosrt plugin push` publishes besides the component: its name, version and description
/// as OCI annotations.
pub struct Published<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub description: &'a str,
}

/// Pushes `component` to `reference` (which must name a tag) as a Wasm OCI artifact; returns the
/// manifest's digest.
pub async fn push(
    reference: &OciRef,
    component: &[u8],
    published: &Published<'_>,
) -> Result<String, OciError> {
    let shown = escape(&reference.to_string()).into_owned();
    let failed = |detail: String| OciError::Push {
        reference: shown.clone(),
        detail,
    };
    let Some(tag) = &reference.tag else {
        return Err(OciError::BadReference {
            reference: shown.clone(),
            problem: "a push needs a tag to publish under (oci://HOST/REPOSITORY:TAG)".into(),
        });
    };
    let credentials = credentials::lookup(&reference.registry)?;
    let authorization = authorize(reference, &credentials, true).await?;
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let layer_digest = sha256_digest(component);
    let config = serde_json::to_vec(&wasm_config(component, &layer_digest, &created))
        .expect("configs serialise");
    let annotations = BTreeMap::from([
        ("org.opencontainers.image.created".into(), created),
        (
            "org.opencontainers.image.title".into(),
            published.name.into(),
        ),
        (
            "org.opencontainers.image.version".into(),
            published.version.into(),
        ),
        (
            "org.opencontainers.image.description".into(),
            published.description.into(),
        ),
    ]);
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.into()),
        config: Descriptor {
            media_type: CONFIG_MEDIA_TYPE.into(),
            digest: sha256_digest(&config),
            size: config.len() as u64,
        },
        layers: vec![Descriptor {
            media_type: LAYER_MEDIA_TYPE.into(),
            digest: layer_digest.clone(),
            size: component.len() as u64,
        }],
        annotations,
    };
    let manifest = serde_json::to_vec(&manifest).expect("manifests serialise");

    download::install_crypto_provider();
    let protocol = if reference.is_loopback() {
        oci_client::client::ClientProtocol::Http
    } else {
        oci_client::client::ClientProtocol::Https
    };
    let client = oci_client::Client::try_from(oci_client::client::ClientConfig {
        protocol,
        read_timeout: Some(TIMEOUT),
        connect_timeout: Some(Duration::from_secs(30)),
        ..Default::default()
    })
    .map_err(|e| failed(error_chain(&e)))?;
    let image = oci_client::Reference::with_tag(
        reference.registry.clone(),
        reference.repository.clone(),
        tag.clone(),
    );
    let auth = match authorization {
        Authorization::Anonymous => oci_client::secrets::RegistryAuth::Anonymous,
        Authorization::Basic(c) => c.registry_auth(),
        Authorization::Bearer(token) => oci_client::secrets::RegistryAuth::Bearer(token),
    };
    client
        .store_auth_if_needed(&reference.registry, &auth)
        .await;
    let oci = |e: oci_client::errors::OciDistributionError| {
        failed(escape(&crate::escape::clip(&error_chain(&e), 500)).into_owned())
    };
    client
        .push_blob(&image, component.to_vec(), &layer_digest)
        .await
        .map_err(oci)?;
    let config_digest = sha256_digest(&config);
    client
        .push_blob(&image, config, &config_digest)
        .await
        .map_err(oci)?;
    let digest = sha256_digest(&manifest);
    client
        .push_manifest_raw(
            &image,
            manifest,
            reqwest::header::HeaderValue::from_static(MANIFEST_MEDIA_TYPE),
        )
        .await
        .map_err(oci)?;
    Ok(digest)
}

/// The Wasm artifact's config: `architecture` wasm, `os` wasip2 (a component), the layer's digest,
/// and the component's top-level imports and exports, as the layout asks for a component.
fn wasm_config(component: &[u8], layer_digest: &str, created: &str) -> serde_json::Value {
    let (imports, exports) = component_world(component);
    serde_json::json!({
        "created": created,
        "author": null,
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer_digest],
        "component": {"exports": exports, "imports": imports, "target": null},
    })
}

/// The names a component imports and exports at its top level (`wasi:http/outgoing-handler@0.2.6`,
/// `chaosrt:plugin/plugin@0.2.0`), in order; empty for bytes that do not parse (the caller checked
/// them already).
fn component_world(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    use wasmparser::{Parser, Payload};
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    // `parse_all` descends into nested modules and components: only depth 1 is the top level.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::Version { .. }) => depth += 1,
            Ok(Payload::End(_)) => depth = depth.saturating_sub(1),
            Ok(Payload::ComponentImportSection(section)) if depth == 1 => imports.extend(
                section
                    .into_iter()
                    .flatten()
                    .map(|i| i.name.name.to_string()),
            ),
            Ok(Payload::ComponentExportSection(section)) if depth == 1 => exports.extend(
                section
                    .into_iter()
                    .flatten()
                    .map(|e| e.name.name.to_string()),
            ),
            Err(_) => break,
            Ok(_) => {}
        }
    }
    (imports, exports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_registry_and_a_tag_or_digest() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let r = OciRef::parse("oci://127.0.0.1:5000/chaos/escape:1.0").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "chaos/escape", Some("1.0"))
        );
        assert_eq!(r.base(), "http://127.0.0.1:5000");
        assert_eq!(r.to_string(), "oci://127.0.0.1:5000/chaos/escape:1.0");
        assert_eq!(
            r.pinned(&digest),
            format!("oci://127.0.0.1:5000/chaos/escape:1.0@{digest}")
        );
        let pinned = OciRef::parse(&format!("oci://localhost/x@{digest}")).unwrap();
        assert_eq!((pinned.tag, pinned.digest), (None, Some(digest.clone())));
        assert_eq!(pinned.registry, "localhost");
        let remote = OciRef::parse("oci://registry.example.com/team/probe:2").unwrap();
        assert_eq!(remote.base(), "https://registry.example.com");
        assert!(!remote.is_loopback());
        let v6 = OciRef {
            registry: "[::1]:5000".into(),
            ..remote.clone()
        };
        assert_eq!(v6.base(), "http://[::1]:5000");
        for (bad, why) in [
            ("oci://127.0.0.1:5000/x", "does not assume :latest"),
            ("oci://escape:1.0", "write oci://HOST"),
            ("oci://127.0.0.1/x@sha256:abc", "not an OCI reference"),
            ("oci:///x:1", "registry"),
            ("oci://127.0.0.1/UPPER:1", "not an OCI reference"),
        ] {
            let err = OciRef::parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn only_a_wasm_artifact_with_one_wasm_layer_is_accepted() {
        let layer = format!("sha256:{}", "b".repeat(64));
        let manifest = |media: &str, config: &str, layers: serde_json::Value| {
            serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2, "mediaType": media,
                "config": {"mediaType": config, "digest": layer, "size": 2},
                "layers": layers,
            }))
            .unwrap()
        };
        let one = serde_json::json!([{"mediaType": LAYER_MEDIA_TYPE, "digest": layer, "size": 9}]);
        let ok = wasm_layer(
            &manifest(MANIFEST_MEDIA_TYPE, CONFIG_MEDIA_TYPE, one.clone()),
            "r",
        )
        .unwrap();
        assert_eq!((ok.digest.as_str(), ok.size), (layer.as_str(), 9));
        let refused = |body: Vec<u8>| wasm_layer(&body, "r").unwrap_err().to_string();
        let image = refused(manifest(
            MANIFEST_MEDIA_TYPE,
            "application/vnd.oci.image.config.v1+json",
            one.clone(),
        ));
        assert!(
            image.contains("its config is application/vnd.oci.image.config.v1+json"),
            "{image}"
        );
        let index = refused(manifest(
            "application/vnd.oci.image.index.v1+json",
            CONFIG_MEDIA_TYPE,
            one,
        ));
        assert!(index.contains("an index of several images"), "{index}");
        let two = serde_json::json!([
            {"mediaType": LAYER_MEDIA_TYPE, "digest": layer, "size": 9},
            {"mediaType": LAYER_MEDIA_TYPE, "digest": layer, "size": 9}
        ]);
        let two = refused(manifest(MANIFEST_MEDIA_TYPE, CONFIG_MEDIA_TYPE, two));
        assert!(two.contains("exactly one layer"), "{two}");
        let tar = serde_json::json!([{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 9}]);
        let tar = refused(manifest(MANIFEST_MEDIA_TYPE, CONFIG_MEDIA_TYPE, tar));
        assert!(tar.contains("its layer is application/vnd.oci.image.layer.v1.tar+gzip"));
        assert!(refused(b"<html>".to_vec()).contains("not JSON"));
    }

    #[test]
    fn challenges_are_read_as_basic_or_bearer() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="registry""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.example.com/token",service="registry.example.com""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example.com/token".into(),
                service: Some("registry.example.com".into())
            })
        );
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn the_config_lists_the_components_world() {
        let fs = chaosrt_builtins::FS.component();
        let config = wasm_config(fs, "sha256:x", "2026-01-01T00:00:00Z");
        assert_eq!(config["os"], "wasip2");
        assert_eq!(config["architecture"], "wasm");
        assert_eq!(config["layerDigests"], serde_json::json!(["sha256:x"]));
        let exports = config["component"]["exports"].as_array().unwrap();
        assert!(
            exports
                .iter()
                .any(|e| e.as_str().unwrap().starts_with("chaosrt:plugin/plugin@")),
            "{config:#}"
        );
        let imports = config["component"]["imports"].as_array().unwrap();
        assert!(
            imports
                .iter()
                .any(|i| i.as_str().unwrap().starts_with("wasi:filesystem/")),
            "{config:#}"
        );
    }
}
