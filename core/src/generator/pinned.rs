//! [`PinnedGen`]: the generator itself, kept in place. Every other generator type of this crate
//! is a handle to one of these.

use core::cell::UnsafeCell;
use core::fmt;
use core::future::Future;
use core::marker::PhantomPinned;
use core::mem;
use core::panic::Location;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, Waker};

use crate::generator::body::{Body, Starts};
use crate::generator::chain::{Shortcut, Stepped};
use crate::generator::channel::{BodyId, BodyPlace, Co, DelegationMarks, Frame, Marks};
use crate::{CloseError, Generator, GeneratorState, ResumeError, State};

/// What the generator holds, and so where it is: the body before it starts, the running body,
/// or, once the body is gone, the return value an iterator's `next` kept (see
/// `PinnedGen::take_return`), in the body's place.
///
/// The variant is the generator's state, and the only one it keeps: one tag, which a resume
/// tests once. `repr(u8)` makes the tag the first byte, so that [`StageCell::status`] can read it
/// alone through `&PinnedGen`, and a panic can turn `Suspended` into `Poisoned` without moving
/// the body (the two variants hold it at the same place).
#[repr(u8)]
enum Stage<B, F: Future> {
    /// Not resumed yet: the closure holding the arguments.
    Created(B) = TAG_CREATED,
    /// Started and not finished: the `async` block's state machine. Structurally pinned.
    Suspended(F) = TAG_SUSPENDED,
    /// Its body panicked, or misused a yield, while it was running: the state machine is kept
    /// (with whatever live locals it holds) until the generator is closed or dropped. Made by
    /// rewriting the tag of `Suspended` (see `Stage::poison`), never built.
    #[allow(dead_code)]
    Poisoned(F) = TAG_POISONED,
    /// Poisoned, and the body has been dropped.
    Broken = TAG_BROKEN,
    /// Returned: the body has been dropped. Not pinned.
    Returned(Option<F::Output>) = TAG_RETURNED,
    /// Closed before it finished: the body has been dropped.
    Closed = TAG_CLOSED,
}

const TAG_CREATED: u8 = 0;
const TAG_SUSPENDED: u8 = 1;
const TAG_POISONED: u8 = 2;
const TAG_BROKEN: u8 = 3;
const TAG_RETURNED: u8 = 4;
const TAG_CLOSED: u8 = 5;

impl<B, F: Future> Stage<B, F> {
    /// Poisons a generator whose body was running: its state machine stays where it is.
    #[inline]
    fn poison(&mut self) {
        if let Stage::Suspended(_) = self {
            // SAFETY: `Stage` is `repr(u8)`: its first byte is the tag, and `Suspended` and
            // `Poisoned` hold the same type at the same place, so rewriting the tag turns one into
            // the other, body untouched.
            unsafe { (self as *mut Self).cast::<u8>().write(TAG_POISONED) };
        } else {
            *self = Stage::Broken;
        }
    }
}

/// The stage, kept where shared references to the generator do not reach it.
///
/// A suspended body may hold references into itself (its `Co`, borrowed by the yield it waits
/// at). Reading those bytes through `&PinnedGen` — as `state()` does — would, under the aliasing
/// model, invalidate those self-references. Inside an `UnsafeCell` they are never read through a
/// shared reference: the stage is only reached with `&mut` (`UnsafeCell::get_mut`).
struct StageCell<B, F: Future>(UnsafeCell<Stage<B, F>>);

// SAFETY: the cell is only accessed through `&mut StageCell` (`get_mut`), never through `&self`,
// so sharing `&StageCell` across threads gives access to nothing; moving it moves a `Stage`.
unsafe impl<B: Send, F: Future + Send> Send for StageCell<B, F> where F::Output: Send {}
// SAFETY: as above: `&StageCell` exposes nothing.
unsafe impl<B: Sync, F: Future + Sync> Sync for StageCell<B, F> where F::Output: Sync {}

impl<B, F: Future> StageCell<B, F> {
    #[inline(always)]
    fn get(&mut self) -> &mut Stage<B, F> {
        self.0.get_mut()
    }

    /// Where the generator is, from the stage's tag alone.
    #[inline(always)]
    fn status(&self) -> Status {
        // SAFETY: `Stage` is `repr(u8)`, so its first byte is its tag, always initialized. The
        // byte is read through the cell's raw pointer, and nothing else: a body's references
        // into itself point into its own state, after the tag, and are left alone. Nothing
        // writes the stage meanwhile: writing it takes `&mut self`.
        match unsafe { self.0.get().cast::<u8>().read() } {
            TAG_CREATED => Status::Created,
            TAG_SUSPENDED => Status::Suspended,
            TAG_POISONED | TAG_BROKEN => Status::Poisoned,
            TAG_RETURNED => Status::Returned,
            _ => Status::Closed,
        }
    }
}

/// Where the generator is, as its stage's tag says (see `StageCell::status`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Created,
    Suspended,
    Poisoned,
    Returned,
    Closed,
}

/// Marks a generator poisoned when a panic unwinds out of its body's poll: `Suspended`, its
/// stage's tag while the body runs, becomes `Poisoned`. A resume that returns forgets it, so it
/// costs nothing unless the body panics.
///
/// It holds the stage's tag by raw pointer, since the body is borrowed from the stage for the
/// poll; it writes only when that poll has ended, unwinding.
struct PoisonOnUnwind(*mut u8);

