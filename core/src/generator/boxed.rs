//! [`Gen`]: the generator the macros return by default — a box around a [`PinnedGen`], so it is
//! `Unpin` and its helpers take `&mut self`.

use alloc::boxed::Box;
use core::fmt;
use core::iter::FusedIterator;
use core::panic::Location;
use core::pin::Pin;

use crate::__private::UnitResume;
use crate::generator::body::{Body, Starts};
use crate::generator::state::{Headed, HeadedBox};
use crate::{CloseError, Generator, GeneratorState, PinnedGen, ResumeError, State};

/// A generator: what `#[generator]` functions and `coroutine!` return.
///
/// `Y` is what it yields, `R` what each resume passes in, and `B` the body the macro wrote (an
/// opaque type; the return type is `B::Output`). The body is boxed once, when the generator is
/// made; no resume allocates. Being `Unpin`, it can be resumed, iterated and moved freely, and
/// it is `Send` and `Sync` when what its body holds across a yield is, and its `Yield` type.
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = u64)]
/// fn fib(limit: u64) -> &'static str {
///     let (mut a, mut b) = (0, 1);
///     while a < limit {
///         yield_!(a);
///         (a, b) = (b, a + b);
///     }
///     "Done"
/// }
///
/// let mut g = fib(10);
/// assert_eq!(g.state(), State::Created);
/// assert_eq!(g.by_ref().collect::<Vec<_>>(), [0, 1, 1, 2, 3, 5, 8]);
/// assert_eq!(g.take_return(), Some("Done")); // Python's StopIteration.value
/// assert!(g.is_finished());
/// ```
///
/// What the body holds across a yield decides `Send` and `Sync`, as for an `async` block: a
/// generator that keeps an `Rc` alive across a yield cannot move to another thread.
///
/// ```compile_fail
/// use resumable::prelude::*;
///
/// fn assert_send<T: Send>(_: T) {}
/// assert_send(coroutine! {
///     let rc = std::rc::Rc::new(1);
///     yield *rc;
///     drop(rc);
/// });
/// ```
pub struct Gen<Y, R, B: Body<Y, R>> {
    inner: Pin<Box<PinnedGen<Y, R, B>>>,
}

impl<Y, R, B: Body<Y, R>> Gen<Y, R, B> {
    /// Wraps a body; the macros call this. Nothing runs until the first resume.
    #[doc(hidden)]
    pub fn new(body: B) -> Self {
        Gen {
            inner: Box::pin(PinnedGen::new(body)),
        }
    }

    /// The box, for [`boxed`](Self::boxed).
    pub(crate) fn into_pinned_box(self) -> Pin<Box<PinnedGen<Y, R, B>>> {
        self.inner
    }

    /// The generator this handle boxes.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine! { yield 1; };
    /// // The pinned generator's own methods, through the box.
    /// assert_eq!(g.as_pin_mut().send(()), GeneratorState::Yielded(1));
    /// ```
    pub fn as_pin_mut(&mut self) -> Pin<&mut PinnedGen<Y, R, B>> {
        self.inner.as_mut()
    }

    /// Resumes the generator with `arg` (Python's `gen.send(arg)`).
    ///
    /// For a generator written as a function, the first resume starts the body and its
    /// argument is dropped, since no `yield_!` is waiting for it (see [`start`](Self::start)).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[generator(yield = i32, resume = i32)]
    /// fn doubler() {
    ///     let mut x = yield_!(0);
    ///     loop {
    ///         x = yield_!(x * 2);
    ///     }
    /// }
    ///
    /// let mut g = doubler();
    /// assert_eq!(g.start(), GeneratorState::Yielded(0));
    /// assert_eq!(g.send(21), GeneratorState::Yielded(42));
    /// ```
    ///
    /// # Panics
    /// If the generator finished, was closed, or panicked earlier; the message says which.
    /// A panic in the body propagates out of this call and poisons the generator. Misuse is
    /// never undefined behaviour.
    #[inline]
    #[track_caller]
    pub fn send(&mut self, arg: R) -> GeneratorState<Y, B::Output> {
        self.inner.as_mut().send(arg)
    }

    /// Like [`send`](Self::send), but a finished or poisoned generator is an error, not a panic.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine! { yield 1; };
    /// assert_eq!(g.try_send(()), Ok(GeneratorState::Yielded(1)));
    /// assert_eq!(g.try_send(()), Ok(GeneratorState::Complete(())));
    /// assert_eq!(g.try_send(()), Err(ResumeError::Finished));
    /// ```
    #[inline]
    pub fn try_send(&mut self, arg: R) -> Result<GeneratorState<Y, B::Output>, ResumeError> {
        self.inner.as_mut().try_send(arg)
    }

