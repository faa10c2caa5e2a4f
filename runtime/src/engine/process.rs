//! The `process` provider: the operator's own command, run on the host as Chaos Toolkit runs it
//! (the experiment is trusted like a shell script; plugins are what the sandbox is for).
//!
//! Beyond Chaos Toolkit, which kills only the direct child on a timeout and nothing on a signal:
//! the command runs in a process group of its own, and the whole group is killed when the activity
//! times out or the run is interrupted (the call is dropped), so what `sh -c` started goes too.

use crate::experiment::ProcessArguments;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// Runs the process and returns `{status, stdout, stderr}`, or the failure message.
pub async fn run(
    path: &str,
    arguments: &ProcessArguments,
    timeout: Option<Duration>,
) -> Result<Value, String> {
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
    let child = command
        .spawn()
        .map_err(|e| format!("failed to run {}: {e}", program.display()))?;
    let group = Group(child.id());
    let wait = child.wait_with_output();
    let output = match timeout {
        Some(t) => tokio::time::timeout(t, wait)
            .await
            .map_err(|_| "process activity took too long to complete".to_string())?,
        None => wait.await,
    }
    .map_err(|e| format!("failed to run {}: {e}", program.display()))?;
    // It ended by itself: what it left running on purpose (`nohup x &`) is the operator's.
    std::mem::forget(group);
    Ok(json!({
        // Killed by a signal: Python reports the negative signal number.
        "status": output.status.code().unwrap_or_else(|| -signal_of(&output.status)),
        "stdout": String::from_utf8_lossy(&output.stdout),
        "stderr": String::from_utf8_lossy(&output.stderr),
    }))
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
