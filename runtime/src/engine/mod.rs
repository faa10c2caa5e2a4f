//! The run loop, in Chaos Toolkit's order (`chaoslib/run.py::Runner._run`): the steady-state
//! hypothesis as a gate, the method (optionally with the hypothesis running continuously beside it),
//! the hypothesis again to detect deviation, then rollbacks as the rollback strategy says. Statuses,
//! the deviation flag and log lines are Chaos Toolkit's; a signal ends the run as `interrupted` and the
//! journal is still written.

mod activity;
mod configure;
pub mod grants;
mod hypothesis;
mod options;
mod phase;
pub mod plugins;
pub mod prepare;
mod process;
mod signal;

use crate::console::Console;
use crate::experiment::{
    Experiment, HypothesisStrategy, Resolved, RollbackStrategy, Scope, Taint, substitute,
};
use crate::host::Host;
use crate::journal::{Journal, Status, SteadyState};
use chrono::Utc;
use hypothesis::Checked;
pub use options::{Dry, RunOptions, StrategyFlags};
pub use plugins::Plugins;
use serde_json::{Map, Value};
pub use signal::{Interrupt, Interrupts, interrupted_while_loading};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a run needs from its surroundings.
pub struct Runtime {
    pub host: Host,
    pub console: Console,
    /// The directory the built-in fs plugin is granted: where the operator runs the experiment.
    pub working_dir: PathBuf,
}

/// State shared by the method and the continuous hypothesis running beside it.
pub(crate) struct Run<'a> {
    pub experiment: &'a Experiment,
    pub plugins: &'a Plugins,
    pub resolved: &'a Resolved,
    pub options: &'a RunOptions,
    pub status: Mutex<Option<Status>>,
    /// Outputs of the activities that ran so far (`${output:NAME}`), of those an
    /// `${output:…}` in the experiment names: the journal keeps the others.
    pub outputs: Mutex<Outputs>,
    referenced: BTreeSet<String>,
    pub during: Mutex<Vec<SteadyState>>,
    /// Configuration keys a plugin computed (`Experiment::tainted_configuration`).
    tainted_configuration: BTreeSet<String>,
    /// The signals of the run, and how many the current phase already saw (the rollbacks played
    /// after an interrupted method stop only at the next one).
    interrupts: Interrupts,
    seen: AtomicU32,
    /// Bytes of output the journal keeps so far ([`activity::KEPT_OUTPUT_BYTES`]).
    kept: AtomicUsize,
    /// Background activities running at once ([`phase::BACKGROUND_AT_ONCE`]).
    pub background_slots: tokio::sync::Semaphore,
}

/// The outputs of the activities that ran so far, and which of them the operator can vouch for.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    /// By activity name, the latest run winning.
    pub values: Map<String, Value>,
    /// The activities whose latest output a process produced from untainted arguments; every
    /// other output is a plugin's (or was shaped by one) and tainted.
    pub trusted: BTreeSet<String>,
}

impl Outputs {
    pub fn insert(&mut self, activity: &str, output: Value, trusted: bool) {
        self.values.insert(activity.to_string(), output);
        if trusted {
            self.trusted.insert(activity.to_string());
        } else {
            self.trusted.remove(activity);
        }
    }
}

impl Outputs {
    /// Drops what `activity` returned before, so `${output:…}` cannot mistake it for the latest.
    pub fn forget(&mut self, activity: &str) {
        self.values.remove(activity);
        self.trusted.remove(activity);
    }
}

