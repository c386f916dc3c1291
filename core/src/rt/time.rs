//! Time on the loop's clock: [`sleep`], [`sleep_until`], [`timeout`], and [`yield_now`].

use alloc::boxed::Box;
use core::fmt;
use core::future::Future;
use core::panic::Location;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use crate::kernel::clock::Deadline;
use crate::kernel::engine::{current, pending_at, resumed_at, try_current};
use crate::kernel::timers::TimerKey;

/// The loop's clock: time since the loop was made (virtual on a kernel made
/// [`with_virtual_clock`](crate::kernel::Kernel::with_virtual_clock)).
///
/// ```
/// use std::time::Duration;
/// use resumable::kernel::Kernel;
/// use resumable::rt;
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let times = kernel.block_on(async {
///     let before = rt::now();
///     rt::sleep(Duration::from_secs(90)).await;
///     (before, rt::now())
/// });
/// assert_eq!(times, (Duration::ZERO, Duration::from_secs(90)));
/// ```
///
/// # Panics
/// Outside of a loop.
#[track_caller]
pub fn now() -> Duration {
    current().now()
}

/// Waits for `duration` (asyncio's `sleep`). Other tasks run meanwhile. The time counts from
/// the call (from the first poll, if it is called outside of a loop), and the deadline is an
/// instant: awaited in another loop, the sleep still ends when it was due to (see
/// [`Sleep`](Sleep#in-another-loop)).
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
///
/// # Panics
/// When polled outside of a loop; the message names the line that made the sleep.
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        made_at: Location::caller(),
        deadline: match try_current() {
            Some(core) => core.deadline_after(duration),
            None => Deadline::After(duration),
        },
        timer: None,
    }
}

/// Waits until the loop's clock reads `deadline` (see [`now`]): a fixed rate, say, that does
/// not drift with the time each step takes. Called outside of a loop, the deadline is read on
/// the clock of the loop that first polls it.
///
/// ```
/// use std::time::Duration;
/// use resumable::rt;
///
/// rt::block_on(async {
///     let period = Duration::from_millis(5);
///     let mut next = rt::now();
///     for _ in 0..3 {
///         next += period;
///         rt::sleep_until(next).await;
///         assert!(rt::now() >= next);
///     }
///     rt::sleep_until(rt::now()).await; // a deadline passed already: ready at once
/// });
/// ```
///
/// # Panics
/// When polled outside of a loop; the message names the line that made the sleep.
#[track_caller]
pub fn sleep_until(deadline: Duration) -> Sleep {
    Sleep {
        made_at: Location::caller(),
        deadline: match try_current() {
            Some(core) => core.deadline_at(deadline),
            None => Deadline::Unbound(deadline),
        },
        timer: None,
    }
}

/// The future of [`sleep`] and [`sleep_until`]. It sets one timer when first polled, and keeps
/// it however often it is polled again (with the same waker or another); dropped before its
/// deadline, it removes it: a dropped `Sleep` leaves nothing behind.
///
/// ```
/// use std::time::Duration;
/// use resumable::kernel::Kernel;
/// use resumable::rt;
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let woke = kernel.block_on(async {
///     let long = rt::timeout(Duration::from_secs(1), rt::sleep(Duration::from_secs(3600)));
///     assert!(long.await.is_err()); // the hour-long Sleep was dropped, and its timer with it
///     rt::now()
/// });
/// assert_eq!(woke, Duration::from_secs(1));
/// kernel.run(); // no timer is left for the virtual clock to jump to
/// assert_eq!(kernel.now(), Duration::from_secs(1));
/// ```
///
/// # In another loop
/// A deadline is an instant, not a number on a clock: a `Sleep` polled in another loop than
/// the one it was set on (a `block_on` returned with it unfinished, and the next one awaits it)
/// ends when it was due to, although the new loop's clock started later and reads less.
///
/// * Between real clocks, it ends at the same instant, or at once if that has passed.
/// * A virtual clock's instants are its own, and its time passes only while its loop runs.
///   Carried off one, a sleep keeps the time that clock has left until its deadline (none if
///   the clock has passed it), counted from its first poll in the new loop. So does a sleep
///   carried from a real clock onto a virtual one, with the real time it had left.
///
/// Once polled in the new loop, it belongs to that loop's clock, and [`deadline`](Sleep::deadline)
/// reads on it. A 100 ms sleep interrupted at 30 ms has 70 ms left in the next loop:
///
/// ```
/// use std::time::Duration;
/// use resumable::kernel::Kernel;
/// use resumable::rt;
///
/// let ms = Duration::from_millis;
/// let mut first = Kernel::new().with_virtual_clock();
/// let mut nap = first.block_on(async {
///     let mut nap = rt::sleep(ms(100));
///     assert!(rt::timeout(ms(30), &mut nap).await.is_err());
///     nap
/// });
/// let mut second = Kernel::new().with_virtual_clock();
/// second.block_on(async {
///     rt::sleep(ms(5)).await;
///     nap.await;
///     assert_eq!(rt::now(), ms(75)); // 5 ms, then the 70 ms it had left
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Deadline,
    /// Where it was made: for the panic if it is polled outside of a loop, and the slow-task
    /// warning.
    made_at: &'static Location<'static>,
    /// The timer set, once polled.
    timer: Option<TimerKey>,
}

impl Sleep {
    /// When it ends, on the clock of the loop it was made or last polled in (`None` until
    /// first polled, if made outside a loop with [`sleep`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::kernel::Kernel;
    /// use resumable::rt;
    ///
    /// let early = rt::sleep(Duration::from_secs(2)); // outside a loop
    /// assert_eq!(early.deadline(), None);
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// kernel.block_on(async {
    ///     rt::sleep(Duration::from_secs(1)).await;
    ///     let nap = rt::sleep(Duration::from_secs(5));
    ///     assert_eq!(nap.deadline(), Some(Duration::from_secs(6)));
    ///     early.await; // counts from its first poll, at 1s
    ///     assert_eq!(rt::now(), Duration::from_secs(3));
    /// });
    /// ```
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline.reading()
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(core) = try_current() else {
            polled_outside(self.made_at)
        };
        let (now, deadline, moved) = core.bind_deadline(&mut self.deadline);
        if moved {
            // Set on another loop's clock (or on none yet): its timer, if any, is not this
            // loop's.
            self.timer = None;
        }
        if now >= deadline {
            if let Some(timer) = self.timer.take() {
                core.cancel_timer(timer);
                resumed_at(self.made_at);
            }
            return Poll::Ready(());
        }
        match self.timer {
            // Polled again: the timer it set wakes whoever polled it last.
            Some(timer) if core.rewake_timer(timer, cx.waker()) => {}
            // Not set yet, or gone (it fired).
            _ => self.timer = Some(core.add_timer(deadline, cx.waker().clone())),
        }
        pending_at(self.made_at);
        Poll::Pending
    }
}

