//! How a suspended body and its generator exchange values.
//!
//! A generator body is an `async` block, so rustc builds its state machine. Each resume builds a
//! [`Frame`] on the resuming stack (the resume argument goes in) and polls the body with a
//! [`Context`] whose waker points at that frame. The body's `yield_!` finds the frame through
//! the waker, leaves its value there and suspends; the generator takes the value out.
//!
//! The body holds no pointer to its generator, and the generator none to itself: everything a
//! resume needs travels down the call in `cx`. So when the compiler inlines a resume into the
//! loop that drives it, the frame lives in registers and the generator is plain data.
//!
//! Delegation (`yield_from!`) to another generator of this crate polls the inner body with the
//! same `cx`: values go straight from the innermost body to the outermost caller, however deep
//! the delegation.
//!
//! The waker is a real one: it forwards to the waker the generator was polled with (a no-op one
//! for a plain generator, the executor's for an async generator), so the body of an async
//! generator can `.await` anything.

use core::cell::Cell;
use core::future::Future;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::panic::Location;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// What one generator keeps between resumes, written by its body and its delegations: where
/// it suspended, and, for a body that can delegate, the marks of its delegation. A body
/// without `yield_from!` keeps only the location ([`YieldMarks`]), so its generator is smaller.
/// Not public API.
pub trait Marks<Y, R>: Send + Sync + core::panic::UnwindSafe {
    /// Nothing marked yet.
    const NEW: Self;
    /// Where the body suspended: the innermost `yield_!` when delegating.
    fn at(&self) -> &Cell<Option<&'static Location<'static>>>;
    /// The delegation marks, when the body can delegate.
    fn delegation(&self) -> Option<&DelegationMarks<Y, R>>;
}

/// The marks of a body that never delegates: where it suspended. Not public API.
pub struct YieldMarks {
    at: Cell<Option<&'static Location<'static>>>,
}

// SAFETY: the location is only written through `Pin<&mut>` of the generator that owns it (a
// resume), and `&PinnedGen` only reads it, so sharing the generator shares no writes.
unsafe impl Sync for YieldMarks {}

impl<Y, R> Marks<Y, R> for YieldMarks {
    const NEW: Self = YieldMarks {
        at: Cell::new(None),
    };
    #[inline(always)]
    fn at(&self) -> &Cell<Option<&'static Location<'static>>> {
        &self.at
    }
    #[inline(always)]
    fn delegation(&self) -> Option<&DelegationMarks<Y, R>> {
        None
    }
}

/// The marks of a body that can delegate (`yield_from!`). Not public API.
pub struct DelegationMarks<Y, R> {
    /// Where the body suspended: the innermost `yield_!` when delegating.
    at: Cell<Option<&'static Location<'static>>>,
    /// The innermost delegation the generator is suspended in, if any: a resume steps its
    /// subgenerator directly (see `Shortcut`), and it is discarded when that subgenerator
    /// returns or the body is stepped any other way.
    pub(crate) innermost: Cell<Option<Shortcut<Y, R>>>,
    /// The outermost `yield_from!` the generator is suspended in, if any: the one in its own
    /// body. Each delegation sets it when it suspends (the outermost last, as the suspension
    /// unwinds) and clears it when its subgenerator returns.
    pub(crate) outermost: Cell<Option<&'static Location<'static>>>,
}

// SAFETY: the marks hold locations and a `Shortcut`, which points into the body of the generator
// that owns them; they are only written through `Pin<&mut>` of that generator (a resume), so a
// generator that is sent or shared brings along no more than its body's own `Send`/`Sync`.
unsafe impl<Y, R> Send for DelegationMarks<Y, R> {}
// SAFETY: as above; `&PinnedGen` only reads the locations, and nothing writes them meanwhile.
unsafe impl<Y, R> Sync for DelegationMarks<Y, R> {}

impl<Y, R> Marks<Y, R> for DelegationMarks<Y, R> {
    const NEW: Self = DelegationMarks {
        at: Cell::new(None),
        innermost: Cell::new(None),
        outermost: Cell::new(None),
    };
    #[inline(always)]
    fn at(&self) -> &Cell<Option<&'static Location<'static>>> {
        &self.at
    }
    #[inline(always)]
    fn delegation(&self) -> Option<&DelegationMarks<Y, R>> {
        Some(self)
    }
}

