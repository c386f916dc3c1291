//! Parse and check: what the user wrote, validated, with their syn nodes kept so every error
//! points at the code that caused it.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Block, Expr, ItemFn, Pat, ReturnType, Token, Type};

use crate::args::Args;
use crate::error::{bail, Errors};
use crate::expand::Kind;

/// A checked `#[generator(..)] fn`.
pub(crate) struct GeneratorFn {
    pub(crate) item: ItemFn,
    pub(crate) krate: TokenStream,
    pub(crate) yield_ty: Type,
    pub(crate) resume_ty: Option<Type>,
    pub(crate) throw_ty: Option<Type>,
    pub(crate) kind: Kind,
}

impl GeneratorFn {
    /// Checks the arguments against the function they are on; reports every mistake at once.
    pub(crate) fn check(args: Args, item: ItemFn) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let sig = &item.sig;
        let is_async = sig.asyncness.is_some();
        if args.yield_ty.is_none() {
            errors.push(syn::Error::new(
                Span::call_site(),
                "missing `yield = T`: say what the generator yields, e.g. `#[generator(yield = u32)]`",
            ));
        }
        if let ReturnType::Type(_, ty) = &sig.output {
            if is_async && !is_result(ty) {
                errors.push_spanned(
                    ty,
                    "an async generator returns `()` or `Result<(), E>`: what it produces are \
                     the items it yields; remove the return type, or declare `-> Result<(), E>` \
                     to make it a stream of `Result<T, E>` that `?` ends with one `Err`",
                );
            }
        }
        if let (Some(throw), ReturnType::Default) = (&args.throw_ty, &sig.output) {
            let msg = if is_async {
                "a `throw` async generator must return `Result<(), E>` (a stream of \
                 `Result<T, E>` items) so errors thrown into it can propagate with `?`"
            } else {
                "a `throw` generator must return a `Result` (e.g. `-> Result<(), MyError>`) so \
                 errors thrown into it can propagate with `?`"
            };
            errors.push_spanned(&throw.key, msg);
        }
        for (key, name) in [
            (&args.yield_ty, "yield"),
            (&args.resume_ty, "resume"),
            (&args.throw_ty, "throw"),
        ] {
            if let Some(infer) = key.as_ref().and_then(|k| find_infer(&k.value)) {
                errors.push_spanned(
                    infer,
                    format!(
                        "the `{name}` type is part of the function's signature, so it cannot be \
                         inferred: write it out (`coroutine!` infers its types, if this \
                         generator need not be a named function)"
                    ),
                );
            }
        }
        if let (ReturnType::Type(_, ty), false) = (&sig.output, is_async) {
            if let Type::Never(never) = &**ty {
                errors.push_spanned(
                    never,
                    "a generator's return type cannot be `!` on stable Rust (it is a type \
                     argument of the generator): leave the return type out (a body that never \
                     returns needs none), or write `-> core::convert::Infallible`",
                );
            }
        }
        if let (Some(throw), ReturnType::Type(_, ty)) = (&args.throw_ty, &sig.output) {
            if !is_async && !matches!(**ty, Type::Never(_)) && surely_not_result(ty) {
                let e = pretty(&throw.value.to_token_stream().to_string());
                let t = pretty(&ty.to_token_stream().to_string());
                errors.push_spanned(
                    ty,
                    format!(
                        "a `throw = {e}` generator returns a `Result` whose error type takes `{e}`, \
                         so errors thrown into it can propagate with `?`: write \
                         `-> Result<{t}, {e}>`"
                    ),
                );
            }
        }
        if let Some(err) = errors.take() {
            return Err(err);
        }
        let krate = args
            .krate
            .map_or_else(|| quote!(::resumable), |k| k.value.to_token_stream());
        Ok(GeneratorFn {
            item,
            krate,
            yield_ty: args.yield_ty.expect("checked").value,
            resume_ty: args.resume_ty.map(|k| k.value),
            throw_ty: args.throw_ty.map(|k| k.value),
            kind: Kind {
                is_async,
                pinned: args.pinned.is_some(),
            },
        })
    }
}

