//! `chaosrt init`: scaffolds an experiment from a discovery document.

use crate::console::Console;
use crate::discovery::{names, scaffold};
use crate::host::ActivityKind;
use anyhow::Context;
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The discovery document written by `chaosrt discover`.
    #[arg(long, default_value = "./discovery.json")]
    pub discovery_path: PathBuf,
    /// Where to write the experiment.
    #[arg(long, default_value = "./experiment.json")]
    pub experiment_path: PathBuf,
    /// The experiment's title.
    #[arg(long, default_value = "TODO: the question this experiment answers")]
    pub title: String,
    /// A probe for the steady-state hypothesis, as PLUGIN.ACTIVITY (repeatable).
    #[arg(long = "probe", value_name = "PLUGIN.ACTIVITY")]
    pub probes: Vec<String>,
    /// An action for the method, as PLUGIN.ACTIVITY (repeatable).
    #[arg(long = "action", value_name = "PLUGIN.ACTIVITY")]
    pub actions: Vec<String>,
}

pub async fn run(args: Args, console: Console) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.discovery_path).with_context(|| {
        format!(
            "cannot read {} (run `chaosrt discover` first)",
            args.discovery_path.display()
        )
    })?;
    let discovery: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a discovery document",
            args.discovery_path.display()
        )
    })?;
    if args.probes.is_empty() && args.actions.is_empty() {
        console.info(&format!(
            "Probes you can use: {}",
            names(&discovery, ActivityKind::Probe).join(", ")
        ));
        console.info(&format!(
            "Actions you can use: {}",
            names(&discovery, ActivityKind::Action).join(", ")
        ));
    }
    let mut experiment = scaffold(&discovery, &args.title, &args.probes, &args.actions)?;
    escape_plugin_defaults(&mut experiment);
    let text = serde_json::to_string_pretty(&experiment)? + "\n";
    crate::host::cache::write_atomically(&args.experiment_path, text.as_bytes())?;
    console.info(&format!(
        "Experiment created and saved in '{}'",
        args.experiment_path.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// The argument defaults `scaffold` copied from plugin metadata, with every `$` written `$$`: a
/// plugin's default of `"${token}"` would otherwise be substituted with the operator's secret once
/// the experiment declares one, handing the plugin a value it never asked for.
fn escape_plugin_defaults(experiment: &mut Value) {
    for list in ["/steady-state-hypothesis/probes", "/method"] {
        let activities = experiment.pointer_mut(list).and_then(Value::as_array_mut);
        for activity in activities.into_iter().flatten() {
            if let Some(arguments) = activity.pointer_mut("/provider/arguments") {
                escape_dollars(arguments);
            }
        }
    }
}

/// `$` → `$$` in every string of `value`, recursively (object keys are never substituted).
fn escape_dollars(value: &mut Value) {
    match value {
        Value::String(s) => *s = s.replace('$', "$$"),
        Value::Array(items) => items.iter_mut().for_each(escape_dollars),
        Value::Object(map) => map.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plugin_defaults_cannot_name_the_operators_secrets() {
        let discovery = json!({"activities": [
            {"type": "probe", "mod": "p", "name": "look", "arguments": [
                {"name": "token", "required": true, "default": "Bearer ${token}"},
                {"name": "nested", "required": true, "default": {"a": ["$x", 1], "$k": "$$"}},
                {"name": "n", "required": true, "default": 3},
                {"name": "todo", "required": true}
            ]},
            {"type": "action", "mod": "p", "name": "act", "arguments": [
                {"name": "all", "required": true, "default": "$all"}
            ]}
        ]});
        let mut experiment = scaffold(
            &discovery,
            "Title ${x}",
            &["p.look".into()],
            &["p.act".into()],
        )
        .unwrap();
        escape_plugin_defaults(&mut experiment);
        assert_eq!(
            experiment["steady-state-hypothesis"]["probes"][0]["provider"]["arguments"],
            json!({"token": "Bearer $${token}", "nested": {"a": ["$$x", 1], "$k": "$$$$"}, "n": 3,
                   "todo": "TODO: todo"})
        );
        assert_eq!(
            experiment["method"][0]["provider"]["arguments"],
            json!({"all": "$$all"})
        );
        // The operator's own title is theirs to substitute.
        assert_eq!(experiment["title"], json!("Title ${x}"));
    }
}
