//! The rewrite of a generator body: a `VisitMut` that turns each yield into an `.await` on the
//! generator's channel, and reports the yields that cannot work where they are.
//!
//! The body ends up inside an `async move` block, so rustc builds its state machine; these are
//! the only places the rewrite touches.

use proc_macro2::{Delimiter, Group, Ident, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Macro, Stmt, Token};

use crate::error::error_expr;

/// What encloses the code being visited, as far as suspending goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The generator body itself: yields work here.
    Body,
    /// A closure in the body: a separate function, which cannot suspend the generator.
    Closure,
    /// An `async` block in the body: a separate future.
    AsyncBlock,
}

/// Rewrites one generator body.
pub(crate) struct Rewriter<'a> {
    /// The hygienic name of the body's `Co` handle.
    pub(crate) co: &'a Ident,
    /// The path of the `resumable` crate.
    pub(crate) krate: &'a TokenStream,
    /// Whether the native `yield` keyword is ours to rewrite (`coroutine!`), or only `yield_!`.
    pub(crate) native_yield: bool,
    /// Whether the body may `.await` (an async generator).
    pub(crate) is_async: bool,
    /// Whether resume values are `Result`s (a `throw` generator).
    pub(crate) throws: bool,
    /// Whether the resume type is `()` (or `Result<(), E>`), so `yield_from!` can start or
    /// resume a subgenerator with it when no value is written.
    pub(crate) unit_resume: bool,
    /// The declared return type, when returned values need a coercion site.
    pub(crate) ret: Option<TokenStream>,
    /// Whether the body is an async generator function declared without a return type, so
    /// that a `return` with a value is a mistake.
    pub(crate) returns_unit: bool,
    /// Whether the body delegates with `yield_from!` (found while rewriting): only then may a
    /// resume take the shortcut to an inner generator.
    pub(crate) delegates: bool,
    scope: Scope,
    /// How many other macros' arguments enclose the code being visited. A `yield_from!` there
    /// may be polled beside other futures (`select!`, `join!`), so it is not awaited directly in
    /// the body, and a resume must not take the shortcut past it.
    in_macro: usize,
}

impl<'a> Rewriter<'a> {
    pub(crate) fn new(co: &'a Ident, krate: &'a TokenStream) -> Self {
        Rewriter {
            co,
            krate,
            native_yield: false,
            is_async: false,
            throws: false,
            unit_resume: false,
            ret: None,
            returns_unit: false,
            delegates: false,
            scope: Scope::Body,
            in_macro: 0,
        }
    }

    fn nested<T>(&mut self, scope: Scope, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = self.scope;
        self.scope = scope;
        let out = f(self);
        self.scope = saved;
        out
    }

    /// Why a yield cannot be here, if it cannot.
    fn misplaced(&self, what: &str) -> Option<String> {
        match self.scope {
            Scope::Body => None,
            Scope::Closure => Some(format!(
                "{what} cannot be used inside a closure: a closure is a separate function and \
                 cannot suspend the generator around it; move the yield out of the closure, or \
                 make the closure a generator of its own with `coroutine!(|arg| ..)`"
            )),
            Scope::AsyncBlock => Some(format!(
                "{what} cannot be used inside an `async` block nested in a generator: the block \
                 is a separate future; yield from the generator body itself, or write an async \
                 generator with `coroutine!(async {{ .. }})`"
            )),
        }
    }

