//! Naming the elided lifetimes of a signature, so the generator's opaque return type can say it
//! captures them (in every edition).

use proc_macro2::Span;
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

/// Gives every elided lifetime in the inputs of `sig` a name (`'__life0`, ...) and adds those
/// to its generics.
pub(crate) fn name_elided(sig: &mut Signature) -> Named {
    let mut namer = Namer { fresh: Vec::new() };
    let mut receiver = None;
    let mut in_inputs = Vec::new();
    for input in &mut sig.inputs {
        match input {
            FnArg::Receiver(recv) => {
                if let Some((_, lifetime)) = &mut recv.reference {
                    namer.name(lifetime);
                    receiver.clone_from(lifetime);
                }
                namer.visit_type_mut(&mut recv.ty);
            }
            FnArg::Typed(arg) => {
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

struct Namer {
    fresh: Vec<Lifetime>,
}

impl Namer {
    fn name(&mut self, slot: &mut Option<Lifetime>) {
        match slot {
            Some(l) if l.ident != "_" => {}
            _ => {
                let span = slot.as_ref().map_or_else(Span::call_site, |l| l.apostrophe);
                let named = Lifetime::new(&format!("'__life{}", self.fresh.len()), span);
                self.fresh.push(named.clone());
                *slot = Some(named);
            }
        }
    }
}

impl VisitMut for Namer {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        self.name(&mut r.lifetime);
        visit_mut::visit_type_reference_mut(self, r);
    }

    fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
        if l.ident == "_" {
            let mut slot = Some(l.clone());
            self.name(&mut slot);
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
