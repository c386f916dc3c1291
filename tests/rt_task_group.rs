#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! `rt::TaskGroup`, structured concurrency (asyncio's `TaskGroup`, tokio's `JoinSet`): results in
//! the order the members finish, or all together in spawn order; a failure (a panic, or an `Err`
//! in a `failing_on_err` group) cancels the members still alive at once, their destructors run;
//! dropping the group cancels them too; nothing is left behind (no task, no result, no `Rc`).
//!
//! On the virtual clock, so every `rt::now()` is exact and hour-long sleeps take no time.

mod rt_common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use resumable::kernel::{Kernel, Report};
use resumable::rt::{self, JoinError, TaskGroup};
use rt_common::{capture_reports, entries, ms, new_log, push, virtual_kernel, Guard, Log};

const HOUR: Duration = Duration::from_secs(3600);

/// Sleeps `ms`, logs `name@NOW`, returns `name`; its guard logs `drop NAME`.
async fn nap(log: Log, name: &'static str, millis: u64) -> &'static str {
    let _guard = Guard::new(name, &log);
    rt::sleep(ms(millis)).await;
    push(&log, format!("{name}@{:?}", rt::now()));
    name
}

/// Counts the live values of a kind: a result or an `Rc` that leaked would keep it up.
#[derive(Clone, Default)]
struct Counter(Rc<Cell<usize>>);

struct Counted(Counter);

impl Counter {
    fn make(&self) -> Counted {
        self.0.set(self.0.get() + 1);
        Counted(self.clone())
    }

    fn live(&self) -> usize {
        self.0.get()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let c = &(self.0).0;
        c.set(c.get() - 1);
    }
}

#[test]
fn join_next_gives_the_results_in_the_order_the_members_finish() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let (order, at) = kernel.block_on(async move {
        let mut group = TaskGroup::new();
        for (name, millis) in [("c", 30), ("a", 10), ("d", 40), ("b", 20)] {
            group.spawn(nap(l.clone(), name, millis));
        }
        // And some that finish without the clock, after a number of passes.
        for (name, passes) in [("y", 2), ("x", 1)] {
            group.spawn(async move {
                for _ in 0..passes {
                    rt::yield_now().await;
                }
                name
            });
        }
        let mut order = Vec::new();
        while let Some(result) = group.join_next().await {
            order.push(result.unwrap());
        }
        (order, rt::now())
    });
    assert_eq!(order, ["x", "y", "a", "b", "c", "d"]);
    assert_eq!(at, ms(40));
    assert!(kernel.is_empty());
    assert_eq!(
        entries(&log),
        ["a@10ms", "drop a", "b@20ms", "drop b", "c@30ms", "drop c", "d@40ms", "drop d"]
    );
}

#[test]
fn join_all_and_awaiting_the_group_give_every_result_in_spawn_order() {
    let mut kernel = virtual_kernel();
    let log = new_log();
    let l = log.clone();
    let (all, awaited, ids_match) = kernel.block_on(async move {
        let group = TaskGroup::new();
        for (name, millis) in [("c", 30), ("a", 10), ("b", 20)] {
            group.spawn(nap(l.clone(), name, millis));
        }
        let all = group.join_all().await;

        let mut group = TaskGroup::new();
        let first = group.spawn(async { 1 });
        let second = group.spawn(async { 2 });
        let ids = [
            group.join_next_with_id().await.unwrap(),
            group.join_next_with_id().await.unwrap(),
        ];
        let ids_match = ids == [(first, Ok(1)), (second, Ok(2))];
        group.spawn(async {
            rt::sleep(ms(5)).await;
            3
        });
        group.spawn(async { 4 });
        (all, group.await, ids_match)
    });
    assert_eq!(all, [Ok("c"), Ok("a"), Ok("b")]);
    assert_eq!(awaited, [Ok(3), Ok(4)]);
    assert!(ids_match);
    assert!(kernel.is_empty());
}

