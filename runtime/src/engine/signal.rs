//! Signals that end a run: SIGINT (Ctrl-C) and SIGTERM, which Chaos Toolkit turns into `interrupted`.

use super::Runtime;

/// A signal that ends the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM.
    Term,
}

impl Runtime {
    /// Chaos Toolkit's log lines for each signal.
    pub(super) fn log_interrupt(&self, signal: Interrupt) {
        match signal {
            Interrupt::Int => self
                .console
                .warning("Received a termination signal (Ctrl-C)..."),
            Interrupt::Term => {
                self.console
                    .warning("Caught SIGTERM signal, interrupting experiment now");
                self.console.critical("SIGTERM signal received");
            }
        }
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn interrupt_signal() -> Interrupt {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return Interrupt::Int;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => Interrupt::Int,
            _ = term.recv() => Interrupt::Term,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Interrupt::Int
    }
}
