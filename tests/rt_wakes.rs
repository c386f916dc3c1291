#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! Wakes of future tasks: they queue for the next pass in the order they were made — a task
//! waking itself included, before or after the others it wakes — and none is lost when it comes
//! from another thread during the poll; a loop started inside a poll is refused, whatever the
//! poll woke first. And a future task's steps and busy time are counted as a generator task's
//! are.

mod rt_common;

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use resumable::kernel::{JoinError, Kernel, Report, Task, TaskState};
use resumable::rt;
use rt_common::{capture_reports, ms, new_log, one_pass, push, virtual_kernel, within, Log};

const LIMIT: Duration = Duration::from_secs(30);

/// Where a parked task leaves its waker.
type Slot = Rc<RefCell<Option<Waker>>>;

/// Parks once, leaving its waker in `slot`; logs `name` when it is polled again.
async fn parked(log: Log, name: &'static str, slot: Slot) {
    let mut parked = false;
    poll_fn(|cx| {
        if std::mem::replace(&mut parked, true) {
            return Poll::Ready(());
        }
        *slot.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    })
    .await;
    push(&log, name);
}

/// In its first poll, wakes the parked tasks named in `script` in that order, `"self"` being
/// itself; logs `"w"` when polled again.
async fn waker_of(log: Log, script: &'static [&'static str], slots: Vec<(&'static str, Slot)>) {
    let mut polled = false;
    poll_fn(|cx| {
        if std::mem::replace(&mut polled, true) {
            return Poll::Ready(());
        }
        for &name in script {
            match slots.iter().find(|(n, _)| *n == name) {
                Some((_, slot)) => slot.borrow().as_ref().unwrap().wake_by_ref(),
                None => cx.waker().wake_by_ref(),
            }
        }
        Poll::Pending
    })
    .await;
    push(&log, "w");
}

/// The pass after `script` ran, on tasks `x`, `y` and the waker `w`, spawned in that order.
fn next_pass_after(script: &'static [&'static str]) -> Vec<String> {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let slots: Vec<(&'static str, Slot)> = vec![("x", Slot::default()), ("y", Slot::default())];
    for (name, slot) in &slots {
        kernel.spawn_task(Task::from_future(
            *name,
            parked(log.clone(), name, slot.clone()),
        ));
    }
    kernel.spawn_task(Task::from_future("w", waker_of(log.clone(), script, slots)));
    assert!(one_pass(&mut kernel, &log).is_empty());
    let pass = one_pass(&mut kernel, &log);
    kernel.run();
    assert!(kernel.is_empty(), "a wake was lost");
    pass
}

#[test]
fn a_task_waking_itself_after_others_runs_after_them() {
    assert_eq!(next_pass_after(&["x", "self", "y"]), ["x", "w", "y"]);
    assert_eq!(next_pass_after(&["y", "x", "self"]), ["y", "x", "w"]);
}

#[test]
fn a_task_waking_itself_before_others_runs_before_them() {
    assert_eq!(next_pass_after(&["self", "y", "x"]), ["w", "y", "x"]);
    // Its first wake counts: the later ones find it queued.
    assert_eq!(
        next_pass_after(&["self", "x", "self", "y", "self"]),
        ["w", "x", "y"]
    );
}

#[test]
fn a_task_woken_by_a_clone_of_its_waker_during_its_poll_runs_again() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    kernel.spawn_task(Task::from_future("clone", async move {
        for i in 0..3 {
            let mut woke = false;
            poll_fn(|cx| {
                if std::mem::replace(&mut woke, true) {
                    return Poll::Ready(());
                }
                // Kept, then woken by value, as a channel would.
                let kept = cx.waker().clone();
                kept.wake();
                Poll::Pending
            })
            .await;
            push(&l, format!("turn {i}"));
        }
    }));
    assert!(one_pass(&mut kernel, &log).is_empty());
    for i in 0..3 {
        assert_eq!(one_pass(&mut kernel, &log), [format!("turn {i}")]);
    }
    assert!(kernel.is_empty());
}

