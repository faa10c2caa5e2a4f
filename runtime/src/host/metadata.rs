//! What a plugin says about itself, in plain Rust types whatever contract version it was built for
//! (each version's bindings convert into these at the edge), and validated once here
//! ([`Metadata::checked`]): metadata is plugin text that reaches the consent prompt, directory names
//! and log lines, so names and versions must have a plain shape and every string is bounded before
//! anything shows it.

use super::policy::Capability;

/// The kind of an activity, as the plugin declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Probe,
    Action,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Probe => "probe",
            ActivityKind::Action => "action",
        }
    }
}

/// One argument of an activity.
#[derive(Debug, Clone)]
pub struct ArgumentSpec {
    pub name: String,
    pub type_name: &'static str,
    pub required: bool,
    pub default: Option<String>,
    pub description: String,
}

/// One activity a plugin offers.
#[derive(Debug, Clone)]
pub struct ActivitySpec {
    pub name: String,
    pub kind: ActivityKind,
    pub description: String,
    pub arguments: Vec<ArgumentSpec>,
}

/// What a plugin says about itself.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub description: String,
    pub capabilities: Vec<Capability>,
    pub activities: Vec<ActivitySpec>,
}

impl Metadata {
    pub fn activity(&self, name: &str) -> Option<&ActivitySpec> {
        self.activities.iter().find(|a| a.name == name)
    }
}

/// Bounds on what a plugin may say about itself: far beyond any honest plugin, small enough that a
/// prompt or a listing stays readable.
pub mod bounds {
    /// Plugin, activity and argument names, and versions.
    pub const NAME_CHARS: usize = 64;
    /// A plugin's, an activity's or an argument's description.
    pub const DESCRIPTION_CHARS: usize = 4096;
    /// Activities per plugin, arguments per activity, capabilities per plugin.
    pub const ACTIVITIES: usize = 512;
    pub const ARGUMENTS: usize = 64;
    pub const CAPABILITIES: usize = 64;
    /// An argument default (JSON text), an origin, a path, a Kubernetes resource or verb.
    pub const VALUE_BYTES: usize = 64 * 1024;
}

/// Why a plugin's metadata was refused: the field (`activities[2].name`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct BadMetadata {
    pub field: String,
    pub problem: String,
}

fn bad(field: impl Into<String>, problem: impl Into<String>) -> BadMetadata {
    BadMetadata {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Whether `name` may name a plugin (`[A-Za-z0-9][A-Za-z0-9_-]*`, at most 64 characters); the
/// error says why not. `plugin new` checks a name before a project is written with it.
pub fn check_plugin_name(name: &str) -> Result<(), BadMetadata> {
    check_name("the plugin name", name)
}

/// A plugin name: what `"plugin": NAME` says and what the store's directory is called.
fn check_name(field: &str, name: &str) -> Result<(), BadMetadata> {
    let ok = !name.is_empty()
        && name.len() <= bounds::NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(bad(
            field,
            format!(
                "'{}' is not a valid name: use 1 to {} ASCII letters, digits, '-' and '_', starting                  with a letter or digit",
                crate::escape::escape(&cut(name, bounds::NAME_CHARS)),
                bounds::NAME_CHARS
            ),
        ))
    }
}

/// An activity or argument name: what an experiment writes as `func` or an argument key (Python
/// identifiers, dotted module paths for CTK aliases).
fn check_identifier(field: &str, name: &str) -> Result<(), BadMetadata> {
    let ok = !name.is_empty()
        && name.len() <= bounds::NAME_CHARS * 2
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad(
            field,
            format!(
                "'{}' is not a valid name: use ASCII letters, digits, '_', '-' and '.', starting                  with a letter or '_'",
                crate::escape::escape(&cut(name, bounds::NAME_CHARS))
            ),
        ))
    }
}

/// A semantic version, `MAJOR.MINOR.PATCH` with optional `-pre` and `+build` parts.
pub fn is_semver(version: &str) -> bool {
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let number = |n: &&str| {
        !n.is_empty()
            && n.len() <= 20
            && n.bytes().all(|b| b.is_ascii_digit())
            && (n.len() == 1 || !n.starts_with('0'))
    };
    let label = |l: &str| {
        l.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    };
    version.len() <= bounds::NAME_CHARS
        && numbers.len() == 3
        && numbers.iter().all(number)
        && pre.is_none_or(label)
        && build.is_none_or(label)
}

fn check_text(field: &str, text: &str, max_chars: usize) -> Result<(), BadMetadata> {
    if text.chars().count() > max_chars {
        return Err(bad(field, format!("is longer than {max_chars} characters")));
    }
    Ok(())
}

/// The first `n` characters of `s`, for quoting a bad value without printing all of it.
fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

