//! The file functions of Python's `os` and `shutil` that experiments call, ported from CPython 3.11
//! step by step so they succeed, fail and return as Python does: the same checks in the same order,
//! errors on the same paths.
//!
//! Paths go through [`local`] first (refused before any I/O when they leave the grant). The sandbox
//! resolves the rest inside the preopened directory only: a symbolic link that leads out of it fails
//! as `EPERM`, it is never followed out. What the sandbox cannot do is refused, not approximated:
//! there is no `mode` to give a new directory, and `shutil.copy` cannot copy permission bits
//! (`copymode`), so the copy has the mode a new file gets.

use crate::python::{self, os_error};
use crate::{local, posixpath};
use chaosrt_sdk::Error;
use std::fs::{self, File};
use std::io::{self, ErrorKind};
use std::path::Path;

/// How one of these functions failed, kept typed until it leaves the plugin: Python code catches
/// some errors by class (`makedirs` ignores a `FileExistsError` for a parent), and `ignore_errors`
/// drops them all.
#[derive(Debug)]
pub enum Failure {
    /// Refused before any I/O (a path out of the grant).
    Refused(Error),
    /// An `OSError` on `path`, shown as Python shows it.
    Os { err: io::Error, path: String },
    /// An exception Python raises with its own text (class included).
    Raised(String),
}

