//! `discover` and `init`: a discovery document of every activity the built-in and installed plugins
//! offer, in Chaos Toolkit's discovery schema, and an experiment scaffolded from it.
//!
//! A plugin that exports `discovery` (contract 0.2) is also asked what it could act on, as Chaos
//! Toolkit extensions fill the document's `system`: its targets go under its entry in
//! `system.plugins`. The call runs like an activity (the plugin's grants, a timeout, a memory cap,
//! a fresh instance); what it reports is bounded and escaped by the host, and a plugin whose
//! `discover()` fails or traps costs a warning, never the document.

use crate::console::Console;
use crate::engine::grants;
use crate::engine::plugins::{granted, new_run_id, plugin_log};
use crate::host::{ActivityKind, Context, Discovered, Host, Limits, Plugin};
use crate::registry::{Entry, Registry};
use serde_json::{Map, Value, json};

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Load(#[from] crate::host::LoadError),
    /// `init` was asked for an activity the discovery does not list.
    #[error(
        "no {kind} '{name}' in the discovery; use PLUGIN.ACTIVITY as `chaosrt discover` lists it"
    )]
    Unknown { kind: &'static str, name: String },
}

/// Chaos Toolkit's portable type names for argument types.
fn portable_type(t: &str) -> &'static str {
    match t {
        "string" => "string",
        "integer" => "integer",
        "number" => "number",
        "boolean" => "boolean",
        "object" => "mapping",
        "list" => "list",
        _ => "object",
    }
}

/// The discovery document (`chaos discover` schema: `activities[{type, name, mod, doc, arguments}]`).
pub async fn discover(
    host: &Host,
    registry: &Registry,
    console: &Console,
    system_info: bool,
) -> Result<Value, DiscoveryError> {
    let mut activities = Vec::new();
    let mut systems = Vec::new();
    // The document's id, and the run id every `discover()` of this discovery is told.
    let id = new_run_id();
    // A plugin that cannot be loaded is skipped with a warning: it must not hide the others.
    let loaded = registry
        .load_all(host, |n| plugin_log(console, n), |w| console.warning(w))
        .await;
    for (entry, plugin) in loaded {
        if system_info && let Some(system) = targets(host, &entry, &plugin, &id, console).await {
            systems.push(system);
        }
        let m = &plugin.metadata;
        for a in &m.activities {
            let arguments: Vec<Value> = a
                .arguments
                .iter()
                .map(|arg| {
                    let mut spec = Map::new();
                    spec.insert("name".into(), json!(arg.name));
                    if let Some(default) = arg
                        .default
                        .as_deref()
                        .and_then(|d| serde_json::from_str::<Value>(d).ok())
                    {
                        spec.insert("default".into(), default);
                    }
                    spec.insert("type".into(), json!(portable_type(arg.type_name)));
                    spec.insert("required".into(), json!(arg.required));
                    Value::Object(spec)
                })
                .collect();
            activities.push(json!({
                "type": a.kind.as_str(),
                "name": a.name,
                "mod": m.name,
                "plugin": format!("{}@{}", m.name, m.version),
                "doc": a.description,
                "arguments": arguments,
            }));
        }
    }
    let platform = json!({
        "system": std::env::consts::OS,
        "machine": std::env::consts::ARCH,
    });
    Ok(json!({
        "chaoslib_version": concat!("chaosrt ", env!("CARGO_PKG_VERSION")),
        "id": id,
        "target": "chaosrt-plugins",
        "date": crate::journal::iso(chrono::Utc::now()),
        "platform": if system_info { platform } else { Value::Null },
        "extension": {"name": "chaosrt", "version": env!("CARGO_PKG_VERSION")},
        "activities": activities,
        "system": if systems.is_empty() { Value::Null } else { json!({"plugins": systems}) },
    }))
}

