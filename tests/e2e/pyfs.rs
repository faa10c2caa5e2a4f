//! The file functions of Python's `os` and `shutil` that Chaos Toolkit experiments call, run by the
//! built-in fs plugin on real files in the run directory: what each does, what it returns (the
//! journal's `output`, `null` for `None`) and how it fails (the journal's `exception`, in CPython
//! 3.11's words, as `chaos run` records them). Links out of the run directory are never followed.

use crate::support::{Outcome, Scratch};
use serde_json::{Value, json};
use std::fs;
use std::os::unix::fs::symlink;

/// A method action calling the Python function `module.func` with keyword `arguments`.
fn python(module: &str, func: &str, arguments: Value) -> Value {
    json!({
        "type": "action", "name": format!("{module}.{func}"),
        "provider": {"type": "python", "module": module, "func": func, "arguments": arguments}
    })
}

/// A method action calling the fs plugin's `activity` directly (the native form).
fn fs_plugin(activity: &str, arguments: Value) -> Value {
    json!({
        "type": "action", "name": activity,
        "provider": {"type": "plugin", "plugin": "fs", "func": activity, "arguments": arguments}
    })
}

/// Runs `method` and returns its runs, after checking the run completed: a failed action leaves it
/// completed, as in Chaos Toolkit.
#[track_caller]
fn run(scratch: &Scratch, method: Vec<Value>) -> Vec<Value> {
    let outcome = scratch.run(&json!({"title": "files", "description": "d", "method": method}));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("completed"), "{}", outcome.stderr);
    journal["run"].as_array().unwrap().clone()
}

#[track_caller]
fn assert_succeeded(run: &Value, output: Value) {
    assert_eq!(run["status"], json!("succeeded"), "{run:#}");
    assert_eq!(run["output"], output, "{run:#}");
}

/// The run failed with exactly `error`, the text Chaos Toolkit puts after `ActivityFailed: `.
#[track_caller]
fn assert_failed(run: &Value, error: &str) {
    assert_eq!(run["status"], json!("failed"), "{run:#}");
    let tail = run["exception"].as_array().and_then(|e| e.last());
    assert_eq!(
        tail.and_then(Value::as_str),
        Some(format!("chaoslib.exceptions.ActivityFailed: {error}\n").as_str()),
        "{run:#}"
    );
}

/// A scratch whose run directory holds `f.txt` ("data"), an empty directory `d`, and `outside/`
/// next to the run directory with `keep.txt` in it.
fn files() -> Scratch {
    let scratch = Scratch::new();
    let run = scratch.run_dir();
    fs::write(run.join("f.txt"), "data").unwrap();
    fs::create_dir(run.join("d")).unwrap();
    let outside = scratch.dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep.txt"), "keep").unwrap();
    scratch
}

