//! Async generators (PEP 525): `#[generator(yield = T)] async fn` and `coroutine!(async { .. })`.
//! Their bodies may `.await`; what they yield comes out as a [`Stream`], and, like Python's
//! `asend`/`athrow`/`aclose`, they can be resumed with a value, thrown into and closed.
//!
//! Each of those is a *step*: a future that runs the body until its next yield or its return,
//! awaiting what it awaits on the way. A step's argument goes in on its first poll; the polls
//! after that carry the step on past the body's `.await`s.

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
use core::fmt;
use core::future::Future;
use core::ops::DerefMut;
use core::panic::Location;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::generator::body::{Body, Starts};
use crate::generator::channel::Frame;
use crate::generator::delegate::Shared;
use crate::generator::pinned::STARTED;
use crate::{CloseError, GeneratorState, PinnedGen, State};

mod sealed {
    pub trait Sealed {}
    impl Sealed for () {}
    impl<E> Sealed for Result<(), E> {}
}

/// What an async generator may return: `()`, or `Result<(), E>` for one whose `?` ends it with
/// an error (async-stream's `try_stream!`). It says what the generator's items are.
///
/// | the body returns | each yield of `y` is the item | the return is           |
/// |------------------|-------------------------------|-------------------------|
/// | `()`             | `y`                           | the end of the stream   |
/// | `Result<(), E>`  | `Ok(y)`                       | `Err(e)`: one last item |
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = u32)]
/// async fn parse(words: &'static [&'static str]) -> Result<(), core::num::ParseIntError> {
///     for w in words {
///         yield_!(w.parse()?);
///     }
///     Ok(())
/// }
///
/// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
/// # }
/// let mut s = parse(&["1", "x", "3"]);
/// assert_eq!(block_on(s.next()), Some(Ok(1)));
/// assert!(matches!(block_on(s.next()), Some(Err(_)))); // `?` ended it
/// assert_eq!(block_on(s.next()), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "an async generator returns `()` or `Result<(), E>`, not `{Self}`",
    label = "returns `{Self}`",
    note = "what an async generator produces are the items it yields; declared \
            `-> Result<(), E>`, it is a stream of `Result<T, E>` that `?` ends with one `Err`"
)]
pub trait AsyncReturn<Y>: sealed::Sealed {
    /// The item of the stream.
    type Item;
    /// The item for a yielded value.
    fn item(yielded: Y) -> Self::Item;
    /// The last item, if the return value makes one (an `Err`).
    fn last(self) -> Option<Self::Item>;
}

impl<Y> AsyncReturn<Y> for () {
    type Item = Y;
    #[inline]
    fn item(yielded: Y) -> Y {
        yielded
    }
    #[inline]
    fn last(self) -> Option<Y> {
        None
    }
}

impl<Y, E> AsyncReturn<Y> for Result<(), E> {
    type Item = Result<Y, E>;
    #[inline]
    fn item(yielded: Y) -> Result<Y, E> {
        Ok(yielded)
    }
    #[inline]
    fn last(self) -> Option<Result<Y, E>> {
        self.err().map(Err)
    }
}

/// A resume type an async generator can be iterated with, as a [`Stream`] and by `next()`:
/// `()`, or `Ok(())` for a `throw` generator with no `resume` key. A generator declared with
/// `resume = T` is resumed with [`send`](AsyncGen::send) instead.
#[diagnostic::on_unimplemented(
    message = "an async generator resumed with `{Self}` is not a stream: each step needs a value",
    label = "resumed with `{Self}`",
    note = "resume it with `send(value).await` (and `start().await` first); only async \
            generators resumed with `()` (no `resume` key) are iterated with `next()`"
)]
pub trait NextArg: sealed::Sealed {
    /// The argument of each step of the iteration.
    fn next_arg() -> Self;
}

impl NextArg for () {
    #[inline]
    fn next_arg() {}
}

impl<E> NextArg for Result<(), E> {
    #[inline]
    fn next_arg() -> Self {
        Ok(())
    }
}

