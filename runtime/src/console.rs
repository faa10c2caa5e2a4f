//! The console log, in Chaos Toolkit's format: `[YYYY-mm-dd HH:MM:SS LEVEL] message` on stderr, with
//! the same texts, because operators grep them. Colour only when stderr is a terminal.

use std::io::{IsTerminal, Write};

/// Log levels, as Chaos Toolkit names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            Level::Debug => "\x1b[36m",
            Level::Info => "\x1b[32m",
            Level::Warning => "\x1b[33m",
            Level::Error | Level::Critical => "\x1b[31m",
        }
    }
}

/// Writes log lines to stderr. Cheap to clone; lines from concurrent calls never interleave mid-line.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    min: Level,
    colour: bool,
}

impl Console {
    pub fn new(verbose: bool) -> Console {
        Console {
            min: if verbose { Level::Debug } else { Level::Info },
            colour: std::io::stderr().is_terminal(),
        }
    }

    pub fn log(&self, level: Level, message: &str) {
        if level < self.min {
            return;
        }
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
        let line = if self.colour {
            format!(
                "{}[{now} {}]\x1b[0m {message}\n",
                level.colour(),
                level.name()
            )
        } else {
            format!("[{now} {}] {message}\n", level.name())
        };
        // One write per line keeps concurrent lines whole; a closed stderr is not worth failing for.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    pub fn debug(&self, m: &str) {
        self.log(Level::Debug, m)
    }
    pub fn info(&self, m: &str) {
        self.log(Level::Info, m)
    }
    pub fn warning(&self, m: &str) {
        self.log(Level::Warning, m)
    }
    pub fn error(&self, m: &str) {
        self.log(Level::Error, m)
    }
    pub fn critical(&self, m: &str) {
        self.log(Level::Critical, m)
    }
}