impl Drop for PoisonOnUnwind {
    fn drop(&mut self) {
        // SAFETY: the pointer is to the tag of a stage that was `Suspended` when the poll began
        // (see `BodyCell::poll`) and outlives this guard; the poll that borrowed the body has
        // ended. `Suspended` and `Poisoned` hold the body at the same place (see `Stage`).
        unsafe { self.0.write(TAG_POISONED) };
    }
}

/// A generator that allocates nothing: `#[generator(pinned)]` and `coroutine!(pinned ...)`.
///
/// It is `!Unpin` (its body may borrow its own locals across a yield, and it points at itself),
/// so it must be pinned before it is resumed: `core::pin::pin!` on the stack, or `Box::pin`.
/// The helpers take `self: Pin<&mut Self>`, so call them through `as_mut()`:
///
/// ```
/// use core::pin::pin;
/// use resumable::prelude::*;
///
/// #[generator(yield = u32, pinned)]
/// fn countdown(from: u32) {
///     for i in (1..=from).rev() {
///         yield_!(i);
///     }
/// }
///
/// let mut g = pin!(countdown(2));
/// assert_eq!(g.as_mut().send(()), GeneratorState::Yielded(2));
/// assert_eq!(g.as_mut().send(()), GeneratorState::Yielded(1));
/// assert_eq!(g.as_mut().send(()), GeneratorState::Complete(()));
/// assert_eq!(g.state(), State::Finished);
/// ```
///
/// Unlike [`Gen`](crate::Gen), it cannot be moved once resumed, so it is not `Unpin`:
///
/// ```compile_fail
/// use resumable::prelude::*;
///
/// #[generator(yield = u32, pinned)]
/// fn one() {
///     yield_!(1);
/// }
///
/// fn assert_unpin<T: Unpin>(_: T) {}
/// assert_unpin(one());
/// ```
pub struct PinnedGen<Y, R, B: Body<Y, R>> {
    body: BodyCell<Y, R, B>,
    marks: B::Marks,
    _pinned: PhantomPinned,
}

/// The body and where it is.
struct BodyCell<Y, R, B: Body<Y, R>> {
    stage: StageCell<B, B::Future>,
    /// The body's identity, from its start on (see `BodyId`).
    id: BodyId,
}

/// Poisons a generator and drops its body in place if dropped itself, which only happens when
/// a shortcut step unwinds (it is forgotten when the step returns): the chain first, innermost
/// first (see `Shortcut::close_chain`), then the generator's own body.
struct DropOnUnwind<'m, Y, R, B: Body<Y, R>>(NonNull<BodyCell<Y, R, B>>, &'m DelegationMarks<Y, R>);

impl<Y, R, B: Body<Y, R>> Drop for DropOnUnwind<'_, Y, R, B> {
    fn drop(&mut self) {
        if let Some(innermost) = self.1.innermost.take() {
            // SAFETY: the step that unwound left the chain as `Shortcut`'s invariant says: the
            // subgenerator that panicked is poisoned in its delegation, which is alive, and so
            // are the ones above it, in bodies suspended at them.
            unsafe { innermost.close_chain() };
        }
        // SAFETY: the body outlives this guard, which lives inside `step_chain`, and the
        // panic that unwinds here ended every use of the body the shortcut step had made.
        let body = unsafe { self.0.as_mut() };
        *body.stage.get() = Stage::Broken;
    }
}

/// A `yield_from!` that cannot start or resume its subgenerator with what it was given.
#[cold]
#[inline(never)]
fn delegation_refused(at: &'static Location<'static>, why: &str) -> ! {
    panic!("`yield_from!` at {at}: {why}")
}

/// A value sent to a generator that has not started and would lose it.
#[cold]
#[inline(never)]
#[track_caller]
fn refuse_first() -> ! {
    panic!("{NOT_STARTED}")
}

/// Panics because a generator with this status cannot run. A function of the status alone, not
/// a method of the generic generator: one copy for all generators, not one per generator.
#[cold]
#[inline(never)]
#[track_caller]
fn refuse(status: Status) -> ! {
    match status {
        Status::Returned => panic!("{FINISHED}"),
        Status::Closed => panic!("{CLOSED}"),
        _ => panic!("{POISONED}"),
    }
}

/// A generator body awaited something other than a yield, which only async generators may do
/// (the caller has poisoned the generator).
#[cold]
#[inline(never)]
fn awaited() -> ! {
    panic!("{AWAITED}")
}

const NOT_STARTED: &str = "a value was sent to a generator that has not started, whose body \
                           would never see it (Python: can't send non-None value to a \
                           just-started generator): call start() first, or try_send() for an error";
pub(crate) const STARTED: &str =
    "start() runs a generator to its first yield, but this one has already started; use send()";
const FINISHED: &str = "generator resumed after it finished";
const CLOSED: &str = "generator resumed after it was closed";
const POISONED: &str = "generator resumed after its body panicked";
const AWAITED: &str = "a generator body awaited a future that is not a yield; \
                       only `#[generator] async fn` and async blocks may `.await`";

