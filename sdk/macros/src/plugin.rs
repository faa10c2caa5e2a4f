//! `plugin! { … }`: the plugin's name, version, description, capabilities and activities, written once,
//! become a `ChaosrtPlugin` type that implements `chaosrt_sdk::Plugin` and is exported as the
//! component's `chaosrt:plugin/plugin` interface (and `discovery`, when `discover` is given).

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Path, Token, bracketed};

/// The fields of `plugin!`, each at most once.
#[derive(Default)]
struct Input {
    name: Option<Expr>,
    version: Option<Expr>,
    description: Option<Expr>,
    capabilities: Option<Expr>,
    activities: Option<Vec<Path>>,
    discover: Option<Path>,
}

const FIELDS: &str =
    "`name`, `version`, `description`, `capabilities`, `activities` and `discover`";

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut fields = Input::default();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![:]>()?;
            let duplicate = || syn::Error::new(key.span(), format!("`{key}` is given twice"));
            match key.to_string().as_str() {
                "name" | "version" | "description" | "capabilities" => {
                    let expr: Expr = input.parse()?;
                    let slot = match key.to_string().as_str() {
                        "name" => &mut fields.name,
                        "version" => &mut fields.version,
                        "description" => &mut fields.description,
                        _ => &mut fields.capabilities,
                    };
                    if slot.replace(expr).is_some() {
                        return Err(duplicate());
                    }
                }
                "activities" => {
                    let content;
                    bracketed!(content in input);
                    let paths = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
                    if fields
                        .activities
                        .replace(paths.into_iter().collect())
                        .is_some()
                    {
                        return Err(duplicate());
                    }
                }
                "discover" => {
                    if fields.discover.replace(input.parse()?).is_some() {
                        return Err(duplicate());
                    }
                }
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown field `{key}`; the fields are {FIELDS}"),
                    ));
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(fields)
    }
}

pub fn expand(tokens: TokenStream) -> syn::Result<TokenStream> {
    let input: Input = syn::parse2(tokens)?;
    let Some(activities) = input.activities else {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "a plugin lists its activities: `activities: [my_probe, my_action]`, each a function \
             marked #[chaosrt_sdk::probe] or #[chaosrt_sdk::action]",
        ));
    };
    let text = |expr: Option<Expr>, default: TokenStream| match expr {
        Some(expr) => quote! { ::core::convert::Into::<::std::string::String>::into(#expr) },
        None => quote! { ::std::string::String::from(#default) },
    };
    let name = text(input.name, quote! { ::core::env!("CARGO_PKG_NAME") });
    let version = text(input.version, quote! { ::core::env!("CARGO_PKG_VERSION") });
    let description = text(
        input.description,
        quote! { ::core::env!("CARGO_PKG_DESCRIPTION") },
    );
    let capabilities = match input.capabilities {
        Some(expr) => quote! { ::core::iter::IntoIterator::into_iter(#expr).collect() },
        None => quote! { ::std::vec::Vec::new() },
    };

    // Two activities with one name would make the second unreachable; the host would refuse the
    // plugin at install. Refuse it at compile time instead, naming both.
    let mut distinct = Vec::new();
    for (i, first) in activities.iter().enumerate() {
        for second in &activities[i + 1..] {
            let message = format!(
                "the activities `{}` and `{}` have the same name",
                quote!(#first).to_string().replace(' ', ""),
                quote!(#second).to_string().replace(' ', "")
            );
            distinct.push(quote! {
                const _: () = ::core::assert!(
                    !::chaosrt_sdk::__private::same_name(#first::NAME, #second::NAME),
                    #message
                );
            });
        }
    }

    let (discover, export) = match &input.discover {
        Some(path) => (
            quote! {
                fn discover() -> ::core::result::Result<
                    ::std::vec::Vec<::chaosrt_sdk::Target>,
                    ::chaosrt_sdk::Error,
                > {
                    ::chaosrt_sdk::__private::discovered(#path())
                }
            },
            quote! { ::chaosrt_sdk::export_plugin!(ChaosrtPlugin, discovery); },
        ),
        None => (
            quote! {},
            quote! { ::chaosrt_sdk::export_plugin!(ChaosrtPlugin); },
        ),
    };

    Ok(quote! {
        /// The chaosrt plugin this crate builds, declared with `chaosrt_sdk::plugin!`: its metadata and
        /// the dispatch of a call to the activity it names.
        pub struct ChaosrtPlugin;

        impl ::chaosrt_sdk::Plugin for ChaosrtPlugin {
            fn metadata() -> ::chaosrt_sdk::Metadata {
                ::chaosrt_sdk::Metadata {
                    name: #name,
                    version: #version,
                    description: #description,
                    capabilities: #capabilities,
                    activities: ::std::vec![#( #activities::activity() ),*],
                }
            }

            fn invoke(
                activity: &str,
                arguments: ::chaosrt_sdk::Arguments,
            ) -> ::core::result::Result<::chaosrt_sdk::serde_json::Value, ::chaosrt_sdk::Error> {
                #(
                    if activity == #activities::NAME {
                        return #activities::invoke(&arguments);
                    }
                )*
                ::core::result::Result::Err(::chaosrt_sdk::Error::unknown_activity(activity))
            }

            #discover
        }

        #(#distinct)*

        #export
    })
}
