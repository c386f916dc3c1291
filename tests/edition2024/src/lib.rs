//! The cases of `tests/trait_methods.rs` in edition 2024, where an opaque return type captures
//! every lifetime in scope (in 2021 the macros name them with `Captures`): `#[generator]`
//! methods must still match a trait's `fn walk(&self) -> impl Generator<..>` signature.
#![deny(warnings)]
#![forbid(unsafe_code)]

#[cfg(test)]
mod trait_methods {
    include!("../../trait_methods/cases.rs");
}