/// The item a step ends with, if any.
#[inline]
fn item<Y, O: AsyncReturn<Y>>(state: GeneratorState<Y, O>) -> Option<O::Item> {
    match state {
        GeneratorState::Yielded(y) => Some(O::item(y)),
        GeneratorState::Complete(out) => out.last(),
    }
}

const MID_STEP: &str = "this async generator is in the middle of a step: a `next()`, `send()` \
                        or `throw()` future of it was dropped while its body awaited, so \
                        there is no yield for a value to go to (Python: asynchronous generator \
                        is already running); carry the step on with `next()`, or close it";
const POISONED: &str = "async generator resumed after its body panicked";
const NOT_STARTED: &str = "a value was sent to an async generator that has not started, whose \
                           body would never see it (Python: can't send non-None value to a \
                           just-started generator): call start().await first";

/// An async generator that allocates nothing: `#[generator(yield = T, pinned)] async fn` and
/// `coroutine!(pinned async { .. })`. `!Unpin`; pin it (`core::pin::pin!`) before polling. `R`
/// is what it is resumed with (`resume = R`; `Result<R, E>` with `throw = E`). Everything
/// [`AsyncGen`] does, through `Pin<&mut Self>`.
///
/// ```
/// use core::pin::pin;
/// use resumable::prelude::*;
///
/// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
/// # }
/// let mut s = pin!(coroutine!(pinned async { yield 1u8; yield 2; }));
/// assert_eq!(block_on(s.as_mut().next()), Some(1));
/// assert_eq!(block_on(s.as_mut().next()), Some(2));
/// assert_eq!(block_on(s.as_mut().next()), None);
/// ```
pub struct PinnedAsyncGen<Y, B, R = ()>
where
    B: Body<Y, R>,
{
    inner: PinnedGen<Y, R, B>,
    /// Whether a step is in progress: the body's last poll returned at an `.await` that was
    /// not ready, not at a yield.
    awaiting: bool,
}

impl<Y, R, B: Body<Y, R>> PinnedAsyncGen<Y, B, R> {
    /// Wraps a body; the macros call this. Nothing runs until the first poll.
    #[doc(hidden)]
    pub const fn new(body: B) -> Self
    where
        B::Output: AsyncReturn<Y>,
    {
        PinnedAsyncGen {
            inner: PinnedGen::new(body),
            awaiting: false,
        }
    }