/// The Chaos Toolkit specification's minimal experiment: the file must exist, then it is removed
/// with `os.remove`, and the steady state no longer holds.
#[test]
fn the_specifications_minimal_experiment_removes_the_file_and_deviates() {
    let scratch = Scratch::new();
    fs::create_dir(scratch.run_dir().join("some")).unwrap();
    fs::write(scratch.run_dir().join("some/file"), "x").unwrap();
    let experiment = json!({
        "version": "1.0.0",
        "title": "Moving a file from under our feet is forgivable",
        "description": "Our application should re-create a file that was removed",
        "tags": ["filesystem"],
        "steady-state-hypothesis": {
            "title": "The file must be around first",
            "probes": [{
                "type": "probe", "name": "file-must-exist", "tolerance": true,
                "provider": {"type": "python", "module": "os.path", "func": "exists",
                             "arguments": {"path": "some/file"}}
            }]
        },
        "method": [{
            "type": "action", "name": "file-be-gone",
            "provider": {"type": "python", "module": "os", "func": "remove",
                         "arguments": {"path": "some/file"}},
            "pauses": {"after": 0}
        }]
    });
    let outcome: Outcome = scratch.run(&experiment);
    assert_eq!(outcome.code, 1, "deviated:\n{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["status"], json!("completed"));
    assert_eq!(journal["deviated"], json!(true));
    assert_succeeded(&journal["run"][0], Value::Null);
    assert!(!scratch.run_dir().join("some/file").exists());
    assert!(scratch.run_dir().join("some").is_dir());
    let after = &journal["steady_states"]["after"];
    assert_eq!(after["steady_state_met"], json!(false), "{after:#}");
    assert_eq!(after["probes"][0]["output"], json!(false));
}

#[test]
fn os_remove_and_unlink_delete_a_file_and_return_none() {
    let scratch = files();
    fs::write(scratch.run_dir().join("g.txt"), "").unwrap();
    let runs = run(
        &scratch,
        vec![
            python("os", "remove", json!({"path": "./f.txt"})),
            python("os", "unlink", json!({"path": "g.txt"})),
        ],
    );
    assert_succeeded(&runs[0], Value::Null);
    assert_succeeded(&runs[1], Value::Null);
    assert!(!scratch.run_dir().join("f.txt").exists());
    assert!(!scratch.run_dir().join("g.txt").exists());
}

#[test]
fn os_remove_of_a_missing_file_or_a_directory_fails_as_python_does() {
    let scratch = files();
    let runs = run(
        &scratch,
        vec![
            python("os", "remove", json!({"path": "missing.txt"})),
            python("os", "unlink", json!({"path": "missing.txt"})),
            python("os", "remove", json!({"path": "d"})),
            python("os", "remove", json!({"path": "f.txt/x"})),
        ],
    );
    let missing = "FileNotFoundError: [Errno 2] No such file or directory: 'missing.txt'";
    assert_failed(&runs[0], missing);
    assert_failed(&runs[1], missing);
    assert_failed(
        &runs[2],
        "IsADirectoryError: [Errno 21] Is a directory: 'd'",
    );
    assert_failed(
        &runs[3],
        "NotADirectoryError: [Errno 20] Not a directory: 'f.txt/x'",
    );
    assert!(scratch.run_dir().join("d").is_dir());
}

/// `os.remove` on a link removes the link, whatever it points to (inside the run directory or out).
#[test]
fn os_remove_of_a_link_removes_the_link_not_its_target() {
    let scratch = files();
    let run_dir = scratch.run_dir();
    symlink("f.txt", run_dir.join("inside")).unwrap();
    symlink("../outside/keep.txt", run_dir.join("out")).unwrap();
    let runs = run(
        &scratch,
        vec![
            python("os", "remove", json!({"path": "inside"})),
            python("os", "remove", json!({"path": "out"})),
        ],
    );
    assert_succeeded(&runs[0], Value::Null);
    assert_succeeded(&runs[1], Value::Null);
    assert!(run_dir.join("out").symlink_metadata().is_err());
    assert_eq!(fs::read_to_string(run_dir.join("f.txt")).unwrap(), "data");
    assert!(scratch.dir.path().join("outside/keep.txt").exists());
}

#[test]
fn shutil_copyfile_copies_and_returns_the_destination() {
    let scratch = files();
    let runs = run(
        &scratch,
        vec![python(
            "shutil",
            "copyfile",
            json!({"src": "f.txt", "dst": "./copy.txt"}),
        )],
    );
    assert_succeeded(&runs[0], json!("./copy.txt"));
    assert_eq!(
        fs::read_to_string(scratch.run_dir().join("copy.txt")).unwrap(),
        "data"
    );
}

#[test]
fn shutil_copyfile_refuses_a_directory_a_missing_file_and_the_same_file() {
    let scratch = files();
    symlink("f.txt", scratch.run_dir().join("alias")).unwrap();
    let copyfile =
        |src: &str, dst: &str| python("shutil", "copyfile", json!({"src": src, "dst": dst}));
    let runs = run(
        &scratch,
        vec![
            copyfile("f.txt", "d"),
            copyfile("missing.txt", "x"),
            copyfile("d", "x"),
            copyfile("f.txt", "alias"),
            copyfile("f.txt", "no/x"),
        ],
    );
    assert_failed(
        &runs[0],
        "IsADirectoryError: [Errno 21] Is a directory: 'd'",
    );
    assert_failed(
        &runs[1],
        "FileNotFoundError: [Errno 2] No such file or directory: 'missing.txt'",
    );
    assert_failed(
        &runs[2],
        "IsADirectoryError: [Errno 21] Is a directory: 'd'",
    );
    assert_failed(
        &runs[3],
        "shutil.SameFileError: 'f.txt' and 'alias' are the same file",
    );
    assert_failed(
        &runs[4],
        "FileNotFoundError: [Errno 2] No such file or directory: 'no/x'",
    );
    assert!(!scratch.run_dir().join("x").exists());
    assert_eq!(
        fs::read_to_string(scratch.run_dir().join("f.txt")).unwrap(),
        "data"
    );
}

#[test]
fn shutil_copy_copies_into_a_directory_and_returns_where_it_copied_to() {
    let scratch = files();
    let copy = |src: &str, dst: &str| python("shutil", "copy", json!({"src": src, "dst": dst}));
    let runs = run(
        &scratch,
        vec![
            copy("./f.txt", "d"),
            copy("f.txt", "d/"),
            copy("f.txt", "other.txt"),
        ],
    );
    assert_succeeded(&runs[0], json!("d/f.txt"));
    assert_succeeded(&runs[1], json!("d/f.txt"));
    assert_succeeded(&runs[2], json!("other.txt"));
    for copied in ["d/f.txt", "other.txt"] {
        assert_eq!(
            fs::read_to_string(scratch.run_dir().join(copied)).unwrap(),
            "data"
        );
    }
}

#[test]
fn shutil_copy_of_a_missing_file_or_into_a_missing_directory_fails_as_python_does() {
    let scratch = files();
    let copy = |src: &str, dst: &str| python("shutil", "copy", json!({"src": src, "dst": dst}));
    let runs = run(
        &scratch,
        vec![
            copy("missing.txt", "d"),
            copy("f.txt", "no/"),
            copy("d", "x"),
        ],
    );
    assert_failed(
        &runs[0],
        "FileNotFoundError: [Errno 2] No such file or directory: 'missing.txt'",
    );
    // CPython's own wording for a destination directory that is not there (issue 43219).
    assert_failed(&runs[1], "FileNotFoundError: Directory does not exist: no/");
    assert_failed(
        &runs[2],
        "IsADirectoryError: [Errno 21] Is a directory: 'd'",
    );
    assert!(!scratch.run_dir().join("no").exists());
}

#[test]
fn os_makedirs_creates_missing_parents_and_refuses_an_existing_directory() {
    let scratch = files();
    let makedirs = |arguments: Value| python("os", "makedirs", arguments);
    let runs = run(
        &scratch,
        vec![
            makedirs(json!({"name": "a/b/c"})),
            makedirs(json!({"name": "a/b"})),
            makedirs(json!({"name": "f.txt/x"})),
            makedirs(json!({"name": "f.txt"})),
        ],
    );
    assert_succeeded(&runs[0], Value::Null);
    assert!(scratch.run_dir().join("a/b/c").is_dir());
    assert_failed(&runs[1], "FileExistsError: [Errno 17] File exists: 'a/b'");
    assert_failed(
        &runs[2],
        "NotADirectoryError: [Errno 20] Not a directory: 'f.txt/x'",
    );
    assert_failed(&runs[3], "FileExistsError: [Errno 17] File exists: 'f.txt'");
}

/// `exist_ok` and `mode` through the plugin's own form (validation lets the python form pass only
/// required arguments for now): an existing directory is fine, an existing file still is not, and
/// a mode the sandbox cannot give is refused rather than ignored.
#[test]
fn makedirs_takes_exist_ok_and_only_the_default_mode() {
    let scratch = files();
    let runs = run(
        &scratch,
        vec![
            fs_plugin("makedirs", json!({"name": "d", "exist_ok": true})),
            fs_plugin(
                "makedirs",
                json!({"name": "n/m", "mode": 511, "exist_ok": false}),
            ),
            fs_plugin("makedirs", json!({"name": "f.txt", "exist_ok": true})),
            fs_plugin("makedirs", json!({"name": "p", "mode": 448})),
        ],
    );
    assert_succeeded(&runs[0], Value::Null);
    assert_succeeded(&runs[1], Value::Null);
    assert!(scratch.run_dir().join("n/m").is_dir());
    assert_failed(&runs[2], "FileExistsError: [Errno 17] File exists: 'f.txt'");
    assert_failed(
        &runs[3],
        "plugin 'fs' activity 'makedirs': invalid arguments: argument `mode` 0o700 is not \
         supported: the sandbox creates directories with the default mode 0o777 (less the \
         umask); leave `mode` out",
    );
    assert!(!scratch.run_dir().join("p").exists());
}

#[test]
fn os_mkdir_creates_one_directory_and_fails_as_python_does() {
    let scratch = files();
    let mkdir = |path: &str| python("os", "mkdir", json!({"path": path}));
    let runs = run(
        &scratch,
        vec![mkdir("new"), mkdir("d"), mkdir("no/x"), mkdir("f.txt/x")],
    );
    assert_succeeded(&runs[0], Value::Null);
    assert!(scratch.run_dir().join("new").is_dir());
    assert_failed(&runs[1], "FileExistsError: [Errno 17] File exists: 'd'");
    assert_failed(
        &runs[2],
        "FileNotFoundError: [Errno 2] No such file or directory: 'no/x'",
    );
    assert_failed(
        &runs[3],
        "NotADirectoryError: [Errno 20] Not a directory: 'f.txt/x'",
    );
}

/// `rmtree` removes the whole tree; a link inside it to a directory outside is unlinked, and what
/// it pointed to is untouched.
#[test]
fn shutil_rmtree_removes_a_tree_and_unlinks_the_links_in_it() {
    let scratch = files();
    let run_dir = scratch.run_dir();
    fs::create_dir_all(run_dir.join("tree/sub/deeper")).unwrap();
    fs::write(run_dir.join("tree/a.txt"), "a").unwrap();
    fs::write(run_dir.join("tree/sub/deeper/b.txt"), "b").unwrap();
    symlink("../../outside", run_dir.join("tree/sub/out")).unwrap();
    symlink("../d", run_dir.join("tree/to-d")).unwrap();
    fs::write(run_dir.join("d/in-d.txt"), "d").unwrap();
    let runs = run(
        &scratch,
        vec![python("shutil", "rmtree", json!({"path": "tree"}))],
    );
    assert_succeeded(&runs[0], Value::Null);
    assert!(run_dir.join("tree").symlink_metadata().is_err());
    assert!(scratch.dir.path().join("outside/keep.txt").exists());
    assert!(run_dir.join("d/in-d.txt").exists());
}

#[test]
fn shutil_rmtree_refuses_a_missing_path_a_file_and_a_link() {
    let scratch = files();
    let run_dir = scratch.run_dir();
    fs::write(run_dir.join("d/in-d.txt"), "d").unwrap();
    symlink("d", run_dir.join("link-to-d")).unwrap();
    symlink("../outside", run_dir.join("link-out")).unwrap();
    let rmtree = |path: &str| python("shutil", "rmtree", json!({"path": path}));
    let runs = run(
        &scratch,
        vec![
            rmtree("missing"),
            rmtree("f.txt"),
            rmtree("link-to-d"),
            rmtree("link-out"),
        ],
    );
    assert_failed(
        &runs[0],
        "FileNotFoundError: [Errno 2] No such file or directory: 'missing'",
    );
    assert_failed(
        &runs[1],
        "NotADirectoryError: [Errno 20] Not a directory: 'f.txt'",
    );
    for run in &runs[2..] {
        assert_failed(run, "OSError: Cannot call rmtree on a symbolic link");
    }
    assert!(run_dir.join("f.txt").exists());
    assert!(run_dir.join("d/in-d.txt").exists());
    assert!(scratch.dir.path().join("outside/keep.txt").exists());
}

/// `ignore_errors`, through the plugin's own form as above: nothing to remove is not an error, and
/// neither is a link (which is left alone).
#[test]
fn rmtree_with_ignore_errors_skips_what_it_cannot_remove() {
    let scratch = files();
    symlink("d", scratch.run_dir().join("link-to-d")).unwrap();
    let runs = run(
        &scratch,
        vec![
            fs_plugin("rmtree", json!({"path": "missing", "ignore_errors": true})),
            fs_plugin(
                "rmtree",
                json!({"path": "link-to-d", "ignore_errors": true}),
            ),
            fs_plugin("rmtree", json!({"path": "d", "ignore_errors": true})),
        ],
    );
    for run in &runs {
        assert_succeeded(run, Value::Null);
    }
    assert!(
        scratch
            .run_dir()
            .join("link-to-d")
            .symlink_metadata()
            .is_ok()
    );
    assert!(!scratch.run_dir().join("d").exists());
}

/// A link in the run directory that points out of it leads nowhere: the sandbox refuses to follow
/// it, so nothing outside is read, written or removed.
#[test]
fn links_out_of_the_run_directory_are_not_followed() {
    let scratch = files();
    let run_dir = scratch.run_dir();
    symlink("../outside", run_dir.join("out")).unwrap();
    symlink("../outside/keep.txt", run_dir.join("keep-link")).unwrap();
    let runs = run(
        &scratch,
        vec![
            python("os", "remove", json!({"path": "out/keep.txt"})),
            python("shutil", "rmtree", json!({"path": "out/"})),
            python(
                "shutil",
                "copy",
                json!({"src": "keep-link", "dst": "stolen.txt"}),
            ),
            python("shutil", "copy", json!({"src": "f.txt", "dst": "out"})),
            python("os", "mkdir", json!({"path": "out/planted"})),
        ],
    );
    for run in &runs {
        assert_eq!(run["status"], json!("failed"), "{run:#}");
    }
    assert_failed(
        &runs[0],
        "PermissionError: [Errno 1] Operation not permitted: 'out/keep.txt'",
    );
    let outside = scratch.dir.path().join("outside");
    assert_eq!(
        fs::read_to_string(outside.join("keep.txt")).unwrap(),
        "keep"
    );
    assert!(!outside.join("f.txt").exists() && !outside.join("planted").exists());
    assert!(!run_dir.join("stolen.txt").exists());
}

/// Paths out of the run directory are refused before anything is touched, in words that say why.
#[test]
fn paths_out_of_the_run_directory_are_refused() {
    let scratch = files();
    let runs = run(
        &scratch,
        vec![
            python("os", "remove", json!({"path": "../outside/keep.txt"})),
            python("shutil", "rmtree", json!({"path": "../outside"})),
            python("os", "makedirs", json!({"name": "../outside/x/y"})),
        ],
    );
    for (run, path) in runs
        .iter()
        .zip(["../outside/keep.txt", "../outside", "../outside/x/y"])
    {
        assert_failed(
            run,
            &format!(
                "plugin 'fs' activity '{}' was denied: path '{path}' is outside the granted \
                 directory (the run's working directory); use a path inside it",
                run["activity"]["provider"]["func"].as_str().unwrap(),
            ),
        );
    }
    assert!(scratch.dir.path().join("outside/keep.txt").exists());
}

/// A keyword argument CPython has but chaosrt does not serve is refused before the run, naming it.
#[test]
fn an_unsupported_keyword_argument_is_refused_at_validation() {
    let scratch = files();
    let outcome = scratch.run(&json!({
        "title": "files", "description": "d",
        "method": [python("os", "remove", json!({"path": "f.txt", "dir_fd": 3}))]
    }));
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("/method/0/provider/arguments/dir_fd: ")
            && outcome.stderr.contains("os.remove")
            && outcome.stderr.contains("'dir_fd'"),
        "{}",
        outcome.stderr
    );
    assert!(scratch.run_dir().join("f.txt").exists());
}

