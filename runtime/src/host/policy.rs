//! What a plugin may touch: capabilities it asks for and grants it is given.
//!
//! Nothing is allowed unless granted. Grants are checked by the host before any I/O starts: outbound
//! HTTP by origin (scheme, host and port all must match), files by preopened directory, environment
//! variables by name (the others are not in the sandbox at all).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// A capability as a plugin requests it and as a manifest records a grant of it: one type for every
/// contract version (each version's bindings convert into it at the edge).
///
/// Manifests written by chaosrt before contract 0.2 recorded `http` (`*` for "the `url` argument")
/// and `filesystem` with `writable`; they still read, as what 0.1.0 plugins are converted to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", try_from = "Recorded")]
pub enum Capability {
    /// Outbound HTTP(S) to one origin `scheme://host[:port]`.
    HttpOrigin { origin: String },
    /// Outbound HTTP(S) to the origin of the URL each call names in the argument `argument`, as the
    /// operator wrote it (see `engine::grants`).
    HttpArgument { argument: String },
    /// Outbound HTTP(S) to the origin of the URL the experiment's configuration holds under `key`
    /// (`prometheus_base_url`), as the operator wrote it (see `engine::grants`). No plugin asks for
    /// it (the contract has no such capability): the operator grants it to a Python extension
    /// bundle, whose functions take their endpoints from the configuration.
    HttpConfiguration { key: String },
    /// Files below `path` (`.` is the run's working directory).
    Filesystem { path: String, access: Access },
    /// One environment variable of the host, by name.
    Environment { name: String },
    /// Kubernetes API requests through the host, each checked against all three lists.
    Kubernetes {
        namespaces: Vec<String>,
        resources: Vec<String>,
        verbs: Vec<String>,
    },
}

/// How a granted directory may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

impl Access {
    pub fn writable(self) -> bool {
        self == Access::ReadWrite
    }
}

/// A capability as a manifest may record it: today's forms and those of chaosrt before contract 0.2.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum Recorded {
    HttpOrigin {
        origin: String,
    },
    HttpArgument {
        argument: String,
    },
    HttpConfiguration {
        key: String,
    },
    Filesystem {
        path: String,
        access: Option<Access>,
        /// Before 0.2.
        writable: Option<bool>,
    },
    Environment {
        name: String,
    },
    Kubernetes {
        #[serde(default)]
        namespaces: Option<Vec<String>>,
        #[serde(default)]
        resources: Option<Vec<String>>,
        /// Before 0.2: one resource, any namespace.
        #[serde(default)]
        resource: Option<String>,
        verbs: Vec<String>,
    },
    /// Before 0.2: an origin, or `*` for the `url` argument.
    Http {
        origin: String,
    },
}

impl TryFrom<Recorded> for Capability {
    type Error = String;

    fn try_from(recorded: Recorded) -> Result<Capability, String> {
        Ok(match recorded {
            Recorded::Http { origin } if origin == "*" => Capability::HttpArgument {
                argument: "url".into(),
            },
            Recorded::Http { origin } | Recorded::HttpOrigin { origin } => {
                Capability::HttpOrigin { origin }
            }
            Recorded::HttpArgument { argument } => Capability::HttpArgument { argument },
            Recorded::HttpConfiguration { key } => Capability::HttpConfiguration { key },
            Recorded::Filesystem {
                path,
                access,
                writable,
            } => {
                let access = match (access, writable) {
                    (Some(access), None) => access,
                    (None, Some(true)) => Access::ReadWrite,
                    (None, Some(false)) => Access::ReadOnly,
                    _ => {
                        return Err(
                            "a filesystem grant needs exactly one of `access`, `writable`".into(),
                        );
                    }
                };
                Capability::Filesystem { path, access }
            }
            Recorded::Environment { name } => Capability::Environment { name },
            Recorded::Kubernetes {
                namespaces,
                resources,
                resource,
                verbs,
            } => {
                let (namespaces, resources) = match (namespaces, resources, resource) {
                    (Some(n), Some(r), None) => (n, r),
                    (None, None, Some(r)) => (vec!["*".into()], vec![r]),
                    _ => {
                        return Err(
                            "a kubernetes grant needs `namespaces` and `resources` (or, as before \
                             0.2, one `resource`)"
                                .into(),
                        );
                    }
                };
                Capability::Kubernetes {
                    namespaces,
                    resources,
                    verbs,
                }
            }
        })
    }
}