#[test]
fn a_panicking_member_cancels_the_others_at_once_and_their_destructors_run() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let reports = capture_reports(&mut kernel);
    let l = log.clone();
    let results = kernel.block_on(async move {
        let group = TaskGroup::new();
        group.spawn(nap(l.clone(), "sleeper 1", HOUR.as_millis() as u64));
        let l2 = l.clone();
        group.spawn(async move {
            rt::sleep(ms(50)).await;
            push(&l2, format!("failing@{:?}", rt::now()));
            panic!("out of coffee");
        });
        group.spawn(nap(l.clone(), "sleeper 2", HOUR.as_millis() as u64));
        // The owner does something else meanwhile: the cancellation does not wait for it.
        rt::sleep(ms(100)).await;
        push(&l, format!("owner@{:?}", rt::now()));
        assert!(group.has_failed());
        assert_eq!(group.len(), 3, "three results wait in the group");
        group.await
    });
    assert_eq!(
        results,
        [
            Err(JoinError::Killed),
            Err(JoinError::Panicked("out of coffee".into())),
            Err(JoinError::Killed),
        ]
    );
    assert_eq!(
        entries(&log),
        [
            "failing@50ms",
            "drop sleeper 1",
            "drop sleeper 2",
            "owner@100ms"
        ]
    );
    assert!(kernel.is_empty());
    // The panic is reported as any task's; the cancelled members are not.
    let reports = reports.borrow();
    let panics: Vec<_> = reports
        .iter()
        .filter_map(|r| match r {
            Report::Panicked { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(panics, ["out of coffee"]);
}

#[test]
fn in_a_failing_on_err_group_an_err_cancels_the_others_and_stays_among_the_results() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let (results, failed) = kernel.block_on(async move {
        let mut group = TaskGroup::failing_on_err();
        let l1 = l.clone();
        group.spawn(async move {
            nap(l1, "sleeper", HOUR.as_millis() as u64).await;
            Ok(1)
        });
        group.spawn(async {
            rt::sleep(ms(10)).await;
            Ok(2)
        });
        group.spawn(async {
            rt::sleep(ms(20)).await;
            Err("refused")
        });
        let mut results = Vec::new();
        while let Some(result) = group.join_next().await {
            results.push((result, rt::now()));
        }
        (results, group.has_failed())
    });
    assert!(failed);
    assert_eq!(
        results,
        [
            (Ok(Ok(2)), ms(10)),
            (Ok(Err("refused")), ms(20)),
            (Err(JoinError::Killed), ms(20)),
        ]
    );
    assert_eq!(entries(&log), ["drop sleeper"]);

    // In a plain group an `Err` is a value like any other.
    let (results, failed) = virtual_kernel().block_on(async {
        let group = TaskGroup::new();
        group.spawn(async {
            rt::sleep(ms(10)).await;
            Ok::<_, &str>(1)
        });
        group.spawn(async { Err("refused") });
        let failed = group.has_failed();
        (group.await, failed)
    });
    assert_eq!(results, [Ok(Ok(1)), Ok(Err("refused"))]);
    assert!(!failed);
}

#[test]
fn a_member_spawned_after_the_failure_is_cancelled_before_it_runs() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let result = virtual_kernel().block_on(async move {
        let mut group = TaskGroup::new();
        group.spawn(async { panic!("broken") });
        assert!(group.join_next().await.unwrap().is_err());
        group.spawn(async move { r.set(true) });
        group.join_next().await
    });
    assert_eq!(result, Some(Err(JoinError::Killed)));
    assert!(!ran.get());
}

#[test]
fn dropping_the_group_cancels_every_member_still_alive_and_drops_the_results_not_joined() {
    let log = new_log();
    let results = Counter::default();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let rc = results.clone();
    kernel.block_on(async move {
        let group = TaskGroup::new();
        for name in ["a", "b", "c"] {
            let (l, rc) = (l.clone(), rc.clone());
            group.spawn(async move {
                nap(l, name, HOUR.as_millis() as u64).await;
                rc.make()
            });
        }
        for _ in 0..2 {
            let rc = rc.clone();
            group.spawn(async move { rc.make() });
        }
        rt::sleep(ms(10)).await;
        assert_eq!(rc.live(), 2, "two results wait in the group");
        push(&l, "dropping");
        drop(group);
        push(&l, "dropped");
        assert_eq!(rc.live(), 0);
        assert_eq!(rt::now(), ms(10));
    });
    assert_eq!(
        entries(&log),
        ["dropping", "drop a", "drop b", "drop c", "dropped"]
    );
    assert!(kernel.is_empty());
    assert_eq!(results.live(), 0);
}

