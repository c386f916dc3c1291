//! Taking results from outside the loop: `Kernel::take_returns` (every finished task once, in
//! the order they finished, like `RoundRobin::take_returns`) and `Kernel::take_return` on a
//! task that has not finished (`JoinError::NotFinished`, where a join waits).

mod kernel_common;

use std::time::Duration;

use kernel_common::Res;
use resumable::kernel::{sys, Cancelled, JoinError, Kernel, Reply, Syscall, Task, TaskId};
use resumable::prelude::*;
use resumable::rt::JoinHandle;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Sleeps, then returns `value`.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleep_then<T: 'static>(nap: Duration, value: T) -> Res<T> {
    yield_from!(sys::sleep(nap))?;
    Ok(value)
}

/// Sleeps, then panics.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleep_then_panic(nap: Duration) -> Res<u64> {
    yield_from!(sys::sleep(nap))?;
    panic!("broken")
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins<T: 'static>(target: TaskId) -> Res<Result<T, JoinError>> {
    yield_from!(sys::join::<T>(target))
}

/// A virtual-clock kernel that keeps its reports to itself (a test here panics on purpose).
fn kernel() -> Kernel {
    let mut kernel = Kernel::new().with_virtual_clock();
    kernel.on_report(|_| {});
    kernel
}

/// Runs passes until the clock reads at least `until`.
fn run_until(kernel: &mut Kernel, until: Duration) {
    for _ in 0..kernel_common::MAX_PASSES {
        if kernel.now() >= until {
            return;
        }
        assert!(
            kernel.run_once(),
            "the kernel ran out of work before {until:?}"
        );
    }
    panic!("the clock never reached {until:?}");
}

/// `take_returns`, with the names as strings.
fn take_returns<T: 'static>(kernel: &mut Kernel) -> Vec<(TaskId, String, Result<T, JoinError>)> {
    kernel
        .take_returns::<T>()
        .into_iter()
        .map(|(id, name, result)| (id, name.to_string(), result))
        .collect()
}

#[test]
fn take_returns_hands_out_every_finished_task_once_in_the_order_they_finished() {
    let mut kernel = kernel();
    let slow = kernel.spawn("slow", sleep_then(ms(30), 30_u64));
    let quick = kernel.spawn("quick", sleep_then(ms(10), 10_u64));
    let broken = kernel.spawn("broken", sleep_then_panic(ms(20)));
    let killed = kernel.spawn("killed", sleep_then(ms(5), 5_u64));
    let cancelled = kernel.spawn("cancelled", sleep_then(ms(40), 40_u64));
    let sleeper = kernel.spawn("sleeper", sleep_then(ms(1000), 1000_u64));
    assert!(
        take_returns::<Res<u64>>(&mut kernel).is_empty(),
        "none finished"
    );
    kernel.run_once(); // they start and go to sleep
    kernel.kill(killed);
    run_until(&mut kernel, ms(30));
    kernel.cancel(cancelled);
    kernel.run_once(); // the cancel is thrown in; the sleeper sleeps on
    assert_eq!(kernel.now(), ms(30));
    assert_eq!(
        take_returns::<Res<u64>>(&mut kernel),
        [
            (killed, "killed".into(), Err(JoinError::Killed)),
            (quick, "quick".into(), Ok(Ok(10))),
            (
                broken,
                "broken".into(),
                Err(JoinError::Panicked("broken".into()))
            ),
            (slow, "slow".into(), Ok(Ok(30))),
            (cancelled, "cancelled".into(), Ok(Err(Cancelled))),
        ]
    );
    assert!(take_returns::<Res<u64>>(&mut kernel).is_empty(), "once");

    // The one still alive was left behind; it is handed out once it finishes.
    assert_eq!(
        kernel.take_return::<Res<u64>>(sleeper),
        Err(JoinError::NotFinished)
    );
    kernel.run();
    assert_eq!(
        take_returns::<Res<u64>>(&mut kernel),
        [(sleeper, "sleeper".into(), Ok(Ok(1000)))]
    );

    // A value handed out is taken; why a task has none is still told.
    assert_eq!(kernel.take_return::<Res<u64>>(quick), Err(JoinError::Taken));
    assert_eq!(
        kernel.take_return::<Res<u64>>(killed),
        Err(JoinError::Killed)
    );
    let joiner = kernel.spawn("joiner", joins::<Res<u64>>(broken));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Result<Res<u64>, JoinError>>>(joiner),
        Ok(Ok(Err(JoinError::Panicked("broken".into()))))
    );
}