impl fmt::Display for Capability {
    /// Plugin-supplied parts are escaped: this is what the consent prompt shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::escape::escape;
        match self {
            Capability::HttpOrigin { origin } => write!(f, "http: {}", escape(origin)),
            Capability::HttpArgument { argument } => write!(
                f,
                "http: the URL each activity names in its argument '{}'",
                escape(argument)
            ),
            Capability::HttpConfiguration { key } => write!(
                f,
                "http: the URL the experiment's configuration holds under '{}'",
                escape(key)
            ),
            Capability::Filesystem { path, access } => {
                let mode = match access {
                    Access::ReadOnly => "read-only",
                    Access::ReadWrite => "read-write",
                };
                let path = if path == "." {
                    "the run's working directory".into()
                } else {
                    escape(path)
                };
                write!(f, "filesystem: {path} ({mode})")
            }
            Capability::Environment { name } => {
                write!(
                    f,
                    "environment: the variable {} of this machine",
                    escape(name)
                )
            }
            Capability::Kubernetes {
                namespaces,
                resources,
                verbs,
            } => write!(
                f,
                "kubernetes: {}",
                kubernetes_scope(namespaces, resources, verbs)
            ),
        }
    }
}

impl Capability {
    /// What the capability lets a plugin do, in words a person can judge before granting it (the
    /// consent prompt and `plugin inspect`). Plugin-supplied parts are escaped.
    pub fn in_words(&self) -> String {
        use crate::escape::escape;
        match self {
            Capability::HttpOrigin { origin } => {
                format!("may send HTTP requests to {}", escape(origin))
            }
            Capability::HttpArgument { argument } => format!(
                "may send HTTP requests to the URL an experiment writes in its argument '{}' (and \
                 only there)",
                escape(argument)
            ),
            Capability::HttpConfiguration { key } => format!(
                "may send HTTP requests to the URL an experiment's configuration holds under '{}' \
                 (and only there)",
                escape(key)
            ),
            Capability::Filesystem { path, access } => {
                let what = match access {
                    Access::ReadOnly => "may read files",
                    Access::ReadWrite => "may read and write files",
                };
                let below = if path == "." {
                    "the directory an experiment runs in".into()
                } else {
                    escape(path)
                };
                format!("{what} under {below}")
            }
            Capability::Environment { name } => format!(
                "may read the environment variable {} of this machine",
                escape(name)
            ),
            Capability::Kubernetes {
                namespaces,
                resources,
                verbs,
            } => format!(
                "may make Kubernetes API requests: {}",
                kubernetes_scope(namespaces, resources, verbs)
            ),
        }
    }
}

impl Capability {
    /// Whether granting `self` gives no more than the request (or grant) `asked`: the same
    /// capability; a directory read-only that was asked read-write; Kubernetes access to some of
    /// the namespaces, resources and verbs asked for (`*` in the request covers any).
    pub fn is_within(&self, asked: &Capability) -> bool {
        match (self, asked) {
            (
                Capability::Filesystem { path, access },
                Capability::Filesystem {
                    path: asked_path,
                    access: asked_access,
                },
            ) => path == asked_path && (access == asked_access || *access == Access::ReadOnly),
            (
                Capability::Kubernetes {
                    namespaces,
                    resources,
                    verbs,
                },
                Capability::Kubernetes {
                    namespaces: n,
                    resources: r,
                    verbs: v,
                },
            ) => {
                let covered = |items: &[String], by: &[String]| {
                    items.iter().all(|i| by.iter().any(|b| b == "*" || b == i))
                };
                covered(namespaces, n) && covered(resources, r) && covered(verbs, v)
            }
            _ => self == asked,
        }
    }

