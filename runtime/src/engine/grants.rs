//! Turning a plugin's granted capabilities into one call's sandbox grants. This is where the
//! experiment meets the host: `http-argument(NAME)` becomes the origin of the URL this very call
//! names in its argument NAME (`url` for the built-in http plugin), and the working-directory
//! filesystem grant becomes the directory the operator runs in.
//!
//! The origin an `http-argument` call reaches is the operator's to choose: the one the URL has with
//! only trusted values substituted (what the experiment says, the operator's configuration,
//! secrets). A value a plugin shaped (an earlier output, plugin-computed configuration) may choose
//! another origin only when the provider's `allowed_origins` lists it; otherwise the call is refused
//! before the plugin runs, so the call's headers (and the secrets in them) never reach that host.

use crate::experiment::Tainted;
use crate::host::{Capability, DirGrant, Grants, KubeGrant, Origin};
use serde_json::{Map, Value};
use std::path::Path;

/// What the experiment as written fixes about a call's URL arguments.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    /// The activity, for the refusal.
    pub activity: &'a str,
    /// The arguments `http-argument` capabilities name, with trusted values substituted and
    /// tainted placeholders left as written.
    pub arguments: &'a Map<String, Value>,
    /// The tainted placeholders in those arguments.
    pub tainted: &'a [Tainted],
    /// The provider's `allowed_origins`, validated origins as written.
    pub allowed_origins: &'a [String],
    /// The configuration values `http-configuration` capabilities name, with trusted values
    /// substituted and tainted ones left as placeholders.
    pub configuration: &'a Map<String, Value>,
}

impl Written<'_> {
    /// The origin of the URL `actual`, if it is one, when the experiment as written fixes it
    /// (`fixed`, with trusted values only) or the provider allows it.
    fn origin(
        &self,
        actual: Option<&Value>,
        fixed: Option<&Value>,
    ) -> Result<Option<Origin>, Refused> {
        let Some(o) = actual.and_then(Value::as_str).and_then(Origin::parse) else {
            return Ok(None);
        };
        let fixed = fixed.and_then(Value::as_str).and_then(Origin::parse);
        let allowed = || {
            self.allowed_origins
                .iter()
                .filter_map(|a| Origin::parse(a))
                .any(|a| a == o)
        };
        if fixed.as_ref() != Some(&o) && !allowed() {
            return Err(Refused {
                activity: self.activity.to_string(),
                origin: o,
                tainted: self.tainted.to_vec(),
            });
        }
        Ok(Some(o))
    }
}

/// An `http-argument` call whose origin a plugin's value chose and the provider does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "activity '{activity}' may not call {origin}: that origin comes from {}, not from the \
     experiment as written, and the provider does not allow it. To let it, add to the activity's \
     provider: \"allowed_origins\": [\"{origin}\"]",
    sources(tainted)
)]
pub struct Refused {
    pub activity: String,
    pub origin: Origin,
    pub tainted: Vec<Tainted>,
}

