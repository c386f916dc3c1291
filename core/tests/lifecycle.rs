//! Every path through the core crate's `unsafe` code, small enough to run under Miri:
//! pinned and boxed generators, first resume, yields, delegation through the shared exchange
//! and through the re-yield loop, async generators, close, drop mid-delegation and poisoning,
//! and the round-robin scheduler moving a generator that has not started out of its own box.

use core::future::Future;
use core::pin::{pin, Pin};
use core::task::{Context, Poll, Waker};
use std::cell::RefCell;
use std::rc::Rc;

use resumable::prelude::*;

type Log = Rc<RefCell<Vec<&'static str>>>;

struct Noisy(&'static str, Log);

impl Drop for Noisy {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

#[generator(yield = u32, resume = u32)]
fn echo(log: Log) -> u32 {
    let _n = Noisy("echo", log);
    let mut last = yield_!(0);
    while last != 0 {
        last = yield_!(last * 2);
    }
    7
}

#[generator(yield = u32, resume = u32)]
fn outer(log: Log) -> u32 {
    let _n = Noisy("outer", log.clone());
    let a = yield_from!(echo(log.clone()));
    let mut sub = echo(log);
    let b = yield_from!(&mut sub);
    a + b
}

#[test]
fn boxed_send_and_return() {
    let log = Log::default();
    let mut g = echo(log.clone());
    // A value sent before the start would be lost: refused.
    assert_eq!(g.try_send(99), Err(ResumeError::NotStarted));
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(4), GeneratorState::Yielded(8));
    assert_eq!(g.send(0), GeneratorState::Complete(7));
    assert_eq!(*log.borrow(), ["echo"]);
    assert_eq!(g.try_send(1), Err(ResumeError::Finished));
}

#[test]
fn pinned_on_the_stack() {
    let log = Log::default();
    let body = |mut co: resumable::__private::Co<u32, ()>, _: Option<()>| async move {
        let v = [1, 2, 3];
        for x in &v {
            co.yield_(*x).await;
        }
        v.len()
    };
    let mut g = pin!(resumable::PinnedGen::new(body));
    let mut got = Vec::new();
    while let GeneratorState::Yielded(x) = g.as_mut().resume(()) {
        got.push(x);
    }
    assert_eq!(got, [1, 2, 3]);
    drop(log);
}

#[test]
fn shared_delegation_two_ways_and_drop_in_the_middle() {
    let log = Log::default();
    let mut g = outer(log.clone());
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(3), GeneratorState::Yielded(6));
    assert!(g.suspended_at().is_some());
    assert_eq!(g.send(0), GeneratorState::Yielded(0));
    assert_eq!(*log.borrow(), ["echo"]);
    assert_eq!(g.send(5), GeneratorState::Yielded(10));
    drop(g);
    assert_eq!(*log.borrow(), ["echo", "echo", "outer"]);
}

#[test]
fn loop_delegation_and_from_iter() {
    let mut g = coroutine! {
        let n = yield_from!(Box::pin(coroutine! { yield 1; yield 2; 40 }));
        yield_from!(resumable::from_iter([3, 4]));
        n + 2
    };
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(g.take_return(), Some(42));
}

#[test]
fn close_and_close_with() {
    let log = Log::default();
    let mut g = echo(log.clone());
    g.start();
    g.close();
    assert_eq!(*log.borrow(), ["echo"]);
    assert_eq!(g.state(), State::Finished);

    let mut t = coroutine!(|r: Result<(), &'static str>| {
        let mut r = r;
        loop {
            if let Err(e) = r {
                return e.len();
            }
            r = yield ();
        }
    });
    t.send(Ok(()));
    assert_eq!(t.close_with("stop").ok(), Some(4));
}

#[test]
fn panics_poison() {
    let mut g = coroutine! {
        let _keep = String::from("dropped after the panic");
        yield 1;
        panic!("boom");
    };
    g.send(());
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.send(())));
    assert!(caught.is_err());
    assert_eq!(g.state(), State::Poisoned);
    assert_eq!(g.try_send(()), Err(ResumeError::Poisoned));
}

