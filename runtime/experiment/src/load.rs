//! Reading an experiment (or any JSON/YAML document the operator gives) into JSON, keeping the key
//! order (the journal reproduces it), as Chaos Toolkit's `chaoslib.loader.load_experiment` does: a
//! local file by its extension, or an `http(s)://` URL by the response's Content-Type.
//!
//! An experiment runs commands on the host, so a plain-`http` URL (or a redirect to one) is refused
//! unless the operator allows it: anyone on the network path could rewrite what runs. Loopback
//! (`127.0.0.0/8`, `[::1]`, `localhost`, which is pinned to those addresses rather than looked up)
//! is allowed: its traffic never leaves the machine, and whoever can rewrite it already runs code here.
//!
//! The request itself is the embedder's (chaosrt's `experiment::fetch`, on reqwest): this crate
//! decides what a source is ([`locate`]), what may be fetched and how a response body is read.

use super::yaml;
use serde_json::Value;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Chaos Toolkit's environment variable for a bearer token sent when fetching an experiment.
pub const BEARER_TOKEN_VAR: &str = "CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN";

/// The most an experiment fetched by URL may be: far more than any experiment needs, and read
/// whole before it is parsed.
pub const MAX_FETCHED_BYTES: u64 = 16 << 20;

/// Why a document could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The source is neither an existing path nor a URL (Chaos Toolkit's wording).
    #[error("Path \"{}\" does not exist.", .0.display())]
    Missing(PathBuf),
    /// The file exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not JSON or YAML where it had to be; `origin` is the file or URL, the position 1-based.
    #[error("{origin}:{line}:{column}: invalid {format}: {message}")]
    Syntax {
        origin: String,
        format: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    /// A file extension we do not read (Chaos Toolkit's wording, plus the file).
    #[error("{}: only files with json, yaml or yml extensions are supported", .0.display())]
    Extension(PathBuf),
    /// A URL whose scheme is not http or https (Chaos Toolkit's wording).
    #[error("'{0}' is not a supported source scheme.")]
    Scheme(String),
    /// A plain-http URL to another machine, without the operator's leave.
    #[error(
        "refusing to fetch the experiment from {0} over plain http: anyone on the network path \
         could change what it runs on this host. Use https, or pass --allow-http-source if you \
         trust the network"
    )]
    PlainHttp(String),
    /// The request could not be made or its body read.
    #[error("Failed to fetch the experiment from {url}: {source}")]
    Fetch {
        url: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The response's body is larger than [`MAX_FETCHED_BYTES`].
    #[error(
        "{url}: the response is larger than {} MiB, the most chaosrt reads for an experiment \
         fetched by URL; download it and run the file instead",
        MAX_FETCHED_BYTES >> 20
    )]
    TooLarge { url: String },
    /// The server answered something other than 200 (Chaos Toolkit's wording, plus the status).
    #[error("Failed to fetch the experiment: {status}: {body}")]
    Status { status: u16, body: String },
    /// The response's Content-Type says neither JSON nor YAML.
    #[error(
        "{url}: cannot read a response of Content-Type '{content_type}' (expected \
         application/json, application/x-yaml, text/yaml or text/plain)"
    )]
    ContentType { url: String, content_type: String },
}

/// How an experiment may be fetched from a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Check the certificate of an https source (`--no-verify-tls` turns it off).
    pub verify_tls: bool,
    /// Fetch over plain http from another machine too (`--allow-http-source`).
    pub allow_http: bool,
}

/// A loaded document and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub document: Value,
    /// The URL it was fetched from; `None` for a local file.
    pub url: Option<String>,
}

/// Where a source names its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location<'a> {
    /// An existing local path.
    File(&'a Path),
    /// An `http(s)://` URL that `policy` lets us fetch.
    Url(&'a str),
}

/// Tells what `source` is: an existing local path, else an `http(s)://` URL, as `policy` allows.
pub fn locate(source: &str, policy: FetchPolicy) -> Result<Location<'_>, LoadError> {
    let path = Path::new(source);
    if path.exists() {
        return Ok(Location::File(path));
    }
    match url_scheme(source) {
        None => Err(LoadError::Missing(path.to_path_buf())),
        Some(scheme) if scheme == "http" || scheme == "https" => {
            let parsed = url::Url::parse(source).ok();
            if !policy.allow_http && parsed.as_ref().is_some_and(is_remote_http) {
                return Err(LoadError::PlainHttp(source.to_string()));
            }
            Ok(Location::Url(source))
        }
        Some(scheme) => Err(LoadError::Scheme(scheme)),
    }
}

