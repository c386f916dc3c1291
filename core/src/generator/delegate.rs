//! `yield_from!` (PEP 380) to a generator of this crate: the delegating generator's frame is
//! handed on, and the subgenerator's body is polled in place. It yields straight to the
//! caller and reads resume arguments (sent values and thrown errors alike) straight from it,
//! so each level of delegation costs one poll, not one re-yield; and from then on the
//! outermost generator resumes the innermost delegation directly, and a return or a new
//! `yield_from!` moves it one level, so a resume costs the same at any depth (see `Shortcut`,
//! in `chain`). What `yield_from!` becomes, and how other generators are delegated to, is in
//! `yield_from`.

use core::future::Future;
use core::marker::{PhantomData, PhantomPinned};
use core::ops::DerefMut;
use core::panic::Location;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, Waker};

use crate::generator::body::Body;
use crate::generator::chain::{Enclosing, ErasedOps, Link, Parent, Recorded, Shortcut, Stepped};
use crate::generator::channel::{BodyId, Co, DelegationMarks, Fault, Frame, Marks, NESTING_LIMIT};
#[cfg(feature = "alloc")]
use crate::Gen;
use crate::{GeneratorState, PinnedGen};

/// A generator of this crate that can share its caller's exchange.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be delegated to with `yield_from!` here: its Yield or Resume type differs",
    label = "not a generator yielding `{Y}` and resumed with `{R}`",
    note = "`yield_from!` takes a generator whose Yield and Resume types match the generator it is used in"
)]
pub trait Shared<Y, R> {
    /// The subgenerator's return value.
    type Output;
    /// Whether the subgenerator's body has no `yield_from!` of its own: polled inside its
    /// delegation's poll, it adds one level to the stack and never more, so its delegation need
    /// not descend (see `SharedDelegate::poll`).
    #[doc(hidden)]
    const LEAF: bool = false;
    /// Runs the subgenerator with the outermost resume's frame and context (see `Frame`).
    #[doc(hidden)]
    fn step_shared(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Y, R>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output>;
    /// Resumes the subgenerator the plain way, as a generator of its own (`None`: start it
    /// without an argument).
    #[doc(hidden)]
    fn resume_shared(self: Pin<&mut Self>, arg: Option<R>) -> GeneratorState<Y, Self::Output>;
    /// Makes the subgenerator ready to be delegated to by the `yield_from!` at `at`, started
    /// with `first` (see `PinnedGen::begin_delegation`).
    #[doc(hidden)]
    fn begin_shared(self: Pin<&mut Self>, first: Option<&R>, at: &'static Location<'static>);
    /// Closes the subgenerator, when the generator delegating to it is closed first.
    #[doc(hidden)]
    fn close_shared(self: Pin<&mut Self>);
}

/// A pinned generator by value (`yield_from!(sub())` of a `#[generator(pinned)]` fn): it has
/// not started (a pinned generator is resumed only through `Pin`), and the delegation keeps it
/// in place from its first poll on (see `SharedDelegate::sub`), so it allocates nothing.
impl<Y, R, B: Body<Y, R>> Shared<Y, R> for PinnedGen<Y, R, B> {
    type Output = B::Output;
    const LEAF: bool = !<B::Marks as Marks<Y, R>>::DELEGATES;
    #[inline(always)]
    fn step_shared(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Y, R>,
        cx: &mut Context<'_>,
    ) -> Poll<B::Output> {
        self.step(frame, cx)
    }
    #[inline]
    fn resume_shared(self: Pin<&mut Self>, arg: Option<R>) -> GeneratorState<Y, B::Output> {
        self.drive(arg)
    }
    #[inline]
    fn begin_shared(self: Pin<&mut Self>, first: Option<&R>, at: &'static Location<'static>) {
        self.begin_delegation(first, at);
    }
    #[inline]
    fn close_shared(self: Pin<&mut Self>) {
        self.close();
    }
}

/// A pinned generator of this crate, by reference (`pin!`) or boxed (`Box::pin`).
impl<Y, R, B: Body<Y, R>, P> Shared<Y, R> for Pin<P>
where
    P: DerefMut<Target = PinnedGen<Y, R, B>> + Unpin,
{
    type Output = B::Output;
    const LEAF: bool = !<B::Marks as Marks<Y, R>>::DELEGATES;
    #[inline(always)]
    fn step_shared(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Y, R>,
        cx: &mut Context<'_>,
    ) -> Poll<B::Output> {
        self.get_mut().as_mut().step(frame, cx)
    }
    #[inline]
    fn resume_shared(self: Pin<&mut Self>, arg: Option<R>) -> GeneratorState<Y, B::Output> {
        self.get_mut().as_mut().drive(arg)
    }
    #[inline]
    fn begin_shared(self: Pin<&mut Self>, first: Option<&R>, at: &'static Location<'static>) {
        self.get_mut().as_mut().begin_delegation(first, at);
    }
    #[inline]
    fn close_shared(self: Pin<&mut Self>) {
        self.get_mut().as_mut().close();
    }
}

#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> Shared<Y, R> for Gen<Y, R, B> {
    type Output = B::Output;
    const LEAF: bool = !<B::Marks as Marks<Y, R>>::DELEGATES;
    #[inline(always)]
    fn step_shared(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Y, R>,
        cx: &mut Context<'_>,
    ) -> Poll<B::Output> {
        self.get_mut().as_pin_mut().step(frame, cx)
    }
    #[inline]
    fn resume_shared(self: Pin<&mut Self>, arg: Option<R>) -> GeneratorState<Y, B::Output> {
        self.get_mut().as_pin_mut().drive(arg)
    }
    #[inline]
    fn begin_shared(self: Pin<&mut Self>, first: Option<&R>, at: &'static Location<'static>) {
        self.get_mut().as_pin_mut().begin_delegation(first, at);
    }
    #[inline]
    fn close_shared(self: Pin<&mut Self>) {
        self.get_mut().as_pin_mut().close();
    }
}

