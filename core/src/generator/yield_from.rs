//! What `yield_from!(sub)` becomes, chosen by the types involved.
//!
//! ```text
//! let r = yield_from!(sub, first);
//!   ==> match (Probe(sub), first) {
//!           (probe, first) => (&probe).__resumable_tag().delegate(&mut co, probe.0, first, direct),
//!       }
//!       .await
//! ```
//!
//! The `.await` is outside the `match`, so the body keeps `sub` once across it, in the future
//! it awaits: awaited inside the arm, the binding `probe` (borrowed for the tag) would stay in
//! the body's state beside it. The temporaries of `sub` (a `pin!(..)`'s) live to the end of
//! the statement, so still across the `.await`.
//!
//! * The tag says what `sub` is, by autoref: a method on `Probe<G>` itself is found before one
//!   on `&Probe<G>`. A generator of this crate gets [`SharedTag`] (its body is polled with the
//!   delegating generator's own frame, see `SharedDelegate`); any other `Generator` gets
//!   [`LoopTag`] (Python's re-yield loop).
//! * The tag's `delegate` then says how the resume types meet, by which impl of [`SharedIn`] /
//!   [`LoopIn`] applies: the same resume type ([`Same`]), or, in a generator resumed with
//!   `Result<T, E>` (a `throw` generator), a subgenerator resumed with plain `T` ([`Plain`]).
//!   In the second case a thrown error cannot reach the subgenerator: as PEP 380 says for a
//!   subiterator without `throw()`, the subgenerator is closed and the error comes out of the
//!   `yield_from!`, which then evaluates to `Result<sub's return, E>`.
//! * `first` is what the subgenerator is started with: `Some` when written
//!   (`yield_from!(sub, first)`), `Some(())` (or `Some(Ok(()))`) in a generator whose resume
//!   type is `()`, else `None`: a subgenerator of this crate that has not started is started
//!   without one (its first resume argument would be dropped anyway), as Python's `yield from`
//!   starts it with `next()`.

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
use core::future::Future;
use core::marker::PhantomData;
use core::panic::Location;
use core::pin::Pin;

use crate::generator::async_gen::IntoAsyncSub;
use crate::generator::body::Body;
use crate::generator::channel::Co;
use crate::generator::delegate::{Shared, SharedDelegate};
#[cfg(feature = "alloc")]
use crate::{DynGen, DynGenerator, Gen};
use crate::{Generator, GeneratorState, PinnedGen};

/// Chooses the delegation for the type of a subgenerator, by autoref: a method on
/// `Probe<G>` itself (sharing the exchange, or an iterator's loop) is found before one on
/// `&Probe<G>` (the loop).
pub struct Probe<G>(pub G);

/// Marks a subgenerator of this crate: it shares the delegating generator's exchange.
#[derive(Default)]
pub struct SharedTag;
/// Marks an iterator made a generator by [`from_iter`]: it is driven by the re-yield loop.
#[derive(Default)]
pub struct IterTag;
/// Marks a borrowed pinned generator that is not pinned: it cannot be delegated to.
#[derive(Default)]
pub struct UnpinnedTag;
/// Marks any other subgenerator: it is driven by the re-yield loop.
pub struct LoopTag;

/// Found first: subgenerators of this crate, and iterators.
pub trait ViaShared {
    /// [`SharedTag`], [`IterTag`] or [`UnpinnedTag`].
    type Tag: Default;
    /// The tag for the subgenerator.
    #[inline]
    fn __resumable_tag(&self) -> Self::Tag {
        Self::Tag::default()
    }
}

/// Implements [`ViaShared`] and [`Sub`] for the generator types of this crate.
macro_rules! shared {
    ($([$($cfg:tt)*] <$($p:ident),*> $ty:ty => $y:ty, $r:ty, where {$($w:tt)*};)*) => {$(
        $($cfg)*
        impl<$($p),*> ViaShared for Probe<$ty> where $($w)* {
            type Tag = SharedTag;
        }
        $($cfg)*
        impl<$($p),*> Sub for $ty where $($w)* {
            type Yield = $y;
            type Resume = $r;
        }
    )*};
}

