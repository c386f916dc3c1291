//! Trait methods written the idiomatic way (`fn walk(&self) -> impl Generator<..>`, lifetimes
//! elided) and implemented with `#[generator]`; default methods that are generators, and one
//! that recurses through `Box`. The same cases run in edition 2024 in `tests/edition2024`.

include!("trait_methods/cases.rs");