#[test]
fn async_generators_poll() {
    struct YieldOnce(bool);
    impl core::future::Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
    let mut s = coroutine!(async {
        for i in 0..3u8 {
            YieldOnce(false).await;
            yield i;
        }
    });
    let mut cx = Context::from_waker(Waker::noop());
    let mut got = Vec::new();
    loop {
        match Pin::new(&mut s).poll_next(&mut cx) {
            Poll::Ready(Some(v)) => got.push(v),
            Poll::Ready(None) => break,
            Poll::Pending => {}
        }
    }
    assert_eq!(got, [0, 1, 2]);

    let mut p = pin!(coroutine!(pinned async { yield 5u8; }));
    assert_eq!(p.as_mut().poll_next(&mut cx), Poll::Ready(Some(5)));
    assert_eq!(p.as_mut().poll_next(&mut cx), Poll::Ready(None));
}

/// Counts the wakes it receives.
#[derive(Default)]
struct Count(std::sync::atomic::AtomicUsize);

impl std::task::Wake for Count {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn an_async_generator_body_reaches_the_waker_it_was_polled_with() {
    // A future that keeps a clone of the waker, as a real one does, and is woken later.
    struct Parked(Rc<RefCell<Option<Waker>>>);
    impl core::future::Future for Parked {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let mut slot = self.0.borrow_mut();
            if slot.is_some() {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            *slot = Some(cx.waker().clone());
            Poll::Pending
        }
    }
    let count = std::sync::Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let slot = Rc::new(RefCell::new(None));
    let parked = Parked(slot.clone());
    let mut s = coroutine!(async {
        yield 1u8;
        parked.await;
        yield 2;
    });
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(Some(1)));
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Pending);
    // The wake through the body's context, and the clone it kept, both reach our waker, also
    // after the poll that made the clone has returned.
    let kept = slot.borrow_mut().take().expect("the body kept a waker");
    kept.wake();
    assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 2);
    *slot.borrow_mut() = Some(Waker::noop().clone());
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(Some(2)));
    assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(None));
}

#[test]
fn a_yield_polled_by_anything_but_its_generator_panics() {
    // Only reachable through the hidden constructors: the macros never hand a yield out.
    let body = |mut co: resumable::__private::Co<u32, ()>, _: Option<()>| async move {
        let mut y = pin!(co.yield_(1));
        let mut foreign = Context::from_waker(Waker::noop());
        let _ = y.as_mut().poll(&mut foreign);
    };
    let mut g = pin!(resumable::PinnedGen::new(body));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.as_mut().resume(())));
    let message = caught.expect_err("the yield must refuse the foreign context");
    let message = message.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("outside of its generator"), "{message}");
    assert_eq!(g.state(), State::Poisoned);
}

#[derive(Debug, PartialEq)]
struct Stop;

#[generator(yield = u32, resume = u32, throw = Stop)]
fn leaf(log: Log, tag: u32) -> Result<u32, Stop> {
    let _n = Noisy("leaf", log);
    let mut total = 0;
    loop {
        match yield_!(tag + total) {
            Ok(0) => return Ok(total),
            Ok(v) => total += v,
            Err(Stop) => return Ok(total + 1000),
        }
    }
}

#[generator(yield = u32, resume = u32, throw = Stop)]
fn middle(log: Log) -> Result<u32, Stop> {
    let _n = Noisy("middle", log.clone());
    let a = yield_from!(leaf(log.clone(), 100))?;
    let b = yield_from!(leaf(log.clone(), 200))?;
    Ok(a + b)
}

#[generator(yield = u32, resume = u32, throw = Stop)]
fn top(log: Log) -> Result<u32, Stop> {
    let _n = Noisy("top", log.clone());
    let m = yield_from!(middle(log.clone()))?;
    let x = yield_!(m)?;
    Ok(x)
}

#[generator(yield = u32, resume = u32, throw = Stop)]
fn yields_then_delegates(log: Log) -> Result<u32, Stop> {
    let _n = Noisy("yields_then_delegates", log.clone());
    let first = yield_!(1)?;
    let a = yield_from!(leaf(log, 300))?;
    let last = yield_!(first + a)?;
    Ok(last)
}

#[generator(yield = u32, resume = u32, throw = Stop)]
fn over(log: Log) -> Result<u32, Stop> {
    yield_from!(yields_then_delegates(log))
}

