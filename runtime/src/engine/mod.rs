//! The run loop, in Chaos Toolkit's order (`chaoslib/run.py::Runner._run`): the steady-state
//! hypothesis as a gate, the method, the hypothesis again to detect deviation, then rollbacks as the
//! rollback strategy says. Statuses, the deviation flag and log lines are Chaos Toolkit's.

mod activity;
pub mod grants;
pub mod plugins;
mod process;

use crate::console::Console;
use crate::experiment::{Activity, Experiment, Hypothesis};
use crate::host::Host;
use crate::journal::{Journal, RunStatus, Status, SteadyState};
use chrono::Utc;
pub use plugins::Plugins;
use std::path::PathBuf;
use std::time::Instant;

/// What a run needs from its surroundings.
pub struct Runtime {
    pub host: Host,
    pub console: Console,
    /// The directory the built-in fs plugin is granted: where the operator runs the experiment.
    pub working_dir: PathBuf,
}

/// The hypothesis-as-gate outcome.
enum Gate {
    Met,
    NotMet,
}

impl Runtime {
    /// Runs the experiment and returns its journal. Never fails: whatever happens is recorded.
    pub async fn run(&self, experiment: &Experiment, plugins: &Plugins) -> Journal {
        let console = self.console;
        console.info(&format!("Running experiment: {}", experiment.title));
        let started = Instant::now();
        let mut journal = Journal::start(&experiment.raw, None);
        console.info("Steady-state strategy: default");
        console.info("Rollbacks strategy: default");
        let hypothesis = experiment
            .hypothesis
            .as_ref()
            .filter(|h| !h.probes.is_empty());
        if hypothesis.is_none() {
            console.info("No steady state hypothesis defined. That's ok, just exploring.");
        }

        let gate = match hypothesis {
            Some(h) => {
                let state = self.hypothesis(h, experiment, plugins).await;
                let met = state.steady_state_met;
                if !met {
                    journal.status = Some(status_after_unmet(&state));
                    critical_not_in_tolerance(console, &state);
                }
                journal.steady_states.before = Some(state);
                if met { Gate::Met } else { Gate::NotMet }
            }
            None => Gate::Met,
        };

        if let Gate::Met = gate {
            console.info("Playing your experiment's method now...");
            journal.run = self
                .activities(&experiment.method, experiment, plugins, false)
                .await;
            if let Some(h) = hypothesis {
                let state = self.hypothesis(h, experiment, plugins).await;
                if !state.steady_state_met {
                    journal.deviated = true;
                    journal.status = Some(status_after_unmet(&state));
                    critical_not_in_tolerance(console, &state);
                }
                journal.steady_states.after = Some(state);
            }
        }

        // The default rollback strategy: play unless the run failed or was interrupted.
        let status = journal.status.unwrap_or(Status::Completed);
        if !matches!(status, Status::Failed | Status::Interrupted) {
            console.info("Let's rollback...");
            journal.rollbacks = self
                .activities(&experiment.rollbacks, experiment, plugins, true)
                .await;
        }

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

    /// Runs the hypothesis probes in order, stopping at the first that fails or is out of tolerance.
    async fn hypothesis(
        &self,
        hypothesis: &Hypothesis,
        experiment: &Experiment,
        plugins: &Plugins,
    ) -> SteadyState {
        let console = self.console;
        console.info(&format!("Steady state hypothesis: {}", hypothesis.title));
        let mut state = SteadyState {
            steady_state_met: false,
            probes: Vec::new(),
        };
        for probe in &hypothesis.probes {
            let mut run = self.execute(probe, experiment, plugins).await;
            if run.status == RunStatus::Failed {
                run.tolerance_met = Some(false);
                state.probes.push(run);
                console.warning(
                    "Probe terminated unexpectedly, so its tolerance could not be validated",
                );
                return state;
            }
            let tolerance = probe
                .tolerance
                .as_ref()
                .expect("validation requires hypothesis tolerances");
            let met = match tolerance.check(&run.output) {
                Ok(met) => met,
                Err(e) => {
                    console.error(&format!(
                        "Probe '{}' tolerance could not be checked: {e}",
                        probe.name
                    ));
                    false
                }
            };
            run.tolerance_met = Some(met);
            state.probes.push(run);
            if !met {
                let got = state
                    .probes
                    .last()
                    .map(|r| summarize(&r.output))
                    .unwrap_or_default();
                console.warning(&format!(
                    "Probe '{}' expected {} but got {got}",
                    probe.name,
                    tolerance.describe()
                ));
                return state;
            }
        }
        state.steady_state_met = true;
        console.info("Steady state hypothesis is met!");
        state
    }

    /// Runs a list of activities in order (the method, or the rollbacks).
    async fn activities(
        &self,
        activities: &[Activity],
        experiment: &Experiment,
        plugins: &Plugins,
        rollbacks: bool,
    ) -> Vec<crate::journal::Run> {
        if activities.is_empty() {
            self.console.info(if rollbacks {
                "No declared rollbacks, let's move on."
            } else {
                "No declared activities, let's move on."
            });
        }
        let mut runs = Vec::with_capacity(activities.len());
        for activity in activities {
            if rollbacks {
                self.console.info(&format!("Rollback: {}", activity.name));
            }
            runs.push(self.execute(activity, experiment, plugins).await);
        }
        runs
    }
}

/// After an unmet hypothesis: `failed` if one of its probes errored, else `completed`.
fn status_after_unmet(state: &SteadyState) -> Status {
    if state
        .probes
        .iter()
        .any(|p| p.status != RunStatus::Succeeded)
    {
        Status::Failed
    } else {
        Status::Completed
    }
}

fn critical_not_in_tolerance(console: Console, state: &SteadyState) {
    let last = state
        .probes
        .last()
        .and_then(|p| p.activity.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or_default();
    console.critical(&format!(
        "Steady state probe '{last}' is not in the given tolerance so failing this experiment"
    ));
}

/// A short description of a probe output for "expected … got …": the status of an HTTP or process
/// result, else the value itself, cut to a readable length.
fn summarize(output: &serde_json::Value) -> String {
    if let Some(status) = output.as_object().and_then(|o| o.get("status")) {
        return format!("status {status}");
    }
    let text = output.to_string();
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}
