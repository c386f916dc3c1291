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
//! Nothing here trusts the shape of the code around a yield. Macros the rewrite cannot see
//! into (`select!`, `join!`, a user's `macro_rules!`) may poll a yield inside a future of their
//! own, drop it half-way, leak it, or carry it into another generator's body. So a yield knows
//! which body it belongs to ([`BodyId`]) and checks that the frame it finds polls that body
//! before it trusts the frame's types (a clear panic otherwise), and a delegation that is
//! dropped half-way takes back what it recorded in the frame (see `Shortcut`).
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
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::generator::chain::{Enclosing, Recorded, Shortcut};

/// What one generator keeps between resumes, written by its body and its delegations: where
/// it suspended, and, for a body that can delegate, the marks of its delegation. A body
/// without `yield_from!` keeps only the location ([`YieldMarks`]), so its generator is smaller.
/// Not public API.
pub trait Marks<Y, R>: Send + Sync + core::panic::UnwindSafe {
    /// Nothing marked yet.
    const NEW: Self;
    /// Whether the body can delegate (`yield_from!`).
    const DELEGATES: bool;
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
    const DELEGATES: bool = false;
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
    /// subgenerator directly, and the delegations above it one by one as subgenerators return
    /// (see `Shortcut`). Discarded when the delegation in the generator's own body returns, or
    /// when the body is stepped any other way.
    pub(crate) innermost: Cell<Option<Shortcut<Y, R>>>,
    /// The outermost `yield_from!` the generator is suspended in, if any: the one in its own
    /// body. A delegation that lies in that body, or that cannot be stepped (so that the one
    /// around it is polled after it), sets it when it suspends and clears it when its
    /// subgenerator returns.
    pub(crate) outermost: Cell<Option<&'static Location<'static>>>,
    /// Set when the delegation that became the innermost recorded itself without polling its
    /// subgenerator, for the resume to step it (see `Shortcut`); taken by the resume.
    pub(crate) descending: Cell<bool>,
    /// Set while `close_with` resumes the generator: a subgenerator that returns then ends
    /// its delegation instead of handing its value to the body (see `Frame::ends_delegation`).
    pub(crate) closing: Cell<bool>,
    /// Set by a delegation that ended so while closing.
    pub(crate) ended: Cell<bool>,
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
        descending: Cell::new(false),
        closing: Cell::new(false),
        ended: Cell::new(false),
    };
    const DELEGATES: bool = true;
    #[inline(always)]
    fn at(&self) -> &Cell<Option<&'static Location<'static>>> {
        &self.at
    }
    #[inline(always)]
    fn delegation(&self) -> Option<&DelegationMarks<Y, R>> {
        Some(self)
    }
}

/// Which body a resume is polling, for the yields and delegations that find its [`Frame`]. Not
/// public API.
///
/// A body gets its identity when it starts, from a counter that never repeats one (a 64-bit
/// count: it would take centuries at a billion bodies a second to wrap). Its `Co` carries it,
/// and every yield and delegation made with that `Co` checks, before it touches the frame, that
/// the frame is polling that body. That is what makes the frame's types theirs: a frame polls a
/// body only if the body's `Y` and `R` are the frame's (its own generator's resume, or a
/// delegation, which needs the same types). So a yield that code the macros cannot see carried
/// out of its body (into another generator's body, onto another executor, past its generator's
/// end) can never write into a frame of other types: no frame will ever poll its body again.
///
/// The identity is a number, not an address, so the body's state holds no pointer to itself
/// and the compiler can keep a generator it inlines in registers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BodyId(u64);

impl BodyId {
    /// No body: a body that has not started, or a frame that polls none yet.
    pub(crate) const NONE: BodyId = BodyId(0);

    /// A new identity, never handed out before.
    #[inline]
    pub(crate) fn next() -> BodyId {
        BodyId(ids::next())
    }
}

/// Where identities come from: see [`BodyId`].
#[cfg(feature = "std")]
mod ids {
    use core::cell::Cell;
    use core::sync::atomic::{AtomicU64, Ordering};

    /// Identities are handed out in blocks of this many, one block per thread at a time, so
    /// that taking one is a thread-local increment.
    const BLOCK: u64 = 1 << 20;
    /// The next block: the first identity it holds.
    static NEXT_BLOCK: AtomicU64 = AtomicU64::new(BLOCK);

