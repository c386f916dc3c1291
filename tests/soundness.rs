//! Soundness whatever surrounds a yield: code the macros cannot see into (another macro's
//! arguments: `select!`, `join!`, a `macro_rules!` of the user's) may poll a yield or a
//! `yield_from!` inside a future of its own, drop it half-way, leak it, move it to another
//! executor or carry it into another generator's body. None of that may be undefined behaviour:
//! it works, or it panics with a message that says what happened.
//!
//! The macros below hide an `async` block from the rewrite, as `select!` and `join!` do: the
//! rewrite sees `yield_!`/`yield_from!` in their arguments and rewrites it, then the macro wraps
//! it in a future the rewrite never saw. Miri runs every test here (stacked and tree borrows).

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll};

use common::{block_on, catch, counting, entries, new_log, poll_once, Log, Noisy};
use resumable::prelude::*;

/// Wraps an expression in an `async` block the rewrite cannot see.
macro_rules! hidden {
    ($e:expr) => {
        async { $e }
    };
}

/// Wraps an expression in an `async move` block the rewrite cannot see: it takes the generator's
/// yield handle with it, so the future can leave the body.
macro_rules! hidden_move {
    ($e:expr) => {
        async move { $e }
    };
}

/// What [`race`] finished with.
enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls `a`, then `b`, until one is ready, and drops the other: `select!` with `biased;`.
async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}

/// Ready on its `n`th poll; wakes itself on each poll before that.
struct ReadyAfter(u32);

