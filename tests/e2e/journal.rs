//! Where the journal goes: checked before anything runs (Chaos Toolkit only finds out at the end,
//! with a traceback, after the actions ran), written through devices and FIFOs, never through a
//! link, and written somewhere the operator is told about when the disk fills at the end.

use crate::support::{Outcome, Scratch};
use serde_json::{Value, json};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// An experiment whose method leaves `ran` in the working directory, with a description of
/// `padding` bytes (to make the journal large).
fn experiment(padding: usize) -> Value {
    json!({
        "title": "t", "description": "d".repeat(padding.max(1)),
        "method": [{"type": "action", "name": "mark",
                    "provider": {"type": "process", "path": "touch", "arguments": ["ran"]}}]
    })
}

fn run_to(scratch: &Scratch, journal_path: &Path, padding: usize) -> Outcome {
    scratch.run_with(
        &experiment(padding),
        &["--journal-path", journal_path.to_str().unwrap()],
    )
}

/// A journal path that cannot be used: exit 1 as `chaos run` does on a failed start, one line that
/// names the path and says what to do, and nothing ran.
#[track_caller]
fn refused_up_front(scratch: &Scratch, journal_path: &Path, message: &str) {
    let outcome = run_to(scratch, journal_path, 0);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    outcome.assert_line(&format!("ERROR {message}"));
    assert!(
        !scratch.run_dir().join("ran").exists(),
        "the method ran: {}",
        outcome.stderr
    );
    assert!(!outcome.has_line("INFO Playing your experiment's method now..."));
}

#[test]
fn a_directory_as_the_journal_path_is_refused_before_the_run() {
    let scratch = Scratch::new();
    let dir = scratch.run_dir().join("out");
    std::fs::create_dir(&dir).unwrap();
    refused_up_front(
        &scratch,
        &dir,
        &format!(
            "the journal path {0} is a directory: pass a file path, such as --journal-path {0}/journal.json",
            dir.display()
        ),
    );
}

#[test]
fn a_missing_directory_is_refused_before_the_run() {
    let scratch = Scratch::new();
    refused_up_front(
        &scratch,
        Path::new("missing/journal.json"),
        "the journal path missing/journal.json: directory missing does not exist; create it, or pass \
         another --journal-path",
    );
    std::fs::write(scratch.run_dir().join("file"), "").unwrap();
    refused_up_front(
        &scratch,
        Path::new("file/journal.json"),
        "the journal path file/journal.json: file is not a directory; pass another --journal-path",
    );
}

#[test]
fn an_unwritable_directory_is_refused_before_the_run() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let dir = scratch.run_dir().join("locked");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root writes through permission bits; sysfs refuses new files even to root.
    let dir = if tempfile::tempfile_in(&dir).is_ok() {
        Path::new("/sys").to_path_buf()
    } else {
        dir
    };
    let path = dir.join("journal.json");
    refused_up_front(
        &scratch,
        &path,
        &format!(
            "the journal path {}: cannot create a file in {} (Permission denied (os error 13)); make it \
             writable, or pass another --journal-path",
            path.display(),
            dir.display()
        ),
    );
}

#[test]
fn a_linked_journal_path_is_refused_up_front() {
    let scratch = Scratch::new();
    let victim = scratch.dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink("../victim", scratch.run_dir().join("journal.json")).unwrap();
    refused_up_front(
        &scratch,
        Path::new("journal.json"),
        "the journal path journal.json is a symbolic link; chaosrt does not follow links to write its \
         journal (a plugin may have planted it): remove it, or pass the path it points to",
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
}

#[test]
fn dev_stdout_gets_the_journal_on_standard_output() {
    let scratch = Scratch::new();
    let outcome = run_to(&scratch, Path::new("/dev/stdout"), 0);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal: Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["run"][0]["status"], "succeeded");
}

/// A FIFO is written through (a reader gets the journal) and stays a FIFO; `/dev/null` stays a
/// device (a rename over it, as root, would have replaced it with a regular file).
#[test]
fn a_fifo_and_dev_null_are_written_through_not_replaced() {
    let scratch = Scratch::new();
    let fifo = scratch.run_dir().join("journal.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let outcome = run_to(&scratch, &fifo, 0);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal: Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(journal["status"], "completed");
    assert!(fifo.symlink_metadata().unwrap().file_type().is_fifo());

    let outcome = run_to(&scratch, Path::new("/dev/null"), 0);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let null = Path::new("/dev/null").symlink_metadata().unwrap();
    assert!(null.file_type().is_char_device());
}

/// What the operator is told when the journal could not go where asked, and the journal it names.
#[track_caller]
fn written_instead(outcome: &Outcome, asked: &Path) -> Value {
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let prefix = format!(
        "ERROR cannot write the journal to {}: No space left on device (os error 28); it was written to ",
        asked.display()
    );
    let line = outcome
        .lines()
        .into_iter()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in:\n{}", outcome.stderr));
    let fallback = line[prefix.len()..].strip_suffix(" instead").unwrap();
    crate::support::read_json(fallback)
}

/// A device that refuses the write (`/dev/full`: no space left): the journal goes to the temporary
/// directory, and the run says where and exits 1.
#[test]
fn a_full_device_sends_the_journal_to_the_temporary_directory() {
    let scratch = Scratch::new();
    let tmp = scratch.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let path = scratch.run_dir().join("experiment.json");
    std::fs::write(&path, experiment(0).to_string()).unwrap();
    let outcome = scratch.outcome(scratch.chaosrt().env("TMPDIR", &tmp).args([
        "run",
        "--journal-path",
        "/dev/full",
        "experiment.json",
    ]));
    let journal = written_instead(&outcome, Path::new("/dev/full"));
    assert_eq!(journal["status"], "completed");
    assert!(scratch.run_dir().join("ran").exists());
}

/// A disk that fills between the check and the end (a 64 KiB tmpfs, a journal larger than that):
/// nothing half-written is left there, and the journal is in the temporary directory. Mounting
/// needs root; elsewhere `a_full_device_sends_the_journal_to_the_temporary_directory` covers the
/// fallback.
#[test]
fn a_disk_full_at_the_end_leaves_nothing_half_written() {
    let scratch = Scratch::new();
    let disk = scratch.dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&disk)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&disk);
    let tmp = scratch.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let asked = disk.join("journal.json");
    let path = scratch.run_dir().join("experiment.json");
    std::fs::write(&path, experiment(200_000).to_string()).unwrap();
    let outcome = scratch.outcome(scratch.chaosrt().env("TMPDIR", &tmp).args([
        "run",
        "--journal-path",
        asked.to_str().unwrap(),
        "experiment.json",
    ]));
    let journal = written_instead(&outcome, &asked);
    assert_eq!(journal["status"], "completed");
    let left: Vec<_> = std::fs::read_dir(&disk).unwrap().collect();
    assert!(left.is_empty(), "left on the full disk: {left:?}");
}