/// The optional keyword arguments CPython has, through the python form, as `chaos run` takes them.
#[test]
fn optional_keyword_arguments_are_taken_as_python_takes_them() {
    let scratch = files();
    symlink("d", scratch.run_dir().join("link-to-d")).unwrap();
    let runs = run(
        &scratch,
        vec![
            python("os", "makedirs", json!({"name": "d", "exist_ok": true})),
            python("os", "makedirs", json!({"name": "n/m", "mode": 511})),
            python("os", "mkdir", json!({"path": "p", "mode": 511})),
            python(
                "shutil",
                "rmtree",
                json!({"path": "link-to-d", "ignore_errors": true}),
            ),
            python(
                "shutil",
                "rmtree",
                json!({"path": "missing", "ignore_errors": true}),
            ),
        ],
    );
    for run in &runs {
        assert_succeeded(run, Value::Null);
    }
    assert!(scratch.run_dir().join("n/m").is_dir() && scratch.run_dir().join("p").is_dir());
    assert!(scratch.run_dir().join("d").is_dir());
}

/// An argument CPython has but chaosrt does not serve is refused as such, not as unknown.
#[test]
fn an_unsupported_keyword_argument_is_named_as_unsupported() {
    let scratch = files();
    let outcome = scratch.run(&json!({
        "title": "files", "description": "d",
        "method": [python("shutil", "rmtree", json!({"path": "d", "onerror": null}))]
    }));
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(
            "/method/0/provider/arguments/onerror: chaosrt does not support the argument \
             'onerror' of shutil.rmtree (the fs plugin takes path, ignore_errors); leave it out"
        ),
        "{}",
        outcome.stderr
    );
    assert!(scratch.run_dir().join("d").is_dir());
}