shared! {
    [#[cfg(feature = "alloc")]] <Y, R, B> Gen<Y, R, B> => Y, R, where {B: Body<Y, R>};
    [#[cfg(feature = "alloc")]] <Y, R, B> &mut Gen<Y, R, B> => Y, R, where {B: Body<Y, R>};
    [#[cfg(feature = "alloc")]] <Y, R, B> Box<Gen<Y, R, B>> => Y, R, where {B: Body<Y, R>};
    [] <Y, R, B> Pin<&mut PinnedGen<Y, R, B>> => Y, R, where {B: Body<Y, R>};
    [] <Y, R, B> PinnedGen<Y, R, B> => Y, R, where {B: Body<Y, R>};
    [#[cfg(feature = "alloc")]] <Y, R, B> Pin<Box<PinnedGen<Y, R, B>>> => Y, R, where {B: Body<Y, R>};
    [#[cfg(feature = "alloc")]] <D> DynGen<D> => D::Yield, D::Resume, where {D: ?Sized + DynGenerator};
    [#[cfg(feature = "alloc")]] <D> &mut DynGen<D> => D::Yield, D::Resume, where {D: ?Sized + DynGenerator};
    [#[cfg(feature = "alloc")]] <D> Box<DynGen<D>> => D::Yield, D::Resume, where {D: ?Sized + DynGenerator};
}

impl<I> ViaShared for Probe<FromIter<I>> {
    type Tag = IterTag;
}

impl<Y, R, B: Body<Y, R>> ViaShared for Probe<&mut PinnedGen<Y, R, B>> {
    type Tag = UnpinnedTag;
}

/// Found first too, for async generators (no type is both a generator of this crate and an
/// async one): they share the exchange, in an async generator only.
pub trait ViaAsync {
    /// The tag for an async subgenerator.
    #[inline]
    fn __resumable_tag(&self) -> AsyncTag {
        AsyncTag
    }
}
impl<G: IntoAsyncSub> ViaAsync for Probe<G> {}

/// Marks an async subgenerator: it shares the exchange of the async generator delegating to it.
pub struct AsyncTag;

/// Says a `yield_from!` is in a generator that is not async. Not public API.
pub struct InSync;
/// Says a `yield_from!` is in an async generator. Not public API.
pub struct InAsync;

impl InSync {
    /// The marker.
    pub const NEW: Self = InSync;
}

impl InAsync {
    /// The marker.
    pub const NEW: Self = InAsync;
}

/// Where an async generator may be delegated to: in an async generator. Not public API.
#[diagnostic::on_unimplemented(
    message = "an async generator cannot be delegated to from a generator that is not async",
    label = "this `yield_from!` is in a generator that cannot `.await`",
    note = "the subgenerator's `.await`s would have nothing to poll them: make this generator \
            async too (`#[generator(yield = T)] async fn`, `coroutine!(async {{ .. }})`)"
)]
pub trait AwaitsIn {}
impl AwaitsIn for InAsync {}

/// Found otherwise: any generator.
pub trait ViaLoop {
    /// The tag for a subgenerator driven by the loop.
    #[inline]
    fn __resumable_tag(&self) -> LoopTag {
        LoopTag
    }
}
impl<G> ViaLoop for &Probe<G> {}

/// What a subgenerator of this crate yields and is resumed with, so that a `yield_from!` whose
/// types do not match is refused by [`YieldsMatch`] and [`ResumesMatch`], with messages that
/// name the types. Not public API.
pub trait Sub {
    /// What it yields.
    type Yield;
    /// What it is resumed with.
    type Resume;
}

/// A subgenerator yielding `S` delegated to from a generator yielding `Y`: the check that
/// they are the same type, which says so when they are not, and the proof that they are. It
/// is implemented for `()` so that either type can be inferred from the other. Not public API.
#[diagnostic::on_unimplemented(
    message = "`yield_from!` cannot delegate to a generator yielding `{S}` from a generator \
               yielding `{Y}`",
    label = "this generator yields `{Y}`",
    note = "a generator delegated to with `yield_from!` yields what the generator it is used in \
            yields: make the Yield types the same, or loop and re-yield each value converted, \
            e.g. `for v in sub {{ yield_!(v.into()); }}`"
)]
pub trait YieldsMatch<S, Y> {
    /// The delegating generator's handle, as the one of a generator yielding `S`.
    fn co<R>(co: &mut Co<Y, R>) -> &mut Co<S, R>;
}

impl<Y> YieldsMatch<Y, Y> for () {
    #[inline(always)]
    fn co<R>(co: &mut Co<Y, R>) -> &mut Co<Y, R> {
        co
    }
}

/// How a subgenerator of this crate is delegated to: it yields what the delegating generator
/// yields ([`YieldsMatch`]), and its resume type fits ([`ResumesMatch`]). Not public API.
pub trait SharedIn<'c, Y, R>: Sized {
    /// What the `yield_from!` evaluates to.
    type Output;
    /// The future `yield_from!` awaits.
    fn delegation(
        self,
        co: &'c mut Co<Y, R>,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c;
}

impl<'c, Y, R: 'c, G> SharedIn<'c, Y, R> for G
where
    G: Sub + Shared<G::Yield, G::Resume> + 'c,
    G::Yield: 'c,
    (): YieldsMatch<G::Yield, Y> + ResumesMatch<G::Resume, R>,
{
    type Output = <() as ResumesMatch<G::Resume, R>>::Output<G::Output>;
    #[inline]
    fn delegation(
        self,
        co: &'c mut Co<Y, R>,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c {
        let co = <() as YieldsMatch<G::Yield, Y>>::co(co);
        <() as ResumesMatch<G::Resume, R>>::delegation(co, self, first, direct, at)
    }
}

/// How the resume type of a subgenerator of this crate (`S`) meets the delegating generator's
/// (`R`): the same type, or, in a generator resumed with `Result<T, E>` (a `throw` generator),
/// `T` (see the module docs). Implemented for `()` so that either type can be inferred from
/// the other. Not public API.
#[diagnostic::on_unimplemented(
    message = "`yield_from!` cannot delegate to a generator resumed with `{S}` from a \
               generator resumed with `{R}`",
    label = "this generator is resumed with `{R}`",
    note = "a generator delegated to with `yield_from!` is resumed with what the generator it is \
            used in is resumed with (or, in a `throw = E` generator, resumed with \
            `Result<T, E>`, with `T`)",
    note = "a generator resumed with `Result<T, E>` is a `throw = E` generator: delegate to it \
            from a generator with the same `throw = E` key (the `resumable::kernel::sys` \
            helpers need `throw = Cancelled`)"
)]
pub trait ResumesMatch<S, R> {
    /// What the `yield_from!` evaluates to, for a subgenerator returning `O`.
    type Output<O>;
    /// The future `yield_from!` awaits.
    fn delegation<'c, Y: 'c, G: Shared<Y, S> + 'c>(
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output<G::Output>> + 'c
    where
        R: 'c;
}

/// The same resume type: the subgenerator shares the exchange.
impl<R> ResumesMatch<R, R> for () {
    type Output<O> = O;
    #[inline]
    fn delegation<'c, Y: 'c, G: Shared<Y, R> + 'c>(
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = G::Output> + 'c
    where
        R: 'c,
    {
        SharedDelegate::new(co, sub, first, direct, at)
    }
}

/// A subgenerator resumed with `T` in a generator resumed with `Result<T, E>`.
impl<T, E> ResumesMatch<T, Result<T, E>> for () {
    type Output<O> = Result<O, E>;
    #[inline]
    fn delegation<'c, Y: 'c, G: Shared<Y, T> + 'c>(
        co: &'c mut Co<Y, Result<T, E>>,
        sub: G,
        first: Option<Result<T, E>>,
        _direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Result<G::Output, E>> + 'c
    where
        Result<T, E>: 'c,
    {
        // A thrown error never reaches the subgenerator: it comes out of here at once.
        throwing(co, Ours(sub, PhantomData), first, at)
    }
}

/// How an iterator ([`from_iter`]) is delegated to: its items are what the delegating
/// generator yields ([`YieldsMatch`]), and that generator is resumed with `()`
/// ([`IterResumes`]). Not public API.
pub trait IterIn<'c, Y, R>: Sized {
    /// What the `yield_from!` evaluates to.
    type Output;
    /// The future `yield_from!` awaits.
    fn delegation(
        self,
        co: &'c mut Co<Y, R>,
        first: Option<R>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c;
}

impl<'c, Y, R, I: Iterator + 'c> IterIn<'c, Y, R> for FromIter<I>
where
    I::Item: 'c,
    (): YieldsMatch<I::Item, Y> + IterResumes<R>,
{
    type Output = <() as IterResumes<R>>::Output;
    #[inline]
    fn delegation(
        self,
        co: &'c mut Co<Y, R>,
        first: Option<R>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c {
        let co = <() as YieldsMatch<I::Item, Y>>::co(co);
        <() as IterResumes<R>>::delegation(co, self, first, at)
    }
}

/// The resume types `R` of a generator that can delegate to an iterator: `()`, or
/// `Result<(), E>` in a `throw` generator. Not public API.
#[diagnostic::on_unimplemented(
    message = "`yield_from!` cannot delegate to an iterator from a generator resumed with `{R}`",
    label = "this generator is resumed with `{R}`",
    note = "an iterator made a generator by `from_iter(..)` is resumed with `()`: a value sent \
            in would have nowhere to go",
    note = "loop over the iterator instead, and use the values sent in: \
            `for x in iter {{ let sent = yield_!(x); .. }}`"
)]
pub trait IterResumes<R> {
    /// What the `yield_from!` evaluates to.
    type Output;
    /// The future `yield_from!` awaits.
    fn delegation<'c, I: Iterator + 'c>(
        co: &'c mut Co<I::Item, R>,
        sub: FromIter<I>,
        first: Option<R>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c
    where
        R: 'c;
}

impl IterResumes<()> for () {
    type Output = ();
    #[inline]
    fn delegation<'c, I: Iterator + 'c>(
        co: &'c mut Co<I::Item, ()>,
        sub: FromIter<I>,
        first: Option<()>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = ()> + 'c {
        reyield(co, sub, first, at)
    }
}

impl<E> IterResumes<Result<(), E>> for () {
    type Output = Result<(), E>;
    #[inline]
    fn delegation<'c, I: Iterator + 'c>(
        co: &'c mut Co<I::Item, Result<(), E>>,
        sub: FromIter<I>,
        first: Option<Result<(), E>>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Result<(), E>> + 'c
    where
        Result<(), E>: 'c,
    {
        throwing_theirs(co, sub, first, at)
    }
}

/// The subgenerator is resumed with the delegating generator's own resume type.
pub struct Same;
/// The delegating generator is resumed with `Result<T, E>`, the subgenerator with `T`.
pub struct Plain;

/// How any other generator is delegated to, for each way the resume types meet. Not public
/// API.
///
/// Its message is [`Generator`]'s, word for word: where `G` is not a generator, rustc reports
/// the bound twice at the `yield_from!` (for the call, and for the future it returns), once
/// in these words and once in `Generator`'s, and prints the same error only once.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a generator resumed with `{R}`",
    label = "not a `Generator<{R}>`",
    note = "generators are made by `#[generator]` and `coroutine!`; an iterator becomes one \
            (resumed with `()`) with `resumable::from_iter(..)`"
)]
pub trait LoopIn<'c, Y, R, M>: Sized {
    /// What the `yield_from!` evaluates to.
    type Output;
    /// The future `yield_from!` awaits.
    fn delegation(
        self,
        co: &'c mut Co<Y, R>,
        first: Option<R>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c;
}