/// Why a generator cannot be resumed: what a resume through a vtable reports, so the caller
/// can panic at its own line (a `#[track_caller]` method called through a vtable reports the
/// line of the method, not of its caller). Not public API.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug)]
pub enum Refusal {
    /// It returned.
    Finished,
    /// It was closed.
    Closed,
    /// Its body panicked.
    Poisoned,
    /// It has not started, and the value sent would be lost.
    NotStarted,
}

#[cfg(feature = "alloc")]
impl Refusal {
    /// Panics with the message a plain resume gives.
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(crate) fn panic(self) -> ! {
        match self {
            Refusal::Finished => panic!("{FINISHED}"),
            Refusal::Closed => panic!("{CLOSED}"),
            Refusal::Poisoned => panic!("{POISONED}"),
            Refusal::NotStarted => panic!("{NOT_STARTED}"),
        }
    }
}

impl<Y, R, B: Body<Y, R>> BodyCell<Y, R, B> {
    /// Runs the body until it suspends or returns. `cx` is a resume's (see `Frame`): the one
    /// of this generator, or of the outermost generator delegating to it, whose caller then
    /// receives what this body yields.
    ///
    /// This is the one place a body is polled. Always inlined: a resume is this and little
    /// else, and the compiler can only keep the resume's frame in registers if it sees the
    /// body's state machine.
    ///
    /// # Panics
    /// When the generator had finished, been closed or panicked.
    #[inline(always)]
    #[track_caller]
    fn poll(&mut self, frame: &Frame<'_, Y, R>, cx: &mut Context<'_>) -> Poll<B::Output> {
        // Where a body that delegates lies, for its delegations (see `Shortcut`). Another body
        // leaves the place as it is, so a generator the compiler inlines does not see its
        // address taken: the place is then that of a body around this one in the chain being
        // polled (or none), whose state holds this one's if this one's is inline in it, and
        // never anything that body could leak.
        if <B::Marks as Marks<Y, R>>::DELEGATES {
            frame.header.place.set(BodyPlace::of(&*self));
        }
        let BodyCell { stage, id } = self;
        let stage = stage.get();
        match stage {
            Stage::Suspended(_) => {}
            Stage::Created(_) => {
                let first = frame.resumed.take();
                // Refused before anything runs: the generator stays `Created`.
                if let Some(first) = &first {
                    if B::loses_first(first) {
                        refuse_first();
                    }
                }
                let Stage::Created(body) = mem::replace(stage, Stage::Broken) else {
                    unreachable!()
                };
                *id = BodyId::next();
                *stage = Stage::Suspended(body.start(Co::new(*id), first));
            }
            Stage::Returned(_) => refuse(Status::Returned),
            Stage::Closed => refuse(Status::Closed),
            Stage::Poisoned(_) | Stage::Broken => refuse(Status::Poisoned),
        }
        frame.header.body.set(*id);
        // The body and the guard's tag both come from this pointer, so the guard's write, after
        // the poll, is made through what the body was borrowed from.
        let place: *mut Stage<B, B::Future> = stage;
        // SAFETY: `place` is `stage`, unused until the body's borrow ends.
        let Stage::Suspended(fut) = (unsafe { &mut *place }) else {
            unreachable!()
        };
        let poison = PoisonOnUnwind(place.cast());
        // SAFETY: `fut` lives inside the pinned generator (every caller's `&mut` comes from a
        // `Pin`) and is only ever dropped in place, never moved.
        let poll = unsafe { Pin::new_unchecked(fut) }.poll(cx);
        // A yield misused by code the macros cannot see panics here, poisoning the generator.
        frame.check();
        mem::forget(poison);
        match poll {
            Poll::Ready(out) => {
                *stage = Stage::Returned(None);
                Poll::Ready(out)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// One resume the plain way: makes the resume's frame (the generator polled with `waker`,
    /// its `marks`, the argument) and polls the body with it; returns the poll and what the body
    /// yielded. Always inlined, so the frame is made where the body is polled and the compiler
    /// can keep it in registers.
    #[inline(always)]
    #[track_caller]
    fn resume_plain(
        &mut self,
        waker: &Waker,
        marks: &impl Marks<Y, R>,
        arg: Option<R>,
    ) -> (Poll<B::Output>, Option<Y>) {
        let frame = Frame::new(waker, marks, arg);
        let waker = frame.waker();
        let poll = self.poll(&frame, &mut Context::from_waker(&waker));
        (poll, frame.yielded.replace(None))
    }
}

impl<Y, R, B: Body<Y, R>> PinnedGen<Y, R, B> {
    /// Wraps a body; the macros call this. Nothing runs until the first resume.
    #[doc(hidden)]
    pub const fn new(body: B) -> Self {
        PinnedGen {
            body: BodyCell {
                stage: StageCell(UnsafeCell::new(Stage::Created(body))),
                id: BodyId::NONE,
            },
            marks: B::Marks::NEW,
            _pinned: PhantomPinned,
        }
    }

    /// A step for a generator delegating to this one (`yield_from!`), with the context of the
    /// outermost resume: what this body yields goes straight to the outermost caller.
    ///
    /// # Panics
    /// When the generator had finished, been closed or panicked.
    #[inline(always)]
    pub(crate) fn step(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Y, R>,
        cx: &mut Context<'_>,
    ) -> Poll<B::Output> {
        // SAFETY: `BodyCell::poll` never moves the pinned body.
        unsafe { self.get_unchecked_mut() }.body.poll(frame, cx)
    }

    /// Makes the generator ready to be delegated to by the `yield_from!` at `at`, which starts
    /// it with `first` (see `yield_from`): whatever it marked when it was last resumed
    /// directly goes. Stepped by a delegation, its body may move past the delegation a shortcut
    /// of its own points to; and where it suspends is written to the outermost generator's
    /// marks, not its own, so it has no location of its own while it is delegated to. (A
    /// delegation holds it, owned or borrowed, until it ends, so nothing marks it meanwhile.)
    ///
    /// # Panics
    /// When `first` does not fit: `None` for a generator that has started (its yield waits for
    /// a value) or that binds its first argument; a value for a generator that has not started
    /// and would lose it.
    pub(crate) fn begin_delegation(
        self: Pin<&mut Self>,
        first: Option<&R>,
        at: &'static Location<'static>,
    ) {
        match (self.body.stage.status(), first) {
            (Status::Suspended, None) => delegation_refused(
                at,
                "this subgenerator has already started, and its yield waits for a value: give \
                 `yield_from!` the value to resume it with, `yield_from!(sub, value)`",
            ),
            (Status::Created, None) if B::BINDS_FIRST => delegation_refused(
                at,
                "this subgenerator binds its first resume argument (a closure-form \
                 `coroutine!`): give `yield_from!` the value to start it with, \
                 `yield_from!(sub, first)`",
            ),
            (Status::Created, Some(first)) if B::loses_first(first) => delegation_refused(
                at,
                "this subgenerator has not started, and would never see the value given to \
                 start it with: write `yield_from!(sub)`, which starts it without one",
            ),
            _ => {}
        }
        if let Some(delegation) = self.marks.delegation() {
            delegation.innermost.set(None);
            delegation.outermost.set(None);
            delegation.descending.set(false);
        }
        self.marks.at().set(None);
    }

    /// One resume of the outermost generator, polled with `waker`: through its delegation
    /// chain when the last resume left one (see `Shortcut`), else the plain way. Returns the
    /// body's poll and what it yielded.
    ///
    /// The frame is made here for a plain resume, and by the shortcut's step for a shortcut one,
    /// so that it is always made in the function that polls the body: there the compiler can
    /// keep it in registers.
    #[inline(always)]
    #[track_caller]
    fn resume(&mut self, waker: &Waker, arg: Option<R>) -> (Poll<B::Output>, Option<Y>) {
        let body = &mut self.body;
        if !<B::Marks as Marks<Y, R>>::DELEGATES {
            // A body without `yield_from!` has no chain to step. Tested on the constant, not on
            // `delegation()` (always `None` here, but a call): so the compiler does not even
            // build the chain's code for such a body, a third of a generator's code in the
            // user's crate (benches/compile_time).
            return body.resume_plain(waker, &self.marks, arg);
        }
        if let Some(delegation) = self.marks.delegation() {
            if let Some(shortcut) = delegation.innermost.get() {
                return Self::resume_chain(body, delegation, shortcut, waker, arg);
            }
        }
        let resumed = body.resume_plain(waker, &self.marks, arg);
        if let (Poll::Pending, None) = resumed {
            // The body entered a `yield_from!` that recorded itself to be stepped.
            if let Some(delegation) = self.marks.delegation() {
                if delegation.descending.take() {
                    let mut out = None;
                    return match Self::climb(body, delegation, waker, Stepped::Descended, &mut out)
                    {
                        Stepped::Yielded(value) => (Poll::Pending, Some(value)),
                        _ => (out.map_or(Poll::Pending, Poll::Ready), None),
                    };
                }
            }
        }
        resumed
    }

    /// The chain's way of `resume` (see `Shortcut`): `shortcut` is the innermost delegation in
    /// `marks`. Its subgenerator is stepped; if that yields (or awaits), that is the resume,
    /// else the chain moves (see `climb`).
    #[inline]
    #[track_caller]
    fn resume_chain(
        body: &mut BodyCell<Y, R, B>,
        marks: &DelegationMarks<Y, R>,
        shortcut: Shortcut<Y, R>,
        waker: &Waker,
        arg: Option<R>,
    ) -> (Poll<B::Output>, Option<Y>) {
        // A generator with a shortcut has started and is suspended; if not, the plain poll
        // says why it cannot run.
        if body.stage.status() != Status::Suspended {
            marks.innermost.set(None);
            return body.resume_plain(waker, marks, arg);
        }
        // SAFETY: the generator is suspended, with the chain its last resume left.
        match unsafe { Self::step_chain(body, marks, shortcut, waker, arg) } {
            Stepped::Yielded(value) => (Poll::Pending, Some(value)),
            Stepped::Awaiting => (Poll::Pending, None),
            moved => {
                // The outcome comes back from `climb` as a small `Stepped` (in registers, for a
                // small `Y`) rather than as the resume's pair, which would make the value go
                // through memory on the path above too.
                let mut out = None;
                match Self::climb(body, marks, waker, moved, &mut out) {
                    Stepped::Yielded(value) => (Poll::Pending, Some(value)),
                    _ => (out.map_or(Poll::Pending, Poll::Ready), None),
                }
            }
        }
    }

    /// One step of the chain: `shortcut`, a delegation of it, is stepped with `arg`.
    ///
    /// # Safety
    /// The generator is suspended, and `shortcut` is the innermost delegation of the chain a
    /// resume of it recorded, or the chain's steps since then left (`marks.innermost`).
    #[inline(always)]
    unsafe fn step_chain(
        body: &mut BodyCell<Y, R, B>,
        marks: &DelegationMarks<Y, R>,
        shortcut: Shortcut<Y, R>,
        waker: &Waker,
        arg: Option<R>,
    ) -> Stepped<Y> {
        // A resume of this generator recorded the chain and nothing but its steps has stepped
        // the body since (a plain step or a close discards it), so the delegation `shortcut`
        // points to is alive and unmoved in the suspended body, and unused, and the ones below
        // it are suspended or have returned: `Shortcut`'s invariant. If a subgenerator panics,
        // the panic does not unwind through the bodies around it, as a plain step's would:
        // `DropOnUnwind` drops them, innermost first, instead.
        let unwinding = DropOnUnwind(NonNull::from(&mut *body), marks);
        // SAFETY: see above; `marks` are this generator's, in its resume with `waker`.
        let stepped = unsafe { shortcut.step(waker, marks, arg) };
        mem::forget(unwinding);
        stepped
    }

    /// The rest of a resume whose chain moved in its last step (`stepped`): a loop, one body
    /// per turn, until a body yields or awaits what is not a yield. If a subgenerator returned,
    /// the delegation above it (now the innermost) is stepped: its subgenerator's body takes
    /// the value and goes on; at the top, the generator's own body is polled. If a body entered
    /// a `yield_from!` that recorded itself, that delegation (now the innermost) is stepped.
    /// Apart from a resume that stepped the innermost delegation only, so that the compiler
    /// sees that one whole.
    ///
    /// Returns `Yielded` with the value, or `Awaiting`, with the generator's return value in
    /// `out` if its body returned.
    #[inline(never)]
    #[track_caller]
    fn climb(
        body: &mut BodyCell<Y, R, B>,
        marks: &DelegationMarks<Y, R>,
        waker: &Waker,
        mut stepped: Stepped<Y>,
        out: &mut Option<B::Output>,
    ) -> Stepped<Y> {
        loop {
            match stepped {
                Stepped::Yielded(_) | Stepped::Awaiting => return stepped,
                // The step's frame left the delegation it entered as the innermost.
                Stepped::Descended => {}
                // The step left the delegation above as the innermost; the argument went to the
                // subgenerator, so none is left for it.
                Stepped::Returned => {
                    if marks.innermost.get().is_none() {
                        // The delegation in the generator's own body: the body takes the value.
                        match body.resume_plain(waker, marks, None) {
                            (Poll::Pending, None) if marks.descending.take() => {}
                            (Poll::Pending, None) => return Stepped::Awaiting,
                            (Poll::Pending, Some(value)) => return Stepped::Yielded(value),
                            (Poll::Ready(value), _) => {
                                *out = Some(value);
                                return Stepped::Awaiting;
                            }
                        }
                    }
                }
            }
            let Some(next) = marks.innermost.get() else {
                return Stepped::Awaiting;
            };
            // SAFETY: `next` is the innermost delegation the last step left (see above).
            stepped = unsafe { Self::step_chain(body, marks, next, waker, None) };
        }
    }

    /// One resume from the outside: `arg` goes in (`None` for `start()`), a state comes out.
    /// Always inlined, like the body's poll: a scheduler that resumes a generator through a
    /// vtable would otherwise make a second call for every resume of a generator type that is
    /// resumed from several places (a boxed one's `send`, `next`, `resume`).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn drive(self: Pin<&mut Self>, arg: Option<R>) -> GeneratorState<Y, B::Output> {
        // SAFETY: `resume` never moves the pinned body.
        let this = unsafe { self.get_unchecked_mut() };
        match this.resume(Waker::noop(), arg) {
            (Poll::Ready(out), _) => GeneratorState::Complete(out),
            (Poll::Pending, Some(y)) => GeneratorState::Yielded(y),
            (Poll::Pending, None) => {
                this.body.stage.get().poison();
                awaited()
            }
        }
    }

    /// One poll of an async generator's step: a yield ends the step with its value, a return
    /// with the return value, and a real `.await` that is not ready is `Pending` (the future it
    /// awaits has the waker). `arg` is the step's argument on its first poll, `None` on the
    /// polls that carry the step on past an `.await`.
    pub(crate) fn poll_resume(
        self: Pin<&mut Self>,
        arg: Option<R>,
        cx: &mut Context<'_>,
    ) -> Poll<GeneratorState<Y, B::Output>> {
        // SAFETY: `resume` never moves the pinned body.
        let this = unsafe { self.get_unchecked_mut() };
        // Waiting on a future is not being suspended at a yield.
        this.marks.at().set(None);
        match this.resume(cx.waker(), arg) {
            (Poll::Ready(out), _) => Poll::Ready(GeneratorState::Complete(out)),
            (Poll::Pending, Some(y)) => Poll::Ready(GeneratorState::Yielded(y)),
            (Poll::Pending, None) => Poll::Pending,
        }
    }

    /// [`drive`](Self::drive), or why the generator cannot be resumed with `arg` (see
    /// [`Refusal`]). Always inlined: the checks are the ones the body's poll makes, which the
    /// compiler then folds away.
    #[cfg(feature = "alloc")]
    #[inline(always)]
    pub(crate) fn try_drive(
        self: Pin<&mut Self>,
        arg: Option<R>,
    ) -> Result<GeneratorState<Y, B::Output>, Refusal> {
        match self.body.stage.status() {
            Status::Suspended => {}
            Status::Created => {
                if let Some(arg) = &arg {
                    if B::loses_first(arg) {
                        return Err(Refusal::NotStarted);
                    }
                }
            }
            Status::Returned => return Err(Refusal::Finished),
            Status::Closed => return Err(Refusal::Closed),
            Status::Poisoned => return Err(Refusal::Poisoned),
        }
        Ok(self.drive(arg))
    }

    /// Why the generator cannot be resumed with `arg`, if it cannot.
    pub(crate) fn check(&self, arg: &R) -> Result<(), ResumeError> {
        match self.state() {
            State::Created if B::loses_first(arg) => Err(ResumeError::NotStarted),
            State::Created | State::Suspended => Ok(()),
            State::Finished => Err(ResumeError::Finished),
            State::Poisoned => Err(ResumeError::Poisoned),
        }
    }

    /// Resumes the generator with `arg` (Python's `gen.send(arg)`).
    ///
    /// For a generator written as a function, the first resume starts the body and its
    /// argument is dropped, since no yield is waiting for it (see [`start`](Self::start)).
    ///
    /// # Panics
    /// If the generator finished, was closed, or panicked earlier; the message says which.
    /// A panic in the body propagates out of this call and poisons the generator.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned |x: u32| { let y = yield x + 1; y * 2 }));
    /// assert_eq!(g.as_mut().send(1), GeneratorState::Yielded(2));
    /// assert_eq!(g.as_mut().send(5), GeneratorState::Complete(10));
    /// ```
    #[inline]
    #[track_caller]
    pub fn send(self: Pin<&mut Self>, arg: R) -> GeneratorState<Y, B::Output> {
        self.drive(Some(arg))
    }

    /// Like [`send`](Self::send), but a finished or poisoned generator is an error, not a panic.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned { yield 1; }));
    /// g.as_mut().send(());
    /// g.as_mut().send(());
    /// assert_eq!(g.as_mut().try_send(()), Err(ResumeError::Finished));
    /// ```
    #[inline]
    pub fn try_send(
        self: Pin<&mut Self>,
        arg: R,
    ) -> Result<GeneratorState<Y, B::Output>, ResumeError> {
        self.check(&arg)?;
        Ok(self.drive(Some(arg)))
    }

    /// The same as [`try_send`](Self::try_send), named after [`Generator::resume`].
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned |x: u8| { yield x; }));
    /// assert_eq!(g.as_mut().try_resume(7), Ok(GeneratorState::Yielded(7)));
    /// ```
    #[inline]
    pub fn try_resume(
        self: Pin<&mut Self>,
        arg: R,
    ) -> Result<GeneratorState<Y, B::Output>, ResumeError> {
        self.try_send(arg)
    }