    fn project(self: Pin<&mut Self>) -> (Pin<&mut PinnedGen<Y, R, B>>, &mut bool) {
        // SAFETY: `inner` is structurally pinned: it is never moved out of `self`; `awaiting`
        // is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        (
            unsafe { Pin::new_unchecked(&mut this.inner) },
            &mut this.awaiting,
        )
    }

    /// One poll of the step in progress; `arg` on its first poll. `None` once finished.
    fn poll_step(
        self: Pin<&mut Self>,
        arg: Option<R>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<GeneratorState<Y, B::Output>>> {
        match self.inner.state() {
            State::Created | State::Suspended => {}
            State::Finished => return Poll::Ready(None),
            State::Poisoned => panic!("{POISONED}"),
        }
        let (inner, awaiting) = self.project();
        let poll = inner.poll_resume(arg, cx);
        *awaiting = poll.is_pending();
        poll.map(Some)
    }

    /// Checks a step can begin with `arg`, at the caller's line: a value is never lost.
    #[track_caller]
    fn begin(&self, arg: &R) {
        match self.inner.state() {
            _ if self.awaiting => panic!("{MID_STEP}"),
            State::Created if B::loses_first(arg) => panic!("{NOT_STARTED}"),
            State::Poisoned => panic!("{POISONED}"),
            _ => {}
        }
    }

    /// The next item: `next().await` is `Some(item)`, or `None` once the body returned. Python's
    /// `anext()`; it carries on a step whose future was dropped at an `.await`, as a
    /// [`Stream`] polled again does.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut s = pin!(coroutine!(pinned async { yield 'x'; }));
    /// assert_eq!(block_on(s.as_mut().next()), Some('x'));
    /// assert_eq!(block_on(s.as_mut().next()), None);
    /// ```
    pub fn next(self: Pin<&mut Self>) -> Next<'_, Self>
    where
        R: NextArg,
        B::Output: AsyncReturn<Y>,
    {
        Next(self)
    }

    /// Runs the body to its first yield without a resume argument: Python's
    /// `asend(None)` on a just-started async generator. See [`AsyncGen::start`].
    ///
    /// # Panics
    /// Here, if the generator has already started.
    #[track_caller]
    pub fn start(self: Pin<&mut Self>) -> Resume<'_, Y, B, R>
    where
        B: Starts<Y, R>,
    {
        match self.inner.state() {
            State::Created => {}
            State::Suspended => panic!("{STARTED}"),
            // Finished: nothing to start, as `send` to it resolves to `None`.
            State::Finished => {}
            State::Poisoned => panic!("{POISONED}"),
        }
        Resume::new(self, None)
    }

    /// Resumes the body with `arg`: Python's `asend(arg)`. See [`AsyncGen::send`].
    ///
    /// # Panics
    /// Here, as [`AsyncGen::send`] says.
    #[track_caller]
    pub fn send(self: Pin<&mut Self>, arg: R) -> Resume<'_, Y, B, R> {
        self.begin(&arg);
        Resume::new(self, Some(arg))
    }

    /// Drops the body in place: see [`AsyncGen::close`].
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut s = pin!(coroutine!(pinned async { yield 1; }));
    /// s.as_mut().close();
    /// assert_eq!(s.state(), State::Finished);
    /// ```
    pub fn close(self: Pin<&mut Self>) -> Closed {
        let (inner, awaiting) = self.project();
        inner.close();
        *awaiting = false;
        Closed(())
    }

    /// Where the generator is in its life.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let s = pin!(coroutine!(pinned async { yield 1; }));
    /// assert_eq!(s.state(), State::Created);
    /// ```
    pub fn state(&self) -> State {
        self.inner.state()
    }

    /// Whether the generator will never run again: it returned, was closed or panicked.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The `yield_!` the body is suspended at (not an `.await` it is waiting on).
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut s = pin!(coroutine!(pinned async { yield line!(); }));
    /// let line = block_on(s.as_mut().next()).unwrap();
    /// assert_eq!(s.suspended_at().unwrap().line(), line);
    /// ```
    pub fn suspended_at(&self) -> Option<&'static Location<'static>> {
        self.inner.suspended_at()
    }
}

impl<Y, T, E, B: Body<Y, Result<T, E>>> PinnedAsyncGen<Y, B, Result<T, E>> {
    /// Throws `err` in at the yield the body is suspended at: Python's `athrow(err)`. See
    /// [`AsyncGen::throw`].
    #[track_caller]
    pub fn throw(self: Pin<&mut Self>, err: E) -> Resume<'_, Y, B, Result<T, E>> {
        self.send(Err(err))
    }

    /// Throws `err` in and lets the body run its cleanup, `.await`s included: Python's
    /// `aclose()`. See [`AsyncGen::close_with`].
    ///
    /// # Panics
    /// Here, if a step of the generator is in progress (see [`AsyncGen::send`]).
    #[track_caller]
    pub fn close_with(self: Pin<&mut Self>, err: E) -> CloseWith<'_, Y, B, Result<T, E>> {
        if self.awaiting {
            panic!("{MID_STEP}");
        }
        CloseWith {
            gen: self,
            arg: Some(Err(err)),
            done: false,
        }
    }
}

impl<Y, R: NextArg, B: Body<Y, R>> Stream for PinnedAsyncGen<Y, B, R>
where
    B::Output: AsyncReturn<Y>,
{
    type Item = <B::Output as AsyncReturn<Y>>::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // A step in progress goes on; a new one begins with the iteration's argument.
        let arg = (!self.awaiting).then(R::next_arg);
        self.as_mut()
            .poll_step(arg, cx)
            .map(|state| state.and_then(item))
    }
}

