//! What a plugin says about itself, converted once from the WIT types into plain Rust ones so the rest
//! of chaosrt never touches generated bindings.

use super::bindings::wit;
use super::policy::Capability;

/// The kind of an activity, as the plugin declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Probe,
    Action,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Probe => "probe",
            ActivityKind::Action => "action",
        }
    }
}

/// One argument of an activity.
#[derive(Debug, Clone)]
pub struct ArgumentSpec {
    pub name: String,
    pub type_name: &'static str,
    pub required: bool,
    pub default: Option<String>,
    pub description: String,
}

/// One activity a plugin offers.
#[derive(Debug, Clone)]
pub struct ActivitySpec {
    pub name: String,
    pub kind: ActivityKind,
    pub description: String,
    pub arguments: Vec<ArgumentSpec>,
}

/// What a plugin says about itself.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub description: String,
    pub capabilities: Vec<Capability>,
    pub activities: Vec<ActivitySpec>,
}

impl Metadata {
    pub fn activity(&self, name: &str) -> Option<&ActivitySpec> {
        self.activities.iter().find(|a| a.name == name)
    }
}

impl From<wit::PluginMetadata> for Metadata {
    fn from(m: wit::PluginMetadata) -> Metadata {
        let capabilities = m
            .capabilities
            .into_iter()
            .map(|c| match c {
                wit::Capability::Http(origin) => Capability::Http { origin },
                wit::Capability::Filesystem(fs) => Capability::Filesystem {
                    path: fs.path,
                    writable: fs.writable,
                },
                wit::Capability::Kubernetes(k) => Capability::Kubernetes {
                    resource: k.resource,
                    verbs: k.verbs,
                },
            })
            .collect();
        let activities = m
            .activities
            .into_iter()
            .map(|a| ActivitySpec {
                name: a.name,
                kind: match a.kind {
                    wit::ActivityKind::Probe => ActivityKind::Probe,
                    wit::ActivityKind::Action => ActivityKind::Action,
                },
                description: a.description,
                arguments: a
                    .arguments
                    .into_iter()
                    .map(|arg| ArgumentSpec {
                        name: arg.name,
                        type_name: match arg.type_ {
                            wit::ArgumentType::String => "string",
                            wit::ArgumentType::Integer => "integer",
                            wit::ArgumentType::Number => "number",
                            wit::ArgumentType::Boolean => "boolean",
                            wit::ArgumentType::Object => "object",
                            wit::ArgumentType::List => "list",
                            wit::ArgumentType::Any => "any",
                        },
                        required: arg.required,
                        default: arg.default,
                        description: arg.description,
                    })
                    .collect(),
            })
            .collect();
        Metadata {
            name: m.name,
            version: m.version,
            description: m.description,
            capabilities,
            activities,
        }
    }
}