impl<'a> Run<'a> {
    fn new(
        experiment: &'a Experiment,
        plugins: &'a Plugins,
        resolved: &'a Resolved,
        options: &'a RunOptions,
        interrupts: &Interrupts,
    ) -> Run<'a> {
        Run {
            interrupts: interrupts.clone(),
            seen: AtomicU32::new(0),
            kept: AtomicUsize::new(0),
            background_slots: tokio::sync::Semaphore::new(phase::BACKGROUND_AT_ONCE),
            experiment,
            plugins,
            resolved,
            options,
            status: Mutex::new(None),
            outputs: Mutex::new(Outputs::default()),
            referenced: crate::experiment::referenced_outputs(&experiment.raw),
            during: Mutex::new(Vec::new()),
            tainted_configuration: experiment.tainted_configuration(),
        }
    }

    pub fn status(&self) -> Option<Status> {
        *self.status.lock().unwrap()
    }

    pub fn set_status(&self, status: Status) {
        *self.status.lock().unwrap() = Some(status);
    }

    /// Takes `bytes` of the run's allowance for kept outputs; `false` (and nothing taken) when they
    /// do not fit.
    pub fn keep(&self, bytes: usize) -> bool {
        self.kept
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |kept| {
                kept.checked_add(bytes)
                    .filter(|&total| total <= activity::KEPT_OUTPUT_BYTES)
            })
            .is_ok()
    }

    /// Whether a signal the current phase has not seen arrived; if so the run is `interrupted`.
    pub fn stop_requested(&self) -> bool {
        let stop = self.interrupts.count() > self.seen.load(Ordering::SeqCst);
        if stop {
            self.set_status(Status::Interrupted);
        }
        stop
    }

    /// Resolves when a signal the current phase has not seen arrives.
    pub async fn stopped(&self) {
        self.interrupts
            .after(self.seen.load(Ordering::SeqCst))
            .await;
        self.set_status(Status::Interrupted);
    }

    /// Sleeps, unless a signal cuts it short; whether it slept the whole time.
    pub async fn sleep(&self, duration: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(duration) => true,
            () = self.stopped() => false,
        }
    }

    /// Calls `f` with what `${…}` resolves from: configuration, secrets and earlier outputs (read in
    /// place, under the outputs lock, rather than copied per call).
    pub fn with_scope<R>(&self, f: impl FnOnce(&Scope) -> R) -> R {
        self.with_taint(|scope, _| f(scope))
    }

    /// [`Run::with_scope`], with which of its values a plugin shaped.
    pub fn with_taint<R>(&self, f: impl FnOnce(&Scope, &Taint) -> R) -> R {
        let outputs = self.outputs.lock().unwrap();
        let scope = Scope {
            configuration: &self.resolved.configuration,
            secrets: &self.resolved.secrets,
            outputs: &outputs.values,
        };
        let taint = Taint {
            configuration: &self.tainted_configuration,
            trusted_outputs: &outputs.trusted,
        };
        f(&scope, &taint)
    }

    /// Substitutes `${…}` in `value` from configuration, secrets and earlier outputs.
    pub fn substitute(&self, value: &Value) -> Value {
        self.with_scope(|scope| substitute(value, scope))
    }

    /// Whether `${output:activity}` appears anywhere in the experiment.
    pub fn output_referenced(&self, activity: &str) -> bool {
        self.referenced.contains(activity)
    }

    /// Whether Chaos Toolkit would substitute provider arguments at all: only when there is
    /// configuration or secrets (so `$$` survives otherwise); outputs count too for chaosrt.
    pub fn substitutes_arguments(&self) -> bool {
        !self.resolved.configuration.is_empty()
            || !self.resolved.secrets.is_empty()
            || !self.outputs.lock().unwrap().values.is_empty()
    }
}