impl Failure {
    fn os(err: io::Error, path: &str) -> Failure {
        Failure::Os {
            err,
            path: path.to_string(),
        }
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        Failure::Refused(err)
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Error {
        match failure {
            Failure::Refused(err) => err,
            Failure::Os { err, path } => Error::failed(os_error(&err, &path, None)),
            Failure::Raised(message) => Error::failed(message),
        }
    }
}

/// `os.remove(path)` and `os.unlink(path)`: a directory is `IsADirectoryError`; a link is removed,
/// not what it points to.
pub fn remove(path: &str) -> Result<(), Failure> {
    local(path)?
        .and_then(fs::remove_file)
        .map_err(|err| Failure::os(err, path))
}

/// `os.mkdir(path)`.
pub fn mkdir(path: &str) -> Result<(), Failure> {
    local(path)?
        .and_then(fs::create_dir)
        .map_err(|err| Failure::os(err, path))
}

/// `os.makedirs(name, exist_ok=exist_ok)`, as `os.py` writes it: the missing parents first (a parent
/// that turns out to exist is fine), then `name`, which may exist only with `exist_ok` and only as a
/// directory.
pub fn makedirs(name: &str, exist_ok: bool) -> Result<(), Failure> {
    // Refused as a whole: every parent is a prefix of `name`, inside the grant when `name` is.
    crate::confine(name)?;
    make_dirs(name, exist_ok)
}

fn make_dirs(name: &str, exist_ok: bool) -> Result<(), Failure> {
    let (mut head, mut tail) = posixpath::split(name);
    if tail.is_empty() {
        (head, tail) = posixpath::split(head);
    }
    if !head.is_empty() && !tail.is_empty() && !exists(head)? {
        match make_dirs(head, exist_ok) {
            Err(Failure::Os { err, .. }) if err.kind() == ErrorKind::AlreadyExists => {}
            other => other?,
        }
        // `xxx/newdir/.` exists once `xxx/newdir` does.
        if tail == "." {
            return Ok(());
        }
    }
    match mkdir(name) {
        Err(Failure::Os { .. }) if exist_ok && is_dir(name)? => Ok(()),
        other => other,
    }
}

/// `shutil.copyfile(src, dst)`: the contents of the file `src` into the file `dst` (created or
/// truncated), never into a directory. Returns `dst`.
pub fn copyfile(src: &str, dst: &str) -> Result<String, Failure> {
    let (from, to) = (local(src)?, local(dst)?);
    if let (Ok(from), Ok(to)) = (&from, &to)
        && samefile(from, to)
    {
        return Err(Failure::Raised(python::same_file(src, dst)));
    }
    let mut reader = from
        .and_then(File::open)
        .map_err(|err| Failure::os(err, src))?;
    // Python's open() refuses a directory itself; the OS would open one for reading.
    if reader
        .metadata()
        .map_err(|err| Failure::os(err, src))?
        .is_dir()
    {
        return Err(Failure::os(ErrorKind::IsADirectory.into(), src));
    }
    let mut writer = match to.and_then(File::create) {
        Ok(writer) => writer,
        // CPython's "less confusing exception" (issue 43219) for `dst` ending in `/` that is not a
        // directory: the OS says EISDIR though nothing is there.
        Err(err) if err.kind() == ErrorKind::IsADirectory && !exists(dst)? => {
            return Err(Failure::Raised(format!(
                "FileNotFoundError: Directory does not exist: {dst}"
            )));
        }
        Err(err) => return Err(Failure::os(err, dst)),
    };
    io::copy(&mut reader, &mut writer).map_err(|err| Failure::os(err, dst))?;
    Ok(dst.to_string())
}

/// `shutil.copy(src, dst)`: as [`copyfile`], into `dst/<basename of src>` when `dst` is a directory.
/// Returns the path it copied to. Unlike Python it cannot copy the permission bits.
pub fn copy(src: &str, dst: &str) -> Result<String, Failure> {
    let dst = if is_dir(dst)? {
        posixpath::join(dst, posixpath::basename(src))
    } else {
        dst.to_string()
    };
    copyfile(src, &dst)
}

/// `shutil.rmtree(path, ignore_errors)`: everything below the directory `path`, then `path`. A link
/// is never followed: `path` itself may not be one (Python refuses it), and a link inside the tree
/// is unlinked, not descended into. With `ignore_errors` every failure is skipped, as Python does.
pub fn rmtree(path: &str, ignore_errors: bool) -> Result<(), Failure> {
    let mut onerror = |failure: Failure| {
        if ignore_errors { Ok(()) } else { Err(failure) }
    };
    let target = match local(path)? {
        Ok(target) => target,
        Err(err) => return onerror(Failure::os(err, path)),
    };
    let status = match fs::symlink_metadata(&target) {
        Ok(status) => status,
        Err(err) => return onerror(Failure::os(err, path)),
    };
    if status.file_type().is_symlink() {
        // Python opens `path` through the link and refuses what it finds, so only a dangling link
        // fails otherwise. Nothing is removed through the link.
        return onerror(match fs::metadata(&target) {
            Err(err) if err.kind() == ErrorKind::NotFound => Failure::os(err, path),
            _ => Failure::Raised("OSError: Cannot call rmtree on a symbolic link".into()),
        });
    }
    remove_contents(Path::new(&target), path, &mut onerror)?;
    if let Err(err) = fs::remove_dir(&target) {
        onerror(Failure::os(err, path))?;
    }
    Ok(())
}

/// What `shutil._rmtree_safe_fd` does for one directory: list it, then unlink each entry that is not
/// a directory (links included) and empty and remove each directory. `shown` is the directory as
/// Python would name it in errors (`os.path.join` of the caller's path and the entries).
fn remove_contents(
    dir: &Path,
    shown: &str,
    onerror: &mut impl FnMut(Failure) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let entries = match fs::read_dir(dir).and_then(|it| it.collect::<io::Result<Vec<_>>>()) {
        Ok(entries) => entries,
        Err(err) => return onerror(Failure::os(err, shown)),
    };
    for entry in entries {
        let child = dir.join(entry.file_name());
        let child_shown = posixpath::join(shown, &entry.file_name().to_string_lossy());
        // The entry's own type, and then its own status: a directory swapped for a link since the
        // listing is unlinked, not followed.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir())
            && fs::symlink_metadata(&child).is_ok_and(|s| s.is_dir());
        if is_dir {
            remove_contents(&child, &child_shown, onerror)?;
            if let Err(err) = fs::remove_dir(&child) {
                onerror(Failure::os(err, &child_shown))?;
            }
        } else if let Err(err) = fs::remove_file(&child) {
            onerror(Failure::os(err, &child_shown))?;
        }
    }
    Ok(())
}

/// `os.path.exists`: whether `path` is there, following links; any error is `false`.
pub fn exists(path: &str) -> Result<bool, Error> {
    Ok(local(path)?.and_then(fs::metadata).is_ok())
}

/// `os.path.isdir`, following links; any error is `false`.
fn is_dir(path: &str) -> Result<bool, Error> {
    Ok(local(path)?
        .and_then(fs::metadata)
        .is_ok_and(|status| status.is_dir()))
}

/// `os.path.samefile` as `shutil._samefile` uses it: both exist and are one file through links;
/// `false` when either cannot be looked at. WASI has no stable inode number, so this compares where
/// [`realpath`] leads: a hard link to the same file is not caught.
fn samefile(a: &str, b: &str) -> bool {
    match (realpath(a), realpath(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The existing file `path` leads to, as components below the granted directory, following links
/// the way the OS does (each component, `..` after resolving what precedes it); `None` when
/// something on the way is missing or the way leads out of the grant (an absolute link, `..`
/// above it, or a loop).
fn realpath(path: &str) -> Option<Vec<String>> {
    let mut done: Vec<String> = Vec::new();
    let mut pending: Vec<String> = components(path);
    pending.reverse();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            done.pop()?;
            continue;
        }
        done.push(part);
        let here = done.join("/");
        if !fs::symlink_metadata(&here).ok()?.file_type().is_symlink() {
            continue;
        }
        links += 1;
        // Linux gives up after 40 links (`ELOOP`).
        if links > 40 {
            return None;
        }
        let target = fs::read_link(&here).ok()?;
        let target = target.to_str()?;
        if target.starts_with('/') {
            return None;
        }
        done.pop();
        pending.extend(components(target).into_iter().rev());
    }
    Some(done)
}

/// The components of a relative path, without empty ones and `.`.
fn components(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .map(str::to_string)
        .collect()
}
