//! What `#[probe]`, `#[action]` and `plugin!` expand to, run on the host: the metadata read from
//! signatures and doc comments, argument parsing and defaults, errors, outputs and dispatch.

use chaosrt_sdk::serde_json::{Map, Value, json};
use chaosrt_sdk::{
    Activity, ActivityKind, Argument, ArgumentType, Arguments, Capability, Error, Json, Plugin,
    Target,
};

fn args(value: Value) -> Arguments {
    Arguments::from_json(&value.to_string()).unwrap()
}

fn invalid(message: &str) -> Error {
    Error::InvalidArguments(message.into())
}

/// Whether `/health` answers 200.
///
/// A second paragraph, wrapped
/// over two lines.
#[chaosrt_sdk::probe]
fn healthy(
    /// The path to check.
    #[default("/health")]
    path: String,
    /// Seconds to wait.
    timeout: Option<f64>,
    #[default(200)] expected: u16,
    /// The headers to send.
    headers: Option<Map<String, Value>>,
) -> Result<Value, Error> {
    Ok(json!({"path": path, "timeout": timeout, "expected": expected, "headers": headers}))
}

#[test]
fn metadata_comes_from_the_signature_and_doc_comments() {
    assert_eq!(healthy::NAME, "healthy");
    assert_eq!(
        healthy::activity(),
        Activity {
            name: "healthy".into(),
            kind: ActivityKind::Probe,
            description:
                "Whether `/health` answers 200.\n\nA second paragraph, wrapped over two lines."
                    .into(),
            arguments: vec![
                Argument {
                    name: "path".into(),
                    kind: ArgumentType::String,
                    required: false,
                    default: Some(json!("/health")),
                    description: "The path to check.".into(),
                },
                Argument {
                    name: "timeout".into(),
                    kind: ArgumentType::Number,
                    required: false,
                    default: None,
                    description: "Seconds to wait.".into(),
                },
                Argument {
                    name: "expected".into(),
                    kind: ArgumentType::Integer,
                    required: false,
                    default: Some(json!(200)),
                    description: String::new(),
                },
                Argument {
                    name: "headers".into(),
                    kind: ArgumentType::Object,
                    required: false,
                    default: None,
                    description: "The headers to send.".into(),
                },
            ],
        }
    );
}

#[test]
fn defaults_fill_in_absent_and_null_arguments() {
    let parsed = healthy::parse(&args(json!({"timeout": 1.5, "expected": null}))).unwrap();
    assert_eq!(parsed.path, "/health");
    assert_eq!(parsed.timeout, Some(1.5));
    assert_eq!(parsed.expected, 200);
    assert_eq!(parsed.headers, None);
    assert_eq!(
        healthy::invoke(&args(json!({"path": "/ready", "headers": {"a": "b"}}))).unwrap(),
        json!({"path": "/ready", "timeout": null, "expected": 200, "headers": {"a": "b"}})
    );
}

#[test]
fn mistyped_arguments_are_refused_naming_them() {
    assert_eq!(
        healthy::invoke(&args(json!({"path": 3}))).unwrap_err(),
        invalid("argument `path` must be a string, got a number `3`")
    );
    assert_eq!(
        healthy::invoke(&args(json!({"expected": 70000}))).unwrap_err(),
        invalid("argument `expected` must be an integer from 0 to 65535, got a number `70000`")
    );
    assert_eq!(
        healthy::invoke(&args(json!({"headers": []}))).unwrap_err(),
        invalid("argument `headers` must be an object, got a list `[]`")
    );
}

/// Move a file.
#[chaosrt_sdk::action]
fn r#move(src: String, dst: String) -> Result<(), Error> {
    if src == dst {
        Err(Error::failed(format!("{src} is {dst}")))
    } else {
        Ok(())
    }
}