impl<'c, Y, R: 'c, G: Generator<R> + 'c> LoopIn<'c, Y, R, Same> for G
where
    G::Yield: 'c,
    (): YieldsMatch<G::Yield, Y>,
{
    type Output = G::Return;
    #[inline]
    fn delegation(
        self,
        co: &'c mut Co<Y, R>,
        first: Option<R>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = G::Return> + 'c {
        reyield(<() as YieldsMatch<G::Yield, Y>>::co(co), self, first, at)
    }
}

impl<'c, Y, T: 'c, E: 'c, G: Generator<T> + 'c> LoopIn<'c, Y, Result<T, E>, Plain> for G
where
    G::Yield: 'c,
    (): YieldsMatch<G::Yield, Y>,
{
    type Output = Result<G::Return, E>;
    #[inline]
    fn delegation(
        self,
        co: &'c mut Co<Y, Result<T, E>>,
        first: Option<Result<T, E>>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c {
        throwing_theirs(<() as YieldsMatch<G::Yield, Y>>::co(co), self, first, at)
    }
}

impl SharedTag {
    /// Any generator may delegate to a generator of this crate.
    #[inline(always)]
    pub fn within<C>(self, _in: C) -> Self {
        self
    }

    /// Delegates to `sub`, a generator of this crate, starting it with `first` (see the module
    /// docs). `direct`: the macros saw the `yield_from!` awaited directly in its body (see
    /// `Shortcut`).
    #[track_caller]
    #[inline]
    pub fn delegate<'c, Y, R, G: SharedIn<'c, Y, R>>(
        self,
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        direct: bool,
    ) -> impl Future<Output = G::Output> + 'c {
        sub.delegation(co, first, direct, Location::caller())
    }
}