/// A plain-http URL whose host is not this machine's loopback.
pub fn is_remote_http(url: &url::Url) -> bool {
    if url.scheme() != "http" {
        return false;
    }
    let host = url.host_str().unwrap_or_default();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// Loads a local file by its extension: `.json`, or `.yaml`/`.yml` (read as `yaml.safe_load` does).
pub fn load_file(path: &Path) -> Result<Value, LoadError> {
    if !path.exists() {
        return Err(LoadError::Missing(path.to_path_buf()));
    }
    let format = Format::of(path).ok_or_else(|| LoadError::Extension(path.to_path_buf()))?;
    format.parse(&read(path)?, path)
}

/// A document format, as a file's extension names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Json,
    Yaml,
}

impl Format {
    /// `.json`, `.yaml` or `.yml`, in any case.
    pub(super) fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    /// Parses `text`, read from `path` (for errors).
    pub(super) fn parse(self, text: &str, path: &Path) -> Result<Value, LoadError> {
        match self {
            Format::Json => parse_json(text, &path.display().to_string()),
            Format::Yaml => parse_yaml(text, path),
        }
    }
}

/// Reads a file as text.
pub(super) fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses YAML text read from `path` (for errors), as `yaml.safe_load` would.
pub fn parse_yaml(text: &str, path: &Path) -> Result<Value, LoadError> {
    parse_yaml_from(text, &path.display().to_string())
}