#[test]
fn required_arguments_raw_names_and_actions() {
    let activity = r#move::activity();
    assert_eq!(activity.name, "move");
    assert_eq!(activity.kind, ActivityKind::Action);
    assert!(activity.arguments.iter().all(|a| a.required));
    assert_eq!(
        r#move::invoke(&args(json!({"src": "a"}))).unwrap_err(),
        invalid("missing required argument `dst` (a string)")
    );
    assert_eq!(
        r#move::invoke(&args(json!({"src": "a", "dst": null}))).unwrap_err(),
        invalid("missing required argument `dst` (a string)"),
        "null counts as absent"
    );
    assert_eq!(
        r#move::invoke(&args(json!({"src": "a", "dst": "b"}))).unwrap(),
        Value::Null,
        "() is null"
    );
    assert_eq!(
        r#move::invoke(&args(json!({"src": "a", "dst": "a"}))).unwrap_err(),
        Error::Failed("a is a".into())
    );
    assert_eq!(
        r#move("x".into(), "y".into()),
        Ok(()),
        "the function is unchanged"
    );
}

const SETTING: &str = "retries";

#[chaosrt_sdk::probe(name = "read-setting", description = format!("Reads `{SETTING}`."))]
fn setting(#[default(["a", "b"])] names: Vec<String>, r#type: Option<String>) -> Vec<String> {
    names.into_iter().chain(r#type).collect()
}

#[test]
fn names_and_descriptions_can_be_given_and_params_can_be_keywords() {
    let activity = setting::activity();
    assert_eq!(setting::NAME, "read-setting");
    assert_eq!(activity.name, "read-setting");
    assert_eq!(activity.description, "Reads `retries`.");
    assert_eq!(activity.arguments[0].kind, ArgumentType::List);
    assert_eq!(activity.arguments[1].name, "type");
    assert_eq!(
        setting::invoke(&args(json!({"type": "c"}))).unwrap(),
        json!(["a", "b", "c"])
    );
    assert_eq!(
        setting::invoke(&args(json!({"names": ["x", 1]}))).unwrap_err(),
        invalid("argument `names` item 1 must be a string, got a number `1`")
    );
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Endpoint {
    host: String,
    port: u16,
}

/// Echo an endpoint.
#[chaosrt_sdk::probe]
fn endpoint(target: Json<Endpoint>, extra: Value) -> Endpoint {
    let Json(mut target) = target;
    if let Some(port) = extra.as_u64() {
        target.port = port as u16;
    }
    target
}

#[test]
fn serde_arguments_and_outputs() {
    let activity = endpoint::activity();
    assert_eq!(activity.arguments[0].kind, ArgumentType::Any);
    assert!(
        activity.arguments[1].required,
        "a Value is required unless Option"
    );
    assert_eq!(
        endpoint::invoke(&args(
            json!({"target": {"host": "h", "port": 1}, "extra": 2})
        ))
        .unwrap(),
        json!({"host": "h", "port": 2})
    );
    assert_eq!(
        endpoint::invoke(&args(json!({"target": {"host": "h"}, "extra": 0}))).unwrap_err(),
        invalid("argument `target` does not fit: missing field `port`")
    );
}

mod checks {
    /// Always ready.
    #[chaosrt_sdk::probe]
    pub fn ready() -> bool {
        true
    }

    /// A private activity, listed from this module.
    #[chaosrt_sdk::probe]
    fn hidden() -> bool {
        false
    }

    pub mod inner {
        chaosrt_sdk::plugin! {
            name: "inner",
            activities: [super::hidden, crate::checks::ready],
        }
    }
}

#[test]
fn activities_are_listed_by_path() {
    let metadata = checks::inner::ChaosrtPlugin::metadata();
    let names: Vec<_> = metadata
        .activities
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["hidden", "ready"]);
    assert_eq!(
        checks::inner::ChaosrtPlugin::invoke("hidden", Arguments::default()).unwrap(),
        json!(false)
    );
}

mod plain {
    use super::*;

    chaosrt_sdk::plugin! {
        capabilities: [Capability::http_origin("http://localhost:8080"), Capability::read_only(".")],
        activities: [healthy, r#move, setting],
    }

    #[test]
    fn plugin_metadata_defaults_to_the_crate() {
        let metadata = ChaosrtPlugin::metadata();
        assert_eq!(metadata.name, env!("CARGO_PKG_NAME"));
        assert_eq!(metadata.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(metadata.description, env!("CARGO_PKG_DESCRIPTION"));
        assert_eq!(
            metadata.capabilities,
            vec![
                Capability::HttpOrigin("http://localhost:8080".into()),
                Capability::Filesystem {
                    path: ".".into(),
                    access: chaosrt_sdk::Access::ReadOnly
                },
            ]
        );
        let names: Vec<_> = metadata
            .activities
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["healthy", "move", "read-setting"]);
    }

    #[test]
    fn invoke_dispatches_by_name() {
        assert_eq!(
            ChaosrtPlugin::invoke("read-setting", Arguments::default()).unwrap(),
            json!(["a", "b"])
        );
        assert_eq!(
            ChaosrtPlugin::invoke("setting", Arguments::default()).unwrap_err(),
            Error::UnknownActivity("no activity named `setting` in this plugin".into()),
            "the activity's name, not the function's"
        );
        assert_eq!(
            ChaosrtPlugin::discover().unwrap(),
            vec![],
            "nothing to discover without `discover`"
        );
    }

    #[test]
    fn the_component_interface_speaks_json_text() {
        use chaosrt_sdk::__private::{invoke, wit};
        assert_eq!(
            invoke::<ChaosrtPlugin>("healthy".into(), r#"{"expected": 204}"#.into()).unwrap(),
            r#"{"path":"/health","timeout":null,"expected":204,"headers":null}"#
        );
        assert!(matches!(
            invoke::<ChaosrtPlugin>("healthy".into(), "[]".into()),
            Err(wit::Error::InvalidArguments(message))
                if message == "the arguments must be a JSON object, got a list `[]`"
        ));
        let metadata = chaosrt_sdk::__private::metadata::<ChaosrtPlugin>();
        let path = &metadata.activities[0].arguments[0];
        assert_eq!(
            path.default.as_deref(),
            Some(r#""/health""#),
            "defaults travel as JSON text"
        );
        assert!(matches!(
            metadata.capabilities[1],
            wit::Capability::Filesystem(wit::FilesystemAccess {
                access: wit::Access::ReadOnly,
                ..
            })
        ));
    }
}

mod discoverable {
    use super::*;

    fn services() -> Result<Vec<Target>, Error> {
        Ok(vec![
            Target::new("service", "checkout")
                .in_namespace("shop")
                .detail("replicas", 3),
        ])
    }

    chaosrt_sdk::plugin! {
        name: "services",
        version: "1.2.3",
        description: String::from("The shop's services."),
        activities: [healthy],
        discover: services,
    }

    #[test]
    fn discover_reports_targets() {
        let metadata = ChaosrtPlugin::metadata();
        assert_eq!(
            (metadata.name.as_str(), metadata.version.as_str()),
            ("services", "1.2.3")
        );
        assert_eq!(metadata.description, "The shop's services.");
        let targets = chaosrt_sdk::__private::discover::<ChaosrtPlugin>().unwrap();
        assert_eq!(targets[0].namespace.as_deref(), Some("shop"));
        assert_eq!(targets[0].details, r#"{"replicas":3}"#);
    }
}

/// Wrong default.
#[chaosrt_sdk::probe]
fn misdefaulted(#[default("three")] count: u8) -> u8 {
    count
}

#[test]
#[should_panic(expected = "the default of argument `count`, \"three\", does not fit its type")]
fn a_default_that_does_not_fit_is_reported_when_the_plugin_describes_itself() {
    misdefaulted::activity();
}

/// Ping.
#[chaosrt_sdk::probe(deny_unknown_arguments)]
fn ping(host: Option<String>) -> bool {
    host.is_some()
}

#[test]
fn unknown_arguments_are_refused_when_asked() {
    assert_eq!(
        ping::invoke(&args(json!({"host": "h", "port": 1}))).unwrap_err(),
        invalid("`ping` takes no argument `port`; it takes host")
    );
    assert_eq!(
        ping::invoke(&args(json!({"host": "h"}))).unwrap(),
        json!(true)
    );
    assert_eq!(
        healthy::invoke(&args(json!({"port": 1}))).unwrap()["path"],
        json!("/health"),
        "ignored otherwise"
    );
}