impl IterTag {
    /// Any generator may delegate to an iterator.
    #[inline(always)]
    pub fn within<C>(self, _in: C) -> Self {
        self
    }

    /// Delegates to `sub`, an iterator, by the re-yield loop.
    #[track_caller]
    #[inline]
    pub fn delegate<'c, Y, R, G: IterIn<'c, Y, R>>(
        self,
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        _direct: bool,
    ) -> impl Future<Output = G::Output> + 'c {
        sub.delegation(co, first, Location::caller())
    }
}

impl AsyncTag {
    /// Checks the `yield_from!` is in an async generator (`C` says which kind it is in).
    #[inline(always)]
    pub fn within<C: AwaitsIn>(self, _in: C) -> Self {
        self
    }

    /// Delegates to `sub`, an async generator, from the async generator `co` belongs to: as
    /// [`SharedTag::delegate`], for the same Yield and Resume types (see [`AsyncIn`]).
    #[track_caller]
    #[inline]
    pub fn delegate<'c, Y, R, G: AsyncIn<'c, Y, R>>(
        self,
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        direct: bool,
    ) -> impl Future<Output = G::Output> + 'c {
        sub.delegation(co, first, direct, Location::caller())
    }
}

/// How an async subgenerator is delegated to: it yields what the delegating generator yields
/// ([`YieldsMatch`]), and is resumed with what it is resumed with ([`AsyncResumesMatch`]).
/// Not public API.
pub trait AsyncIn<'c, Y, R>: Sized {
    /// What the `yield_from!` evaluates to.
    type Output;
    /// The future `yield_from!` awaits.
    fn delegation(
        self,
        co: &'c mut Co<Y, R>,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c;
}

