//! `yield_from!` (PEP 380): delegating to a subgenerator.
//!
//! `let r = yield_from!(sub);` desugars, for any [`Generator`], into the loop Python runs:
//!
//! ```text
//! let mut arg = first;                      // Default::default(), or the second argument
//! let r = loop {
//!     match sub.resume(arg) {
//!         Yielded(y) => arg = yield_!(y),   // re-yield outward, forward what comes in
//!         Complete(r) => break r,
//!     }
//! };
//! ```
//!
//! For a generator of this crate the loop is not needed: the subgenerator's channel is pointed
//! at the exchange of the outermost resume, and its body is polled in place. It yields straight
//! to the caller and reads resume arguments (sent values and thrown errors alike) straight from
//! it, so each level of delegation costs one poll, not one re-yield.

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
use core::future::Future;
use core::marker::{PhantomData, PhantomPinned};
use core::ops::DerefMut;
use core::panic::Location;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, Waker};

use crate::channel::{Body, BodyId, Co, DelegationMarks, Frame, Link, Recorded, Shortcut, Stepped};
#[cfg(feature = "alloc")]
use crate::Gen;
use crate::{Generator, GeneratorState, PinnedGen};

/// A generator of this crate that can share its caller's exchange.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be delegated to with `yield_from!` here: its Yield or Resume type differs",
    label = "not a generator yielding `{Y}` and resumed with `{R}`",
    note = "`yield_from!` takes a generator whose Yield and Resume types match the generator it is used in"
)]
pub trait Shared<Y, R>: Unpin {
    /// The subgenerator's return value.
    type Output;
    /// Runs the subgenerator with the outermost resume's frame and context (see `Frame`).
    #[doc(hidden)]
    fn step_shared(&mut self, frame: &Frame<'_, Y, R>, cx: &mut Context<'_>) -> Poll<Self::Output>;
    /// Makes the subgenerator ready to be delegated to (see `PinnedGen::begin_delegation`).
    #[doc(hidden)]
    fn begin_shared(&mut self);
    /// Closes the subgenerator, when the generator delegating to it is closed first.
    #[doc(hidden)]
    fn close_shared(&mut self);
}

/// A pinned generator of this crate, by reference (`pin!`) or boxed (`Box::pin`).
impl<Y, R, B: Body<Y, R>, P> Shared<Y, R> for Pin<P>
where
    P: DerefMut<Target = PinnedGen<Y, R, B>> + Unpin,
{
    type Output = B::Output;
    #[inline(always)]
    fn step_shared(&mut self, frame: &Frame<'_, Y, R>, cx: &mut Context<'_>) -> Poll<B::Output> {
        self.as_mut().step(frame, cx)
    }
    #[inline]
    fn begin_shared(&mut self) {
        self.as_mut().begin_delegation();
    }
    #[inline]
    fn close_shared(&mut self) {
        self.as_mut().close();
    }
}

#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> Shared<Y, R> for Gen<Y, R, B> {
    type Output = B::Output;
    #[inline(always)]
    fn step_shared(&mut self, frame: &Frame<'_, Y, R>, cx: &mut Context<'_>) -> Poll<B::Output> {
        self.as_pin_mut().step(frame, cx)
    }
    #[inline]
    fn begin_shared(&mut self) {
        self.as_pin_mut().begin_delegation();
    }
    #[inline]
    fn close_shared(&mut self) {
        self.as_pin_mut().close();
    }
}

/// A borrowed generator (`yield_from!(&mut sub)`) is delegated to like an owned one.
#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> Shared<Y, R> for &mut Gen<Y, R, B> {
    type Output = B::Output;
    #[inline(always)]
    fn step_shared(&mut self, frame: &Frame<'_, Y, R>, cx: &mut Context<'_>) -> Poll<B::Output> {
        (**self).step_shared(frame, cx)
    }
    #[inline]
    fn begin_shared(&mut self) {
        (**self).begin_shared();
    }
    #[inline]
    fn close_shared(&mut self) {
        (**self).close_shared();
    }
}

/// The future `yield_from!` awaits for a generator of this crate.
///
/// It is pinned (`!Unpin`): while a resume that recorded it as the innermost delegation lasts,
/// and after it as the generator's shortcut, it is reached through its address (see
/// `Shortcut`).
#[must_use = "futures do nothing unless polled"]
pub struct SharedDelegate<'c, Y, R, G: Shared<Y, R>> {
    /// Holds the body's `Co` for as long as the delegation lasts.
    _co: PhantomData<&'c mut Co<Y, R>>,
    /// The body the `yield_from!` is in.
    body: BodyId,
    sub: G,
    first: Option<R>,
    done: bool,
    /// Whether the macros saw this `yield_from!` awaited directly in its body, so that while it
    /// is pending its body is suspended at it and nowhere else (see `Shortcut`).
    direct: bool,
    /// The subgenerator's return value, when it returned during a shortcut step.
    parked: Option<G::Output>,
    /// Where the `yield_from!` is.
    at: &'static Location<'static>,
    /// The frame this delegation is recorded in, while that resume lasts (see `Recorded`).
    link: Link,
    _pinned: PhantomPinned,
}

