//! Where the host's Kubernetes client gets its cluster and credentials, in chaostoolkit-kubernetes'
//! order (`chaosk8s.create_k8s_api_client`), each value looked up in the call's secrets first and the
//! environment second (secrets win):
//!
//! 1. a kubeconfig, when one exists (`KUBECONFIG`, which may list several files, else
//!    `~/.kube/config`), with the context `KUBERNETES_CONTEXT` (else its current context);
//! 2. the pod's service account, when the environment says `CHAOSTOOLKIT_IN_POD=true`;
//! 3. explicit settings: `KUBERNETES_HOST`, with `KUBERNETES_API_KEY` (and `KUBERNETES_API_KEY_PREFIX`,
//!    `Bearer` by default) or `KUBERNETES_CERT_FILE` + `KUBERNETES_KEY_FILE`, `KUBERNETES_CA_CERT_FILE`.
//!
//! One deliberate difference: chaosk8s skips TLS verification of an explicit host unless
//! `KUBERNETES_VERIFY_SSL` is set; chaosrt verifies unless it is `false`, `0` or `no`.
//!
//! Clients are made on a plugin's first request (never for a run that does not use Kubernetes) and
//! kept for the process, one per distinct cluster and identity. `kube`'s own retry layer is off: the
//! host's bounded retries ([`super::execute`]) decide, within the call's deadline.

use super::super::bindings::v0_2::kubernetes::Error;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// A client and, for messages, the server it talks to.
#[derive(Clone)]
pub struct Target {
    pub client: kube::Client,
    pub server: String,
}

/// How long making a TCP (and TLS) connection to the API server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The clients made so far, by what they were made from.
fn clients() -> &'static Mutex<HashMap<String, Target>> {
    static CLIENTS: OnceLock<Mutex<HashMap<String, Target>>> = OnceLock::new();
    CLIENTS.get_or_init(Default::default)
}

/// The client for a call with `secrets` (`{scope: {key: value}}` JSON text).
pub async fn client(secrets: &str) -> Result<Target, Error> {
    let source = Source::resolve(&Lookup::new(secrets))?;
    let key = format!("{source:?}");
    if let Some(target) = clients().lock().unwrap().get(&key) {
        return Ok(target.clone());
    }
    let target = source.connect().await?;
    clients()
        .lock()
        .unwrap()
        .entry(key)
        .or_insert(target.clone());
    Ok(target)
}

/// `KEY` from the call's secrets (any scope it was given), else from chaosrt's environment.
struct Lookup {
    secrets: Map<String, Value>,
}

impl Lookup {
    fn new(secrets: &str) -> Lookup {
        let mut flat = Map::new();
        if let Ok(Value::Object(scopes)) = serde_json::from_str::<Value>(secrets) {
            for (_, scope) in scopes {
                if let Value::Object(entries) = scope {
                    flat.extend(entries);
                }
            }
        }
        Lookup { secrets: flat }
    }

    fn get(&self, key: &str) -> Option<String> {
        match self.secrets.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => std::env::var(key).ok(),
            Some(other) => Some(other.to_string()),
        }
        .filter(|v| !v.is_empty())
    }
}

/// What a client is made from. `Debug` is the cache key (it never leaves the process).
#[derive(Debug)]
enum Source {
    Kubeconfig {
        paths: Vec<PathBuf>,
        context: Option<String>,
    },
    InCluster,
    Explicit {
        host: String,
        authorization: Option<String>,
        cert_file: Option<String>,
        key_file: Option<String>,
        ca_file: Option<String>,
        verify: bool,
    },
}