impl<'c, Y, R: 'c, G> AsyncIn<'c, Y, R> for G
where
    G: IntoAsyncSub,
    G::Sub: 'c,
    G::Yield: 'c,
    (): YieldsMatch<G::Yield, Y> + AsyncResumesMatch<G::Resume, R>,
{
    type Output = <G::Sub as Shared<G::Yield, G::Resume>>::Output;
    #[inline]
    fn delegation(
        self,
        co: &'c mut Co<Y, R>,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Self::Output> + 'c {
        let co = <() as YieldsMatch<G::Yield, Y>>::co(co);
        <() as AsyncResumesMatch<G::Resume, R>>::delegation(co, self.into_sub(), first, direct, at)
    }
}

/// The resume type of an async subgenerator (`S`) is the delegating async generator's (`R`):
/// the check, which names both types when they differ. Not public API.
#[diagnostic::on_unimplemented(
    message = "`yield_from!` cannot delegate to an async generator resumed with `{S}` from a \
               generator resumed with `{R}`",
    label = "this generator is resumed with `{R}`",
    note = "an async generator delegated to with `yield_from!` is resumed with what the async \
            generator it is used in is resumed with; otherwise loop over it and yield what it \
            yields: `while let Some(x) = sub.next().await {{ yield_!(x); }}`"
)]
pub trait AsyncResumesMatch<S, R> {
    /// The future `yield_from!` awaits.
    fn delegation<'c, Y: 'c, G: Shared<Y, S> + 'c>(
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = G::Output> + 'c
    where
        R: 'c;
}

