//! Yields and delegations leaked half-way (`mem::forget`) by code the macros cannot see: the
//! generator never steps them again, and what they borrowed can be used again once the borrow
//! is over. Miri runs these with `-Zmiri-ignore-leaks`, since they leak on purpose.

mod common;

use common::{block_on, counting, entries, new_log, poll_once, Log};
use resumable::prelude::*;

/// Wraps an expression in an `async` block the rewrite cannot see.
macro_rules! hidden {
    ($e:expr) => {
        async { $e }
    };
}

/// A delegation to a borrowed subgenerator, polled once inside a box and leaked: the body then
/// resumes the subgenerator itself. Stepping the leaked delegation again (as a shortcut to the
/// subgenerator) would use a borrow the body has since taken back.
#[test]
fn a_leaked_delegation_is_never_stepped_again() {
    #[generator(yield = u64)]
    async fn leaky(log: Log) {
        let mut sub = counting(log);
        let mut fut = Box::pin(hidden!(yield_from!(&mut sub)));
        let _ = poll_once(fut.as_mut()).await;
        std::mem::forget(fut);
        yield_!(99);
        yield_!(sub.next().unwrap() + 1000);
        yield_!(sub.next().unwrap() + 1000);
    }
    let log = new_log();
    let mut s = leaky(log.clone());
    let mut got = Vec::new();
    while let Some(v) = block_on(s.next()) {
        got.push(v);
        if got.len() > 3 {
            break; // a generator that wrongly goes on cannot hang the test
        }
    }
    // The subgenerator's first value was replaced by the body's own yield; the body then
    // resumed the subgenerator itself.
    assert_eq!(got, [99, 1001, 1002]);
    drop(s);
    assert_eq!(entries(&log), ["counting"]);
}

/// The same with a body written by hand that claims the delegation is awaited directly (so it
/// may stand for the shortcut): it lies in a box outside the body's state, so it never does.
#[test]
fn a_leaked_direct_delegation_is_never_stepped_again() {
    use resumable::__private::{Co, SharedTag};
    let log = new_log();
    let sub_log = log.clone();
    let g = resumable::Gen::new(move |mut co: Co<u64, ()>, _| async move {
        let mut sub = counting(sub_log);
        let mut delegation = Box::pin(SharedTag.delegate(&mut co, &mut sub, Some(()), true));
        let _ = poll_once(delegation.as_mut()).await;
        std::mem::forget(delegation);
        co.yield_(99).await;
        let next = sub.next().unwrap();
        co.yield_(next + 1000).await;
        let next = sub.next().unwrap();
        co.yield_(next + 1000).await;
    });
    // At most one more than expected, so a generator that wrongly goes on cannot hang the test.
    assert_eq!(g.take(4).collect::<Vec<_>>(), [99, 1001, 1002]);
    assert_eq!(entries(&log), ["counting"]);
}

/// A subgenerator borrowed by a delegation whose generator is leaked stays suspended, at no
/// location of its own: where it suspended was written to the leaked generator's marks. (It
/// does not report where it was before the delegation began.)
#[test]
fn a_borrowed_subgenerator_of_a_leaked_delegator_has_no_stale_location() {
    #[generator(yield = u64)]
    fn over<B: resumable::Body<u64, ()>>(sub: &mut resumable::Gen<u64, (), B>) {
        yield_from!(sub);
    }
    let log = new_log();
    let mut sub = counting(log.clone());
    assert_eq!(sub.next(), Some(0));
    assert!(sub.suspended_at().is_some());
    let mut g = over(&mut sub);
    assert_eq!(g.next(), Some(1));
    assert_eq!(g.next(), Some(2));
    std::mem::forget(g);
    assert_eq!(sub.state(), State::Suspended);
    assert_eq!(sub.suspended_at(), None);
    // It can go on by itself.
    assert_eq!(sub.next(), Some(3));
    assert!(sub.suspended_at().is_some());
    drop(sub);
    assert_eq!(entries(&log), ["counting"]);
}
