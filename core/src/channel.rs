//! How a suspended body and its generator exchange values.
//!
//! A generator body is an `async` block, so rustc builds its state machine. The body holds a
//! [`Co`] that points at a one-pointer channel inside the generator, and the channel points at
//! an [`Exchange`], also inside the generator: the resume argument goes in, the body runs until
//! a `yield_!` leaves a value there, and the generator takes it out. The exchange lives as long
//! as the generator, so a resume builds nothing and copies nothing but the values themselves.
//!
//! Delegation (`yield_from!`) to another generator of this crate points the inner generator's
//! channel at the *outer* exchange for the length of each step: values go straight from the
//! innermost body to the caller, however deep the delegation.

use core::cell::Cell;
use core::future::Future;
use core::marker::PhantomData;
use core::panic::Location;
use core::pin::Pin;
use core::ptr::{self, NonNull};
use core::task::{Context, Poll};

/// The values that cross between a generator and its body, and what a resume leaves for the
/// next one. Each generator owns one; while it delegates, its subgenerators use it too. Not
/// public API.
pub struct Exchange<Y, R> {
    /// The value the body yields; filled by [`YieldFuture`], taken by the generator.
    pub(crate) yielded: Cell<Option<Y>>,
    /// The resume argument; filled by the generator, taken by the yield the body waits at
    /// (or by the body's start for the first resume).
    pub(crate) resumed: Cell<Option<R>>,
    /// Where the body suspended: the innermost `yield_!` when delegating.
    pub(crate) at: Cell<Option<&'static Location<'static>>>,
    /// The innermost delegation the last resume suspended in, if any: the next resume steps
    /// its subgenerator directly (see `Shortcut`), and every resume starts by taking it.
    pub(crate) innermost: Cell<Option<Shortcut<Y, R>>>,
    /// The outermost `yield_from!` the generator is suspended in, if any: the one in its own
    /// body. Each delegation sets it when it suspends (the outermost last, as the suspension
    /// unwinds) and clears it when its subgenerator returns.
    pub(crate) outermost: Cell<Option<&'static Location<'static>>>,
}

// SAFETY: a generator can only change threads, or be reached from two, between resumes (a resume
// needs `Pin<&mut>`), and then its exchange holds no `Y` or `R`: every resume takes out what it
// puts in (a yielded value is taken right after the poll that left it, a resume argument by the
// yield or start that receives it, or before the panic of a generator that cannot run). What
// remains is locations and a `Shortcut` into the generator's own body.
unsafe impl<Y, R> Send for Exchange<Y, R> {}
// SAFETY: as above; `&PinnedGen` only reads the locations, and nothing writes them meanwhile.
unsafe impl<Y, R> Sync for Exchange<Y, R> {}

impl<Y, R> Exchange<Y, R> {
    pub(crate) const fn new() -> Self {
        Exchange {
            yielded: Cell::new(None),
            resumed: Cell::new(None),
            at: Cell::new(None),
            innermost: Cell::new(None),
            outermost: Cell::new(None),
        }
    }
}

/// A type-erased handle on the innermost `yield_from!` of a suspended delegation chain.
///
/// Resuming a chain of `n` delegating generators the plain way polls `n` bodies to reach the
/// one that yields. The outermost generator keeps this handle instead, and steps the innermost
/// subgenerator directly: each resume costs the same however deep the delegation. When that
/// subgenerator returns, its value is parked in its delegation future and the chain is polled
/// once the plain way, so its parent picks the value up and goes on.
///
/// Invariant: the handle is only used by the outermost generator, on the resume right after the
/// one that recorded it, and only if nothing else stepped the generator in between (any plain
/// step discards it). The delegation future it points to is then still alive, unmoved, inside
/// the suspended body the generator owns, and nothing else is using it.
pub struct Shortcut<Y, R> {
    delegation: NonNull<()>,
    step: ErasedStep<Y, R>,
}