impl<Y, R: NextArg, B: Body<Y, R>> FusedStream for PinnedAsyncGen<Y, B, R>
where
    B::Output: AsyncReturn<Y>,
{
    fn is_terminated(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<Y, R, B: Body<Y, R>> fmt::Debug for PinnedAsyncGen<Y, B, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// An async generator: what `#[generator(yield = T)] async fn` and `coroutine!(async { .. })`
/// return. It is a [`Stream`] of what the body yields (Python's `async for`), boxed once so it
/// is `Unpin`. `R` is what it is resumed with: `()`, or the `resume = R` type (`Result<R, E>`
/// with `throw = E`), sent in with [`send`](Self::send).
///
/// | Python                  | here                         | resolves to                   |
/// |-------------------------|------------------------------|-------------------------------|
/// | `await anext(agen)`     | `agen.next().await`          | `Some(item)` or `None`        |
/// | `await agen.asend(None)`| `agen.start().await`         | the first item                |
/// | `await agen.asend(v)`   | `agen.send(v).await`         | `Some(item)` or `None`        |
/// | `await agen.athrow(e)`  | `agen.throw(e).await`        | `Some(item)` or `None`        |
/// | `await agen.aclose()`   | `agen.close_with(e).await`   | `Ok(return value)` or why not |
/// | (drop the frame)        | `agen.close()`               | the body is dropped at once   |
///
/// The item is the yielded value; for a generator declared `-> Result<(), E>` it is
/// `Ok(value)`, and an error it returns (with `?`) is one last item, `Err(e)` (see
/// [`AsyncReturn`]).
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = u32)]
/// async fn evens(limit: u32) {
///     for n in (0..limit).step_by(2) {
///         core::future::ready(()).await; // any future may be awaited
///         yield_!(n);
///     }
/// }
///
/// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
/// # }
/// let mut s = evens(5);
/// let got = block_on(async {
///     let mut got = Vec::new();
///     while let Some(n) = s.next().await {
///         got.push(n);
///     }
///     got
/// });
/// assert_eq!(got, [0, 2, 4]);
/// ```
///
/// Resumed with values, the way Python's `asend` drives an async generator:
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = f64, resume = f64)]
/// async fn running_average() {
///     let (mut sum, mut n) = (0.0, 0.0);
///     let mut x = yield_!(0.0);
///     loop {
///         core::future::ready(()).await;
///         sum += x;
///         n += 1.0;
///         x = yield_!(sum / n);
///     }
/// }
///
/// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
/// # }
/// let mut avg = running_average();
/// block_on(async {
///     assert_eq!(avg.start().await, Some(0.0));
///     assert_eq!(avg.send(10.0).await, Some(10.0));
///     assert_eq!(avg.send(20.0).await, Some(15.0));
/// });
/// ```
#[cfg(feature = "alloc")]
pub struct AsyncGen<Y, B, R = ()>
where
    B: Body<Y, R>,
{
    inner: Pin<Box<PinnedAsyncGen<Y, B, R>>>,
}