/// The entry of a plugin that exports `discovery` in the document's `system.plugins`: its name,
/// version and targets. `None` (with a warning) when `discover()` fails or traps, and for a plugin
/// without `discovery`.
async fn targets(
    host: &Host,
    entry: &Entry,
    plugin: &Plugin,
    run_id: &str,
    console: &Console,
) -> Option<Value> {
    let m = &plugin.metadata;
    let name = crate::escape::escape(&m.name);
    let no_arguments = Map::new();
    let written = grants::Written {
        activity: "discover",
        arguments: &no_arguments,
        tainted: &[],
        allowed_origins: &[],
        configuration: &no_arguments,
    };
    let working_dir = std::env::current_dir().unwrap_or_else(|_| ".".into());
    // Without arguments, no URL argument is named, so nothing can be refused here.
    let grants = grants::for_call(
        &granted(entry, plugin),
        &no_arguments,
        &no_arguments,
        &written,
        &working_dir,
    )
    .unwrap_or_default();
    let context = Context {
        run_id: run_id.to_string(),
        ..Context::default()
    };
    let log = plugin_log(console, &m.name);
    let discovered = match host
        .discover(plugin, grants, context, Limits::default(), log)
        .await?
    {
        Ok(discovered) => discovered,
        Err(e) => {
            console.warning(&format!(
                "Plugin '{name}' could not discover its targets, so none are listed: {e}"
            ));
            return None;
        }
    };
    let Discovered {
        targets,
        malformed,
        over_limit,
    } = discovered;
    if malformed > 0 {
        console.warning(&format!(
            "Plugin '{name}' reported {malformed} malformed targets (over-long, or details that \
             are not a JSON object); they are not listed"
        ));
    }
    if over_limit > 0 {
        console.warning(&format!(
            "Plugin '{name}' reported {over_limit} targets over the {} listed",
            crate::host::targets::MAX_TARGETS
        ));
    }
    console.info(&format!(
        "Plugin '{name}' discovered {} targets",
        targets.len()
    ));
    let targets: Vec<Value> = targets
        .into_iter()
        .map(|t| {
            json!({
                "kind": t.kind,
                "name": t.name,
                "namespace": t.namespace,
                "details": t.details,
            })
        })
        .collect();
    Some(json!({
        "name": m.name,
        "version": m.version,
        "targets": targets,
    }))
}

/// An experiment using the named activities (`PLUGIN.ACTIVITY`): probes become the steady-state
/// hypothesis (tolerance `true` as a placeholder to edit), actions the method. Required arguments get
/// their default or a `TODO` placeholder, so the result validates and shows what to fill in.
pub fn scaffold(
    discovery: &Value,
    title: &str,
    probes: &[String],
    actions: &[String],
) -> Result<Value, DiscoveryError> {
    let all = discovery["activities"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let find = |kind: &'static str, wanted: &str| -> Result<Value, DiscoveryError> {
        all.iter()
            .find(|a| {
                a["type"] == kind
                    && format!(
                        "{}.{}",
                        a["mod"].as_str().unwrap_or_default(),
                        a["name"].as_str().unwrap_or_default()
                    ) == wanted
            })
            .cloned()
            .ok_or_else(|| DiscoveryError::Unknown {
                kind,
                name: wanted.to_string(),
            })
    };
    let activity = |a: &Value| -> Value {
        let mut arguments = Map::new();
        for arg in a["arguments"].as_array().into_iter().flatten() {
            if arg["required"] == json!(true) {
                let name = arg["name"].as_str().unwrap_or_default();
                let value = arg
                    .get("default")
                    .cloned()
                    .unwrap_or_else(|| json!(format!("TODO: {name}")));
                arguments.insert(name.to_string(), value);
            }
        }
        json!({
            "type": a["type"],
            "name": format!("{}-{}", a["mod"].as_str().unwrap_or_default(), a["name"].as_str().unwrap_or_default()),
            "provider": {"type": "plugin", "plugin": a["mod"], "func": a["name"], "arguments": arguments},
        })
    };
    let mut hypothesis_probes = Vec::new();
    for p in probes {
        let mut probe = activity(&find("probe", p)?);
        probe["tolerance"] = json!(true);
        hypothesis_probes.push(probe);
    }
    let method = actions
        .iter()
        .map(|a| find("action", a).map(|a| activity(&a)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut experiment = json!({
        "version": "1.0.0",
        "title": title,
        "description": "N/A",
        "tags": [],
    });
    if !hypothesis_probes.is_empty() {
        experiment["steady-state-hypothesis"] =
            json!({"title": "TODO: what the steady state is", "probes": hypothesis_probes});
    }
    experiment["method"] = json!(method);
    experiment["rollbacks"] = json!([]);
    Ok(experiment)
}

/// The probes and actions `discover` lists, as `PLUGIN.ACTIVITY` names.
pub fn names(discovery: &Value, kind: ActivityKind) -> Vec<String> {
    discovery["activities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["type"] == kind.as_str())
        .map(|a| {
            format!(
                "{}.{}",
                a["mod"].as_str().unwrap_or_default(),
                a["name"].as_str().unwrap_or_default()
            )
        })
        .collect()
}
