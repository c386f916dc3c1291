//! `resumable::sched::RoundRobin`: FIFO order, fairness when tasks finish, spawning while
//! running, return values, and the edge cases (no tasks, tasks that never yield, many tasks).

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;

use resumable::prelude::*;
use resumable::sched::{Event, RoundRobin, Step, TaskId};

/// Yields `label` followed by 1, 2, …, `n` (e.g. "a1", "a2"), then returns `n`.
#[generator(yield = String)]
fn numbered(label: &'static str, n: u32) -> u32 {
    for i in 1..=n {
        yield_!(format!("{label}{i}"));
    }
    n
}

/// The remaining events as `"name:value"` strings.
fn drain(sched: &mut RoundRobin<'_, String, u32>) -> Vec<String> {
    sched
        .by_ref()
        .map(|e| format!("{}:{}", e.name, e.value))
        .collect()
}

/// The remaining turns, `"value"` for a yield and `"name done"` for a return.
fn trace(sched: &mut RoundRobin<'_, String, u32>) -> Vec<String> {
    std::iter::from_fn(|| sched.step())
        .map(|step| match step {
            Step::Yielded(event) => event.value,
            Step::Finished { name, .. } => format!("{name} done"),
        })
        .collect()
}

/// A generator that returns at once: its first turn ends it, and it yields nothing.
struct Immediately(Option<u32>);

impl Generator<()> for Immediately {
    type Yield = String;
    type Return = u32;
    fn resume(mut self: Pin<&mut Self>, (): ()) -> GeneratorState<String, u32> {
        GeneratorState::Complete(self.0.take().expect("resumed after it returned"))
    }
}

#[test]
fn tasks_run_in_spawn_order_one_step_each_per_turn() {
    let mut sched = RoundRobin::new();
    let a = sched.spawn("a", numbered("a", 2));
    let b = sched.spawn("b", numbered("b", 2));
    let c = sched.spawn("c", numbered("c", 2));
    assert_eq!(sched.len(), 3);

    let events: Vec<Event<String>> = sched.by_ref().collect();
    let expected = [(a, "a", "a1"), (b, "b", "b1"), (c, "c", "c1")]
        .into_iter()
        .chain([(a, "a", "a2"), (b, "b", "b2"), (c, "c", "c2")])
        .map(|(id, name, value)| Event {
            id,
            name: name.into(),
            value: value.into(),
        })
        .collect::<Vec<_>>();
    assert_eq!(events, expected);
    assert!(sched.is_empty());
    assert_eq!(sched.turns(), 9); // 6 yields and 3 returns
}

#[test]
fn a_task_finishing_mid_pass_does_not_cost_the_next_task_its_turn() {
    // "b" returns in the middle of the second pass; "c", behind it, must still run in that pass.
    let mut sched = RoundRobin::new();
    sched.spawn("a", numbered("a", 3));
    sched.spawn("b", numbered("b", 1));
    sched.spawn("c", numbered("c", 3));
    assert_eq!(
        trace(&mut sched),
        [
            "a1", "b1", "c1", // pass 1
            "a2", "b done", "c2", // pass 2: c keeps its turn
            "a3", "c3", // pass 3
            "a done", "c done",
        ]
    );
}

#[test]
fn tasks_finishing_back_to_back_or_at_the_end_of_the_queue_skip_no_one() {
    // b and c return in consecutive turns, then e (last in the queue) returns: a and d must
    // still get one turn per pass, in order.
    let mut sched = RoundRobin::new();
    sched.spawn("a", numbered("a", 3));
    sched.spawn("b", numbered("b", 1));
    sched.spawn("c", numbered("c", 1));
    sched.spawn("d", numbered("d", 3));
    sched.spawn("e", numbered("e", 1));
    assert_eq!(
        trace(&mut sched),
        [
            "a1", "b1", "c1", "d1", "e1", // pass 1
            "a2", "b done", "c done", "d2", "e done", // pass 2
            "a3", "d3", // pass 3
            "a done", "d done",
        ]
    );
}