    /// Runs a generator to its first yield without a resume argument: Python's priming
    /// `next(gen)`.
    ///
    /// # Panics
    /// If the generator has already started (or finished, was closed or panicked: the message
    /// says which). A closure-form `coroutine!`, whose body binds its first argument, has no
    /// `start()` (a compile error): start it with [`send`](Self::send).
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// #[generator(yield = u8, pinned)]
    /// fn first() {
    ///     yield_!(1);
    /// }
    ///
    /// let mut g = pin!(first());
    /// assert_eq!(g.as_mut().start(), GeneratorState::Yielded(1));
    /// ```
    #[inline]
    #[track_caller]
    pub fn start(self: Pin<&mut Self>) -> GeneratorState<Y, B::Output>
    where
        B: Starts<Y, R>,
    {
        match self.body.stage.status() {
            Status::Created => self.drive(None),
            Status::Suspended => panic!("{STARTED}"),
            status => refuse(status),
        }
    }

    /// Drops the suspended body in place: the destructors of its live locals run (a `Drop`
    /// guard is Python's `finally`), a subgenerator it was delegating to is closed with it, and
    /// the generator becomes [`State::Finished`]. Closing a finished generator does nothing.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned { loop { yield 1; } }));
    /// g.as_mut().send(());
    /// g.as_mut().close();
    /// assert_eq!(g.state(), State::Finished);
    /// ```
    pub fn close(self: Pin<&mut Self>) {
        // SAFETY: the body is dropped in place, never moved.
        let this = unsafe { self.get_unchecked_mut() };
        this.close_chain();
        if let Some(delegation) = this.marks.delegation() {
            delegation.outermost.set(None);
            delegation.descending.set(false);
        }
        this.marks.at().set(None);
        let stage = this.body.stage.get();
        match stage {
            Stage::Created(_) | Stage::Suspended(_) => *stage = Stage::Closed,
            Stage::Poisoned(_) => *stage = Stage::Broken,
            // A return value kept for `take_return` stays.
            Stage::Broken | Stage::Returned(_) | Stage::Closed => {}
        }
    }

