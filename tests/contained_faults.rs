#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! Faults that must neither kill nor wedge the loop: a destructor that panics wherever the loop
//! drops a task or something a task produced (tasks pending at shutdown, a killed, cancelled or
//! aborted task, a return value nobody takes, a joined value its joiner never saw, a panic
//! payload whose own destructor panics), a destructor that uses the loop while the loop drops
//! it, and a report hook that panics. Each panic is reported like any other task's, and the
//! loop, its other tasks and `block_on`'s value survive it.

mod rt_common;

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use resumable::kernel::{sys, Cancelled, JoinError, Kernel, Reply, Report, Syscall, Task, TaskId};
use resumable::prelude::*;
use resumable::rt::{self, JoinHandle};
use rt_common::{capture_reports, entries, new_log, panic_message, push, Guard, Log};

const HOUR: Duration = Duration::from_secs(3600);

type Res<T> = Result<T, Cancelled>;

/// Panics with its message when dropped.
struct Bomb(&'static str);

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// A kernel on the virtual clock without the slow-task warning (a panic's backtrace can make
/// a step look slow), whose reports are checked one by one.
fn quiet_kernel() -> Kernel {
    Kernel::new()
        .with_virtual_clock()
        .with_slow_task_threshold(None)
}

/// The `Panicked` reports: id, name, message.
fn panicked(reports: &[Report]) -> Vec<(TaskId, String, String)> {
    reports
        .iter()
        .filter_map(|r| match r {
            Report::Panicked { id, name, message } => {
                Some((*id, name.to_string(), message.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The ids of the `Pending` reports.
fn pending(reports: &[Report]) -> Vec<TaskId> {
    reports
        .iter()
        .filter_map(|r| match r {
            Report::Pending { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn holds_a_bomb(message: &'static str) -> Res<()> {
    let _bomb = Bomb(message);
    yield_from!(sys::sleep(HOUR))
}

// ---------------------------------------------------------------------------------------------
// Shutdown

#[test]
fn rt_block_on_returns_its_value_when_pending_tasks_panic_as_they_are_dropped() {
    // One such panic used to escape `block_on` (losing its value), two to abort the process.
    let value = rt::block_on(async {
        for name in ["first bomb", "second bomb"] {
            rt::spawn(async move {
                let _bomb = Bomb(name);
                rt::sleep(HOUR).await;
            })
            .detach();
        }
        rt::yield_now().await; // they start, and go to sleep holding their bombs
        42
    });
    assert_eq!(value, 42);
}

#[test]
fn a_dropped_kernel_reports_each_pending_task_whose_destructor_panics_and_drops_the_others() {
    let log = new_log();
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let generator = kernel.spawn("generator", holds_a_bomb("generator's local"));
    let (futures, value) = kernel.block_on({
        let log = log.clone();
        async move {
            let bombs = ["future's local", "another future's local"].map(|name| {
                let handle = rt::spawn_named("future", async move {
                    let _bomb = Bomb(name);
                    rt::sleep(HOUR).await;
                });
                let id = handle.id();
                handle.detach();
                id
            });
            rt::spawn_named("guarded", async move {
                let _guard = Guard::new("guarded", &log);
                rt::sleep(HOUR).await;
            })
            .detach();
            rt::yield_now().await;
            (bombs, 7)
        }
    });
    assert_eq!(value, 7);
    drop(kernel);

    let reports = reports.borrow();
    assert_eq!(pending(&reports).len(), 4, "{reports:?}");
    assert!(
        matches!(
            &reports[..4],
            [
                Report::Pending { .. },
                Report::Pending { .. },
                Report::Pending { .. },
                Report::Pending { .. }
            ]
        ),
        "the pending tasks are reported before any is dropped: {reports:?}"
    );
    assert_eq!(
        sorted(panicked(&reports)),
        [
            (generator, "generator".into(), "generator's local".into()),
            (futures[0], "future".into(), "future's local".into()),
            (futures[1], "future".into(), "another future's local".into()),
        ]
    );
    assert_eq!(
        entries(&log),
        ["drop guarded"],
        "the others are dropped too"
    );
}

#[test]
fn a_panic_out_of_block_on_does_not_abort_when_pending_tasks_panic_as_they_are_dropped() {
    // The kernel is dropped while the main future's panic unwinds: a destructor panicking then,
    // uncaught, would abort the process.
    let result = panic::catch_unwind(|| {
        rt::block_on(async {
            for name in ["first bomb", "second bomb"] {
                rt::spawn(async move {
                    let _bomb = Bomb(name);
                    rt::sleep(HOUR).await;
                })
                .detach();
            }
            rt::yield_now().await;
            panic!("main failed");
        })
    });
    assert_eq!(panic_message(result.unwrap_err()), "main failed");
}

#[test]
fn a_destructor_that_spawns_during_shutdown_has_its_task_dropped_too() {
    let log = new_log();
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);

    struct SpawnsOnDrop(Log);
    impl Drop for SpawnsOnDrop {
        fn drop(&mut self) {
            let guard = Guard::new("late", &self.0);
            rt::spawn_named("late", async move {
                let _guard = guard;
                rt::sleep(HOUR).await;
            })
            .detach();
        }
    }

    kernel.block_on({
        let log = log.clone();
        async move {
            rt::spawn_named("spawner", async move {
                let _spawner = SpawnsOnDrop(log);
                rt::sleep(HOUR).await;
            })
            .detach();
            rt::yield_now().await;
        }
    });
    drop(kernel);
    assert_eq!(
        entries(&log),
        ["drop late"],
        "the task spawned by a destructor at shutdown is dropped, never run"
    );
    assert_eq!(pending(&reports.borrow()).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Kill, cancel, abort

#[test]
fn killing_or_aborting_a_generator_task_whose_locals_panic_when_dropped_is_reported() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let killed = kernel.spawn("killed", holds_a_bomb("killed's local"));
    kernel.run_once();
    assert!(kernel.kill(killed));
    let (aborted, joined, after) = kernel.block_on(async {
        let handle = rt::spawn_generator("aborted", holds_a_bomb("aborted's local"));
        rt::yield_now().await;
        handle.abort();
        let after = rt::spawn(async { 5 });
        (handle.id(), handle.await, after.await)
    });
    assert_eq!(joined, Err(JoinError::Killed));
    assert_eq!(after, Ok(5), "the loop goes on");
    assert_eq!(
        panicked(&reports.borrow()),
        [
            (killed, "killed".into(), "killed's local".into()),
            (aborted, "aborted".into(), "aborted's local".into()),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Values a task produced

#[test]
fn a_detached_tasks_return_value_that_panics_when_dropped_is_reported() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let (early, late, after) = kernel.block_on(async {
        // Detached before it ends: its value is dropped as it ends.
        let early = rt::spawn_named("detached early", async {
            rt::yield_now().await;
            Bomb("early value")
        });
        let early_id = early.id();
        early.detach();
        // Detached after it ended: its kept value is dropped then.
        let late = rt::spawn_named("detached late", async { Bomb("late value") });
        let late_id = late.id();
        rt::yield_now().await;
        rt::yield_now().await;
        late.detach();
        let after = rt::spawn(async { 5 }).await;
        (early_id, late_id, after)
    });
    assert_eq!(after, Ok(5));
    assert_eq!(
        panicked(&reports.borrow()),
        [
            (early, "detached early".into(), "early value".into()),
            (late, "detached late".into(), "late value".into()),
        ]
    );
}

#[test]
fn a_return_value_nobody_took_is_dropped_with_the_kernel_and_reported() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let kept = kernel.spawn_task(Task::from_future("kept", async { Bomb("kept value") }));
    kernel.run();
    drop(kernel);
    assert_eq!(
        panicked(&reports.borrow()),
        [(kept, "kept".into(), "kept value".into())]
    );
}

#[test]
fn the_value_of_a_task_killed_as_it_returns_is_dropped_and_reported() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let (id, joined) = kernel.block_on(async {
        let quitter = rt::spawn_named("quitter", async {
            let me = rt::task_id().expect("a task");
            JoinHandle::<()>::for_task(me).abort(); // it ends killed when this poll returns
            Bomb("quitter's value")
        });
        (quitter.id(), quitter.await)
    });
    assert!(matches!(joined, Err(JoinError::Killed)));
    assert_eq!(
        panicked(&reports.borrow()),
        [(id, "quitter".into(), "quitter's value".into())]
    );
}

/// A panic payload whose destructor panics with another such payload, `0` times more.
struct NastyPayload(u32);

impl Drop for NastyPayload {
    fn drop(&mut self) {
        if self.0 > 0 {
            panic::panic_any(NastyPayload(self.0 - 1));
        }
    }
}

#[test]
fn a_panic_payload_whose_destructor_panics_is_contained_and_reported() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let (id, result, after) = kernel.block_on(async {
        let nasty = rt::spawn_named("nasty", async {
            rt::yield_now().await;
            panic::panic_any(NastyPayload(3))
        });
        let id = nasty.id();
        let result: Result<(), JoinError> = nasty.await;
        (id, result, rt::spawn(async { 5 }).await)
    });
    assert!(matches!(result, Err(JoinError::Panicked(_))), "{result:?}");
    assert_eq!(after, Ok(5), "the loop goes on");
    let reports = panicked(&reports.borrow());
    assert_eq!(
        reports.len(),
        2,
        "the panic, then its payload's: {reports:?}"
    );
    assert!(reports
        .iter()
        .all(|(i, name, _)| *i == id && name == "nasty"));
}

// ---------------------------------------------------------------------------------------------
// Destructors that use the loop

/// When dropped, reads the loop's clock and spawns a task: it needs the loop's state free.
struct UsesTheLoop(Log);

impl Drop for UsesTheLoop {
    fn drop(&mut self) {
        let now = rt::now();
        rt::spawn(async {}).detach();
        push(&self.0, format!("dropped at {now:?}"));
    }
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins_the_value(target: TaskId) -> Res<bool> {
    let value = yield_from!(sys::join::<UsesTheLoop>(target))?;
    Ok(value.is_ok())
}

/// A kernel where `joiner` has been handed `target`'s value but has not run yet.
fn joiner_handed_a_value(log: &Log) -> (Kernel, TaskId) {
    let mut kernel = quiet_kernel();
    let log = log.clone();
    let target = kernel.spawn_task(Task::from_future("target", async move {
        rt::yield_now().await;
        UsesTheLoop(log)
    }));
    let joiner = kernel.spawn("joiner", joins_the_value(target));
    kernel.run_once(); // the joiner waits; the target yields
    kernel.run_once(); // the target returns, and its value is handed to the joiner
    let states: Vec<_> = kernel.snapshot().tasks.iter().map(|t| t.id).collect();
    assert_eq!(states, [joiner], "the joiner is queued with the value");
    (kernel, joiner)
}

#[test]
fn a_joined_value_dropped_because_its_joiner_was_killed_may_use_the_loop() {
    let log = new_log();
    let (mut kernel, joiner) = joiner_handed_a_value(&log);
    assert!(kernel.kill(joiner));
    assert_eq!(entries(&log), ["dropped at 0ns"]);
    kernel.run();
    assert!(kernel.is_empty());
}

#[test]
fn a_joined_value_dropped_because_its_joiner_was_cancelled_may_use_the_loop() {
    let log = new_log();
    let (mut kernel, joiner) = joiner_handed_a_value(&log);
    assert!(kernel.cancel(joiner));
    assert_eq!(entries(&log), ["dropped at 0ns"]);
    kernel.run();
    assert_eq!(kernel.take_return::<Res<bool>>(joiner), Ok(Err(Cancelled)));
}

#[test]
fn a_joined_value_dropped_with_the_kernel_may_use_the_loop() {
    let log = new_log();
    let (kernel, _) = joiner_handed_a_value(&log);
    drop(kernel);
    assert_eq!(entries(&log), ["dropped at 0ns"]);
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn aborts_itself_and_returns(log: Log) -> Res<(UsesTheLoop, Bomb)> {
    let me = yield_from!(sys::get_id())?;
    JoinHandle::<()>::for_task(me).abort(); // it ends killed when this step does
    Ok((UsesTheLoop(log), Bomb("quitter's value")))
}

#[test]
fn the_value_of_a_generator_task_killed_as_it_returns_is_dropped_contained() {
    let log = new_log();
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let id = kernel.spawn("quitter", aborts_itself_and_returns(log.clone()));
    let after = kernel.spawn_task(Task::from_future("after", async {
        rt::yield_now().await;
        5
    }));
    kernel.run();
    assert_eq!(entries(&log), ["dropped at 0ns"]);
    assert_eq!(kernel.take_return::<()>(id), Err(JoinError::Killed));
    assert_eq!(kernel.take_return::<i32>(after), Ok(5));
    assert_eq!(
        panicked(&reports.borrow()),
        [(id, "quitter".into(), "quitter's value".into())]
    );
}

// ---------------------------------------------------------------------------------------------
// The report hook

#[test]
fn a_report_hook_that_panics_loses_no_task_and_stays_installed() {
    let mut kernel = quiet_kernel();
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    kernel.on_report(move |report| {
        seen.set(seen.get() + 1);
        panic!("the hook failed on: {report}");
    });
    // All three run in the same pass: the hook panics on `first`'s report, mid-pass.
    let first = kernel.spawn_task(Task::from_future("first", async { panic!("first failed") }));
    let second = kernel.spawn_task(Task::from_future("second", async { 2 }));
    let third = kernel.spawn_task(Task::from_future("third", async {
        rt::yield_now().await;
        panic!("third failed")
    }));
    kernel.run();
    assert!(kernel.is_empty());
    assert_eq!(
        kernel.take_return::<()>(first),
        Err(JoinError::Panicked("first failed".into()))
    );
    assert_eq!(kernel.take_return::<i32>(second), Ok(2));
    assert_eq!(
        kernel.take_return::<()>(third),
        Err(JoinError::Panicked("third failed".into()))
    );
    assert_eq!(calls.get(), 2, "the hook heard of both panics");
}

#[test]
fn a_report_made_while_the_hook_runs_follows_the_one_it_is_on() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let victim = kernel.spawn("victim", holds_a_bomb("victim's local"));
    let sink = reports.clone();
    kernel.on_report(move |report| {
        sink.borrow_mut().push(report.clone());
        if matches!(report, Report::Panicked { message, .. } if message == "first failed") {
            // Killing the victim runs its destructor, which panics: a report within a report.
            JoinHandle::<Res<()>>::for_task(victim).abort();
        }
    });
    let first = kernel.spawn_task(Task::from_future("first", async {
        rt::yield_now().await;
        panic!("first failed")
    }));
    kernel.run();
    assert_eq!(
        panicked(&reports.borrow()),
        [
            (first, "first".into(), "first failed".into()),
            (victim, "victim".into(), "victim's local".into()),
        ]
    );
    assert!(kernel.is_empty());
}

#[test]
fn a_panicking_hook_does_not_stop_a_kernel_from_being_dropped() {
    let log = new_log();
    let mut kernel = quiet_kernel();
    kernel.on_report(|_| panic!("the hook failed"));
    kernel.spawn("holder", holds_a_bomb("holder's local"));
    let guarded = log.clone();
    kernel.spawn_task(Task::from_future("guarded", async move {
        let _guard = Guard::new("guarded", &guarded);
        rt::sleep(HOUR).await;
    }));
    kernel.run_once();
    drop(AssertUnwindSafe(kernel));
    assert_eq!(entries(&log), ["drop guarded"]);
}
