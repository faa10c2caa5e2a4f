//! Reading an experiment file into JSON, keeping the file's key order (the journal reproduces it).

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Why an experiment file could not be read as JSON.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path does not exist (Chaos Toolkit's wording).
    #[error("Path \"{}\" does not exist.", .0.display())]
    Missing(PathBuf),
    /// The file exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid JSON; the position says where.
    #[error("{}:{line}:{column}: invalid JSON: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// An extension we do not read.
    #[error(
        "{}: only files with json extension are supported for now (YAML is planned)",
        .0.display()
    )]
    Extension(PathBuf),
}

/// Loads `path` as JSON.
pub fn load_file(path: &Path) -> Result<Value, LoadError> {
    if !path.exists() {
        return Err(LoadError::Missing(path.to_path_buf()));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if !ext.eq_ignore_ascii_case("json") {
        return Err(LoadError::Extension(path.to_path_buf()));
    }
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| LoadError::Syntax {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })
}

/// serde_json appends " at line L column C"; we print the position up front instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, "{\n  \"title\": \"t\",\n  oops\n}").unwrap();
        let err = load_file(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("x.json:3:3: invalid JSON: key must be a string"),
            "{err}"
        );
    }

    #[test]
    fn missing_file_uses_ctk_wording() {
        let err = load_file(Path::new("/nonexistent/e.json"))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "Path \"/nonexistent/e.json\" does not exist.");
    }
}
