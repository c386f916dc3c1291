//! Time on the loop's clock: [`sleep`], [`sleep_until`], [`timeout`], and [`yield_now`].

use alloc::boxed::Box;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use crate::kernel::engine::{current, try_current};

/// The loop's clock: time since the loop was made (virtual on a kernel made
/// [`with_virtual_clock`](crate::kernel::Kernel::with_virtual_clock)).
///
/// # Panics
/// Outside of a loop.
#[track_caller]
pub fn now() -> Duration {
    current().now()
}

/// Waits for `duration` (asyncio's `sleep`). Other tasks run meanwhile. The time counts from
/// the call (from the first poll, if it is called outside of a loop).
///
/// ```
/// use std::time::Duration;
/// use resumable::rt;
///
/// rt::block_on(async {
///     let start = rt::now();
///     rt::sleep(Duration::from_millis(20)).await;
///     assert!(rt::now() - start >= Duration::from_millis(20));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    match try_current() {
        Some(core) => sleep_until(core.now().saturating_add(duration)),
        None => Sleep {
            deadline: Deadline::After(duration),
            timer: None,
        },
    }
}

/// Waits until the loop's clock reads `deadline` (see [`now`]).
pub fn sleep_until(deadline: Duration) -> Sleep {
    Sleep {
        deadline: Deadline::At(deadline),
        timer: None,
    }
}

enum Deadline {
    At(Duration),
    /// Made outside of a loop: counts from the first poll.
    After(Duration),
}

/// The future of [`sleep`] and [`sleep_until`]. Dropped before its deadline, it forgets its
/// timer.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Deadline,
    /// The timer set (its number and deadline), and the waker it was set with.
    timer: Option<(u64, Duration, Waker)>,
}

impl Sleep {
    /// When it ends, on the loop's clock (`None` until first polled, if made outside a loop).
    pub fn deadline(&self) -> Option<Duration> {
        match self.deadline {
            Deadline::At(at) => Some(at),
            Deadline::After(_) => None,
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let core = current();
        let now = core.now();
        let deadline = match self.deadline {
            Deadline::At(at) => at,
            Deadline::After(d) => {
                let at = now.saturating_add(d);
                self.deadline = Deadline::At(at);
                at
            }
        };
        if now >= deadline {
            if let Some((seq, at, _)) = self.timer.take() {
                core.cancel_timer(seq, at);
            }
            return Poll::Ready(());
        }
        if !self
            .timer
            .as_ref()
            .is_some_and(|(_, _, w)| w.will_wake(cx.waker()))
        {
            if let Some((seq, at, _)) = self.timer.take() {
                core.cancel_timer(seq, at);
            }
            let seq = core.add_timer(deadline, cx.waker().clone());
            self.timer = Some((seq, deadline, cx.waker().clone()));
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some((seq, at, _)), Some(core)) = (self.timer.take(), try_current()) {
            core.cancel_timer(seq, at);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .finish()
    }
}

/// Runs `future` for at most `duration` (asyncio's `wait_for`): its output, or
/// [`Elapsed`] — and then the future is dropped, so its destructors run. The time counts as for
/// [`sleep`].
///
/// ```
/// use std::time::Duration;
/// use resumable::rt;
///
/// rt::block_on(async {
///     let quick = rt::timeout(Duration::from_millis(50), async { 7 }).await;
///     assert_eq!(quick, Ok(7));
///     let slow = rt::timeout(Duration::from_millis(5), rt::sleep(Duration::from_secs(60))).await;
///     assert_eq!(slow, Err(rt::Elapsed));
/// });
/// ```
///
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        sleep: sleep(duration),
    }
}

/// The future of [`timeout`].
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

/// The error of [`timeout`]: the time ran out first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(value) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(value));
        }
        Pin::new(&mut self.sleep).poll(cx).map(|()| Err(Elapsed))
    }
}

/// Lets every other ready task, and I/O, run before this one goes on (asyncio's
/// `await asyncio.sleep(0)`).
///
/// ```
/// use resumable::rt;
///
/// rt::block_on(async { rt::yield_now().await });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow(false)
}

/// The future of [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