    std::thread_local! {
        /// The next identity of this thread's block (a multiple of `BLOCK` when it is used up).
        static NEXT: Cell<u64> = const { Cell::new(0) };
    }

    #[inline]
    pub(super) fn next() -> u64 {
        NEXT.with(|next| {
            let mut id = next.get();
            if id % BLOCK == 0 {
                id = new_block();
            }
            next.set(id + 1);
            id
        })
    }

    #[cold]
    fn new_block() -> u64 {
        NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed)
    }
}

/// Where identities come from: see [`BodyId`]. Without `std` there are no thread-locals: each
/// one is an atomic increment (a 64-bit one where the target has it).
#[cfg(not(feature = "std"))]
mod ids {
    #[cfg(target_has_atomic = "64")]
    #[inline]
    pub(super) fn next() -> u64 {
        use core::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    /// On targets without 64-bit atomics the count is a pointer-sized one: on a 32-bit target
    /// it repeats after 2^32 bodies, so a yield kept alive (and misused) across that many
    /// generators could meet a body with its number.
    #[cfg(not(target_has_atomic = "64"))]
    #[inline]
    pub(super) fn next() -> u64 {
        use core::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        loop {
            let id = NEXT.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id as u64;
            }
        }
    }
}

/// Where the body being polled lies, so a delegation can tell whether it lies inside that
/// body's own state (see `Shortcut`). Not public API.
#[derive(Clone, Copy, Debug)]
pub struct BodyPlace {
    start: usize,
    end: usize,
}

impl BodyPlace {
    /// No place.
    pub(crate) const NONE: BodyPlace = BodyPlace { start: 0, end: 0 };

    /// The place of a body kept in `cell`.
    #[inline(always)]
    pub(crate) fn of<T>(cell: &T) -> Self {
        let start = (cell as *const T).addr();
        BodyPlace {
            start,
            end: start + core::mem::size_of::<T>(),
        }
    }

    /// Whether `place` lies inside the body's state.
    #[inline]
    pub(crate) fn contains<T>(self, place: *const T) -> bool {
        (self.start..self.end).contains(&place.addr())
    }
}

/// The part of a [`Frame`] that does not depend on its types, first in it, so a yield can check
/// which body the frame polls before it trusts the frame's types.
#[repr(C)]
pub struct Header<'a> {
    /// The waker the generator was polled with. First, so the waker's functions find it.
    waker: &'a Waker,
    /// The body being polled: set by each body's poll (see `BodyCell::poll`) and put back by
    /// a delegation when its subgenerator's poll returns.
    pub(crate) body: Cell<BodyId>,
    /// Where the innermost body being polled that can delegate lies (see `BodyCell::poll`):
    /// a delegation records itself only if it lies there (see `Shortcut`). Put back with
    /// `body`.
    pub(crate) place: Cell<BodyPlace>,
    /// What went wrong in this resume, if a yield or delegation was polled where it cannot
    /// work: it returned `Pending` without touching the frame, and the resume panics once the
    /// poll returns ([`Frame::check`]). Panicking there rather than in the body keeps unwinding
    /// out of the body's poll, so the compiler need not prepare it for a panic at every yield.
    pub(crate) fault: Cell<Option<Fault>>,
}

/// How a yield or delegation was misused, by code the macros cannot see (see `Header::fault`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault {
    /// One of another body was polled with this resume's frame.
    OtherBody,
    /// A yield was polled again in the resume it suspended in, so no argument came for it.
    NoArgument,
    /// Delegations were polled nested deeper than [`NESTING_LIMIT`].
    TooDeep,
}

