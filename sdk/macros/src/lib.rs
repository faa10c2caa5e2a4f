//! The macros of [`chaosrt-sdk`](https://docs.rs/chaosrt-sdk): `#[probe]`, `#[action]` and `plugin!`.
//!
//! Use them through `chaosrt-sdk`, which re-exports them and documents them with examples; the code
//! they expand to names `::chaosrt_sdk` paths, so a plugin depends on `chaosrt-sdk`, not on this crate.

mod activity;
mod plugin;

use proc_macro::TokenStream;

/// Makes a function a probe (an activity that observes the system and returns what it saw). See
/// `chaosrt_sdk::probe`.
#[proc_macro_attribute]
pub fn probe(attr: TokenStream, item: TokenStream) -> TokenStream {
    activity::expand(activity::Kind::Probe, attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Makes a function an action (an activity that disturbs the system). See `chaosrt_sdk::action`.
#[proc_macro_attribute]
pub fn action(attr: TokenStream, item: TokenStream) -> TokenStream {
    activity::expand(activity::Kind::Action, attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares the plugin: name, version, description, capabilities and activities. See
/// `chaosrt_sdk::plugin!`.
#[proc_macro]
pub fn plugin(input: TokenStream) -> TokenStream {
    plugin::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