#[test]
fn a_group_left_in_block_on_s_future_takes_its_members_with_it() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let out = kernel.block_on(async move {
        let group = TaskGroup::new();
        group.spawn(nap(l.clone(), "member", HOUR.as_millis() as u64));
        // Not awaited: block_on's future returns with the group in it.
        rt::spawn(nap(l.clone(), "plain task", 10)).detach();
        rt::sleep(ms(1)).await;
        "out"
    });
    assert_eq!(out, "out");
    assert_eq!(entries(&log), ["drop member"]);
    // The plain task is no member: it was left to the kernel, and runs on.
    assert_eq!(kernel.len(), 1);
    kernel.run();
    assert_eq!(
        entries(&log),
        ["drop member", "plain task@10ms", "drop plain task"]
    );
}

#[test]
fn a_timeout_around_join_all_cancels_the_members() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let got = kernel.block_on(async move {
        let group = TaskGroup::new();
        group.spawn(nap(l.clone(), "quick", 10));
        group.spawn(nap(l.clone(), "slow", HOUR.as_millis() as u64));
        rt::timeout(ms(100), group.join_all()).await
    });
    assert!(got.is_err());
    assert_eq!(entries(&log), ["quick@10ms", "drop quick", "drop slow"]);
    assert!(kernel.is_empty());
}

#[test]
fn abort_all_cancels_the_members_alive_and_the_group_goes_on() {
    let log = new_log();
    let l = log.clone();
    let results = virtual_kernel().block_on(async move {
        let mut group = TaskGroup::new();
        group.spawn(nap(l.clone(), "a", 10));
        group.spawn(nap(l.clone(), "b", HOUR.as_millis() as u64));
        rt::sleep(ms(20)).await;
        group.abort_all();
        assert!(!group.has_failed());
        group.spawn(nap(l.clone(), "c", 5));
        let mut results = Vec::new();
        while let Some(result) = group.join_next().await {
            results.push(result);
        }
        results
    });
    assert_eq!(results, [Ok("a"), Err(JoinError::Killed), Ok("c")]);
    assert_eq!(
        entries(&log),
        ["a@10ms", "drop a", "drop b", "c@25ms", "drop c"]
    );
}

#[test]
fn a_destructor_that_panics_while_the_group_cancels_is_contained() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("bomb in a destructor");
        }
    }
    let log = new_log();
    let mut kernel = virtual_kernel();
    let reports = capture_reports(&mut kernel);
    let l = log.clone();
    let results = kernel.block_on(async move {
        let group = TaskGroup::new();
        group.spawn(async {
            let _bomb = Bomb;
            rt::sleep(HOUR).await;
        });
        group.spawn(async move {
            let _guard = Guard::new("other", &l);
            rt::sleep(HOUR).await;
        });
        group.spawn(async {
            rt::sleep(ms(5)).await;
            panic!("first failure");
        });
        group.await
    });
    assert_eq!(
        results,
        [
            Err(JoinError::Killed),
            Err(JoinError::Killed),
            Err(JoinError::Panicked("first failure".into())),
        ]
    );
    assert_eq!(entries(&log), ["drop other"]);
    assert!(kernel.is_empty());
    let messages: Vec<String> = reports.borrow().iter().map(|r| r.to_string()).collect();
    assert!(
        messages.iter().any(|m| m.contains("bomb in a destructor")),
        "{messages:?}"
    );
}

#[test]
fn thousands_of_groups_and_members_leave_nothing_behind() {
    let results = Counter::default();
    let rc = results.clone();
    let mut kernel = Kernel::new().with_virtual_clock();
    kernel.block_on(async move {
        for round in 0..200u64 {
            let mut group = TaskGroup::new();
            for i in 0..20u64 {
                let rc = rc.clone();
                group.spawn(async move {
                    rt::sleep(ms(i % 3)).await;
                    if round % 7 == 0 && i == 5 {
                        panic!("round {round} fails");
                    }
                    rc.make()
                });
            }
            // Joined in full, in part, or not at all.
            match round % 3 {
                0 => drop(group.join_all().await),
                1 => drop(group.join_next().await),
                _ => {}
            }
        }
    });
    assert_eq!(results.live(), 0);
    assert!(kernel.is_empty());
    assert_eq!(Rc::strong_count(&results.0), 1);
}

#[test]
#[should_panic(expected = "this must be called from a task or future run by resumable's kernel")]
fn a_group_is_made_inside_a_loop() {
    let _ = TaskGroup::<()>::new();
}