#[test]
fn the_event_iterator_skips_finishing_turns_without_skipping_tasks() {
    let mut sched = RoundRobin::new();
    sched.spawn("a", numbered("a", 3));
    sched.spawn("b", numbered("b", 1));
    sched.spawn("c", numbered("c", 3));
    assert_eq!(
        drain(&mut sched),
        ["a:a1", "b:b1", "c:c1", "a:a2", "c:c2", "a:a3", "c:c3"]
    );
}

#[test]
fn a_task_spawned_while_running_joins_the_end_of_the_queue() {
    let mut sched = RoundRobin::new();
    sched.spawn("a", numbered("a", 3));
    sched.spawn("b", numbered("b", 3));

    let mut seen = Vec::new();
    let mut c = None;
    while let Some(event) = sched.next() {
        seen.push(event.value);
        if seen.len() == 1 {
            // After a1 the queue is [b, a]; c goes behind a, which already had its turn.
            c = Some(sched.spawn("c", numbered("c", 2)));
            assert_eq!(sched.len(), 3);
        }
    }
    assert_eq!(seen, ["a1", "b1", "a2", "c1", "b2", "a3", "c2", "b3"]);
    assert_eq!(c.map(TaskId::get), Some(3));
}

#[test]
fn a_task_spawned_after_a_finishing_turn_runs_after_the_waiting_tasks() {
    let mut sched = RoundRobin::new();
    sched.spawn("a", numbered("a", 1));
    sched.spawn("b", numbered("b", 2));

    let mut seen = Vec::new();
    while let Some(step) = sched.step() {
        if let Step::Finished { name, .. } = &step {
            if &**name == "a" {
                sched.spawn("c", numbered("c", 1)); // the queue is [b]: c runs after b
            }
        }
        seen.push(match step {
            Step::Yielded(event) => event.value,
            Step::Finished { name, .. } => format!("{name} done"),
        });
    }
    assert_eq!(seen, ["a1", "b1", "a done", "b2", "c1", "b done", "c done"]);
}

#[test]
fn a_drained_scheduler_runs_tasks_spawned_afterwards() {
    let mut sched = RoundRobin::new();
    sched.spawn("a", numbered("a", 1));
    assert_eq!(drain(&mut sched), ["a:a1"]);
    assert_eq!(sched.next(), None);

    sched.spawn("b", numbered("b", 2));
    assert_eq!(drain(&mut sched), ["b:b1", "b:b2"]);
}

#[test]
fn return_values_are_kept_per_task_and_handed_out_once() {
    let mut sched = RoundRobin::new();
    let a = sched.spawn("a", numbered("a", 3));
    let b = sched.spawn("b", numbered("b", 1));
    let c = sched.spawn("c", numbered("c", 2));
    assert_eq!(sched.take_return(b), None); // not finished yet

    let mut events = 0;
    sched.run(|_, _, _| events += 1);
    assert_eq!(events, 6);

    assert_eq!(sched.take_return(a), Some(3));
    assert_eq!(sched.take_return(a), None);
    let rest: Vec<(TaskId, String, u32)> = sched
        .take_returns()
        .into_iter()
        .map(|(id, name, ret)| (id, name.to_string(), ret))
        .collect();
    assert_eq!(rest, [(b, "b".into(), 1), (c, "c".into(), 2)]); // in finishing order
    assert!(sched.take_returns().is_empty());
}

#[test]
fn take_returns_lists_tasks_in_the_order_they_finished() {
    let mut sched = RoundRobin::new();
    let slow = sched.spawn("slow", numbered("slow", 3));
    let fast = sched.spawn("fast", numbered("fast", 1));
    let mid = sched.spawn("mid", numbered("mid", 2));
    sched.run(|_, _, _| {});
    let order: Vec<TaskId> = sched
        .take_returns()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    assert_eq!(order, [fast, mid, slow]);
}