impl<R> AsyncResumesMatch<R, R> for () {
    #[inline]
    fn delegation<'c, Y: 'c, G: Shared<Y, R> + 'c>(
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> impl Future<Output = G::Output> + 'c
    where
        R: 'c,
    {
        SharedDelegate::new(co, sub, first, direct, at)
    }
}

/// Not implemented for any generator: a `PinnedGen` is delegated to pinned, or by value (then
/// the delegation keeps it in place). What `yield_from!` of a borrowed one that is not pinned
/// says, once (the `Output` it would evaluate to is left to
/// rustc's error type, so the code around it is not reported). Not public API.
#[diagnostic::on_unimplemented(
    message = "`yield_from!` delegates to a borrowed pinned generator only once it is pinned: \
               write `yield_from!(core::pin::pin!(sub))`, or give it by value, \
               `yield_from!(sub)`",
    label = "not pinned",
    note = "a `#[generator(pinned)]` or `coroutine!(pinned ..)` generator is `!Unpin`: it must \
            not move once started, so it is delegated to as `Pin<&mut _>` (or `Pin<Box<_>>`), \
            or by value, kept in place by the delegation"
)]
pub trait PinnedFirst<G> {
    /// What the `yield_from!` would evaluate to.
    type Output;
}

/// Only so that the method below is found, and its bound reported, rather than the method
/// said to be missing (two, so that neither is inferred as the subgenerator's type).
#[diagnostic::do_not_recommend]
impl PinnedFirst<core::convert::Infallible> for () {
    type Output = ();
}
#[diagnostic::do_not_recommend]
impl PinnedFirst<PhantomData<core::convert::Infallible>> for () {
    type Output = ();
}

impl UnpinnedTag {
    /// Any generator would be refused alike.
    #[inline(always)]
    pub fn within<C>(self, _in: C) -> Self {
        self
    }

    /// Refuses to delegate to `sub` (see [`PinnedFirst`]).
    pub fn delegate<Y, R, G>(
        self,
        co: &mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        direct: bool,
    ) -> core::future::Pending<<() as PinnedFirst<G>>::Output>
    where
        (): PinnedFirst<G>,
    {
        let _ = (co, sub, first, direct);
        core::future::pending()
    }
}

impl LoopTag {
    /// Any generator may delegate to any other.
    #[inline(always)]
    pub fn within<C>(self, _in: C) -> Self {
        self
    }

    /// Delegates to `sub` by resuming it and re-yielding what it yields, starting it with
    /// `first`. Yields are reported at the `yield_from!` that delegated.
    #[track_caller]
    #[inline]
    pub fn delegate<'c, Y, R, G: LoopIn<'c, Y, R, M>, M>(
        self,
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        _direct: bool,
    ) -> impl Future<Output = G::Output> + 'c {
        sub.delegation(co, first, Location::caller())
    }
}

/// What the loop for a subgenerator resumed with plain `T` needs of it, pinned in the loop's
/// future.
trait Driven<T> {
    type Yield;
    type Return;
    /// Checks it can be started (or resumed) with `first`, before the first resume.
    fn begin(self: Pin<&mut Self>, first: Option<&T>, at: &'static Location<'static>);
    /// Resumes it; `None` starts a generator of this crate that has not started without an
    /// argument (see the module docs).
    fn resume_with(
        self: Pin<&mut Self>,
        arg: Option<T>,
    ) -> GeneratorState<Self::Yield, Self::Return>;
    /// Ends it early, as closing the delegating generator would.
    fn close(self: Pin<&mut Self>);
}

/// A generator of this crate, driven by a loop (its resume type differs from the delegating
/// generator's, so it cannot share its exchange).
struct Ours<G, Y>(G, PhantomData<fn() -> Y>);

