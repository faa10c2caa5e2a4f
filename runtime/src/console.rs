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
/// Secret values given to [`Console::masking`] never reach the terminal.
#[derive(Debug, Clone)]
pub struct Console {
    min: Level,
    colour: bool,
    mask: Mask,
    file: Option<LogFile>,
    /// `--log-format json`: one JSON object per line, tagged with this run's context id.
    json: Option<std::sync::Arc<str>>,
}

/// The log file (Chaos Toolkit's `chaostoolkit.log`): every line at or above its level, plain text.
#[derive(Debug, Clone)]
struct LogFile {
    min: Level,
    file: std::sync::Arc<std::sync::Mutex<std::fs::File>>,
}

impl Console {
    pub fn new(verbose: bool) -> Console {
        Console {
            min: if verbose { Level::Debug } else { Level::Info },
            colour: std::io::stderr().is_terminal(),
            mask: Mask::default(),
            file: None,
            json: None,
        }
    }

    /// The same console printing Chaos Toolkit's `--log-format json` lines: `process`, `asctime`,
    /// `levelname`, `module`, `lineno`, `message`, `context_id`, `timestamp`.
    pub fn json(self) -> Console {
        let seed = format!("{}-{:?}", std::process::id(), std::time::SystemTime::now());
        let h = crate::host::cache::sha256_hex(seed.as_bytes());
        let id = format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        );
        Console {
            json: Some(id.into()),
            colour: false,
            ..self
        }
    }

    /// The same console, also appending every line at `min` or above to `path`, as Chaos Toolkit's
    /// `--log-file` does. The file is opened without following links: a plugin granted the working
    /// directory may have planted `chaostoolkit.log -> ../victim` there.
    pub fn with_file(self, path: &std::path::Path, min: Level) -> std::io::Result<Console> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        let file = crate::fsutil::open_own(path, &options)?;
        let file = Some(LogFile {
            min,
            file: std::sync::Arc::new(std::sync::Mutex::new(file)),
        });
        Ok(Console { file, ..self })
    }

    /// The same console, hiding `mask`'s secrets in every line.
    pub fn masking(&self, mask: Mask) -> Console {
        Console {
            mask,
            ..self.clone()
        }
    }

    /// Writes one line. Control characters in `message` are escaped, whoever wrote it, so a line is
    /// always exactly one line and nothing in it is obeyed by the terminal.
    pub fn log(&self, level: Level, message: &str) {
        let to_file = self.file.as_ref().filter(|f| level >= f.min);
        if level < self.min && to_file.is_none() {
            return;
        }
        let masked = self.mask.apply(message);
        let message = crate::escape::escape(&masked);
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
        if let Some(log) = to_file {
            let line = format!("[{now} {}] [chaosrt] {message}\n", level.name());
            let _ = log.file.lock().map(|mut f| f.write_all(line.as_bytes()));
        }
        if level < self.min {
            return;
        }
        let line = if let Some(context_id) = &self.json {
            let now = chrono::Local::now();
            let line = serde_json::json!({
                "process": std::process::id(),
                "asctime": now.format("%Y-%m-%d %H:%M:%S,%3f").to_string(),
                "levelname": level.name(),
                "module": "chaosrt",
                "lineno": 0,
                "message": message,
                "context_id": context_id.as_ref(),
                "timestamp": crate::journal::iso(now.to_utc()),
            });
            format!("{line}\n")
        } else if self.colour {
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

    /// `value` as JSON text for a log line, secrets hidden in the value before it is serialised (a
    /// secret with a `"` in it is no longer findable in the JSON text).
    pub fn json_text(&self, value: &serde_json::Value) -> String {
        if self.mask.is_empty() {
            return value.to_string();
        }
        self.masked(value).to_string()
    }

    /// `value` with this console's secrets hidden.
    pub fn masked(&self, value: &serde_json::Value) -> serde_json::Value {
        self.mask.apply_json(value)
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

/// Secret values to hide. Chaos Toolkit prints and journals secrets in clear; chaosrt replaces every
/// occurrence with `***`, longest first so a secret that contains another is hidden whole. Values are
/// masked where they are written: inside each JSON string (never in keys, so a secret `probe` does not
/// turn `"probes"` into `"***s"`), a number equal to a numeric secret, and the text of a log line.
#[derive(Debug, Clone, Default)]
pub struct Mask(std::sync::Arc<Vec<String>>);

impl Mask {
    /// No secrets to hide: masking would only copy.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn new(mut secrets: Vec<String>) -> Mask {
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Mask(std::sync::Arc::new(secrets))
    }

    /// `text` with every secret replaced by `***`.
    pub fn apply<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if !self.0.iter().any(|s| text.contains(s.as_str())) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for secret in self.0.iter() {
            out = out.replace(secret.as_str(), "***");
        }
        std::borrow::Cow::Owned(out)
    }

    /// `value` with secrets hidden in every string value and every number equal to a numeric secret;
    /// object keys are structure, not data, and stay.
    pub fn apply_json(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        if self.0.is_empty() {
            return value.clone();
        }
        match value {
            Value::String(s) => Value::String(self.apply(s).into_owned()),
            Value::Number(n) if self.0.contains(&n.to_string()) => Value::String("***".into()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.apply_json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.apply_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_secrets_longest_first_in_text_and_json() {
        let mask = Mask::new(vec!["abc".into(), "abcdef".into(), String::new()]);
        assert_eq!(
            mask.apply("token=abcdef; short=abc; none"),
            "token=***; short=***; none"
        );
        assert_eq!(
            mask.apply_json(&json!({"k": ["x abc y", 3], "abcdef": true})),
            json!({"k": ["x *** y", 3], "abcdef": true})
        );
        assert_eq!(Mask::default().apply("abc"), "abc");
    }

    #[test]
    fn numbers_and_json_escaped_secrets_are_masked_as_values() {
        let mask = Mask::new(vec!["4242".into(), "a\"b\\c".into(), "probe".into()]);
        let value = json!({"probes": [4242, 42, "say a\"b\\c"], "n": 4242.5});
        let masked = mask.apply_json(&value);
        assert_eq!(
            masked,
            json!({"probes": ["***", 42, "say ***"], "n": 4242.5})
        );
        // Serialised after masking, nothing of the secret is left to find in the JSON text.
        let console = Console::new(false).masking(mask);
        assert_eq!(
            console.json_text(&value),
            r#"{"probes":["***",42,"say ***"],"n":4242.5}"#
        );
    }
}
