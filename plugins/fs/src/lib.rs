//! The built-in `fs` plugin: move a file and check that a file exists, inside the run's working
//! directory. It serves Chaos Toolkit's `os.rename` and `os.path.exists` python providers, so failures
//! read as the Python exceptions would.
//!
//! The host preopens the run's working directory at guest path `.`, and wasi-libc resolves relative
//! paths against that preopen, so plain `std::fs` calls work. Each path is also checked lexically first:
//! the sandbox would refuse an escape anyway, but only this check can say why in words an operator can
//! act on.

mod python;

use chaosrt_sdk::serde_json::Value;
use chaosrt_sdk::{
    Activity, ArgumentSpec, ArgumentType, Arguments, Capability, Context, Error, FilesystemAccess,
    Metadata, Plugin,
};
use std::{fs, io};

/// The plugin, as exported to the host.
struct FsPlugin;

impl Plugin for FsPlugin {
    fn metadata() -> Metadata {
        let path =
            |name, description| ArgumentSpec::required(name, ArgumentType::String, description);
        Metadata {
            name: "fs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Files in the run's working directory.".into(),
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
            ],
        }
    }

    fn invoke(activity: &str, args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        match activity {
            "move" => move_file(args.required_str("src")?, args.required_str("dst")?),
            "exists" => exists(args.required_str("path")?),
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(FsPlugin);

fn move_file(src: &str, dst: &str) -> Result<Value, Error> {
    let (from, to) = (confine(src)?, confine(dst)?);
    // An empty path would otherwise name the working directory itself.
    let result = if src.is_empty() || dst.is_empty() {
        Err(io::ErrorKind::NotFound.into())
    } else {
        fs::rename(from, to)
    };
    result
        .map(|()| Value::Null)
        .map_err(|err| Error::failed(python::os_error(&err, src, Some(dst))))
}

/// Like `os.path.exists`: any error (missing, no permission) is `false`.
fn exists(path: &str) -> Result<Value, Error> {
    let confined = confine(path)?;
    Ok(Value::Bool(
        !path.is_empty() && fs::metadata(confined).is_ok(),
    ))
}

/// `path` relative to the granted directory, with `.` and `..` resolved lexically (`./x` becomes `x`);
/// `Error::Denied` when it is absolute or its `..` components climb out of the directory.
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
    }

    #[test]
    fn confine_denies_escapes() {
        for path in ["/etc/passwd", "../x", "a/../../x", "./.."] {
            assert_eq!(confine(path).unwrap_err(), denied(path), "{path}");
        }
    }

    #[test]
    fn move_denies_before_any_io() {
        assert_eq!(move_file("./a", "../b").unwrap_err(), denied("../b"));
        assert_eq!(exists("/etc").unwrap_err(), denied("/etc"));
    }

    #[test]
    fn move_of_an_empty_path_is_not_found() {
        assert_eq!(
            move_file("", "x").unwrap_err(),
            Error::Failed(
                "FileNotFoundError: [Errno 2] No such file or directory: '' -> 'x'".into()
            )
        );
        assert_eq!(exists("").unwrap(), Value::Bool(false));
    }
}