    /// Closes the delegation chain the generator is suspended in, if its last resume left one,
    /// innermost first (see `Shortcut::close_chain`): what its close or its drop does before
    /// it drops its own body, so that this takes one stack frame, not one per level.
    #[inline]
    fn close_chain(&mut self) {
        if !<B::Marks as Marks<Y, R>>::DELEGATES {
            return;
        }
        let Some(innermost) = self.marks.delegation().and_then(|d| d.innermost.take()) else {
            return;
        };
        // SAFETY: a handle kept in the marks is valid until the body is stepped another way,
        // closed or dropped (`Shortcut`'s invariant): this is its close or its drop, and the body
        // has not been touched since its last resume.
        unsafe { innermost.close_chain() };
    }

    /// [`close_with`](Self::close_with), with the resume argument that carries the error.
    pub(crate) fn close_with_arg(
        mut self: Pin<&mut Self>,
        arg: R,
    ) -> Result<B::Output, CloseError<Y>> {
        match self.as_mut().poll_close(Some(arg), Waker::noop()) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => {
                self.as_mut().end_closing();
                // SAFETY: the body is poisoned in place, not moved.
                unsafe { self.get_unchecked_mut() }
                    .body
                    .stage
                    .get()
                    .poison();
                awaited()
            }
        }
    }

    /// One poll of a close with an error (see [`close_with`](Self::close_with)): `arg`, the
    /// resume argument carrying the error, on the first poll; `None` on the polls that carry
    /// an async generator's cleanup on past an `.await`. `Pending` only at such an `.await`.
    pub(crate) fn poll_close(
        mut self: Pin<&mut Self>,
        arg: Option<R>,
        waker: &Waker,
    ) -> Poll<Result<B::Output, CloseError<Y>>> {
        if arg.is_some() {
            match self.state() {
                State::Finished => return Poll::Ready(Err(CloseError::Finished)),
                State::Poisoned => return Poll::Ready(Err(CloseError::Poisoned)),
                State::Created | State::Suspended => {}
            }
        }
        // SAFETY: `resume` never moves the pinned body.
        let this = unsafe { self.as_mut().get_unchecked_mut() };
        if let Some(delegation) = this.marks.delegation() {
            delegation.closing.set(true);
        }
        let resumed = this.resume(waker, arg);
        let ended = this
            .marks
            .delegation()
            .is_some_and(|delegation| delegation.ended.get());
        let outcome = match resumed {
            _ if ended => Err(CloseError::Delegated),
            (Poll::Ready(out), _) => Ok(out),
            (Poll::Pending, Some(y)) => Err(CloseError::Yielded(y)),
            (Poll::Pending, None) => return Poll::Pending,
        };
        self.as_mut().end_closing();
        if outcome.is_err() {
            self.close();
        }
        Poll::Ready(outcome)
    }

    /// Ends a close with an error: finished, or abandoned half-way (an async generator's
    /// `close_with` future dropped at an `.await` of its cleanup).
    pub(crate) fn end_closing(self: Pin<&mut Self>) {
        if let Some(delegation) = self.marks.delegation() {
            delegation.closing.set(false);
            delegation.ended.set(false);
        }
    }

    /// Python's `inspect.getgeneratorstate`.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned { yield 1; }));
    /// assert_eq!(g.state(), State::Created);
    /// g.as_mut().send(());
    /// assert_eq!(g.state(), State::Suspended);
    /// ```
    pub fn state(&self) -> State {
        match self.body.stage.status() {
            Status::Created => State::Created,
            Status::Suspended => State::Suspended,
            Status::Poisoned => State::Poisoned,
            Status::Returned | Status::Closed => State::Finished,
        }
    }

    /// Whether the generator will never run again: it returned, was closed or panicked.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned { yield 1; }));
    /// g.as_mut().send(());
    /// g.as_mut().send(());
    /// assert!(g.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        matches!(self.state(), State::Finished | State::Poisoned)
    }

    /// The source location (file, line, column) of the yield the generator is suspended at:
    /// the innermost one while it delegates with `yield_from!`. Python's `gi_frame.f_lineno`.
    ///
    /// `None` unless [`State::Suspended`], and also while suspended at something that is not a
    /// yield of its own: an async generator waiting at an `.await`, or a generator another one
    /// is delegating to (its yields are that generator's, whose `suspended_at` names them).
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned { yield line!(); }));
    /// let GeneratorState::Yielded(line) = g.as_mut().send(()) else { unreachable!() };
    /// assert_eq!(g.suspended_at().unwrap().line(), line);
    /// ```
    pub fn suspended_at(&self) -> Option<&'static Location<'static>> {
        if self.body.stage.status() == Status::Suspended {
            self.marks.at().get()
        } else {
            None
        }
    }

    /// While the generator delegates with `yield_from!`, the location of that `yield_from!` in
    /// its own body; `None` when it is suspended at a yield of its own (or not suspended).
    /// Where [`suspended_at`](Self::suspended_at) names the innermost yield, this names the
    /// outermost: the line of *this* generator's code that is waiting.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned {
    ///     yield_from!(coroutine! { yield 1; });
    /// }));
    /// g.as_mut().send(());
    /// assert_eq!(g.delegating_at().unwrap().line(), g.suspended_at().unwrap().line());
    /// ```
    pub fn delegating_at(&self) -> Option<&'static Location<'static>> {
        if self.body.stage.status() == Status::Suspended {
            self.marks.delegation()?.outermost.get()
        } else {
            None
        }
    }

    /// The return value, once, after the generator completed while being iterated (an
    /// iterator's `next` has nowhere else to put it). Python's `StopIteration.value`.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// // A pinned generator is iterated through `send`, so its return value comes back as
    /// // `Complete`; `take_return` hands back what an iterator's `next` kept.
    /// let mut g = pin!(coroutine!(pinned { yield 1; "done" }));
    /// assert_eq!(g.as_mut().take_return(), None);
    /// ```
    pub fn take_return(self: Pin<&mut Self>) -> Option<B::Output> {
        // SAFETY: only the return value is moved out, from the stage after the body, which is
        // not pinned.
        match unsafe { self.get_unchecked_mut() }.body.stage.get() {
            Stage::Returned(ret) => ret.take(),
            _ => None,
        }
    }

    /// Keeps the return value for [`take_return`](Self::take_return).
    #[cfg(feature = "alloc")]
    pub(crate) fn keep_return(self: Pin<&mut Self>, value: B::Output) {
        // SAFETY: only the return value is written, into the stage after the body, which is not
        // pinned.
        if let Stage::Returned(ret) = unsafe { self.get_unchecked_mut() }.body.stage.get() {
            *ret = Some(value);
        }
    }
}