/// Takes off what a generator's signature cannot have (`const`, an ABI, a variadic
/// argument) and returns the errors that say so: the rest still expands, so uses of the
/// function are not reported again (`()` is not an iterator).
pub(crate) fn strip_qualifiers(sig: &mut syn::Signature) -> Option<syn::Error> {
    let mut errors = Errors::default();
    if let Some(c) = sig.constness.take() {
        errors.push_spanned(
            c,
            "a generator cannot be a `const fn`: calling it makes a generator, which is not \
             const; remove `const`",
        );
    }
    if let Some(abi) = sig.abi.take() {
        errors.push_spanned(
            abi,
            "a generator cannot have an explicit ABI: what it returns is a Rust type; remove \
             it (wrap the generator in an `extern` function that drives it, if C must call in)",
        );
    }
    if let Some(v) = sig.variadic.take() {
        errors.push_spanned(
            v,
            "a generator cannot be variadic; take the arguments as a slice",
        );
        if sig.inputs.trailing_punct() {
            sig.inputs.pop_punct();
        }
    }
    errors.take()
}

/// `#[generator]` on a trait method without a body: the error says how a trait declares a
/// generator method, with this one's declaration written out when the keys allow it.
pub(crate) fn bodiless(args: Option<&Args>, method: &syn::TraitItemFn) -> syn::Error {
    let declaration = args.and_then(|args| {
        let sig = &method.sig;
        let y = &args.yield_ty.as_ref()?.value;
        let unpin = if args.pinned.is_some() {
            quote!()
        } else {
            quote!(+ Unpin)
        };
        let output = if sig.asyncness.is_some() {
            quote!(impl Stream<Item = #y> #unpin)
        } else {
            let resume = args.resume_ty.as_ref().map(|k| &k.value);
            let resume = match (resume, &args.throw_ty) {
                (None, None) => quote!(),
                (Some(r), None) => quote!(#r,),
                (r, Some(e)) => {
                    let r = r.map_or_else(|| quote!(()), quote::ToTokens::to_token_stream);
                    let e = &e.value;
                    quote!(Result<#r, #e>,)
                }
            };
            let ret = match &sig.output {
                ReturnType::Default => quote!(()),
                ReturnType::Type(_, ty) => ty.to_token_stream(),
            };
            quote!(impl Generator<#resume Yield = #y, Return = #ret> #unpin)
        };
        let (generics, inputs) = (&sig.generics, &sig.inputs);
        let clause = sig
            .generics
            .where_clause
            .as_ref()
            .map_or_else(String::new, |w| {
                format!(" {}", pretty(&w.to_token_stream().to_string()))
            });
        Some(format!(
            "fn {}{}({}) -> {}{clause};",
            sig.ident,
            pretty(&generics.to_token_stream().to_string()),
            pretty(&inputs.to_token_stream().to_string()),
            pretty(&output.to_string()),
        ))
    });
    let declaration = declaration.map_or_else(
        || "`fn name(&self) -> impl Generator<Yield = T, Return = U> + Unpin;`".to_string(),
        |d| format!("`{d}`"),
    );
    syn::Error::new_spanned(
        method.sig.fn_token,
        format!(
            "#[generator] needs the method's body: a trait declares a generator method by what \
             it returns, {declaration}, and #[generator] goes on its implementations (or on a \
             default body)"
        ),
    )
}

/// Whether a return type cannot be a `Result`, whatever the names in scope: a `throw`
/// generator's must be one. (A type alias for a `Result` is a path, and passes.)
fn surely_not_result(ty: &Type) -> bool {
    const NOT_RESULTS: &[&str] = &[
        "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32",
        "i64", "i128", "isize", "f32", "f64", "String", "Vec", "Option", "Box",
    ];
    match ty {
        Type::Paren(p) => surely_not_result(&p.elem),
        Type::Group(g) => surely_not_result(&g.elem),
        Type::Path(p) => {
            p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1
                && NOT_RESULTS.iter().any(|n| p.path.segments[0].ident == n)
        }
        Type::Tuple(_)
        | Type::Reference(_)
        | Type::Array(_)
        | Type::Slice(_)
        | Type::Never(_)
        | Type::Ptr(_)
        | Type::BareFn(_)
        | Type::ImplTrait(_)
        | Type::TraitObject(_) => true,
        _ => false,
    }
}

/// The first `_` in a type, if any.
fn find_infer(ty: &Type) -> Option<syn::TypeInfer> {
    struct Find(Option<syn::TypeInfer>);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_type_infer(&mut self, infer: &'ast syn::TypeInfer) {
            self.0.get_or_insert_with(|| infer.clone());
        }
    }
    let mut find = Find(None);
    syn::visit::Visit::visit_type(&mut find, ty);
    find.0
}

/// Whether a type is spelled `Result<..>` (or `io::Result<..>`, say).
pub(crate) fn is_result(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Result"))
}

/// Token spacing as people write it, for types quoted in an error message.
fn pretty(tokens: &str) -> String {
    let mut s = tokens.to_string();
    for (from, to) in [
        (" ,", ","),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        ("& ", "&"),
        (" :: ", "::"),
        (":: ", "::"),
        ("( ", "("),
        (" )", ")"),
        (" :", ":"),
    ] {
        s = s.replace(from, to);
    }
    s
}

use quote::ToTokens as _;

/// What `coroutine!` was given, after the `$crate` path its wrapper passes.
pub(crate) struct Coroutine {
    pub(crate) krate: TokenStream,
    pub(crate) pinned: bool,
    pub(crate) body: CoroutineBody,
}

// Built once per macro call and consumed at once: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum CoroutineBody {
    /// `coroutine! { stmts }`
    Block(Block),
    /// `coroutine!(async { stmts })`
    Async(Block),
    /// `coroutine!(|arg: T| -> Ret { body })`, or `async |arg: T| ..` for an async generator
    Closure {
        is_async: bool,
        arg: Option<Pat>,
        arg_ty: Option<Type>,
        ret: Option<Type>,
        body: Box<Expr>,
    },
}

impl Parse for Coroutine {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = match input.parse::<TokenTree>()? {
            TokenTree::Group(g) => g.stream(),
            other => bail!(other, "`coroutine_impl!` is called through `coroutine!`"),
        };
        let pinned = input.peek(syn::Ident)
            && input
                .fork()
                .parse::<syn::Ident>()
                .is_ok_and(|i| i == "pinned")
            && (input.peek2(syn::token::Brace)
                || input.peek2(Token![|])
                || input.peek2(Token![||])
                || input.peek2(Token![move])
                || input.peek2(Token![async]));
        if pinned {
            input.parse::<syn::Ident>()?;
        }
        let body = if input.peek(Token![async])
            && (input.peek2(syn::token::Brace)
                || (input.peek2(Token![move]) && input.peek3(syn::token::Brace)))
        {
            input.parse::<Token![async]>()?;
            input.parse::<Option<Token![move]>>()?;
            let block: Block = input.parse()?;
            if !input.is_empty() {
                bail!(
                    input.parse::<TokenStream>()?,
                    "an async generator is one `async {{ .. }}` block; nothing may follow it"
                );
            }
            CoroutineBody::Async(block)
        } else if is_closure(input) {
            let closure: syn::ExprClosure = input.parse()?;
            if !input.is_empty() {
                bail!(
                    input.parse::<TokenStream>()?,
                    "a coroutine closure is one closure; nothing may follow it"
                );
            }
            closure_body(closure)?
        } else if input.peek(syn::token::Brace) && {
            let fork = input.fork();
            fork.parse::<Block>().is_ok() && fork.is_empty()
        } {
            // `coroutine!(pinned { .. })`: the braces are the body's, not a block in it (which
            // would draw `unused_braces` around a body that is one expression).
            CoroutineBody::Block(input.parse()?)
        } else {
            let stmts = input.call(Block::parse_within)?;
            CoroutineBody::Block(Block {
                brace_token: Default::default(),
                stmts,
            })
        };
        Ok(Coroutine {
            krate,
            pinned,
            body,
        })
    }
}

/// Whether the input is a closure: `|x| ..`, `move |x| ..`, `async |x| ..`, `async move |x| ..`.
fn is_closure(input: ParseStream) -> bool {
    let bar = |fork: ParseStream| fork.peek(Token![|]) || fork.peek(Token![||]);
    let fork = input.fork();
    let _ = fork.parse::<Option<Token![async]>>();
    let _ = fork.parse::<Option<Token![move]>>();
    bar(&fork)
}

fn closure_body(closure: syn::ExprClosure) -> syn::Result<CoroutineBody> {
    let is_async = closure.asyncness.is_some();
    if closure.inputs.len() > 1 {
        bail!(
            &closure.inputs,
            "a coroutine closure takes one argument, its first resume value; take several as a \
             tuple: `|(a, b): (A, B)|`"
        );
    }
    let (arg, arg_ty) = match closure.inputs.into_iter().next() {
        None => (None, None),
        Some(Pat::Type(t)) => (Some(*t.pat), Some(*t.ty)),
        Some(pat) => (Some(pat), None),
    };
    let ret = match closure.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(*ty),
    };
    Ok(CoroutineBody::Closure {
        is_async,
        arg,
        arg_ty,
        ret,
        body: closure.body,
    })
}