impl<Y, R, G: Shared<Y, R>> SharedDelegate<'_, Y, R, G> {
    /// The shortcut's step (see `Shortcut`): resumes the subgenerator with a frame of its own
    /// made from the outermost resume's parts, parking its return value.
    ///
    /// # Safety
    /// `this` points to a live, pinned `Self` that nothing else uses.
    unsafe fn step_erased(
        this: NonNull<()>,
        waker: &Waker,
        marks: &DelegationMarks<Y, R>,
        arg: Option<R>,
    ) -> Stepped<Y> {
        // SAFETY: guaranteed by the caller.
        let this = unsafe { this.cast::<Self>().as_mut() };
        let frame = Frame::new(waker, marks, arg);
        match frame.enter(|cx| this.sub.step_shared(&frame, cx)) {
            Poll::Ready(out) => {
                this.parked = Some(out);
                Stepped::Returned
            }
            Poll::Pending => match frame.yielded.take() {
                Some(value) => Stepped::Yielded(value),
                None => Stepped::Awaiting,
            },
        }
    }

    /// Records this delegation in `frame` as the innermost one (see `Shortcut`), in place of
    /// what is there: nothing, or this same delegation from an earlier poll in this resume.
    fn record(&mut self, frame: &Frame<'_, Y, R>) {
        unlink(frame);
        let this = NonNull::from(&mut *self);
        let link = NonNull::from(&self.link);
        // SAFETY: `step_erased` is sound to call while `Shortcut`'s invariant holds: then this
        // delegation is alive and pinned inside the suspended body that owns it, and nothing
        // else is using it.
        let shortcut = unsafe { Shortcut::new(this.cast(), Self::step_erased) };
        self.link.set(Some(NonNull::from(frame).cast()));
        frame.recorded.set(Some(Recorded { shortcut, link }));
    }
}

/// Takes the delegation recorded in `frame` back out, cutting its link.
fn unlink<Y, R>(frame: &Frame<'_, Y, R>) {
    if let Some(recorded) = frame.recorded.take() {
        // SAFETY: a recorded delegation is alive while it is linked: its drop unlinks it.
        unsafe { recorded.link.as_ref() }.set(None);
    }
}

/// Closing the delegating generator drops this future mid-delegation: the subgenerator is
/// closed with it, even when it is only borrowed (`yield_from!(&mut sub)`), as PEP 380 says.
/// Dropped while the resume that recorded it lasts (code the macros cannot see cancelled it),
/// it takes itself back out of that resume's frame first.
impl<Y, R, G: Shared<Y, R>> Drop for SharedDelegate<'_, Y, R, G> {
    fn drop(&mut self) {
        if let Some(frame) = self.link.take() {
            // SAFETY: the link is set only while the frame it points to lasts: the frame's end
            // empties it (`Frame`'s drop), and nothing else does but this. The frame is one of
            // this delegation's types: it was polling this delegation's body (`Frame::of`).
            let frame = unsafe { frame.cast::<Frame<'_, Y, R>>().as_ref() };
            frame.recorded.set(None);
            if let Some(marks) = frame.delegation {
                marks.outermost.set(None);
            }
        }
        if !self.done {
            self.sub.close_shared();
        }
    }
}

