//! The delegation chain a suspended generator keeps (see [`Shortcut`]), so that a resume runs
//! one body of the chain at a time, whatever its depth: the innermost subgenerator is resumed
//! directly, a subgenerator's return goes up one level, and a new `yield_from!` goes down one,
//! each by a turn of the resume's loop (`PinnedGen::resume_chain` and `climb`), never by a
//! native call per level.

use core::cell::Cell;
use core::ptr::NonNull;
use core::task::Waker;

use crate::generator::channel::DelegationMarks;

/// A type-erased handle on a `yield_from!` of a suspended delegation chain: its delegation
/// future, and the step that resumes its subgenerator.
///
/// Resuming a chain of `n` delegating generators the plain way polls `n` bodies, each nested in
/// the poll of the one around it, to reach the one that yields. The outermost generator keeps a
/// handle on the innermost delegation instead (`DelegationMarks::innermost`), and steps its
/// subgenerator directly. Each delegation of the chain keeps the handle of the one above it
/// too, its *parent* (the delegation stepping the body it lies in; none for one in the
/// outermost generator's own body). So a resume costs the same however deep the delegation,
/// for a value yielded at any level:
/// * when the stepped subgenerator yields, that is the resume;
/// * when it returns, its value is parked in its delegation future and the parent is stepped:
///   the parent's subgenerator's body takes the value and goes on, and the parent becomes the
///   innermost. (A delegation in the outermost body has no parent: that body is polled the
///   plain way, which is one poll.)
/// * when a body enters a new `yield_from!` that may be stepped, the delegation does not poll
///   its subgenerator nested in the polls of every body around it: it records itself and
///   suspends at once (the resume *descends*, `DelegationMarks::descending`), and is stepped.
///
/// A resume is then a loop over these steps, with the stack of one body's poll at a time: a
/// recursive generator thousands of levels deep (a tree walk, `yield_from!` at every node)
/// needs no more stack than one level, and each value costs the same at every depth.
///
/// How a delegation becomes a handle, and why it is then safe to step:
/// * A delegation may be stepped if it was written as a `yield_from!` the macros saw awaited
///   directly in the body (not inside another macro's arguments, where `select!` or `join!`
///   may poll it beside other futures), it lies inside the state of the body that awaits it
///   (not in a box that body could leak), and every delegation around it in the resume may be
///   stepped too. Each one tells the bodies it polls whether it may, and its handle
///   ([`Enclosing`], in the resume's `Frame`); a delegation polled inside takes that handle as
///   its parent.
/// * While a resume polls the chain, the deepest delegation that suspends and may be stepped
///   records itself in the resume's `Frame` (`Frame::recorded`). Any delegation around it that
///   may not takes the record back out: the handle would skip the code around it.
/// * The record and the delegation are linked both ways while the resume lasts, so that if
///   the delegation is dropped (by code the macros cannot see) its drop takes the record out.
///   When the resume's frame ends, the record becomes the generator's innermost handle and the
///   link is cut.
/// * So when the frame ends, every delegation from the outermost body down to the recorded one
///   lies in its body's own state, where it can only end by being dropped in place (it is
///   pinned), its body is suspended at it, and its parent is the one above it. Until the next
///   step nothing runs these bodies: the outermost generator owns the chain (each subgenerator
///   is owned or borrowed, `&mut`, by the delegation above it), and only its resume steps it.
///   Its close and its drop discard the handle with the body.
///
/// Invariant: the handles are only used by the outermost generator's resume, and only for as
/// long as nothing but the handles has stepped its body since the resume that recorded them:
/// any other step (a plain poll, a close, a step by a generator delegating to this one)
/// discards them, as does the return of the outermost body's delegation, and a panic leaves
/// the generator never to run again. A handle is stepped only while the delegations below it
/// are suspended or have returned (their value parked): the innermost, a parent once the one
/// below it returned. The delegation future it points to is then still alive, unmoved, inside
/// the suspended body the generator owns, and nothing else is using it.
///
/// A handle is the pointer the delegation's poll reached it through, kept as is: the handles
/// of one delegation are all that one pointer, and every use of the delegation while its
/// handles are kept is made through it (see `SharedDelegate::poll`).
pub struct Shortcut<Y, R> {
    delegation: NonNull<()>,
    /// A constant of the delegation's type, promoted to static memory (by pointer, as its type
    /// need not be `'static`).
    ops: NonNull<ErasedOps<Y, R>>,
}

/// What a handle can do with the delegation it points to, type-erased: one table per type of
/// delegation and kind of step (see `SharedDelegate`).
pub(crate) struct ErasedOps<Y, R> {
    /// Its step: see [`ErasedStep`].
    pub(crate) step: ErasedStep<Y, R>,
    /// Closes its subgenerator, when the generator that owns the chain is closed or dropped,
    /// and hands back its parent: see [`Shortcut::close_chain`].
    pub(crate) close: ErasedClose<Y, R>,
}

/// Closes the subgenerator of a type-erased delegation and returns the delegation's parent.
///
/// # Safety
/// As [`ErasedStep`]: `Shortcut`'s invariant holds for the handle.
pub(crate) type ErasedClose<Y, R> = unsafe fn(NonNull<()>) -> Option<Shortcut<Y, R>>;

impl<Y, R> Clone for Shortcut<Y, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Y, R> Copy for Shortcut<Y, R> {}

impl<Y, R> Shortcut<Y, R> {
    /// # Safety
    /// `step(delegation, ..)` must be sound to call, with the parts of a resume of a generator
    /// of types `Y` and `R`, whenever the invariant above holds.
    /// `ops` must be a promoted constant: it lives as long as the program.
    pub(crate) unsafe fn new(delegation: NonNull<()>, ops: &ErasedOps<Y, R>) -> Self {
        Shortcut {
            delegation,
            ops: NonNull::from(ops),
        }
    }

