//! `yield_from!` (PEP 380) to a generator of this crate: the delegating generator's frame is
//! handed on, and the subgenerator's body is polled in place. It yields straight to the
//! caller and reads resume arguments (sent values and thrown errors alike) straight from it,
//! so each level of delegation costs one poll, not one re-yield; and from then on the
//! outermost generator resumes the innermost delegation directly (see `Shortcut`). What
//! `yield_from!` becomes, and how other generators are delegated to, is in `yield_from`.

use core::future::Future;
use core::marker::{PhantomData, PhantomPinned};
use core::ops::DerefMut;
use core::panic::Location;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, Waker};

use crate::generator::body::Body;
use crate::generator::channel::{
    BodyId, Co, DelegationMarks, Frame, Link, Recorded, Shortcut, Stepped,
};
#[cfg(feature = "alloc")]
use crate::Gen;
use crate::{GeneratorState, PinnedGen};

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
    /// Resumes the subgenerator the plain way, as a generator of its own (`None`: start it
    /// without an argument).
    #[doc(hidden)]
    fn resume_shared(&mut self, arg: Option<R>) -> GeneratorState<Y, Self::Output>;
    /// Makes the subgenerator ready to be delegated to by the `yield_from!` at `at`, started
    /// with `first` (see `PinnedGen::begin_delegation`).
    #[doc(hidden)]
    fn begin_shared(&mut self, first: Option<&R>, at: &'static Location<'static>);
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
    fn resume_shared(&mut self, arg: Option<R>) -> GeneratorState<Y, B::Output> {
        self.as_mut().drive(arg)
    }
    #[inline]
    fn begin_shared(&mut self, first: Option<&R>, at: &'static Location<'static>) {
        self.as_mut().begin_delegation(first, at);
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
    fn resume_shared(&mut self, arg: Option<R>) -> GeneratorState<Y, B::Output> {
        self.as_pin_mut().drive(arg)
    }
    #[inline]
    fn begin_shared(&mut self, first: Option<&R>, at: &'static Location<'static>) {
        self.as_pin_mut().begin_delegation(first, at);
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
    fn resume_shared(&mut self, arg: Option<R>) -> GeneratorState<Y, B::Output> {
        (**self).resume_shared(arg)
    }
    #[inline]
    fn begin_shared(&mut self, first: Option<&R>, at: &'static Location<'static>) {
        (**self).begin_shared(first, at);
    }
    #[inline]
    fn close_shared(&mut self) {
        (**self).close_shared();
    }
}

/// A borrowed boxed generator (`yield_from!(&mut sub)`) is delegated to like an owned one.
#[cfg(feature = "alloc")]
impl<D: ?Sized + crate::DynGenerator> Shared<D::Yield, D::Resume> for &mut crate::DynGen<D> {
    type Output = D::Return;
    #[inline(always)]
    fn step_shared(
        &mut self,
        frame: &Frame<'_, D::Yield, D::Resume>,
        cx: &mut Context<'_>,
    ) -> Poll<D::Return> {
        (**self).step_shared(frame, cx)
    }
    #[inline]
    fn resume_shared(&mut self, arg: Option<D::Resume>) -> GeneratorState<D::Yield, D::Return> {
        (**self).resume_shared(arg)
    }
    #[inline]
    fn begin_shared(&mut self, first: Option<&D::Resume>, at: &'static Location<'static>) {
        (**self).begin_shared(first, at);
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
    /// What the subgenerator is started with (see `yield_from`).
    first: Option<R>,
    /// Whether the subgenerator has been made ready (its first poll).
    begun: bool,
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

impl<'c, Y, R, G: Shared<Y, R>> SharedDelegate<'c, Y, R, G> {
    /// Delegates to `sub` from the body `co` belongs to, at the `yield_from!` at `at` (see
    /// `SharedTag::delegate`).
    #[inline]
    pub(crate) fn new(
        co: &'c mut Co<Y, R>,
        sub: G,
        first: Option<R>,
        direct: bool,
        at: &'static Location<'static>,
    ) -> Self {
        SharedDelegate {
            _co: PhantomData,
            body: co.body(),
            sub,
            first,
            begun: false,
            done: false,
            direct,
            parked: None,
            at,
            link: Link::default(),
            _pinned: PhantomPinned,
        }
    }

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
        let waker = frame.waker();
        match this
            .sub
            .step_shared(&frame, &mut Context::from_waker(&waker))
        {
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
            return this.returned(frame, out);
        }
        if !this.begun {
            this.begun = true;
            this.sub.begin_shared(this.first.as_ref(), this.at);
            frame.resumed.set(this.first.take());
        }
        let place = frame.header.place.get();
        let poll = this.sub.step_shared(frame, cx);
        // The subgenerator's poll made the frame its own; the body goes on here.
        frame.header.body.set(this.body);
        frame.header.place.set(place);
        if let Poll::Ready(out) = poll {
            return this.returned(frame, out);
        }
        // The outermost generator's body delegates (this is in it, or in a body it delegates
        // to), so it keeps delegation marks.
        let Some(marks) = frame.delegation else {
            return Poll::Pending;
        };
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
        Poll::Pending
    }
}

impl<Y, R, G: Shared<Y, R>> SharedDelegate<'_, Y, R, G> {
    /// The subgenerator returned `out`: the `yield_from!` evaluates to it, unless the generator
    /// is being closed, when the delegation ends there (see `Frame::ends_delegation`).
    #[inline]
    fn returned(&mut self, frame: &Frame<'_, Y, R>, out: G::Output) -> Poll<G::Output> {
        self.done = true;
        if let Some(delegation) = frame.delegation {
            delegation.outermost.set(None);
        }
        if frame.ends_delegation() {
            drop(out);
            return Poll::Pending;
        }
        Poll::Ready(out)
    }
}
