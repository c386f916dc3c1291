//! Expansion: a checked generator (from `#[generator]` or `coroutine!`) becomes a call that
//! wraps its rewritten body in an `async move` block.
//!
//! ```text
//! #[generator(yield = u64)]                    fn fib(limit: u64)
//! fn fib(limit: u64) -> &'static str {   ==>     -> Gen<u64, (), impl Body<u64, (), Output = &'static str>> {
//!     ..yield_!(a)..                             boxed(move |mut co, _first| async move {
//! }                                                  ..{ let v = a; Co::yield_(&mut co, v).await }..
//!                                                })
//!                                            }
//! ```

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::visit_mut::VisitMut;
use syn::{ItemFn, ReturnType};

use crate::model::{is_result, Coroutine, CoroutineBody, GeneratorFn};
use crate::rewrite::Rewriter;

/// The four kinds of generator, by the type the expansion returns.
#[derive(Clone, Copy)]
pub(crate) struct Kind {
    pub(crate) is_async: bool,
    pub(crate) pinned: bool,
}

impl Kind {
    /// The generator type, with `body` as its body type.
    fn wrapper(
        self,
        krate: &TokenStream,
        y: &TokenStream,
        r: &TokenStream,
        body: TokenStream,
    ) -> TokenStream {
        match (self.is_async, self.pinned) {
            (false, false) => quote!(#krate::__private::Gen<#y, #r, #body>),
            (false, true) => quote!(#krate::PinnedGen<#y, #r, #body>),
            (true, false) => quote!(#krate::__private::AsyncGen<#y, #body, #r>),
            (true, true) => quote!(#krate::PinnedAsyncGen<#y, #body, #r>),
        }
    }

    /// The expression that makes the generator: the body `closure` marked with what the
    /// macro knows of it (the type arguments it knows, what becomes of its first resume
    /// argument, its `name`, whether it delegates), wrapped in the generator type. The name is
    /// carried by a type defined beside it, so it costs nothing at run time.
    #[allow(clippy::too_many_arguments)]
    fn construct(
        self,
        krate: &TokenStream,
        y: &TokenStream,
        r: &TokenStream,
        ret: &TokenStream,
        first: First,
        name: TokenStream,
        delegates: bool,
        closure: TokenStream,
    ) -> TokenStream {
        let wrapper = match (self.is_async, self.pinned) {
            (false, false) => quote!(#krate::__private::Gen),
            (false, true) => quote!(#krate::PinnedGen),
            (true, false) => quote!(#krate::__private::AsyncGen),
            (true, true) => quote!(#krate::PinnedAsyncGen),
        };
        let first = first.policy(krate);
        let name_ty = Ident::new("__ResumableName", Span::mixed_site());
        quote! {{
            struct #name_ty;
            impl #krate::__private::Name for #name_ty {
                const NAME: &'static str = #name;
            }
            #wrapper::new(#krate::__private::body::<#y, #r, #ret, _, _, #first, #name_ty, #delegates>(
                #closure
            ))
        }}
    }
}

/// What becomes of a body's first resume argument (see `resumable::__private::First`).
#[derive(Clone, Copy)]
pub(crate) enum First {
    /// No `resume` key: it is `()` (or `Ok(())`), nothing to lose.
    Drops,
    /// `resume = T`: a value sent before `start()` is refused.
    Refuses,
    /// `resume = T, throw = E`: an `Err` completes the generator, an `Ok` is refused.
    Throws,
    /// A closure-form `coroutine!(|x| ..)`: it binds `x`.
    Binds,
}

impl First {
    fn policy(self, krate: &TokenStream) -> TokenStream {
        match self {
            First::Drops => quote!(#krate::__private::DropsFirst),
            First::Refuses => quote!(#krate::__private::RefusesFirst),
            First::Throws => quote!(#krate::__private::ThrowsFirst),
            First::Binds => quote!(#krate::__private::BindsFirst),
        }
    }
}

/// The body closure: `move |mut co: Co<Y, R>, first: Option<R>| async move { prologue; body }`.
fn body_closure(
    krate: &TokenStream,
    co: &Ident,
    y: &TokenStream,
    r: &TokenStream,
    first: TokenStream,
    prologue: TokenStream,
    body: TokenStream,
) -> TokenStream {
    // A generator may return a future: the lint against an `async` block whose output is one
    // is about code that forgot an `.await`, which this is not.
    let closure = Ident::new("__body", Span::mixed_site());
    quote! {{
        #[allow(clippy::async_yields_async)]
        let #closure = move |mut #co: #krate::__private::Co<#y, #r>, #first: ::core::option::Option<#r>| async move {
            let _ = &mut #co;
            #[allow(unused_imports)]
            use #krate::__private::{ViaAsync as _, ViaLoop as _, ViaShared as _};
            #prologue
            #body
        };
        #closure
    }}
}

/// `#[generator(..)] fn`: the function keeps its name, attributes, visibility and generics, and
/// returns the generator instead of running the body.
pub(crate) fn generator_fn(checked: GeneratorFn) -> TokenStream {
    let GeneratorFn {
        mut item,
        krate,
        yield_ty,
        resume_ty,
        throw_ty,
        kind,
    } = checked;
    let co = Ident::new("__co", Span::mixed_site());
    let first = Ident::new("__first", Span::mixed_site());

    let mut rewriter = Rewriter::new(&co, &krate);
    rewriter.is_async = kind.is_async;
    rewriter.throws = throw_ty.is_some();
    rewriter.unit_resume = resume_ty.is_none();
    rewriter.returns_unit = kind.is_async && matches!(item.sig.output, ReturnType::Default);
    // Returned values coerce to the declared type (`Box<dyn Trait>`, say); `()` and
    // `impl Trait` need no coercion site.
    let coerce_to = match &item.sig.output {
        ReturnType::Type(_, ty) if !mentions_impl(&item.sig.output) => Some(ty.to_token_stream()),
        _ => None,
    };
    rewriter.ret.clone_from(&coerce_to);
    let without_value = ends_without_value(&item.block.stmts);
    rewriter.visit_block_mut(&mut item.block);

    // The output types may elide lifetimes the inputs now name: fill them in the same way.
    let (mut yield_ty, mut resume_ty, mut throw_ty) = (yield_ty, resume_ty, throw_ty);
    let named = crate::lifetimes::name_elided(&mut item.sig);
    if let Some(lifetime) = &named.output {
        let outputs = [Some(&mut yield_ty), resume_ty.as_mut(), throw_ty.as_mut()];
        for ty in outputs.into_iter().flatten() {
            crate::lifetimes::fill_elided(ty, lifetime);
        }
        if let ReturnType::Type(_, ty) = &mut item.sig.output {
            crate::lifetimes::fill_elided(ty, lifetime);
        }
    }
    let lifetimes = &named.all;
    let captures = if lifetimes.is_empty() {
        TokenStream::new()
    } else {
        quote!(+ #krate::__private::Captures<(#(&#lifetimes (),)*)>)
    };
    let y = yield_ty.to_token_stream();
    let r = match (&resume_ty, &throw_ty) {
        (None, None) => quote!(()),
        (Some(r), None) => r.to_token_stream(),
        (r, Some(e)) => {
            let r = r
                .as_ref()
                .map_or_else(|| quote!(()), ToTokens::to_token_stream);
            quote!(::core::result::Result<#r, #e>)
        }
    };
    let ret = match &item.sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    };

    // Thrown into before the body runs, an error completes the generator with it.
    let (first_param, prologue) = match &throw_ty {
        Some(_) => {
            // Generated code, spanned as such, so lints on the user's code do not see it.
            let prologue = quote_spanned! {Span::mixed_site()=>
                if let ::core::option::Option::Some(::core::result::Result::Err(__err)) = #first {
                    return ::core::result::Result::Err(::core::convert::From::from(__err));
                }
            };
            (first.to_token_stream(), prologue)
        }
        None => (quote!(_), TokenStream::new()),
    };

    // The body's future is named as an opaque type of its own, so its auto traits (`Send`,
    // `Sync`) show through; as a projection of the body type they would be hidden.
    let future = if mentions_impl(&item.sig.output) {
        TokenStream::new()
    } else {
        quote!(, Future = impl ::core::future::Future<Output = #ret> #captures)
    };
    // A function's body never binds its first argument: it can be `start()`ed.
    let body_ty = quote! {
        impl #krate::__private::Body<#y, #r, Output = #ret #future> + #krate::Starts<#y, #r> #captures
    };
    let wrapper = kind.wrapper(&krate, &y, &r, body_ty);
    let ret_arg = if mentions_impl(&item.sig.output) {
        quote!(_)
    } else {
        ret.clone()
    };
    let first_arg = match (&resume_ty, &throw_ty) {
        (None, _) => First::Drops,
        (Some(_), None) => First::Refuses,
        (Some(_), Some(_)) => First::Throws,
    };
    let name = item.sig.ident.to_string();
    if let (Some(ret), Some(syn::Stmt::Expr(tail, None))) =
        (&coerce_to, item.block.stmts.last_mut())
    {
        // The tail coerces like a `return` (see `Rewriter::ret`). A loop or a macro call
        // (`panic!`, `unreachable!`) is left alone: it usually diverges, and the call would be
        // unreachable code.
        if !matches!(
            tail,
            syn::Expr::Loop(_) | syn::Expr::Macro(_) | syn::Expr::While(_)
        ) {
            let value = std::mem::replace(tail, syn::Expr::Verbatim(TokenStream::new()));
            *tail = syn::Expr::Verbatim(quote!(#krate::__private::ret::<#ret>(#value)));
        }
    }
    if let Some(ret) = coerce_to.as_ref().filter(|_| without_value) {
        // A body declared `-> T` that surely ends without a value gets a tail that is `()`
        // if `T` is, else an error at its closing brace that says so (rustc's is about the
        // `async` block, twice, at the attribute).
        let span = item.block.brace_token.span.close();
        let ret = crate::rewrite::located(ret.clone(), span);
        let check = quote_spanned!(span=> <() as #krate::__private::NoValue<#ret>>::get(()));
        item.block
            .stmts
            .push(syn::Stmt::Expr(syn::Expr::Verbatim(check), None));
    }
    let stmts = &item.block.stmts;
    let closure = body_closure(
        &krate,
        &co,
        &y,
        &r,
        first_param,
        prologue,
        quote!(#(#stmts)*),
    );

    let make = kind.construct(
        &krate,
        &y,
        &r,
        &ret_arg,
        first_arg,
        quote!(#name),
        rewriter.delegates,
        closure,
    );

    item.sig.asyncness = None;
    item.sig.output = syn::parse_quote!(-> #wrapper);
    let ItemFn {
        attrs, vis, sig, ..
    } = &item;
    // `Starts` implies `Body`; both are written so the type reads as a body in messages.
    quote! {
        #(#attrs)*
        #[allow(clippy::implied_bounds_in_impls)]
        #vis #sig {
            #make
        }
    }
}

/// `coroutine!(..)`: an expression that makes the generator.
pub(crate) fn coroutine(co_input: Coroutine) -> TokenStream {
    let Coroutine {
        krate,
        pinned,
        body,
    } = co_input;
    let co = Ident::new("__co", Span::mixed_site());
    let first = Ident::new("__first", Span::mixed_site());
    let mut rewriter = Rewriter::new(&co, &krate);
    rewriter.native_yield = true;
    let infer = quote!(_);
    let is_async = matches!(body, CoroutineBody::Async(_));
    match body {
        // `coroutine! { .. }` and `coroutine!(async { .. })`: Resume is `()`, the rest is
        // inferred; only the kind of generator differs.
        CoroutineBody::Block(mut block) | CoroutineBody::Async(mut block) => {
            rewriter.is_async = is_async;
            rewriter.unit_resume = true;
            rewriter.visit_block_mut(&mut block);
            let stmts = &block.stmts;
            let unit = quote!(());
            let closure = body_closure(
                &krate,
                &co,
                &infer,
                &unit,
                quote!(_),
                TokenStream::new(),
                quote!(#(#stmts)*),
            );
            // An async generator returns `()` unless declared otherwise (only the closure
            // form can say so): its items are what it yields.
            let ret = if is_async { &unit } else { &infer };
            Kind { is_async, pinned }.construct(
                &krate,
                &infer,
                &unit,
                ret,
                First::Drops,
                coroutine_name(),
                rewriter.delegates,
                closure,
            )
        }
        CoroutineBody::Closure {
            is_async,
            arg,
            arg_ty,
            ret,
            mut body,
        } => {
            rewriter.is_async = is_async;
            rewriter.throws = arg_ty.as_ref().is_some_and(is_result);
            rewriter.unit_resume = arg.is_none();
            rewriter.visit_expr_mut(&mut body);
            let r = arg_ty
                .as_ref()
                .map_or_else(|| quote!(_), ToTokens::to_token_stream);
            let (first_param, prologue) = match &arg {
                Some(pat) => {
                    let ann = arg_ty.as_ref().map(|ty| quote!(: #ty));
                    (
                        first.to_token_stream(),
                        quote!(let #pat #ann = #krate::__private::first_arg(#first);),
                    )
                }
                None => (quote!(_), TokenStream::new()),
            };
            let r = if arg.is_none() { quote!(()) } else { r };
            let ret = match ret {
                Some(ty) => ty.into_token_stream(),
                // See the block form.
                None if is_async => quote!(()),
                None => infer.clone(),
            };
            let kind = Kind { is_async, pinned };
            let closure = body_closure(
                &krate,
                &co,
                &infer,
                &r,
                first_param,
                prologue,
                body.into_token_stream(),
            );
            // A body that binds its first argument says so, so `start()` can refuse it.
            let first_arg = if arg.is_none() {
                First::Drops
            } else {
                First::Binds
            };
            kind.construct(
                &krate,
                &infer,
                &r,
                &ret,
                first_arg,
                coroutine_name(),
                rewriter.delegates,
                closure,
            )
        }
    }
}

/// The name of a `coroutine!`, for `Debug`: where it is.
fn coroutine_name() -> TokenStream {
    quote!(::core::concat!(
        "coroutine at ",
        ::core::file!(),
        ":",
        ::core::line!(),
        ":",
        ::core::column!()
    ))
}

/// Whether a body surely ends without a value: it is empty, or its last statement is a `let`,
/// an item, a yield or an assignment (anything else may diverge: `std::process::exit(1);`).
fn ends_without_value(stmts: &[syn::Stmt]) -> bool {
    let is_yield = |mac: &syn::Macro| {
        mac.path
            .segments
            .last()
            .is_some_and(|s| s.ident == "yield_" || s.ident == "yield_from")
    };
    match stmts.last() {
        None | Some(syn::Stmt::Local(_) | syn::Stmt::Item(_)) => true,
        Some(syn::Stmt::Macro(m)) => is_yield(&m.mac),
        Some(syn::Stmt::Expr(expr, Some(_))) => match expr {
            syn::Expr::Macro(m) => is_yield(&m.mac),
            syn::Expr::Assign(_) => true,
            syn::Expr::Binary(b) => !matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)),
            _ => false,
        },
        Some(syn::Stmt::Expr(_, None)) => false,
    }
}

/// Whether a return type contains `impl Trait`, which cannot be a turbofish argument.
fn mentions_impl(output: &ReturnType) -> bool {
    output
        .to_token_stream()
        .into_iter()
        .any(|tt| matches!(tt, proc_macro2::TokenTree::Ident(i) if i == "impl"))
}

/// The original function with its body replaced, beside the errors: one mistake gives one
/// error, and uses of the function elsewhere still resolve.
pub(crate) fn with_errors(errors: syn::Error, item: Option<ItemFn>) -> TokenStream {
    let errors = errors.into_compile_error();
    let Some(item) = item else { return errors };
    let ItemFn {
        attrs, vis, sig, ..
    } = &item;
    quote! {
        #errors
        #(#attrs)*
        #[allow(unused_variables, unreachable_code, clippy::unused_self)]
        #vis #sig {
            ::core::unreachable!()
        }
    }
}
