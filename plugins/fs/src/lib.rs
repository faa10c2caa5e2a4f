//! The built-in `fs` plugin: the file functions of Python's `os` and `shutil` that Chaos Toolkit
//! experiments call (`os.rename`, `os.remove`, `shutil.copy`, `os.makedirs`, `shutil.rmtree`, …),
//! inside the run's working directory, with Python's semantics, return values and errors, so a
//! journal reads as `chaos run`'s would. Each activity takes the keyword arguments of the function
//! it serves, under the same names; `files` holds the ports, `python` the error texts.
//!
//! The host preopens the run's working directory at guest path `.`, and wasi-libc resolves relative
//! paths against that preopen, so plain `std::fs` calls work. Each path is also checked lexically first:
//! the sandbox would refuse an escape anyway, but only this check can say why in words an operator can
//! act on.

mod files;
mod posixpath;
mod python;

use chaosrt_sdk::serde_json::Value;
use chaosrt_sdk::{Capability, Error};
use files::Failure;
use std::{fs, io};

/// `os.mkdir`'s and `os.makedirs`'s default `mode`, the only one the sandbox can give: WASI creates
/// directories with no mode of their own (0o777 less the host's umask, as Python's default does).
const DEFAULT_MODE: u64 = 0o777;

/// Rename (move) the file `src` to `dst`, replacing `dst`, as Python's os.rename does. Paths are
/// relative to the run's working directory.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn r#move(
    /// The file to move.
    src: String,
    /// Where to move it.
    dst: String,
) -> Result<Value, Error> {
    move_file(&src, &dst)
}

/// Whether `path` exists, as Python's os.path.exists says.
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn exists(
    /// The path to check.
    path: String,
) -> Result<bool, Error> {
    files::exists(&path)
}

/// Remove the file `path`, as Python's os.remove and os.unlink do: a directory is refused, a symbolic
/// link is removed itself. Returns null.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn remove(
    /// The file to remove.
    path: String,
) -> Result<(), Failure> {
    files::remove(&path)
}

/// Copy the contents of the file `src` into the file `dst` (created or replaced), as Python's
/// shutil.copyfile does; `dst` may not be a directory. Returns `dst`.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn copyfile(
    /// The file to copy.
    src: String,
    /// The file to write.
    dst: String,
) -> Result<String, Failure> {
    files::copyfile(&src, &dst)
}

/// Copy the file `src` to `dst`, or into `dst` when it is a directory, as Python's shutil.copy does,
/// except that the permission bits are not copied. Returns the path copied to.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn copy(
    /// The file to copy.
    src: String,
    /// The file to write, or the directory to copy into.
    dst: String,
) -> Result<String, Failure> {
    files::copy(&src, &dst)
}

/// Create the directory `path`, as Python's os.mkdir does. Returns null.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn mkdir(
    /// The directory to create.
    path: String,
    /// Only the default, 0o777 (511): the sandbox cannot give a directory another mode.
    #[default(DEFAULT_MODE)]
    mode: u64,
) -> Result<(), Failure> {
    default_mode(mode)?;
    files::mkdir(&path)
}

/// Create the directory `name` and any missing parents, as Python's os.makedirs does. Returns null.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn makedirs(
    /// The directory to create.
    name: String,
    /// Only the default, 0o777 (511): the sandbox cannot give a directory another mode.
    #[default(DEFAULT_MODE)]
    mode: u64,
    /// Whether an existing directory `name` is fine.
    #[default(false)]
    exist_ok: bool,
) -> Result<(), Failure> {
    default_mode(mode)?;
    files::makedirs(&name, exist_ok)
}

/// Remove the directory `path` and everything below it, as Python's shutil.rmtree does: `path` may
/// not be a symbolic link, and links inside are removed, never followed. Returns null.
#[chaosrt_sdk::action(deny_unknown_arguments)]
fn rmtree(
    /// The directory to remove.
    path: String,
    /// Whether to skip what cannot be removed instead of failing.
    #[default(false)]
    ignore_errors: bool,
) -> Result<(), Failure> {
    files::rmtree(&path, ignore_errors)
}

