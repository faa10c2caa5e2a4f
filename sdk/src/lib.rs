//! Write chaosrt plugins in Rust.
//!
//! A chaosrt plugin is a WebAssembly component that offers chaos-engineering activities: probes observe a
//! system, actions disturb it. The host asks a plugin what it offers once, then runs each activity call in
//! a fresh sandbox holding only the capabilities the operator granted. This crate hides the component
//! plumbing (the `chaosrt:plugin@0.2.0` WIT contract, JSON text in and out): an activity is a function,
//! and the plugin is one declaration.
//!
//! ```
//! use chaosrt_sdk::{Capability, Error, http};
//!
//! /// Whether the service's health endpoint answers 200.
//! #[chaosrt_sdk::probe]
//! fn healthy(
//!     /// The path to check.
//!     #[default("/health")]
//!     path: String,
//! ) -> Result<bool, Error> {
//!     let response = http::get(format!("http://localhost:8080{path}"))?;
//!     Ok(response.status == 200)
//! }
//!
//! chaosrt_sdk::plugin! {
//!     description: "Checks a service's health endpoint.",
//!     capabilities: [Capability::http_origin("http://localhost:8080")],
//!     activities: [healthy],
//! }
//! # fn main() {}
//! ```
//!
//! Build it as a `cdylib` for `wasm32-wasip2`; the result is a component chaosrt installs. Outbound
//! HTTP goes through [`http`] (standard `wasi:http`, checked by the host against the plugin's grants),
//! files through `std::fs` inside the directories the host preopened, and [`log`] writes into the run's
//! log. What the host tells a call (configuration, secrets, deadline) is in [`context`].
//!
//! # Activities
//!
//! [`#[probe]`](probe) and [`#[action]`](action) read everything the host is told from the function:
//!
//! - the activity's name is the function's (`r#move` is `move`), or `#[probe(name = "…")]`;
//! - its description is the doc comment, or `#[probe(description = expression)]`;
//! - each parameter is an argument of that name, described by its own doc comment. Its type says the
//!   argument's JSON type and how the experiment's value is converted: any [`ArgumentValue`] (`String`,
//!   `bool`, integers, `f64`, `Vec<T>`, maps, [`serde_json::Value`], [`Json<T>`] for your own serde
//!   types). `Option<T>` makes it optional; `#[default(json)]` gives it a default, written as
//!   `serde_json::json!` reads it (`#[default("/health")]`, `#[default(3)]`, `#[default(["a"])]`).
//!   A missing or mistyped argument never reaches the function: the call fails with
//!   [`Error::InvalidArguments`] naming the argument. Arguments the function does not take are
//!   ignored, unless `#[probe(deny_unknown_arguments)]`;
//! - it returns anything `serde::Serialize` (its output, `()` for none), or a `Result` of that with an
//!   error that converts into [`Error`] (`?` on an [`http::HttpError`] works).
//!
//! Beside the function the macro generates a module of the same name holding the activity's metadata
//! ([`activity()`](Activity)), its typed `Arguments`, `parse` and `invoke`: what [`plugin!`] uses, and
//! what a unit test can call on the host:
//!
//! ```
//! use chaosrt_sdk::{Arguments, Error};
//!
//! /// Says hello.
//! #[chaosrt_sdk::probe]
//! fn greet(
//!     /// Who to greet.
//!     name: String,
//!     #[default(1)] times: u8,
//! ) -> String {
//!     format!("hello, {name}").repeat(times.into())
//! }
//!
//! # fn main() {
//! let activity = greet::activity();
//! assert_eq!(activity.description, "Says hello.");
//! assert_eq!(activity.arguments[0].description, "Who to greet.");
//!
//! let args = Arguments::from_json(r#"{"name": "you"}"#).unwrap();
//! assert_eq!(greet::parse(&args).unwrap().times, 1);
//! assert_eq!(greet::invoke(&args).unwrap(), "hello, you");
//!
//! let wrong = Arguments::from_json(r#"{"name": 7}"#).unwrap();
//! assert_eq!(
//!     greet::invoke(&wrong).unwrap_err(),
//!     Error::InvalidArguments("argument `name` must be a string, got a number `7`".into())
//! );
//! # }
//! ```
//!
//! Activities are functions at module level (not in an `impl`, not inside another function), and
//! the types in their signatures are named as they would be beside the function, except that
//! `super::` paths do not work (write `crate::…`).
//!
//! # The plugin
//!
//! [`plugin!`] declares the rest once: `name` and `version` (default: the crate's), `description`
//! (default: the crate's), `capabilities` and `activities`; with `discover: function` the plugin also
//! exports `discovery`, the targets it could act on. It defines `ChaosrtPlugin`, which implements
//! [`Plugin`], and exports it as the component's interface. A plugin whose activities are only known
//! at run time implements [`Plugin`] itself and calls [`export_plugin!`].