#[test]
fn a_subgenerator_stepped_through_the_shortcut_delegates_deeper() {
    let log = Log::default();
    let mut g = over(log.clone());
    // Suspended in the subgenerator's own yield: the shortcut is the outer delegation.
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    // Stepped through it, the subgenerator enters a deeper delegation, which takes its place.
    assert_eq!(g.send(Ok(10)), GeneratorState::Yielded(300));
    assert_eq!(g.send(Ok(4)), GeneratorState::Yielded(304));
    assert_eq!(g.send(Ok(0)), GeneratorState::Yielded(14));
    assert_eq!(*log.borrow(), ["leaf"]);
    assert_eq!(g.throw(Stop), GeneratorState::Complete(Err(Stop)));
    assert_eq!(*log.borrow(), ["leaf", "yields_then_delegates"]);
}

#[test]
fn deep_delegation_through_the_shortcut() {
    let log = Log::default();
    let mut g = top(log.clone());
    assert_eq!(g.start(), GeneratorState::Yielded(100));
    assert_eq!(g.send(Ok(5)), GeneratorState::Yielded(105));
    assert_eq!(g.send(Ok(1)), GeneratorState::Yielded(106));
    // The first leaf returns 6; the middle starts a second leaf.
    assert_eq!(g.send(Ok(0)), GeneratorState::Yielded(200));
    assert_eq!(*log.borrow(), ["leaf"]);
    assert_eq!(g.send(Ok(7)), GeneratorState::Yielded(207));
    // A throw reaches the second leaf, which returns 1007: the middle returns 1013.
    assert_eq!(g.throw(Stop), GeneratorState::Yielded(1013));
    assert_eq!(*log.borrow(), ["leaf", "leaf", "middle"]);
    assert_eq!(g.send(Ok(9)), GeneratorState::Complete(Ok(9)));
    assert_eq!(*log.borrow(), ["leaf", "leaf", "middle", "top"]);
}

#[test]
fn closing_and_panicking_mid_delegation() {
    let log = Log::default();
    let mut g = top(log.clone());
    g.start();
    g.send(Ok(3));
    g.close();
    assert_eq!(*log.borrow(), ["leaf", "middle", "top"]);

    let mut p = coroutine! {
        let inner = coroutine! { yield 1; yield 2; panic!("deep") };
        let _keep = String::from("outer local");
        yield_from!(coroutine! { yield_from!(inner) });
    };
    assert_eq!(p.send(()), GeneratorState::Yielded(1));
    assert_eq!(p.send(()), GeneratorState::Yielded(2));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.send(())));
    assert!(caught.is_err());
    assert_eq!(p.state(), State::Poisoned);
}

#[test]
fn async_generator_delegating() {
    let mut s = coroutine!(async {
        yield 0u8;
        yield_from!(coroutine! { yield 1u8; yield 2u8; });
        yield 3;
    });
    let mut cx = Context::from_waker(Waker::noop());
    let mut got = Vec::new();
    while let Poll::Ready(Some(v)) = Pin::new(&mut s).poll_next(&mut cx) {
        got.push(v);
    }
    assert_eq!(got, [0, 1, 2, 3]);
}

#[generator(yield = u32)]
fn counted(from: u32, log: Log) -> u32 {
    let _n = Noisy("counted", log);
    let words = [from, from + 1];
    for w in &words {
        yield_!(*w);
    }
    words.len() as u32
}

#[test]
fn round_robin_moves_a_generator_that_has_not_started_out_of_its_box() {
    use resumable::sched::RoundRobin;

    let log = Log::default();
    let mut sched = RoundRobin::new();
    // Not started: moved into the scheduler's box. Started: kept in its own box, where its
    // body (which borrows its own locals) already is.
    let fresh = sched.spawn("fresh", counted(10, log.clone()));
    let mut started = counted(20, log.clone());
    assert_eq!(started.send(()), GeneratorState::Yielded(20));
    let started = sched.spawn("started", started);
    // A delegating generator: its marks and the shortcut into its subgenerator after the move.
    let inner_log = log.clone();
    let delegating = sched.spawn(
        "delegating",
        coroutine! {
            let n = yield_from!(counted(30, inner_log));
            yield n;
            n + 1
        },
    );

    let mut seen = Vec::new();
    sched.run(|_, name, value| seen.push(format!("{name} {value}")));
    assert_eq!(
        seen,
        [
            "fresh 10",
            "started 21",
            "delegating 30",
            "fresh 11",
            "delegating 31",
            "delegating 2"
        ]
    );
    assert_eq!(sched.take_return(fresh), Some(2));
    assert_eq!(sched.take_return(started), Some(2));
    assert_eq!(sched.take_return(delegating), Some(3));
    assert_eq!(*log.borrow(), ["counted", "counted", "counted"]);
}