impl Metadata {
    /// Validates what a plugin said: the plugin's name and version, the number and length of
    /// everything else, unique activity and argument names, argument defaults that are JSON, and
    /// capabilities that say plainly what they are.
    pub fn checked(self) -> Result<Metadata, BadMetadata> {
        let m = self;
        check_name("name", &m.name)?;
        if !is_semver(&m.version) {
            return Err(bad(
                "version",
                format!(
                    "'{}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)",
                    crate::escape::escape(&cut(&m.version, bounds::NAME_CHARS))
                ),
            ));
        }
        check_text("description", &m.description, bounds::DESCRIPTION_CHARS)?;
        if m.capabilities.len() > bounds::CAPABILITIES {
            return Err(bad(
                "capabilities",
                format!("has more than {} entries", bounds::CAPABILITIES),
            ));
        }
        if m.activities.len() > bounds::ACTIVITIES {
            return Err(bad(
                "activities",
                format!("has more than {} entries", bounds::ACTIVITIES),
            ));
        }
        for (i, c) in m.capabilities.iter().enumerate() {
            check_capability(&format!("capabilities[{i}]"), c)?;
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in m.activities.iter().enumerate() {
            let at = format!("activities[{i}]");
            check_entry(&at, &a.name, &a.description, &mut seen, "offered")?;
            if a.arguments.len() > bounds::ARGUMENTS {
                return Err(bad(
                    format!("{at}.arguments"),
                    format!("has more than {} entries", bounds::ARGUMENTS),
                ));
            }
            let mut names = std::collections::HashSet::new();
            for (j, arg) in a.arguments.iter().enumerate() {
                let at = format!("{at}.arguments[{j}]");
                check_entry(&at, &arg.name, &arg.description, &mut names, "declared")?;
                if let Some(default) = &arg.default {
                    if default.len() > bounds::VALUE_BYTES {
                        return Err(bad(
                            format!("{at}.default"),
                            format!("is longer than {} bytes", bounds::VALUE_BYTES),
                        ));
                    }
                    if serde_json::from_str::<serde::de::IgnoredAny>(default).is_err() {
                        return Err(bad(format!("{at}.default"), "is not JSON text"));
                    }
                }
            }
        }
        Ok(m)
    }
}

/// An activity or an argument at `at`: a valid name, not `seen` before, a bounded description.
fn check_entry<'a>(
    at: &str,
    name: &'a str,
    description: &str,
    seen: &mut std::collections::HashSet<&'a str>,
    twice: &str,
) -> Result<(), BadMetadata> {
    check_identifier(&format!("{at}.name"), name)?;
    if !seen.insert(name) {
        return Err(bad(
            format!("{at}.name"),
            format!("'{name}' is {twice} twice"),
        ));
    }
    check_text(
        &format!("{at}.description"),
        description,
        bounds::DESCRIPTION_CHARS,
    )
}

