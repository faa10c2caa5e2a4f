//! The method and the rollbacks: activities in order, background ones concurrently and joined at the
//! end of the phase (`chaoslib/run.py::apply_activities`). The method stops between activities once
//! the run has failed (fail-fast, an assertion) or was aborted.

use super::activity::Executed;
use super::hypothesis::Verdict;
use super::{Run, Runtime};
use crate::experiment::Activity;
use crate::journal::{Journal, Run as Record, RunStatus, Status};
use futures_util::stream::{FuturesUnordered, StreamExt};

/// Background activities that run at once in a phase; the next waits for one to end. Chaos
/// Toolkit starts them all at once, but each holds memory and connections, and fifty of them at
/// 15 MB of output each took 3 GB.
pub const BACKGROUND_AT_ONCE: usize = 32;

// With the foreground activity and a continuous hypothesis' probe, within what the host runs at once.
const _: () = assert!(BACKGROUND_AT_ONCE + 2 <= crate::host::CALLS_AT_ONCE as usize);

impl Runtime {
    /// Plays the method, appending each activity's record to `records` as it completes.
    pub(super) async fn method(&self, run: &Run<'_>, records: &mut Vec<Record>) {
        self.console.info("Playing your experiment's method now...");
        self.activities(&run.experiment.method, run, records, false)
            .await;
    }

    /// Plays the rollbacks.
    pub(super) async fn rollbacks(&self, run: &Run<'_>, journal: &mut Journal) {
        self.console.info("Let's rollback...");
        self.activities(&run.experiment.rollbacks, run, &mut journal.rollbacks, true)
            .await;
    }

    async fn activities(
        &self,
        activities: &[Activity],
        run: &Run<'_>,
        records: &mut Vec<Record>,
        rollbacks: bool,
    ) {
        if activities.is_empty() {
            self.console.info(if rollbacks {
                "No declared rollbacks, let's move on."
            } else {
                "No declared activities, let's move on."
            });
            return;
        }
        // Records are appended as activities complete, so an interrupted phase keeps what finished;
        // they are put back in start order (Chaos Toolkit appends them as they start) at the end.
        let first = records.len();
        let mut background = FuturesUnordered::new();
        for activity in activities {
            if run.stop_requested() {
                break;
            }
            if !rollbacks
                && matches!(
                    run.status(),
                    Some(Status::Failed | Status::Aborted | Status::Interrupted)
                )
            {
                break;
            }
            if rollbacks {
                self.console.info(&format!("Rollback: {}", activity.name));
            }
            if activity.background {
                background.push(self.in_background(activity, run));
                continue;
            }
            let fut = self.execute(activity, run);
            tokio::pin!(fut);
            // Run this activity while the background ones started earlier keep going.
            let executed = loop {
                tokio::select! {
                    done = &mut fut => break done,
                    Some(record) = background.next(), if !background.is_empty() => records.extend(record),
                }
            };
            let Some(executed) = executed else {
                break;
            };
            if !rollbacks && executed.record.status != RunStatus::Interrupted {
                self.assert(activity, &executed, run).await;
            }
            records.push(executed.record);
        }
        while let Some(record) = background.next().await {
            records.extend(record);
        }
        records[first..].sort_by(|a, b| a.start.cmp(&b.start));
    }

    /// Runs a background activity once one of the [`BACKGROUND_AT_ONCE`] slots is free (a signal
    /// while it waits leaves no record, as for one stopped in its before-pause).
    async fn in_background(&self, activity: &Activity, run: &Run<'_>) -> Option<Record> {
        let _slot = tokio::select! {
            slot = run.background_slots.acquire() => slot.ok()?,
            () = run.stopped() => return None,
        };
        self.execute(activity, run).await.map(|e| e.record)
    }

    /// A method probe's `assert` (chaosrt extension): not met fails the run and stops the method.
    async fn assert(&self, activity: &Activity, executed: &Executed, run: &Run<'_>) {
        let record = &executed.record;
        let Some(tolerance) = &activity.assert else {
            return;
        };
        if matches!(
            run.options.dry,
            Some(super::Dry::Probes | super::Dry::Activities)
        ) {
            return;
        }
        let why = if record.status == RunStatus::Failed {
            "the probe terminated unexpectedly".to_string()
        } else {
            match self.check(tolerance, executed.output(), run).await {
                Verdict::Met => return,
                Verdict::NotMet(why) | Verdict::Broken(why) => why,
            }
        };
        self.console.critical(&format!(
            "Assertion '{}' failed: {why}; stopping the method",
            activity.name
        ));
        run.set_status(Status::Failed);
    }
}