impl Future for ReadyAfter {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0 = self.0.saturating_sub(1);
        if self.0 == 0 {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Issue 12, item 1: a `yield_from!` polled once (so it stood for the generator's shortcut to its
/// subgenerator) and then dropped while the body goes on. The next resumes must not go through
/// it: they run the body, which yields 99 and 100.
#[test]
fn a_delegation_dropped_half_way_leaves_no_shortcut_behind() {
    #[generator(yield = u64)]
    async fn dangling_select(log: Log) {
        let sub = counting(log);
        match race(hidden!(yield_from!(sub)), std::future::ready(())).await {
            Either::Left(()) => unreachable!("the subgenerator never returns"),
            Either::Right(()) => {}
        }
        yield_!(99);
        yield_!(100);
    }
    let log = new_log();
    let s = dangling_select(log.clone());
    let got = block_on(collect(s));
    // The subgenerator's first value was handed out, then its delegation was cancelled: the
    // body's own yield replaced it. The subgenerator was closed with its delegation.
    assert_eq!(got, [99, 100]);
    assert_eq!(entries(&log), ["counting"]);
}

/// The same with a plain (not async) generator and a `macro_rules!` of the user's that polls its
/// argument once, as a `select!` arm is polled.
#[test]
fn a_delegation_polled_once_by_a_users_macro_and_dropped_leaves_no_shortcut() {
    macro_rules! poll_and_drop {
        ($e:expr) => {{
            let fut = pin!(async { $e });
            let _ = poll_once(fut).await;
        }};
    }
    #[generator(yield = u64)]
    async fn body(log: Log) {
        let sub = counting(log);
        poll_and_drop!(yield_from!(sub));
        yield_!(99);
        yield_!(100);
    }
    let log = new_log();
    assert_eq!(block_on(collect(body(log.clone()))), [99, 100]);
    assert_eq!(entries(&log), ["counting"]);
}

/// The same with a pinned subgenerator given by value, which the delegation keeps in place: a
/// user's macro that polls it once and drops it closes it there, and a `select!` arm beside a
/// later future is polled on every resume.
#[test]
fn a_pinned_subgenerator_by_value_inside_users_macros_is_closed_in_place() {
    #[generator(yield = u64, pinned)]
    fn pinned_counting(log: Log) {
        let _guard = Noisy::new("pinned_counting", &log);
        let mut n = 0;
        loop {
            yield_!(n);
            n += 1;
        }
    }
    macro_rules! poll_and_drop {
        ($e:expr) => {{
            let fut = pin!(async { $e });
            let _ = poll_once(fut).await;
        }};
    }
    #[generator(yield = u64)]
    async fn body(log: Log) {
        poll_and_drop!(yield_from!(pinned_counting(log)));
        yield_!(99);
    }
    let log = new_log();
    assert_eq!(block_on(collect(body(log.clone()))), [99]);
    assert_eq!(entries(&log), ["pinned_counting"]);

    #[generator(yield = u64)]
    async fn until_ready(log: Log) {
        match race(hidden!(yield_from!(pinned_counting(log))), ReadyAfter(4)).await {
            Either::Left(()) => unreachable!(),
            Either::Right(()) => yield_!(1000),
        }
    }
    let log = new_log();
    assert_eq!(block_on(collect(until_ready(log.clone()))), [0, 1, 2, 1000]);
    assert_eq!(entries(&log), ["pinned_counting"]);
}

/// A delegation in a `select!` arm, beside a future that becomes ready later: every resume must
/// poll both (the shortcut past the `select!` would skip the other arm, which then never fires).
#[test]
fn a_delegation_beside_another_future_does_not_hide_it() {
    #[generator(yield = u64)]
    async fn until_ready(log: Log) {
        let sub = counting(log);
        match race(hidden!(yield_from!(sub)), ReadyAfter(4)).await {
            Either::Left(()) => unreachable!(),
            Either::Right(()) => yield_!(1000),
        }
    }
    let log = new_log();
    assert_eq!(block_on(collect(until_ready(log.clone()))), [0, 1, 2, 1000]);
    assert_eq!(entries(&log), ["counting"]);
}

/// The same two cases through `tokio::select!`, as issue 12 found them.
#[test]
fn tokio_select_around_a_hidden_delegation() {
    #[generator(yield = u64)]
    async fn dangling(log: Log) {
        let sub = counting(log);
        tokio::select! {
            biased;
            _ = hidden!(yield_from!(sub)) => unreachable!(),
            _ = std::future::ready(()) => {}
        }
        yield_!(99);
        yield_!(100);
    }
    #[generator(yield = u64)]
    async fn until_ready(log: Log) {
        let sub = counting(log);
        tokio::select! {
            biased;
            _ = hidden!(yield_from!(sub)) => unreachable!(),
            _ = ReadyAfter(3) => yield_!(1000),
        }
    }
    let log = new_log();
    assert_eq!(block_on(collect(dangling(log.clone()))), [99, 100]);
    assert_eq!(block_on(collect(until_ready(log.clone()))), [0, 1, 1000]);
    assert_eq!(entries(&log), ["counting", "counting"]);
}

/// Issue 12, item 2: a yield carried out of its body in an `async move` block (a macro the
/// rewrite cannot see made it), then awaited inside an async generator of another yield type.
/// Writing the `u64` into the other generator's `String` slot would be undefined behaviour; it
/// panics instead, and the generator that polled it is poisoned.
#[test]
fn a_yield_polled_inside_another_generator_panics() {
    type Escaped = Pin<Box<dyn Future<Output = ()>>>;
    #[generator(yield = u64)]
    fn smuggler() -> Escaped {
        Box::pin(hidden_move!(yield_!(0xdead_beef)))
    }
    #[generator(yield = String)]
    async fn victim(escaped: Escaped) {
        escaped.await;
        yield_!(String::from("never"));
    }
    let mut s = smuggler();
    let escaped = s.send(()).complete().expect("returns at once");
    // Its own generator is gone by then: no generator will ever poll its body again.
    drop(s);
    let mut v = pin!(victim(escaped));
    let err = catch(|| block_on(v.as_mut().next())).unwrap_err();
    assert!(
        err.contains("polled by another generator"),
        "unexpected message: {err}"
    );
    assert_eq!(v.state(), State::Poisoned);
}

/// The same through the types that match: a yield of one generator is not another's, even with
/// the same Yield type (it could carry a shorter lifetime than the other's).
#[test]
fn a_yield_polled_inside_a_generator_of_the_same_type_panics() {
    let mut first = coroutine! {
        let escaped: Pin<Box<dyn Future<Output = ()>>> = Box::pin(hidden_move!(yield_!(1u64)));
        escaped
    };
    let escaped = first.send(()).complete().expect("returns at once");
    let mut second = coroutine!(async move {
        escaped.await;
        yield 2u64;
    });
    let err = catch(|| block_on(second.next())).unwrap_err();
    assert!(err.contains("polled by another generator"), "{err}");
    assert_eq!(second.state(), State::Poisoned);
}

/// A yield that left its body and is polled by an executor, or after its generator is gone.
#[test]
fn a_yield_polled_outside_any_generator_panics() {
    #[generator(yield = u64)]
    fn smuggler() -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(hidden_move!(yield_!(7)))
    }
    let mut s = smuggler();
    let escaped = s.send(()).complete().expect("returns at once");
    drop(s);
    let err = catch(|| block_on(escaped)).unwrap_err();
    assert!(err.contains("polled outside of its generator"), "{err}");
}

/// A yield that left its body, spawned as a task of the event loop: the task panics with the
/// message, the loop contains it like any task's panic, and the rest goes on.
#[test]
#[cfg_attr(miri, ignore = "the event loop waits in epoll")]
fn a_yield_spawned_on_the_event_loop_panics_in_its_task() {
    use resumable::rt;
    #[generator(yield = u64)]
    fn smuggler() -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(hidden_move!(yield_!(7)))
    }
    let mut s = smuggler();
    let escaped = s.send(()).complete().expect("returns at once");
    let (joined, after) = rt::block_on(async move {
        let joined = rt::spawn(escaped).await;
        (joined, rt::spawn(async { 42 }).await)
    });
    match joined {
        Err(rt::JoinError::Panicked(message)) => {
            assert!(
                message.contains("polled outside of its generator"),
                "{message}"
            )
        }
        other => panic!("expected the task to panic, got {other:?}"),
    }
    assert_eq!(after.unwrap(), 42);
}

/// A delegation carried into another generator's body is refused the same way.
#[test]
fn a_delegation_polled_inside_another_generator_panics() {
    type Escaped = Pin<Box<dyn Future<Output = ()>>>;
    #[generator(yield = u64)]
    fn smuggler(log: Log) -> Escaped {
        Box::pin(hidden_move!(yield_from!(counting(log))))
    }
    #[generator(yield = u64)]
    async fn victim(escaped: Escaped) {
        escaped.await;
    }
    let log = new_log();
    let mut s = smuggler(log.clone());
    let escaped = s.send(()).complete().expect("returns at once");
    let mut v = victim(escaped);
    let err = catch(|| block_on(v.next())).unwrap_err();
    assert!(err.contains("polled by another generator"), "{err}");
    assert_eq!(v.state(), State::Poisoned);
    // The subgenerator never ran: the delegation refused the frame before stepping it.
    drop(v);
    assert!(entries(&log).is_empty());
}

/// A yield polled twice in one resume by a macro that keeps polling it: the second poll has no
/// argument to give; the resume panics once the body's poll returns.
#[test]
fn a_yield_polled_twice_in_one_resume_panics() {
    macro_rules! poll_twice {
        ($e:expr) => {{
            let mut fut = pin!(async { $e });
            let _ = poll_once(fut.as_mut()).await;
            let _ = poll_once(fut.as_mut()).await;
        }};
    }
    let log = new_log();
    let guard_log = log.clone();
    let mut g = coroutine! {
        let _guard = Noisy::new("body", &guard_log);
        poll_twice!(yield_!(1u8));
        yield 2;
    };
    let err = catch(|| g.send(())).unwrap_err();
    assert!(
        err.contains("polled again without a resume argument"),
        "{err}"
    );
    assert_eq!(g.state(), State::Poisoned);
    // Poisoned where it suspended: the body's live locals are kept, not run again...
    assert!(entries(&log).is_empty());
    let err = catch(|| g.send(())).unwrap_err();
    assert!(err.contains("after its body panicked"), "{err}");
    // ...until the generator is closed, which drops them and leaves it poisoned.
    g.close();
    assert_eq!(entries(&log), ["body"]);
    assert_eq!(g.state(), State::Poisoned);
    assert_eq!(g.try_send(()), Err(ResumeError::Poisoned));
}

/// A yield polled once by a macro and dropped: its value may still reach the caller (if the
/// body suspends before another yield replaces it), and nothing is undefined.
#[test]
fn a_yield_dropped_half_way_is_replaced_by_the_next() {
    macro_rules! poll_and_drop {
        ($e:expr) => {{
            let fut = pin!(async { $e });
            let _ = poll_once(fut).await;
        }};
    }
    let dropped = Rc::new(Cell::new(0));
    struct Counted(Rc<Cell<u32>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let d = Rc::clone(&dropped);
    let mut g = coroutine! {
        poll_and_drop!(yield_!(Counted(Rc::clone(&d))));
        yield Counted(Rc::clone(&d));
    };
    let GeneratorState::Yielded(second) = g.send(()) else {
        panic!("yields")
    };
    // The first value was dropped when the second replaced it.
    assert_eq!(dropped.get(), 1);
    drop(second);
    assert!(g.send(()).is_complete());
    assert_eq!(dropped.get(), 2);
}

/// Drains an async generator.
async fn collect<S: Stream + Unpin>(mut s: S) -> Vec<S::Item> {
    let mut out = Vec::new();
    while let Some(v) = std::future::poll_fn(|cx| Pin::new(&mut s).poll_next(cx)).await {
        out.push(v);
    }
    out
}

/// The runtime does not rely on the macros' view of the code: a body written by hand with the
/// expansion's own pieces, which claims a delegation is awaited directly (so it may stand for
/// the shortcut) and then drops it half-way, still leaves no shortcut behind.
#[test]
fn a_direct_delegation_dropped_half_way_unlinks_itself() {
    use resumable::__private::{Co, SharedTag};
    let log = new_log();
    let sub_log = log.clone();
    let g = resumable::Gen::new(move |mut co: Co<u64, ()>, _| async move {
        // Started, so that it has something to close: a delegation that may be stepped
        // records itself before it polls its subgenerator, for the resume to step it.
        let mut sub = counting(sub_log);
        assert_eq!(sub.start(), GeneratorState::Yielded(0));
        let delegation = SharedTag.delegate(&mut co, sub, Some(()), true);
        if let Either::Left(()) = race(delegation, std::future::ready(())).await {
            unreachable!()
        }
        co.yield_(99).await;
        co.yield_(100).await;
    });
    assert_eq!(g.collect::<Vec<_>>(), [99, 100]);
    assert_eq!(entries(&log), ["counting"]);
}
