//! Async generators (PEP 525): `#[generator(yield = T)] async fn` and `coroutine!(async ..)`
//! are `futures_core::Stream`s whose bodies really await.

mod common;

use core::pin::{pin, Pin};
use core::task::{Context, Poll, Waker};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Wake;

use resumable::prelude::*;
use resumable::FusedStream;

use common::{block_on, entries, new_log, Noisy};

/// Collects every item of a stream.
fn collect<S: Stream + Unpin>(mut s: S) -> Vec<S::Item> {
    block_on(async move {
        let mut out = vec![];
        while let Some(x) = std::future::poll_fn(|cx| Pin::new(&mut s).poll_next(cx)).await {
            out.push(x);
        }
        out
    })
}

/// Pending on its first poll (after waking the waker it was given), ready on the second.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = &'static str;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.0 {
            Poll::Ready("woken")
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A waker that counts its wakes.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[generator(yield = u32)]
async fn ticks(n: u32) {
    for i in 0..n {
        std::future::ready(()).await;
        yield_!(i);
    }
}

#[test]
fn async_fn_generator_is_a_stream_polled_to_completion() {
    assert_eq!(collect(ticks(3)), [0, 1, 2]);
}

#[test]
fn async_generator_next_can_be_awaited() {
    let mut s = ticks(2);
    let got = block_on(async {
        let a = s.next().await;
        let b = s.next().await;
        let c = s.next().await;
        (a, b, c)
    });
    assert_eq!(got, (Some(0), Some(1), None));
}

#[test]
fn async_generator_really_awaits_a_pending_future_with_the_callers_waker() {
    #[generator(yield = &'static str)]
    async fn waits() {
        yield_!("before");
        let v = PendingOnce(false).await;
        yield_!(v);
    }
    let wakes = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut s = waits();
    assert_eq!(
        Pin::new(&mut s).poll_next(&mut cx),
        Poll::Ready(Some("before"))
    );
    assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
    assert_eq!(
        Pin::new(&mut s).poll_next(&mut cx),
        Poll::Pending,
        "an awaited Pending is not an item"
    );
    assert_eq!(
        wakes.0.load(Ordering::SeqCst),
        1,
        "the awaited future did not get the stream's waker"
    );
    assert_eq!(s.state(), State::Suspended);
    assert!(!s.is_terminated());
    assert_eq!(
        Pin::new(&mut s).poll_next(&mut cx),
        Poll::Ready(Some("woken"))
    );
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(None));
}

#[test]
fn async_generator_is_terminated_after_the_end_and_stays_ended() {
    let mut s = ticks(1);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(!s.is_terminated());
    assert_eq!(s.state(), State::Created);
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(Some(0)));
    assert!(!s.is_terminated());
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(None));
    assert!(s.is_terminated());
    assert!(s.is_finished());
    assert_eq!(s.state(), State::Finished);
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(None));
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(None));
}

#[test]
fn async_generator_early_return_ends_the_stream() {
    #[generator(yield = u32)]
    async fn until_three() {
        for i in 0.. {
            if i == 3 {
                return;
            }
            yield_!(i);
        }
    }
    assert_eq!(collect(until_three()), [0, 1, 2]);
}

#[test]
fn async_generator_drops_its_locals_at_the_end_and_on_drop() {
    let log = new_log();
    let l = log.clone();
    let s = coroutine!(async move {
        let _a = Noisy::new("a", &l);
        yield 1;
    });
    assert_eq!(collect(s), [1]);
    assert_eq!(entries(&log), ["a"]);

    let log = new_log();
    let l = log.clone();
    let mut s = coroutine!(async move {
        let _b = Noisy::new("b", &l);
        yield 1;
        yield 2;
    });
    assert_eq!(block_on(s.next()), Some(1));
    drop(s);
    assert_eq!(entries(&log), ["b"]);
}

#[test]
fn async_block_form_captures_by_move_and_awaits() {
    let data = vec![1, 2, 3];
    let s = coroutine!(async {
        for x in data {
            let doubled = async { x * 2 }.await;
            yield doubled;
        }
    });
    assert_eq!(collect(s), [2, 4, 6]);
}

#[test]
fn async_generator_awaits_another_async_generator() {
    #[generator(yield = String)]
    async fn labelled() {
        let mut inner = ticks(3);
        while let Some(t) = inner.next().await {
            yield_!(format!("tick {t}"));
        }
    }
    assert_eq!(collect(labelled()), ["tick 0", "tick 1", "tick 2"]);
}

#[test]
fn async_generator_delegates_to_sync_generators_and_iterators() {
    #[generator(yield = u32)]
    fn sync_part() -> u32 {
        yield_!(10);
        yield_!(11);
        2
    }
    #[generator(yield = u32)]
    async fn mixed() {
        yield_from!(resumable::from_iter([1, 2]));
        PendingOnce(false).await;
        let n = yield_from!(sync_part());
        yield_!(n);
    }
    assert_eq!(collect(mixed()), [1, 2, 10, 11, 2]);
}

#[test]
fn async_generator_borrowing_arguments() {
    #[generator(yield = &'a str)]
    async fn split<'a>(s: &'a str) {
        for w in s.split(',') {
            yield_!(w);
        }
    }
    let text = String::from("a,b");
    assert_eq!(collect(split(&text)), ["a", "b"]);
}

#[test]
fn async_method_generator() {
    struct Feed(Vec<u8>);
    impl Feed {
        #[generator(yield = u8)]
        async fn items(&self) {
            for &x in &self.0 {
                yield_!(x);
            }
        }
    }
    let f = Feed(vec![4, 5]);
    assert_eq!(collect(f.items()), [4, 5]);
}

#[test]
fn pinned_async_fn_generator_on_the_stack() {
    #[generator(yield = u32, pinned)]
    async fn pinned_ticks(n: u32) {
        for i in 0..n {
            PendingOnce(false).await;
            yield_!(i);
        }
    }
    let mut s = pin!(pinned_ticks(2));
    let got = block_on(async {
        let mut got = vec![];
        while let Some(x) = s.as_mut().next().await {
            got.push(x);
        }
        got
    });
    assert_eq!(got, [0, 1]);
    assert!(s.is_terminated());
    assert_eq!(s.state(), State::Finished);
}

#[test]
fn pinned_async_block_form() {
    let mut s = pin!(coroutine!(pinned async {
        yield 'x';
        PendingOnce(false).await;
        yield 'y';
    }));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Ready(Some('x')));
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Pending);
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Ready(Some('y')));
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Ready(None));
    assert!(s.is_terminated());
}

#[test]
fn async_generator_state_and_location() {
    let mut s = coroutine!(async {
        yield line!();
    });
    assert_eq!(s.suspended_at(), None);
    let line = block_on(s.next()).unwrap();
    assert_eq!(s.state(), State::Suspended);
    assert_eq!(s.suspended_at().map(|at| at.line()), Some(line));
}
