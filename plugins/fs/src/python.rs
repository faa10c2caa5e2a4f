//! I/O errors in the words Python uses, because the experiments this plugin serves were written against
//! `os.rename` and their journals quote the exception:
//! `FileNotFoundError: [Errno 2] No such file or directory: './exchange.dat' -> './exchange.dat.old'`.
//! Chaos Toolkit records `traceback.format_exception_only(...)`: the class, then the message.

use std::io::{self, ErrorKind};

/// `EPERM` as the platform numbers it. Rust files both `EPERM` (what the sandbox answers) and `EACCES`
/// under `PermissionDenied`; Python tells them apart.
#[cfg(target_os = "wasi")]
const EPERM: i32 = 63;
#[cfg(not(target_os = "wasi"))]
const EPERM: i32 = 1;

/// The message of the `OSError` Python raises for `err` on `path` (and `path2`, for two-path calls such
/// as `os.rename`), prefixed with the exception's class name.
pub fn os_error(err: &io::Error, path: &str, path2: Option<&str>) -> String {
    let mut paths = repr(path);
    if let Some(path2) = path2 {
        paths.push_str(" -> ");
        paths.push_str(&repr(path2));
    }
    match describe(err) {
        Some((class, errno, strerror)) => format!("{class}: [Errno {errno}] {strerror}: {paths}"),
        None => format!("OSError: {err}: {paths}"),
    }
}

/// The `shutil.SameFileError` that `shutil.copyfile` raises before it opens either file. It is not a
/// built-in exception, so Chaos Toolkit's message names its module.
pub fn same_file(src: &str, dst: &str) -> String {
    format!(
        "shutil.SameFileError: {} and {} are the same file",
        repr(src),
        repr(dst)
    )
}

/// Python's exception class, Linux `errno` and `strerror` for `err`, when it is one Python names.
fn describe(err: &io::Error) -> Option<(&'static str, i32, &'static str)> {
    Some(match err.kind() {
        ErrorKind::NotFound => ("FileNotFoundError", 2, "No such file or directory"),
        ErrorKind::PermissionDenied if err.raw_os_error() == Some(EPERM) => {
            ("PermissionError", 1, "Operation not permitted")
        }
        ErrorKind::PermissionDenied => ("PermissionError", 13, "Permission denied"),
        ErrorKind::AlreadyExists => ("FileExistsError", 17, "File exists"),
        ErrorKind::IsADirectory => ("IsADirectoryError", 21, "Is a directory"),
        ErrorKind::NotADirectory => ("NotADirectoryError", 20, "Not a directory"),
        ErrorKind::DirectoryNotEmpty => ("OSError", 39, "Directory not empty"),
        ErrorKind::CrossesDevices => ("OSError", 18, "Invalid cross-device link"),
        ErrorKind::ReadOnlyFilesystem => ("OSError", 30, "Read-only file system"),
        ErrorKind::ResourceBusy => ("OSError", 16, "Device or resource busy"),
        ErrorKind::InvalidInput => ("OSError", 22, "Invalid argument"),
        ErrorKind::InvalidFilename => ("OSError", 36, "File name too long"),
        ErrorKind::StorageFull => ("OSError", 28, "No space left on device"),
        _ => return None,
    })
}

/// Python's `repr()` of a string: single quotes unless the text holds a single quote and no double
/// quote, with backslashes, that quote and control characters escaped.
fn repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_of_a_missing_file_reads_like_python() {
        let err = io::Error::from(ErrorKind::NotFound);
        assert_eq!(
            os_error(&err, "./exchange.dat", Some("./exchange.dat.old")),
            "FileNotFoundError: [Errno 2] No such file or directory: './exchange.dat' -> './exchange.dat.old'"
        );
    }

    #[test]
    fn permission_errors_tell_eperm_from_eacces() {
        let eperm = io::Error::from_raw_os_error(EPERM);
        assert_eq!(
            os_error(&eperm, "a", None),
            "PermissionError: [Errno 1] Operation not permitted: 'a'"
        );
        let eacces = io::Error::from(ErrorKind::PermissionDenied);
        assert_eq!(
            os_error(&eacces, "a", None),
            "PermissionError: [Errno 13] Permission denied: 'a'"
        );
    }

    #[test]
    fn unnamed_errors_keep_rusts_text() {
        let err = io::Error::other("disk on fire");
        assert_eq!(os_error(&err, "a", None), "OSError: disk on fire: 'a'");
    }

    #[test]
    fn same_file_names_the_module() {
        assert_eq!(
            same_file("f", "link"),
            "shutil.SameFileError: 'f' and 'link' are the same file"
        );
    }

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(repr("plain"), "'plain'");
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("both ' and \""), "'both \\' and \"'");
        assert_eq!(repr("a\\b\nc\u{1}"), "'a\\\\b\\nc\\x01'");
    }
}