impl<G, Y> Ours<G, Y> {
    /// The generator, pinned where it lies in `self`.
    fn sub(self: Pin<&mut Self>) -> Pin<&mut G> {
        // SAFETY: `G` is structurally pinned: it is never moved out of `Ours`, which has no
        // `Drop` of its own and is only used pinned (see `Driven`).
        unsafe { self.map_unchecked_mut(|ours| &mut ours.0) }
    }
}

impl<Y, T, G: Shared<Y, T>> Driven<T> for Ours<G, Y> {
    type Yield = Y;
    type Return = G::Output;
    fn begin(self: Pin<&mut Self>, first: Option<&T>, at: &'static Location<'static>) {
        self.sub().begin_shared(first, at);
    }
    fn resume_with(self: Pin<&mut Self>, arg: Option<T>) -> GeneratorState<Y, G::Output> {
        self.sub().resume_shared(arg)
    }
    fn close(self: Pin<&mut Self>) {
        self.sub().close_shared();
    }
}

/// Any other generator, held by value: closing it is releasing it.
struct Theirs<G> {
    sub: G,
    at: &'static Location<'static>,
}

impl<G> Theirs<G> {
    /// The generator, pinned where it lies in `self`.
    fn sub(self: Pin<&mut Self>) -> Pin<&mut G> {
        // SAFETY: `sub` is structurally pinned: it is never moved out of `Theirs`, which has no
        // `Drop` and is `Unpin` only when `G` is.
        unsafe { self.map_unchecked_mut(|theirs| &mut theirs.sub) }
    }
}

impl<T, G: Generator<T>> Driven<T> for Theirs<G> {
    type Yield = G::Yield;
    type Return = G::Return;
    fn begin(self: Pin<&mut Self>, _first: Option<&T>, _at: &'static Location<'static>) {}
    fn resume_with(self: Pin<&mut Self>, arg: Option<T>) -> GeneratorState<G::Yield, G::Return> {
        let at = self.at;
        match arg {
            Some(arg) => self.sub().resume(arg),
            None => match self.sub().try_start() {
                Some(state) => state,
                None => needs_first(at),
            },
        }
    }
    fn close(self: Pin<&mut Self>) {}
}

/// `yield_from!` without a first value, of a generator that needs one.
#[cold]
#[inline(never)]
fn needs_first(at: &'static Location<'static>) -> ! {
    panic!(
        "`yield_from!` at {at}: this subgenerator cannot be started or resumed without an \
         argument (it is not a generator of this crate that has not started): give \
         `yield_from!` the value to start it with, `yield_from!(sub, first)`"
    )
}

/// Python's re-yield loop, for a generator that is not one of this crate's:
///
/// ```text
/// let mut arg = first;
/// let r = loop {
///     match sub.resume(arg) {
///         Yielded(y) => arg = yield_!(y),   // re-yield outward, forward what comes in
///         Complete(r) => break r,
///     }
/// };
/// ```
///
/// A function returning an `async` block rather than an `async fn`, here and below: an
/// `async fn` moves each argument into a local of its body, and rustc keeps both copies in the
/// future's state, so a subgenerator delegated to by value would take twice its size in the
/// generator delegating to it (and again at every level of a chain). The block captures `sub`
/// and uses it where it lies.
#[allow(clippy::manual_async_fn)] // see above
fn reyield<'c, Y, R, G: Generator<R, Yield = Y> + 'c>(
    co: &'c mut Co<Y, R>,
    mut sub: G,
    first: Option<R>,
    at: &'static Location<'static>,
) -> impl Future<Output = G::Return> + 'c
where
    Y: 'c,
    R: 'c,
{
    async move {
        // SAFETY: `sub` lies in this future's state, which runs only once polled, so only once
        // pinned; from here on it is reached only through this `Pin` (the name is shadowed), so
        // it never moves, and it is dropped in place with the future.
        let mut sub = unsafe { Pin::new_unchecked(&mut sub) };
        let mut state = match first {
            Some(first) => sub.as_mut().resume(first),
            None => match sub.as_mut().try_start() {
                Some(state) => state,
                None => needs_first(at),
            },
        };
        loop {
            let arg = match state {
                GeneratorState::Yielded(y) => co.yield_at(y, at).await,
                GeneratorState::Complete(r) => {
                    co.end_if_closing().await;
                    return r;
                }
            };
            state = sub.as_mut().resume(arg);
        }
    }
}