#[test]
fn spawn_map_converts_other_return_types() {
    let mut sched: RoundRobin<'_, u8, String> = RoundRobin::new();
    let text = sched.spawn("text", coroutine! { yield 1; String::from("text") });
    let number = sched.spawn_map("number", coroutine! { yield 2; 42_u64 }, |n| n.to_string());
    let unit = sched.spawn_map("unit", coroutine! { yield 3; }, |()| "unit".to_string());

    let values: Vec<u8> = sched.by_ref().map(|e| e.value).collect();
    assert_eq!(values, [1, 2, 3]);
    assert_eq!(sched.take_return(text).as_deref(), Some("text"));
    assert_eq!(sched.take_return(number).as_deref(), Some("42"));
    assert_eq!(sched.take_return(unit).as_deref(), Some("unit"));
}

#[test]
fn an_empty_scheduler_has_nothing_to_do() {
    let mut sched: RoundRobin<'_, String, u32> = RoundRobin::default();
    assert!(sched.is_empty());
    assert_eq!(sched.len(), 0);
    assert_eq!(sched.step(), None);
    assert_eq!(sched.next(), None);
    let mut called = false;
    sched.run(|_, _, _| called = true);
    assert!(!called);
    assert_eq!(sched.turns(), 0);
    assert!(sched.take_returns().is_empty());
    assert_eq!(
        format!("{sched:?}"),
        "RoundRobin { ready: [], finished: [], turns: 0 }"
    );
}

#[test]
fn a_generator_that_returns_at_once_yields_nothing_and_keeps_its_return_value() {
    let mut sched = RoundRobin::new();
    let a = sched.spawn("a", numbered("a", 2));
    let now = sched.spawn("now", Immediately(Some(7)));
    let empty = sched.spawn("empty", numbered("empty", 0)); // a #[generator] with no yield run
    let b = sched.spawn("b", numbered("b", 2));

    assert_eq!(
        trace(&mut sched),
        [
            "a1",
            "now done",
            "empty done",
            "b1",
            "a2",
            "b2",
            "a done",
            "b done"
        ]
    );
    assert_eq!(sched.take_return(now), Some(7));
    assert_eq!(sched.take_return(empty), Some(0));
    assert_eq!(
        (sched.take_return(a), sched.take_return(b)),
        (Some(2), Some(2))
    );
}

#[test]
fn only_tasks_that_return_at_once_produce_no_events() {
    let mut sched = RoundRobin::new();
    sched.spawn("x", Immediately(Some(1)));
    sched.spawn("y", Immediately(Some(2)));
    assert_eq!(sched.next(), None);
    assert_eq!(sched.turns(), 2);
    let returns: Vec<u32> = sched
        .take_returns()
        .into_iter()
        .map(|(_, _, r)| r)
        .collect();
    assert_eq!(returns, [1, 2]);
}

#[test]
fn many_tasks_take_turns_in_order() {
    // Fewer under Miri, which runs this a thousand times slower.
    const TASKS: u32 = if cfg!(miri) { 70 } else { 1000 };
    let length = |i: u32| i % 7; // how many values task i yields: 0 to 6
    let mut sched = RoundRobin::new();
    let ids: Vec<TaskId> = (0..TASKS)
        .map(|i| {
            sched.spawn(
                format!("t{i}"),
                coroutine! { for k in 0..length(i) { yield (i, k); } i },
            )
        })
        .collect();
    assert_eq!(sched.len(), TASKS as usize);
    assert!(ids
        .windows(2)
        .all(|w| w[0] < w[1] && w[1].get() == w[0].get() + 1));

    // Pass k resumes, in spawn order, every task that still has a k-th value.
    let expected: Vec<(u32, u32)> = (0..7)
        .flat_map(|k| {
            (0..TASKS)
                .filter(move |&i| length(i) > k)
                .map(move |i| (i, k))
        })
        .collect();
    let mut events = Vec::new();
    sched.run(|id, name, value| {
        assert_eq!(id, ids[value.0 as usize]);
        assert_eq!(name, format!("t{}", value.0));
        events.push(value);
    });
    assert_eq!(events, expected);
    assert_eq!(sched.turns(), events.len() as u64 + u64::from(TASKS));

    let mut returns = sched.take_returns();
    assert_eq!(returns.len(), TASKS as usize);
    returns.sort_by_key(|(id, _, _)| *id);
    assert!(returns
        .iter()
        .zip(0..)
        .all(|((id, _, ret), i)| *ret == i && *id == ids[i as usize]));
}