    /// The `--grant` argument that grants exactly this (escaped): `KIND=VALUE`, the form
    /// [`Capability::from_grant_argument`] reads.
    pub fn grant_argument(&self) -> String {
        use crate::escape::escape;
        match self {
            Capability::HttpOrigin { origin } => format!("http-origin={}", escape(origin)),
            Capability::HttpArgument { argument } => format!("http-argument={}", escape(argument)),
            Capability::HttpConfiguration { key } => format!("http-configuration={}", escape(key)),
            Capability::Filesystem { path, access } => {
                let access = match access {
                    Access::ReadOnly => "read-only",
                    Access::ReadWrite => "read-write",
                };
                format!("filesystem={}:{access}", escape(path))
            }
            Capability::Environment { name } => format!("environment={}", escape(name)),
            Capability::Kubernetes {
                namespaces,
                resources,
                verbs,
            } => format!(
                "kubernetes={}:{}:{}",
                escape(&namespaces.join(",")),
                escape(&resources.join(",")),
                escape(&verbs.join(","))
            ),
        }
    }

    /// Reads a grant as `--grant` and an experiment's `chaosrt` extension write it: `KIND=VALUE`
    /// with KIND `http-origin`, `http-argument`, `http-configuration`, `filesystem`
    /// (`PATH:read-only|read-write`),
    /// `environment` or `kubernetes` (`NAMESPACES:RESOURCES:VERBS`, each a comma list; `*` is any,
    /// an empty namespace is a cluster-scoped resource).
    pub fn from_grant_argument(text: &str) -> Result<Capability, String> {
        let (kind, value) = text
            .split_once('=')
            .filter(|(_, v)| !v.is_empty())
            .ok_or_else(|| format!("'{text}' is not KIND=VALUE"))?;
        Ok(match kind {
            "http-origin" => Capability::HttpOrigin {
                origin: value.into(),
            },
            "http-argument" => Capability::HttpArgument {
                argument: value.into(),
            },
            "http-configuration" => Capability::HttpConfiguration { key: value.into() },
            "environment" => Capability::Environment { name: value.into() },
            "filesystem" => {
                let (path, access) = match value.rsplit_once(':') {
                    Some((path, "read-only")) => (path, Access::ReadOnly),
                    Some((path, "read-write")) => (path, Access::ReadWrite),
                    _ => {
                        return Err(format!(
                            "'{text}': a filesystem grant is filesystem=PATH:read-only or \
                             PATH:read-write"
                        ));
                    }
                };
                Capability::Filesystem {
                    path: path.into(),
                    access,
                }
            }
            "kubernetes" => {
                let parts: Vec<&str> = value.split(':').collect();
                let [namespaces, resources, verbs] = parts[..] else {
                    return Err(format!(
                        "'{text}': a kubernetes grant is kubernetes=NAMESPACES:RESOURCES:VERBS, \
                         each a comma list (e.g. kubernetes=shop:pods,pods/log:get,list,delete)"
                    ));
                };
                let list = |items: &str| items.split(',').map(str::to_string).collect();
                Capability::Kubernetes {
                    namespaces: list(namespaces),
                    resources: list(resources),
                    verbs: list(verbs),
                }
            }
            other => {
                return Err(format!(
                    "'{other}' is not a kind of grant (http-origin, http-argument, \
                     http-configuration, filesystem, environment, kubernetes)"
                ));
            }
        })
    }
}

