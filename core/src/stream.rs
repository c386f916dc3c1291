//! Async generators (PEP 525): `#[generator(yield = T)] async fn` and `coroutine!(async { .. })`.
//! Their bodies may `.await`; what they yield comes out as a [`Stream`].

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
use core::fmt;
use core::future::Future;
use core::panic::Location;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::body::Body;
use crate::{PinnedGen, State};

impl<Y, B: Body<Y, ()>> PinnedGen<Y, (), B> {
    /// One poll of an async generator: a yield is an item, a real `.await` that is not ready is
    /// `Pending` (the future it awaits has the waker), and returning ends the stream.
    pub(crate) fn poll_item(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Y>> {
        match self.state() {
            State::Created | State::Suspended => {}
            State::Finished => return Poll::Ready(None),
            State::Poisoned => panic!("async generator polled after its body panicked"),
        }
        self.poll_yield((), cx)
    }
}

/// An async generator: what `#[generator(yield = T)] async fn` and `coroutine!(async { .. })`
/// return. It is a [`Stream`] of what the body yields (Python's `async for`), boxed once so it
/// is `Unpin`.
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
#[cfg(feature = "alloc")]
pub struct AsyncGen<Y, B: Body<Y, ()>> {
    inner: Pin<Box<PinnedGen<Y, (), B>>>,
}

#[cfg(feature = "alloc")]
impl<Y, B: Body<Y, ()>> AsyncGen<Y, B> {
    /// Wraps a body; the macros call this. Nothing runs until the first poll.
    #[doc(hidden)]
    pub fn new(body: B) -> Self {
        AsyncGen {
            inner: Box::pin(PinnedGen::new(body)),
        }
    }

    /// The next item: a future that resolves to `Some(item)`, or `None` once the body returned.
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
    pub fn next(&mut self) -> Next<'_, Self> {
        Next(Pin::new(self))
    }

    /// Drops the body in place; its destructors run and the stream ends.
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut s = coroutine!(async { yield 1; yield 2; });
    /// s.close();
    /// assert!(s.is_finished());
    /// ```
    pub fn close(&mut self) {
        self.inner.as_mut().close();
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

    /// Whether the stream has ended.
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
impl<Y, B: Body<Y, ()>> Stream for AsyncGen<Y, B> {
    type Item = Y;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Y>> {
        self.get_mut().inner.as_mut().poll_item(cx)
    }
}

#[cfg(feature = "alloc")]
impl<Y, B: Body<Y, ()>> FusedStream for AsyncGen<Y, B> {
    fn is_terminated(&self) -> bool {
        self.inner.is_finished()
    }
}

#[cfg(feature = "alloc")]
impl<Y, B: Body<Y, ()>> fmt::Debug for AsyncGen<Y, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

/// An async generator that allocates nothing: `#[generator(yield = T, pinned)] async fn`.
/// `!Unpin`; pin it (`core::pin::pin!`) before polling.
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
pub struct PinnedAsyncGen<Y, B: Body<Y, ()>> {
    inner: PinnedGen<Y, (), B>,
}

impl<Y, B: Body<Y, ()>> PinnedAsyncGen<Y, B> {
    /// Wraps a body; the macros call this. Nothing runs until the first poll.
    #[doc(hidden)]
    pub const fn new(body: B) -> Self {
        PinnedAsyncGen {
            inner: PinnedGen::new(body),
        }
    }

    fn project(self: Pin<&mut Self>) -> Pin<&mut PinnedGen<Y, (), B>> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of `self`.
        unsafe { self.map_unchecked_mut(|s| &mut s.inner) }
    }

    /// The next item: a future that resolves to `Some(item)`, or `None` once the body returned.
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
    pub fn next(self: Pin<&mut Self>) -> Next<'_, Self> {
        Next(self)
    }

    /// Drops the body in place; its destructors run and the stream ends.
    ///
    /// ```
    /// use core::pin::pin;
    /// use resumable::prelude::*;
    ///
    /// let mut s = pin!(coroutine!(pinned async { yield 1; }));
    /// s.as_mut().close();
    /// assert_eq!(s.state(), State::Finished);
    /// ```
    pub fn close(self: Pin<&mut Self>) {
        self.project().close();
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

    /// The `yield_!` the body is suspended at.
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

impl<Y, B: Body<Y, ()>> Stream for PinnedAsyncGen<Y, B> {
    type Item = Y;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Y>> {
        self.project().poll_item(cx)
    }
}

impl<Y, B: Body<Y, ()>> FusedStream for PinnedAsyncGen<Y, B> {
    fn is_terminated(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<Y, B: Body<Y, ()>> fmt::Debug for PinnedAsyncGen<Y, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
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
