//! What a plugin may touch: capabilities it asks for and grants it is given.
//!
//! Nothing is allowed unless granted. Grants are checked by the host before any I/O starts: outbound
//! HTTP by origin (scheme, host and port all must match), files by preopened directory.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// A capability as a plugin requests it and as a manifest records a grant of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Capability {
    /// Outbound HTTP to an origin `scheme://host[:port]`, or `*` for "the URL each call names".
    Http { origin: String },
    /// Files below `path` (`.` is the run's working directory).
    Filesystem { path: String, writable: bool },
    /// Kubernetes API objects, proxied by the host.
    Kubernetes {
        resource: String,
        verbs: Vec<String>,
    },
}

impl fmt::Display for Capability {
    /// Plugin-supplied parts are escaped: this is what the consent prompt shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::escape::escape;
        match self {
            Capability::Http { origin } if origin == "*" => {
                write!(f, "http: the URL each activity names")
            }
            Capability::Http { origin } => write!(f, "http: {}", escape(origin)),
            Capability::Filesystem { path, writable } => {
                let mode = if *writable { "read-write" } else { "read-only" };
                let path = if path == "." {
                    "the run's working directory".into()
                } else {
                    escape(path)
                };
                write!(f, "filesystem: {path} ({mode})")
            }
            Capability::Kubernetes { resource, verbs } => {
                write!(
                    f,
                    "kubernetes: {} ({})",
                    escape(resource),
                    escape(&verbs.join(", "))
                )
            }
        }
    }
}

/// An HTTP origin: what an outbound-HTTP grant names. Compared whole, so a grant for
/// `http://127.0.0.1:8080` does not let a plugin reach port 8081 or `https://127.0.0.1:8080`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// Parses the origin of a URL or of a bare `scheme://host[:port]`. `None` when it has neither an
    /// http(s) scheme nor a host.
    pub fn parse(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let authority = authority.rsplit('@').next().unwrap_or_default();
        Origin::from_authority(&scheme, authority, default_port)
    }

    fn from_authority(scheme: &str, authority: &str, default_port: u16) -> Option<Origin> {
        // A bracketed IPv6 literal keeps its colons; a port follows the closing bracket.
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            let (host, after) = rest.split_once(']')?;
            (format!("[{host}]"), after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return None;
        }
        let port = match port {
            Some(p) => p.parse().ok()?,
            None => default_port,
        };
        Some(Origin {
            scheme: scheme.to_string(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The origin of a request as wasi-http hands it to the host.
    pub fn of_uri(uri: &http::Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = if scheme == "https" { 443 } else { 80 };
        let authority = uri.authority()?;
        Origin::from_authority(&scheme, authority.as_str(), default_port)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// A directory a call may use, preopened at `guest` inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGrant {
    pub host: PathBuf,
    pub guest: String,
    pub writable: bool,
}

/// Everything one activity call is granted. The default grants nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub http: Vec<Origin>,
    /// Granted HTTPS origins whose certificates are not verified (`verify_tls: false`).
    pub insecure_tls: Vec<Origin>,
    pub dirs: Vec<DirGrant>,
}

impl Grants {
    /// Whether an outbound request to `origin` is allowed.
    pub fn allows_http(&self, origin: &Origin) -> bool {
        self.http.iter().any(|granted| granted == origin)
    }

    /// Whether a request to `origin` may skip certificate verification: only an allowed origin.
    pub fn allows_insecure_tls(&self, origin: &Origin) -> bool {
        self.allows_http(origin) && self.insecure_tls.iter().any(|o| o == origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin {
        Origin::parse(s).unwrap()
    }

    #[test]
    fn origins_default_ports_and_case() {
        assert_eq!(
            origin("http://LocalHost/x?y").to_string(),
            "http://localhost:80"
        );
        assert_eq!(
            origin("https://example.com").to_string(),
            "https://example.com:443"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/").to_string(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin("http://user:pw@h:1/").to_string(), "http://h:1");
        assert_eq!(origin("http://[::1]:9/").to_string(), "http://[::1]:9");
        assert_eq!(Origin::parse("ftp://x"), None);
        assert_eq!(Origin::parse("no-scheme"), None);
        assert_eq!(Origin::parse("http://:80"), None);
        assert_eq!(Origin::parse("http://h:notaport"), None);
    }

    #[test]
    fn http_grants_match_the_whole_origin() {
        let grants = Grants {
            http: vec![origin("http://127.0.0.1:8080")],
            ..Grants::default()
        };
        let table = [
            ("http://127.0.0.1:8080/health", true),
            ("http://127.0.0.1:8081/", false),
            ("https://127.0.0.1:8080/", false),
            ("http://localhost:8080/", false),
            ("http://127.0.0.1/", false),
        ];
        for (url, allowed) in table {
            assert_eq!(grants.allows_http(&origin(url)), allowed, "{url}");
        }
        assert!(!Grants::default().allows_http(&origin("http://127.0.0.1:8080")));
    }

    #[test]
    fn insecure_tls_only_for_an_allowed_origin() {
        let o = origin("https://127.0.0.1:8443");
        let listed_only = Grants {
            insecure_tls: vec![o.clone()],
            ..Grants::default()
        };
        assert!(!listed_only.allows_insecure_tls(&o), "not allowed at all");
        let both = Grants {
            http: vec![o.clone()],
            insecure_tls: vec![o.clone()],
            ..Grants::default()
        };
        assert!(both.allows_insecure_tls(&o));
        let verified = Grants {
            http: vec![o.clone()],
            ..Grants::default()
        };
        assert!(!verified.allows_insecure_tls(&o));
    }
}
