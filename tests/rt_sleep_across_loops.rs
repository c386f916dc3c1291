//! A deadline is an instant: an `rt::Sleep` set in one loop and awaited in another ends when it
//! was due to, not its duration after the new loop's clock started. Real clocks share real
//! time (the same instant); a virtual clock's sleep keeps the time that clock had left.
//!
//! Nothing here is timed against an upper bound: the real-clock tests check where a deadline
//! lands on the new clock, which only the order of events decides (real time never runs
//! backwards).
// Carrying an unfinished sleep out of a loop's `block_on` is the point here.
#![allow(clippy::async_yields_async)]

mod common;

use std::pin::pin;
use std::time::Duration;

use common::poll_once;
use resumable::kernel::Kernel;
use resumable::rt::{self, Elapsed, Sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn virtual_kernel() -> Kernel {
    Kernel::new().with_virtual_clock()
}

/// A 100 ms sleep made in `kernel`'s loop, interrupted at 30 ms on its clock.
fn interrupted_at_30_ms(kernel: &mut Kernel) -> Sleep {
    kernel.block_on(async {
        let mut nap = rt::sleep(ms(100));
        assert_eq!(rt::timeout(ms(30), &mut nap).await, Err(Elapsed));
        assert!(rt::now() >= ms(30));
        nap
    })
}

/// Polls `nap` once in the running loop (setting its timer there), and returns its deadline
/// then, on that loop's clock, with the clock's reading just after.
async fn first_poll(nap: &mut Sleep) -> (Option<Duration>, Duration) {
    assert!(poll_once(pin!(&mut *nap)).await.is_pending());
    (nap.deadline(), rt::now())
}

#[test]
fn a_sleep_carried_between_virtual_loops_keeps_the_time_its_clock_had_left() {
    let mut first = virtual_kernel();
    let mut nap = interrupted_at_30_ms(&mut first);
    assert_eq!(nap.deadline(), Some(ms(100)), "on the first loop's clock");
    let mut second = virtual_kernel();
    second.block_on(async {
        rt::sleep(ms(5)).await;
        let (deadline, now) = first_poll(&mut nap).await;
        assert_eq!((deadline, now), (Some(ms(75)), ms(5)));
        (&mut nap).await;
        assert_eq!(
            rt::now(),
            ms(75),
            "70 ms after its first poll here, not 100"
        );
    });
}

#[test]
fn a_virtual_sleep_has_less_left_the_further_its_own_clock_went_on() {
    let mut first = virtual_kernel();
    let nap = interrupted_at_30_ms(&mut first);
    let until = first.block_on(async {
        let until = rt::sleep_until(ms(90));
        rt::sleep(ms(50)).await; // the first clock reads 80 ms: 20 ms left for `nap`
        until
    });
    let mut second = virtual_kernel();
    second.block_on(async {
        nap.await;
        assert_eq!(rt::now(), ms(20));
        until.await; // made on the first clock, due at its 90 ms: 10 ms left there
        assert_eq!(rt::now(), ms(30));
    });
    // A clock past the deadline leaves nothing: ready at once.
    let late = first.block_on(async { rt::sleep(ms(10)) });
    first.block_on(rt::sleep(ms(40))); // 120 ms
    let mut third = virtual_kernel();
    let ready = third.block_on(async move { poll_once(pin!(late)).await.is_ready() });
    assert!(ready);
    assert_eq!(third.now(), Duration::ZERO);
}

#[test]
fn a_sleep_carried_between_real_loops_ends_at_the_same_instant() {
    let mut nap = rt::block_on(async {
        let mut nap = rt::sleep(ms(100));
        assert_eq!(rt::timeout(ms(30), &mut nap).await, Err(Elapsed));
        nap
    });
    // This loop's clock starts at least 30 ms after the sleep was made: at most 70 ms are left
    // (the old behaviour read 100 ms on the new clock).
    rt::block_on(async {
        let (deadline, _) = first_poll(&mut nap).await;
        let deadline = deadline.unwrap();
        assert!(deadline <= ms(70), "{deadline:?}");
        (&mut nap).await;
        assert!(rt::now() >= deadline);
    });
}

#[test]
fn a_real_sleep_whose_instant_has_passed_is_ready_at_once_in_the_next_loop() {
    let nap = rt::block_on(async {
        let nap = rt::sleep(ms(10));
        rt::sleep(ms(20)).await;
        nap
    });
    let ready = rt::block_on(async move { poll_once(pin!(nap)).await.is_ready() });
    assert!(ready);
    // The same onto a virtual clock: no real time was left.
    let nap = rt::block_on(async {
        let nap = rt::sleep(ms(10));
        rt::sleep(ms(20)).await;
        nap
    });
    let mut kernel = virtual_kernel();
    let ready = kernel.block_on(async move { poll_once(pin!(nap)).await.is_ready() });
    assert!(ready);
}

#[test]
fn a_sleep_carried_from_a_real_clock_onto_a_virtual_one_keeps_the_real_time_it_had_left() {
    let mut nap = rt::block_on(async {
        let mut nap = rt::sleep(ms(100));
        assert_eq!(rt::timeout(ms(30), &mut nap).await, Err(Elapsed));
        nap
    });
    let mut kernel = virtual_kernel();
    kernel.block_on(async {
        rt::sleep(ms(1000)).await;
        let (deadline, now) = first_poll(&mut nap).await;
        assert_eq!(now, ms(1000));
        let deadline = deadline.unwrap();
        assert!(deadline <= ms(1070), "{deadline:?}");
        (&mut nap).await;
        assert_eq!(rt::now(), deadline, "the virtual clock jumped to it");
    });
}

#[test]
fn a_sleep_carried_from_a_virtual_clock_onto_a_real_one_keeps_the_time_it_had_left() {
    let mut first = virtual_kernel();
    first.block_on(rt::sleep(ms(1000))); // far ahead of the real clock to come
    let mut nap = interrupted_at_30_ms(&mut first);
    rt::block_on(async {
        let before = rt::now();
        let (deadline, after) = first_poll(&mut nap).await;
        let deadline = deadline.unwrap();
        // 70 ms from the first poll, on this clock.
        assert!(
            deadline >= before + ms(70) && deadline <= after + ms(70),
            "{deadline:?}"
        );
        drop(nap); // its timer goes with it: nothing to wait for
    });
}

#[test]
fn a_timeout_carried_into_another_loop_keeps_its_deadline() {
    let mut first = virtual_kernel();
    let slow = first.block_on(async {
        let mut slow = rt::timeout(ms(100), std::future::pending::<()>());
        assert!(poll_once(pin!(&mut slow)).await.is_pending());
        rt::sleep(ms(60)).await;
        slow
    });
    let mut second = virtual_kernel();
    assert_eq!(second.block_on(slow), Err(Elapsed));
    assert_eq!(second.now(), ms(40));
}

/// A `Sleep` carries its clock (a virtual one's reading is shared), and stays `Send` and
/// `Sync` all the same.
const _: () = {
    const fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    send_sync_unpin::<Sleep>();
    send_sync_unpin::<rt::Timeout<std::future::Ready<()>>>();
};