impl<Y, T, E, B: Body<Y, Result<T, E>>> PinnedGen<Y, Result<T, E>, B> {
    /// Throws `err` in at the yield the generator is suspended at (Python's `gen.throw(err)`):
    /// the `yield_!` evaluates to `Err(err)`, which the body may handle or propagate with `?`.
    /// Thrown into a generator that has not started, it completes it with that error before
    /// its body runs.
    ///
    /// # Panics
    /// As [`send`](Self::send).
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned |r: Result<u8, &'static str>| {
    ///     match r {
    ///         Ok(_) => yield 0,
    ///         Err(e) => return e.len(),
    ///     };
    ///     0
    /// }));
    /// assert_eq!(g.as_mut().throw("boom"), GeneratorState::Complete(4));
    /// ```
    #[inline]
    #[track_caller]
    pub fn throw(self: Pin<&mut Self>, err: E) -> GeneratorState<Y, B::Output> {
        self.drive(Some(Err(err)))
    }

    /// Python's `gen.close()` for generators that can be thrown into: throws `err` in so the
    /// body can run its cleanup code, then ends the generator.
    ///
    /// # Return value
    /// `Ok(return value)` if the body returned; `Err(CloseError::Yielded(value))` if it yielded
    /// instead (its body is dropped anyway); `Err(CloseError::Finished)` or
    /// `Err(CloseError::Poisoned)` if there was nothing left to run. Either way the generator
    /// ends finished.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut g = pin!(coroutine!(pinned |r: Result<(), &'static str>| {
    ///     let mut r = r;
    ///     loop {
    ///         if let Err(why) = r {
    ///             return why;
    ///         }
    ///         r = yield ();
    ///     }
    /// }));
    /// g.as_mut().send(Ok(()));
    /// assert_eq!(g.as_mut().close_with("bye").ok(), Some("bye"));
    /// ```
    pub fn close_with(self: Pin<&mut Self>, err: E) -> Result<B::Output, CloseError<Y>> {
        self.close_with_arg(Err(err))
    }
}