    /// The same as [`try_send`](Self::try_send), named after [`Generator::resume`].
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine!(|x: u8| { yield x; });
    /// assert_eq!(g.try_resume(3), Ok(GeneratorState::Yielded(3)));
    /// ```
    #[inline]
    pub fn try_resume(&mut self, arg: R) -> Result<GeneratorState<Y, B::Output>, ResumeError> {
        self.inner.as_mut().try_send(arg)
    }

    /// Runs a generator to its first yield without a resume argument: Python's priming
    /// `next(gen)`, needed before the first `send` of a value can reach a `yield_!`.
    ///
    /// # Panics
    /// If the generator has already started (or finished, was closed or panicked: the message
    /// says which). A closure-form `coroutine!`, whose body binds its first argument, has no
    /// `start()` (a compile error): start it with [`send`](Self::send).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[generator(yield = &'static str, resume = &'static str)]
    /// fn echo() {
    ///     let mut heard = yield_!("ready");
    ///     loop {
    ///         heard = yield_!(heard);
    ///     }
    /// }
    ///
    /// let mut g = echo();
    /// assert_eq!(g.start(), GeneratorState::Yielded("ready")); // Python's next(g)
    /// assert_eq!(g.send("hi"), GeneratorState::Yielded("hi"));
    /// ```
    #[inline]
    #[track_caller]
    pub fn start(&mut self) -> GeneratorState<Y, B::Output>
    where
        B: Starts<Y, R>,
    {
        self.inner.as_mut().start()
    }

    /// Drops the suspended body in place (Python's `gen.close()` without cleanup code in the
    /// body): the destructors of its live locals run — a `Drop` guard is Python's `finally` —
    /// a subgenerator it delegates to is closed with it, and [`is_finished`](Self::is_finished)
    /// becomes true.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use std::cell::Cell;
    ///
    /// struct Finally<'a>(&'a Cell<bool>);
    /// impl Drop for Finally<'_> {
    ///     fn drop(&mut self) { self.0.set(true) }
    /// }
    ///
    /// let cleaned = Cell::new(false);
    /// let flag = &cleaned;
    /// let mut g = coroutine! {
    ///     let _guard = Finally(flag);
    ///     loop { yield 1; }
    /// };
    /// g.send(());
    /// g.close();
    /// assert!(cleaned.get());
    /// assert_eq!(g.state(), State::Finished);
    /// ```
    pub fn close(&mut self) {
        self.inner.as_mut().close();
    }

    /// Python's `inspect.getgeneratorstate`.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine! { yield 1; };
    /// assert_eq!(g.state(), State::Created);
    /// g.send(());
    /// assert_eq!(g.state(), State::Suspended);
    /// g.send(());
    /// assert_eq!(g.state(), State::Finished);
    /// ```
    pub fn state(&self) -> State {
        self.inner.state()
    }

    /// Whether the generator will never run again: it returned, was closed or panicked.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine! { yield 1; };
    /// g.send(());
    /// assert!(!g.is_finished());
    /// g.close();
    /// assert!(g.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The source location (file, line, column) of the yield the generator is suspended at:
    /// the innermost one while it delegates with `yield_from!`. Python's `gi_frame.f_lineno`.
    ///
    /// `None` unless suspended, and also while suspended at something that is not a yield of
    /// its own: an async generator waiting at an `.await`, or a generator another one is
    /// delegating to (its yields are that generator's, whose `suspended_at` names them).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine! {
    ///     yield 1;
    /// };
    /// g.send(());
    /// assert_eq!(g.suspended_at().unwrap().line(), line!() - 3);
    /// ```
    pub fn suspended_at(&self) -> Option<&'static Location<'static>> {
        self.inner.suspended_at()
    }

    /// While the generator delegates with `yield_from!`, the location of that `yield_from!` in
    /// its own body (where [`suspended_at`](Self::suspended_at) names the innermost yield).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[generator(yield = u32)]
    /// fn inner() {
    ///     yield_!(line!());
    /// }
    ///
    /// #[generator(yield = u32)]
    /// fn outer() {
    ///     yield_from!(inner());
    /// }
    ///
    /// let mut g = outer();
    /// let GeneratorState::Yielded(line) = g.send(()) else { unreachable!() };
    /// assert_eq!(g.suspended_at().unwrap().line(), line); // in inner()
    /// assert_eq!(g.delegating_at().unwrap().line(), line + 5); // in outer()
    /// ```
    pub fn delegating_at(&self) -> Option<&'static Location<'static>> {
        self.inner.delegating_at()
    }

    /// The return value, once, after the generator completed while being iterated.
    /// Python's `StopIteration.value`.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine! { yield 1; yield 2; "the end" };
    /// assert_eq!(g.by_ref().sum::<i32>(), 3);
    /// assert_eq!(g.take_return(), Some("the end"));
    /// assert_eq!(g.take_return(), None); // once
    /// ```
    pub fn take_return(&mut self) -> Option<B::Output> {
        self.inner.as_mut().take_return()
    }
}