impl Source {
    fn resolve(lookup: &Lookup) -> Result<Source, Error> {
        let paths: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
            Some(list) if !list.is_empty() => std::env::split_paths(&list).collect(),
            _ => std::env::var_os("HOME")
                .map(|home| vec![PathBuf::from(home).join(".kube/config")])
                .unwrap_or_default(),
        };
        let paths: Vec<PathBuf> = paths.into_iter().filter(|p| p.is_file()).collect();
        if !paths.is_empty() {
            return Ok(Source::Kubeconfig {
                paths,
                context: lookup.get("KUBERNETES_CONTEXT"),
            });
        }
        if std::env::var("CHAOSTOOLKIT_IN_POD").as_deref() == Ok("true") {
            return Ok(Source::InCluster);
        }
        let Some(host) = lookup.get("KUBERNETES_HOST") else {
            return Err(Error::Unavailable(
                "no Kubernetes credentials: no kubeconfig (KUBECONFIG, else ~/.kube/config), \
                 CHAOSTOOLKIT_IN_POD is not `true`, and no KUBERNETES_HOST in the activity's \
                 secrets or the environment"
                    .into(),
            ));
        };
        let authorization = lookup.get("KUBERNETES_API_KEY").map(|key| {
            let prefix = lookup
                .get("KUBERNETES_API_KEY_PREFIX")
                .unwrap_or_else(|| "Bearer".into());
            format!("{prefix} {key}")
        });
        let verify = !matches!(
            lookup
                .get("KUBERNETES_VERIFY_SSL")
                .map(|v| v.to_ascii_lowercase())
                .as_deref(),
            Some("false" | "0" | "no")
        );
        Ok(Source::Explicit {
            host,
            authorization,
            cert_file: lookup.get("KUBERNETES_CERT_FILE"),
            key_file: lookup.get("KUBERNETES_KEY_FILE"),
            ca_file: lookup.get("KUBERNETES_CA_CERT_FILE"),
            verify,
        })
    }

    async fn connect(&self) -> Result<Target, Error> {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            Error::Unavailable(format!(
                "cannot use the Kubernetes credentials from {what}: {}",
                crate::escape::clip(&e.to_string(), 500)
            ))
        };
        let mut config = match self {
            Source::Kubeconfig { paths, context } => {
                let shown = paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(":");
                let mut merged: Option<Kubeconfig> = None;
                for path in paths {
                    let next = Kubeconfig::read_from(path).map_err(|e| failed(&shown, &e))?;
                    merged = Some(match merged {
                        None => next,
                        Some(m) => m.merge(next).map_err(|e| failed(&shown, &e))?,
                    });
                }
                let options = KubeConfigOptions {
                    context: context.clone(),
                    ..Default::default()
                };
                let what = match context {
                    Some(c) => format!("{shown} (context {c})"),
                    None => shown.clone(),
                };
                kube::Config::from_custom_kubeconfig(merged.unwrap_or_default(), &options)
                    .await
                    .map_err(|e| failed(&what, &e))?
            }
            Source::InCluster => {
                kube::Config::incluster().map_err(|e| failed("the pod's service account", &e))?
            }
            Source::Explicit {
                host,
                authorization,
                cert_file,
                key_file,
                ca_file,
                verify,
            } => {
                let kubeconfig: Kubeconfig = serde_json::from_value(json!({
                    "clusters": [{"name": "explicit", "cluster": {
                        "server": host,
                        "certificate-authority": ca_file,
                        "insecure-skip-tls-verify": !verify,
                    }}],
                    "users": [{"name": "explicit", "user": {
                        "client-certificate": cert_file,
                        "client-key": key_file,
                    }}],
                    "contexts": [{"name": "explicit", "context": {
                        "cluster": "explicit", "user": "explicit",
                    }}],
                    "current-context": "explicit",
                }))
                .map_err(|e| failed("KUBERNETES_HOST", &e))?;
                let mut config =
                    kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                        .await
                        .map_err(|e| failed("KUBERNETES_HOST", &e))?;
                if let Some(value) = authorization {
                    let mut value = http::HeaderValue::from_str(value)
                        .map_err(|e| failed("KUBERNETES_API_KEY", &e))?;
                    value.set_sensitive(true);
                    config.headers.push((http::header::AUTHORIZATION, value));
                }
                config
            }
        };
        config.default_retry = false;
        config.connect_timeout = Some(CONNECT_TIMEOUT);
        // Each request has its own deadline (super::execute); a watch may stream for longer than a
        // fixed read timeout would allow.
        config.read_timeout = None;
        let server = config.cluster_url.to_string();
        let server = server.trim_end_matches('/').to_string();
        let client =
            kube::Client::try_from(config).map_err(|e| failed("the Kubernetes client", &e))?;
        Ok(Target { client, server })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_win_over_the_environment_in_any_scope() {
        let lookup =
            Lookup::new(r#"{"k8s": {"KUBERNETES_CONTEXT": "staging"}, "other": {"X": 1}}"#);
        assert_eq!(lookup.get("KUBERNETES_CONTEXT").as_deref(), Some("staging"));
        assert_eq!(lookup.get("X").as_deref(), Some("1"));
        assert_eq!(lookup.get("CHAOSRT_SURELY_UNSET_VARIABLE"), None);
        assert_eq!(
            Lookup::new("not json").get("CHAOSRT_SURELY_UNSET_VARIABLE"),
            None
        );
    }
}