/// One resume, on the resuming stack: what crosses between the generator and its body. The
/// waker in the `Context` the body is polled with points here. Not public API.
#[repr(C)]
pub struct Frame<'a, Y, R> {
    /// First, so the waker's functions and [`Frame::of`]'s check need no types.
    pub(crate) header: Header<'a>,
    /// Where the outermost generator of this resume suspends.
    pub(crate) at: &'a Cell<Option<&'static Location<'static>>>,
    /// Its delegation marks, if its body can delegate.
    pub(crate) delegation: Option<&'a DelegationMarks<Y, R>>,
    /// The value the body yields; filled by [`YieldFuture`], taken by the generator.
    pub(crate) yielded: Cell<Option<Y>>,
    /// The resume argument; filled by the generator, taken by the yield the body waits at
    /// (or by the body's start for the first resume).
    pub(crate) resumed: Cell<Option<R>>,
    /// The delegation that recorded itself as the innermost in this resume (see `Shortcut`),
    /// linked both ways until the frame ends: then it becomes the generator's shortcut. If it
    /// is dropped before that (code the macros cannot see cancelled it), its drop takes it
    /// back out, so the frame never hands on a delegation that is gone.
    pub(crate) recorded: Cell<Option<Recorded<Y, R>>>,
    /// What the body being polled lies in, for its delegations: the outermost generator, or a
    /// delegation, which may be stepped or not (see `Shortcut`). Set by each delegation for
    /// its subgenerator's poll, and put back with `header.body`.
    pub(crate) enclosing: Cell<Enclosing<Y, R>>,
    /// How many delegations this resume is polling, each inside the one before (see
    /// [`NESTING_LIMIT`]).
    pub(crate) nesting: Cell<u32>,
}

/// How many delegations one resume may poll each inside the one before, each poll a native
/// call inside the last: the `yield_from!`s that cannot be stepped by the delegation chain (see
/// `Shortcut`), written inside another macro's arguments. (Those written directly in a body
/// are stepped one at a time, at any depth.) Deeper than this, the resume panics before the
/// stack overflows, as Python raises `RecursionError`. A nested poll takes about 2.6 KiB of
/// stack in a debug build and 0.5 KiB in an optimized one, so the limits leave at least half
/// of a test thread's 2 MiB to the code around the resume.
pub(crate) const NESTING_LIMIT: u32 = if cfg!(debug_assertions) { 256 } else { 2048 };

impl<'a, Y, R> Frame<'a, Y, R> {
    /// Always inlined, with most constant fields made at compile time (`const` blocks): in a
    /// debug build, where nothing else is inlined, each `Cell::new` would be a call on every
    /// resume, and the frame would be copied out of this function into the caller's. (`recorded`
    /// is left to `Cell::new`: as a constant it costs two instructions per resume at opt-level
    /// 1, where the call is inlined anyway.)
    #[inline(always)]
    pub(crate) fn new(waker: &'a Waker, marks: &'a impl Marks<Y, R>, arg: Option<R>) -> Self {
        let delegation = marks.delegation();
        Frame {
            header: Header {
                waker,
                body: const { Cell::new(BodyId::NONE) },
                place: const { Cell::new(BodyPlace::NONE) },
                fault: const { Cell::new(None) },
            },
            at: marks.at(),
            delegation,
            yielded: const { Cell::new(None) },
            resumed: Cell::new(arg),
            recorded: Cell::new(None),
            enclosing: Cell::new(match delegation {
                Some(_) => Enclosing::Top,
                None => Enclosing::Opaque,
            }),
            nesting: const { Cell::new(0) },
        }
    }

    /// A waker that points at this frame and forwards to the frame's, for the context the
    /// body is polled with. (A method, not one taking a closure, so `#[track_caller]` reaches
    /// through the poll to a misused generator's panic.)
    ///
    /// Not dropped: its drop does nothing (`ManuallyDrop`).
    #[inline(always)]
    pub(crate) fn waker(&self) -> ManuallyDrop<Waker> {
        let raw = RawWaker::new((self as *const Self).cast(), &FRAME_WAKER);
        // SAFETY: `FRAME_WAKER`'s functions only read the frame's first field, a `&Waker`, and
        // forward to it. The waker borrows nothing, so the caller keeps it no longer than the
        // frame: both live in the function polling the body, which makes the waker after the
        // frame and polls with it before the frame ends.
        ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
    }