/// Capabilities are shown to a person deciding whether to grant them: each must say plainly what it
/// is, with nothing in it a terminal would obey.
fn check_capability(field: &str, c: &Capability) -> Result<(), BadMetadata> {
    let plain = |what: &str, s: &str| {
        if s.is_empty() || s.len() > bounds::VALUE_BYTES || s.chars().any(crate::escape::is_unsafe)
        {
            Err(bad(
                format!("{field}.{what}"),
                format!(
                    "'{}' must be non-empty, at most {} bytes, without control characters",
                    crate::escape::escape(&cut(s, 200)),
                    bounds::VALUE_BYTES
                ),
            ))
        } else {
            Ok(())
        }
    };
    let list = |what: &str, items: &[String]| {
        if items.len() > bounds::CAPABILITIES {
            return Err(bad(
                format!("{field}.{what}"),
                format!("has more than {} entries", bounds::CAPABILITIES),
            ));
        }
        items.iter().try_for_each(|item| plain(what, item))
    };
    match c {
        Capability::HttpOrigin { origin } => {
            plain("http-origin", origin)?;
            if super::Origin::parse(origin).is_none() {
                return Err(bad(
                    format!("{field}.http-origin"),
                    format!(
                        "'{}' is not an origin (scheme://host[:port])",
                        crate::escape::escape(origin)
                    ),
                ));
            }
            Ok(())
        }
        Capability::HttpArgument { argument } => {
            plain("http-argument", argument)?;
            check_identifier(&format!("{field}.http-argument"), argument)
        }
        // The contract cannot express it; refused should a conversion ever produce it.
        Capability::HttpConfiguration { .. } => Err(bad(
            field.to_string(),
            "http-configuration is granted by the operator to Python bundles, never asked for",
        )),
        Capability::Filesystem { path, .. } => plain("path", path),
        Capability::Environment { name } => {
            plain("environment", name)?;
            let ok = name.len() <= bounds::NAME_CHARS * 2
                && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ok {
                Ok(())
            } else {
                Err(bad(
                    format!("{field}.environment"),
                    format!(
                        "'{}' is not an environment variable name (ASCII letters, digits and '_', \
                         not starting with a digit)",
                        crate::escape::escape(&cut(name, bounds::NAME_CHARS))
                    ),
                ))
            }
        }
        Capability::Kubernetes {
            namespaces,
            resources,
            verbs,
        } => {
            // An empty namespace names cluster-scoped resources, so only the other lists must be
            // non-empty strings.
            if namespaces.len() > bounds::CAPABILITIES {
                return Err(bad(
                    format!("{field}.namespaces"),
                    format!("has more than {} entries", bounds::CAPABILITIES),
                ));
            }
            if let Some(namespace) = namespaces
                .iter()
                .find(|n| n.len() > bounds::VALUE_BYTES || n.chars().any(crate::escape::is_unsafe))
            {
                return Err(bad(
                    format!("{field}.namespaces"),
                    format!(
                        "'{}' must be at most {} bytes, without control characters",
                        crate::escape::escape(&cut(namespace, 200)),
                        bounds::VALUE_BYTES
                    ),
                ));
            }
            list("resources", resources)?;
            list("verbs", verbs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::policy::Access;

    fn metadata() -> Metadata {
        Metadata {
            name: "probe-x_1".into(),
            version: "1.2.3-rc.1+build.5".into(),
            description: "Multi-line\ndescriptions are fine; they are printed escaped.".into(),
            capabilities: vec![
                Capability::HttpOrigin {
                    origin: "https://api.example.com".into(),
                },
                Capability::HttpArgument {
                    argument: "url".into(),
                },
                Capability::Environment {
                    name: "API_TOKEN".into(),
                },
            ],
            activities: vec![ActivitySpec {
                name: "os.path.exists".into(),
                kind: ActivityKind::Probe,
                description: "d".into(),
                arguments: vec![ArgumentSpec {
                    name: "path".into(),
                    type_name: "string",
                    required: false,
                    default: Some("\"x\"".into()),
                    description: "p".into(),
                }],
            }],
        }
    }

    #[test]
    fn well_formed_metadata_is_accepted() {
        let m = metadata().checked().unwrap();
        assert_eq!(
            (m.name.as_str(), m.version.as_str()),
            ("probe-x_1", "1.2.3-rc.1+build.5")
        );
    }

    #[test]
    fn malformed_metadata_is_refused_naming_the_field() {
        type Edit = fn(&mut Metadata);
        let cases: [(Edit, &str); 17] = [
            (
                |m| m.name = "evil\r\x1b[2K".into(),
                "name 'evil\\r\\x1b[2K' is not a valid name",
            ),
            (|m| m.name = "".into(), "name '' is not a valid name"),
            (|m| m.name = "-x".into(), "name '-x' is not a valid name"),
            (|m| m.name = "a".repeat(65), "is not a valid name"),
            (
                |m| m.version = "1.0".into(),
                "version '1.0' is not a semantic version",
            ),
            (|m| m.version = "01.0.0".into(), "is not a semantic version"),
            (
                |m| m.description = "x".repeat(5000),
                "description is longer than 4096 characters",
            ),
            (
                |m| m.activities.push(m.activities[0].clone()),
                "activities[1].name 'os.path.exists' is offered twice",
            ),
            (
                |m| m.activities[0].arguments[0].default = Some("not json".into()),
                "activities[0].arguments[0].default is not JSON text",
            ),
            (
                |m| {
                    m.capabilities = vec![Capability::HttpOrigin {
                        origin: "http://h/\x1b[2K".into(),
                    }]
                },
                "capabilities[0].http-origin 'http://h/\\x1b[2K' must be non-empty",
            ),
            (
                |m| {
                    m.capabilities = vec![Capability::HttpOrigin {
                        origin: "ftp://h".into(),
                    }]
                },
                "capabilities[0].http-origin 'ftp://h' is not an origin",
            ),
            (
                |m| m.capabilities = vec![Capability::HttpOrigin { origin: "*".into() }],
                "capabilities[0].http-origin '*' is not an origin",
            ),
            (
                |m| {
                    m.capabilities = vec![Capability::HttpArgument {
                        argument: "the url".into(),
                    }]
                },
                "capabilities[0].http-argument 'the url' is not a valid name",
            ),
            (
                |m| {
                    m.capabilities = vec![Capability::Filesystem {
                        path: "/\r  filesystem: ./data".into(),
                        access: Access::ReadWrite,
                    }]
                },
                "capabilities[0].path '/\\r  filesystem: ./data' must be non-empty",
            ),
            (
                |m| {
                    m.capabilities = vec![Capability::Environment {
                        name: "PATH=/evil".into(),
                    }]
                },
                "capabilities[0].environment 'PATH=/evil' is not an environment variable name",
            ),
            (
                |m| {
                    m.capabilities = vec![Capability::Kubernetes {
                        namespaces: vec!["default\n".into()],
                        resources: vec!["pods".into()],
                        verbs: vec!["list".into()],
                    }]
                },
                "capabilities[0].namespaces 'default\\n' must be at most",
            ),
            (
                |m| {
                    m.capabilities = vec![Capability::Kubernetes {
                        namespaces: vec!["".into()],
                        resources: vec!["pods".into()],
                        verbs: vec!["".into()],
                    }]
                },
                "capabilities[0].verbs '' must be non-empty",
            ),
        ];
        for (edit, expected) in cases {
            let mut m = metadata();
            edit(&mut m);
            let err = m.checked().unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
    }

    #[test]
    fn semantic_versions() {
        for ok in [
            "0.1.0",
            "10.20.30",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0+20130313144700",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1",
            "1.0",
            "1.0.0.0",
            "v1.0.0",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-a..b",
            "1.x.0",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
