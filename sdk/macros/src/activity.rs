//! `#[probe]` and `#[action]`: a function becomes an activity whose name, description and arguments
//! are read from its signature and doc comments.
//!
//! For `fn healthy(path: String) -> Result<bool, Error>` the expansion is the function itself, unchanged
//! but for the attributes it consumed, and beside it a module of the same name (modules and functions
//! live in different namespaces):
//!
//! ```text
//! mod healthy {
//!     pub use self::__chaosrt_scope::__ChaosrtArguments as Arguments; // the typed arguments
//!     pub const NAME: &str = "healthy";
//!     pub fn activity() -> chaosrt_sdk::Activity { … }   // metadata
//!     pub fn parse(&chaosrt_sdk::Arguments) -> Result<Arguments, Error> { … }
//!     pub fn invoke(&chaosrt_sdk::Arguments) -> Result<Value, Error> { … }
//!     mod __chaosrt_scope { use super::super::*; … }  // where the user's tokens are resolved
//! }
//! ```
//!
//! Every token taken from the user's code (argument types, defaults, descriptions) is placed in
//! `__chaosrt_scope`, which glob-imports the function's own module and defines only `__chaosrt`-prefixed
//! names, so those tokens mean what they mean beside the function. The logic (type mapping, defaults,
//! error messages) is in `chaosrt_sdk::__private`, ordinary code that is tested on the host.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{
    Attribute, Expr, FnArg, Ident, ItemFn, LitStr, Meta, Pat, ReturnType, Type, Visibility, parse2,
};

/// Which attribute was used.
#[derive(Clone, Copy)]
pub enum Kind {
    Probe,
    Action,
}

impl Kind {
    fn variant(self) -> Ident {
        Ident::new(
            match self {
                Kind::Probe => "Probe",
                Kind::Action => "Action",
            },
            Span::call_site(),
        )
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Probe => "probe",
            Kind::Action => "action",
        }
    }
}

/// `#[probe(name = "…", description = …)]`.
#[derive(Default)]
struct Options {
    name: Option<LitStr>,
    description: Option<Expr>,
    /// Refuse arguments the function does not take, as Python refuses an unexpected keyword.
    deny_unknown_arguments: bool,
}

fn parse_options(attr: TokenStream) -> syn::Result<Options> {
    let mut options = Options::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            let name: LitStr = meta.value()?.parse()?;
            check_activity_name(&name)?;
            options.name = Some(name);
            Ok(())
        } else if meta.path.is_ident("description") {
            options.description = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("deny_unknown_arguments") {
            options.deny_unknown_arguments = true;
            Ok(())
        } else {
            Err(meta.error(
                "unknown option; the options are `name = \"…\"` (the name experiments use, when it \
                 is not the function's), `description = …` (instead of the doc comment) and \
                 `deny_unknown_arguments` (refuse arguments the function does not take)",
            ))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(options)
}

/// What an experiment can write as `func`: the host accepts Python identifiers and dotted names.
fn check_activity_name(name: &LitStr) -> syn::Result<()> {
    let text = name.value();
    let ok = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(syn::Error::new(
            name.span(),
            "an activity name starts with a letter or `_` and holds only ASCII letters, digits, \
             `_`, `-` and `.`",
        ))
    }
}

/// One argument of the activity: a parameter of the function.
struct Param {
    ident: Ident,
    ty: Type,
    /// The name in the experiment's `arguments`.
    name: String,
    description: TokenStream,
    /// The tokens of `#[default(…)]`, JSON as `serde_json::json!` reads it.
    default: Option<TokenStream>,
}