#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> AsyncGen<Y, B, R> {
    /// Wraps a body; the macros call this. Nothing runs until the first poll.
    #[doc(hidden)]
    pub fn new(body: B) -> Self
    where
        B::Output: AsyncReturn<Y>,
    {
        AsyncGen {
            inner: Box::pin(PinnedAsyncGen::new(body)),
        }
    }

    /// The generator in place.
    pub fn as_pin_mut(&mut self) -> Pin<&mut PinnedAsyncGen<Y, B, R>> {
        self.inner.as_mut()
    }

    /// The next item: a future that resolves to `Some(item)`, or `None` once the body returned.
    /// Python's `anext()`. Only for a generator resumed with `()` (no `resume` key; with only
    /// `throw = E` it is resumed with `Ok(())`): one declared with `resume = T` takes
    /// [`send`](Self::send).
    ///
    /// A step whose future was dropped while the body awaited (a `select!` that took another
    /// branch, say) is carried on by the next `next()`, as a [`Stream`] polled again is.
    // The async counterpart of `Iterator::next`, as `StreamExt::next` is.
    #[allow(clippy::should_implement_trait)]
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut s = coroutine!(async { yield 'a'; yield 'b'; });
    /// assert_eq!(block_on(s.next()), Some('a'));
    /// assert_eq!(block_on(s.next()), Some('b'));
    /// assert_eq!(block_on(s.next()), None);
    /// ```
    pub fn next(&mut self) -> Next<'_, PinnedAsyncGen<Y, B, R>>
    where
        R: NextArg,
        B::Output: AsyncReturn<Y>,
    {
        self.inner.as_mut().next()
    }

    /// Runs the body to its first yield without a resume argument: Python's
    /// `asend(None)` on a just-started async generator, the priming step of one declared with
    /// `resume = T` (which refuses a value before it: see [`send`](Self::send)).
    ///
    /// # Panics
    /// Here, if the generator has already started. A closure-form `coroutine!(async |x| ..)`
    /// binds its first argument, so it has no `start()` (a compile error): start it with
    /// `send(x)`.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[generator(yield = String, resume = &'static str)]
    /// async fn greeter() {
    ///     let mut name = yield_!(String::new());
    ///     loop {
    ///         name = yield_!(format!("hello, {name}"));
    ///     }
    /// }
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut g = greeter();
    /// assert_eq!(block_on(g.start()), Some(String::new()));
    /// assert_eq!(block_on(g.send("ada")).as_deref(), Some("hello, ada"));
    /// ```
    #[track_caller]
    pub fn start(&mut self) -> Resume<'_, Y, B, R>
    where
        B: Starts<Y, R>,
    {
        self.inner.as_mut().start()
    }

    /// Resumes the body with `arg`, which the `yield_!` it is suspended at evaluates to, and
    /// runs it to its next yield: Python's `asend(arg)`. `send(arg).await` is `Some(item)`,
    /// or `None` if the body returned (`Some(Err(e))` if it returned an error).
    ///
    /// # Panics
    /// Here, not when awaited, so a value is never lost:
    /// * if the generator was declared with `resume = T` and has not started: its body would
    ///   never see the value (Python: can't send non-None value to a just-started generator);
    ///   call [`start`](Self::start) first;
    /// * if a step is in progress: a `next()`, `send()` or `throw()` future of it was dropped
    ///   while the body awaited, so no yield waits for the value (Python: asynchronous
    ///   generator is already running); `next()` carries the step on;
    /// * if its body panicked earlier.
    ///
    /// Sent to a finished generator, it resolves to `None` (Python's `StopAsyncIteration`).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut g = coroutine!(async |x: u32| {
    ///     let y = yield x + 1;
    ///     yield y * 2;
    /// });
    /// assert_eq!(block_on(g.send(1)), Some(2)); // binds `x`
    /// assert_eq!(block_on(g.send(5)), Some(10));
    /// assert_eq!(block_on(g.send(0)), None);
    /// ```
    #[track_caller]
    pub fn send(&mut self, arg: R) -> Resume<'_, Y, B, R> {
        self.inner.as_mut().send(arg)
    }

    /// Drops the body in place, at once: its destructors run (a `Drop` guard is Python's
    /// `finally`, though it cannot `.await`), a subgenerator it delegates to is closed with
    /// it, and the stream ends. Awaiting what it returns is optional (it is ready), so
    /// `close().await` reads like Python's `aclose()`; to let the body run async cleanup code,
    /// throw an error in with [`close_with`](Self::close_with).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut s = coroutine!(async { yield 1; yield 2; });
    /// s.close();
    /// assert!(s.is_finished());
    /// ```
    pub fn close(&mut self) -> Closed {
        self.inner.as_mut().close()
    }

    /// Where the generator is in its life.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let s = coroutine!(async { yield 1; });
    /// assert_eq!(s.state(), State::Created);
    /// ```
    pub fn state(&self) -> State {
        self.inner.state()
    }

    /// Whether the generator will never run again: it returned, was closed or panicked.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut s = coroutine!(async { yield 1; });
    /// while block_on(s.next()).is_some() {}
    /// assert!(s.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The `yield_!` the body is suspended at (not a `.await` it is waiting on).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut s = coroutine!(async { yield line!(); });
    /// let line = block_on(s.next()).unwrap();
    /// assert_eq!(s.suspended_at().unwrap().line(), line);
    /// ```
    pub fn suspended_at(&self) -> Option<&'static Location<'static>> {
        self.inner.suspended_at()
    }
}