/// `namespaces a, b; resources pods; verbs list, delete`, escaped: what a Kubernetes capability
/// covers, for the consent prompt and for the refusal of it.
pub fn kubernetes_scope(namespaces: &[String], resources: &[String], verbs: &[String]) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            return "none".to_string();
        }
        let shown: Vec<String> = items
            .iter()
            .map(|item| match item.as_str() {
                "" => "(cluster-scoped)".to_string(),
                "*" => "* (all)".to_string(),
                "*.*" => "*.* (custom resources)".to_string(),
                item => crate::escape::escape(item).into_owned(),
            })
            .collect();
        shown.join(", ")
    };
    format!(
        "namespaces {}; resources {}; verbs {}",
        list(namespaces),
        list(resources),
        list(verbs)
    )
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
    /// Environment variables of the host the call may see, by name (only those that are set).
    pub env: Vec<String>,
    /// Kubernetes API requests the call may make through the host.
    pub kubernetes: Vec<super::kubernetes::KubeGrant>,
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
    fn recorded_capabilities_read_in_both_forms_and_refuse_the_ambiguous() {
        let read = |text: &str| serde_json::from_str::<Capability>(text);
        for (text, expected) in [
            (
                r#"{"kind":"environment","name":"HOME"}"#,
                Capability::Environment {
                    name: "HOME".into(),
                },
            ),
            (
                r#"{"kind":"filesystem","path":"/srv","access":"read-only"}"#,
                Capability::Filesystem {
                    path: "/srv".into(),
                    access: Access::ReadOnly,
                },
            ),
            (
                r#"{"kind":"kubernetes","resource":"pods","verbs":["list"]}"#,
                Capability::Kubernetes {
                    namespaces: vec!["*".into()],
                    resources: vec!["pods".into()],
                    verbs: vec!["list".into()],
                },
            ),
        ] {
            assert_eq!(read(text).unwrap(), expected, "{text}");
            assert_eq!(
                read(&serde_json::to_string(&expected).unwrap()).unwrap(),
                expected
            );
        }
        for refused in [
            r#"{"kind":"filesystem","path":".","access":"read-only","writable":true}"#,
            r#"{"kind":"filesystem","path":"."}"#,
            r#"{"kind":"environment","name":"HOME","extra":1}"#,
            r#"{"kind":"telepathy"}"#,
        ] {
            assert!(read(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn capabilities_are_shown_escaped() {
        let shown = |c: Capability| c.to_string();
        assert_eq!(
            shown(Capability::HttpArgument {
                argument: "url".into()
            }),
            "http: the URL each activity names in its argument 'url'"
        );
        assert_eq!(
            shown(Capability::Environment {
                name: "A\x1bB".into()
            }),
            "environment: the variable A\\x1bB of this machine"
        );
        assert_eq!(
            shown(Capability::Kubernetes {
                namespaces: vec!["default".into(), "".into()],
                resources: vec!["pods".into()],
                verbs: vec![]
            }),
            "kubernetes: namespaces default, (cluster-scoped); resources pods; verbs none"
        );
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

    /// `--grant` text and capabilities convert both ways; narrower forms are within the wider.
    #[test]
    fn grant_arguments_read_back_and_narrow() {
        for text in [
            "http-origin=https://api.example.com",
            "http-argument=url",
            "filesystem=/srv/data:read-only",
            "filesystem=.:read-write",
            "environment=API_TOKEN",
            "kubernetes=shop,:pods,pods/log,nodes:get,list",
        ] {
            let grant = Capability::from_grant_argument(text).unwrap();
            assert_eq!(grant.grant_argument(), text);
        }
        for (bad, why) in [
            ("filesystem=.", "PATH:read-only"),
            ("kubernetes=a:b", "NAMESPACES:RESOURCES:VERBS"),
            ("network=all", "not a kind of grant"),
            ("environment=", "not KIND=VALUE"),
        ] {
            let err = Capability::from_grant_argument(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        let grant = |t: &str| Capability::from_grant_argument(t).unwrap();
        let asked = grant("kubernetes=default,shop:pods:list,delete");
        assert!(grant("kubernetes=shop:pods:list").is_within(&asked));
        assert!(!grant("kubernetes=other:pods:list").is_within(&asked));
        assert!(!grant("kubernetes=shop:pods:get").is_within(&asked));
        assert!(!grant("kubernetes=*:pods:list").is_within(&asked));
        assert!(grant("kubernetes=shop:pods:list").is_within(&grant("kubernetes=*:*:*")));
        let rw = grant("filesystem=.:read-write");
        assert!(grant("filesystem=.:read-only").is_within(&rw));
        assert!(!rw.is_within(&grant("filesystem=.:read-only")));
        assert!(!grant("filesystem=/:read-only").is_within(&rw));
    }
}
