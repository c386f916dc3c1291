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
use core::marker::PhantomData;
use core::ops::DerefMut;
use core::panic::Location;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, Waker};

use crate::channel::{Body, Co, DelegationMarks, Frame, Shortcut, Stepped};
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
    /// Runs the subgenerator with the context of the outermost resume (see `Frame`).
    #[doc(hidden)]
    fn step_shared(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output>;
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
    fn step_shared(&mut self, cx: &mut Context<'_>) -> Poll<B::Output> {
        self.as_mut().step(cx)
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
    fn step_shared(&mut self, cx: &mut Context<'_>) -> Poll<B::Output> {
        self.as_pin_mut().step(cx)
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
    fn step_shared(&mut self, cx: &mut Context<'_>) -> Poll<B::Output> {
        (**self).step_shared(cx)
    }
    #[inline]
    fn close_shared(&mut self) {
        (**self).close_shared();
    }
}

/// The future `yield_from!` awaits for a generator of this crate.
#[must_use = "futures do nothing unless polled"]
pub struct SharedDelegate<'c, Y, R, G: Shared<Y, R>> {
    /// Holds the body's `Co` for as long as the delegation lasts.
    _co: PhantomData<&'c mut Co<Y, R>>,
    sub: G,
    first: Option<R>,
    done: bool,
    /// The subgenerator's return value, when it returned during a shortcut step.
    parked: Option<G::Output>,
    /// Where the `yield_from!` is.
    at: &'static Location<'static>,
}

impl<Y, R, G: Shared<Y, R>> SharedDelegate<'_, Y, R, G> {
    /// The shortcut's step (see `Shortcut`): resumes the subgenerator with a frame of its own
    /// made from the outermost resume's parts, parking its return value.
    ///
    /// # Safety
    /// `this` points to a live, unmoved `Self` that nothing else uses.
    unsafe fn step_erased(
        this: NonNull<()>,
        waker: &Waker,
        marks: &DelegationMarks<Y, R>,
        arg: Option<R>,
    ) -> Stepped<Y> {
        // SAFETY: guaranteed by the caller.
        let this = unsafe { this.cast::<Self>().as_mut() };
        let frame = Frame::new(waker, marks, arg);
        match frame.enter(|cx| this.sub.step_shared(cx)) {
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
}

/// Closing the delegating generator drops this future mid-delegation: the subgenerator is
/// closed with it, even when it is only borrowed (`yield_from!(&mut sub)`), as PEP 380 says.
impl<Y, R, G: Shared<Y, R>> Drop for SharedDelegate<'_, Y, R, G> {
    fn drop(&mut self) {
        if !self.done {
            self.sub.close_shared();
        }
    }
}

impl<Y, R, G: Shared<Y, R>> Future for SharedDelegate<'_, Y, R, G> {
    type Output = G::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<G::Output> {
        // `this` is reborrowed from `raw`, so `raw` stays valid to record below.
        let raw = NonNull::from(Pin::into_inner(self));
        // SAFETY: `raw` comes from the `&mut Self` just taken, which is not used again.
        let this = unsafe { &mut *raw.as_ptr() };
        if let Some(out) = this.parked.take() {
            this.done = true;
            if let Some(delegation) = Frame::<Y, R>::of(cx).delegation {
                delegation.outermost.set(None);
            }
            return Poll::Ready(out);
        }
        if let Some(first) = this.first.take() {
            Frame::<Y, R>::of(cx).resumed.set(Some(first));
        }
        let poll = this.sub.step_shared(cx);
        this.done = poll.is_ready();
        // The outermost generator's body delegates (this is in it, or in a body it delegates
        // to), so it keeps delegation marks.
        let frame = Frame::<Y, R>::of(cx);
        let Some(marks) = frame.delegation else {
            return poll;
        };
        if poll.is_ready() {
            marks.outermost.set(None);
            return poll;
        }
        // The delegations around this one overwrite it as the suspension unwinds.
        marks.outermost.set(Some(this.at));
        // The innermost delegation records itself, in place of the one the resume may have
        // stepped through the shortcut (a deeper one it entered), and the ones around it leave
        // it there.
        if !frame.recorded.replace(true) {
            // SAFETY: `self` stays where it is, inside the suspended body that owns it, until
            // that body is resumed past this `.await` or dropped, and `Shortcut`'s invariant
            // keeps the handle from being used after either.
            marks.innermost.set(Some(unsafe {
                Shortcut::new(raw.cast(), Self::step_erased)
            }));
        }
        poll
    }
}

// `first` is never pinned, and `G` is `Unpin`.
impl<Y, R, G: Shared<Y, R>> Unpin for SharedDelegate<'_, Y, R, G> {}

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
    /// Delegates to `sub` through the shared exchange, priming it with `first`.
    #[track_caller]
    #[inline]
    pub fn delegate<'c, Y, R, G: Shared<Y, R>>(
        self,
        _co: &'c mut Co<Y, R>,
        sub: G,
        first: R,
    ) -> SharedDelegate<'c, Y, R, G> {
        SharedDelegate {
            _co: PhantomData,
            sub,
            first: Some(first),
            done: false,
            parked: None,
            at: Location::caller(),
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