/// Chooses the marks of a body the macros made by whether it delegates. Not public API.
pub struct Delegates<const DELEGATES: bool>;

/// See [`Delegates`]. Not public API.
pub trait ChooseMarks<Y, R> {
    /// The marks for such a body.
    type Marks: Marks<Y, R>;
}

impl<Y, R> ChooseMarks<Y, R> for Delegates<true> {
    type Marks = DelegationMarks<Y, R>;
}

impl<Y, R> ChooseMarks<Y, R> for Delegates<false> {
    type Marks = YieldMarks;
}

/// One resume, on the resuming stack: what crosses between the generator and its body. The
/// waker in the `Context` the body is polled with points here. Not public API.
#[repr(C)]
pub struct Frame<'a, Y, R> {
    /// The waker the generator was polled with. First, so the waker's functions find it
    /// without knowing `Y` and `R`.
    waker: &'a Waker,
    /// Where the outermost generator of this resume suspends.
    pub(crate) at: &'a Cell<Option<&'static Location<'static>>>,
    /// Its delegation marks, if its body can delegate.
    pub(crate) delegation: Option<&'a DelegationMarks<Y, R>>,
    /// The value the body yields; filled by [`YieldFuture`], taken by the generator.
    pub(crate) yielded: Cell<Option<Y>>,
    /// The resume argument; filled by the generator, taken by the yield the body waits at
    /// (or by the body's start for the first resume).
    pub(crate) resumed: Cell<Option<R>>,
    /// Whether a delegation suspended in this resume has recorded itself as the innermost
    /// (see `Shortcut`): the first to suspend is the deepest, and the ones around it leave it.
    pub(crate) recorded: Cell<bool>,
}

impl<'a, Y, R> Frame<'a, Y, R> {
    #[inline]
    pub(crate) fn new(waker: &'a Waker, marks: &'a impl Marks<Y, R>, arg: Option<R>) -> Self {
        Frame {
            waker,
            at: marks.at(),
            delegation: marks.delegation(),
            yielded: Cell::new(None),
            resumed: Cell::new(arg),
            recorded: Cell::new(false),
        }
    }

