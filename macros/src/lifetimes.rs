//! Naming the elided lifetimes of a signature, so the generator's opaque return type can say it
//! captures them (in every edition).

use proc_macro2::Span;
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};
use syn::{FnArg, GenericParam, Lifetime, LifetimeParam, Signature};

/// The lifetimes of a signature after [`name_elided`].
pub(crate) struct Named {
    /// Every lifetime the inputs may hold.
    pub(crate) all: Vec<Lifetime>,
    /// The lifetime an elided output lifetime stands for, by the elision rules: the receiver's,
    /// else the only lifetime of the inputs.
    pub(crate) output: Option<Lifetime>,
}

/// Gives every elided lifetime in the inputs of `sig` a name (`'__self`, `'__text`, ...) and adds those
/// to its generics.
pub(crate) fn name_elided(sig: &mut Signature) -> Named {
    let mut namer = Namer {
        fresh: Vec::new(),
        base: String::new(),
        in_base: 0,
    };
    let mut receiver = None;
    let mut in_inputs = Vec::new();
    for input in &mut sig.inputs {
        match input {
            // `&self` and `&mut self` carry their type twice: the shorthand, and `&Self`
            // reconstructed by syn. Both get the one name; a second one would be a lifetime
            // parameter that only the output mentions, which makes it early-bound and the
            // signature incompatible with a trait's `fn walk(&self)` (E0195).
            FnArg::Receiver(recv) if recv.colon_token.is_none() => {
                namer.base("self");
                if let Some((and, lifetime)) = &mut recv.reference {
                    namer.name(lifetime, and.span);
                    if let syn::Type::Reference(ty) = &mut *recv.ty {
                        ty.lifetime.clone_from(lifetime);
                    }
                    receiver.clone_from(lifetime);
                }
            }
            // `self: Pin<&mut Self>` and the like: elided output lifetimes are the reference
            // to `Self`'s, if there is one; otherwise the receiver counts as an input.
            FnArg::Receiver(recv) => {
                namer.base("self");
                namer.visit_type_mut(&mut recv.ty);
                receiver = self_reference(&recv.ty);
                if receiver.is_none() {
                    Collect(&mut in_inputs).visit_type_mut(&mut recv.ty);
                }
            }
            FnArg::Typed(arg) => {
                match &*arg.pat {
                    syn::Pat::Ident(p) => {
                        namer.base(&syn::ext::IdentExt::unraw(&p.ident).to_string())
                    }
                    _ => namer.base("arg"),
                }
                namer.visit_type_mut(&mut arg.ty);
                Collect(&mut in_inputs).visit_type_mut(&mut arg.ty);
            }
        }
    }
    let mut all: Vec<Lifetime> = sig
        .generics
        .lifetimes()
        .map(|p| p.lifetime.clone())
        .collect();
    for lifetime in &namer.fresh {
        sig.generics
            .params
            .push(GenericParam::Lifetime(LifetimeParam::new(lifetime.clone())));
        all.push(lifetime.clone());
    }
    in_inputs.dedup();
    let output = receiver.or_else(|| {
        if in_inputs.len() == 1 {
            in_inputs.pop()
        } else {
            None
        }
    });
    Named { all, output }
}

/// The lifetime of the outermost reference in a receiver type whose referent mentions `Self`
/// (`Pin<&'a mut Self>`, `&'a Box<Self>`).
fn self_reference(ty: &syn::Type) -> Option<Lifetime> {
    struct Find(Option<Lifetime>);
    impl<'ast> Visit<'ast> for Find {
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            if self.0.is_none() && mentions_self(&r.elem) {
                self.0.clone_from(&r.lifetime);
            }
            visit::visit_type_reference(self, r);
        }
    }
    let mut find = Find(None);
    find.visit_type(ty);
    find.0
}

/// Whether `Self` appears in `ty`.
fn mentions_self(ty: &syn::Type) -> bool {
    struct Mentions(bool);
    impl<'ast> Visit<'ast> for Mentions {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.0 |= i == "Self";
        }
    }
    let mut mentions = Mentions(false);
    mentions.visit_type(ty);
    mentions.0
}

/// Writes `lifetime` for every elided lifetime in `ty` (an output type), as elision would.
pub(crate) fn fill_elided(ty: &mut syn::Type, lifetime: &Lifetime) {
    struct Fill<'a>(&'a Lifetime);
    impl VisitMut for Fill<'_> {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(self.0.clone());
            }
            visit_mut::visit_type_reference_mut(self, r);
        }
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            if l.ident == "_" {
                *l = self.0.clone();
            }
        }
        fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
        fn visit_parenthesized_generic_arguments_mut(
            &mut self,
            _: &mut syn::ParenthesizedGenericArguments,
        ) {
        }
        fn visit_type_impl_trait_mut(&mut self, _: &mut syn::TypeImplTrait) {}
    }
    Fill(lifetime).visit_type_mut(ty);
}

/// Collects the named lifetimes of an input type.
struct Collect<'a>(&'a mut Vec<Lifetime>);

impl VisitMut for Collect<'_> {
    fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
        if !self.0.contains(l) {
            self.0.push(l.clone());
        }
    }
    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
    fn visit_parenthesized_generic_arguments_mut(
        &mut self,
        _: &mut syn::ParenthesizedGenericArguments,
    ) {
    }
}

/// Names elided lifetimes after the argument they are in (`'__self`, `'__text`, then
/// `'__text2`, ..), so that a borrow error about them reads in the user's terms, and places
/// each at its `&` (or `'_`), so that rustc's "lifetime defined here" points there.
struct Namer {
    fresh: Vec<Lifetime>,
    /// The name of the argument being visited.
    base: String,
    /// How many lifetimes of that argument have been named.
    in_base: usize,
}

impl Namer {
    fn base(&mut self, base: &str) {
        self.base = base.trim_start_matches('_').to_string();
        if self.base.is_empty() {
            self.base = "arg".to_string();
        }
        self.in_base = 0;
    }

    fn name(&mut self, slot: &mut Option<Lifetime>, at: Span) {
        match slot {
            Some(l) if l.ident != "_" => {}
            _ => {
                let span = slot.as_ref().map_or(at, |l| l.apostrophe);
                self.in_base += 1;
                let mut name = format!("'__{}", self.base);
                if self.in_base > 1 {
                    name.push_str(&self.in_base.to_string());
                }
                while self.fresh.iter().any(|l| l.to_string() == name) {
                    name.push('_');
                }
                let named = Lifetime::new(&name, span);
                self.fresh.push(named.clone());
                *slot = Some(named);
            }
        }
    }
}

impl VisitMut for Namer {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        self.name(&mut r.lifetime, r.and_token.span);
        visit_mut::visit_type_reference_mut(self, r);
    }

    fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
        if l.ident == "_" {
            let mut slot = Some(l.clone());
            self.name(&mut slot, l.apostrophe);
            *l = slot.expect("named");
        }
    }

    // `fn(&T)` and `Fn(&T)` have elision scopes of their own.
    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
    fn visit_parenthesized_generic_arguments_mut(
        &mut self,
        _: &mut syn::ParenthesizedGenericArguments,
    ) {
    }
}
