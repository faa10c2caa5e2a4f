//! Registry credentials from the usual docker config: `$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`, its `auths` entry for the registry (`auth`, base64 of `user:password`,
//! or `username` and `password`). Credential helpers (`credsStore`, `credHelpers`) are programs
//! chaosrt does not run; a registry that has one is told so when it asks for a login.
//!
//! Credentials never appear in a message, a debug print or a log: [`Credentials`] prints as
//! `Credentials(user, ***)`, and a config that does not parse is reported by where, not by what it
//! holds (serde's messages quote values).

use super::OciError;
use base64::Engine as _;
use std::path::PathBuf;

/// The largest docker config read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A user name and password for one registry.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.user)
    }
}

impl Credentials {
    /// `Basic base64(user:password)`.
    pub(super) fn basic_header(&self) -> String {
        let pair = format!("{}:{}", self.user, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    pub(super) fn registry_auth(&self) -> oci_client::secrets::RegistryAuth {
        oci_client::secrets::RegistryAuth::Basic(self.user.clone(), self.password.clone())
    }
}

/// What the docker config says about one registry.
pub(super) struct Lookup {
    pub found: Option<Credentials>,
    /// The config file looked in, for messages.
    path: Option<PathBuf>,
    /// The credential helper the config names for the registry, if any.
    helper: Option<String>,
}

impl Lookup {
    /// The message for a registry that asks for a login chaosrt has no credentials for.
    pub fn missing(&self, registry: &str) -> String {
        let mut message = format!("the registry {registry} asks for a login, and ");
        match &self.path {
            Some(path) => {
                message.push_str(&format!("{} has no `auths` entry for it", path.display()))
            }
            None => message.push_str("there is no docker config (DOCKER_CONFIG or ~/.docker)"),
        }
        if let Some(helper) = &self.helper {
            message.push_str(&format!(
                " (it names the credential helper '{}', which chaosrt does not run)",
                crate::escape::escape(helper)
            ));
        }
        message.push_str(&format!(
            ". Add one: `\"auths\": {{\"{registry}\": {{\"auth\": \"<base64 of user:password>\"}}}}`"
        ));
        message
    }

    /// The message for a registry that refused what chaosrt sent.
    pub fn refused(&self, registry: &str) -> String {
        match (&self.found, &self.path) {
            (Some(_), Some(path)) => format!(
                "the registry {registry} refused the credentials for it in {}",
                path.display()
            ),
            _ => self.missing(registry),
        }
    }
}

/// The docker config chaosrt reads: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir).join("config.json")),
        None => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|home| PathBuf::from(home).join(".docker/config.json")),
    }
}

/// The credentials the docker config has for `registry` (`HOST[:PORT]`).
pub(super) fn lookup(registry: &str) -> Result<Lookup, OciError> {
    let Some(path) = docker_config_path() else {
        return Ok(Lookup {
            found: None,
            path: None,
            helper: None,
        });
    };
    let text = match read(&path)? {
        Some(text) => text,
        None => {
            return Ok(Lookup {
                found: None,
                path: None,
                helper: None,
            });
        }
    };
    let bad = |what: &str| OciError::Credentials(format!("{}: {what}", path.display()));
    let config: serde_json::Value =
        serde_json::from_slice(&text).map_err(|_| bad("not a JSON docker config"))?;
    let helper = config
        .pointer(&format!(
            "/credHelpers/{}",
            registry.replace('~', "~0").replace('/', "~1")
        ))
        .or_else(|| config.get("credsStore"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let entry = config
        .get("auths")
        .and_then(|a| a.as_object())
        .and_then(|auths| {
            auths
                .iter()
                .find(|(key, _)| names_registry(key, registry))
                .map(|(key, entry)| (key.clone(), entry))
        });
    let found = match entry {
        None => None,
        Some((key, entry)) => {
            let at = |what: &str| bad(&format!("auths.{key}: {what}"));
            Some(credentials_of(entry).map_err(|what| at(&what))?)
        }
    };
    Ok(Lookup {
        found,
        path: Some(path),
        helper,
    })
}

/// The config's bytes, bounded; `None` when there is none.
fn read(path: &std::path::Path) -> Result<Option<Vec<u8>>, OciError> {
    use std::io::Read;
    let cannot =
        |e: std::io::Error| OciError::Credentials(format!("cannot read {}: {e}", path.display()));
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(OciError::Credentials(format!(
            "{} is larger than the {} MiB chaosrt reads from a docker config",
            path.display(),
            MAX_CONFIG_BYTES >> 20
        )));
    }
    Ok(Some(bytes))
}

/// Whether an `auths` key names `registry`: `HOST[:PORT]` itself, or as docker once wrote them, a
/// URL (`https://HOST/v1/`).
fn names_registry(key: &str, registry: &str) -> bool {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or_default();
    host.eq_ignore_ascii_case(registry)
}

/// The user and password of one `auths` entry; the error says what is wrong, never what it holds.
fn credentials_of(entry: &serde_json::Value) -> Result<Credentials, String> {
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    if let Some(auth) = field("auth") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| "`auth` is not base64".to_string())?;
        let decoded = String::from_utf8(decoded).map_err(|_| "`auth` is not text".to_string())?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or_else(|| "`auth` is not base64 of user:password".to_string())?;
        return Ok(Credentials {
            user: user.to_string(),
            password: password.to_string(),
        });
    }
    match (field("username"), field("password")) {
        (Some(user), Some(password)) => Ok(Credentials {
            user: user.to_string(),
            password: password.to_string(),
        }),
        _ if field("identitytoken").is_some() => {
            Err("an `identitytoken` (OAuth) entry, which chaosrt does not use; give `auth`".into())
        }
        _ => Err("neither `auth` nor `username` and `password`".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_are_read_by_host_and_never_shown() {
        assert!(names_registry("127.0.0.1:5000", "127.0.0.1:5000"));
        assert!(names_registry(
            "https://index.example.com/v1/",
            "index.example.com"
        ));
        assert!(!names_registry("127.0.0.1:5001", "127.0.0.1:5000"));
        let encoded = base64::engine::general_purpose::STANDARD.encode("me:s3cret");
        let c = credentials_of(&json!({"auth": encoded})).unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("me", "s3cret"));
        assert_eq!(format!("{c:?}"), "Credentials(me, ***)");
        let c = credentials_of(&json!({"username": "u", "password": "p"})).unwrap();
        assert_eq!(c.basic_header(), "Basic dTpw");
        for (entry, why) in [
            (json!({"auth": "%%%"}), "not base64"),
            (json!({"auth": "bm9jb2xvbg=="}), "user:password"),
            (json!({"identitytoken": "t"}), "identitytoken"),
            (json!({}), "neither"),
        ] {
            let err = credentials_of(&entry).unwrap_err();
            assert!(err.contains(why), "{entry}: {err}");
        }
    }
}