fn sources(tainted: &[Tainted]) -> String {
    match tainted {
        [] => "a value a plugin shaped".to_string(),
        _ => tainted
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The grants for one call with (substituted) `arguments` and the run's `configuration`, from the
/// capabilities the plugin was granted; `Err` when the call may not reach the origin its URL names.
pub fn for_call(
    granted: &[Capability],
    arguments: &Map<String, Value>,
    configuration: &Map<String, Value>,
    written: &Written,
    working_dir: &Path,
) -> Result<Grants, Refused> {
    let mut grants = Grants::default();
    for capability in granted {
        match capability {
            Capability::HttpArgument { argument } => {
                let Some(o) =
                    written.origin(arguments.get(argument), written.arguments.get(argument))?
                else {
                    continue;
                };
                // The call's own `verify_tls: false` (Chaos Toolkit's http provider field). It
                // means something only for https: requests ignores `verify=False` on plain HTTP, and
                // the insecure path would open a TLS handshake with a server that speaks none.
                if o.scheme == "https" && arguments.get("verify_tls") == Some(&Value::Bool(false)) {
                    grants.insecure_tls.push(o.clone());
                }
                grants.http.push(o);
            }
            Capability::HttpConfiguration { key } => grants
                .http
                .extend(written.origin(configuration.get(key), written.configuration.get(key))?),
            Capability::HttpOrigin { origin } => grants.http.extend(Origin::parse(origin)),
            Capability::Environment { name } => grants.env.push(name.clone()),
            Capability::Filesystem { path, access } => {
                let host = if path == "." {
                    working_dir.to_path_buf()
                } else {
                    Path::new(path).to_path_buf()
                };
                grants.dirs.push(DirGrant {
                    host,
                    guest: path.clone(),
                    writable: access.writable(),
                });
            }
            Capability::Kubernetes {
                namespaces,
                resources,
                verbs,
            } => grants.kubernetes.push(KubeGrant {
                namespaces: namespaces.clone(),
                resources: resources.clone(),
                verbs: verbs.clone(),
            }),
        }
    }
    Ok(grants)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What the operator wrote, with nothing tainted in it.
    fn as_written(arguments: &Map<String, Value>) -> Written<'_> {
        Written {
            activity: "call",
            arguments,
            tainted: &[],
            allowed_origins: &[],
            configuration: &NO_CONFIGURATION,
        }
    }

    static NO_CONFIGURATION: std::sync::LazyLock<Map<String, Value>> =
        std::sync::LazyLock::new(Map::new);

    #[test]
    fn wildcard_http_grants_only_the_named_url() {
        let granted = [Capability::HttpArgument {
            argument: "url".into(),
        }];
        let url = json!("http://127.0.0.1:8080/x");
        let args = json!({"url": url});
        let grants = for_call(
            &granted,
            args.as_object().unwrap(),
            &Map::new(),
            &as_written(args.as_object().unwrap()),
            Path::new("/w"),
        )
        .unwrap();
        assert_eq!(
            grants.http,
            [Origin::parse("http://127.0.0.1:8080").unwrap()]
        );
        assert!(grants.dirs.is_empty());
        let none = for_call(
            &granted,
            json!({}).as_object().unwrap(),
            &Map::new(),
            &as_written(&Map::new()),
            Path::new("/w"),
        );
        assert_eq!(none, Ok(Grants::default()));
    }

    /// A plugin's value may fill in the path, not choose the host, unless the provider allows it.
    #[test]
    fn the_origin_is_the_one_the_experiment_fixes() {
        let granted = [Capability::HttpArgument {
            argument: "url".into(),
        }];
        let tainted = [Tainted {
            placeholder: "${output:lookup/endpoint}".into(),
            source: crate::experiment::Source::Output,
        }];
        let grant = |written: &str, called: &str, allowed: &[String]| {
            let written = json!({"url": written});
            let args = json!({"url": called});
            let written = Written {
                allowed_origins: allowed,
                tainted: &tainted,
                ..as_written(written.as_object().unwrap())
            };
            for_call(
                &granted,
                args.as_object().unwrap(),
                &Map::new(),
                &written,
                Path::new("/w"),
            )
            .map(|g| g.http.iter().map(ToString::to_string).collect::<Vec<_>>())
        };
        let path = grant(
            "http://127.0.0.1:9/${output:x}",
            "http://127.0.0.1:9/@evil/",
            &[],
        );
        assert_eq!(path, Ok(vec!["http://127.0.0.1:9".to_string()]));
        let refused = grant("${output:lookup/endpoint}/x", "http://evil:1/x", &[]);
        assert_eq!(
            refused.unwrap_err().to_string(),
            "activity 'call' may not call http://evil:1: that origin comes from \
             ${output:lookup/endpoint} (an earlier activity's output), not from the experiment as \
             written, and the provider does not allow it. To let it, add to the activity's \
             provider: \"allowed_origins\": [\"http://evil:1\"]"
        );
        for written in ["http://${output:x}/", "http://api${output:x}/"] {
            assert!(grant(written, "http://evil:1/", &[]).is_err(), "{written}");
        }
        let allowed = ["https://other".to_string(), "http://evil:1/".to_string()];
        assert_eq!(
            grant("${output:lookup/endpoint}/x", "http://evil:1/x", &allowed),
            Ok(vec!["http://evil:1".to_string()])
        );
    }

    #[test]
    fn verify_tls_false_is_insecure_tls_for_https_only() {
        let granted = [Capability::HttpArgument {
            argument: "url".into(),
        }];
        let insecure = |url: &str| {
            let args = json!({"url": url, "verify_tls": false});
            let grants = for_call(
                &granted,
                args.as_object().unwrap(),
                &Map::new(),
                &as_written(args.as_object().unwrap()),
                Path::new("/w"),
            )
            .unwrap();
            assert_eq!(grants.http.len(), 1, "{url}");
            grants.insecure_tls
        };
        assert_eq!(
            insecure("https://127.0.0.1:8443/x"),
            [Origin::parse("https://127.0.0.1:8443").unwrap()]
        );
        assert_eq!(insecure("http://127.0.0.1:8080/x"), []);
        assert_eq!(insecure("HTTP://127.0.0.1:8080/x"), []);
    }

    /// `http-argument(NAME)` reads the argument NAME, the environment grant names variables.
    #[test]
    fn http_argument_names_its_argument_and_environment_its_variable() {
        let granted = [
            Capability::HttpArgument {
                argument: "endpoint".into(),
            },
            Capability::Environment {
                name: "API_TOKEN".into(),
            },
        ];
        let args = json!({"url": "http://other:1/", "endpoint": "http://127.0.0.1:9/x"});
        let grants = for_call(
            &granted,
            args.as_object().unwrap(),
            &Map::new(),
            &as_written(args.as_object().unwrap()),
            Path::new("/w"),
        )
        .unwrap();
        assert_eq!(grants.http, [Origin::parse("http://127.0.0.1:9").unwrap()]);
        assert_eq!(grants.env, ["API_TOKEN"]);
    }

    #[test]
    fn working_directory_grant() {
        let granted = [Capability::Filesystem {
            path: ".".into(),
            access: crate::host::Access::ReadWrite,
        }];
        let grants = for_call(
            &granted,
            &Map::new(),
            &Map::new(),
            &as_written(&Map::new()),
            Path::new("/work/run"),
        )
        .unwrap();
        assert_eq!(
            grants.dirs,
            [DirGrant {
                host: "/work/run".into(),
                guest: ".".into(),
                writable: true
            }]
        );
        assert!(grants.http.is_empty());
    }

    /// `http-configuration(KEY)` grants the origin of the URL the configuration holds under KEY,
    /// when the operator's configuration fixes it; a value a plugin computed is refused.
    #[test]
    fn a_configuration_key_grants_the_origin_the_operator_configured() {
        let granted = [Capability::HttpConfiguration {
            key: "prometheus_base_url".into(),
        }];
        let grant = |actual: &str, fixed: &str| {
            let configuration = json!({"prometheus_base_url": actual});
            let written_configuration = json!({"prometheus_base_url": fixed});
            let no_arguments = Map::new();
            let written = Written {
                configuration: written_configuration.as_object().unwrap(),
                ..as_written(&no_arguments)
            };
            for_call(
                &granted,
                &Map::new(),
                configuration.as_object().unwrap(),
                &written,
                Path::new("/w"),
            )
            .map(|g| g.http.iter().map(ToString::to_string).collect::<Vec<_>>())
        };
        let url = "http://127.0.0.1:9090/prefix";
        assert_eq!(
            grant(url, url),
            Ok(vec!["http://127.0.0.1:9090".to_string()])
        );
        let computed = grant(url, "${prometheus_base_url}");
        assert!(computed.is_err(), "{computed:?}");
        // No URL under the key: nothing granted.
        let none = for_call(
            &granted,
            &Map::new(),
            &Map::new(),
            &as_written(&Map::new()),
            Path::new("/w"),
        );
        assert_eq!(none, Ok(Grants::default()));
    }
}
