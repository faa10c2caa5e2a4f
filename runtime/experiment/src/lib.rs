//! Experiments as data: load (a JSON or YAML file or URL, with file:line:column on syntax errors) →
//! validate (every error at once, each with a JSON pointer) → a typed [`Experiment`] → resolve its
//! configuration and secrets with the operator's vars. Plus what the engine applies while running:
//! `${…}` substitution and tolerances. Nothing here runs an activity.
//!
//! A crate of its own so the layering is Cargo's to enforce: it depends on no wasmtime, no async
//! runtime, no HTTP client and nothing of the host, builds in seconds and can be fuzzed
//! (`fuzz/`). Fetching an experiment by URL is the embedder's: [`locate`] says what a source
//! is and may be, [`parse_body`] reads the response.
//!
//! Chaos Toolkit's behaviour is the reference throughout; where it is Python's (string formatting,
//! comparisons, YAML 1.1, `re`, `jsonpath2`), the modules below reproduce Python's rules.

mod aliases;
mod config;
mod jsonpath;
mod load;
mod model;
mod python;
mod python_regex;
mod substitute;
mod tolerance;
mod validate;
mod yaml;

pub use aliases::{ALIASES, Alias, Returns, find as find_alias};
pub use config::{Resolved, VarFileError, Vars, load_var_file, parse_var, resolve, secret_strings};
pub use load::{
    BEARER_TOKEN_VAR, FetchPolicy, LoadError, Loaded, Location, MAX_FETCHED_BYTES, is_remote_http,
    load_file, locate, parse_body, parse_json, parse_yaml,
};
pub use model::*;
pub use python::{py_float_repr, py_str, py_truthy};
pub use substitute::{
    Scope, ShellTaint, Source, Taint, Tainted, referenced_outputs, substitute, substitute_shell,
    substitute_trusted, tainted, unknown_names,
};
pub use tolerance::{Tolerance, ToleranceError};
pub use validate::{Invalid, PythonServed, ValidationError, validate, validate_with};
pub use yaml::{MAX_COPIED_BYTES, MAX_COPIED_VALUES, MAX_DEPTH};