mod args;
pub mod context;
pub mod http;
pub mod kubernetes;
pub mod log;
mod types;
mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

use __private::bindings;

pub use args::Arguments;
/// Re-exported for [`Json`] arguments and serialized outputs of a plugin's own types.
pub use serde;
/// Re-exported so plugins build their outputs with the same `serde_json` the SDK parses arguments with.
pub use serde_json;
pub use types::{
    Access, Activity, ActivityKind, Argument, ArgumentType, Capability, Error, Metadata, Target,
};
pub use value::{ArgumentValue, FromArgument, Json, must_be};

/// Makes a function a **probe**: an activity that observes the system and returns what it saw.
///
/// See [the crate documentation](crate#activities) for what is read from the function. Options:
/// `#[probe(name = "other-name", description = expression, deny_unknown_arguments)]`; the last
/// refuses a call with an argument the function does not take (as Python refuses an unexpected
/// keyword argument) instead of ignoring it.
///
/// Signatures it cannot serve are refused at compile time, pointing at the part to change:
///
/// ```compile_fail
/// #[chaosrt_sdk::probe]
/// fn borrowed(path: &str) -> bool { path.is_empty() } // arguments are owned: `String`
/// # fn main() {}
/// ```
///
/// ```compile_fail
/// #[chaosrt_sdk::probe]
/// async fn later() -> bool { true } // an activity is one blocking call
/// # fn main() {}
/// ```
///
/// ```compile_fail
/// #[chaosrt_sdk::probe]
/// fn optional(#[default(3)] n: Option<u8>) -> bool { n.is_some() } // `Option` has no default
/// # fn main() {}
/// ```
pub use chaosrt_sdk_macros::probe;

/// Makes a function an **action**: an activity that disturbs the system. Options and rules are those
/// of [`probe`].
///
/// ```
/// use chaosrt_sdk::Error;
///
/// /// Writes `text` to `path`, below the run's working directory.
/// #[chaosrt_sdk::action(name = "write-file")]
/// fn write(path: String, text: String) -> Result<(), Error> {
///     std::fs::write(&path, text).map_err(|err| Error::failed(format!("{path}: {err}")))
/// }
/// # fn main() { assert_eq!(write::NAME, "write-file"); }
/// ```
pub use chaosrt_sdk_macros::action;

/// Declares the plugin and exports it: the component's `metadata` and `invoke` (and `discover`).
///
/// ```
/// use chaosrt_sdk::{Capability, Error, Plugin, Target};
///
/// /// Whether `name` is one of the services.
/// #[chaosrt_sdk::probe]
/// fn known(name: String) -> bool {
///     name == "checkout"
/// }
///
/// fn services() -> Result<Vec<Target>, Error> {
///     Ok(vec![Target::new("service", "checkout")])
/// }
///
/// chaosrt_sdk::plugin! {
///     name: "services",                    // default: the crate's name
///     version: "1.0.0",                    // default: the crate's version
///     description: "The shop's services.", // default: the crate's description
///     capabilities: [Capability::read_only(".")],
///     activities: [known],
///     discover: services,                  // optional: also export `discovery`
/// }
///
/// # fn main() {
/// let metadata = ChaosrtPlugin::metadata();
/// assert_eq!(metadata.activities[0].name, "known");
/// assert_eq!(ChaosrtPlugin::discover().unwrap()[0].name, "checkout");
/// # }
/// ```
///
/// Two activities with the same name are refused at compile time:
///
/// ```compile_fail
/// #[chaosrt_sdk::probe]
/// fn a() -> bool { true }
/// #[chaosrt_sdk::probe(name = "a")]
/// fn b() -> bool { false }
/// chaosrt_sdk::plugin! { activities: [a, b] }
/// # fn main() {}
/// ```
pub use chaosrt_sdk_macros::plugin;

