//! The steady-state hypothesis: its probes in order, each checked against its tolerance
//! (`chaoslib/hypothesis.py::run_steady_state_hypothesis`), once or continuously beside the method.
//! chaosrt extensions: `retry` re-runs a probe until its tolerance is met; a failed tolerance says
//! what was expected and what came back.

use super::{Dry, Run, Runtime, seconds};
use crate::experiment::{Activity, Hypothesis, Tolerance, py_float_repr, py_truthy};
use crate::journal::{Run as Record, RunStatus, Status, SteadyState};
use serde_json::Value;
use tokio::sync::Notify;

/// Whether a probe output met its tolerance.
pub(super) enum Verdict {
    Met,
    NotMet(String),
    /// The tolerance could not be evaluated (Python would raise, and Chaos Toolkit crash): the probe
    /// is not met and the run fails.
    Broken(String),
}

/// One pass of the hypothesis, and whether something in it broke (a probe errored or a tolerance
/// could not be evaluated), which makes an unmet hypothesis fail the run rather than complete it.
pub(super) struct Checked {
    pub state: SteadyState,
    pub broken: bool,
}

impl Runtime {
    /// Runs the hypothesis probes in order, stopping at the first that fails or is out of tolerance.
    pub(super) async fn hypothesis(&self, hypothesis: &Hypothesis, run: &Run<'_>) -> Checked {
        let console = &self.console;
        console.info(&format!("Steady state hypothesis: {}", hypothesis.title));
        let mut state = SteadyState {
            steady_state_met: false,
            probes: Vec::new(),
        };
        for probe in &hypothesis.probes {
            let Some((record, verdict)) = self.probe_until_met(probe, run).await else {
                // Interrupted: what ran is kept, nothing is concluded.
                return Checked {
                    state,
                    broken: false,
                };
            };
            if record.status == RunStatus::Interrupted {
                state.probes.push(record);
                return Checked {
                    state,
                    broken: false,
                };
            }
            let failed = record.status == RunStatus::Failed;
            state.probes.push(record);
            if failed {
                console.warning(
                    "Probe terminated unexpectedly, so its tolerance could not be validated",
                );
                return Checked {
                    state,
                    broken: true,
                };
            }
            match verdict {
                Verdict::Met => {}
                Verdict::NotMet(why) => {
                    console.warning(&format!("Probe '{}' {why}", probe.name));
                    return Checked {
                        state,
                        broken: false,
                    };
                }
                Verdict::Broken(why) => {
                    console.error(&format!("Probe '{}' {why}", probe.name));
                    return Checked {
                        state,
                        broken: true,
                    };
                }
            }
        }
        state.steady_state_met = true;
        console.info("Steady state hypothesis is met!");
        Checked {
            state,
            broken: false,
        }
    }

    /// Runs a hypothesis probe and checks it; with `retry`, again after each interval while it fails
    /// or misses its tolerance, up to `count` more times.
    /// `None` when a signal came before it started (or between two attempts).
    async fn probe_until_met(&self, probe: &Activity, run: &Run<'_>) -> Option<(Record, Verdict)> {
        let mut attempt = 0;
        loop {
            let executed = self.execute(probe, run).await?;
            if executed.record.status == RunStatus::Interrupted {
                return Some((executed.record, Verdict::NotMet("interrupted".into())));
            }
            let verdict = if executed.record.status == RunStatus::Failed {
                Verdict::NotMet("terminated unexpectedly".into())
            } else {
                self.verdict(probe, executed.output(), run).await
            };
            let mut record = executed.record;
            record.tolerance_met = Some(matches!(verdict, Verdict::Met));
            let Some(retry) = probe.retry.as_ref().filter(|r| attempt < r.count) else {
                return Some((record, verdict));
            };
            if matches!(verdict, Verdict::Met) {
                return Some((record, verdict));
            }
            attempt += 1;
            self.console.info(&format!(
                "Probe '{}' not met yet, retrying in {}s ({attempt} of {})",
                probe.name, retry.interval, retry.count
            ));
            if !run.sleep(seconds(retry.interval)).await {
                return Some((record, verdict));
            }
        }
    }