/// Through a pointer to a generator of this crate that may move (`Unpin`): owned in a box
/// (`yield_from!(Box::new(sub))`) or borrowed (`yield_from!(&mut sub)`), it is delegated to like
/// the generator it points to.
macro_rules! through_pointer {
    ($($(#[$attr:meta])* $pointer:ty;)*) => {$(
        $(#[$attr])*
        impl<Y, R, G: Shared<Y, R> + Unpin + ?Sized> Shared<Y, R> for $pointer {
            type Output = G::Output;
            const LEAF: bool = G::LEAF;
            #[inline(always)]
            fn step_shared(
                self: Pin<&mut Self>,
                frame: &Frame<'_, Y, R>,
                cx: &mut Context<'_>,
            ) -> Poll<G::Output> {
                Pin::new(&mut **self.get_mut()).step_shared(frame, cx)
            }
            #[inline]
            fn resume_shared(
                self: Pin<&mut Self>,
                arg: Option<R>,
            ) -> GeneratorState<Y, G::Output> {
                Pin::new(&mut **self.get_mut()).resume_shared(arg)
            }
            #[inline]
            fn begin_shared(
                self: Pin<&mut Self>,
                first: Option<&R>,
                at: &'static Location<'static>,
            ) {
                Pin::new(&mut **self.get_mut()).begin_shared(first, at);
            }
            #[inline]
            fn close_shared(self: Pin<&mut Self>) {
                Pin::new(&mut **self.get_mut()).close_shared();
            }
        }
    )*};
}

through_pointer! {
    &mut G;
    #[cfg(feature = "alloc")]
    alloc::boxed::Box<G>;
}

/// The future `yield_from!` awaits for a generator of this crate.
///
/// It is pinned (`!Unpin`): while a resume that recorded it as the innermost delegation lasts,
/// and after it as a handle of the generator's chain, it is reached through its address (see
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
    /// The delegation stepping the body this one lies in, if this one may be stepped and does
    /// not lie in the outermost body: where a return goes up to (see `Shortcut`).
    parent: Parent<Y, R>,
    /// Whether the subgenerator has been made ready (its first poll or step).
    begun: bool,
    done: bool,
    /// Whether the macros saw this `yield_from!` awaited directly in its body, so that while it
    /// is pending its body is suspended at it and nowhere else (see `Shortcut`).
    direct: bool,
    /// Whether it lies in a subgenerator's body and may be stepped: the `yield_from!` of the
    /// outermost body is then another one, which keeps the generator's `outermost` mark.
    nested: bool,
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
            parent: Parent(None),
            begun: false,
            done: false,
            direct,
            nested: false,
            parked: None,
            at,
            link: Link::default(),
            _pinned: PhantomPinned,
        }
    }

    /// The handle on this delegation (see `Shortcut`), from the pointer `this` it is reached
    /// through.
    fn handle(this: NonNull<Self>) -> Shortcut<Y, R> {
        // SAFETY: `step_erased` and `close_erased` are sound to call while `Shortcut`'s
        // invariant holds: then this delegation is alive and pinned inside the suspended body
        // that owns it, and nothing else is using it.
        unsafe { Shortcut::new(this.cast(), &Self::STEP) }
    }

    /// The handle's operations.
    const STEP: ErasedOps<Y, R> = ErasedOps {
        step: Self::step_erased,
        close: Self::close_erased,
    };

    /// The operations of the handle of a delegation that descended.
    const DESCEND: ErasedOps<Y, R> = ErasedOps {
        step: Self::descend_erased,
        close: Self::close_erased,
    };

    /// The handle a delegation records itself with when it descends (see `poll`): its first
    /// step starts the subgenerator.
    fn descent(this: NonNull<Self>) -> Shortcut<Y, R> {
        // SAFETY: as `handle`, for `descend_erased`.
        unsafe { Shortcut::new(this.cast(), &Self::DESCEND) }
    }

    /// The subgenerator, pinned where it lies in the delegation.
    ///
    /// It is structurally pinned: the delegation is `!Unpin` and used in place from its first
    /// poll on (it is awaited in its body, and its handles point to it, see `Shortcut`), it
    /// never moves `sub` out, and its `Drop` uses it in place. Before the first poll the
    /// delegation may move, and `sub` with it: a generator that has not started may move (a
    /// pinned one by value has not: it is resumed only through `Pin`).
    #[inline(always)]
    fn sub(&mut self) -> Pin<&mut G> {
        // SAFETY: see above; `&mut self` is only ever taken of a delegation in place (a poll's
        // `Pin`, a handle's pointer, its drop).
        unsafe { Pin::new_unchecked(&mut self.sub) }
    }

    /// Makes the subgenerator ready, and hands `frame` the argument it starts with.
    fn begin(&mut self, frame: &Frame<'_, Y, R>) {
        self.begun = true;
        let (first, at) = (self.first.take(), self.at);
        self.sub().begin_shared(first.as_ref(), at);
        frame.resumed.set(first);
    }

    /// A step of the chain (see `Shortcut`): resumes the subgenerator with a frame of its own
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
        let frame = Frame::new(waker, marks, arg);
        // SAFETY: guaranteed by the caller.
        unsafe { Self::step_with(this.cast(), marks, frame) }
    }

    /// Closes the subgenerator (see `Shortcut::close_chain`) and returns this delegation's
    /// parent. The delegation is then done: its drop does not close the subgenerator again.
    ///
    /// # Safety
    /// As `step_erased`.
    unsafe fn close_erased(this: NonNull<()>) -> Option<Shortcut<Y, R>> {
        // SAFETY: guaranteed by the caller.
        let this = unsafe { &mut *this.cast::<Self>().as_ptr() };
        if !this.done {
            this.done = true;
            this.sub().close_shared();
        }
        this.parent.0
    }

    /// The first step of a delegation that descended: starts the subgenerator, which the
    /// delegation has not polled, and steps it. From here on the delegation is stepped the
    /// usual way.
    ///
    /// # Safety
    /// As `step_erased`.
    unsafe fn descend_erased(
        this: NonNull<()>,
        waker: &Waker,
        marks: &DelegationMarks<Y, R>,
        arg: Option<R>,
    ) -> Stepped<Y> {
        // The argument of the resume went to the body that entered this `yield_from!`.
        debug_assert!(
            arg.is_none(),
            "a delegation descends within the resume that entered it"
        );
        let frame = Frame::new(waker, marks, arg);
        marks.innermost.set(Some(Self::handle(this.cast())));
        // SAFETY: guaranteed by the caller.
        unsafe { this.cast::<Self>().as_mut() }.begin(&frame);
        // SAFETY: guaranteed by the caller.
        unsafe { Self::step_with(this.cast(), marks, frame) }
    }

    /// A step with `frame`, made from the outermost resume's parts.
    ///
    /// # Safety
    /// As `step_erased`.
    #[inline(always)]
    unsafe fn step_with(
        this: NonNull<Self>,
        marks: &DelegationMarks<Y, R>,
        frame: Frame<'_, Y, R>,
    ) -> Stepped<Y> {
        // The bodies the subgenerator delegates to come back here, through the same pointer.
        frame.enclosing.set(Enclosing::In(Self::handle(this)));
        // SAFETY: guaranteed by the caller.
        let this = unsafe { &mut *this.as_ptr() };
        let waker = frame.waker();
        match this
            .sub()
            .step_shared(&frame, &mut Context::from_waker(&waker))
        {
            Poll::Ready(out) => {
                this.parked = Some(out);
                marks.innermost.set(this.parent.0);
                Stepped::Returned
            }
            Poll::Pending => match frame.yielded.take() {
                Some(value) => Stepped::Yielded(value),
                // The frame's end makes the delegation recorded the innermost.
                None if frame.recorded.get().is_some_and(|r| r.descends) => Stepped::Descended,
                None => Stepped::Awaiting,
            },
        }
    }

    /// Records this delegation, reached through `this`, in `frame` as the innermost one (see
    /// `Shortcut`), in place of what is there: nothing, or this same delegation from an earlier
    /// poll in this resume. `descends`: it has not polled its subgenerator, for the resume to
    /// step it.
    fn record(this: NonNull<Self>, frame: &Frame<'_, Y, R>, descends: bool) {
        unlink(frame);
        // SAFETY: `this` points to this live delegation (see `poll`); the link is a cell.
        let link = unsafe { &this.as_ref().link };
        link.set(Some(NonNull::from(frame).cast()));
        frame.recorded.set(Some(Recorded {
            shortcut: if descends {
                Self::descent(this)
            } else {
                Self::handle(this)
            },
            link: NonNull::from(link),
            descends,
        }));
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
            self.sub().close_shared();
        }
    }
}

