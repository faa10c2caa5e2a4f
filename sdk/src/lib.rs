//! Write chaosrt plugins in Rust.
//!
//! A chaosrt plugin is a WebAssembly component that offers chaos-engineering activities: probes observe a
//! system, actions disturb it. The host asks a plugin for its [`Metadata`] once and then calls
//! [`Plugin::invoke`] once per activity run, each time in a fresh sandbox that holds only the capabilities
//! the operator granted. This crate hides the component plumbing (the `chaosrt:plugin@0.1.0` WIT contract,
//! JSON text in and out) behind one trait and one macro:
//!
//! ```no_run
//! use chaosrt_sdk::{Activity, Arguments, ArgumentSpec, ArgumentType, Context, Error, Metadata, Plugin};
//! use chaosrt_sdk::serde_json::{Value, json};
//!
//! struct Greeter;
//!
//! impl Plugin for Greeter {
//!     fn metadata() -> Metadata {
//!         Metadata {
//!             name: "greeter".into(),
//!             version: env!("CARGO_PKG_VERSION").into(),
//!             description: "Says hello.".into(),
//!             capabilities: vec![],
//!             activities: vec![Activity::probe(
//!                 "greet",
//!                 "Returns a greeting.",
//!                 vec![ArgumentSpec::required("name", ArgumentType::String, "Who to greet.")],
//!             )],
//!         }
//!     }
//!
//!     fn invoke(activity: &str, args: Arguments, _ctx: &Context) -> Result<Value, Error> {
//!         match activity {
//!             "greet" => Ok(json!(format!("hello, {}", args.required_str("name")?))),
//!             other => Err(Error::unknown_activity(other)),
//!         }
//!     }
//! }
//!
//! chaosrt_sdk::export_plugin!(Greeter);
//! ```
//!
//! Build it as a `cdylib` for `wasm32-wasip2`; the result is a component the host can load. Outbound HTTP
//! goes through [`http`] (standard `wasi:http`, checked by the host against the plugin's grants), files
//! through `std::fs` inside the directories the host preopened, and [`log`] writes into the run's log.

mod args;
mod describe;
pub mod http;
pub mod log;

/// The bindings `wit-bindgen` generates for the `chaosrt-plugin` world in `wit/`.
///
/// Public because [`export_plugin!`] expands to code in the plugin's crate that names these paths; plugin
/// authors normally use the re-exports at the crate root instead.
#[allow(unsafe_code)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/deps/chaosrt-plugin@0.1.0",
        world: "chaosrt-plugin",
        pub_export_macro: true,
        default_bindings_module: "chaosrt_sdk::bindings",
        export_macro_name: "export",
        additional_derives: [PartialEq],
    });
}

pub use args::Arguments;
pub use bindings::chaosrt::plugin::types::{
    Activity, ActivityKind, ArgumentSpec, ArgumentType, Capability, Error, FilesystemAccess,
    KubernetesAccess, PluginMetadata as Metadata,
};
/// Re-exported so plugins build their outputs with the same `serde_json` the SDK parses arguments with.
pub use serde_json;

use serde_json::{Map, Value};

/// A chaosrt plugin: what it offers, and how it runs one activity.
///
/// Implement it on a unit struct and hand that struct to [`export_plugin!`].
pub trait Plugin {
    /// Describes the plugin: name, version, requested capabilities and activities.
    ///
    /// The host calls this before it grants anything, so it must not do I/O.
    fn metadata() -> Metadata;

    /// Runs the activity named `activity` and returns its output (`Value::Null` when there is nothing to
    /// return). The output becomes the activity's `output` in the journal.
    fn invoke(activity: &str, args: Arguments, ctx: &Context) -> Result<Value, Error>;
}

/// What an activity call knows about the experiment that runs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// The experiment's resolved `configuration` object.
    pub configuration: Map<String, Value>,
    /// The secrets the activity's provider was given, as `{scope: {key: value}}`.
    pub secrets: Map<String, Value>,
}

impl Context {
    /// Parses the context the host sends as JSON text. Empty text means an empty object, so a host that
    /// has nothing to pass need not spell `{}`.
    fn from_wit(context: bindings::chaosrt::plugin::types::Context) -> Result<Self, Error> {
        Ok(Self {
            configuration: json_object(&context.configuration, "the context's configuration")?,
            secrets: json_object(&context.secrets, "the context's secrets")?,
        })
    }

    /// The secret `key` in `scope`, when the provider was given it as a string.
    pub fn secret(&self, scope: &str, key: &str) -> Option<&str> {
        self.secrets.get(scope)?.get(key)?.as_str()
    }
}

/// Parses `text` as a JSON object; `what` names it in the error.
fn json_object(text: &str, what: &str) -> Result<Map<String, Value>, Error> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::InvalidArguments(format!(
            "{what} must be a JSON object, got {}",
            args::describe_value(&other)
        ))),
        Err(err) => Err(Error::InvalidArguments(format!(
            "{what} is not valid JSON: {err}"
        ))),
    }
}