impl<Y, R, B: Body<Y, R>> Generator<R> for PinnedGen<Y, R, B> {
    type Yield = Y;
    type Return = B::Output;

    #[inline]
    #[track_caller]
    fn resume(self: Pin<&mut Self>, arg: R) -> GeneratorState<Y, B::Output> {
        self.drive(Some(arg))
    }

    #[track_caller]
    fn try_start(self: Pin<&mut Self>) -> Option<GeneratorState<Y, B::Output>> {
        // Suspended at a yield, it waits for a value; a closure body binds its first one.
        let needs_one = match self.body.stage.status() {
            Status::Suspended => true,
            Status::Created => B::BINDS_FIRST,
            _ => false, // cannot run: the resume says why
        };
        (!needs_one).then(|| self.drive(None))
    }
}

/// A generator dropped while suspended in a deep delegation chain closes the chain innermost
/// first, then drops its own body (see `Shortcut::close_chain`): dropping is no deeper on the
/// stack than resuming. A generator whose body cannot delegate has nothing to do here.
impl<Y, R, B: Body<Y, R>> Drop for PinnedGen<Y, R, B> {
    #[inline]
    fn drop(&mut self) {
        self.close_chain();
    }
}

/// `file:line:column`, or `-` when there is no location.
pub(crate) struct At(pub(crate) Option<&'static Location<'static>>);

impl fmt::Debug for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(at) => write!(f, "{}:{}:{}", at.file(), at.line(), at.column()),
            None => f.write_str("-"),
        }
    }
}

impl<Y, R, B: Body<Y, R>> fmt::Debug for PinnedGen<Y, R, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("name", &B::NAME)
            .field("state", &self.state())
            .field("suspended_at", &At(self.suspended_at()))
            .finish()
    }
}