pub fn expand(kind: Kind, attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = parse_options(attr)?;
    let mut function: ItemFn = parse2(item).map_err(|err| {
        syn::Error::new(
            err.span(),
            format!("#[{}] goes on a function: {err}", kind.word()),
        )
    })?;
    check_signature(kind, &function)?;

    let mut params = Vec::new();
    let mut errors: Option<syn::Error> = None;
    for input in &mut function.sig.inputs {
        match param(input) {
            Ok(param) => params.push(param),
            Err(err) => match &mut errors {
                Some(all) => all.combine(err),
                None => errors = Some(err),
            },
        }
    }
    if let Some(errors) = errors {
        return Err(errors);
    }
    let fallible = fallible_output(&function.sig.output)?;

    let fn_ident = function.sig.ident.clone();
    let name = match &options.name {
        Some(name) => name.value(),
        None => fn_ident.unraw().to_string(),
    };
    let description = match &options.description {
        Some(expr) => quote! { ::core::convert::Into::<::std::string::String>::into(#expr) },
        None => doc_text(&function.attrs),
    };
    let variant = kind.variant();
    let vis = &function.vis;
    let idents: Vec<&Ident> = params.iter().map(|p| &p.ident).collect();
    let types: Vec<&Type> = params.iter().map(|p| &p.ty).collect();
    let names: Vec<&String> = params.iter().map(|p| &p.name).collect();
    let descriptions: Vec<&TokenStream> = params.iter().map(|p| &p.description).collect();
    let defaults: Vec<TokenStream> = params
        .iter()
        .map(|p| match &p.default {
            Some(tokens) => quote! {
                ::core::option::Option::Some(::chaosrt_sdk::serde_json::json!(#tokens))
            },
            None => quote! { ::core::option::Option::None },
        })
        .collect();
    let field_docs = params.iter().map(|p| {
        let doc = format!("The argument `{}`.", p.name);
        quote! { #[doc = #doc] }
    });
    let output = if fallible {
        quote! { ::chaosrt_sdk::__private::output_result }
    } else {
        quote! { ::chaosrt_sdk::__private::output }
    };
    let module_doc = format!(
        "The {} `{name}` as chaosrt sees it: its metadata, its arguments parsed from JSON, and a \
         call from JSON arguments (generated by `#[chaosrt_sdk::{}]` on the function `{fn_ident}`).",
        kind.word(),
        kind.word(),
    );
    let arguments_doc = format!("The arguments of `{name}`, typed.");
    let deny_unknown = options.deny_unknown_arguments.then(|| {
        quote! {
            ::chaosrt_sdk::__private::deny_unknown(__chaosrt_arguments, #name, &[#(#names),*])?;
        }
    });

    Ok(quote! {
        #[allow(clippy::too_many_arguments)]
        #function

        #[doc = #module_doc]
        #[allow(dead_code)]
        #vis mod #fn_ident {
            #[doc = #arguments_doc]
            pub use self::__chaosrt_scope::__ChaosrtArguments as Arguments;

            /// The name experiments call it by (`func`).
            pub const NAME: &str = #name;

            /// What the host is told about it: name, kind, description and arguments.
            pub fn activity() -> ::chaosrt_sdk::Activity {
                __chaosrt_scope::__chaosrt_activity()
            }

            /// Its arguments, converted from the JSON an experiment gave (defaults filled in); a missing
            /// or mistyped argument is `Error::InvalidArguments` naming it.
            pub fn parse(
                arguments: &::chaosrt_sdk::Arguments,
            ) -> ::core::result::Result<Arguments, ::chaosrt_sdk::Error> {
                __chaosrt_scope::__chaosrt_parse(arguments)
            }

            /// Parses `arguments`, runs the function and returns its output as JSON.
            pub fn invoke(
                arguments: &::chaosrt_sdk::Arguments,
            ) -> ::core::result::Result<::chaosrt_sdk::serde_json::Value, ::chaosrt_sdk::Error> {
                __chaosrt_scope::__chaosrt_invoke(arguments)
            }

            #[doc(hidden)]
            mod __chaosrt_scope {
                #[allow(unused_imports)]
                use super::super::*;

                pub struct __ChaosrtArguments {
                    #( #field_docs pub #idents: #types, )*
                }

                pub fn __chaosrt_activity() -> ::chaosrt_sdk::Activity {
                    ::chaosrt_sdk::Activity {
                        name: ::std::string::String::from(#name),
                        kind: ::chaosrt_sdk::ActivityKind::#variant,
                        description: #description,
                        arguments: ::std::vec![#(
                            ::chaosrt_sdk::__private::argument::<#types>(#names, #descriptions, #defaults)
                        ),*],
                    }
                }

                pub fn __chaosrt_parse(
                    __chaosrt_arguments: &::chaosrt_sdk::Arguments,
                ) -> ::core::result::Result<__ChaosrtArguments, ::chaosrt_sdk::Error> {
                    #deny_unknown
                    ::core::result::Result::Ok(__ChaosrtArguments {
                        #( #idents: ::chaosrt_sdk::__private::parse::<#types>(
                            __chaosrt_arguments, #names, #defaults,
                        )?, )*
                    })
                }

                pub fn __chaosrt_invoke(
                    __chaosrt_arguments: &::chaosrt_sdk::Arguments,
                ) -> ::core::result::Result<::chaosrt_sdk::serde_json::Value, ::chaosrt_sdk::Error> {
                    let __ChaosrtArguments { #(#idents),* } = __chaosrt_parse(__chaosrt_arguments)?;
                    #output(#fn_ident(#(#idents),*))
                }
            }
        }
    })
}

/// Refuses what an activity cannot be, pointing at the offending part of the signature.
fn check_signature(kind: Kind, function: &ItemFn) -> syn::Result<()> {
    let sig = &function.sig;
    let word = kind.word();
    let refuse = |tokens: &dyn ToTokens, why: &str| {
        Err(syn::Error::new_spanned(
            tokens,
            format!("a #[{word}] function {why}"),
        ))
    };
    if let Some(token) = &sig.asyncness {
        return refuse(
            token,
            "cannot be `async`: an activity is one blocking call (the SDK's http client blocks)",
        );
    }
    if let Some(token) = &sig.unsafety {
        return refuse(
            token,
            "cannot be `unsafe`: the host calls it with any arguments",
        );
    }
    if let Some(abi) = &sig.abi {
        return refuse(abi, "cannot declare an ABI");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return refuse(
            &sig.generics,
            "cannot be generic: each argument needs one concrete type the host can be told about",
        );
    }
    if let Some(variadic) = &sig.variadic {
        return refuse(variadic, "cannot be variadic");
    }
    if let Visibility::Restricted(restricted) = &function.vis
        && restricted.in_token.is_some()
    {
        return refuse(
            &function.vis,
            "cannot use `pub(in path)`: use `pub`, `pub(crate)` or no visibility",
        );
    }
    Ok(())
}

/// One parameter: a plain name and an owned type, with its `#[doc]` and `#[default]` attributes taken
/// off (the compiler would refuse them on a parameter).
fn param(input: &mut FnArg) -> syn::Result<Param> {
    let typed = match input {
        FnArg::Receiver(receiver) => {
            return Err(syn::Error::new_spanned(
                receiver,
                "an activity is a free function: it takes no `self`",
            ));
        }
        FnArg::Typed(typed) => typed,
    };
    let ident = match &*typed.pat {
        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "an activity's parameter is a plain name: it names the argument in the experiment",
            ));
        }
    };
    match &*typed.ty {
        Type::Reference(reference) => {
            return Err(syn::Error::new_spanned(
                reference,
                "an activity takes its arguments by value: use an owned type (`String` rather than \
                 `&str`)",
            ));
        }
        Type::ImplTrait(_) | Type::Infer(_) | Type::Never(_) | Type::TraitObject(_) => {
            return Err(syn::Error::new_spanned(
                &typed.ty,
                "an activity's parameter needs a concrete type that implements \
                 `chaosrt_sdk::ArgumentValue` (String, bool, integers, f64, Vec, maps, Value, \
                 Json<T>), or `Option` of one",
            ));
        }
        _ => {}
    }

    let mut default = None;
    let mut docs = Vec::new();
    let mut kept = Vec::new();
    for attr in typed.attrs.drain(..) {
        if attr.path().is_ident("default") {
            if default.is_some() {
                return Err(syn::Error::new_spanned(
                    &attr,
                    "one #[default(…)] per argument",
                ));
            }
            let list = match &attr.meta {
                Meta::List(list) if !list.tokens.is_empty() => list.tokens.clone(),
                _ => {
                    return Err(syn::Error::new_spanned(
                        &attr,
                        "write the default as JSON (or any expression `serde_json::json!` takes): \
                         #[default(\"/health\")], #[default(3)], #[default([\"a\", \"b\"])]",
                    ));
                }
            };
            if is_option(&typed.ty) {
                return Err(syn::Error::new_spanned(
                    &attr,
                    "an `Option` argument has no default: it is `None` when absent; give a default \
                     to a plain type instead (`path: String` with #[default(\"/health\")])",
                ));
            }
            default = Some(list);
        } else if attr.path().is_ident("doc") {
            docs.push(attr);
        } else {
            kept.push(attr);
        }
    }
    typed.attrs = kept;

    Ok(Param {
        name: ident.unraw().to_string(),
        ident,
        ty: (*typed.ty).clone(),
        description: doc_text(&docs),
        default,
    })
}

trait Unraw {
    fn unraw(&self) -> Ident;
}

impl Unraw for Ident {
    /// `r#type` → `type`.
    fn unraw(&self) -> Ident {
        let text = self.to_string();
        match text.strip_prefix("r#") {
            Some(bare) => Ident::new(bare, self.span()),
            None => self.clone(),
        }
    }
}

/// The text of the `#[doc]` attributes (doc comments) among `attrs`, joined at run time by
/// `chaosrt_sdk::__private::doc` (a `#[doc = include_str!(…)]` is only text once compiled).
fn doc_text(attrs: &[Attribute]) -> TokenStream {
    let lines = attrs.iter().filter_map(|attr| match &attr.meta {
        Meta::NameValue(pair) if pair.path.is_ident("doc") => Some(&pair.value),
        _ => None,
    });
    quote! { ::chaosrt_sdk::__private::doc(&[#(#lines),*]) }
}

/// Whether the function returns a `Result` (its error converted with `Into<chaosrt_sdk::Error>`) or a
/// plain value. Decided by the type's last path segment, as written: a type alias of `Result` under
/// another name counts as a plain value.
fn fallible_output(output: &ReturnType) -> syn::Result<bool> {
    let ty = match output {
        ReturnType::Default => return Ok(false),
        ReturnType::Type(_, ty) => ty,
    };
    match &**ty {
        Type::ImplTrait(_) | Type::Infer(_) | Type::TraitObject(_) => Err(syn::Error::new_spanned(
            ty,
            "an activity returns a concrete type that implements `serde::Serialize`, or \
             `Result` of one with an error that converts into `chaosrt_sdk::Error`",
        )),
        Type::Path(path) => Ok(path.qself.is_none()
            && path
                .path
                .segments
                .last()
                .is_some_and(|segment| segment.ident == "Result")),
        _ => Ok(false),
    }
}

/// `Option<…>` as written (last path segment), to refuse a default on it.
fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|segment| segment.ident == "Option"))
}