#[test]
fn take_returns_leaves_values_of_another_type_in_their_place() {
    let mut kernel = kernel();
    let word = kernel.spawn("word", sleep_then(ms(10), String::from("ten")));
    let number = kernel.spawn("number", sleep_then(ms(20), 20_u8));
    let unit = kernel.spawn_task(Task::from_future("unit", async {}));
    let words = kernel.spawn("words", sleep_then(ms(30), String::from("thirty")));
    kernel.run();
    assert_eq!(
        take_returns::<Res<u8>>(&mut kernel),
        [(number, "number".into(), Ok(Ok(20)))]
    );
    assert_eq!(
        kernel.take_return::<Res<u8>>(number),
        Err(JoinError::Taken),
        "taken"
    );
    assert_eq!(
        take_returns::<Res<String>>(&mut kernel),
        [
            (word, "word".into(), Ok(Ok("ten".into()))),
            (words, "words".into(), Ok(Ok("thirty".into()))),
        ]
    );
    // A task that returned `()` is kept as a bit, not a value: it is listed all the same.
    assert_eq!(
        take_returns::<()>(&mut kernel),
        [(unit, "unit".into(), Ok(()))]
    );
    assert!(take_returns::<()>(&mut kernel).is_empty());
}

#[test]
fn take_returns_lists_no_result_taken_another_way_nor_a_detached_task() {
    let mut kernel = kernel();
    let joined = kernel.spawn("joined", sleep_then(ms(10), 1_u64));
    let joiner = kernel.spawn("joiner", joins::<Res<u64>>(joined));
    let taken = kernel.spawn("taken", sleep_then(ms(5), 2_u64));
    let detached = kernel.spawn_task(Task::new("detached", sleep_then(ms(1), 3_u64)).detached());
    let awaited = kernel.spawn("awaited", sleep_then(ms(20), 4_u64));
    run_until(&mut kernel, ms(5));
    assert_eq!(kernel.take_return::<Res<u64>>(taken), Ok(Ok(2)));
    let got = kernel.block_on(async move { JoinHandle::<Res<u64>>::for_task(awaited).await });
    assert_eq!(got, Ok(Ok(4)));
    kernel.run();
    assert_eq!(
        take_returns::<Res<Result<Res<u64>, JoinError>>>(&mut kernel),
        [(joiner, "joiner".into(), Ok(Ok(Ok(Ok(1)))))]
    );
    assert!(take_returns::<Res<u64>>(&mut kernel).is_empty());
    assert_eq!(
        kernel.take_return::<Res<u64>>(detached),
        Err(JoinError::Taken)
    );
}

#[test]
fn a_join_waits_for_a_task_that_take_return_says_has_not_finished() {
    let mut kernel = kernel();
    let by_join = kernel.spawn("by join", sleep_then(ms(10), 1_u64));
    let by_handle = kernel.spawn("by handle", sleep_then(ms(20), 2_u64));
    let joiner = kernel.spawn("joiner", joins::<Res<u64>>(by_join));
    kernel.run_once();
    for id in [by_join, by_handle] {
        assert_eq!(
            kernel.take_return::<Res<u64>>(id),
            Err(JoinError::NotFinished)
        );
    }
    let got = kernel.block_on(async move { JoinHandle::<Res<u64>>::for_task(by_handle).await });
    assert_eq!(got, Ok(Ok(2)));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Result<Res<u64>, JoinError>>>(joiner),
        Ok(Ok(Ok(Ok(1))))
    );
}
