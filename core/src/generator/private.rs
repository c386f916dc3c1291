//! Not public API: everything the macros' expansions name, reached only as
//! `::resumable::__private::…`. Nothing here is covered by semver, and none of it should be
//! used directly.

pub use crate::generator::async_gen::{AsyncSub, IntoAsyncSub};
pub use crate::generator::body::{
    body, BindsFirst, Body, ChooseMarks, Delegates, DropsFirst, First, Marked, Name, RefusesFirst,
    ThrowsFirst,
};
pub use crate::generator::channel::{Co, YieldFuture};
pub use crate::generator::delegate::Shared;
#[cfg(feature = "alloc")]
pub use crate::generator::state::{Headed, HeadedBox};
pub use crate::generator::yield_from::{
    AsyncIn, AsyncResumesMatch, AsyncTag, AwaitsIn, InAsync, InSync, IterIn, IterResumes, IterTag,
    LoopIn, LoopTag, PinnedFirst, Plain, Probe, ResumesMatch, Same, SharedIn, SharedTag, Sub,
    UnpinnedTag, ViaAsync, ViaLoop, ViaShared, YieldsMatch,
};
pub use crate::PinnedAsyncGen;
pub use crate::PinnedGen;
#[cfg(feature = "alloc")]
pub use crate::{AsyncGen, Gen};

/// Without the `alloc` feature, what the default (boxed) forms return: a stand-in that cannot
/// be made, whose error says what to do instead (once, at the generator), and that iterates
/// and resumes as the boxed form would, so that the code using it is not reported too.
#[cfg(not(feature = "alloc"))]
pub type Gen<Y, R, B> = NoAlloc<SyncForm, (Y, R, B)>;
/// See [`Gen`].
#[cfg(not(feature = "alloc"))]
pub type AsyncGen<Y, B, R = ()> = NoAlloc<AsyncForm, (Y, R, B)>;

/// Implemented only with the `alloc` feature, which the boxed generator forms need (so: never,
/// where this is compiled).
#[cfg(not(feature = "alloc"))]
#[diagnostic::on_unimplemented(
    message = "this generator is boxed, which needs the `alloc` feature of `resumable`",
    label = "a boxed generator",
    note = "use the zero-allocation form, `#[generator(yield = .., pinned)]` or \
            `coroutine!(pinned ..)`, and pin it with `core::pin::pin!`; or enable the `alloc` \
            feature of `resumable`"
)]
pub trait AllocFeature<T> {}

/// The stand-in for a boxed generator without the `alloc` feature (see [`Gen`]); `K` is
/// [`SyncForm`] or [`AsyncForm`].
#[cfg(not(feature = "alloc"))]
pub struct NoAlloc<K, T>(core::marker::PhantomData<(K, T)>);

/// See [`NoAlloc`].
#[cfg(not(feature = "alloc"))]
pub struct SyncForm;
/// See [`NoAlloc`].
#[cfg(not(feature = "alloc"))]
pub struct AsyncForm;

#[cfg(not(feature = "alloc"))]
impl<K, Y, R, B> NoAlloc<K, (Y, R, B)> {
    /// Refused at compile time (see [`AllocFeature`]).
    pub fn new(body: B) -> Self
    where
        (): AllocFeature<(K, Y, R, B)>,
    {
        drop(body);
        unreachable!()
    }
}

#[cfg(not(feature = "alloc"))]
impl<Y, R, B: Body<Y, R>> crate::Generator<R> for NoAlloc<SyncForm, (Y, R, B)> {
    type Yield = Y;
    type Return = B::Output;
    fn resume(self: core::pin::Pin<&mut Self>, _: R) -> crate::GeneratorState<Y, B::Output> {
        unreachable!()
    }
}

#[cfg(not(feature = "alloc"))]
impl<Y, B: Body<Y, ()>> Iterator for NoAlloc<SyncForm, (Y, (), B)> {
    type Item = Y;
    fn next(&mut self) -> Option<Y> {
        unreachable!()
    }
}

#[cfg(not(feature = "alloc"))]
impl<Y, R, B> futures_core::Stream for NoAlloc<AsyncForm, (Y, R, B)> {
    type Item = Y;
    fn poll_next(
        self: core::pin::Pin<&mut Self>,
        _: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Option<Y>> {
        unreachable!()
    }
}

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