    /// `yield_!(value)` (or native `yield value`) desugars into `co.yield_(value).await`: hand
    /// the value out, suspend, and evaluate to the resume argument. A value that yields itself
    /// is bound first (`match value { v => co.yield_(v).await }`), since both need `co`.
    ///
    /// The call carries the user's span: `#[track_caller]` reports it, so `suspended_at()`
    /// names the line of the yield. No braces do: lints read user-spanned braces as user code.
    fn yield_expr(&mut self, span: Span, value: Option<Expr>) -> TokenStream {
        // `#[track_caller]` reports the span from the method name to the closing parenthesis.
        // The handle keeps its hygiene but is located at the yield too, so type errors about
        // the value are reported there.
        let mut co = self.co.clone();
        co.set_span(co.span().located_at(span));
        let throws = self.throws;
        let call = |value: TokenStream| {
            let call = quote_spanned!(span=> #co.yield_(#value).await);
            if throws {
                // The resumed `Result` unused (`yield_!(x);`) is warned about at the yield,
                // with a suggestion that is valid code (`let _ = yield_!(x);`): lints place an
                // expression by its first token, which the handle is not.
                quote_spanned!(span=> ::core::convert::identity(#call))
            } else {
                call
            }
        };
        let Some(mut value) = value else {
            return call(quote_spanned!(span=> ()));
        };
        let nested = self.mentions_yield(value.to_token_stream());
        self.visit_expr_mut(&mut value);
        if nested {
            let bound = Ident::new("__value", Span::mixed_site());
            let call = call(bound.to_token_stream());
            quote!(match #value { #bound => #call })
        } else {
            call(value.into_token_stream())
        }
    }

    /// `let r = yield_from!(sub, first)` desugars into a delegation future chosen for the type
    /// of `sub` (see `resumable::__private::Probe`), awaited in place: it evaluates to `sub`'s
    /// return value. The last argument of `delegate` says whether the `yield_from!` is awaited
    /// directly in the body, rather than inside another macro's arguments. The `.await` comes
    /// after the `match`, so that only the future holds `sub` across it (see
    /// `resumable::__private::Probe`'s module).
    fn yield_from_expr(&mut self, mac: &Macro) -> TokenStream {
        let span = mac.path.span();
        let args =
            match mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
                Ok(args) if (1..=2).contains(&args.len()) => args,
                _ => return error_expr(
                    mac,
                    "`yield_from!` takes a generator and, optionally, the first value to resume \
                     it with: `yield_from!(sub)` or `yield_from!(sub, first)`",
                ),
            };
        self.delegates = true;
        let mut args = args.into_iter();
        let mut sub = args.next().expect("one argument");
        self.visit_expr_mut(&mut sub);
        // What the subgenerator is started with: the value written, else `()` (or `Ok(())`)
        // where that is the resume type, else nothing (see `resumable::__private::SharedTag`).
        let first = match args.next() {
            Some(mut first) => {
                self.visit_expr_mut(&mut first);
                quote_spanned!(span=> ::core::option::Option::Some(#first))
            }
            None if self.unit_resume && self.throws => quote_spanned! {span=>
                ::core::option::Option::Some(::core::result::Result::Ok(()))
            },
            None if self.unit_resume => quote_spanned!(span=> ::core::option::Option::Some(())),
            None => quote_spanned!(span=> ::core::option::Option::None),
        };
        let Rewriter { co, krate, .. } = *self;
        let direct = self.in_macro == 0;
        // Diagnostics: all of the delegation is spanned on the `yield_from` path (the span
        // `#[track_caller]` reports too) and its binding shares the user's context, so a `sub`
        // that cannot be delegated to is reported there, and once: rustc meets the failed bound
        // again where the delegation's future is used, and prints the same error at the same
        // span only once. A warning about the value (an unused `Result`) suggests
        // `let _ = yield_from!(..)`. The binding cannot capture user code: `sub` and `first`
        // are evaluated before it exists. The probe traits are imported once, at the top of
        // the body.
        let probe = Ident::new("__resumable_sub", span);
        let first_name = Ident::new("__first", Span::mixed_site());
        let delegate = Ident::new("delegate", span);
        // Which kind of generator the `yield_from!` is in: only an async one may delegate to
        // an async generator.
        let kind = if self.is_async {
            quote_spanned!(span=> <#krate::__private::InAsync>::NEW)
        } else {
            quote_spanned!(span=> <#krate::__private::InSync>::NEW)
        };
        quote_spanned! {span=>
            match (#krate::__private::Probe(#sub), #first) {
                (#probe, #first_name) => (&#probe)
                    .__resumable_tag()
                    .within(#kind)
                    .#delegate(&mut #co, #probe.0, #first_name, #direct),
            }
            .await
        }
    }

    /// The replacement for a `yield_!` / `yield_from!` macro call, or `None` for other macros
    /// (whose arguments are rewritten in place).
    fn rewrite_macro(&mut self, mac: &mut Macro) -> Option<TokenStream> {
        let name = mac.path.segments.last()?.ident.to_string();
        match name.as_str() {
            "yield_" => Some(match self.misplaced("`yield_!`") {
                Some(msg) => error_expr(&mac.path, msg),
                None if mac.tokens.is_empty() => self.yield_expr(mac.path.span(), None),
                None => match mac.parse_body::<Expr>() {
                    Ok(value) => self.yield_expr(mac.path.span(), Some(value)),
                    Err(_) => error_expr(&*mac, "`yield_!` takes one value: `yield_!(value)`"),
                },
            }),
            "yield_from" => Some(match self.misplaced("`yield_from!`") {
                Some(msg) => error_expr(&mac.path, msg),
                None => self.yield_from_expr(mac),
            }),
            // A nested generator rewrites its own body.
            "coroutine" => None,
            _ => {
                self.rewrite_macro_args(mac);
                None
            }
        }
    }

    /// Rewrites yields in the arguments of another macro (`println!("{}", yield_!(x))`): as
    /// expressions when the arguments parse as a comma-separated list, else token by token.
    fn rewrite_macro_args(&mut self, mac: &mut Macro) {
        if !self.mentions_yield(mac.tokens.clone()) {
            return;
        }
        self.in_macro += 1;
        if let Ok(mut args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            for arg in args.iter_mut() {
                self.visit_expr_mut(arg);
            }
            mac.tokens = args.into_token_stream();
        } else {
            mac.tokens = self.rewrite_tokens(mac.tokens.clone());
        }
        self.in_macro -= 1;
    }

    /// Whether `yield_!` evaluates to `()` because no resume type was declared (a
    /// `#[generator]` without `resume`, a `coroutine!` block or argument-less closure).
    fn resumed_with_unit(&self) -> bool {
        self.unit_resume && !self.throws && !self.is_async
    }

    /// Whether `expr` is a yield (`yield_!(..)`, or `yield ..` in `coroutine!`).
    fn is_yield(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Macro(m) => m
                .mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "yield_"),
            Expr::Yield(_) => self.native_yield,
            Expr::Paren(p) => self.is_yield(&p.expr),
            _ => false,
        }
    }

    /// Where `is_yield(expr)`: the yield's span, and how it is written.
    fn yield_span(expr: &Expr) -> (Span, &'static str) {
        match expr {
            Expr::Macro(m) => (m.mac.path.span(), "`yield_!`"),
            Expr::Yield(y) => (y.yield_token.span, "`yield`"),
            Expr::Paren(p) => Self::yield_span(&p.expr),
            _ => (expr.span(), "the yield"),
        }
    }

    /// A yield used as an operand of `op` in a generator resumed with `()`: it evaluates to
    /// `()`, which no arithmetic takes, so the error says how to receive values instead of
    /// rustc's "cannot add `()` to `{float}`".
    fn unit_operand(&self, operand: &Expr, op: &str) -> Option<TokenStream> {
        if !self.resumed_with_unit() || !self.is_yield(operand) {
            return None;
        }
        let (span, what) = Self::yield_span(operand);
        let fix = if self.native_yield {
            "take the values sent in with the closure form, `coroutine!(|first: T| { .. })`"
        } else {
            "declare the type of the values sent in, `#[generator(yield = .., resume = T)]`"
        };
        Some(
            syn::Error::new(
                span,
                format!(
                    "{what} evaluates to `()` here, so it cannot be an operand of `{op}`: this \
                     generator has no resume type; {fix}"
                ),
            )
            .into_compile_error(),
        )
    }

    fn mentions_yield(&self, tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(id) => {
                id == "yield_" || id == "yield_from" || (self.native_yield && id == "yield")
            }
            TokenTree::Group(g) => self.mentions_yield(g.stream()),
            _ => false,
        })
    }

    /// Token-level rewrite of `yield_!(..)` / `yield_from!(..)` for macro arguments that are not
    /// plain expressions (`select!` arms, say). What the tokens show of the code's structure is
    /// kept to, as the syntax tree's visit does: nested generators (`coroutine!`, `fn` items)
    /// are left alone, since their yields are their own, and a yield in a closure or an `async`
    /// block is reported.
    fn rewrite_tokens(&mut self, tokens: TokenStream) -> TokenStream {
        let mut out = TokenStream::new();
        let mut iter = tokens.into_iter().peekable();
        // Whether an expression may start here (so a `|` opens a closure, not a bitwise or).
        let mut expr_start = true;
        while let Some(tt) = iter.next() {
            let starts_expr =
                matches!(&tt, TokenTree::Punct(p) if matches!(p.as_char(), ',' | ';' | '=' | '>'));
            match tt {
                TokenTree::Ident(id) if id == "yield_" || id == "yield_from" => {
                    let is_call =
                        matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                    if !is_call {
                        out.extend([TokenTree::Ident(id)]);
                        expr_start = false;
                        continue;
                    }
                    let bang = iter.next().expect("peeked");
                    match iter.next() {
                        Some(TokenTree::Group(args)) => {
                            let mut mac: Macro =
                                syn::parse2(quote!(#id #bang #args)).expect("a macro call");
                            let expr = self.rewrite_macro(&mut mac).expect("a yield macro");
                            out.extend(expr);
                        }
                        other => {
                            out.extend([TokenTree::Ident(id), bang]);
                            out.extend(other);
                        }
                    }
                }
                // `coroutine!(..)`: a nested generator rewrites its own body.
                TokenTree::Ident(id)
                    if id == "coroutine"
                        && matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '!') =>
                {
                    out.extend([TokenTree::Ident(id)]);
                    out.extend(iter.next());
                    out.extend(iter.next());
                }
                // `fn name ..{ .. }` (a nested item, maybe a `#[generator]`): not ours to rewrite.
                TokenTree::Ident(id)
                    if id == "fn" && matches!(iter.peek(), Some(TokenTree::Ident(_))) =>
                {
                    out.extend([TokenTree::Ident(id)]);
                    for tt in iter.by_ref() {
                        let end = matches!(&tt, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace)
                            || matches!(&tt, TokenTree::Punct(p) if p.as_char() == ';');
                        out.extend([tt]);
                        if end {
                            break;
                        }
                    }
                }
                // `async { .. }`, `async move { .. }`: a separate future.
                TokenTree::Ident(id) if id == "async" => {
                    out.extend([TokenTree::Ident(id)]);
                    if matches!(iter.peek(), Some(TokenTree::Ident(m)) if m == "move") {
                        out.extend(iter.next());
                    }
                    match iter.peek() {
                        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                            let Some(TokenTree::Group(g)) = iter.next() else {
                                unreachable!()
                            };
                            let inner = self.nested(Scope::AsyncBlock, |s| s.rewrite_group(&g));
                            out.extend([inner]);
                        }
                        Some(TokenTree::Punct(p)) if p.as_char() == '|' => {
                            let open = iter.next().expect("peeked");
                            let closure = self
                                .nested(Scope::AsyncBlock, |s| s.rewrite_closure(open, &mut iter));
                            out.extend(closure);
                        }
                        _ => {}
                    }
                }
                // `move |x| ..` and `|x| ..` where an expression starts: a closure.
                TokenTree::Ident(id)
                    if id == "move"
                        && matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '|') =>
                {
                    out.extend([TokenTree::Ident(id)]);
                    let open = iter.next().expect("peeked");
                    let closure =
                        self.nested(Scope::Closure, |s| s.rewrite_closure(open, &mut iter));
                    out.extend(closure);
                }
                TokenTree::Punct(p) if p.as_char() == '|' && expr_start => {
                    let open = TokenTree::Punct(p);
                    let closure =
                        self.nested(Scope::Closure, |s| s.rewrite_closure(open, &mut iter));
                    out.extend(closure);
                }
                TokenTree::Ident(id) if self.native_yield && id == "yield" => {
                    out.extend(error_expr(
                        &id,
                        "`yield` cannot be rewritten inside this macro's arguments; write \
                         `yield_!(value)` here, or bind the yield to a variable first",
                    ));
                }
                TokenTree::Group(g) => {
                    out.extend([self.rewrite_group(&g)]);
                }
                other => out.extend([other]),
            }
            expr_start = starts_expr;
        }
        out
    }

    /// [`rewrite_tokens`](Self::rewrite_tokens) inside a group, keeping its delimiter and span.
    fn rewrite_group(&mut self, g: &Group) -> TokenTree {
        let mut inner = Group::new(g.delimiter(), self.rewrite_tokens(g.stream()));
        inner.set_span(g.span());
        TokenTree::Group(inner)
    }

    /// A closure at token level, from its opening `|` (`open`; `iter` is just after it): the
    /// parameters up to the closing `|` are copied, then the body, a block or the tokens up to
    /// the next `,` or `;`, is rewritten in the current scope.
    fn rewrite_closure(
        &mut self,
        open: TokenTree,
        iter: &mut core::iter::Peekable<proc_macro2::token_stream::IntoIter>,
    ) -> TokenStream {
        let mut out = TokenStream::new();
        // `||`, or `|` params `|`.
        let empty = matches!(&open, TokenTree::Punct(p) if p.spacing() == Spacing::Joint)
            && matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '|');
        out.extend([open]);
        if empty {
            out.extend(iter.next());
        } else {
            for tt in iter.by_ref() {
                let close = matches!(&tt, TokenTree::Punct(p) if p.as_char() == '|');
                out.extend([tt]);
                if close {
                    break;
                }
            }
        }
        let mut body = TokenStream::new();
        while let Some(tt) = iter.peek() {
            if matches!(tt, TokenTree::Punct(p) if matches!(p.as_char(), ',' | ';')) {
                break;
            }
            let tt = iter.next().expect("peeked");
            let block = matches!(&tt, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace);
            body.extend([tt]);
            if block {
                break;
            }
        }
        out.extend(self.rewrite_tokens(body));
        out
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Macro(m) => {
                if let Some(new) = self.rewrite_macro(&mut m.mac) {
                    *expr = Expr::Verbatim(new);
                }
            }
            Expr::Yield(y) if self.native_yield => {
                let span = y.yield_token.span;
                *expr = Expr::Verbatim(match self.misplaced("`yield`") {
                    Some(msg) => error_expr(y.yield_token, msg),
                    None => self.yield_expr(span, y.expr.take().map(|e| *e)),
                });
            }
            Expr::Yield(y) => {
                *expr = Expr::Verbatim(error_expr(
                    y.yield_token,
                    "the `yield` keyword is unstable in attribute input; in a `#[generator]` \
                     function write `yield_!(value)` (the `coroutine!` macro accepts `yield`)",
                ));
            }
            Expr::Await(a) if !self.is_async && self.scope == Scope::Body => {
                let (dot, kw) = (a.dot_token, a.await_token);
                *expr = Expr::Verbatim(error_expr(
                    quote!(#dot #kw),
                    "`.await` is not allowed in a generator that is not async: nothing would poll \
                     the awaited future; make it an async generator with \
                     `#[generator(yield = T)] async fn` (or `coroutine!(async { .. })`)",
                ));
            }
            // `return value` desugars into `return ret::<Ret>(value)`: an async block has no
            // declared output, so this call is where `value` coerces to the return type.
            Expr::Return(r) if self.scope == Scope::Body && self.ret.is_some() => {
                visit_mut::visit_expr_return_mut(self, r);
                let (krate, ret) = (self.krate, self.ret.as_ref().expect("checked"));
                r.expr = Some(Box::new(Expr::Verbatim(match r.expr.take() {
                    Some(value) => quote!(#krate::__private::ret::<#ret>(#value)),
                    // `return;` desugars into `return <() as BareReturn<Ret>>::get(())`: `()`
                    // when `Ret` is `()`, else an error at the `return` that says to return a
                    // value.
                    None => {
                        let span = r.return_token.span;
                        let ret = located(ret.clone(), span);
                        quote_spanned!(span=> <() as #krate::__private::BareReturn<#ret>>::get(()))
                    }
                })));
            }
            Expr::Return(r)
                if self.returns_unit && self.scope == Scope::Body && r.expr.is_some() =>
            {
                let value = r.expr.take();
                *expr = Expr::Verbatim(error_expr(
                    value,
                    "an async generator cannot return a value: it hands out its items with \
                     `yield_!`; write `return;` (declared `-> Result<(), E>`, it may return \
                     an error, which ends its stream)",
                ));
            }
            Expr::Binary(b) if self.scope == Scope::Body && arithmetic(&b.op) => {
                let op = b.op.to_token_stream().to_string();
                for operand in [&mut b.left, &mut b.right] {
                    match self.unit_operand(operand, &op) {
                        Some(err) => **operand = Expr::Verbatim(err),
                        None => self.visit_expr_mut(operand),
                    }
                }
            }
            Expr::Unary(u) if self.scope == Scope::Body && !matches!(u.op, syn::UnOp::Deref(_)) => {
                let op = u.op.to_token_stream().to_string();
                match self.unit_operand(&u.expr, &op) {
                    Some(err) => *u.expr = Expr::Verbatim(err),
                    None => self.visit_expr_mut(&mut u.expr),
                }
            }
            Expr::Cast(c) if self.scope == Scope::Body => match self.unit_operand(&c.expr, "as") {
                Some(err) => *c.expr = Expr::Verbatim(err),
                None => self.visit_expr_mut(&mut c.expr),
            },
            Expr::Closure(c) => {
                self.nested(Scope::Closure, |s| visit_mut::visit_expr_closure_mut(s, c))
            }
            Expr::Async(a) => {
                self.nested(Scope::AsyncBlock, |s| visit_mut::visit_expr_async_mut(s, a))
            }
            Expr::Const(c) => {
                self.nested(Scope::Closure, |s| visit_mut::visit_expr_const_mut(s, c))
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        if let Stmt::Macro(m) = stmt {
            if let Some(new) = self.rewrite_macro(&mut m.mac) {
                *stmt = Stmt::Expr(Expr::Verbatim(new), m.semi_token);
            }
            return;
        }
        visit_mut::visit_stmt_mut(self, stmt);
    }

    /// `let x: T = yield_!(..)` in a generator resumed with `()` desugars into
    /// `let x: T = <() as ResumedAs<T>>::get(co.yield_(..).await)`: the identity when `T` is
    /// `()`, and an error that says to declare `resume = T` when it is not.
    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        let checked = match (&local.pat, &local.init) {
            (syn::Pat::Type(pat), Some(init))
                if self.scope == Scope::Body
                    && self.resumed_with_unit()
                    && self.is_yield(&init.expr) =>
            {
                Some((pat.ty.clone(), Self::yield_span(&init.expr).0))
            }
            _ => None,
        };
        visit_mut::visit_local_mut(self, local);
        let (Some((ty, span)), Some(init)) = (checked, &mut local.init) else {
            return;
        };
        let check = if self.native_yield {
            "CoroutineResumedAs"
        } else {
            "ResumedAs"
        };
        let (check, krate) = (Ident::new(check, span), self.krate);
        let ty = located(ty.to_token_stream(), span);
        let value = &init.expr;
        // Spanned from its `<`: the error is at the yield.
        *init.expr = Expr::Verbatim(
            quote_spanned!(span=> <() as #krate::__private::#check<#ty>>::get(#value)),
        );
    }

    /// Nested items are functions of their own: their yields are not ours.
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Arithmetic and bitwise operators (and their assignments), which no operand `()` takes.
fn arithmetic(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    !matches!(
        op,
        And(_) | Or(_) | Eq(_) | Lt(_) | Le(_) | Ne(_) | Ge(_) | Gt(_)
    )
}

/// `tokens` located at `span`, each keeping its own hygiene: errors about generated code are
/// shown at the user's code it stands for.
pub(crate) fn located(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = Group::new(g.delimiter(), located(g.stream(), span));
                group.set_span(g.span().located_at(span));
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(tt.span().located_at(span));
            }
            tt
        })
        .collect()
}
