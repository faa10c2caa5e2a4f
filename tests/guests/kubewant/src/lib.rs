//! A plugin built against contract 0.2 (raw wit-bindgen) that asks for Kubernetes access to pods in
//! `default` (list, delete) and sends whatever request its activity's arguments describe (`verb`,
//! `group`, `version`, `resource`, `namespace`, `name`, `label_selector`): tests use it to show the host
//! refusing a request outside the grant before it reaches the API server.

#![allow(unsafe_code)] // wit-bindgen's generated export glue

wit_bindgen::generate!({
    path: "../../../wit",
    world: "chaosrt-kubernetes-plugin",
    generate_all,
});

use chaosrt::plugin::kubernetes::{self, Request};
use chaosrt::plugin::types::{
    Activity, ActivityKind, Capability, Error, KubernetesAccess, PluginMetadata, Target,
};

struct KubeWant;

impl exports::chaosrt::plugin::plugin::Guest for KubeWant {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "kubewant".into(),
            version: "0.2.0".into(),
            description: "Test guest asking for Kubernetes access.".into(),
            capabilities: vec![Capability::Kubernetes(KubernetesAccess {
                namespaces: vec!["default".into()],
                resources: vec!["pods".into()],
                verbs: vec!["list".into(), "delete".into()],
            })],
            activities: vec![Activity {
                name: "pods".into(),
                kind: ActivityKind::Probe,
                description: "Send the request the arguments describe; output {status, body}."
                    .into(),
                arguments: vec![],
            }],
        }
    }

    fn invoke(_activity: String, arguments: String) -> Result<String, Error> {
        let args: serde_json::Value =
            serde_json::from_str(&arguments).map_err(|e| Error::InvalidArguments(e.to_string()))?;
        let text = |key: &str, default: &str| args[key].as_str().unwrap_or(default).to_string();
        let optional = |key: &str| args[key].as_str().map(String::from);
        let request = Request {
            verb: text("verb", "list"),
            group: text("group", ""),
            version: text("version", "v1"),
            resource: text("resource", "pods"),
            namespace: optional("namespace").or(Some("default".into())),
            name: optional("name"),
            subresource: None,
            label_selector: optional("label_selector"),
            field_selector: None,
            query: vec![],
            body: None,
            content_type: None,
        };
        match kubernetes::send(&request) {
            Ok(response) => Ok(serde_json::json!({"status": response.status}).to_string()),
            Err(kubernetes::Error::Denied(why)) => Err(Error::Denied(why)),
            Err(kubernetes::Error::Unavailable(why) | kubernetes::Error::Invalid(why)) => {
                Err(Error::Failed(why))
            }
        }
    }
}

impl exports::chaosrt::plugin::discovery::Guest for KubeWant {
    fn discover() -> Result<Vec<Target>, Error> {
        Ok(vec![])
    }
}

export!(KubeWant);
