//! The run journal, with Chaos Toolkit's key set and key order (`chaoslib/run.py`), so tools that
//! read `journal.json` (reports, CI scripts) keep working. Its [`Destination`] is checked before the
//! run; it is written atomically (a crash or a full disk never leaves half a journal), and when it
//! cannot be written there at the end it goes to the temporary directory instead.

use crate::console::Mask;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a run ended. "deviated" is not a status: it is the separate [`Journal::deviated`] flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Completed,
    Failed,
    Aborted,
    Interrupted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Aborted => "aborted",
            Status::Interrupted => "interrupted",
        }
    }
}

/// Whether one activity ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Succeeded,
    Failed,
    /// Stopped by a signal while it ran: Chaos Toolkit's record then has no `status` at all (the
    /// exception passed through `execute_activity` before it set one), and neither has ours.
    Interrupted,
}

impl RunStatus {
    fn is_interrupted(&self) -> bool {
        *self == RunStatus::Interrupted
    }
}

/// One activity's record. Field order is the journal's key order.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The activity as written in the experiment.
    pub activity: Value,
    pub output: Value,
    pub start: String,
    #[serde(skip_serializing_if = "RunStatus::is_interrupted")]
    pub status: RunStatus,
    /// Chaos Toolkit's formatted exception lines, when the activity failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Vec<String>>,
    pub end: String,
    /// Seconds, pauses excluded.
    pub duration: f64,
    /// Hypothesis probes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance_met: Option<bool>,
}

/// One pass of the steady-state hypothesis.
#[derive(Debug, Clone, Serialize)]
pub struct SteadyState {
    pub steady_state_met: bool,
    pub probes: Vec<Run>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SteadyStates {
    pub before: Option<SteadyState>,
    pub after: Option<SteadyState>,
    pub during: Vec<SteadyState>,
}

/// The whole journal. Field order is Chaos Toolkit's key order.
#[derive(Debug, Clone, Serialize)]
pub struct Journal {
    #[serde(rename = "chaoslib-version")]
    pub chaoslib_version: String,
    pub platform: String,
    pub node: String,
    pub experiment: Value,
    pub start: String,
    pub status: Option<Status>,
    pub deviated: bool,
    pub steady_states: SteadyStates,
    pub run: Vec<Run>,
    pub rollbacks: Vec<Run>,
    pub end: Option<String>,
    pub duration: Option<f64>,
}

/// A timestamp as Chaos Toolkit writes it: ISO 8601, microseconds, `+00:00`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

impl Journal {
    /// A journal for a run that starts now. `experiment` is recorded as given, plus `dry`.
    pub fn start(experiment: &Value, dry: Option<&str>) -> Journal {
        let mut experiment = experiment.clone();
        if let Some(map) = experiment.as_object_mut() {
            map.insert(
                "dry".into(),
                dry.map(|d| Value::String(d.into())).unwrap_or(Value::Null),
            );
        }
        Journal {
            chaoslib_version: concat!("chaosrt ", env!("CARGO_PKG_VERSION")).to_string(),
            platform: platform(),
            node: node(),
            experiment,
            start: iso(Utc::now()),
            status: None,
            deviated: false,
            steady_states: SteadyStates::default(),
            run: Vec::new(),
            rollbacks: Vec::new(),
            end: None,
            duration: None,
        }
    }

    /// The journal as written: pretty JSON, secrets hidden, ending with a newline.
    fn text(&self, mask: &Mask) -> std::io::Result<String> {
        // Without secrets, straight to text: each copy of a journal holding large outputs counts.
        let mut text = if mask.is_empty() {
            serde_json::to_string_pretty(self)
        } else {
            let value = serde_json::to_value(self).map_err(std::io::Error::other)?;
            serde_json::to_string_pretty(&mask.apply_json(&value))
        }
        .map_err(std::io::Error::other)?;
        text.push('\n');
        Ok(text)
    }

    /// Writes the journal to `destination`; when that fails (a full disk, a device that refuses
    /// it), to a fresh file in the temporary directory instead, so the run is never lost.
    pub fn save(&self, destination: &Destination, mask: &Mask) -> Result<Saved, SaveError> {
        let text = self.text(mask).map_err(|error| SaveError {
            path: destination.path().to_path_buf(),
            error,
            fallback: None,
        })?;
        let error = match destination.write(text.as_bytes()) {
            Ok(()) => return Ok(Saved::AtPath),
            Err(e) => e,
        };
        match write_fallback(text.as_bytes()) {
            Ok(fallback) => Ok(Saved::Fallback { error, fallback }),
            Err(fallback_error) => Err(SaveError {
                path: destination.path().to_path_buf(),
                error,
                fallback: Some(fallback_error),
            }),
        }
    }
}

/// Where the journal went.
#[derive(Debug)]
pub enum Saved {
    /// Where the operator asked.
    AtPath,
    /// Not there (`error`), but in `fallback`.
    Fallback {
        error: std::io::Error,
        fallback: PathBuf,
    },
}

/// The journal could be written neither where asked nor in the temporary directory.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot write the journal to {}: {error}{}",
    path.display(),
    fallback.as_ref().map(|e| format!("; nor to the temporary directory: {e}")).unwrap_or_default()
)]
pub struct SaveError {
    path: PathBuf,
    error: std::io::Error,
    fallback: Option<std::io::Error>,
}

