//! The arguments of `#[generator(...)]`: `yield = T`, `resume = T`, `throw = E`, `pinned`,
//! `crate = path`.

use syn::parse::{Parse, ParseStream};
use syn::{Path, Token, Type};

use crate::error::Errors;

mod kw {
    syn::custom_keyword!(resume);
    syn::custom_keyword!(throw);
    syn::custom_keyword!(pinned);
}

const VALID: &str = "`yield = T`, `resume = T`, `throw = E`, `pinned` and `crate = path`";

/// One `key = value` (or bare `pinned`), with the key's tokens kept for error spans.
pub(crate) struct Key<T> {
    pub(crate) key: proc_macro2::TokenStream,
    pub(crate) value: T,
}

#[derive(Default)]
pub(crate) struct Args {
    pub(crate) yield_ty: Option<Key<Type>>,
    pub(crate) resume_ty: Option<Key<Type>>,
    pub(crate) throw_ty: Option<Key<Type>>,
    pub(crate) pinned: Option<Key<()>>,
    pub(crate) krate: Option<Key<Path>>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        let mut errors = Errors::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![yield]) {
                let key: Token![yield] = input.parse()?;
                set(&mut args.yield_ty, key, "yield", input, &mut errors)?;
            } else if lookahead.peek(kw::resume) {
                let key: kw::resume = input.parse()?;
                set(&mut args.resume_ty, key, "resume", input, &mut errors)?;
            } else if lookahead.peek(kw::throw) {
                let key: kw::throw = input.parse()?;
                set(&mut args.throw_ty, key, "throw", input, &mut errors)?;
            } else if lookahead.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                expect_eq(&key, "crate", "crate = ::resumable", input)?;
                let path = input.call(Path::parse_mod_style)?;
                store(&mut args.krate, key, path, "crate", &mut errors);
            } else if lookahead.peek(kw::pinned) {
                let key: kw::pinned = input.parse()?;
                if input.peek(Token![=]) {
                    let eq: Token![=] = input.parse()?;
                    let value = skip_value(input)?;
                    errors.push_spanned(
                        quote::quote!(#eq #value),
                        "`pinned` takes no value: write `#[generator(yield = T, pinned)]`",
                    );
                }
                store(&mut args.pinned, key, (), "pinned", &mut errors);
            } else if input.peek(syn::Ident) || input.peek(syn::Lit) {
                let unknown: proc_macro2::TokenTree = input.parse()?;
                errors.push_spanned(
                    &unknown,
                    format!("unknown key `{unknown}`; the keys are {VALID}"),
                );
                if input.parse::<Option<Token![=]>>()?.is_some() {
                    let _: proc_macro2::TokenStream = skip_value(input)?;
                }
            } else {
                return Err(lookahead.error());
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        errors.into_result()?;
        Ok(args)
    }
}

fn expect_eq(
    key: &impl quote::ToTokens,
    name: &str,
    example: &str,
    input: ParseStream,
) -> syn::Result<Token![=]> {
    if input.peek(Token![=]) {
        input.parse()
    } else {
        Err(syn::Error::new_spanned(
            key,
            format!("expected `=` after `{name}`: write `{example}`"),
        ))
    }
}

fn set<K: quote::ToTokens>(
    slot: &mut Option<Key<Type>>,
    key: K,
    name: &str,
    input: ParseStream,
    errors: &mut Errors,
) -> syn::Result<()> {
    let example = match name {
        "yield" => "yield = u32",
        "resume" => "resume = u32",
        _ => "throw = MyError",
    };
    expect_eq(&key, name, example, input)?;
    let ty: Type = input.parse()?;
    store(slot, key, ty, name, errors);
    Ok(())
}

fn store<K: quote::ToTokens, T>(
    slot: &mut Option<Key<T>>,
    key: K,
    value: T,
    name: &str,
    errors: &mut Errors,
) {
    let key = key.into_token_stream();
    if slot.is_some() {
        errors.push_spanned(&key, format!("duplicate `{name}` key"));
    } else {
        *slot = Some(Key { key, value });
    }
}

fn skip_value(input: ParseStream) -> syn::Result<proc_macro2::TokenStream> {
    input.step(|cursor| {
        let mut rest = *cursor;
        let mut out = proc_macro2::TokenStream::new();
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            out.extend([tt]);
            rest = next;
        }
        Ok((out, rest))
    })
}
