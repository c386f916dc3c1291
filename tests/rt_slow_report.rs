#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! The slow-task warning tells the truth for futures (asyncio's debug mode: "Executing <Task>
//! took 0.2 seconds"): the poll that blocked is reported — the task, where it was spawned, and
//! the `.await`s of rt's futures it resumed from and stopped at — for spawned futures and for
//! `block_on`'s own future, not "from its start to its return" for a task that yielded in
//! between.
//!
//! A poll blocks here with `thread::sleep(BLOCK)`, against a threshold of a third of it; only
//! reports of at least `BLOCK` are looked at, so a quick step that a loaded machine pre-empts
//! past the threshold cannot fail a test.

mod rt_common;

use std::panic::Location;
use std::thread;
use std::time::Duration;

use resumable::kernel::{Kernel, Report, TaskId};
use resumable::rt::{self, TaskGroup};
use rt_common::{capture_reports, ms};

const BLOCK: Duration = Duration::from_millis(30);

/// A kernel with a slow-task threshold of a third of `BLOCK`, and its reports.
fn kernel() -> (Kernel, std::rc::Rc<std::cell::RefCell<Vec<Report>>>) {
    let mut kernel = Kernel::new().with_slow_task_threshold(Some(BLOCK / 3));
    let reports = capture_reports(&mut kernel);
    (kernel, reports)
}

/// Blocks the loop's thread.
fn block() {
    thread::sleep(BLOCK);
}

/// The slow reports of at least `BLOCK` named `name`: (id, step, from line, to line, ended,
/// text).
type Slow = (Option<TaskId>, u64, Option<u32>, Option<u32>, bool, String);

fn slow(reports: &[Report], name: &str) -> Vec<Slow> {
    let line = |at: &Option<&Location<'_>>| at.map(|at| at.line());
    reports
        .iter()
        .filter_map(|r| match r {
            Report::Slow {
                id,
                name: n,
                ran,
                step,
                from,
                to,
                ended,
                ..
            } if &**n == name && *ran >= BLOCK => {
                Some((*id, *step, line(from), line(to), *ended, r.to_string()))
            }
            _ => None,
        })
        .collect()
}

/// The `held the thread for ...` of a report's text, for comparing the rest exactly.
fn ran(text: &str) -> &str {
    let start = text.find(" held the thread for ").expect("a slow report");
    let end = text.find(" without yielding").expect("a slow report");
    &text[start..end]
}

#[test]
fn a_future_task_that_blocks_between_two_yields_is_reported_with_them() {
    let (mut kernel, reports) = kernel();
    let (spawned, first, second) = (line!() + 2, line!() + 3, line!() + 5);
    let id = kernel.block_on(async {
        let worker = rt::spawn_named("worker", async {
            rt::yield_now().await;
            block();
            rt::yield_now().await;
        });
        let id = worker.id();
        worker.await.unwrap();
        id
    });
    let reports = reports.borrow();
    let slow = slow(&reports, "worker");
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (who, step, from, to, ended, text) = &slow[0];
    assert_eq!(
        (*who, *step, *from, *to, *ended),
        (Some(id), 2, Some(first), Some(second), false)
    );
    let file = file!();
    assert_eq!(
        *text,
        format!(
            "task {id} \"worker\" (spawned at {file}:{spawned}){} without yielding, \
             from {file}:{first} to {file}:{second}",
            ran(text)
        )
    );
    assert!(!text.contains("its start") && !text.contains("its return"));
}

#[test]
fn a_task_named_after_where_it_was_spawned_says_that_place_once() {
    let (mut kernel, reports) = kernel();
    let (spawned, slept) = (line!() + 2, line!() + 3);
    let id = kernel.block_on(async {
        let task = rt::spawn(async {
            rt::sleep(ms(1)).await;
            block();
        });
        let id = task.id();
        task.await.unwrap();
        id
    });
    let name = format!("{}:{spawned}", file!());
    let reports = reports.borrow();
    let slow = slow(&reports, &name);
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (_, step, from, to, ended, text) = &slow[0];
    assert_eq!((*step, *from, *to, *ended), (2, Some(slept), None, true));
    assert_eq!(
        *text,
        format!(
            "task {id} \"{name}\"{} without yielding, from {}:{slept} to its return",
            ran(text),
            file!()
        )
    );
}

#[test]
fn block_on_s_own_future_that_blocks_between_two_yields_is_reported() {
    let (mut kernel, reports) = kernel();
    let (called, first, second) = (line!() + 1, line!() + 2, line!() + 4);
    kernel.block_on(async {
        rt::yield_now().await;
        block();
        rt::yield_now().await;
    });
    let reports = reports.borrow();
    let slow = slow(&reports, "block_on");
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (who, step, from, to, ended, text) = &slow[0];
    assert_eq!(
        (*who, *step, *from, *to, *ended),
        (None, 2, Some(first), Some(second), false)
    );
    let file = file!();
    assert_eq!(
        *text,
        format!(
            "the future of block_on at {file}:{called}{} without yielding, \
             from {file}:{first} to {file}:{second}",
            ran(text)
        )
    );
}

#[test]
fn block_on_s_future_that_blocks_from_its_start_to_its_return_says_so() {
    let (mut kernel, reports) = kernel();
    let called = line!() + 1;
    let value = kernel.block_on(async {
        block();
        7
    });
    assert_eq!(value, 7);
    let reports = reports.borrow();
    let slow = slow(&reports, "block_on");
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (_, step, from, to, ended, text) = &slow[0];
    assert_eq!((*step, *from, *to, *ended), (1, None, None, true));
    assert_eq!(
        *text,
        format!(
            "the future of block_on at {}:{called}{} without yielding, from its start to its \
             return",
            file!(),
            ran(text)
        )
    );
}

#[test]
fn a_task_awaiting_its_group_is_reported_from_the_join() {
    let (mut kernel, reports) = kernel();
    let joined = line!() + 5;
    kernel.block_on(async {
        let owner = rt::spawn_named("owner", async {
            let mut group = TaskGroup::new();
            group.spawn(rt::sleep(ms(1)));
            group.join_next().await.unwrap().unwrap();
            block();
        });
        owner.await.unwrap();
    });
    let reports = reports.borrow();
    let slow = slow(&reports, "owner");
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (_, _, from, to, ended, text) = &slow[0];
    assert_eq!((*from, *to, *ended), (Some(joined), None, true));
    assert!(
        text.ends_with(&format!("from {}:{joined} to its return", file!())),
        "{text}"
    );
}

#[test]
fn an_await_rt_cannot_place_is_said_to_be_unknown_not_the_start() {
    let (mut kernel, reports) = kernel();
    kernel.block_on(async {
        let waiter = rt::spawn_named("waiter", async {
            // A JoinHandle does not know the line that awaits it.
            rt::spawn(rt::sleep(ms(1))).await.unwrap();
            block();
        });
        waiter.await.unwrap();
    });
    let reports = reports.borrow();
    let slow = slow(&reports, "waiter");
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (_, step, from, _, _, text) = &slow[0];
    assert!(*step > 1 && from.is_none());
    assert!(
        text.ends_with("from an unknown point to its return"),
        "{text}"
    );
}

#[test]
fn the_warning_turned_off_reports_no_future_and_no_block_on() {
    let mut kernel = Kernel::new().with_slow_task_threshold(None);
    let reports = capture_reports(&mut kernel);
    kernel.block_on(async {
        block();
        rt::spawn(async { block() }).await.unwrap();
        block();
    });
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}