#[cfg(feature = "alloc")]
impl<Y, T, E, B: Body<Y, Result<T, E>>> AsyncGen<Y, B, Result<T, E>> {
    /// Throws `err` in at the yield the body is suspended at, which evaluates to `Err(err)`,
    /// and runs the body to its next yield: Python's `athrow(err)`. The body may handle it
    /// and yield (`Some(Ok(item))`), or return it with `?` (`Some(Err(e))`, its last item).
    /// Thrown into a generator that has not started, it ends it with that error before its
    /// body runs.
    ///
    /// # Panics
    /// Here, as [`send`](Self::send) says.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[derive(Debug, PartialEq)]
    /// struct Reset;
    ///
    /// #[generator(yield = u32, throw = Reset)]
    /// async fn counter() -> Result<(), Reset> {
    ///     let mut n = 0;
    ///     loop {
    ///         match yield_!(n) {
    ///             Ok(()) => n += 1,
    ///             Err(Reset) => n = 0,
    ///         }
    ///     }
    /// }
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut c = counter();
    /// block_on(async {
    ///     assert_eq!(c.next().await, Some(Ok(0)));
    ///     assert_eq!(c.next().await, Some(Ok(1)));
    ///     assert_eq!(c.throw(Reset).await, Some(Ok(0)));
    /// });
    /// ```
    #[track_caller]
    pub fn throw(&mut self, err: E) -> Resume<'_, Y, B, Result<T, E>> {
        self.inner.as_mut().throw(err)
    }

    /// Python's `aclose()`: throws `err` in at the yield the body is suspended at, so it can
    /// run its cleanup code, `.await`s included, then ends the generator.
    ///
    /// # Return value
    /// As for a plain generator's [`close_with`](crate::Gen::close_with): `Ok(return value)`
    /// if the body returned; `Err(CloseError::Yielded(value))` if it yielded instead (Python's
    /// "async generator ignored GeneratorExit"; the body is dropped anyway);
    /// `Err(CloseError::Delegated)` if it was closed at a `yield_from!`;
    /// `Err(CloseError::Finished)` or `Err(CloseError::Poisoned)` if there was nothing to run.
    ///
    /// # Panics
    /// Here, if a step is in progress (see [`send`](Self::send)).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[derive(Debug, PartialEq)]
    /// struct Shutdown;
    ///
    /// #[generator(yield = u32, throw = Shutdown)]
    /// async fn ticker() -> Result<(), Shutdown> {
    ///     let mut n = 0;
    ///     while yield_!(n).is_ok() {
    ///         n += 1;
    ///     }
    ///     core::future::ready(()).await; // async cleanup: flush, say goodbye
    ///     Ok(())
    /// }
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
    /// # }
    /// let mut t = ticker();
    /// block_on(async {
    ///     assert_eq!(t.next().await, Some(Ok(0)));
    ///     assert_eq!(t.close_with(Shutdown).await, Ok(Ok(())));
    /// });
    /// assert!(t.is_finished());
    /// ```
    #[track_caller]
    pub fn close_with(&mut self, err: E) -> CloseWith<'_, Y, B, Result<T, E>> {
        self.inner.as_mut().close_with(err)
    }
}

#[cfg(feature = "alloc")]
impl<Y, R: NextArg, B: Body<Y, R>> Stream for AsyncGen<Y, B, R>
where
    B::Output: AsyncReturn<Y>,
{
    type Item = <B::Output as AsyncReturn<Y>>::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().inner.as_mut().poll_next(cx)
    }
}

#[cfg(feature = "alloc")]
impl<Y, R: NextArg, B: Body<Y, R>> FusedStream for AsyncGen<Y, B, R>
where
    B::Output: AsyncReturn<Y>,
{
    fn is_terminated(&self) -> bool {
        self.inner.is_finished()
    }
}

#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> fmt::Debug for AsyncGen<Y, B, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