impl<Y, R, G: Shared<Y, R>> Future for SharedDelegate<'_, Y, R, G> {
    type Output = G::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<G::Output> {
        // SAFETY: nothing is moved out of `self`; `sub` is `Unpin`.
        let ptr = NonNull::from(unsafe { self.get_unchecked_mut() });
        // Every use of the delegation in this poll goes through `ptr`, so that its handles,
        // which are `ptr`, stay valid after the poll (see `Shortcut`).
        // SAFETY: `ptr` is the `&mut` above; nothing else uses the delegation meanwhile.
        let this = unsafe { &mut *ptr.as_ptr() };
        // SAFETY: `frame` is only used in this poll.
        let Some(frame) = (unsafe { Frame::<Y, R>::of(cx, this.body) }) else {
            return Poll::Pending;
        };
        if let Some(out) = this.parked.take() {
            return this.returned(frame, out);
        }
        let place = frame.header.place.get();
        let enclosing = frame.enclosing.get();
        // Whether this delegation may be stepped by a handle (see `Shortcut`), and then which
        // delegation its subgenerator's return goes up to.
        let steppable =
            this.direct && place.contains(this) && !matches!(enclosing, Enclosing::Opaque);
        (this.nested, this.parent.0) = match enclosing {
            Enclosing::In(parent) if steppable => (true, Some(parent)),
            _ => (false, None),
        };
        if !this.begun {
            // A subgenerator without `yield_from!` of its own is polled here at once: one
            // level more on the stack, never more, and no turn of the resume's loop to step it.
            if steppable && !G::LEAF {
                // Descends: the resume steps this delegation next, rather than its
                // subgenerator being polled here, inside the polls of the bodies around it.
                Self::record(ptr, frame, true);
                if let (false, Some(marks)) = (this.nested, frame.delegation) {
                    marks.outermost.set(Some(this.at));
                }
                return Poll::Pending;
            }
            this.begin(frame);
        }
        // The subgenerator is polled inside this poll: a native call per level (see
        // `NESTING_LIMIT`).
        let nesting = frame.nesting.get();
        if nesting == NESTING_LIMIT {
            frame.header.fault.set(Some(Fault::TooDeep));
            return Poll::Pending;
        }
        frame.nesting.set(nesting + 1);
        frame.enclosing.set(if steppable {
            Enclosing::In(Self::handle(ptr))
        } else {
            Enclosing::Opaque
        });
        let poll = this.sub().step_shared(frame, cx);
        // The subgenerator's poll made the frame its own; the body goes on here.
        frame.header.body.set(this.body);
        frame.header.place.set(place);
        frame.enclosing.set(enclosing);
        frame.nesting.set(nesting);
        if let Poll::Ready(out) = poll {
            return this.returned(frame, out);
        }
        // The outermost generator's body delegates (this is in it, or in a body it delegates
        // to), so it keeps delegation marks.
        let Some(marks) = frame.delegation else {
            return Poll::Pending;
        };
        // A delegation that may not be stepped is polled inside the one around it, which then
        // overwrites this as the poll unwinds; the outermost one's stays.
        if !this.nested {
            marks.outermost.set(Some(this.at));
        }
        // The innermost delegation records itself, and the ones around it leave it there, if
        // the chain may be stepped past them: see `Shortcut`.
        match frame.recorded.get() {
            _ if !steppable => unlink(frame),
            None => Self::record(ptr, frame, false),
            // Polled again in the same resume: recorded again, from this poll's pointer.
            Some(r) if r.shortcut.delegation() == ptr.cast() => Self::record(ptr, frame, false),
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
        if let (false, Some(delegation)) = (self.nested, frame.delegation) {
            delegation.outermost.set(None);
        }
        if frame.ends_delegation() {
            drop(out);
            return Poll::Pending;
        }
        Poll::Ready(out)
    }
}