    /// Runs `f` with a context whose waker points at this frame and forwards to the frame's.
    #[inline(always)]
    pub(crate) fn enter<T>(&self, f: impl FnOnce(&mut Context<'_>) -> T) -> T {
        let raw = RawWaker::new((self as *const Self).cast(), &FRAME_WAKER);
        // SAFETY: `FRAME_WAKER`'s functions only read the frame's first field, a `&Waker`, and
        // forward to it; the frame outlives this waker, which `f` only borrows. (Its drop does
        // nothing, so it is not run.)
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
        f(&mut Context::from_waker(&waker))
    }

    /// The frame of the resume in progress, from the context the body is polled with.
    ///
    /// # Panics
    /// When `cx` is not a generator's: a yield was polled by something other than its body's
    /// generator (say, a future holding it was handed to another executor).
    #[inline(always)]
    pub(crate) fn of<'c>(cx: &'c Context<'_>) -> &'c Frame<'c, Y, R> {
        let waker = cx.waker();
        assert!(
            core::ptr::eq(waker.vtable(), &FRAME_WAKER),
            "a yield of a generator body was polled outside of its generator"
        );
        // SAFETY: only `enter` makes a waker with this vtable, pointing at a live frame that
        // outlives the context. Its `Y` and `R` are the body's: a body is only polled by its own
        // generator, whose frame has its types, or by a delegation, which requires the same
        // types (`Shared<Y, R>`); an async generator polled by a generator's body makes a frame
        // of its own. `'c` ends before the frame does.
        unsafe { &*waker.data().cast::<Frame<'c, Y, R>>() }
    }
}

/// The waker a generator polls its body with: it points at the resume's `Frame` and forwards
/// to the waker in it. A clone is a clone of that waker, so nothing outlives the frame.
static FRAME_WAKER: RawWakerVTable =
    RawWakerVTable::new(frame_clone, frame_wake, frame_wake, frame_drop);

/// The waker a frame forwards to.
///
/// # Safety
/// `data` points at a live `Frame`, whose first field is a `&Waker`.
unsafe fn forwarded<'a>(data: *const ()) -> &'a Waker {
    // SAFETY: `Frame` is `repr(C)` with the `&Waker` first; see the contract.
    unsafe { *data.cast::<&Waker>() }
}

unsafe fn frame_clone(data: *const ()) -> RawWaker {
    // SAFETY: a frame waker only exists while its frame does.
    let waker = unsafe { forwarded(data) }.clone();
    let raw = RawWaker::new(waker.data(), waker.vtable());
    core::mem::forget(waker);
    raw
}

unsafe fn frame_wake(data: *const ()) {
    // SAFETY: a frame waker only exists while its frame does.
    unsafe { forwarded(data) }.wake_by_ref();
}

unsafe fn frame_drop(_: *const ()) {}

/// A type-erased handle on the innermost `yield_from!` of a suspended delegation chain.
///
/// Resuming a chain of `n` delegating generators the plain way polls `n` bodies to reach the
/// one that yields. The outermost generator keeps this handle instead, and steps the innermost
/// subgenerator directly: each resume costs the same however deep the delegation. When that
/// subgenerator returns, its value is parked in its delegation future and the chain is polled
/// once the plain way, so its parent picks the value up and goes on.
///
/// Invariant: the handle is only used by the outermost generator, while it is suspended, and
/// only for as long as nothing but the handle has stepped its body since the resume that
/// recorded it: any other step (a plain poll, a close, a step by a generator delegating to this
/// one) discards it, as does its subgenerator's return, and a panic leaves the generator never
/// to run again. The delegation future it points to is then still alive, unmoved, inside the
/// suspended body the generator owns, and nothing else is using it.
pub struct Shortcut<Y, R> {
    delegation: NonNull<()>,
    step: ErasedStep<Y, R>,
}

/// The step of a type-erased delegation: see `Shortcut`. It is a whole resume of the innermost
/// subgenerator: it takes what a resume's [`Frame`] is made of (the outermost generator's waker
/// and marks, and the resume argument), makes the frame itself and hands back what the body
/// did. With the frame its own and the body's poll inlined into it, the compiler keeps the
/// frame in registers, as it does for a resume of a generator that does not delegate, and the
/// value comes back in registers too.
pub(crate) type ErasedStep<Y, R> =
    unsafe fn(NonNull<()>, &Waker, &DelegationMarks<Y, R>, Option<R>) -> Stepped<Y>;

/// What one step of a body did, seen from the generator that stepped it.
pub(crate) enum Stepped<Y> {
    /// It suspended at a yield, with this value.
    Yielded(Y),
    /// It suspended awaiting a future that is not a yield (only an async generator may).
    Awaiting,
    /// It returned (through the shortcut: its value is parked in its delegation future).
    Returned,
}

impl<Y, R> Clone for Shortcut<Y, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Y, R> Copy for Shortcut<Y, R> {}

impl<Y, R> Shortcut<Y, R> {
    /// # Safety
    /// `step(delegation, cx)` must be sound to call, with the context of a resume of a
    /// generator of types `Y` and `R`, whenever the invariant above holds.
    pub(crate) unsafe fn new(delegation: NonNull<()>, step: ErasedStep<Y, R>) -> Self {
        Shortcut { delegation, step }
    }

    /// Resumes the innermost subgenerator with `arg`; if it returned, its value is parked for
    /// the delegation future.
    ///
    /// # Safety
    /// The invariant above must hold, and `marks` be those of the generator holding the handle,
    /// in a resume of that generator polled with `waker`.
    #[inline(always)]
    pub(crate) unsafe fn step(
        self,
        waker: &Waker,
        marks: &DelegationMarks<Y, R>,
        arg: Option<R>,
    ) -> Stepped<Y> {
        // SAFETY: the caller upholds the invariant, which is `new`'s contract.
        unsafe { (self.step)(self.delegation, waker, marks, arg) }
    }
}

/// The handle a generator body uses to yield. Not public API: the macros create and use it;
/// user code never names it.
///
/// It holds nothing (a yield finds its generator through the context it is polled with), but
/// every method takes `&mut self`, so two yields of one body can never be in progress at once.
pub struct Co<Y, R> {
    _types: PhantomData<fn(R) -> Y>,
}

impl<Y, R> Co<Y, R> {
    pub(crate) const fn new() -> Self {
        Co {
            _types: PhantomData,
        }
    }

