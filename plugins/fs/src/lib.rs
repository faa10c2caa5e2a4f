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

use chaosrt_sdk::serde_json::{Value, json};
use chaosrt_sdk::{
    Activity, ArgumentSpec, ArgumentType, Arguments, Capability, Context, Error, FilesystemAccess,
    Metadata, Plugin,
};
use std::{fs, io};

/// The plugin, as exported to the host.
struct FsPlugin;

/// `os.mkdir`'s and `os.makedirs`'s default `mode`, the only one the sandbox can give: WASI creates
/// directories with no mode of their own (0o777 less the host's umask, as Python's default does).
const DEFAULT_MODE: u64 = 0o777;

impl Plugin for FsPlugin {
    fn metadata() -> Metadata {
        let path =
            |name, description| ArgumentSpec::required(name, ArgumentType::String, description);
        let mode = || {
            ArgumentSpec::required(
                "mode",
                ArgumentType::Integer,
                "Only the default, 0o777 (511): the sandbox cannot give a directory another mode.",
            )
            .with_default(json!(DEFAULT_MODE))
        };
        Metadata {
            name: "fs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Files in the run's working directory, as Python's os and shutil handle \
                          them."
                .into(),
            capabilities: vec![Capability::Filesystem(FilesystemAccess {
                path: ".".into(),
                writable: true,
            })],
            activities: vec![
                Activity::action(
                    "move",
                    "Rename (move) the file `src` to `dst`, replacing `dst`, as Python's os.rename \
                     does. Paths are relative to the run's working directory.",
                    vec![
                        path("src", "The file to move."),
                        path("dst", "Where to move it."),
                    ],
                ),
                Activity::probe(
                    "exists",
                    "Whether `path` exists, as Python's os.path.exists says.",
                    vec![path("path", "The path to check.")],
                ),
                Activity::action(
                    "remove",
                    "Remove the file `path`, as Python's os.remove and os.unlink do: a directory \
                     is refused, a symbolic link is removed itself. Returns null.",
                    vec![path("path", "The file to remove.")],
                ),
                Activity::action(
                    "copyfile",
                    "Copy the contents of the file `src` into the file `dst` (created or \
                     replaced), as Python's shutil.copyfile does; `dst` may not be a directory. \
                     Returns `dst`.",
                    vec![
                        path("src", "The file to copy."),
                        path("dst", "The file to write."),
                    ],
                ),
                Activity::action(
                    "copy",
                    "Copy the file `src` to `dst`, or into `dst` when it is a directory, as \
                     Python's shutil.copy does, except that the permission bits are not copied. \
                     Returns the path copied to.",
                    vec![
                        path("src", "The file to copy."),
                        path("dst", "The file to write, or the directory to copy into."),
                    ],
                ),
                Activity::action(
                    "mkdir",
                    "Create the directory `path`, as Python's os.mkdir does. Returns null.",
                    vec![path("path", "The directory to create."), mode()],
                ),
                Activity::action(
                    "makedirs",
                    "Create the directory `name` and any missing parents, as Python's os.makedirs \
                     does. Returns null.",
                    vec![
                        path("name", "The directory to create."),
                        mode(),
                        ArgumentSpec::required(
                            "exist_ok",
                            ArgumentType::Boolean,
                            "Whether an existing directory `name` is fine.",
                        )
                        .with_default(json!(false)),
                    ],
                ),
                Activity::action(
                    "rmtree",
                    "Remove the directory `path` and everything below it, as Python's \
                     shutil.rmtree does: `path` may not be a symbolic link, and links inside are \
                     removed, never followed. Returns null.",
                    vec![
                        path("path", "The directory to remove."),
                        ArgumentSpec::required(
                            "ignore_errors",
                            ArgumentType::Boolean,
                            "Whether to skip what cannot be removed instead of failing.",
                        )
                        .with_default(json!(false)),
                    ],
                ),
            ],
        }
    }

    fn invoke(activity: &str, args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        takes_only(activity, &args)?;
        let null = |()| Value::Null;
        match activity {
            "move" => move_file(args.required_str("src")?, args.required_str("dst")?),
            "exists" => files::exists(args.required_str("path")?).map(Value::Bool),
            "remove" => Ok(files::remove(args.required_str("path")?).map(null)?),
            "copyfile" => Ok(
                files::copyfile(args.required_str("src")?, args.required_str("dst")?)
                    .map(Value::String)?,
            ),
            "copy" => Ok(
                files::copy(args.required_str("src")?, args.required_str("dst")?)
                    .map(Value::String)?,
            ),
            "mkdir" => {
                default_mode(&args)?;
                Ok(files::mkdir(args.required_str("path")?).map(null)?)
            }
            "makedirs" => {
                default_mode(&args)?;
                let exist_ok = args.optional_bool("exist_ok")?.unwrap_or(false);
                Ok(files::makedirs(args.required_str("name")?, exist_ok).map(null)?)
            }
            "rmtree" => {
                let ignore_errors = args.optional_bool("ignore_errors")?.unwrap_or(false);
                Ok(files::rmtree(args.required_str("path")?, ignore_errors).map(null)?)
            }
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(FsPlugin);

/// Refuses an argument `activity` does not take, as Python refuses an unexpected keyword argument:
/// one a function has but this plugin does not serve (`dir_fd`) would otherwise be silently dropped.
fn takes_only(activity: &str, args: &Arguments) -> Result<(), Error> {
    let metadata = FsPlugin::metadata();
    let Some(spec) = metadata.activities.iter().find(|a| a.name == activity) else {
        return Err(Error::unknown_activity(activity));
    };
    let takes = |name: &str| spec.arguments.iter().any(|a| a.name == name);
    match args.as_map().keys().find(|name| !takes(name)) {
        Some(extra) => {
            let names: Vec<&str> = spec.arguments.iter().map(|a| a.name.as_str()).collect();
            Err(Error::invalid_arguments(format!(
                "`{activity}` takes no argument `{extra}`; it takes {}",
                names.join(", ")
            )))
        }
        None => Ok(()),
    }
}

/// Refuses a `mode` other than the default, which the sandbox could not honour.
fn default_mode(args: &Arguments) -> Result<(), Error> {
    match args.optional_u64("mode")? {
        None | Some(DEFAULT_MODE) => Ok(()),
        Some(mode) => Err(Error::invalid_arguments(format!(
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

    #[test]
    fn unexpected_arguments_are_refused_naming_what_the_activity_takes() {
        let args = |json: Value| Arguments::from_json(&json.to_string()).unwrap();
        assert_eq!(
            takes_only("remove", &args(json!({"path": "x", "dir_fd": 3}))).unwrap_err(),
            Error::invalid_arguments("`remove` takes no argument `dir_fd`; it takes path")
        );
        assert!(takes_only("makedirs", &args(json!({"name": "x", "exist_ok": true}))).is_ok());
        assert_eq!(
            takes_only("chmod", &args(json!({}))).unwrap_err(),
            Error::unknown_activity("chmod")
        );
    }

    #[test]
    fn only_the_default_mode_is_taken() {
        let args = |json: Value| Arguments::from_json(&json.to_string()).unwrap();
        assert!(default_mode(&args(json!({"mode": 511}))).is_ok());
        assert!(default_mode(&args(json!({"mode": null}))).is_ok());
        assert_eq!(
            default_mode(&args(json!({"mode": 448}))).unwrap_err(),
            Error::invalid_arguments(
                "argument `mode` 0o700 is not supported: the sandbox creates directories with the \
                 default mode 0o777 (less the umask); leave `mode` out"
            )
        );
    }
}