impl<Y, T, E, B: Body<Y, Result<T, E>>> Gen<Y, Result<T, E>, B> {
    /// Throws `err` in at the yield the generator is suspended at (Python's `gen.throw(err)`):
    /// the `yield_!` evaluates to `Err(err)`, which the body may handle or propagate with `?`.
    /// Thrown into a generator that has not started, it completes it with that error before
    /// its body runs.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[derive(Debug, PartialEq)]
    /// struct Stop;
    ///
    /// #[generator(yield = u32, throw = Stop)]
    /// fn counter() -> Result<u32, Stop> {
    ///     let mut n = 0;
    ///     loop {
    ///         match yield_!(n) {
    ///             Ok(()) => n += 1,
    ///             Err(Stop) => return Ok(n),
    ///         }
    ///     }
    /// }
    ///
    /// let mut g = counter();
    /// g.start();
    /// g.send(Ok(()));
    /// assert_eq!(g.throw(Stop), GeneratorState::Complete(Ok(1)));
    /// assert_eq!(counter().throw(Stop), GeneratorState::Complete(Err(Stop)));
    /// ```
    ///
    /// # Panics
    /// As [`send`](Self::send).
    #[inline]
    #[track_caller]
    pub fn throw(&mut self, err: E) -> GeneratorState<Y, B::Output> {
        self.inner.as_mut().throw(err)
    }

    /// Python's `gen.close()` for generators that can be thrown into: throws `err` in so the
    /// body can run cleanup code, then ends the generator.
    ///
    /// # Return value
    /// `Ok(return value)` if the body returned; `Err(CloseError::Yielded(value))` if it yielded
    /// instead (Python's "generator ignored GeneratorExit"; the body is dropped anyway);
    /// `Err(CloseError::Finished)` / `Err(CloseError::Poisoned)` if nothing was left to run.
    /// Either way the generator ends finished.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[derive(Debug, PartialEq)]
    /// struct Exit;
    ///
    /// #[generator(yield = &'static str, throw = Exit)]
    /// fn session() -> Result<&'static str, Exit> {
    ///     loop {
    ///         if let Err(Exit) = yield_!("working") {
    ///             return Ok("cleaned up");
    ///         }
    ///     }
    /// }
    ///
    /// let mut g = session();
    /// g.start();
    /// assert_eq!(g.close_with(Exit).ok(), Some(Ok("cleaned up")));
    /// assert!(g.is_finished());
    /// ```
    pub fn close_with(&mut self, err: E) -> Result<B::Output, CloseError<Y>> {
        self.inner.as_mut().close_with(err)
    }
}

impl<Y, R, B: Body<Y, R>> Generator<R> for Gen<Y, R, B> {
    type Yield = Y;
    type Return = B::Output;

    #[inline]
    #[track_caller]
    fn resume(self: Pin<&mut Self>, arg: R) -> GeneratorState<Y, B::Output> {
        self.get_mut().inner.as_mut().send(arg)
    }

    #[track_caller]
    fn try_start(self: Pin<&mut Self>) -> Option<GeneratorState<Y, B::Output>> {
        self.get_mut().inner.as_mut().try_start()
    }

    fn __boxed_with<'a, H>(self, header: H) -> HeadedBox<'a, H, R, Y, B::Output>
    where
        Self: 'a,
        H: 'a,
    {
        if self.inner.state() != State::Created {
            return Box::pin(Headed {
                header,
                generator: self,
            });
        }
        // SAFETY: a generator that has not started has never been resumed, so nothing has
        // taken its address: its body is still the closure holding the arguments, and its
        // marks are empty. Pinning is this crate's own promise to its own code, which relies
        // on the address only from the first resume on; moving it now breaks nothing.
        let generator = *unsafe { Pin::into_inner_unchecked(self.inner) };
        Box::pin(Headed { header, generator })
    }
}

/// With `R = ()` a generator is an iterator over what it yields; after the last item,
/// [`Gen::take_return`] hands back the return value.
/// (`R: UnitResume` is `R = ()`, said so that the error for another `R` says how to drive it.)
impl<Y, R: UnitResume, B: Body<Y, R>> Iterator for Gen<Y, R, B> {
    type Item = Y;

    #[inline]
    #[track_caller]
    fn next(&mut self) -> Option<Y> {
        if self.inner.state() == State::Finished {
            return None;
        }
        match self.inner.as_mut().drive(Some(R::UNIT)) {
            GeneratorState::Yielded(y) => Some(y),
            GeneratorState::Complete(r) => {
                self.inner.as_mut().keep_return(r);
                None
            }
        }
    }
}

impl<Y, R: UnitResume, B: Body<Y, R>> FusedIterator for Gen<Y, R, B> {}

impl<Y, R, B: Body<Y, R>> fmt::Debug for Gen<Y, R, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}