#[test]
fn a_wake_from_another_thread_during_the_poll_is_not_lost() {
    within(LIMIT, || {
        let polls = rt::block_on(async {
            let polls = Rc::new(Cell::new(0));
            let counted = polls.clone();
            rt::spawn(async move {
                poll_fn(|cx| {
                    counted.set(counted.get() + 1);
                    if counted.get() == 3 {
                        return Poll::Ready(());
                    }
                    let waker = cx.waker().clone();
                    // Woken while this poll still runs: the second time, it wakes itself too.
                    if counted.get() == 2 {
                        cx.waker().wake_by_ref();
                    }
                    thread::spawn(move || waker.wake()).join().unwrap();
                    Poll::Pending
                })
                .await;
            })
            .await
            .unwrap();
            polls.get()
        });
        assert_eq!(polls, 3);
    });
}

#[test]
fn a_loop_run_inside_a_poll_is_refused_whatever_the_poll_woke_first() {
    for wake_first in [true, false] {
        // A wake left behind by the refused poll would keep the loop running for ever.
        let (first, log, outer) = within(LIMIT, move || {
            let log = new_log();
            let mut kernel = virtual_kernel();
            kernel.on_report(|_| {});
            let outer = kernel.spawn_task(Task::from_future(
                "outer",
                outer_with_a_loop(log.clone(), wake_first),
            ));
            let first = one_pass(&mut kernel, &log);
            kernel.run();
            assert!(kernel.is_empty());
            let outer = kernel.take_return::<()>(outer);
            (first, rt_common::entries(&log), outer)
        });
        assert_eq!(first, ["before the inner loop"]);
        assert_eq!(log, first, "the task went no further");
        assert!(
            matches!(&outer, Err(JoinError::Panicked(m)) if m.starts_with("Kernel::block_on was called inside a running loop")),
            "{outer:?}"
        );
    }
}

/// Wakes itself, then tries to run a loop of its own (or the other way round).
async fn outer_with_a_loop(log: Log, wake_first: bool) {
    let mut polled = false;
    poll_fn(|cx| {
        if std::mem::replace(&mut polled, true) {
            return Poll::Ready(());
        }
        if wake_first {
            cx.waker().wake_by_ref();
        }
        push(&log, "before the inner loop");
        let inner = Kernel::new().with_virtual_clock().block_on(async { 1 });
        push(&log, format!("inner {inner}"));
        if !wake_first {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    })
    .await;
    push(&log, "outer again");
}

#[test]
fn a_future_task_is_charged_its_steps_and_busy_time() {
    // A fine threshold: the step clock is the precise one.
    let mut kernel = Kernel::new()
        .with_virtual_clock()
        .with_slow_task_threshold(Some(ms(5)));
    let reports = capture_reports(&mut kernel);
    let yield_line = line!() + 4;
    let id = kernel.spawn_task(Task::from_future("hog", async {
        for _ in 0..2 {
            thread::sleep(ms(10));
            rt::yield_now().await;
        }
        rt::sleep(Duration::from_secs(3600)).await;
    }));
    for _ in 0..3 {
        kernel.run_once();
    }
    let snapshot = kernel.snapshot();
    let info = snapshot.tasks.iter().find(|t| t.id == id).unwrap();
    assert_eq!((info.steps, info.state), (3, TaskState::Awaiting));
    assert!(info.busy >= ms(20), "{:?}", info.busy);
    // Each slow poll, with the `.await`s it resumed from and stopped at (rt's `yield_now`
    // remembers its line): the first from its start.
    let line = |at: &Option<&std::panic::Location<'_>>| at.map(|at| at.line());
    let slow: Vec<_> = reports
        .borrow()
        .iter()
        .filter_map(|r| match r {
            Report::Slow {
                id: who,
                ran,
                from,
                to,
                step,
                ..
            } if *who == Some(id) => Some((*ran, *step, line(from), line(to))),
            _ => None,
        })
        .collect();
    assert_eq!(slow.len(), 2, "{slow:?}");
    assert!(slow.iter().all(|&(ran, ..)| ran >= ms(10)), "{slow:?}");
    let lines: Vec<_> = slow
        .iter()
        .map(|&(_, step, from, to)| (step, from, to))
        .collect();
    assert_eq!(
        lines,
        [
            (1, None, Some(yield_line)),
            (2, Some(yield_line), Some(yield_line))
        ]
    );
    drop(kernel);
}