    /// Checks a hypothesis probe's output against its tolerance (skipped under dry probes/activities).
    async fn verdict(&self, probe: &Activity, output: &Value, run: &Run<'_>) -> Verdict {
        if matches!(run.options.dry, Some(Dry::Probes | Dry::Activities)) {
            return Verdict::Met;
        }
        let Some(tolerance) = &probe.tolerance else {
            return Verdict::Met;
        };
        self.check(tolerance, output, run).await
    }

    /// Checks `output` against `tolerance`; a probe tolerance runs that probe with `value` added to its
    /// arguments (without touching the experiment, unlike Chaos Toolkit).
    pub(super) async fn check(
        &self,
        tolerance: &Tolerance,
        output: &Value,
        run: &Run<'_>,
    ) -> Verdict {
        let got = summarize(&self.console.masked(output));
        if let Tolerance::Probe(checker) = tolerance {
            let passed = match self.call_with_value(checker, output, run).await {
                Ok(result) => py_truthy(&result),
                Err(message) => {
                    self.console
                        .error(&format!("  => tolerance probe failed: {message}"));
                    false
                }
            };
            return if passed {
                Verdict::Met
            } else {
                Verdict::NotMet(format!(
                    "was rejected by the tolerance probe '{}' (got {got})",
                    checker.name
                ))
            };
        }
        match run.with_scope(|scope| tolerance.check(output, scope)) {
            Ok(true) => Verdict::Met,
            Ok(false) => {
                Verdict::NotMet(format!("expected {} but got {got}", tolerance.describe()))
            }
            Err(e) => Verdict::Broken(format!(
                "could not be checked against {}: {e}",
                tolerance.describe()
            )),
        }
    }

    /// The hypothesis beside the method, every `frequency` seconds, until the method ends or, with
    /// `--fail-fast`, until it deviates once.
    pub(super) async fn continuously(&self, hypothesis: &Hypothesis, run: &Run<'_>, stop: &Notify) {
        let console = &self.console;
        let frequency = run.options.hypothesis_frequency;
        console.info(&format!(
            "Executing the steady-state hypothesis continuously every {} seconds",
            py_float_repr(frequency)
        ));
        let stopped = stop.notified();
        tokio::pin!(stopped);
        let (mut iterations, mut deviations) = (0u32, 0u32);
        loop {
            if run.stop_requested()
                || matches!(
                    run.status(),
                    Some(Status::Failed | Status::Interrupted | Status::Aborted)
                )
            {
                break;
            }
            let state = self.hypothesis(hypothesis, run).await.state;
            let met = state.steady_state_met;
            let last = super::last_probe_name(&state).to_string();
            run.during.lock().unwrap().push(state);
            iterations += 1;
            if !met {
                deviations += 1;
                console.warning(&format!(
                    "Continuous steady state probe '{last}' is not in the given tolerance"
                ));
                if run.options.fail_fast {
                    // The share of iterations so far that deviated, as Chaos Toolkit reports it.
                    let ratio = f64::from(deviations) * 100.0 / f64::from(iterations);
                    console.info(&format!(
                        "Terminating immediately the experiment after {ratio:.1}% hypothesis deviated"
                    ));
                    run.set_status(Status::Failed);
                    break;
                }
            }
            tokio::select! {
                () = &mut stopped => break,
                slept = run.sleep(seconds(frequency)) => if !slept { break },
            }
        }
        console.info("Continuous steady state hypothesis terminated");
    }
}

/// A short description of a probe output for "expected … got …": the status of an HTTP or process
/// result, else the value itself, cut to a readable length.
pub(super) fn summarize(output: &Value) -> String {
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
