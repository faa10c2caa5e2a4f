//! Signals that end a run: SIGINT (Ctrl-C) and SIGTERM, which Chaos Toolkit turns into `interrupted`.
//!
//! They are listened to from the start of `chaosrt run` (loading included) to its end, and counted:
//! each phase waits for a signal that arrives after it began ([`Interrupts::after`]), so that the
//! rollbacks played after an interrupted method (strategy `always`) can still be stopped by a second
//! one.

use super::Dry;
use crate::console::Console;
use crate::journal::{Journal, Status, iso};
use serde_json::Value;
use tokio::sync::watch;

/// A signal that ends the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM.
    Term,
}

/// The signals received so far: how many, and the first.
#[derive(Debug, Clone, Copy, Default)]
struct Received {
    count: u32,
    first: Option<Interrupt>,
}

/// The signals of one run, as they arrive. Cloned handles see the same signals.
#[derive(Clone)]
pub struct Interrupts {
    received: watch::Receiver<Received>,
}

impl Interrupts {
    /// Listens for SIGINT and SIGTERM from now on, logging each with Chaos Toolkit's lines. Needs a
    /// tokio runtime.
    pub fn listen(console: Console) -> Interrupts {
        let (sender, received) = watch::channel(Received::default());
        let mut signals = Signals::register();
        tokio::spawn(async move {
            loop {
                let signal = signals.next().await;
                log(&console, signal);
                sender.send_modify(|r| {
                    r.count += 1;
                    r.first.get_or_insert(signal);
                });
            }
        });
        Interrupts { received }
    }

    /// Handles that never see a signal (runs driven by tests).
    pub fn none() -> Interrupts {
        let (sender, received) = watch::channel(Received::default());
        // Kept open, so `after` waits forever rather than seeing a closed channel.
        std::mem::forget(sender);
        Interrupts { received }
    }

    /// How many signals arrived so far.
    pub fn count(&self) -> u32 {
        self.received.borrow().count
    }

    /// The first signal, if one arrived.
    pub fn first(&self) -> Option<Interrupt> {
        self.received.borrow().first
    }

    /// Resolves once more than `seen` signals arrived.
    pub async fn after(&self, seen: u32) {
        let mut received = self.received.clone();
        if received.wait_for(|r| r.count > seen).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The journal of a run a signal stopped while it loaded (fetching the experiment, loading its
/// plugins): nothing ran; `experiment` is null if it was not parsed yet.
pub fn interrupted_while_loading(
    experiment: Option<&Value>,
    dry: Option<Dry>,
    started: std::time::Instant,
    console: &Console,
) -> Journal {
    let mut journal = Journal::start(experiment.unwrap_or(&Value::Null), dry.map(Dry::as_str));
    journal.status = Some(Status::Interrupted);
    journal.end = Some(iso(chrono::Utc::now()));
    journal.duration = Some(started.elapsed().as_secs_f64());
    console.info("Experiment ended with status: interrupted");
    journal
}

/// Chaos Toolkit's log lines for each signal.
fn log(console: &Console, signal: Interrupt) {
    match signal {
        Interrupt::Int => console.warning("Received a termination signal (Ctrl-C)..."),
        Interrupt::Term => {
            console.warning("Caught SIGTERM signal, interrupting experiment now");
            console.critical("SIGTERM signal received");
        }
    }
}

/// SIGINT and SIGTERM, registered at once (from then on they no longer end the process).
struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn register() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Resolves when SIGINT or SIGTERM arrives.
    async fn next(&mut self) -> Interrupt {
        #[cfg(unix)]
        {
            async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = recv(&mut self.int) => Interrupt::Int,
                () = recv(&mut self.term) => Interrupt::Term,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Interrupt::Int
        }
    }
}
