//! Generators are `Send`/`Sync` exactly when what they hold is, and the default forms are
//! `Unpin`.
//!
//! Positive cases are static assertions where they compile. `#[generator]` fns are checked
//! with [`is_send!`]/[`is_sync!`], which turn the answer into a `bool` at compile time (autoref
//! specialization), so a wrong answer is a failing test rather than a build error.

use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread;

use resumable::prelude::*;

fn assert_send<T: Send>(_: &T) {}
fn assert_sync<T: Sync>(_: &T) {}
fn assert_unpin<T: Unpin>(_: &T) {}

struct Probe<T>(PhantomData<T>);

fn probe<T>(_: &T) -> Probe<T> {
    Probe(PhantomData)
}

trait SendYes {
    fn is_send(&self) -> bool {
        true
    }
}
impl<T: Send> SendYes for Probe<T> {}
trait SendNo {
    fn is_send(&self) -> bool {
        false
    }
}
impl<T> SendNo for &Probe<T> {}

trait SyncYes {
    fn is_sync(&self) -> bool {
        true
    }
}
impl<T: Sync> SyncYes for Probe<T> {}
trait SyncNo {
    fn is_sync(&self) -> bool {
        false
    }
}
impl<T> SyncNo for &Probe<T> {}

/// Whether the value's type is `Send`. Use on values made in another function (rustc cannot
/// answer speculatively for an async block written in the calling function).
macro_rules! is_send {
    ($v:expr) => {
        (&probe(&$v)).is_send()
    };
}

macro_rules! is_sync {
    ($v:expr) => {
        (&probe(&$v)).is_sync()
    };
}

// ---------------------------------------------------------------------------------------------
// #[generator] fns

#[generator(yield = String, resume = u32)]
fn holds_send_sync(names: Vec<String>) -> usize {
    let mut n = 0;
    for name in names {
        let k = yield_!(name.clone());
        n += k as usize;
    }
    n
}

#[derive(Debug)]
struct Oops;

#[generator(yield = u32, throw = Oops)]
fn throws() -> Result<(), Oops> {
    yield_!(1)?;
    Ok(())
}

#[generator(yield = u32)]
async fn ticks() {
    yield_!(1);
}

#[generator(yield = u32, pinned)]
fn pinned_one() {
    yield_!(1);
}

#[generator(yield = u32, pinned)]
async fn pinned_ticks() {
    yield_!(1);
}

#[generator(yield = String, resume = u32)]
fn delegator() -> usize {
    yield_from!(holds_send_sync(vec!["x".into()]))
}

#[test]
fn probe_answers_for_plain_types() {
    assert!(is_send!(vec![1u8]));
    assert!(is_sync!(vec![1u8]));
    assert!(!is_send!(Rc::new(1)));
    assert!(!is_sync!(std::cell::Cell::new(1)));
}

#[test]
fn fn_form_generators_holding_send_sync_data_are_send_and_sync() {
    let mut g = holds_send_sync(vec!["a".into()]);
    assert!(is_send!(g) && is_sync!(g), "Gen");
    g.start();
    assert!(is_send!(g) && is_sync!(g), "started Gen");
    assert!(is_send!(throws()) && is_sync!(throws()), "throw generator");
    assert!(is_send!(ticks()) && is_sync!(ticks()), "AsyncGen");
    assert!(
        is_send!(pinned_one()) && is_sync!(pinned_one()),
        "PinnedGen"
    );
    assert!(
        is_send!(pinned_ticks()) && is_sync!(pinned_ticks()),
        "PinnedAsyncGen"
    );
    assert!(
        is_send!(delegator()) && is_sync!(delegator()),
        "delegating Gen"
    );
}

#[test]
fn fn_form_generators_are_unpin() {
    assert_unpin(&holds_send_sync(vec![]));
    assert_unpin(&throws());
    assert_unpin(&ticks());
}

// ---------------------------------------------------------------------------------------------
// coroutine!

#[test]
fn coroutine_forms_holding_send_sync_data_are_send_and_sync() {
    let block = coroutine! {
        let v = vec![String::from("a")];
        for s in v {
            yield s;
        }
    };
    assert_send(&block);
    assert_sync(&block);

    let shared = Arc::new(Mutex::new(0));
    let closure = coroutine!(|x: u32| {
        let y = yield x;
        *shared.lock().unwrap() += y;
    });
    assert_send(&closure);
    assert_sync(&closure);

    let stream = coroutine!(async {
        std::future::ready(()).await;
        yield 1;
    });
    assert_send(&stream);
    assert_sync(&stream);

    let pinned = coroutine!(pinned {
        yield 1;
    });
    assert_send(&pinned);
    assert_sync(&pinned);

    let delegating = coroutine! {
        yield_from!(resumable::from_iter(vec![1u8]));
        yield_from!(coroutine! { yield 2u8; });
    };
    assert_send(&delegating);
    assert_sync(&delegating);
}

#[test]
fn coroutine_forms_are_unpin() {
    assert_unpin(&coroutine! { yield 1; });
    assert_unpin(&coroutine!(|x: u8| {
        yield x;
    }));
    assert_unpin(&coroutine!(async {
        yield 1;
    }));
}

fn rc_held_across_yield() -> impl Generator<Yield = u32, Return = ()> {
    coroutine! {
        let rc = Rc::new(1);
        yield *rc;
        drop(rc);
    }
}

fn rc_dropped_before_yield() -> impl Generator<Yield = u32, Return = ()> {
    coroutine! {
        let n = {
            let rc = Rc::new(1);
            *rc
        };
        yield n;
    }
}

#[test]
fn only_values_held_across_a_yield_decide_send() {
    assert!(!is_send!(rc_held_across_yield()));
    assert!(!is_sync!(rc_held_across_yield()));
    assert!(is_send!(rc_dropped_before_yield()));
    assert!(is_sync!(rc_dropped_before_yield()));
}

// ---------------------------------------------------------------------------------------------
// Running on other threads

#[test]
fn generator_resumed_on_one_thread_finishes_on_another() {
    let mut g = coroutine!(|first: u32| {
        let second = yield first;
        let third = yield second;
        first + second + third
    });
    assert_eq!(g.send(1), GeneratorState::Yielded(1));
    let (mut g, second) = thread::spawn(move || {
        let second = g.send(2);
        (g, second)
    })
    .join()
    .unwrap();
    assert_eq!(second, GeneratorState::Yielded(2));
    assert_eq!(g.send(3), GeneratorState::Complete(6));
}

#[test]
fn generator_can_be_inspected_from_another_thread_through_a_shared_reference() {
    let mut g = coroutine! {
        yield 1;
    };
    g.send(());
    let (state, line) = thread::scope(|s| {
        s.spawn(|| (g.state(), g.suspended_at().map(|at| at.line())))
            .join()
            .unwrap()
    });
    assert_eq!(state, State::Suspended);
    assert!(line.is_some());
}

#[test]
fn async_generator_moves_across_threads() {
    let mut s = coroutine!(async {
        yield 1;
        yield 2;
    });
    assert_eq!(common_next(&mut s), Some(1));
    let (second, s) = thread::spawn(move || (common_next(&mut s), s))
        .join()
        .unwrap();
    assert_eq!(second, Some(2));
    assert_eq!(s.state(), State::Suspended);
}

fn common_next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::Pin::new(s).poll_next(&mut cx) {
        std::task::Poll::Ready(item) => item,
        std::task::Poll::Pending => panic!("pending"),
    }
}