impl Runtime {
    /// Runs the experiment and returns its journal. Never fails: whatever happens is recorded. A
    /// signal in `interrupts` ends the run `interrupted`, keeping every activity that ran.
    pub async fn run(
        &self,
        experiment: &Experiment,
        plugins: &Plugins,
        resolved: &Resolved,
        options: &RunOptions,
        interrupts: &Interrupts,
    ) -> Journal {
        let console = &self.console;
        let configured = tokio::select! {
            configured = self.configure(experiment, plugins, resolved, options, interrupts) => configured,
            () = interrupts.after(0) => resolved.clone(),
        };
        let resolved = &configured;
        let run = Run::new(experiment, plugins, resolved, options, interrupts);
        let title = run.substitute(&Value::String(experiment.title.clone()));
        let title = match &title {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        console.info(&format!("Running experiment: {title}"));
        let started = Instant::now();
        let mut raw = experiment.raw.clone();
        if let Some(map) = raw.as_object_mut() {
            map.insert("title".into(), Value::String(title));
        }
        let mut journal = Journal::start(&raw, options.dry.map(Dry::as_str));
        if let Some(dry) = options.dry {
            console.warning(&format!("Running experiment with dry {}", dry.as_str()));
        }
        console.info(&format!(
            "Steady-state strategy: {}",
            options.hypothesis_strategy.log_name()
        ));
        console.info(&format!(
            "Rollbacks strategy: {}",
            options.rollback_strategy.as_str()
        ));
        let skip = options.hypothesis_strategy == HypothesisStrategy::Skip;
        let with_hypothesis = !skip
            && experiment
                .hypothesis
                .as_ref()
                .is_some_and(|h| !h.probes.is_empty());
        if skip {
            console.info("Skipping Steady-State Hypothesis as requested");
        } else if !with_hypothesis {
            console.info("No steady state hypothesis defined. That's ok, just exploring.");
        }

        if !run.stop_requested() {
            self.phases(&run, &mut journal, with_hypothesis).await;
        }
        run.stop_requested();
        journal.steady_states.during = std::mem::take(&mut *run.during.lock().unwrap());

        if self.should_roll_back(&run, journal.deviated) {
            // A signal that stopped the method stops the rollbacks only if another one comes.
            run.seen.store(interrupts.count(), Ordering::SeqCst);
            let already = interrupts.count() > 0;
            self.rollbacks(&run, &mut journal).await;
            if run.stop_requested() && already {
                console.error(
                    "Received a second signal during the rollbacks: aborting them; the rollbacks \
                     that did not run are not in the journal",
                );
            }
        }

        let status = run.status().unwrap_or(Status::Completed);
        journal.status = Some(status);
        journal.end = Some(crate::journal::iso(Utc::now()));
        journal.duration = Some(started.elapsed().as_secs_f64());
        let shown = if journal.deviated {
            "deviated"
        } else {
            status.as_str()
        };
        console.info(&format!("Experiment ended with status: {shown}"));
        if journal.deviated {
            console.info("The steady-state has deviated, a weakness may have been discovered");
        }
        journal
    }

    /// The gate, the method (with the continuous hypothesis beside it) and the deviation check.
    async fn phases(&self, run: &Run<'_>, journal: &mut Journal, with_hypothesis: bool) {
        let strategy = run.options.hypothesis_strategy;
        let hypothesis = run
            .experiment
            .hypothesis
            .as_ref()
            .filter(|_| with_hypothesis);
        if let Some(h) = hypothesis
            && runs_before(strategy)
        {
            let checked = self.hypothesis(h, run).await;
            let met = checked.state.steady_state_met;
            if run.stop_requested() {
                journal.steady_states.before = Some(checked.state);
                return;
            }
            if !met {
                run.set_status(status_after_unmet(&checked));
                self.critical_not_in_tolerance(&checked.state);
            }
            journal.steady_states.before = Some(checked.state);
            if !met {
                return;
            }
        }

        let continuous = hypothesis.filter(|_| runs_during(strategy));
        let stop = tokio::sync::Notify::new();
        let method = async {
            let runs = self.method(run, &mut journal.run).await;
            stop.notify_one();
            runs
        };
        let beside = async {
            if let Some(h) = continuous {
                self.continuously(h, run, &stop).await;
            }
        };
        tokio::join!(method, beside);

        if run.stop_requested()
            || matches!(run.status(), Some(Status::Interrupted | Status::Aborted))
        {
            return;
        }
        if let Some(h) = hypothesis
            && runs_after(strategy)
        {
            let checked = self.hypothesis(h, run).await;
            if run.stop_requested() {
                journal.steady_states.after = Some(checked.state);
                return;
            }
            if !checked.state.steady_state_met {
                journal.deviated = true;
                run.set_status(status_after_unmet(&checked));
                self.critical_not_in_tolerance(&checked.state);
            }
            journal.steady_states.after = Some(checked.state);
        }
    }

    /// Chaos Toolkit's `run_rollback` decision, with its log lines.
    fn should_roll_back(&self, run: &Run<'_>, deviated: bool) -> bool {
        let console = &self.console;
        match run.options.rollback_strategy {
            RollbackStrategy::Always => {
                console.warning("Rollbacks were explicitly requested to be played");
                true
            }
            RollbackStrategy::Never => {
                console.warning("Rollbacks were explicitly requested to not be played");
                false
            }
            RollbackStrategy::Default => {
                !matches!(run.status(), Some(Status::Failed | Status::Interrupted))
            }
            RollbackStrategy::Deviated if deviated => {
                console.warning("Rollbacks will be played only because the experiment deviated");
                true
            }
            RollbackStrategy::Deviated => {
                console.warning(
                    "Rollbacks were explicitely requested to be played only if the experiment \
                     deviated. Since this is not the case, we will not play them.",
                );
                false
            }
        }
    }

    fn critical_not_in_tolerance(&self, state: &SteadyState) {
        let last = last_probe_name(state);
        self.console.critical(&format!(
            "Steady state probe '{last}' is not in the given tolerance so failing this experiment"
        ));
    }
}

fn runs_before(s: HypothesisStrategy) -> bool {
    matches!(
        s,
        HypothesisStrategy::Default
            | HypothesisStrategy::BeforeMethodOnly
            | HypothesisStrategy::Continuously
    )
}

fn runs_during(s: HypothesisStrategy) -> bool {
    matches!(
        s,
        HypothesisStrategy::DuringMethodOnly | HypothesisStrategy::Continuously
    )
}

fn runs_after(s: HypothesisStrategy) -> bool {
    matches!(
        s,
        HypothesisStrategy::Default
            | HypothesisStrategy::AfterMethodOnly
            | HypothesisStrategy::Continuously
    )
}

/// After an unmet hypothesis: `failed` if one of its probes errored (or, in chaosrt, its tolerance
/// could not be evaluated), else `completed`.
fn status_after_unmet(checked: &Checked) -> Status {
    if checked.broken {
        Status::Failed
    } else {
        Status::Completed
    }
}

fn last_probe_name(state: &SteadyState) -> &str {
    state
        .probes
        .last()
        .and_then(|p| p.activity.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A duration from seconds that may be negative or absurd in an experiment.
pub(crate) fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}