    /// The frame of the resume in progress, from the context the body is polled with, for a
    /// yield or delegation of the body `body`.
    ///
    /// # Panics
    /// When `cx` is not the context of a resume polling `body`: code the macros could not see
    /// took a yield out of its body (an `async` block in another macro's arguments, say) and
    /// polled it from another executor or inside another generator.
    ///
    /// # Safety
    /// `'f` ends before the poll that was handed `cx` returns (the frame outlives that poll; it
    /// is not tied to the borrow of `cx`, so the poll can pass `cx` on).
    #[inline(always)]
    pub(crate) unsafe fn of<'f>(cx: &Context<'_>, body: BodyId) -> Option<&'f Frame<'f, Y, R>> {
        let waker = cx.waker();
        if !core::ptr::eq(waker.vtable(), &FRAME_WAKER) {
            polled_outside();
        }
        // SAFETY: only `enter` makes a waker with this vtable, pointing at a live frame that
        // outlives the poll; its header comes first and does not depend on its types.
        let header = unsafe { &*waker.data().cast::<Header<'f>>() };
        // The numbers compared, not the ids: `!=` on the ids is two calls in a debug build.
        if header.body.get().0 != body.0 {
            header.fault.set(Some(Fault::OtherBody));
            return None;
        }
        // SAFETY: the frame is polling `body` (checked above), and a frame polls a body only if
        // the body's `Y` and `R` are the frame's: its own generator's resume makes a frame of
        // its types, and a delegation polls a subgenerator of its own types (`Shared<Y, R>`)
        // with the frame it was polled with. The caller's `Y` and `R` are the body's: they come
        // from the body's `Co`, a `Co<Y, R>` for a body of a `PinnedGen<Y, R, _>` (invariant in
        // both), made with the body's identity, which no other body ever has. `'f` ends before
        // the frame does (the caller's contract).
        Some(unsafe { &*waker.data().cast::<Frame<'f, Y, R>>() })
    }

    /// Whether a delegation whose subgenerator just returned must end instead of handing the
    /// value to its body: the generator is being closed (`close_with`). Python closes the
    /// subgenerator, then raises `GeneratorExit` in the delegating generator at its `yield
    /// from`, so the code after it never runs (whether the subgenerator handled the exception
    /// or raised it again); here too the body does not go on past its `yield_from!`. The
    /// caller then returns `Pending` for good, and `close_with` drops the body.
    #[inline]
    pub(crate) fn ends_delegation(&self) -> bool {
        match self.delegation {
            Some(marks) if marks.closing.get() => {
                marks.ended.set(true);
                true
            }
            _ => false,
        }
    }

    /// Panics if a yield or delegation was misused in this resume (see `Header::fault`).
    #[inline(always)]
    pub(crate) fn check(&self) {
        if let Some(fault) = self.header.fault.get() {
            fault.panic();
        }
    }
}

/// A yield polled by something other than a generator.
#[cold]
#[inline(never)]
fn polled_outside() -> ! {
    panic!(
        "a `yield_!` or `yield_from!` was polled outside of its generator: code the macros \
         cannot see (an `async` block in another macro's arguments, say) took it out of the \
         generator's body; yield from the body itself"
    )
}

impl Fault {
    #[cold]
    #[inline(never)]
    fn panic(self) -> ! {
        match self {
            Fault::OtherBody => panic!(
                "a `yield_!` or `yield_from!` of one generator was polled by another generator: \
                 code the macros cannot see (an `async` block in another macro's arguments, say) \
                 carried it out of its own body; yield from the body itself"
            ),
            Fault::NoArgument => panic!(
                "a yield was polled again without a resume argument: code the macros cannot see \
                 polled it twice in one resume"
            ),
            Fault::TooDeep => panic!(
                "delegation deeper than {NESTING_LIMIT} levels inside other macros' arguments \
                 (Python: RecursionError): a `yield_from!` written directly in the body, not \
                 inside another macro's arguments, is resumed one level at a time at any depth; \
                 this one is polled inside the one around it, on the stack"
            ),
        }
    }
}

/// When a frame ends, the delegation recorded in it becomes its generator's shortcut, and the
/// link between the two is cut (see `Recorded`).
impl<Y, R> Drop for Frame<'_, Y, R> {
    #[inline]
    fn drop(&mut self) {
        // Only a body that can delegate has marks to record in (see `SharedDelegate::poll`).
        let Some(marks) = self.delegation else {
            return;
        };
        if let Some(recorded) = self.recorded.take() {
            // SAFETY: a recorded delegation is alive while it is linked: its drop unlinks it
            // (see `Recorded`).
            unsafe { recorded.link.as_ref() }.set(None);
            marks.innermost.set(Some(recorded.shortcut));
            marks.descending.set(recorded.descends);
        }
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
    // SAFETY: `Frame` is `repr(C)` with its `Header` first, itself `repr(C)` with the `&Waker`
    // first; see the contract.
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

/// The handle a generator body uses to yield. Not public API: the macros create and use it;
/// user code never names it.
///
/// It knows which body it belongs to (see `BodyId`), so a yield made with it works only in a
/// resume polling that body. Every method takes `&mut self`, so two yields of one body can never
/// be in progress at once.
///
/// It is invariant in `Y` and `R`: it takes `Y`s in and hands `R`s out, so a body must not see
/// it at a longer or shorter lifetime than its generator's (a body could otherwise yield a
/// reference that dies before the caller reads it, or keep a received one longer than it lives).
pub struct Co<Y, R> {
    body: BodyId,
    _types: PhantomData<Invariant<Y, R>>,
}

/// A type that is invariant in `Y` and `R` (and `Send`, `Sync`, with no drop glue).
type Invariant<Y, R> = fn(Y, R) -> (Y, R);

impl<Y, R> Co<Y, R> {
    pub(crate) const fn new(body: BodyId) -> Self {
        Co {
            body,
            _types: PhantomData,
        }
    }

    /// The body this handle belongs to.
    #[inline(always)]
    pub(crate) fn body(&self) -> BodyId {
        self.body
    }

    /// Yields `value` out of the generator; the returned future evaluates to the next resume
    /// argument. This is what `yield_!(value)` becomes.
    #[track_caller]
    #[inline(always)]
    pub fn yield_(&mut self, value: Y) -> YieldFuture<'_, Y, R> {
        self.yield_at(value, Location::caller())
    }

    /// Returns `Pending` for good if the resume in progress is closing the generator
    /// (`close_with`), else `()`: a delegation whose subgenerator returned awaits it, so the
    /// body does not go on past its `yield_from!` (see `Frame::ends_delegation`).
    #[inline]
    pub(crate) fn end_if_closing(&mut self) -> EndIfClosing<'_, Y, R> {
        EndIfClosing {
            body: self.body,
            _co: PhantomData,
        }
    }

    /// [`yield_`](Co::yield_) with an explicit source location.
    #[inline(always)]
    pub fn yield_at(&mut self, value: Y, at: &'static Location<'static>) -> YieldFuture<'_, Y, R> {
        YieldFuture {
            value: Some(value),
            at,
            body: self.body,
            _co: PhantomData,
        }
    }
}

