//! Loading the plugins an experiment uses, before anything runs, so a missing plugin, activity or
//! argument is reported up front with the place in the experiment that names it.

use crate::console::Console;
use crate::experiment::{Activity, Experiment, PluginCall, Provider, Tolerance, ValidationError};
use crate::host::{CallError, Capability, Host, LogSink, Plugin};
use crate::registry::{Entry, Registry};
use std::collections::HashMap;
use std::sync::Arc;

/// A loaded plugin with the capabilities it holds for this run.
pub struct Loaded {
    pub plugin: Plugin,
    /// What it holds for this run: what it was granted, unless the run narrowed it.
    pub granted: Vec<Capability>,
    /// What it was granted at install (a built-in: what it asks for, its documented defaults).
    pub consented: Vec<Capability>,
    /// Where this run narrowed (or widened) its grants, if it did.
    pub narrowed: Option<Narrowed>,
    /// Built into chaosrt (its failure texts are Chaos Toolkit's, unattributed) or installed.
    pub builtin: bool,
    /// A Python bundle's packages, mounted read-only into each of its calls.
    pub site_packages: Option<std::path::PathBuf>,
}

/// Where a run set a plugin's grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Narrowed {
    /// The experiment's `chaosrt` extension: the plugin's list at this JSON pointer.
    Experiment(String),
    /// `chaosrt run --grant PLUGIN:KIND=VALUE`.
    CommandLine,
}

/// The grants a run sets from its command line.
#[derive(Debug, Clone, Default)]
pub struct GrantOptions {
    /// `--grant PLUGIN:KIND=VALUE`, in order. For a plugin named here, these are all it holds in
    /// this run (the experiment's list for it is not used).
    pub grants: Vec<(String, Capability)>,
    /// `--widen-grants`: a run may grant what a plugin asks for beyond what it was granted at
    /// install, with a warning. Never what it does not ask for.
    pub widen: bool,
}

impl Loaded {
    /// The failure message of a call, as the journal and the log show it. An installed plugin's own
    /// words are attributed to it, so its error text can never read as chaosrt's. A plugin that
    /// holds less than it asks for is told what it lacks and where to grant it: after a denial
    /// always, after another failure as a possible cause.
    pub fn failure(&self, error: CallError) -> String {
        let denied = matches!(error, CallError::Denied { .. });
        let message = match error {
            CallError::Failed { message } if !self.builtin => {
                format!("plugin '{}' failed: {message}", self.plugin.metadata.name)
            }
            other => other.to_string(),
        };
        match self.withheld_hint() {
            Some(hint) if denied => format!("{message}. {hint}"),
            Some(hint) => format!("{message} (if that is for want of a grant: {hint})"),
            None => message,
        }
    }

    /// What the plugin asks for and does not hold in this run, and how to grant each.
    fn withheld_hint(&self) -> Option<String> {
        let name = &self.plugin.metadata.name;
        let withheld: Vec<String> = self
            .plugin
            .metadata
            .capabilities
            .iter()
            .filter(|asked| !self.granted.iter().any(|g| asked.is_within(g)))
            .map(|asked| {
                let grant = asked.grant_argument();
                let consented = self.consented.iter().any(|c| asked.is_within(c));
                match (&self.narrowed, consented) {
                    (Some(Narrowed::Experiment(at)), true) => format!(
                        "{} is left out of this run by the experiment's grants at {at}: add \
                         \"{grant}\" there",
                        asked.in_words()
                    ),
                    (Some(Narrowed::CommandLine), true) => format!(
                        "{} is left out of this run by --grant {name}:…: add --grant \
                         {name}:{grant}",
                        asked.in_words()
                    ),
                    (_, _) => format!(
                        "{} was not granted at install: reinstall with `chaosrt plugin install \
                         --replace --grant {grant}` (and its other grants), or for one run pass \
                         `chaosrt run --widen-grants --grant {name}:{grant}`",
                        asked.in_words()
                    ),
                }
            })
            .collect();
        (!withheld.is_empty()).then(|| {
            format!(
                "plugin '{name}' asks for more than it holds in this run: {}",
                withheld.join("; ")
            )
        })
    }
}

/// The plugins of one run, by the `(name, version)` the experiment asked for, and the run's id: they
/// are loaded once per run, before anything runs, so the id every call of the run is told
/// (`context.run-id`) lives with them.
pub struct Plugins {
    loaded: HashMap<(String, Option<String>), Loaded>,
    run_id: String,
}

