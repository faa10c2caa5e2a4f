//! Turning a plugin's granted capabilities into one call's sandbox grants. This is where the
//! experiment meets the host: `http: *` becomes the origin of the URL this very call names, and the
//! working-directory filesystem grant becomes the directory the operator runs in.

use crate::host::{Capability, DirGrant, Grants, Origin};
use serde_json::{Map, Value};
use std::path::Path;

/// The grants for one call with `arguments`, from the capabilities the plugin was granted.
pub fn for_call(
    granted: &[Capability],
    arguments: &Map<String, Value>,
    working_dir: &Path,
) -> Grants {
    let mut grants = Grants::default();
    for capability in granted {
        match capability {
            Capability::Http { origin } if origin == "*" => {
                let url = arguments.get("url").and_then(Value::as_str);
                let Some(o) = url.and_then(Origin::parse) else {
                    continue;
                };
                // The call's own `verify_tls: false` (Chaos Toolkit's http provider field).
                if arguments.get("verify_tls") == Some(&Value::Bool(false)) {
                    grants.insecure_tls.push(o.clone());
                }
                grants.http.push(o);
            }
            Capability::Http { origin } => grants.http.extend(Origin::parse(origin)),
            Capability::Filesystem { path, writable } => {
                let host = if path == "." {
                    working_dir.to_path_buf()
                } else {
                    Path::new(path).to_path_buf()
                };
                grants.dirs.push(DirGrant {
                    host,
                    guest: path.clone(),
                    writable: *writable,
                });
            }
            // The Kubernetes proxy is not built yet; nothing to grant.
            Capability::Kubernetes { .. } => {}
        }
    }
    grants
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcard_http_grants_only_the_named_url() {
        let granted = [Capability::Http { origin: "*".into() }];
        let args = json!({"url": "http://127.0.0.1:8080/x"});
        let grants = for_call(&granted, args.as_object().unwrap(), Path::new("/w"));
        assert_eq!(
            grants.http,
            [Origin::parse("http://127.0.0.1:8080").unwrap()]
        );
        assert!(grants.dirs.is_empty());
        let none = for_call(&granted, json!({}).as_object().unwrap(), Path::new("/w"));
        assert_eq!(none, Grants::default());
    }

    #[test]
    fn working_directory_grant() {
        let granted = [Capability::Filesystem {
            path: ".".into(),
            writable: true,
        }];
        let grants = for_call(&granted, &Map::new(), Path::new("/work/run"));
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
}
