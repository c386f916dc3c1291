//! Expansions are hygienic and lint-clean: this file denies warnings, forbids unsafe code, runs
//! under `clippy::pedantic` in CI, and shadows the prelude names the expansions could have used.
#![deny(warnings)]
#![forbid(unsafe_code)]
#![warn(clippy::pedantic)]
#![allow(dead_code, non_camel_case_types, clippy::needless_pass_by_value)]

use resumable::prelude::*;

// Shadow every name an expansion could pick up from the prelude.
struct Option;
struct Some;
struct None;
struct Result;
struct Ok;
struct Err;
struct Box;
trait Default {}
trait From {}
trait Into {}
trait Future {}
trait Iterator {}
mod core {}
mod std {}

#[derive(Debug, PartialEq)]
struct Bad;

/// Uses every key and both yield macros.
#[generator(yield = u32, resume = u32, throw = Bad)]
fn keyed(start: u32) -> ::core::result::Result<u32, Bad> {
    let a = yield_!(start)?;
    let b = yield_from!(inner())?;
    ::core::result::Result::Ok(a + b)
}

#[generator(yield = u32, resume = u32, throw = Bad)]
fn inner() -> ::core::result::Result<u32, Bad> {
    let x = yield_!(1)?;
    ::core::result::Result::Ok(x)
}

#[generator(yield = (), pinned)]
fn pinned_gen() {
    yield_!();
}

#[generator(yield = u8)]
async fn async_gen() {
    yield_!(1);
}

struct Holder(u8);

impl Holder {
    #[generator(yield = u8)]
    fn by_ref(&self) {
        yield_!(self.0);
    }
}

#[test]
fn expansions_compile_without_warnings_and_with_shadowed_names() {
    let mut g = keyed(5);
    assert_eq!(g.start(), GeneratorState::Yielded(5));
    assert_eq!(
        g.send(::core::result::Result::Ok(1)),
        GeneratorState::Yielded(1)
    );
    assert_eq!(
        g.send(::core::result::Result::Ok(2)),
        GeneratorState::Complete(::core::result::Result::Ok(3))
    );
    let mut p = ::core::pin::pin!(pinned_gen());
    assert_eq!(p.as_mut().send(()), GeneratorState::Yielded(()));
    assert_eq!(Holder(4).by_ref().collect::<::std::vec::Vec<_>>(), [4]);
    let _stream = async_gen();
    let c = coroutine! { yield 1u8; };
    assert_eq!(c.count(), 1);
    // A body that is one expression, in braces after `pinned`.
    let mut sub = ::core::pin::pin!(coroutine!(pinned { yield_from!(coroutine! { yield 2u8; }) }));
    assert_eq!(sub.as_mut().send(()), GeneratorState::Yielded(2));
    let mut one = ::core::pin::pin!(coroutine!(pinned { 7u8 }));
    assert_eq!(one.as_mut().send(()), GeneratorState::<u8, u8>::Complete(7));
}