/// The future returned by `next()` on an async generator.
///
/// ```
/// use resumable::prelude::*;
///
/// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
/// # }
/// let mut s = coroutine!(async { yield 5; });
/// let next: resumable::Next<'_, _> = s.next();
/// assert_eq!(block_on(next), Some(5));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Next<'a, S: ?Sized>(Pin<&'a mut S>);

impl<S: Stream + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().0.as_mut().poll_next(cx)
    }
}

/// The future returned by `start()`, `send(v)` and `throw(e)` on an async generator: one step
/// of its body, to its next yield or its return. It resolves to `Some(item)`, or `None` if
/// the generator returned (or had already finished) without a last item.
#[must_use = "futures do nothing unless polled: the value is not sent until this is awaited"]
pub struct Resume<'a, Y, B, R>
where
    B: Body<Y, R>,
{
    gen: Pin<&'a mut PinnedAsyncGen<Y, B, R>>,
    /// The step's argument, until its first poll takes it in.
    arg: Option<R>,
    done: bool,
}

impl<'a, Y, R, B: Body<Y, R>> Resume<'a, Y, B, R> {
    fn new(gen: Pin<&'a mut PinnedAsyncGen<Y, B, R>>, arg: Option<R>) -> Self {
        Resume {
            gen,
            arg,
            done: false,
        }
    }
}

// Neither the generator (behind `Pin<&mut>`) nor the argument is pinned by this future.
impl<Y, R, B: Body<Y, R>> Unpin for Resume<'_, Y, B, R> {}

impl<Y, R, B: Body<Y, R>> Future for Resume<'_, Y, B, R>
where
    B::Output: AsyncReturn<Y>,
{
    type Output = Option<<B::Output as AsyncReturn<Y>>::Item>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.done,
            "a step of an async generator polled after it completed"
        );
        let arg = this.arg.take();
        let state = core::task::ready!(this.gen.as_mut().poll_step(arg, cx));
        this.done = true;
        Poll::Ready(state.and_then(item))
    }
}

impl<Y, R, B: Body<Y, R>> fmt::Debug for Resume<'_, Y, B, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resume")
            .field("generator", &self.gen)
            .field("begun", &self.arg.is_none())
            .finish()
    }
}

/// The future returned by `close_with(e)` on an async generator: the body's cleanup, to its
/// return (see [`AsyncGen::close_with`]). Dropped before it completes, it leaves the body
/// where its cleanup was awaiting, a step in progress.
#[must_use = "futures do nothing unless polled: the error is not thrown in until this is awaited"]
pub struct CloseWith<'a, Y, B, R>
where
    B: Body<Y, R>,
{
    gen: Pin<&'a mut PinnedAsyncGen<Y, B, R>>,
    arg: Option<R>,
    done: bool,
}

impl<Y, R, B: Body<Y, R>> Unpin for CloseWith<'_, Y, B, R> {}

impl<Y, R, B: Body<Y, R>> Future for CloseWith<'_, Y, B, R> {
    type Output = Result<B::Output, CloseError<Y>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "`close_with` polled after it completed");
        let arg = this.arg.take();
        let (inner, awaiting) = this.gen.as_mut().project();
        let poll = inner.poll_close(arg, cx.waker());
        *awaiting = poll.is_pending();
        this.done = poll.is_ready();
        poll
    }
}

impl<Y, R, B: Body<Y, R>> Drop for CloseWith<'_, Y, B, R> {
    fn drop(&mut self) {
        if !self.done && self.arg.is_none() {
            self.gen.as_mut().project().0.end_closing();
        }
    }
}

impl<Y, R, B: Body<Y, R>> fmt::Debug for CloseWith<'_, Y, B, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloseWith")
            .field("generator", &self.gen)
            .field("begun", &self.arg.is_none())
            .finish()
    }
}

/// What `close()` on an async generator returns: the generator is already closed, and this
/// future is ready, so `close().await` and `close()` do the same.
#[derive(Debug)]
pub struct Closed(());

