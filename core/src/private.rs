//! Not public API: everything the macros' expansions name, reached only as
//! `::resumable::__private::…`. Nothing here is covered by semver, and none of it should be
//! used directly.

pub use crate::body::{
    body, BindsFirst, Body, ChooseMarks, Delegates, DropsFirst, First, Marked, Name, RefusesFirst,
    ThrowsFirst,
};
pub use crate::channel::{Co, YieldFuture};
pub use crate::delegate::Shared;
pub use crate::state::Headed;
#[cfg(feature = "alloc")]
pub use crate::state::HeadedBox;
pub use crate::yield_from::{
    IterIn, IterResumes, IterTag, LoopIn, LoopTag, PinnedFirst, Plain, Probe, ResumesMatch, Same,
    SharedIn, SharedTag, Sub, UnpinnedTag, ViaLoop, ViaShared, YieldsMatch,
};
pub use crate::PinnedAsyncGen;
pub use crate::PinnedGen;
#[cfg(feature = "alloc")]
pub use crate::{AsyncGen, Gen};
pub use core;
pub use resumable_macros::coroutine_impl;

/// Names lifetimes in an opaque return type so it may capture them (`impl Body<..> +
/// Captures<(&'a (), ..)>`), in every edition.
pub trait Captures<T: ?Sized> {}
impl<T: ?Sized, U: ?Sized> Captures<T> for U {}

/// The first resume argument of a closure-form `coroutine!`.
#[track_caller]
#[inline]
pub fn first_arg<R>(first: Option<R>) -> R {
    match first {
        Some(arg) => arg,
        None => panic!(
            "this coroutine binds its first resume argument, so it cannot be start()ed: \
             start it with send(arg)"
        ),
    }
}

/// The identity, at the declared return type: `return value` and the body's tail go through it
/// so they coerce (`Box<T>` to `Box<dyn Trait>`, say), as they would in a plain function.
#[inline(always)]
pub fn ret<T>(value: T) -> T {
    value
}

/// What `yield_!` evaluates to in a generator resumed with `()` (`Self`), bound by
/// `let x: T = yield_!(..)`: only `()` is, and the error for another `T` says how to receive
/// values of it.
#[diagnostic::on_unimplemented(
    message = "`yield_!` evaluates to `()` here, not `{T}`: this generator has no `resume` type",
    label = "the value sent in at this yield is `()`",
    note = "to receive values of `{T}` sent in, declare `resume = {T}`: \
            `#[generator(yield = .., resume = {T})]`, and start the generator with `start()` \
            before sending"
)]
pub trait ResumedAs<T> {
    /// The value, as `T` (which it is).
    fn get(self) -> T;
}
impl ResumedAs<()> for () {
    #[inline(always)]
    fn get(self) {}
}

/// [`ResumedAs`] for a `coroutine!` resumed with `()`.
#[diagnostic::on_unimplemented(
    message = "`yield` evaluates to `()` here, not `{T}`: this coroutine is resumed with `()`",
    label = "the value sent in at this yield is `()`",
    note = "to receive values of `{T}` sent in, write the closure form: \
            `coroutine!(|first: {T}| {{ .. }})`"
)]
pub trait CoroutineResumedAs<T> {
    /// The value, as `T` (which it is).
    fn get(self) -> T;
}
impl CoroutineResumedAs<()> for () {
    #[inline(always)]
    fn get(self) {}
}

/// What a bare `return;` returns (`Self`, `()`), in a generator declared to return `T`: the
/// error for another `T` says to return a value.
#[diagnostic::on_unimplemented(
    message = "`return;` returns `()`, but this generator returns `{T}`",
    label = "return a `{T}` here: `return value;`",
    note = "a generator's declared return type (`-> {T}`) is what its `return` and its last \
            expression give back when it completes"
)]
pub trait BareReturn<T> {
    /// `()`, as `T` (which it is).
    fn get(self) -> T;
}
impl BareReturn<()> for () {
    #[inline(always)]
    fn get(self) {}
}

/// `()`, the resume type of the generators that are iterators: said as a bound so that using
/// another generator as one says how to drive it instead.
#[diagnostic::on_unimplemented(
    message = "a generator resumed with `{Self}` is not an iterator: only generators resumed \
               with `()` are",
    label = "resumed with `{Self}`",
    note = "drive it with `start()` and `send(value)`: \
            `let mut v = g.start(); while let GeneratorState::Yielded(y) = v {{ v = g.send(..); }}`"
)]
pub trait UnitResume {
    /// `()`.
    const UNIT: Self;
}
impl UnitResume for () {
    const UNIT: Self = ();
}

/// What a body that ends without a value gives back (`Self`, `()`), in a generator declared to
/// return `T`: the error for another `T` says to end it with a value.
#[diagnostic::on_unimplemented(
    message = "this generator returns `{T}`, but its body ends without a value",
    label = "the body ends here without a `{T}`",
    note = "end the body with the `{T}` to return (an expression without `;`), or `return` it"
)]
pub trait NoValue<T> {
    /// `()`, as `T` (which it is).
    fn get(self) -> T;
}
impl NoValue<()> for () {
    #[inline(always)]
    fn get(self) {}
}