#[test]
fn tasks_may_borrow_from_the_caller() {
    let text = String::from("one two three");
    let numbers = vec![1, 2];
    let mut sched: RoundRobin<'_, String> = RoundRobin::new();
    // `coroutine!` captures by move, so move references in.
    let (text_ref, numbers_ref) = (text.as_str(), numbers.as_slice());
    sched.spawn(
        "words",
        coroutine! { for w in text_ref.split(' ') { yield w.to_string(); } },
    );
    sched.spawn(
        "numbers",
        coroutine! { for n in numbers_ref { yield n.to_string(); } },
    );
    let values: Vec<String> = sched.by_ref().map(|e| e.value).collect();
    assert_eq!(values, ["one", "1", "two", "2", "three"]);
    drop(sched);
    assert_eq!(text.len() + numbers.len(), 15); // still ours
}

#[test]
fn pinned_generators_can_be_spawned() {
    let mut sched = RoundRobin::new();
    let id = sched.spawn("pinned", coroutine!(pinned { yield 1; yield 2; "done" }));
    assert_eq!(sched.by_ref().map(|e| e.value).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(sched.take_return(id), Some("done"));
}

#[test]
fn dropping_the_scheduler_drops_unfinished_tasks() {
    struct Guard(Rc<RefCell<Vec<&'static str>>>, &'static str);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.borrow_mut().push(self.1);
        }
    }

    let log = Rc::new(RefCell::new(Vec::new()));
    let mut sched = RoundRobin::new();
    for name in ["first", "second"] {
        let log = Rc::clone(&log);
        sched.spawn(
            name,
            coroutine! { let _guard = Guard(log, name); yield 1; yield 2; },
        );
    }
    assert_eq!(sched.by_ref().take(2).count(), 2);
    assert!(log.borrow().is_empty());
    drop(sched);
    assert_eq!(*log.borrow(), ["first", "second"]);
}

#[test]
fn a_panicking_task_is_dropped_and_the_others_keep_running() {
    let mut sched = RoundRobin::new();
    sched.spawn("a", numbered("a", 2));
    sched.spawn(
        "boom",
        coroutine! { yield "boom1".to_string(); panic!("task failed"); },
    );
    sched.spawn("c", numbered("c", 2));

    assert_eq!(
        sched.by_ref().take(4).map(|e| e.value).collect::<Vec<_>>(),
        ["a1", "boom1", "c1", "a2"]
    );
    let panic = panic::catch_unwind(AssertUnwindSafe(|| sched.next())).unwrap_err();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"task failed"));
    assert_eq!(sched.len(), 2); // "boom" is gone
    assert_eq!(trace(&mut sched), ["c2", "a done", "c done"]);
}

#[test]
fn task_ids_and_the_scheduler_print_readably() {
    let mut sched = RoundRobin::new();
    let a = sched.spawn("a", numbered("a", 1));
    let b = sched.spawn("b", numbered("b", 2));
    assert_eq!(
        (a.to_string(), format!("{b:?}")),
        ("#1".to_string(), "TaskId(2)".to_string())
    );
    assert_eq!(
        format!("{sched:?}"),
        r#"RoundRobin { ready: [#1 "a", #2 "b"], finished: [], turns: 0 }"#
    );
    assert_eq!(sched.by_ref().take(3).count(), 3); // a1 b1 (a returns) b2
    assert_eq!(
        format!("{sched:?}"),
        r#"RoundRobin { ready: [#2 "b"], finished: [#1 "a"], turns: 4 }"#
    );
}
