//! Test helpers: a scratch directory per test, the chaosrt command with its own data directory, and
//! small real HTTP servers on loopback.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch directory with a `run/` working directory and its own chaosrt data and cache directories:
/// the compile cache is vouched for by a ledger in the data directory, so sharing one cache between
/// scratches would make every run report an unrecorded cache file.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        Scratch { dir }
    }

    /// The working directory experiments run in.
    pub fn run_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// `chaosrt` with this scratch's data and cache directories, in the run directory.
    pub fn chaosrt(&self) -> Command {
        self.command(env!("CARGO_BIN_EXE_chaosrt"))
    }

    /// `program` in the run directory, with this scratch's data and cache directories for any
    /// chaosrt it starts (a shell running a README's commands, say).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(self.run_dir())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_CACHE_HOME", self.cache_dir())
            // Registry credentials from this scratch only, never the machine's docker config.
            .env("DOCKER_CONFIG", self.dir.path().join("docker"))
            .env_remove("RUST_LOG");
        command
    }

    /// Every path below the data and cache directories with its content and mode, to show that a
    /// refused install changed nothing at all.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>, u32)> {
        use std::os::unix::fs::PermissionsExt;
        let mut all = Vec::new();
        let mut todo = vec![self.dir.path().join("data"), self.cache_dir()];
        while let Some(dir) = todo.pop() {
            let Ok(items) = std::fs::read_dir(&dir) else {
                continue;
            };
            for item in items {
                let path = item.unwrap().path();
                let meta = path.symlink_metadata().unwrap();
                let content = if meta.is_dir() {
                    todo.push(path.clone());
                    Vec::new()
                } else {
                    std::fs::read(&path).unwrap()
                };
                all.push((path, content, meta.permissions().mode()));
            }
        }
        all.sort();
        all
    }

    /// The `XDG_CACHE_HOME` chaosrt runs with: the compile cache is below it.
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Writes `experiment` to `run/experiment.json` and runs it.
    pub fn run(&self, experiment: &Value) -> Outcome {
        self.run_with(experiment, &[])
    }

    pub fn run_with(&self, experiment: &Value, extra: &[&str]) -> Outcome {
        self.run_adjusted(experiment, |c| c.args(extra))
    }

    /// Writes `experiment` to `run/experiment.json` and runs it with the command first adjusted by
    /// `adjust` (options, environment); a chaosrt of this scratch without a kubeconfig, say.
    pub fn run_adjusted(
        &self,
        experiment: &Value,
        adjust: impl FnOnce(&mut Command) -> &mut Command,
    ) -> Outcome {
        let path = self.run_dir().join("experiment.json");
        std::fs::write(&path, serde_json::to_string_pretty(experiment).unwrap()).unwrap();
        let mut command = self.chaosrt();
        command.arg("run");
        self.outcome(adjust(&mut command).arg("experiment.json"))
    }

    /// Runs `command` (a [`Scratch::chaosrt`]) and reads what it did, the journal from the run dir.
    pub fn outcome(&self, command: &mut Command) -> Outcome {
        Outcome::new(
            command.output().unwrap(),
            self.run_dir().join("journal.json"),
        )
    }

    /// Installs a test component, granting what it asks for.
    pub fn install(&self, wasm: &str) {
        let out = self
            .chaosrt()
            .args(["plugin", "install", "--yes", wasm])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "install failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// What a chaosrt invocation did.
pub struct Outcome {
    pub code: i32,
    pub stderr: String,
    pub stdout: String,
    journal_path: PathBuf,
}

impl Outcome {
    pub fn new(output: Output, journal_path: PathBuf) -> Outcome {
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            journal_path,
        }
    }

    /// The journal the run wrote (panics with the log when there is none).
    pub fn journal(&self) -> Value {
        let text = std::fs::read_to_string(&self.journal_path)
            .unwrap_or_else(|e| panic!("no journal ({e}); log:\n{}", self.stderr));
        serde_json::from_str(&text).unwrap()
    }

    /// The log's messages, without the `[date time LEVEL] ` prefix, each prefixed by its level.
    pub fn lines(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter_map(|l| {
                let rest = l.strip_prefix('[')?;
                let (head, message) = rest.split_once("] ")?;
                let level = head.rsplit(' ').next()?;
                Some(format!("{level} {message}"))
            })
            .collect()
    }

    /// The journal of a run that completed although its method's run `index` failed (a failed
    /// activity does not fail the experiment), with that run.
    #[track_caller]
    pub fn completed_despite_failed_run(&self, index: usize) -> (Value, Value) {
        assert_eq!(
            self.code, 0,
            "a failed activity leaves the run completed:\n{}",
            self.stderr
        );
        let journal = self.journal();
        assert_eq!(journal["status"], "completed");
        let run = journal["run"][index].clone();
        assert_eq!(run["status"], "failed", "{run:#}");
        (journal, run)
    }

    pub fn has_line(&self, line: &str) -> bool {
        self.lines().iter().any(|l| l == line)
    }

    #[track_caller]
    pub fn assert_line(&self, line: &str) {
        assert!(
            self.has_line(line),
            "missing log line {line:?} in:\n{}",
            self.stderr
        );
    }
}

/// A real HTTP/1.1 server on 127.0.0.1 that answers every request with one status and body, and
/// counts the requests it got.
pub struct StatusServer {
    pub port: u16,
    hits: Arc<AtomicUsize>,
}

impl StatusServer {
    pub fn start(status: u16, content_type: &'static str, body: &'static str) -> StatusServer {
        StatusServer::start_with(status, content_type, body, String::new())
    }

    /// A server that answers every request with `302 Found` to `location`.
    pub fn redirecting_to(location: &str) -> StatusServer {
        StatusServer::start_with(302, "text/plain", "", format!("Location: {location}\r\n"))
    }

    fn start_with(
        status: u16,
        content_type: &'static str,
        body: &'static str,
        extra_headers: String,
    ) -> StatusServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body_in = vec![0; length];
                let _ = reader.read_exact(&mut body_in);
                let response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n{extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        StatusServer { port, hits }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A JSON file's content.
#[track_caller]
pub fn read_json(path: impl AsRef<Path>) -> Value {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The command succeeded; its stderr is shown when it did not.
#[track_caller]
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The origin of a loopback URL as the host names it in denials: `http://host:port`.
pub fn origin_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let authority = rest.split('/').next().unwrap_or_default();
    format!("http://{authority}")
}

/// The keys of a JSON object, in order.
#[track_caller]
pub fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// An action calling `func` of the plugin `plugin` with `arguments`, named after the function.
pub fn plugin_action(plugin: &str, func: &str, arguments: Value) -> Value {
    serde_json::json!({
        "type": "action", "name": func,
        "provider": {"type": "plugin", "plugin": plugin, "func": func, "arguments": arguments}
    })
}

/// The `hostile` guest reads `notes.txt`, then tries to write it.
pub fn hostile_read_then_write() -> Vec<Value> {
    vec![
        plugin_action("hostile", "read", serde_json::json!({"path": "notes.txt"})),
        plugin_action(
            "hostile",
            "write",
            serde_json::json!({"path": "notes.txt", "text": "changed"}),
        ),
    ]
}
