//! Errors: built as `syn::Error` on the user's spans, collected so independent mistakes are
//! reported together.

use proc_macro2::TokenStream;

/// Returns early with a `syn::Error` spanned on `$node`.
macro_rules! bail {
    ($node:expr, $($fmt:tt)*) => {
        return Err(syn::Error::new_spanned($node, format!($($fmt)*)))
    };
}
pub(crate) use bail;

/// Collects independent errors, so one expansion reports all of them.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    pub(crate) fn push_spanned(&mut self, node: impl quote::ToTokens, msg: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(node, msg));
    }

    pub(crate) fn take(&mut self) -> Option<syn::Error> {
        self.0.take()
    }

    pub(crate) fn into_result(mut self) -> syn::Result<()> {
        self.take().map_or(Ok(()), Err)
    }
}

/// `compile_error!(msg)` at the span of `node`: put in place of a misused expression so the
/// rest of the body still compiles and the mistake is reported once.
pub(crate) fn error_expr(node: impl quote::ToTokens, msg: impl std::fmt::Display) -> TokenStream {
    syn::Error::new_spanned(node, msg).into_compile_error()
}

/// The span of an item's keyword (`struct`, `fn`, ..), after its attributes and visibility:
/// where to point when `#[generator]` is on something it cannot turn into a generator.
pub(crate) fn item_keyword(item: TokenStream) -> proc_macro2::Span {
    let keyword = |input: syn::parse::ParseStream| {
        input.call(syn::Attribute::parse_outer)?;
        input.parse::<syn::Visibility>()?;
        let span = input.cursor().token_tree().map(|(tt, _)| tt.span());
        input.parse::<TokenStream>()?;
        Ok(span)
    };
    syn::parse::Parser::parse2(keyword, item)
        .ok()
        .flatten()
        .unwrap_or_else(proc_macro2::Span::call_site)
}