/// The step of a type-erased delegation: see `Shortcut`.
pub(crate) type ErasedStep<Y, R> =
    unsafe fn(NonNull<()>, &Exchange<Y, R>, &mut Context<'_>) -> Poll<()>;

impl<Y, R> Clone for Shortcut<Y, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Y, R> Copy for Shortcut<Y, R> {}

impl<Y, R> Shortcut<Y, R> {
    /// # Safety
    /// `step(delegation, ..)` must be sound to call whenever the invariant above holds.
    pub(crate) unsafe fn new(delegation: NonNull<()>, step: ErasedStep<Y, R>) -> Self {
        Shortcut { delegation, step }
    }

    /// Steps the innermost subgenerator: `Pending` if it suspended, `Ready` if it returned (its
    /// value parked for the delegation future).
    ///
    /// # Safety
    /// The invariant above must hold.
    pub(crate) unsafe fn step(self, ex: &Exchange<Y, R>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the caller upholds the invariant, which is `new`'s contract.
        unsafe { (self.step)(self.delegation, ex, cx) }
    }
}

/// The slot a generator keeps for its body: null, or the exchange of the resume in progress.
pub(crate) struct Channel<Y, R>(Cell<*const Exchange<Y, R>>);

// SAFETY: the pointer is only written by the generator while it holds `Pin<&mut Self>` and only
// read by the body while the generator polls it, so it is never reached from two threads at once.
// The exchange it points to lives on the resuming thread's stack for the length of that poll.
unsafe impl<Y, R> Send for Channel<Y, R> {}
// SAFETY: `&Generator` gives no access to the channel (see above).
unsafe impl<Y, R> Sync for Channel<Y, R> {}

impl<Y, R> Channel<Y, R> {
    pub(crate) const fn new() -> Self {
        Channel(Cell::new(ptr::null()))
    }

    /// Points the channel at `ex`.
    #[inline]
    pub(crate) fn point(&self, ex: &Exchange<Y, R>) {
        self.0.set(ex);
    }
}

/// The handle a generator body uses to reach its generator. Not public API: the macros create
/// and use it; user code never names it.
///
/// Every method that reaches the channel takes `&mut self`, so two yields of one body can never
/// be in progress at once.
pub struct Co<Y, R> {
    chan: NonNull<Channel<Y, R>>,
    _types: PhantomData<fn(R) -> Y>,
}

// SAFETY: a `Co` only reaches its generator's channel while that generator polls the body that
// owns the `Co` (see `Channel`); it carries no `Y` or `R` of its own.
unsafe impl<Y, R> Send for Co<Y, R> {}
// SAFETY: every method that reaches the channel takes `&mut self`.
unsafe impl<Y, R> Sync for Co<Y, R> {}

impl<Y, R> Co<Y, R> {
    pub(crate) fn new(chan: &Channel<Y, R>) -> Self {
        Co {
            chan: NonNull::from(chan),
            _types: PhantomData,
        }
    }

    /// The exchange of the resume in progress.
    #[inline]
    pub(crate) fn exchange(&mut self) -> &Exchange<Y, R> {
        // SAFETY: the channel lives in the pinned generator that owns the body that owns this
        // `Co`, so it outlives the `Co`. It is only read here, by the body, during a poll.
        let ex = unsafe { self.chan.as_ref() }.0.get();
        debug_assert!(!ex.is_null(), "a generator body ran before it started");
        // SAFETY: the generator points the channel at its own exchange before the body starts,
        // and only ever at another one (the outermost of a delegation) for the length of one
        // poll of the body, which is the only time the body, and so this `Co`, runs. Either
        // exchange outlives that poll.
        unsafe { &*ex }
    }

    /// Yields `value` out of the generator; the returned future evaluates to the next resume
    /// argument. This is what `yield_!(value)` becomes.
    ///
    /// The value goes into the exchange at once (the body is being polled, so it is there), and
    /// the future only has to suspend once: nothing but a flag is kept across the yield.
    ///
    /// # Panics
    /// Outside of a resume of this generator (see [`Co::exchange`]).
    #[track_caller]
    #[inline]
    pub fn yield_(&mut self, value: Y) -> YieldFuture<'_, Y, R> {
        self.yield_at(value, Location::caller())
    }

    /// [`yield_`](Co::yield_) with an explicit source location.
    #[inline]
    pub fn yield_at(&mut self, value: Y, at: &'static Location<'static>) -> YieldFuture<'_, Y, R> {
        let ex = self.exchange();
        ex.yielded.set(Some(value));
        ex.at.set(Some(at));
        YieldFuture {
            co: self,
            suspended: false,
        }
    }
}

/// The future a `yield_!` awaits: pending once (its value is already handed out), then ready
/// with the resume argument. Not public API.
#[must_use = "a yield does nothing unless awaited"]
pub struct YieldFuture<'c, Y, R> {
    co: &'c mut Co<Y, R>,
    suspended: bool,
}

impl<Y, R> Future for YieldFuture<'_, Y, R> {
    type Output = R;

    #[inline]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        if !this.suspended {
            this.suspended = true;
            return Poll::Pending;
        }
        match this.co.exchange().resumed.take() {
            Some(arg) => Poll::Ready(arg),
            None => panic!("a generator body was polled again without a resume argument"),
        }
    }
}

/// The body of a generator before it starts: the closure the macros build around your code,
/// which makes the `async` block rustc turns into the state machine.
///
/// You never implement it; you name it to write code generic over generators the macros made
/// (their body type is opaque, `impl Body<Y, R, Output = T>`):
///
/// ```
/// use resumable::prelude::*;
/// use resumable::{Body, Gen};
///
/// fn drain<B: Body<u32, ()>>(g: Gen<u32, (), B>) -> u32 {
///     g.sum()
/// }
///
/// assert_eq!(drain(coroutine! { yield 1; yield 2; }), 3);
/// ```
pub trait Body<Y, R> {
    /// What the body returns: the generator's `Return` type.
    type Output;
    /// The body once started: an `async` block, lowered by rustc into a state machine.
    type Future: Future<Output = Self::Output>;
    /// Whether the body binds its first resume argument (a closure-form `coroutine!`), so it
    /// cannot be started without one.
    const BINDS_FIRST: bool = false;
    /// Starts the body with its handle and the first resume argument (`None` for `start()`).
    fn start(self, co: Co<Y, R>, first: Option<R>) -> Self::Future;
}

/// A body that binds its first resume argument: a closure-form `coroutine!`. Not public API.
pub struct BindsFirst<M>(M);

/// Marks a closure-form body, fixing its return type as `gen` does.
#[inline]
pub fn binds_first<Y, R, T, M, F>(body: M) -> BindsFirst<M>
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future<Output = T>,
{
    BindsFirst(body)
}

impl<Y, R, M, F> Body<Y, R> for BindsFirst<M>
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future,
{
    type Output = F::Output;
    type Future = F;
    const BINDS_FIRST: bool = true;

    #[inline]
    fn start(self, co: Co<Y, R>, first: Option<R>) -> F {
        (self.0)(co, first)
    }
}

impl<Y, R, M, F> Body<Y, R> for M
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future,
{
    type Output = F::Output;
    type Future = F;

    #[inline]
    fn start(self, co: Co<Y, R>, first: Option<R>) -> F {
        self(co, first)
    }
}