impl Error {
    /// The error for an activity name the plugin does not offer.
    pub fn unknown_activity(activity: &str) -> Self {
        Self::UnknownActivity(format!("no activity named `{activity}` in this plugin"))
    }

    /// An activity that ran and failed (Chaos Toolkit's `ActivityFailed`).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// An operation the host refused because the capability was not granted.
    pub fn denied(message: impl Into<String>) -> Self {
        Self::Denied(message.into())
    }

    /// Arguments that do not fit the activity.
    pub fn invalid_arguments(message: impl Into<String>) -> Self {
        Self::InvalidArguments(message.into())
    }
}

/// Support for [`export_plugin!`]: kept as ordinary functions so the macro expansion in the plugin's
/// crate stays a thin shim. Not a stable API.
#[doc(hidden)]
pub mod __private {
    use super::{Arguments, Context, Error, Plugin, bindings};

    /// Decodes the call, runs it and encodes the output as JSON text.
    pub fn invoke<P: Plugin>(
        activity: String,
        arguments: String,
        context: bindings::chaosrt::plugin::types::Context,
    ) -> Result<String, Error> {
        let args = Arguments::from_json(&arguments)?;
        let ctx = Context::from_wit(context)?;
        let output = P::invoke(&activity, args, &ctx)?;
        Ok(output.to_string())
    }
}

/// Exports a [`Plugin`] implementation as the component's `chaosrt:plugin/plugin` interface.
///
/// Use it once per plugin crate, at the top level, with the name of the type that implements
/// [`Plugin`]: `chaosrt_sdk::export_plugin!(MyPlugin);`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ident) => {
        impl $crate::bindings::exports::chaosrt::plugin::plugin::Guest for $plugin {
            fn metadata() -> $crate::Metadata {
                <$plugin as $crate::Plugin>::metadata()
            }

            fn invoke(
                activity: ::std::string::String,
                arguments: ::std::string::String,
                context: $crate::bindings::chaosrt::plugin::types::Context,
            ) -> ::core::result::Result<::std::string::String, $crate::Error> {
                $crate::__private::invoke::<$plugin>(activity, arguments, context)
            }
        }

        $crate::bindings::export!($plugin with_types_in $crate::bindings);
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wit_context(
        configuration: &str,
        secrets: &str,
    ) -> bindings::chaosrt::plugin::types::Context {
        bindings::chaosrt::plugin::types::Context {
            configuration: configuration.into(),
            secrets: secrets.into(),
        }
    }

    #[test]
    fn context_parses_objects_and_treats_empty_text_as_empty() {
        let ctx = Context::from_wit(wit_context(r#"{"a": 1}"#, "")).unwrap();
        assert_eq!(ctx.configuration.get("a"), Some(&json!(1)));
        assert!(ctx.secrets.is_empty());
    }

    #[test]
    fn context_rejects_non_objects() {
        let err = Context::from_wit(wit_context("[1]", "{}")).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidArguments(
                "the context's configuration must be a JSON object, got a list `[1]`".into()
            )
        );
    }

    #[test]
    fn secret_looks_up_scope_then_key() {
        let ctx = Context::from_wit(wit_context("{}", r#"{"k8s": {"token": "t"}}"#)).unwrap();
        assert_eq!(ctx.secret("k8s", "token"), Some("t"));
        assert_eq!(ctx.secret("k8s", "other"), None);
        assert_eq!(ctx.secret("other", "token"), None);
    }

    struct Echo;

    impl Plugin for Echo {
        fn metadata() -> Metadata {
            unreachable!("not used by the test")
        }

        fn invoke(activity: &str, args: Arguments, _ctx: &Context) -> Result<Value, Error> {
            match activity {
                "echo" => Ok(Value::Object(args.into_map())),
                other => Err(Error::unknown_activity(other)),
            }
        }
    }

    #[test]
    fn invoke_round_trips_json_text() {
        let out = __private::invoke::<Echo>(
            "echo".into(),
            r#"{"x": [1, 2]}"#.into(),
            wit_context("", ""),
        );
        assert_eq!(out.unwrap(), r#"{"x":[1,2]}"#);
    }

    #[test]
    fn invoke_rejects_non_object_arguments() {
        let out = __private::invoke::<Echo>("echo".into(), "3".into(), wit_context("", ""));
        assert_eq!(
            out.unwrap_err(),
            Error::InvalidArguments("the arguments must be a JSON object, got a number `3`".into())
        );
    }

    #[test]
    fn invoke_reports_unknown_activities() {
        let out = __private::invoke::<Echo>("nope".into(), "{}".into(), wit_context("", ""));
        assert_eq!(
            out.unwrap_err(),
            Error::UnknownActivity("no activity named `nope` in this plugin".into())
        );
    }
}