    /// The delegation the handle steps.
    pub(crate) fn delegation(self) -> NonNull<()> {
        self.delegation
    }

    /// Resumes the delegation's subgenerator with `arg` (`None` when the resume's argument went
    /// to a body below, or to the body that entered the delegation); if it returned, its value
    /// is parked for the delegation future.
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
        // SAFETY: the caller upholds the invariant, which is `new`'s contract; `ops` is static.
        unsafe { (self.ops.as_ref().step)(self.delegation, waker, marks, arg) }
    }

    /// Closes the chain from this handle up, innermost first: each delegation's subgenerator
    /// is closed (its live locals dropped) and the delegation is left done, then its parent's.
    /// So when the generator that owns the chain drops its own body, every body below it has
    /// been dropped already, and dropping it is one level deep: closing or dropping a chain
    /// takes no stack frame per level, as stepping it does not. (Dropped from the outermost
    /// body down, each delegation would drop the one below inside its own drop.)
    ///
    /// # Safety
    /// As `step`: the invariant above holds for this handle, the innermost of its generator.
    pub(crate) unsafe fn close_chain(self) {
        let mut next = Some(self);
        while let Some(handle) = next {
            // SAFETY: the invariant holds for the innermost handle (the caller's contract), and
            // then for each parent in turn: a delegation whose subgenerator is closed is
            // suspended at nothing any more, but its parent's body is still suspended at the
            // parent, alive and unmoved, as the invariant says.
            // `ops` is static.
            next = unsafe { (handle.ops.as_ref().close)(handle.delegation) };
        }
    }
}

/// The step of a type-erased delegation: see `Shortcut`. It is a whole resume of the
/// delegation's subgenerator: it takes what a resume's `Frame` is made of (the outermost
/// generator's waker and marks, and the resume argument), makes the frame itself and hands
/// back what the body did. With the frame its own and the body's poll inlined into it, the
/// compiler keeps the frame in registers, as it does for a resume of a generator that does not
/// delegate, and the value comes back in registers too.
pub(crate) type ErasedStep<Y, R> =
    unsafe fn(NonNull<()>, &Waker, &DelegationMarks<Y, R>, Option<R>) -> Stepped<Y>;

/// What one step of a body did, seen from the generator that stepped it.
pub(crate) enum Stepped<Y> {
    /// It suspended at a yield, with this value.
    Yielded(Y),
    /// It suspended awaiting a future that is not a yield (only an async generator may).
    Awaiting,
    /// It entered a `yield_from!` that recorded itself to be stepped next (see `Shortcut`):
    /// the innermost delegation.
    Descended,
    /// It returned: its value is parked in its delegation future, and the delegation above,
    /// if any, is to be stepped next: it is now the innermost (none: the outermost body is to
    /// be polled).
    Returned,
}

/// What a delegation polled in a resume lies in (`Frame::enclosing`): whether it may be
/// stepped by a handle, and its parent if so (see [`Shortcut`]).
pub(crate) enum Enclosing<Y, R> {
    /// The outermost generator's own body, which keeps delegation marks.
    Top,
    /// The subgenerator of this delegation, which may be stepped, as may every one above it.
    In(Shortcut<Y, R>),
    /// Something that may not be stepped: a delegation that may not, or a generator that
    /// keeps no delegation marks.
    Opaque,
}

impl<Y, R> Clone for Enclosing<Y, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Y, R> Copy for Enclosing<Y, R> {}

/// A delegation's parent in the chain (see [`Shortcut`]): the delegation stepping the body it
/// lies in, when it may be stepped and does not lie in the outermost generator's own body.
pub(crate) struct Parent<Y, R>(pub(crate) Option<Shortcut<Y, R>>);

// SAFETY: the handle points into a body of the chain of the generator that owns the delegation
// holding it (every body of a chain is owned, or borrowed `&mut`, by the delegation above it),
// and only that generator's resume uses it, through `Pin<&mut>` of the generator. So a
// generator that is sent or shared brings along no more than its bodies' own `Send`/`Sync`.
unsafe impl<Y, R> Send for Parent<Y, R> {}
// SAFETY: as above: nothing uses the handle through a shared reference.
unsafe impl<Y, R> Sync for Parent<Y, R> {}

/// A delegation recorded in a resume's `Frame`: the handle it will become, and the cell in
/// the delegation that points back at the frame (its drop empties `Frame::recorded` through
/// it; the frame's end empties it). Not public API.
pub struct Recorded<Y, R> {
    pub(crate) shortcut: Shortcut<Y, R>,
    pub(crate) link: NonNull<Link>,
    /// Whether it recorded itself before polling its subgenerator: the resume steps it next
    /// (`DelegationMarks::descending`).
    pub(crate) descends: bool,
}

impl<Y, R> Clone for Recorded<Y, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Y, R> Copy for Recorded<Y, R> {}

/// A delegation's side of its link to the frame it is recorded in (a `Frame<'_, Y, R>` of the
/// delegation's types): see [`Recorded`].
#[derive(Default)]
pub(crate) struct Link(Cell<Option<NonNull<()>>>);

// SAFETY: a link is set only while a resume lasts (a call on one thread, whose frame is on that
// thread's stack), and is empty between resumes, when a generator can move to another thread.
unsafe impl Send for Link {}
// SAFETY: nothing reads or writes a link through a shared reference to what holds it but the
// resume in progress, on the thread that runs it.
unsafe impl Sync for Link {}

impl Link {
    #[inline]
    pub(crate) fn set(&self, frame: Option<NonNull<()>>) {
        self.0.set(frame);
    }

    #[inline]
    pub(crate) fn take(&self) -> Option<NonNull<()>> {
        self.0.take()
    }
}