chaosrt_sdk::plugin! {
    name: "fs",
    description: "Files in the run's working directory, as Python's os and shutil handle them.",
    capabilities: [Capability::read_write(".")],
    activities: [r#move, exists, remove, copyfile, copy, mkdir, makedirs, rmtree],
}

/// Refuses a `mode` other than the default, which the sandbox could not honour.
fn default_mode(mode: u64) -> Result<(), Error> {
    match mode {
        DEFAULT_MODE => Ok(()),
        mode => Err(Error::invalid_arguments(format!(
            "argument `mode` {mode:#o} is not supported: the sandbox creates directories with the \
             default mode 0o777 (less the umask); leave `mode` out"
        ))),
    }
}

fn move_file(src: &str, dst: &str) -> Result<Value, Error> {
    let (from, to) = (local(src)?, local(dst)?);
    from.and_then(|from| fs::rename(from, to?))
        .map(|()| Value::Null)
        .map_err(|err| Error::failed(python::os_error(&err, src, Some(dst))))
}

/// [`confine`]d `path` as the OS would take it: the empty path names nothing (`ENOENT`, as Python's
/// calls report it), although lexically it is the working directory. The outer `Err` is a refusal
/// before any I/O, the inner one the I/O error Python would raise.
fn local(path: &str) -> Result<io::Result<String>, Error> {
    let confined = confine(path)?;
    Ok(if path.is_empty() {
        Err(io::ErrorKind::NotFound.into())
    } else {
        Ok(confined)
    })
}

/// `path` relative to the granted directory, with `.` and `..` resolved lexically (`./x` becomes `x`)
/// and a trailing `/` kept; `Error::Denied` when it is absolute or its `..` components climb out of
/// the directory.
fn confine(path: &str) -> Result<String, Error> {
    let outside = || {
        Error::denied(format!(
            "path '{path}' is outside the granted directory (the run's working directory); \
             use a path inside it"
        ))
    };
    if path.starts_with('/') {
        return Err(outside());
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or_else(outside)?;
            }
            name => parts.push(name),
        }
    }
    Ok(if parts.is_empty() {
        ".".into()
    } else if path.ends_with('/') {
        // `d/` must be a directory: the OS checks that only while the slash is there.
        parts.join("/") + "/"
    } else {
        parts.join("/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaosrt_sdk::serde_json::json;
    use chaosrt_sdk::{Arguments, Plugin};

    fn denied(path: &str) -> Error {
        Error::Denied(format!(
            "path '{path}' is outside the granted directory (the run's working directory); use a path inside it"
        ))
    }

    #[test]
    fn confine_normalises_relative_paths() {
        assert_eq!(confine("./exchange.dat").unwrap(), "exchange.dat");
        assert_eq!(confine("a/./b//c").unwrap(), "a/b/c");
        assert_eq!(confine("a/../b").unwrap(), "b");
        assert_eq!(confine("a/..").unwrap(), ".");
        assert_eq!(confine(".").unwrap(), ".");
        assert_eq!(confine("./d//").unwrap(), "d/");
        assert_eq!(confine("d/../").unwrap(), ".");
    }

    #[test]
    fn confine_denies_escapes() {
        for path in ["/etc/passwd", "../x", "a/../../x", "./.."] {
            assert_eq!(confine(path).unwrap_err(), denied(path), "{path}");
        }
    }

    /// Every path is checked before anything is touched, even where Python would look at another
    /// path first, and `ignore_errors` does not ignore a refusal.
    #[test]
    fn every_function_denies_before_any_io() {
        let refused = |result: Result<(), files::Failure>| match result {
            Err(files::Failure::Refused(err)) => err,
            other => panic!("not refused: {other:?}"),
        };
        assert_eq!(move_file("./a", "../b").unwrap_err(), denied("../b"));
        assert_eq!(files::exists("/etc").unwrap_err(), denied("/etc"));
        assert_eq!(refused(files::remove("../x")), denied("../x"));
        assert_eq!(refused(files::mkdir("/tmp/x")), denied("/tmp/x"));
        assert_eq!(refused(files::makedirs("../x/y", true)), denied("../x/y"));
        assert_eq!(refused(files::rmtree("../x", true)), denied("../x"));
        assert_eq!(
            refused(files::copyfile("a", "../b").map(drop)),
            denied("../b")
        );
        assert_eq!(refused(files::copy("a", "../b").map(drop)), denied("../b"));
    }

    #[test]
    fn the_empty_path_is_not_found() {
        let not_found = "FileNotFoundError: [Errno 2] No such file or directory: ''";
        assert_eq!(
            move_file("", "x").unwrap_err(),
            Error::Failed(
                "FileNotFoundError: [Errno 2] No such file or directory: '' -> 'x'".into()
            )
        );
        assert!(!files::exists("").unwrap());
        for result in [
            files::remove(""),
            files::mkdir(""),
            files::rmtree("", false),
        ] {
            assert_eq!(Error::from(result.unwrap_err()), Error::failed(not_found));
        }
        // As `shutil.rmtree('', ignore_errors=True)` returns None.
        assert!(files::rmtree("", true).is_ok());
    }

    fn args(json: Value) -> Arguments {
        Arguments::from_json(&json.to_string()).unwrap()
    }

    /// As Python refuses an unexpected keyword argument: one a function has but this plugin does not
    /// serve (`dir_fd`) would otherwise be silently dropped.
    #[test]
    fn unexpected_arguments_are_refused_naming_what_the_activity_takes() {
        assert_eq!(
            remove::invoke(&args(json!({"path": "x", "dir_fd": 3}))).unwrap_err(),
            Error::invalid_arguments("`remove` takes no argument `dir_fd`; it takes path")
        );
        assert!(makedirs::parse(&args(json!({"name": "x", "exist_ok": true}))).is_ok());
        assert_eq!(
            ChaosrtPlugin::invoke("chmod", args(json!({}))).unwrap_err(),
            Error::unknown_activity("chmod")
        );
    }

    /// What the alias table and `discover` rely on: the activities, their kinds, and their arguments
    /// with the names, types, defaults and order of Python's keyword arguments.
    #[test]
    fn metadata_mirrors_pythons_functions() {
        use chaosrt_sdk::ActivityKind::{Action, Probe};
        use chaosrt_sdk::ArgumentType::{Boolean, Integer, String};
        let metadata = ChaosrtPlugin::metadata();
        assert_eq!(metadata.name, "fs");
        assert_eq!(metadata.capabilities, vec![Capability::read_write(".")]);
        let shape: Vec<_> = metadata
            .activities
            .iter()
            .map(|activity| {
                let arguments: Vec<_> = activity
                    .arguments
                    .iter()
                    .map(|a| (a.name.as_str(), a.kind, a.required, a.default.clone()))
                    .collect();
                (activity.name.as_str(), activity.kind, arguments)
            })
            .collect();
        let path = |name| (name, String, true, None);
        let mode = ("mode", Integer, false, Some(json!(511)));
        let flag = |name| (name, Boolean, false, Some(json!(false)));
        assert_eq!(
            shape,
            vec![
                ("move", Action, vec![path("src"), path("dst")]),
                ("exists", Probe, vec![path("path")]),
                ("remove", Action, vec![path("path")]),
                ("copyfile", Action, vec![path("src"), path("dst")]),
                ("copy", Action, vec![path("src"), path("dst")]),
                ("mkdir", Action, vec![path("path"), mode.clone()]),
                (
                    "makedirs",
                    Action,
                    vec![path("name"), mode, flag("exist_ok")]
                ),
                ("rmtree", Action, vec![path("path"), flag("ignore_errors")]),
            ]
        );
        assert!(metadata.activities.iter().all(|a| !a.description.is_empty()
            && a.arguments.iter().all(|arg| !arg.description.is_empty())));
    }

    #[test]
    fn only_the_default_mode_is_taken() {
        assert_eq!(
            makedirs::parse(&args(json!({"name": "x"}))).unwrap().mode,
            511
        );
        assert_eq!(
            mkdir::parse(&args(json!({"path": "x", "mode": null})))
                .unwrap()
                .mode,
            511
        );
        assert!(default_mode(511).is_ok());
        assert_eq!(
            default_mode(448).unwrap_err(),
            Error::invalid_arguments(
                "argument `mode` 0o700 is not supported: the sandbox creates directories with the \
                 default mode 0o777 (less the umask); leave `mode` out"
            )
        );
    }
}