    /// Yields `value` out of the generator; the returned future evaluates to the next resume
    /// argument. This is what `yield_!(value)` becomes.
    #[track_caller]
    #[inline]
    pub fn yield_(&mut self, value: Y) -> YieldFuture<'_, Y, R> {
        self.yield_at(value, Location::caller())
    }

    /// [`yield_`](Co::yield_) with an explicit source location.
    #[inline]
    pub fn yield_at(&mut self, value: Y, at: &'static Location<'static>) -> YieldFuture<'_, Y, R> {
        YieldFuture {
            value: Some(value),
            at,
            _co: PhantomData,
        }
    }
}

/// The future a `yield_!` awaits: pending once, handing its value to the generator, then
/// ready with the resume argument. Not public API.
///
/// # Panics
/// When polled by anything but the body's generator.
#[must_use = "a yield does nothing unless awaited"]
pub struct YieldFuture<'c, Y, R> {
    /// The value, until the first poll hands it out.
    value: Option<Y>,
    at: &'static Location<'static>,
    _co: PhantomData<&'c mut Co<Y, R>>,
}

// The value is never pinned.
impl<Y, R> Unpin for YieldFuture<'_, Y, R> {}

impl<Y, R> Future for YieldFuture<'_, Y, R> {
    type Output = R;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        let frame = Frame::<Y, R>::of(cx);
        // Tested before it is taken, so the poll that resumes the body writes nothing here.
        if this.value.is_some() {
            frame.yielded.set(this.value.take());
            frame.at.set(Some(this.at));
            return Poll::Pending;
        }
        match frame.resumed.take() {
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
    /// What the generator keeps between resumes (see `Marks`). A body that cannot delegate
    /// with `yield_from!` keeps less, and is resumed without looking for a delegation shortcut
    /// (see `Shortcut`), so the compiler can see the whole resume. The macros choose the
    /// smaller marks when the body has no `yield_from!`.
    #[doc(hidden)]
    type Marks: Marks<Y, R>;
    /// Starts the body with its handle and the first resume argument (`None` for `start()`).
    fn start(self, co: Co<Y, R>, first: Option<R>) -> Self::Future;
}

/// A body the macros made, with what they know of it: whether it binds its first resume
/// argument (a closure-form `coroutine!`) and whether it delegates. Not public API.
pub struct Marked<M, const BINDS_FIRST: bool, const DELEGATES: bool>(M);

impl<M, const BINDS_FIRST: bool, const DELEGATES: bool> Marked<M, BINDS_FIRST, DELEGATES> {
    /// Marks `body`.
    #[inline]
    pub(crate) const fn new(body: M) -> Self {
        Marked(body)
    }
}

/// Marks a closure-form body, fixing its return type as `gen` does.
#[inline]
pub fn binds_first<Y, R, T, M, F, const DELEGATES: bool>(body: M) -> Marked<M, true, DELEGATES>
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future<Output = T>,
{
    Marked(body)
}

impl<Y, R, M, F, const BINDS_FIRST: bool, const DELEGATES: bool> Body<Y, R>
    for Marked<M, BINDS_FIRST, DELEGATES>
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future,
    Delegates<DELEGATES>: ChooseMarks<Y, R>,
{
    type Output = F::Output;
    type Future = F;
    const BINDS_FIRST: bool = BINDS_FIRST;
    type Marks = <Delegates<DELEGATES> as ChooseMarks<Y, R>>::Marks;

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
    type Marks = DelegationMarks<Y, R>;

    #[inline]
    fn start(self, co: Co<Y, R>, first: Option<R>) -> F {
        self(co, first)
    }
}