/// The loop for a subgenerator resumed with `T` in a generator resumed with `Result<T, E>`: a
/// value sent in goes on to the subgenerator; an error thrown in closes it (PEP 380: the
/// subiterator has no `throw()`) and comes out of the `yield_from!`. (Not an `async fn`: see
/// [`reyield`].)
#[allow(clippy::manual_async_fn)]
fn throwing<'c, Y: 'c, T: 'c, E: 'c, D: Driven<T, Yield = Y> + 'c>(
    co: &'c mut Co<Y, Result<T, E>>,
    mut sub: D,
    first: Option<Result<T, E>>,
    at: &'static Location<'static>,
) -> impl Future<Output = Result<D::Return, E>> + 'c {
    async move {
        // SAFETY: as in `reyield`.
        let mut sub = unsafe { Pin::new_unchecked(&mut sub) };
        let mut arg = match first {
            Some(Ok(first)) => Some(first),
            // Thrown in before it started: it never runs.
            Some(Err(e)) => {
                sub.as_mut().close();
                return Err(e);
            }
            None => None,
        };
        sub.as_mut().begin(arg.as_ref(), at);
        loop {
            match sub.as_mut().resume_with(arg.take()) {
                GeneratorState::Yielded(y) => match co.yield_at(y, at).await {
                    Ok(sent) => arg = Some(sent),
                    Err(e) => {
                        sub.as_mut().close();
                        return Err(e);
                    }
                },
                GeneratorState::Complete(r) => return Ok(r),
            }
        }
    }
}

/// [`throwing`] for any other generator.
fn throwing_theirs<'c, Y: 'c, T: 'c, E: 'c, G: Generator<T, Yield = Y> + 'c>(
    co: &'c mut Co<Y, Result<T, E>>,
    sub: G,
    first: Option<Result<T, E>>,
    at: &'static Location<'static>,
) -> impl Future<Output = Result<G::Return, E>> + 'c {
    throwing(co, Theirs { sub, at }, first, at)
}

/// Makes any iterator a [`Generator`] (Resume = `()`, Return = `()`), so `yield_from!` can
/// delegate to it — the way Python's `yield from` accepts any iterable.
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = char)]
/// fn letters() {
///     yield_from!(resumable::from_iter("ab".chars()));
///     yield_!('c');
/// }
///
/// assert_eq!(letters().collect::<String>(), "abc");
/// ```
pub fn from_iter<I: IntoIterator>(iterable: I) -> FromIter<I::IntoIter> {
    FromIter(iterable.into_iter())
}

/// An iterator seen as a generator; made by [`from_iter`]. Once the iterator is exhausted every
/// resume completes again with `()`.
///
/// ```
/// use resumable::{from_iter, Generator, GeneratorState};
/// use core::pin::Pin;
///
/// let mut g = from_iter([1, 2]);
/// assert_eq!(Pin::new(&mut g).resume(()), GeneratorState::Yielded(1));
/// assert_eq!(Pin::new(&mut g).resume(()), GeneratorState::Yielded(2));
/// assert_eq!(Pin::new(&mut g).resume(()), GeneratorState::Complete(()));
/// ```
#[derive(Debug, Clone)]
pub struct FromIter<I>(I);

// The iterator is never pinned.
impl<I> Unpin for FromIter<I> {}

impl<I: Iterator> Generator<()> for FromIter<I> {
    type Yield = I::Item;
    type Return = ();

    #[inline]
    fn resume(self: Pin<&mut Self>, (): ()) -> GeneratorState<I::Item, ()> {
        match self.get_mut().0.next() {
            Some(item) => GeneratorState::Yielded(item),
            None => GeneratorState::Complete(()),
        }
    }
}

impl<I: Iterator> Iterator for FromIter<I> {
    type Item = I::Item;

    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        self.0.next()
    }
}
