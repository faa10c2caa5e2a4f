//! A plugin built against contract 0.2 (raw wit-bindgen) that asks for Kubernetes access and imports
//! the `kubernetes` interface. This chaosrt does not implement the capability yet, so it must refuse
//! the plugin at install and at load, naming what it asked for, rather than show it as granted.

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
                description: "List the pods of `default`.".into(),
                arguments: vec![],
            }],
        }
    }

    fn invoke(_activity: String, _arguments: String) -> Result<String, Error> {
        let request = Request {
            verb: "list".into(),
            group: String::new(),
            version: "v1".into(),
            resource: "pods".into(),
            namespace: Some("default".into()),
            name: None,
            subresource: None,
            label_selector: None,
            field_selector: None,
            query: vec![],
            body: None,
            content_type: None,
        };
        match kubernetes::send(&request) {
            Ok(response) => Ok(response.body),
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
