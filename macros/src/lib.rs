//! The proc macros of [`resumable`](https://docs.rs/resumable). Not for direct use: depend on
//! `resumable`, which re-exports them.
//!
//! The pipeline reads parse → check → rewrite → expand:
//! - `args`: the keys of `#[generator(..)]`;
//! - `model`: the function or `coroutine!` input, checked against them;
//! - `rewrite`: each yield in the body becomes an `.await` on the generator's channel;
//! - `expand`: the body is wrapped in an `async move` block and handed to the generator type.
#![forbid(unsafe_code)]

mod args;
mod error;
mod expand;
mod lifetimes;
mod model;
mod rewrite;

use proc_macro::TokenStream;

/// Turns a function into a generator: `#[generator(yield = T, resume = R, throw = E, pinned)]`.
/// See the `resumable` crate for the guide.
#[proc_macro_attribute]
pub fn generator(args: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::ItemFn = match syn::parse(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            // A trait's required method: the trait declares what it returns instead.
            if let Ok(method) = syn::parse::<syn::TraitItemFn>(item.clone()) {
                let args = syn::parse::<args::Args>(args).ok();
                let mut out = model::bodiless(args.as_ref(), &method).into_compile_error();
                out.extend(proc_macro2::TokenStream::from(item));
                return out.into();
            }
            let err = syn::Error::new(
                error::item_keyword(item.clone().into()),
                "#[generator] applies to functions and methods that have a body",
            );
            let mut out = err.into_compile_error();
            out.extend(proc_macro2::TokenStream::from(item));
            return out.into();
        }
    };
    let mut item = item;
    let stripped = model::strip_qualifiers(&mut item.sig);
    // The original function is kept for the error path: reported beside the errors, it lets
    // the rest of the crate resolve its name.
    let checked = syn::parse::<args::Args>(args)
        .and_then(|args| model::GeneratorFn::check(args, item.clone()));
    let mut out = stripped.map_or_else(proc_macro2::TokenStream::new, |e| e.into_compile_error());
    out.extend(match checked {
        Ok(checked) => expand::generator_fn(checked),
        Err(err) => expand::with_errors(err, Some(item)),
    });
    out.into()
}

/// The implementation of `resumable::coroutine!`, which passes its `$crate` path first.
#[doc(hidden)]
#[proc_macro]
pub fn coroutine_impl(input: TokenStream) -> TokenStream {
    syn::parse::<model::Coroutine>(input)
        .map(expand::coroutine)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
