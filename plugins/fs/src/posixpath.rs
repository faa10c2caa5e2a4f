//! The string operations of Python's `posixpath` that the ported file functions use, so the paths
//! they compute and quote in errors are the ones CPython would (`shutil.copy('f', 'd/')` returns
//! `'d/f'`, rmtree's errors name `os.path.join(path, entry)`).

/// `posixpath.split`: everything up to the last `/` (trailing slashes removed unless it is all
/// slashes) and what follows it.
pub fn split(path: &str) -> (&str, &str) {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    let (head, tail) = path.split_at(cut);
    if !head.is_empty() && !head.bytes().all(|b| b == b'/') {
        (head.trim_end_matches('/'), tail)
    } else {
        (head, tail)
    }
}

/// `posixpath.basename`: what follows the last `/`.
pub fn basename(path: &str) -> &str {
    split(path).1
}

/// `posixpath.join` of two parts: `b` if it is absolute, else `a` and `b` with one `/` between them
/// unless `a` is empty or already ends with one.
pub fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') {
        b.to_string()
    } else if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expectation is what CPython 3.11 answers.
    #[test]
    fn split_like_posixpath() {
        assert_eq!(split("a/b/c"), ("a/b", "c"));
        assert_eq!(split("a/b/"), ("a/b", ""));
        assert_eq!(split("a//b"), ("a", "b"));
        assert_eq!(split("name"), ("", "name"));
        assert_eq!(split("/x"), ("/", "x"));
        assert_eq!(split("//x"), ("//", "x"));
        assert_eq!(split(""), ("", ""));
    }

    #[test]
    fn basename_and_join_like_posixpath() {
        assert_eq!(basename("./exchange.dat"), "exchange.dat");
        assert_eq!(basename("d/"), "");
        assert_eq!(join("d", "f"), "d/f");
        assert_eq!(join("d/", "f"), "d/f");
        assert_eq!(join("", "f"), "f");
        assert_eq!(join("d", "/abs"), "/abs");
    }
}
