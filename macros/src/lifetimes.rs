//! Naming the elided lifetimes of a signature, so the generator's opaque return type can say it
//! captures them (in every edition).

use proc_macro2::Span;
use syn::visit_mut::{self, VisitMut};
use syn::{FnArg, GenericParam, Lifetime, LifetimeParam, Signature};

/// Gives every elided lifetime in the inputs of `sig` a name (`'__life0`, ...), adds those to
/// its generics, and returns all the lifetimes the inputs may hold.
pub(crate) fn name_elided(sig: &mut Signature) -> Vec<Lifetime> {
    let mut namer = Namer { fresh: Vec::new() };
    for input in &mut sig.inputs {
        match input {
            FnArg::Receiver(recv) => {
                if let Some((_, lifetime)) = &mut recv.reference {
                    namer.name(lifetime);
                }
                namer.visit_type_mut(&mut recv.ty);
            }
            FnArg::Typed(arg) => namer.visit_type_mut(&mut arg.ty),
        }
    }
    let mut all: Vec<Lifetime> = sig.generics.lifetimes().map(|p| p.lifetime.clone()).collect();
    for lifetime in &namer.fresh {
        sig.generics.params.push(GenericParam::Lifetime(LifetimeParam::new(lifetime.clone())));
        all.push(lifetime.clone());
    }
    all
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
    fn visit_parenthesized_generic_arguments_mut(&mut self, _: &mut syn::ParenthesizedGenericArguments) {}
}
