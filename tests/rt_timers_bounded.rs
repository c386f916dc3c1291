//! Timers stay bounded under load: a timer nobody waits for any more is removed at once (not at
//! its deadline), and a future polled again keeps its one timer. Counted through
//! `Kernel::snapshot().timers`, never timed. (Wakes: `rt_wakes_bounded.rs`.)

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall, Task};
use resumable::prelude::*;
use resumable::rt;

const LONG: Duration = Duration::from_secs(300);

/// Runs passes until no task is left, checking after each that at most `most` timers are set.
fn run_with_at_most(kernel: &mut Kernel, most: usize) -> usize {
    let mut passes = 0;
    while kernel.run_once() {
        let timers = kernel.snapshot().timers;
        assert!(timers <= most, "{timers} timers set after pass {passes}");
        passes += 1;
    }
    passes
}

#[test]
fn a_loop_of_timeouts_over_quick_futures_leaves_no_timer_behind() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn_task(Task::from_future("timeouts", async {
        for _ in 0..5_000 {
            // Sets a 5-minute timer; `yield_now` is done a pass later, and the timer is removed.
            rt::timeout(LONG, rt::yield_now()).await.unwrap();
        }
        // One that does time out, among them: its timer fires and is gone too.
        let slow = rt::timeout(Duration::from_secs(1), rt::sleep(LONG)).await;
        slow.unwrap_err();
    }));
    let passes = run_with_at_most(&mut kernel, 2);
    assert!(passes > 5_000);
    assert_eq!(kernel.take_return::<()>(id), Ok(()));
    assert_eq!(kernel.snapshot().timers, 0);
    // The virtual clock never jumped to a deadline nobody waited for.
    assert_eq!(kernel.now(), Duration::from_secs(1));
}

/// Forwards its wakes to the waker it wraps: a fresh waker for every poll, as an async
/// generator's body or a hand-written combinator may give.
struct Relay(Waker);

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.0.wake_by_ref();
    }
}

#[test]
fn a_sleep_polled_again_keeps_one_timer_whatever_waker_it_is_polled_with() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn_task(Task::from_future("repoll", async {
        let mut nap = pin!(rt::sleep(LONG));
        for _ in 0..2_000 {
            let polled = std::future::poll_fn(|cx| {
                let fresh = Waker::from(Arc::new(Relay(cx.waker().clone())));
                Poll::Ready(nap.as_mut().poll(&mut Context::from_waker(&fresh)))
            })
            .await;
            assert!(polled.is_pending());
            rt::yield_now().await;
        }
        // The timer wakes the waker of the last poll.
        std::future::poll_fn(|cx| {
            let fresh = Waker::from(Arc::new(Relay(cx.waker().clone())));
            nap.as_mut().poll(&mut Context::from_waker(&fresh))
        })
        .await;
        rt::now()
    }));
    run_with_at_most(&mut kernel, 1);
    assert_eq!(kernel.take_return::<Duration>(id), Ok(LONG));
}

#[generator(yield = u32)]
async fn slow_ticks() {
    for i in 0..2 {
        rt::sleep(LONG).await;
        yield_!(i);
    }
}

#[test]
fn an_async_generator_waiting_in_sleep_keeps_one_timer_however_often_it_is_polled() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn_task(Task::from_future("stream", async {
        let mut ticks = slow_ticks();
        // Polled again and again before its sleep is over (a `select!` with a busy branch).
        for _ in 0..2_000 {
            let polled =
                std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut ticks).poll_next(cx))).await;
            assert!(polled.is_pending());
            rt::yield_now().await;
        }
        let mut got = vec![];
        while let Some(tick) = std::future::poll_fn(|cx| Pin::new(&mut ticks).poll_next(cx)).await {
            got.push((tick, rt::now()));
        }
        got
    }));
    run_with_at_most(&mut kernel, 1);
    assert_eq!(
        kernel.take_return::<Vec<(u32, Duration)>>(id),
        Ok(vec![(0, LONG), (1, 2 * LONG)])
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleeper(secs: u64) -> Result<(), Cancelled> {
    yield_from!(sys::sleep(Duration::from_secs(secs)))
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleeper_that_cleans_up() -> Result<&'static str, Cancelled> {
    match yield_from!(sys::sleep(LONG)) {
        Ok(()) => Ok("slept"),
        Err(Cancelled) => {
            yield_from!(sys::sleep(Duration::from_secs(1)))?;
            Ok("cleaned up")
        }
    }
}

#[test]
fn generator_tasks_killed_or_cancelled_in_their_sleep_leave_no_timer() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let killed: Vec<_> = (0..300).map(|_| kernel.spawn("k", sleeper(300))).collect();
    let cancelled: Vec<_> = (0..300).map(|_| kernel.spawn("c", sleeper(300))).collect();
    let cleaner = kernel.spawn("cleaner", sleeper_that_cleans_up());
    kernel.run_once(); // they all go to sleep
    assert_eq!(kernel.snapshot().timers, 601);
    for id in killed {
        assert!(kernel.kill(id));
    }
    assert_eq!(kernel.snapshot().timers, 301);
    for &id in &cancelled {
        assert!(kernel.cancel(id));
    }
    // Cancelled: their timers are gone before the `Cancelled` is even thrown in.
    assert_eq!(kernel.snapshot().timers, 1);
    assert!(kernel.cancel(cleaner));
    assert_eq!(kernel.snapshot().timers, 0);
    kernel.run_once(); // the cancelled end; the cleaner sleeps again, once
    assert_eq!(kernel.snapshot().timers, 1);
    for id in cancelled {
        assert_eq!(
            kernel.take_return::<Result<(), Cancelled>>(id),
            Ok(Err(Cancelled))
        );
    }
    kernel.run();
    assert_eq!(
        kernel.take_return(cleaner),
        Ok(Ok::<_, Cancelled>("cleaned up"))
    );
    assert_eq!(kernel.now(), Duration::from_secs(1));
    assert_eq!(kernel.snapshot().timers, 0);
}