impl Default for Plugins {
    /// No plugins yet, and a fresh run id.
    fn default() -> Self {
        Plugins {
            loaded: HashMap::new(),
            run_id: new_run_id(),
        }
    }
}

/// A fresh identifier, 32 hex digits: unique per run (and per `discover`), never reused. Time, the
/// process id, a per-process counter and std's randomly keyed hasher go into a sha256.
pub fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut random = std::collections::hash_map::RandomState::new().build_hasher();
    random.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let seed = format!(
        "{}:{}:{}:{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        random.finish()
    );
    crate::host::cache::sha256_hex(seed.as_bytes())[..32].to_string()
}

impl Plugins {
    /// The run's identifier: the same for every call of this run, different in every run.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    pub fn get(&self, call: &PluginCall) -> Option<&Loaded> {
        self.loaded
            .get(&(call.plugin.clone(), call.version.clone()))
    }

    /// The names of the loaded plugins granted the run's working directory, sorted.
    pub fn granted_working_dir(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .loaded
            .values()
            .filter(|l| {
                l.granted
                    .iter()
                    .any(|c| matches!(c, Capability::Filesystem { path, .. } if path == "."))
            })
            .map(|l| l.plugin.metadata.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// A warning when plugins granted "the working directory" would get far more than an experiment's
/// files: the root or the home directory (where `~/.ssh` lives).
pub fn warn_broad_working_dir(plugins: &Plugins, working_dir: &std::path::Path, console: &Console) {
    let names = plugins.granted_working_dir();
    if names.is_empty() {
        return;
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let broad = working_dir == std::path::Path::new("/")
        || home.is_some_and(|h| std::fs::canonicalize(h).is_ok_and(|h| h == working_dir));
    if broad {
        console.warning(&format!(
            "the working directory is {}, and the plugins {} are granted it: they may read and write \
             everything below it; run experiments from a directory of their own",
            working_dir.display(),
            names.join(", ")
        ));
    }
}

/// Every activity of the experiment with its JSON pointer, tolerance probes included.
pub fn activities_with_pointers(experiment: &Experiment) -> Vec<(String, &Activity)> {
    let hypothesis = experiment.hypothesis.iter().flat_map(|h| &h.probes);
    let lists = [
        (
            "/steady-state-hypothesis/probes",
            hypothesis.collect::<Vec<_>>(),
        ),
        ("/method", experiment.method.iter().collect()),
        ("/rollbacks", experiment.rollbacks.iter().collect()),
    ];
    let mut all: Vec<(String, &Activity)> = experiment
        .dynamic_configuration
        .iter()
        .map(|(key, probe)| (format!("/configuration/{key}"), probe))
        .collect();
    for (list, activities) in lists {
        for (i, activity) in activities.into_iter().enumerate() {
            let at = format!("{list}/{i}");
            for (key, tolerance) in [
                ("tolerance", &activity.tolerance),
                ("assert", &activity.assert),
            ] {
                if let Some(Tolerance::Probe(checker)) = tolerance {
                    all.push((format!("{at}/{key}"), checker.as_ref()));
                }
            }
            all.push((at, activity));
        }
    }
    all
}

/// A log sink that writes a plugin's log lines into the run's console, attributed to it by a
/// `[plugin NAME]` prefix (the console escapes control characters, so a line stays one line).
pub fn plugin_log(console: &Console, plugin: &str) -> LogSink {
    let plugin = plugin.to_string();
    let console = console.clone();
    Arc::new(move |level, message| {
        use crate::console::Level as C;
        use crate::host::Level as H;
        let level = match level {
            H::Debug => C::Debug,
            H::Info => C::Info,
            H::Warning => C::Warning,
            H::Error => C::Error,
        };
        console.log(level, &format!("[plugin {plugin}] {message}"));
    })
}

/// Loads each plugin the experiment uses once, checks each call against the plugin's metadata, and
/// sets what each holds for this run ([`narrow`]).
pub async fn load(
    experiment: &Experiment,
    host: &Host,
    registry: &Registry,
    console: &Console,
    check_arguments: bool,
    options: &GrantOptions,
) -> Result<Plugins, Vec<ValidationError>> {
    let mut plugins = Plugins::default();
    let mut errors = Vec::new();
    for (pointer, activity) in activities_with_pointers(experiment) {
        let Provider::Plugin(call) = &activity.provider else {
            continue;
        };
        let key = (call.plugin.clone(), call.version.clone());
        let at = format!("{pointer}/provider");
        if !plugins.loaded.contains_key(&key) {
            match load_one(call, host, registry, console).await {
                Ok(loaded) => {
                    plugins.loaded.insert(key.clone(), loaded);
                }
                Err(message) => {
                    errors.push(ValidationError {
                        pointer: at,
                        message,
                    });
                    continue;
                }
            }
        }
        let loaded = &plugins.loaded[&key];
        if !check_arguments {
            continue;
        }
        errors.extend(
            check_call(call, loaded)
                .into_iter()
                .map(|message| ValidationError {
                    pointer: at.clone(),
                    message,
                }),
        );
    }
    errors.extend(narrow(&mut plugins, experiment, options, console));
    if errors.is_empty() {
        Ok(plugins)
    } else {
        Err(errors)
    }
}

/// Sets what each loaded plugin holds for this run: the `--grant`s that name it, else the
/// experiment's grants for it, else what it was granted. A run may only narrow: every grant must be
/// within one the plugin was granted at install, or with `--widen-grants` (said loudly) within one
/// it asks for. A grant for a plugin the experiment does not use is an error, not a silent no-op.
fn narrow(
    plugins: &mut Plugins,
    experiment: &Experiment,
    options: &GrantOptions,
    console: &Console,
) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let used = |name: &str| plugins.loaded.keys().any(|(n, _)| n == name);
    for (name, grant) in &options.grants {
        if !used(name) {
            errors.push(ValidationError {
                pointer: format!("--grant {name}:{}", grant.grant_argument()),
                message: format!("the experiment uses no plugin named '{name}'"),
            });
        }
    }
    for run in &experiment.grants {
        if !used(&run.plugin) {
            errors.push(ValidationError {
                pointer: run.pointer.clone(),
                message: format!("the experiment uses no plugin named '{}'", run.plugin),
            });
        }
    }
    for ((name, _), loaded) in plugins.loaded.iter_mut() {
        let from_command_line: Vec<(String, Capability)> = options
            .grants
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(n, g)| (format!("--grant {n}:{}", g.grant_argument()), g.clone()))
            .collect();
        let (set, narrowed) = if !from_command_line.is_empty() {
            (from_command_line, Narrowed::CommandLine)
        } else if let Some(run) = experiment.grants.iter().find(|r| r.plugin == *name) {
            let mut parsed = Vec::new();
            for (at, text) in &run.grants {
                match Capability::from_grant_argument(text) {
                    Ok(grant) => parsed.push((at.clone(), grant)),
                    Err(message) => errors.push(ValidationError {
                        pointer: at.clone(),
                        message,
                    }),
                }
            }
            (parsed, Narrowed::Experiment(run.pointer.clone()))
        } else {
            continue;
        };
        let asked = &loaded.plugin.metadata.capabilities;
        let mut granted = Vec::new();
        for (at, grant) in set {
            let words = grant.in_words();
            if loaded.consented.iter().any(|c| grant.is_within(c)) {
                granted.push(grant);
            } else if !asked.iter().any(|a| grant.is_within(a)) {
                errors.push(ValidationError {
                    pointer: at,
                    message: format!(
                        "plugin '{name}' does not ask for this ({words}), so no grant can give it"
                    ),
                });
            } else if options.widen {
                console.warning(&format!(
                    "--widen-grants: plugin '{name}' holds in this run what it was NOT granted at \
                     install: it {words}"
                ));
                granted.push(grant);
            } else {
                errors.push(ValidationError {
                    pointer: at,
                    message: format!(
                        "plugin '{name}' was not granted this at install ({words}); a run may only \
                         narrow a plugin's grants. Grant it for good with `chaosrt plugin install \
                         --replace --grant {}`, or for this run only pass --widen-grants",
                        grant.grant_argument()
                    ),
                });
            }
        }
        loaded.granted = granted;
        loaded.narrowed = Some(narrowed);
    }
    errors
}

async fn load_one(
    call: &PluginCall,
    host: &Host,
    registry: &Registry,
    console: &Console,
) -> Result<Loaded, String> {
    let entry = registry
        .find(&call.plugin, call.version.as_deref())
        .map_err(|e| e.to_string())?;
    let plugin = registry
        .load(host, &entry, plugin_log(console, &entry.name))
        .await?;
    console.debug(&format!(
        "Plugin {} {} ({:?}, sha256 {}, built for chaosrt:plugin@{})",
        plugin.metadata.name,
        plugin.metadata.version,
        plugin.loaded_from,
        plugin.sha256,
        plugin.contract
    ));
    if let Some(warning) = plugin.loaded_from.warning(&entry.name) {
        console.warning(&warning);
    }
    // A built-in is found by name alone; an installed plugin was chosen by its version already.
    if let Some(version) = &call.version
        && !crate::registry::selects(version, &plugin.metadata.version)
    {
        return Err(format!(
            "plugin '{}' is at version {}, the experiment asks for {version}",
            call.plugin, plugin.metadata.version
        ));
    }
    let builtin = entry.manifest.is_none();
    let granted = granted(&entry, &plugin);
    Ok(Loaded {
        plugin,
        consented: granted.clone(),
        granted,
        narrowed: None,
        builtin,
        site_packages: entry.site_packages(),
    })
}

/// What a loaded plugin is granted. Built-ins get what they request (their documented default
/// grants); installed plugins get what the operator granted at install, never more than they
/// requested ([`Capability::is_within`]). A Python bundle asks for nothing (an extension declares
/// nothing): the origins the operator granted it at install are its grants, and only origins.
pub fn granted(entry: &Entry, plugin: &Plugin) -> Vec<Capability> {
    match &entry.manifest {
        None => plugin.metadata.capabilities.clone(),
        Some(m) if m.python.is_some() => m
            .granted
            .iter()
            .filter(|g| crate::registry::python::grantable(g))
            .cloned()
            .collect(),
        Some(m) => m
            .granted
            .iter()
            .filter(|g| plugin.metadata.capabilities.iter().any(|a| g.is_within(a)))
            .cloned()
            .collect(),
    }
}

/// The activity exists and the required arguments are present.
fn check_call(call: &PluginCall, loaded: &Loaded) -> Vec<String> {
    let metadata = &loaded.plugin.metadata;
    let Some(spec) = metadata.activity(&call.func) else {
        let offered: Vec<&str> = metadata
            .activities
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        return vec![format!(
            "plugin '{}' has no activity '{}'; it offers {}",
            metadata.name,
            call.func,
            offered.join(", ")
        )];
    };
    spec.arguments
        .iter()
        .filter(|a| a.required && !call.arguments.contains_key(&a.name))
        .map(|a| {
            format!(
                "{}.{} requires the argument '{}' ({})",
                metadata.name, spec.name, a.name, a.type_name
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::experiment::ALIASES;
    use crate::host::{Host, LogSink};
    use std::sync::Arc;

    /// The alias table and the built-ins agree: every python function chaosrt serves names an
    /// activity of its built-in that takes each keyword argument the alias passes on, and every
    /// argument the activity requires is one the alias requires.
    #[tokio::test]
    async fn every_alias_names_an_activity_of_its_builtin_taking_its_arguments() {
        let host = Host::new(None).unwrap();
        let quiet: LogSink = Arc::new(|_, _| {});
        for builtin in chaosrt_builtins::ALL {
            let name = builtin.name();
            let plugin = host
                .load(name, builtin.component(), quiet.clone())
                .await
                .unwrap();
            for alias in ALIASES.iter().filter(|a| a.plugin == name) {
                let function = format!("{}.{}", alias.module, alias.func);
                let activity = plugin
                    .metadata
                    .activity(alias.activity)
                    .unwrap_or_else(|| panic!("{function}: no activity {}", alias.activity));
                for taken in alias.required.iter().chain(alias.optional) {
                    assert!(
                        activity.arguments.iter().any(|a| a.name == *taken),
                        "{function}: {} takes no `{taken}`",
                        alias.activity
                    );
                }
                for needed in activity.arguments.iter().filter(|a| a.required) {
                    assert!(
                        alias.required.contains(&needed.name.as_str()),
                        "{function}: {} requires `{}`",
                        alias.activity,
                        needed.name
                    );
                }
            }
        }
        assert!(ALIASES.iter().any(|a| a.plugin == "kubernetes"));
    }
}