impl Future for Closed {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

/// `yield_from!` of an async generator, in an async generator (see `yield_from`): it shares
/// the delegating generator's exchange, as a plain generator does, and its `.await`s are the
/// delegating generator's.
impl<Y, R, B: Body<Y, R>> PinnedAsyncGen<Y, B, R> {
    fn step_shared(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Y, R>,
        cx: &mut Context<'_>,
    ) -> Poll<B::Output> {
        self.project().0.step(frame, cx)
    }

    /// Makes it ready to be delegated to; see `PinnedGen::begin_delegation`.
    fn begin_shared(self: Pin<&mut Self>, first: Option<&R>, at: &'static Location<'static>) {
        if self.awaiting {
            delegation_mid_step(at);
        }
        self.project().0.begin_delegation(first, at);
    }
}

/// `yield_from!` of an async generator whose step is in progress.
#[cold]
#[inline(never)]
fn delegation_mid_step(at: &'static Location<'static>) -> ! {
    panic!(
        "`yield_from!` at {at}: this async generator is in the middle of a step (a `next()` \
         future of it was dropped while its body awaited); carry the step on with `next()` \
         before delegating to it"
    )
}

impl<Y, R, B: Body<Y, R>, P> Shared<Y, R> for AsyncSub<Pin<P>>
where
    P: DerefMut<Target = PinnedAsyncGen<Y, B, R>> + Unpin,
{
    type Output = B::Output;
    #[inline(always)]
    fn step_shared(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Y, R>,
        cx: &mut Context<'_>,
    ) -> Poll<B::Output> {
        self.get_mut().0.as_mut().step_shared(frame, cx)
    }
    fn resume_shared(self: Pin<&mut Self>, _: Option<R>) -> GeneratorState<Y, B::Output> {
        unreachable!("an async generator is only delegated to by sharing the exchange")
    }
    #[inline]
    fn begin_shared(self: Pin<&mut Self>, first: Option<&R>, at: &'static Location<'static>) {
        self.get_mut().0.as_mut().begin_shared(first, at);
    }
    #[inline]
    fn close_shared(self: Pin<&mut Self>) {
        self.get_mut().0.as_mut().close();
    }
}

/// An async generator being delegated to, in place: by reference (`pin!`) or boxed (an
/// [`AsyncGen`], or `Box::pin`). Not public API.
pub struct AsyncSub<P>(P);

/// How `yield_from!` takes an async generator. Not public API.
pub trait IntoAsyncSub {
    /// What it yields.
    type Yield;
    /// What it is resumed with.
    type Resume;
    /// The generator in place.
    type Sub: Shared<Self::Yield, Self::Resume>;
    /// Takes it.
    fn into_sub(self) -> Self::Sub;
}

#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> IntoAsyncSub for AsyncGen<Y, B, R> {
    type Yield = Y;
    type Resume = R;
    type Sub = AsyncSub<Pin<Box<PinnedAsyncGen<Y, B, R>>>>;
    fn into_sub(self) -> Self::Sub {
        AsyncSub(self.inner)
    }
}

#[cfg(feature = "alloc")]
impl<'a, Y, R, B: Body<Y, R>> IntoAsyncSub for &'a mut AsyncGen<Y, B, R> {
    type Yield = Y;
    type Resume = R;
    type Sub = AsyncSub<Pin<&'a mut PinnedAsyncGen<Y, B, R>>>;
    fn into_sub(self) -> Self::Sub {
        AsyncSub(self.inner.as_mut())
    }
}

impl<'a, Y, R, B: Body<Y, R>> IntoAsyncSub for Pin<&'a mut PinnedAsyncGen<Y, B, R>> {
    type Yield = Y;
    type Resume = R;
    type Sub = AsyncSub<Pin<&'a mut PinnedAsyncGen<Y, B, R>>>;
    fn into_sub(self) -> Self::Sub {
        AsyncSub(self)
    }
}

#[cfg(feature = "alloc")]
impl<Y, R, B: Body<Y, R>> IntoAsyncSub for Pin<Box<PinnedAsyncGen<Y, B, R>>> {
    type Yield = Y;
    type Resume = R;
    type Sub = AsyncSub<Pin<Box<PinnedAsyncGen<Y, B, R>>>>;
    fn into_sub(self) -> Self::Sub {
        AsyncSub(self)
    }
}