impl<Y, R, G: Shared<Y, R>> Future for SharedDelegate<'_, Y, R, G> {
    type Output = G::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<G::Output> {
        // SAFETY: nothing is moved out of `self`; `sub` is `Unpin`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `frame` is only used in this poll.
        let Some(frame) = (unsafe { Frame::<Y, R>::of(cx, this.body) }) else {
            return Poll::Pending;
        };
        if let Some(out) = this.parked.take() {
            this.done = true;
            if let Some(delegation) = frame.delegation {
                delegation.outermost.set(None);
            }
            return Poll::Ready(out);
        }
        if let Some(first) = this.first.take() {
            this.sub.begin_shared();
            frame.resumed.set(Some(first));
        }
        let place = frame.header.place.get();
        let poll = this.sub.step_shared(frame, cx);
        // The subgenerator's poll made the frame its own; the body goes on here.
        frame.header.body.set(this.body);
        frame.header.place.set(place);
        this.done = poll.is_ready();
        // The outermost generator's body delegates (this is in it, or in a body it delegates
        // to), so it keeps delegation marks.
        let Some(marks) = frame.delegation else {
            return poll;
        };
        if poll.is_ready() {
            marks.outermost.set(None);
            return poll;
        }
        // The delegations around this one overwrite it as the suspension unwinds.
        marks.outermost.set(Some(this.at));
        // The innermost delegation records itself, and the ones around it leave it there, if
        // the chain may be stepped past them: see `Shortcut`.
        let direct = this.direct && place.contains(this);
        match frame.recorded.get() {
            _ if !direct => unlink(frame),
            None => this.record(frame),
            // Polled again in the same resume: recorded again, from this poll's reference.
            Some(r) if r.shortcut.delegation() == NonNull::from(&mut *this).cast() => {
                this.record(frame)
            }
            Some(_) => {}
        }
        poll
    }
}

/// What `yield_from!` accepts: a [`Generator`] with the same Yield and Resume types as the
/// generator it is used in. Not public API: only here for its error message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be delegated to with `yield_from!`",
    label = "not a `Generator<{R}, Yield = {Y}>`",
    note = "`yield_from!` takes a generator whose Yield and Resume types match the generator \
            it is used in; wrap an iterator in `resumable::from_iter(..)` to delegate to it"
)]
pub trait Delegable<Y, R>: Generator<R, Yield = Y> {}

impl<Y, R, G: Generator<R, Yield = Y>> Delegable<Y, R> for G {}

/// Chooses the delegation for the type of a subgenerator, by autoref: a method on
/// `Probe<G>` itself (sharing the exchange) is found before one on `&Probe<G>` (the loop).
pub struct Probe<G>(pub G);

/// Marks a subgenerator that shares the exchange.
pub struct SharedTag;
/// Marks a subgenerator driven by the re-yield loop.
pub struct LoopTag;

/// Found first: subgenerators of this crate.
pub trait ViaShared {
    /// The tag for a subgenerator that shares the exchange.
    #[inline]
    fn __resumable_tag(&self) -> SharedTag {
        SharedTag
    }
}
#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> ViaShared for Probe<Gen<Y, R, B>> {}
#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> ViaShared for Probe<&mut Gen<Y, R, B>> {}
impl<Y, R, B: Body<Y, R>> ViaShared for Probe<Pin<&mut PinnedGen<Y, R, B>>> {}
#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> ViaShared for Probe<Pin<Box<PinnedGen<Y, R, B>>>> {}

/// Found otherwise: any generator.
pub trait ViaLoop {
    /// The tag for a subgenerator driven by the loop.
    #[inline]
    fn __resumable_tag(&self) -> LoopTag {
        LoopTag
    }
}
impl<G> ViaLoop for &Probe<G> {}

impl SharedTag {
    /// Delegates to `sub` through the shared exchange, priming it with `first`. `direct`: the
    /// macros saw the `yield_from!` awaited directly in its body (see `Shortcut`).
    #[track_caller]
    #[inline]
    pub fn delegate<'c, Y, R, G: Shared<Y, R>>(
        self,
        co: &'c mut Co<Y, R>,
        sub: G,
        first: R,
        direct: bool,
    ) -> SharedDelegate<'c, Y, R, G> {
        SharedDelegate {
            _co: PhantomData,
            body: co.body(),
            sub,
            first: Some(first),
            done: false,
            direct,
            parked: None,
            at: Location::caller(),
            link: Link::default(),
            _pinned: PhantomPinned,
        }
    }
}

impl LoopTag {
    /// Delegates to `sub` by resuming it and re-yielding what it yields, priming it with
    /// `first`. Yields are reported at the `yield_from!` that delegated.
    #[track_caller]
    #[inline]
    pub fn delegate<'c, Y, R, G: Delegable<Y, R> + 'c>(
        self,
        co: &'c mut Co<Y, R>,
        sub: G,
        first: R,
        _direct: bool,
    ) -> impl Future<Output = G::Return> + 'c
    where
        Y: 'c,
        R: 'c,
    {
        reyield(co, sub, first, Location::caller())
    }
}

async fn reyield<Y, R, G: Generator<R, Yield = Y>>(
    co: &mut Co<Y, R>,
    sub: G,
    first: R,
    at: &'static Location<'static>,
) -> G::Return {
    let mut sub = core::pin::pin!(sub);
    let mut arg = first;
    loop {
        match sub.as_mut().resume(arg) {
            GeneratorState::Yielded(y) => arg = co.yield_at(y, at).await,
            GeneratorState::Complete(r) => return r,
        }
    }
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
