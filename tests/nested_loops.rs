#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! A loop started inside a running loop (`rt::block_on`, or a `Kernel`'s `run`, `run_once` or
//! `block_on`) is refused with a panic that says what to do instead: the outer loop would
//! freeze while the inner one ran, and an outer task awaited inside would never finish. The
//! panic is an ordinary one: in a task it is contained and reported like any other.

mod rt_common;

use std::panic;
use std::time::Duration;

use resumable::kernel::{JoinError, Kernel, Report, Task};
use resumable::rt;
use rt_common::{capture_reports, panic_message, within};

const LIMIT: Duration = Duration::from_secs(30);

/// What every refusal says: where it happened, and what to do instead.
fn assert_refusal(message: &str, what: &str) {
    assert!(
        message.starts_with(&format!("{what} was called inside a running loop")),
        "{message}"
    );
    assert!(message.contains("rt::spawn"), "{message}");
    assert!(message.contains(".await"), "{message}");
}

#[test]
fn rt_block_on_inside_rt_block_on_is_refused() {
    let result = panic::catch_unwind(|| rt::block_on(async { rt::block_on(async { 1 }) }));
    assert_refusal(&panic_message(result.unwrap_err()), "rt::block_on");
    // The thread is left as it was: a loop may start again.
    assert_eq!(rt::block_on(async { 2 }), 2);
}

#[test]
fn rt_block_on_inside_a_task_fails_that_task_only() {
    within(LIMIT, || {
        rt::block_on(async {
            let outer = rt::spawn(async {
                rt::sleep(Duration::from_millis(5)).await;
                "outer"
            });
            let outer_id = outer.id();
            // Awaiting an outer task in an inner loop used to hang for good.
            let nested =
                rt::spawn(async move { rt::block_on(rt::JoinHandle::<&str>::for_task(outer_id)) });
            let Err(JoinError::Panicked(message)) = nested.await else {
                panic!("the nested block_on should have panicked");
            };
            assert_refusal(&message, "rt::block_on");
            assert_eq!(outer.await, Ok("outer"), "the outer loop goes on");
        });
    });
}

#[test]
fn a_kernels_run_run_once_or_block_on_inside_a_running_loop_is_refused() {
    // Panics print slowly with RUST_BACKTRACE=1: no slow-task warning among the reports.
    let mut kernel = Kernel::new()
        .with_virtual_clock()
        .with_slow_task_threshold(None);
    let reports = capture_reports(&mut kernel);
    let run = kernel.spawn_task(Task::from_future("run", async {
        Kernel::new().run();
    }));
    let run_once = kernel.spawn_task(Task::from_future("run_once", async {
        Kernel::new().run_once();
    }));
    let block_on = kernel.spawn_task(Task::from_future("block_on", async {
        Kernel::new().block_on(async {});
    }));
    kernel.run();
    for (id, what) in [
        (run, "Kernel::run"),
        (run_once, "Kernel::run_once"),
        (block_on, "Kernel::block_on"),
    ] {
        match kernel.take_return::<()>(id) {
            Err(JoinError::Panicked(message)) => assert_refusal(&message, what),
            other => panic!("{what} in a task should have panicked, not {other:?}"),
        }
    }
    // (A panic's backtrace can make its step slow enough for a `Slow` report too.)
    let panics = reports
        .borrow()
        .iter()
        .filter(|r| matches!(r, Report::Panicked { .. }))
        .count();
    assert_eq!(
        panics,
        3,
        "each refusal is reported: {:?}",
        reports.borrow()
    );
    // Outside any loop, another kernel runs as before.
    let mut other = Kernel::new().with_virtual_clock();
    assert_eq!(other.block_on(async { 3 }), 3);
}

#[test]
fn the_refusal_points_at_the_callers_line() {
    // The panic hook is the process's: only this thread's panics are looked at.
    let me = std::thread::current().id();
    let location = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = location.clone();
    let hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == me {
            *seen.lock().unwrap() = info.location().map(|l| (l.file().to_string(), l.line()));
        }
    }));
    let line = line!() + 1;
    let result = panic::catch_unwind(|| rt::block_on(async { rt::block_on(async {}) }));
    panic::set_hook(hook);
    assert!(result.is_err());
    let (file, at) = location.lock().unwrap().clone().expect("a location");
    assert!(file.ends_with("nested_loops.rs"), "{file}");
    assert_eq!(at, line);
}