/// See [`Co::end_if_closing`].
pub(crate) struct EndIfClosing<'c, Y, R> {
    body: BodyId,
    _co: PhantomData<&'c mut Co<Y, R>>,
}

impl<Y, R> Future for EndIfClosing<'_, Y, R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `frame` is only used in this poll.
        match unsafe { Frame::<Y, R>::of(cx, self.body) } {
            Some(frame) if !frame.ends_delegation() => Poll::Ready(()),
            _ => Poll::Pending,
        }
    }
}

/// The future a `yield_!` awaits: pending once, handing its value to the generator, then
/// ready with the resume argument. Not public API.
///
/// # Panics
/// When polled by anything but a resume polling its body.
#[must_use = "a yield does nothing unless awaited"]
pub struct YieldFuture<'c, Y, R> {
    /// The value, until the first poll hands it out.
    value: Option<Y>,
    at: &'static Location<'static>,
    /// The body it yields from: its frame must be polling that body.
    body: BodyId,
    _co: PhantomData<&'c mut Co<Y, R>>,
}

// The value is never pinned.
impl<Y, R> Unpin for YieldFuture<'_, Y, R> {}

impl<Y, R> Future for YieldFuture<'_, Y, R> {
    type Output = R;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        // SAFETY: `frame` is only used in this poll.
        let Some(frame) = (unsafe { Frame::<Y, R>::of(cx, this.body) }) else {
            return Poll::Pending;
        };
        // Tested before it is taken, so the poll that resumes the body writes nothing here; by
        // a pattern, which is no call in a debug build.
        #[allow(clippy::redundant_pattern_matching)]
        if let Some(_) = this.value {
            frame.yielded.set(this.value.take());
            frame.at.set(Some(this.at));
            return Poll::Pending;
        }
        match frame.resumed.replace(None) {
            Some(arg) => Poll::Ready(arg),
            None => {
                frame.header.fault.set(Some(Fault::NoArgument));
                Poll::Pending
            }
        }
    }
}