/// A sleep polled outside of a loop: its poll cannot name the `.await`, so the message names
/// where the sleep was made.
#[cold]
#[inline(never)]
fn polled_outside(made_at: &Location<'_>) -> ! {
    panic!(
        "the rt::sleep made at {made_at} was awaited outside of a loop: only a future run by \
         rt::block_on (or a Kernel) can sleep; run the code that awaits it in rt::block_on"
    )
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(timer), Some(core)) = (self.timer.take(), try_current()) {
            core.cancel_timer(timer);
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
/// # Panics
/// When polled outside of a loop; the message names the line that called `timeout`.
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        sleep: sleep(duration),
    }
}

/// The future of [`timeout`]. If the time runs out, the inner future is dropped: its
/// destructors run.
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// use resumable::rt;
///
/// struct Guard(Rc<Cell<bool>>);
/// impl Drop for Guard {
///     fn drop(&mut self) { self.0.set(true) }
/// }
///
/// rt::block_on(async {
///     let dropped = Rc::new(Cell::new(false));
///     let guard = Guard(dropped.clone());
///     let slow = async move {
///         let _guard = guard;
///         rt::sleep(Duration::from_secs(3600)).await;
///     };
///     assert_eq!(rt::timeout(Duration::from_millis(5), slow).await, Err(rt::Elapsed));
///     assert!(dropped.get());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

/// The error of [`timeout`]: the time ran out first. It is a `std::error::Error`, so `?` takes
/// it into a boxed error.
///
/// ```
/// use std::time::Duration;
/// use resumable::rt;
///
/// async fn fetch() -> Result<u32, Box<dyn std::error::Error>> {
///     rt::timeout(Duration::from_millis(1), rt::sleep(Duration::from_secs(60))).await?;
///     Ok(1)
/// }
///
/// let err = rt::block_on(fetch()).unwrap_err();
/// assert_eq!(err.to_string(), "deadline elapsed");
/// assert!(err.is::<rt::Elapsed>());
/// ```
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
/// `await asyncio.sleep(0)`). It remembers the line that calls it, for the slow-task warning
/// ([`Report::Slow`](crate::kernel::Report::Slow) names the `.await` a slow poll resumed from).
///
/// ```
/// use resumable::rt;
///
/// rt::block_on(async { rt::yield_now().await });
/// ```
#[track_caller]
pub fn yield_now() -> YieldNow {
    YieldNow {
        yielded: false,
        at: Location::caller(),
    }
}

/// The future of [`yield_now`]: pending once, so the tasks that are ready run, then ready.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use resumable::rt;
///
/// rt::block_on(async {
///     let ran = Rc::new(Cell::new(false));
///     let flag = ran.clone();
///     let task = rt::spawn(async move { flag.set(true) });
///     assert!(!ran.get()); // spawned, not run yet
///     rt::yield_now().await;
///     assert!(ran.get());
///     task.await.unwrap();
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
    /// The line that awaits it.
    at: &'static Location<'static>,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            resumed_at(self.at);
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        pending_at(self.at);
        Poll::Pending
    }
}