use serde_json::Value;

/// A chaosrt plugin: what it offers, and how it runs one activity. [`plugin!`] implements it; implement
/// it by hand only when the activities are not known until run time, and export it with
/// [`export_plugin!`].
pub trait Plugin {
    /// Describes the plugin: name, version, requested capabilities and activities.
    ///
    /// The host calls this before it grants anything, so it must not do I/O.
    fn metadata() -> Metadata;

    /// Runs the activity named `activity` and returns its output (`Value::Null` when there is nothing
    /// to return). The output becomes the activity's `output` in the journal.
    fn invoke(activity: &str, arguments: Arguments) -> Result<Value, Error>;

    /// The targets the plugin could act on, for `chaosrt discover`. Called only when the plugin is
    /// exported with `export_plugin!(Type, discovery)`; runs with the plugin's grants, like an activity.
    fn discover() -> Result<Vec<Target>, Error> {
        Ok(Vec::new())
    }
}

/// Exports a [`Plugin`] as the component's `chaosrt:plugin/plugin` interface (world `chaosrt-plugin`),
/// or with `, discovery` also as its `discovery` interface (world `chaosrt-discoverable-plugin`).
///
/// Once per plugin crate, at the top level: `chaosrt_sdk::export_plugin!(MyPlugin);`. [`plugin!`]
/// calls it for you. It exports only when building for `wasm32`, so the crate's unit tests build and
/// run on the host.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ident) => {
        $crate::export_plugin!(@host $plugin);
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            impl $crate::__private::bindings::plugin::exports::chaosrt::plugin::plugin::Guest
                for $plugin
            {
                fn metadata() -> $crate::__private::wit::PluginMetadata {
                    $crate::__private::metadata::<$plugin>()
                }

                fn invoke(
                    activity: ::std::string::String,
                    arguments: ::std::string::String,
                ) -> ::core::result::Result<::std::string::String, $crate::__private::wit::Error> {
                    $crate::__private::invoke::<$plugin>(activity, arguments)
                }
            }

            $crate::__private::bindings::plugin::export!(
                $plugin with_types_in $crate::__private::bindings::plugin
            );
        };
    };
    // A discoverable plugin: everything a plain one exports, and `discovery` too.
    ($plugin:ident, discovery) => {
        $crate::export_plugin!($plugin);
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            impl $crate::__private::bindings::discovery::exports::chaosrt::plugin::discovery::Guest
                for $plugin
            {
                fn discover() -> ::core::result::Result<
                    ::std::vec::Vec<$crate::__private::wit::Target>,
                    $crate::__private::wit::Error,
                > {
                    $crate::__private::discover::<$plugin>()
                }
            }

            $crate::__private::bindings::discovery::export!(
                $plugin with_types_in $crate::__private::bindings::discovery
            );
        };
    };
    // On the host, where nothing is exported, the plugin is still in use (for its unit tests).
    (@host $plugin:ident) => {
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            #[allow(dead_code)]
            fn exported() -> impl ::core::any::Any {
                (
                    <$plugin as $crate::Plugin>::metadata,
                    <$plugin as $crate::Plugin>::invoke,
                    <$plugin as $crate::Plugin>::discover,
                )
            }
        };
    };
}
