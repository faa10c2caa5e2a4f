//! The `process` provider: the operator's own command, run on the host as Chaos Toolkit runs it
//! (the experiment is trusted like a shell script; plugins are what the sandbox is for).
//!
//! Beyond Chaos Toolkit, which kills only the direct child on a timeout and nothing on a signal:
//! the command runs in a process group of its own, and the whole group is killed when the activity
//! times out or the run is interrupted (the call is dropped), so what `sh -c` started goes too.
//! And each of its streams is kept up to [`STREAM_BYTES`]: the rest is read and dropped (1 GB of
//! stdout took 4.7 GB of memory and a 1.6 GB journal when all of it was kept).

use crate::experiment::ProcessArguments;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of stdout, and of stderr, a process activity keeps.
pub const STREAM_BYTES: usize = 16 << 20;

/// What a process activity returns: `{status, stdout, stderr}`, and how many bytes of each stream
/// were read past [`STREAM_BYTES`] and dropped.
pub struct Ran {
    pub output: Value,
    pub dropped: [(&'static str, u64); 2],
}

/// Runs the process and returns its output, or the failure message.
pub async fn run(
    path: &str,
    arguments: &ProcessArguments,
    timeout: Option<Duration>,
) -> Result<Ran, String> {
    let program =
        resolve(path).ok_or_else(|| format!("path '{path}' cannot be found, in activity"))?;
    let mut command = match arguments {
        ProcessArguments::Shell(args) => {
            let mut c = tokio::process::Command::new("/bin/sh");
            c.arg("-c").arg(format!("{} {args}", program.display()));
            c
        }
        ProcessArguments::List(args) => {
            let mut c = tokio::process::Command::new(&program);
            c.args(args);
            c
        }
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("failed to run {}: {e}", program.display()))?;
    let group = Group(child.id());
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let wait = async {
        let (out, err, status) = tokio::try_join!(
            bounded(stdout, STREAM_BYTES),
            bounded(stderr, STREAM_BYTES),
            child.wait()
        )?;
        std::io::Result::Ok((out, err, status))
    };
    let (out, err, status) = match timeout {
        Some(t) => tokio::time::timeout(t, wait)
            .await
            .map_err(|_| "process activity took too long to complete".to_string())?,
        None => wait.await,
    }
    .map_err(|e| format!("failed to run {}: {e}", program.display()))?;
    // It ended by itself: what it left running on purpose (`nohup x &`) is the operator's.
    std::mem::forget(group);
    Ok(Ran {
        output: json!({
            // Killed by a signal: Python reports the negative signal number.
            "status": status.code().unwrap_or_else(|| -signal_of(&status)),
            "stdout": String::from_utf8_lossy(&out.0),
            "stderr": String::from_utf8_lossy(&err.0),
        }),
        dropped: [("stdout", out.1), ("stderr", err.1)],
    })
}

/// Reads `pipe` to its end, keeping the first `max` bytes; the bytes past them are counted.
async fn bounded(
    pipe: Option<impl AsyncRead + Unpin>,
    max: usize,
) -> std::io::Result<(Vec<u8>, u64)> {
    let (mut kept, mut dropped) = (Vec::new(), 0u64);
    let Some(mut pipe) = pipe else {
        return Ok((kept, dropped));
    };
    let mut chunk = vec![0; 64 << 10];
    loop {
        let n = pipe.read(&mut chunk).await?;
        if n == 0 {
            return Ok((kept, dropped));
        }
        let take = n.min(max.saturating_sub(kept.len()));
        kept.extend_from_slice(&chunk[..take]);
        dropped += (n - take) as u64;
    }
}

/// The process group of a running command, killed when dropped: after a timeout, or when the
/// run is interrupted and the call dropped.
struct Group(Option<u32>);

impl Drop for Group {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self
            .0
            .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> i32 {
    std::os::unix::process::ExitStatusExt::signal(status).unwrap_or(1)
}

#[cfg(not(unix))]
fn signal_of(_: &std::process::ExitStatus) -> i32 {
    1
}

/// `shutil.which(os.path.expanduser(path))`.
fn resolve(path: &str) -> Option<PathBuf> {
    let expanded = match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|h| Path::new(&h).join(rest))?,
        None => PathBuf::from(path),
    };
    if expanded.components().count() > 1 || expanded.is_absolute() {
        return is_executable(&expanded).then_some(expanded);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(&expanded))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}