/// Writes `bytes` to a new `chaosrt-journal-*.json` in the temporary directory (`$TMPDIR`), whole
/// or not at all.
fn write_fallback(bytes: &[u8]) -> std::io::Result<PathBuf> {
    let mut file = tempfile::Builder::new()
        .prefix("chaosrt-journal-")
        .suffix(".json")
        .tempfile()?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    let (_, path) = file.keep().map_err(|e| e.error)?;
    Ok(path)
}

/// Where the journal will be written, checked before anything runs (Chaos Toolkit only finds out
/// at the end, after the actions ran). A regular file is replaced whole by a rename, so a crash or a
/// full disk never leaves half a journal; a character device or a FIFO (`/dev/null`, a pipe to
/// `jq`) is written through, since renaming over it would replace it with a regular file; a
/// `/dev/stdout` and `/dev/stderr` are written to directly, wherever the shell sent them. A symbolic link the
/// operator did not ask for through those names is never followed (a plugin may have planted it),
/// unless it leads to a character device or a FIFO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A regular file, or none yet, in a writable directory.
    File(PathBuf),
    /// A character device or a FIFO, written through.
    Special(PathBuf),
    /// This process's standard output or error, named by `path`.
    Stream { path: PathBuf, stream: Stream },
}

/// Why the journal cannot be written where the operator asked; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// The path is a directory.
    #[error(
        "the journal path {path} is a directory: pass a file path, such as --journal-path {path}/journal.json",
        path = .0.display()
    )]
    Directory(PathBuf),
    /// The directory the journal would go in does not exist.
    #[error(
        "the journal path {path}: directory {dir} does not exist; create it, or pass another --journal-path",
        path = .path.display(), dir = .dir.display()
    )]
    MissingDirectory { path: PathBuf, dir: PathBuf },
    /// What should be the directory is something else.
    #[error(
        "the journal path {path}: {dir} is not a directory; pass another --journal-path",
        path = .path.display(), dir = .dir.display()
    )]
    NotADirectory { path: PathBuf, dir: PathBuf },
    /// A file cannot be created in the directory.
    #[error(
        "the journal path {path}: cannot create a file in {dir} ({error}); make it writable, or pass another --journal-path",
        path = .path.display(), dir = .dir.display()
    )]
    Unwritable {
        path: PathBuf,
        dir: PathBuf,
        error: std::io::Error,
    },
    /// A symbolic link to something other than a device or a FIFO.
    #[error(
        "the journal path {path} is a symbolic link; chaosrt does not follow links to write its journal \
         (a plugin may have planted it): remove it, or pass the path it points to",
        path = .0.display()
    )]
    Link(PathBuf),
    /// Anything else: a socket, a descriptor that is not open, a path that cannot be read.
    #[error("the journal path {path}: {error}; pass another --journal-path", path = .path.display())]
    Other {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl Destination {
    /// Checks that a journal can be written at `path`, without writing there (a file created in its
    /// directory to find out is removed at once).
    pub fn check(path: &Path) -> Result<Destination, DestinationError> {
        let other = |error| DestinationError::Other {
            path: path.to_path_buf(),
            error,
        };
        if let Some(stream) = Stream::named(path) {
            // It must be open; what it is open on is the operator's business (`> out.json`).
            stream.duplicate().map_err(other)?;
            return Ok(Destination::Stream {
                path: path.to_path_buf(),
                stream,
            });
        }
        match path.symlink_metadata() {
            Ok(meta) if meta.is_dir() => return Err(DestinationError::Directory(path.into())),
            Ok(meta) if meta.is_file() => {}
            Ok(meta) if is_special(&meta) => return Ok(Destination::Special(path.into())),
            Ok(meta) if meta.is_symlink() => {
                return match path.metadata() {
                    Ok(target) if is_special(&target) => Ok(Destination::Special(path.into())),
                    _ => Err(DestinationError::Link(path.into())),
                };
            }
            Ok(_) => {
                return Err(other(std::io::Error::other(
                    "not a regular file, a character device or a FIFO",
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // A parent that is a file: found below.
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {}
            Err(e) => return Err(other(e)),
        }
        crate::fsutil::check_parents(path).map_err(other)?;
        let dir = directory_of(path);
        let at = |dir: &Path| (path.to_path_buf(), dir.to_path_buf());
        match dir.metadata() {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                let (path, dir) = at(&dir);
                return Err(DestinationError::NotADirectory { path, dir });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (path, dir) = at(&dir);
                return Err(DestinationError::MissingDirectory { path, dir });
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
                let (path, dir) = at(&dir);
                return Err(DestinationError::NotADirectory { path, dir });
            }
            Err(e) => return Err(other(e)),
        }
        // Permission bits do not tell (root, read-only mounts, ACLs): try.
        if let Err(error) = Scratch::create(&dir) {
            let (path, dir) = at(&dir);
            return Err(DestinationError::Unwritable { path, dir, error });
        }
        Ok(Destination::File(path.to_path_buf()))
    }

    /// The path the operator gave.
    pub fn path(&self) -> &Path {
        match self {
            Destination::File(p) | Destination::Special(p) => p,
            Destination::Stream { path, .. } => path,
        }
    }

    fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Destination::File(path) => write_atomically(path, bytes),
            Destination::Special(path) => {
                // Opened for writing only, never created or truncated; what was opened must still be
                // a device or a FIFO (the path may have changed since the check).
                let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
                if !is_special(&file.metadata()?) {
                    return Err(std::io::Error::other(
                        "it is no longer a character device or a FIFO",
                    ));
                }
                file.write_all(bytes)?;
                file.flush()
            }
            Destination::Stream { stream, .. } => {
                let mut file = std::fs::File::from(stream.duplicate()?);
                file.write_all(bytes)?;
                file.flush()
            }
        }
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`, which replaces a
/// link planted there since the check rather than following it. On failure the temporary file is
/// removed: nothing half-written is left.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::fsutil::check_parents(path)?;
    let tmp = Scratch::create(&directory_of(path))?;
    let mut file = &tmp.file;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp.path, path)?;
    tmp.kept();
    Ok(())
}

/// The directory `path` is in (`.` for a bare name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new private file in a directory, removed when dropped unless [`Scratch::kept`]. Made here
/// rather than with `tempfile`, whose errors name the temporary file instead of keeping the OS's.
struct Scratch {
    path: PathBuf,
    file: std::fs::File,
}

impl Scratch {
    fn create(dir: &Path) -> std::io::Result<Scratch> {
        use std::os::unix::fs::OpenOptionsExt;
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let path = dir.join(format!(".journal-{}-{nanos}-{n}.tmp", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)?;
        Ok(Scratch { path, file })
    }

    /// Renamed into place: nothing to remove.
    fn kept(self) {
        std::mem::forget(self);
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A standard stream the operator named as `/dev/stdout` or `/dev/stderr` (links the OS made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn named(path: &Path) -> Option<Stream> {
        match path.to_str()? {
            "/dev/stdout" => Some(Stream::Stdout),
            "/dev/stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }

    /// A descriptor of the stream: written at its current offset, as a shell redirection expects.
    fn duplicate(self) -> std::io::Result<std::os::fd::OwnedFd> {
        use std::os::fd::AsFd;
        match self {
            Stream::Stdout => std::io::stdout().as_fd().try_clone_to_owned(),
            Stream::Stderr => std::io::stderr().as_fd().try_clone_to_owned(),
        }
    }
}

fn is_special(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    kind.is_char_device() || kind.is_fifo()
}

/// Like Python's `platform.platform()`: `Linux-<release>-<machine>`.
fn platform() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        other => other,
    };
    format!("{os}-{}-{}", release.trim(), std::env::consts::ARCH)
}

/// The host name, like Python's `platform.node()`.
fn node() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn keys_come_in_chaos_toolkit_order() {
        let journal = Journal::start(&json!({"title": "t"}), None);
        let value = serde_json::to_value(&journal).unwrap();
        let keys = keys(&value);
        assert_eq!(
            keys,
            [
                "chaoslib-version",
                "platform",
                "node",
                "experiment",
                "start",
                "status",
                "deviated",
                "steady_states",
                "run",
                "rollbacks",
                "end",
                "duration"
            ]
        );
        assert_eq!(value["experiment"], json!({"title": "t", "dry": null}));
        assert_eq!(
            value["steady_states"],
            json!({"before": null, "after": null, "during": []})
        );
    }

    #[test]
    fn run_keys_in_order_and_optional_ones_omitted() {
        let run = Run {
            activity: json!({}),
            output: Value::Null,
            start: "s".into(),
            status: RunStatus::Failed,
            exception: Some(vec!["x\n".into()]),
            end: "e".into(),
            duration: 0.5,
            tolerance_met: None,
        };
        let value = serde_json::to_value(&run).unwrap();
        let keys = keys(&value);
        assert_eq!(
            keys,
            [
                "activity",
                "output",
                "start",
                "status",
                "exception",
                "end",
                "duration"
            ]
        );
    }
}
