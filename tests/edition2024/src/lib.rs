//! The cases of `tests/trait_methods.rs` in edition 2024, where an opaque return type captures
//! every lifetime in scope (in 2021 the macros name them with `Captures`): `#[generator]`
//! methods must still match a trait's `fn walk(&self) -> impl Generator<..>` signature.
#![deny(warnings)]
#![forbid(unsafe_code)]

use resumable::prelude::*;

/// A public trait implemented with `#[generator]`. The implementation returns its own type,
/// which refines the trait's `impl Generator`; that must not draw rustc's
/// `refining_impl_trait` warning in the user's crate (denied here).
pub trait Walk {
    /// Every number, in order.
    fn walk(&self) -> impl Generator<Yield = u32, Return = ()> + Unpin;
}

/// Numbers to walk.
pub struct Numbers(pub Vec<u32>);

impl Walk for Numbers {
    #[generator(yield = u32)]
    fn walk(&self) {
        for x in &self.0 {
            yield_!(*x);
        }
    }
}

#[cfg(test)]
mod trait_methods {
    include!("../../trait_methods/cases.rs");
}
