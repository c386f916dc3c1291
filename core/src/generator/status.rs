//! Where a generator is in its life, and the errors of resuming or closing one at the wrong time.

use core::fmt;

/// Where a generator is in its life: Python's `inspect.getgeneratorstate`.
///
/// ```text
///   Created ──resume──▶ Suspended ──resume──▶ … ──return──▶ Finished
///      │                    │                                   ▲
///      └───────close────────┴───────────close───────────────────┘
///   any resume whose body panics ──▶ Poisoned
/// ```
///
/// Invariants: a `Created` generator has not run any of its body, so it holds only its
/// arguments; a `Suspended` one is stopped at a yield (its `suspended_at` is known); a
/// `Finished` or `Poisoned` one holds no body any more and every further resume panics
/// (or is an error from `try_resume`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Made but never resumed (`GEN_CREATED`).
    Created,
    /// Stopped at a yield, waiting to be resumed (`GEN_SUSPENDED`).
    Suspended,
    /// Returned, or closed (`GEN_CLOSED`).
    Finished,
    /// Its body panicked during a resume; it can never run again.
    Poisoned,
}

/// Why a generator could not be resumed, from `try_resume` and `try_send`.
///
/// ```
/// use resumable::prelude::*;
///
/// let mut g = coroutine! { yield 1; };
/// g.send(());
/// g.send(());
/// assert_eq!(g.try_send(()), Err(ResumeError::Finished));
/// assert_eq!(ResumeError::Finished.to_string(), "generator resumed after it finished");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResumeError {
    /// A value was sent to a generator declared with `resume = T` that has not started: no
    /// yield waits for it, so it would be lost. Start the generator first (`start()`), as
    /// Python's `next(gen)`: "can't send non-None value to a just-started generator".
    NotStarted,
    /// The generator returned or was closed.
    Finished,
    /// The generator's body panicked during an earlier resume.
    Poisoned,
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResumeError::NotStarted => {
                "a value was sent to a generator that has not started: call start() first"
            }
            ResumeError::Finished => "generator resumed after it finished",
            ResumeError::Poisoned => "generator resumed after its body panicked",
        })
    }
}

impl core::error::Error for ResumeError {}

/// Why `close_with` could not end a generator cleanly.
///
/// ```
/// use resumable::prelude::*;
///
/// // A generator that keeps yielding when told to stop: Python's RuntimeError
/// // "generator ignored GeneratorExit".
/// let mut stubborn = coroutine!(|r: Result<(), &'static str>| {
///     let mut r = r;
///     loop {
///         r = yield r.is_err();
///     }
/// });
/// stubborn.send(Ok(()));
/// assert_eq!(stubborn.close_with("stop"), Err(CloseError::Yielded(true)));
/// assert_eq!(stubborn.close_with("stop"), Err(CloseError::Finished));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseError<Y> {
    /// The body caught the error and yielded this value instead of returning
    /// (Python's "generator ignored GeneratorExit"). The body was dropped anyway.
    Yielded(Y),
    /// The generator was delegating (`yield_from!`) when the error was thrown in, and the
    /// subgenerator that received it returned. Python closes the subgenerator, then raises
    /// `GeneratorExit` in the delegating generator at its `yield from`, so the code after it
    /// never runs; here too the delegating generator does not go on past its `yield_from!`:
    /// its body is dropped there (its destructors run, Python's `finally`), and there is no
    /// return value (Python's `close()` returns `None`), whatever the subgenerator returned.
    Delegated,
    /// The generator had already finished, so there was nothing to close.
    Finished,
    /// The generator's body had panicked earlier, so there was nothing to run.
    Poisoned,
}

impl<Y> fmt::Debug for CloseError<Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseError::Yielded(_) => "Yielded(..)",
            CloseError::Delegated => "Delegated",
            CloseError::Finished => "Finished",
            CloseError::Poisoned => "Poisoned",
        })
    }
}

impl<Y> fmt::Display for CloseError<Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseError::Yielded(_) => "generator yielded a value while being closed",
            CloseError::Delegated => {
                "generator was closed at a `yield_from!` whose subgenerator handled the error"
            }
            CloseError::Finished => "generator was already finished",
            CloseError::Poisoned => "generator had panicked",
        })
    }
}

impl<Y> core::error::Error for CloseError<Y> {}