fn parse_yaml_from(text: &str, origin: &str) -> Result<Value, LoadError> {
    yaml::parse(text).map_err(|e| LoadError::Syntax {
        origin: origin.to_string(),
        format: "YAML",
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

/// Parses JSON text from `origin` (a file or URL, for errors). A leading UTF-8 byte order mark, as
/// editors on Windows write, is skipped (RFC 8259 §8.1 lets a parser ignore it); Python's `json`
/// refuses it with a traceback. Positions stay those an editor shows, which does not count the mark.
pub fn parse_json(text: &str, origin: &str) -> Result<Value, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(text).map_err(|e| LoadError::Syntax {
        origin: origin.to_string(),
        format: "JSON",
        line: e.line(),
        column: e.column(),
        message: match strip_position(&e.to_string()) {
            // serde_json's guard for the recursion that reads, validates and drops a value.
            m if m == "recursion limit exceeded" => {
                format!(
                    "arrays and objects nest deeper than {} levels, the most chaosrt reads",
                    yaml::MAX_DEPTH
                )
            }
            m => m,
        },
    })
}

/// serde_json appends " at line L column C"; the position is printed up front instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The scheme of `source` as Python's `urlparse` finds it (lower-cased), if it has one.
fn url_scheme(source: &str) -> Option<String> {
    let (scheme, _) = source.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Chaos Toolkit's `parse_experiment_from_http`: the Content-Type decides, by substring.
pub fn parse_body(body: &str, content_type: &str, url: &str) -> Result<Value, LoadError> {
    if content_type.contains("application/json") {
        parse_json(body, url)
    } else if content_type.contains("application/x-yaml") || content_type.contains("text/yaml") {
        parse_yaml_from(body, url)
    } else if content_type.contains("text/plain") {
        // JSON first, then YAML; when both fail, the YAML error says more about a YAML document.
        parse_json(body, url).or_else(|_| parse_yaml_from(body, url))
    } else {
        Err(LoadError::ContentType {
            url: url.to_string(),
            content_type: content_type.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn files_by_extension_with_positions_on_syntax_errors() {
        let dir = tempfile::tempdir().unwrap();
        let json_file = write(&dir, "x.json", "{\n  \"title\": \"t\",\n  oops\n}");
        let err = load_file(&json_file).unwrap_err().to_string();
        assert!(
            err.ends_with("x.json:3:3: invalid JSON: key must be a string"),
            "{err}"
        );

        let yaml_file = write(&dir, "x.yaml", "title: t\nmethod:\n  - [a\n");
        let err = load_file(&yaml_file).unwrap_err().to_string();
        assert!(err.contains("x.yaml:"), "{err}");
        assert!(err.contains(": invalid YAML: "), "{err}");

        let yml = write(&dir, "x.yml", "title: t\nverify: no\norder: {b: 1, a: 2}\n");
        let value = load_file(&yml).unwrap();
        assert_eq!(
            value,
            json!({"title": "t", "verify": false, "order": {"b": 1, "a": 2}})
        );
        let keys: Vec<&String> = value["order"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a"]);

        let tagged = write(
            &dir,
            "t.yaml",
            "title: !!python/object/apply:os.system [ls]\n",
        );
        let err = load_file(&tagged).unwrap_err().to_string();
        assert!(
            err.contains("t.yaml:1:8: invalid YAML: YAML tags are not allowed"),
            "{err}"
        );

        let txt = write(&dir, "x.txt", "{}");
        let err = load_file(&txt).unwrap_err().to_string();
        assert!(
            err.ends_with("x.txt: only files with json, yaml or yml extensions are supported"),
            "{err}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_positions_stay_those_an_editor_shows() {
        let dir = tempfile::tempdir().unwrap();
        let ok = write(&dir, "bom.json", "\u{feff}{\"title\": \"t\"}");
        assert_eq!(load_file(&ok).unwrap(), json!({"title": "t"}));
        let bad = write(&dir, "bad.json", "\u{feff}{oops}");
        let err = load_file(&bad).unwrap_err().to_string();
        assert!(
            err.ends_with("bad.json:1:2: invalid JSON: key must be a string"),
            "{err}"
        );
        let yaml = write(&dir, "bom.yaml", "\u{feff}title: t\n");
        assert_eq!(load_file(&yaml).unwrap(), json!({"title": "t"}));
    }

    const STRICT: FetchPolicy = FetchPolicy {
        verify_tls: true,
        allow_http: false,
    };

    #[test]
    fn plain_http_is_remote_unless_it_is_loopback() {
        let cases = [
            ("http://example.com/e.json", true),
            ("http://10.0.0.1:8080/e.json", true),
            ("http://0.0.0.0:8080/e.json", true),
            ("http://localhost.example.com/e.json", true),
            ("http://[::ffff:10.0.0.1]/e.json", true),
            ("https://example.com/e.json", false),
            ("http://127.0.0.1:8080/e.json", false),
            ("http://127.1.2.3/e.json", false),
            ("http://LOCALHOST:1/e.json", false),
            ("http://[::1]:8080/e.json", false),
        ];
        for (url, remote) in cases {
            let parsed = url::Url::parse(url).unwrap();
            assert_eq!(is_remote_http(&parsed), remote, "{url}");
        }
    }

    #[test]
    fn deep_json_is_refused_with_its_position() {
        let deep = format!("{{\"a\":\n{}{}}}", "[".repeat(200), "]".repeat(200));
        let err = parse_json(&deep, "e.json").unwrap_err().to_string();
        assert_eq!(
            err,
            "e.json:2:127: invalid JSON: arrays and objects nest deeper than 127 levels, the \
             most chaosrt reads"
        );
        let ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(parse_json(&ok, "e.json").is_ok());
    }

    #[test]
    fn missing_paths_and_other_schemes_use_ctk_wording() {
        let err = locate("/nonexistent/e.json", STRICT)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "Path \"/nonexistent/e.json\" does not exist.");
        let err = locate("ftp://example.com/e.json", STRICT)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "'ftp' is not a supported source scheme.");
        // TEST-NET-1: the refusal comes before anything could be contacted.
        let err = locate("http://192.0.2.1/e.json", STRICT).unwrap_err();
        assert!(matches!(err, LoadError::PlainHttp(_)), "{err}");
        assert_eq!(
            locate("http://127.0.0.1:1/e.json", STRICT).unwrap(),
            Location::Url("http://127.0.0.1:1/e.json")
        );
    }
}
