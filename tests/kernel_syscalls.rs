//! `resumable::kernel`: every system call (get id, now, spawn, kill, cancel, join, sleep,
//! yield), contained panics, the slow-task warning, `snapshot()`, tasks pending at drop and
//! join cycles. Everything runs on the virtual clock unless real time is the point.

mod kernel_common;

use std::cell::RefCell;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use kernel_common::{capture_reports, entries, new_log, passes, push, task_id, Guard, Log, Res};
use resumable::kernel::{
    sys, Cancelled, JoinError, Kernel, Reply, Report, Syscall, Task, TaskId, TaskState,
};
use resumable::prelude::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const HOUR: Duration = Duration::from_secs(3600);

/// A virtual-clock kernel without the slow-task warning, for tests that check every report:
/// a panic's backtrace, or a loaded machine, can make an ordinary step look slow.
fn quiet_kernel() -> Kernel {
    Kernel::new()
        .with_virtual_clock()
        .with_slow_task_threshold(None)
}

/// What `sys::join::<Res<T>>` hands back.
type Joined<T> = Result<Res<T>, JoinError>;

// ---------------------------------------------------------------------------------------------
// Tasks used by several tests

/// Returns its own id.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn whoami() -> Res<TaskId> {
    yield_from!(sys::get_id())
}

/// Sleeps, then returns `value`.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleep_then<T: 'static>(nap: Duration, value: T) -> Res<T> {
    yield_from!(sys::sleep(nap))?;
    Ok(value)
}

/// Holds a guard and sleeps for an hour, unless something happens to it first.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn dozes(log: Log, name: &'static str) -> Res<u32> {
    let _guard = Guard::new(name, &log);
    yield_from!(sys::sleep(HOUR))?;
    push(&log, format!("{name} woke"));
    Ok(1)
}

/// Waits for `target` and returns how it ended.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins<T: 'static>(target: TaskId) -> Res<Result<T, JoinError>> {
    yield_from!(sys::join::<T>(target))
}

// ---------------------------------------------------------------------------------------------
// get_id, now, spawn

#[test]
fn get_id_answers_the_id_spawn_returned() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let ids: Vec<TaskId> = ["a", "b", "c"]
        .into_iter()
        .map(|name| kernel.spawn(name, whoami()))
        .collect();
    assert_eq!(
        ids.iter().map(|id| id.get()).collect::<Vec<_>>(),
        [1, 2, 3],
        "ids are handed out in spawn order from 1"
    );
    kernel.run();
    for id in ids {
        assert_eq!(kernel.take_return::<Res<TaskId>>(id), Ok(Ok(id)));
    }
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn reads_the_clock() -> Res<Vec<Duration>> {
    let mut seen = vec![yield_from!(sys::now())?];
    yield_from!(sys::sleep(ms(1500)))?;
    seen.push(yield_from!(sys::now())?);
    yield_from!(sys::sleep(ms(250)))?;
    seen.push(yield_from!(sys::now())?);
    yield_from!(sys::yield_now())?;
    seen.push(yield_from!(sys::now())?);
    yield_from!(sys::sleep(Duration::ZERO))?;
    seen.push(yield_from!(sys::now())?);
    Ok(seen)
}

#[test]
fn now_reads_the_virtual_clock_exactly() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("clock", reads_the_clock());
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Vec<Duration>>>(id),
        Ok(Ok(vec![
            Duration::ZERO,
            ms(1500),
            ms(1750),
            ms(1750),
            ms(1750)
        ])),
        "sleeps move the virtual clock by exactly their duration; yields do not move it"
    );
    assert_eq!(kernel.now(), ms(1750));
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn child(log: Log) -> Res<TaskId> {
    push(&log, "child runs");
    yield_from!(sys::get_id())
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn parent(log: Log) -> Res<(TaskId, Joined<TaskId>)> {
    push(&log, "parent spawns");
    let id = yield_from!(sys::spawn(Task::new("child", child(log.clone()))))?;
    push(&log, "parent spawned");
    let said = yield_from!(sys::join::<Res<TaskId>>(id))?;
    push(&log, "parent joined");
    Ok((id, said))
}

#[test]
fn spawn_from_inside_a_task_starts_a_child_that_runs_in_the_next_pass() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let parent_id = kernel.spawn("parent", parent(log.clone()));
    kernel.run();
    let (child_id, said) = kernel
        .take_return::<Res<(TaskId, Joined<TaskId>)>>(parent_id)
        .unwrap()
        .unwrap();
    assert_eq!(child_id.get(), parent_id.get() + 1);
    assert_eq!(
        said,
        Ok(Ok(child_id)),
        "the child saw the id spawn returned"
    );
    assert_eq!(
        entries(&log),
        [
            "parent spawns",
            "parent spawned", // spawn is answered within the parent's turn
            "child runs",     // the child runs in the next pass
            "parent joined"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// kill

/// Holds a guard of its own while it delegates to [`dozes`].
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn victim(log: Log) -> Res<u32> {
    let _guard = Guard::new("victim", &log);
    let slept = yield_from!(dozes(log.clone(), "victim's sub-generator"))?;
    push(&log, "victim went on");
    Ok(slept)
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn killer(log: Log, target: TaskId) -> Res<(bool, bool)> {
    yield_from!(sys::sleep(ms(1)))?;
    push(&log, "kill");
    let alive = yield_from!(sys::kill(target))?;
    push(&log, "killed");
    let again = yield_from!(sys::kill(target))?;
    Ok((alive, again))
}

#[test]
fn kill_runs_the_targets_destructors_and_its_joiners_get_killed() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let target = kernel.spawn("victim", victim(log.clone()));
    let joiner = kernel.spawn("joiner", joins::<Res<u32>>(target));
    let killer = kernel.spawn("killer", killer(log.clone(), target));
    kernel.run();

    assert_eq!(
        entries(&log),
        [
            "kill",
            "drop victim's sub-generator",
            "drop victim",
            "killed"
        ],
        "the destructors run during the kill call, innermost first, and nothing after the yield"
    );
    assert_eq!(
        kernel.take_return::<Res<(bool, bool)>>(killer),
        Ok(Ok((true, false))),
        "kill says whether the task was alive"
    );
    assert_eq!(
        kernel.take_return::<Res<Joined<u32>>>(joiner),
        Ok(Ok(Err(JoinError::Killed)))
    );
    assert_eq!(
        kernel.take_return::<Res<u32>>(target),
        Err(JoinError::Killed)
    );
    assert_eq!(
        kernel.now(),
        ms(1),
        "the killed task's one-hour timer is forgotten, not waited for"
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn kills_itself(log: Log) -> Res<u32> {
    let _guard = Guard::new("suicide", &log);
    let me = yield_from!(sys::get_id())?;
    push(&log, "killing myself");
    yield_from!(sys::kill(me))?;
    push(&log, "still here");
    Ok(1)
}

#[test]
fn a_task_that_kills_itself_ends_at_that_call() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("suicide", kills_itself(log.clone()));
    kernel.run();
    assert_eq!(entries(&log), ["killing myself", "drop suicide"]);
    assert_eq!(kernel.take_return::<Res<u32>>(id), Err(JoinError::Killed));
}

#[test]
fn kernel_kill_from_outside_closes_a_task_between_passes() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("dozer", dozes(log.clone(), "dozer"));
    assert!(kernel.run_once());
    assert!(entries(&log).is_empty());
    assert!(kernel.kill(id));
    assert_eq!(entries(&log), ["drop dozer"]);
    assert!(!kernel.kill(id), "a second kill finds nothing alive");
    assert!(kernel.is_empty());
    kernel.run();
    assert_eq!(kernel.now(), Duration::ZERO);
}

// ---------------------------------------------------------------------------------------------
// cancel

/// The innermost generator: catches the cancellation at its yield, cleans up (with more system
/// calls), then lets it propagate.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn innermost(log: Log) -> Res<&'static str> {
    let _guard = Guard::new("innermost", &log);
    match yield_!(Syscall::Sleep(HOUR)) {
        Ok(_) => Ok("slept an hour"),
        Err(Cancelled) => {
            push(&log, "innermost caught Cancelled");
            yield_from!(sys::sleep(ms(5)))?;
            let at = yield_from!(sys::now())?;
            push(&log, format!("innermost cleaned up at {at:?}"));
            Err(Cancelled)
        }
    }
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn middle(log: Log) -> Res<&'static str> {
    let _guard = Guard::new("middle", &log);
    let result = yield_from!(innermost(log.clone()));
    push(&log, format!("middle got {result:?}"));
    result
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn outer(log: Log) -> Res<&'static str> {
    match yield_from!(middle(log.clone())) {
        Ok(s) => Ok(s),
        Err(Cancelled) => {
            push(&log, "outer got Cancelled");
            Ok("cancelled cleanly")
        }
    }
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn canceller<T: 'static>(log: Log, target: TaskId, after: Duration) -> Res<(bool, Joined<T>)> {
    yield_from!(sys::sleep(after))?;
    push(&log, "cancel");
    let alive = yield_from!(sys::cancel(target))?;
    push(&log, "cancel answered");
    let joined = yield_from!(sys::join::<Res<T>>(target))?;
    push(&log, "joined");
    Ok((alive, joined))
}

#[test]
fn cancel_throws_into_the_innermost_generator_whose_cleanup_may_yield() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let target = kernel.spawn("outer", outer(log.clone()));
    let canceller = kernel.spawn(
        "canceller",
        canceller::<&'static str>(log.clone(), target, ms(10)),
    );
    kernel.run();

    assert_eq!(
        entries(&log),
        [
            "cancel",
            // Cancel is answered within the canceller's turn; the throw happens when the
            // target runs, in the next pass.
            "cancel answered",
            "innermost caught Cancelled",
            "innermost cleaned up at 15ms",
            "drop innermost",
            "middle got Err(Cancelled)",
            "drop middle",
            "outer got Cancelled",
            "joined",
        ]
    );
    assert_eq!(
        kernel.take_return::<Res<(bool, Joined<&str>)>>(canceller),
        Ok(Ok((true, Ok(Ok("cancelled cleanly")))))
    );
    assert_eq!(
        kernel.now(),
        ms(15),
        "cancelled at 10ms, cleaned up for 5ms"
    );
}

#[test]
fn cancel_comes_out_of_a_sys_helper_as_err_cancelled() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let target = kernel.spawn("dozer", dozes(log.clone(), "dozer"));
    let canceller = kernel.spawn("canceller", canceller::<u32>(log.clone(), target, ms(3)));
    kernel.run();
    assert_eq!(
        entries(&log),
        ["cancel", "cancel answered", "drop dozer", "joined"],
        "the `?` after sys::sleep returned Err(Cancelled): the rest of the task never ran"
    );
    assert_eq!(
        kernel.take_return::<Res<(bool, Joined<u32>)>>(canceller),
        Ok(Ok((true, Ok(Err(Cancelled)))))
    );
    assert_eq!(kernel.now(), ms(3));
}

/// A task whose resume type is plain `Reply`: nothing can be thrown into it.
#[generator(yield = Syscall, resume = Reply)]
fn not_cancellable(log: Log) -> u32 {
    let _guard = Guard::new("plain", &log);
    let reply = yield_!(Syscall::Sleep(HOUR));
    push(&log, format!("plain woke with {reply:?}"));
    1
}

#[test]
fn cancel_kills_a_task_that_cannot_be_thrown_into() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let target = kernel.spawn("plain", not_cancellable(log.clone()));
    let canceller = kernel.spawn("canceller", canceller::<u32>(log.clone(), target, ms(2)));
    kernel.run();
    assert_eq!(
        entries(&log),
        ["cancel", "drop plain", "cancel answered", "joined"]
    );
    assert_eq!(
        kernel.take_return::<Res<(bool, Joined<u32>)>>(canceller),
        Ok(Ok((true, Err(JoinError::Killed))))
    );
    assert_eq!(kernel.now(), ms(2));
}

#[test]
fn cancel_of_a_finished_task_says_it_was_not_alive() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let target = kernel.spawn("quick", sleep_then(ms(1), 7_u32));
    let canceller = kernel.spawn("canceller", canceller::<u32>(log.clone(), target, ms(5)));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<(bool, Joined<u32>)>>(canceller),
        Ok(Ok((false, Ok(Ok(7))))),
        "the task had finished: nothing to cancel, and its return value is still there"
    );
    assert!(!kernel.cancel(target));
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn cancels_itself(log: Log) -> Res<&'static str> {
    let me = yield_from!(sys::get_id())?;
    match yield_from!(sys::cancel(me)) {
        Ok(alive) => {
            push(&log, format!("cancel answered {alive}"));
            Ok("not cancelled")
        }
        Err(Cancelled) => {
            push(&log, "Cancelled came out of the cancel call");
            yield_from!(sys::sleep(ms(1)))?;
            Ok("cleaned up")
        }
    }
}

#[test]
fn a_task_that_cancels_itself_gets_cancelled_at_that_call() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("self-cancel", cancels_itself(log.clone()));
    kernel.run();
    assert_eq!(entries(&log), ["Cancelled came out of the cancel call"]);
    assert_eq!(kernel.take_return::<Res<&str>>(id), Ok(Ok("cleaned up")));
}

#[test]
fn kernel_cancel_from_outside_throws_in_at_the_next_pass() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("outer", outer(log.clone()));
    assert!(kernel.run_once());
    assert!(kernel.cancel(id));
    assert!(entries(&log).is_empty(), "nothing runs until the next pass");
    kernel.run();
    assert_eq!(entries(&log)[0], "innermost caught Cancelled");
    assert_eq!(
        kernel.take_return::<Res<&str>>(id),
        Ok(Ok("cancelled cleanly"))
    );
    assert_eq!(kernel.now(), ms(5), "cancelled at 0, cleaned up for 5ms");
}

// ---------------------------------------------------------------------------------------------
// join

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn collects(
    early: TaskId,
    late: TaskId,
    unit: TaskId,
) -> Res<(Joined<String>, Joined<Vec<u8>>, Result<(), JoinError>)> {
    yield_from!(sys::sleep(ms(5)))?; // `early` has finished by now, `late` has not
    let early = yield_from!(sys::join::<Res<String>>(early))?;
    let late = yield_from!(sys::join::<Res<Vec<u8>>>(late))?;
    let unit = yield_from!(sys::join::<()>(unit))?;
    Ok((early, late, unit))
}

#[generator(yield = Syscall, resume = Reply)]
fn returns_unit() {
    let _ = yield_!(Syscall::YieldNow);
}

#[test]
fn join_delivers_return_values_of_tasks_finished_or_still_running() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let early = kernel.spawn("early", sleep_then(ms(1), String::from("first")));
    let late = kernel.spawn("late", sleep_then(ms(9), vec![1_u8, 2, 3]));
    let unit = kernel.spawn("unit", returns_unit());
    let collector = kernel.spawn("collector", collects(early, late, unit));
    kernel.run();
    type Collected = Res<(Joined<String>, Joined<Vec<u8>>, Result<(), JoinError>)>;
    assert_eq!(
        kernel.take_return::<Collected>(collector),
        Ok(Ok((Ok(Ok("first".into())), Ok(Ok(vec![1, 2, 3])), Ok(()))))
    );
    assert_eq!(kernel.now(), ms(9));
    assert_eq!(
        kernel.take_return::<Res<String>>(early),
        Err(JoinError::Taken),
        "the joiner took the value"
    );
}

#[test]
fn join_with_the_wrong_type_says_wrong_type() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let target = kernel.spawn("text", sleep_then(ms(1), String::from("text")));
    let joiner = kernel.spawn("joiner", joins::<u32>(target));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Result<u32, JoinError>>>(joiner),
        Ok(Ok(Err(JoinError::WrongType)))
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins_wrong_then_right(
    target: TaskId,
    after_it_ended: bool,
) -> Res<(Result<u32, JoinError>, Joined<String>)> {
    if after_it_ended {
        yield_from!(sys::sleep(ms(5)))?;
    }
    let wrong = yield_from!(sys::join::<u32>(target))?;
    let right = yield_from!(sys::join::<Res<String>>(target))?;
    Ok((wrong, right))
}

#[test]
fn join_with_the_wrong_type_keeps_the_value_for_a_join_with_the_right_one() {
    for after_it_ended in [false, true] {
        let mut kernel = Kernel::new().with_virtual_clock();
        let target = kernel.spawn("text", sleep_then(ms(1), String::from("kept")));
        let joiner = kernel.spawn("joiner", joins_wrong_then_right(target, after_it_ended));
        kernel.run();
        assert_eq!(
            kernel.take_return::<Res<(Result<u32, JoinError>, Joined<String>)>>(joiner),
            Ok(Ok((Err(JoinError::WrongType), Ok(Ok("kept".into()))))),
            "after_it_ended: {after_it_ended}"
        );
    }
}

#[test]
fn a_joiner_asking_for_the_wrong_type_leaves_the_value_to_the_next_joiner() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let target = kernel.spawn("target", sleep_then(ms(2), 42_u64));
    let wrong = kernel.spawn("wrong", joins::<String>(target));
    let right = kernel.spawn("right", joins::<Res<u64>>(target));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Result<String, JoinError>>>(wrong),
        Ok(Ok(Err(JoinError::WrongType)))
    );
    assert_eq!(
        kernel.take_return::<Res<Joined<u64>>>(right),
        Ok(Ok(Ok(Ok(42))))
    );
}

#[test]
fn a_second_joiner_gets_taken() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let target = kernel.spawn("target", sleep_then(ms(2), 42_u64));
    let first = kernel.spawn("first", joins::<Res<u64>>(target));
    let second = kernel.spawn("second", joins::<Res<u64>>(target));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Joined<u64>>>(first),
        Ok(Ok(Ok(Ok(42)))),
        "joiners are served in the order they joined"
    );
    assert_eq!(
        kernel.take_return::<Res<Joined<u64>>>(second),
        Ok(Ok(Err(JoinError::Taken)))
    );

    // A joiner that comes after the value was taken gets `Taken` too.
    let late = kernel.spawn("late", joins::<Res<u64>>(target));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Joined<u64>>>(late),
        Ok(Ok(Err(JoinError::Taken)))
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins_twice(target: TaskId) -> Res<(Result<(), JoinError>, Result<(), JoinError>)> {
    yield_from!(sys::sleep(ms(1)))?; // `target` has ended by now
    let first = yield_from!(sys::join::<()>(target))?;
    let second = yield_from!(sys::join::<()>(target))?;
    Ok((first, second))
}

#[test]
fn a_unit_return_value_is_taken_once_like_any_other() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let unit = kernel.spawn("unit", returns_unit());
    let joiner = kernel.spawn("joiner", joins_twice(unit));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<(Result<(), JoinError>, Result<(), JoinError>)>>(joiner),
        Ok(Ok((Ok(()), Err(JoinError::Taken))))
    );
}

#[test]
fn join_of_a_task_never_spawned_says_no_such_task() {
    let stranger = task_id(10); // this kernel hands out only one id
    let mut kernel = Kernel::new().with_virtual_clock();
    let joiner = kernel.spawn("joiner", joins::<()>(stranger));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Result<(), JoinError>>>(joiner),
        Ok(Ok(Err(JoinError::NoSuchTask)))
    );
    assert_eq!(
        kernel.take_return::<()>(stranger),
        Err(JoinError::NoSuchTask)
    );
}

#[test]
fn take_return_of_a_task_not_finished_says_so_and_takes_nothing() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("later", sleep_then(ms(1), 5_u8));
    // Not run yet, then asleep; a wrong type changes nothing while it is alive.
    assert_eq!(
        kernel.take_return::<Res<u8>>(id),
        Err(JoinError::NotFinished)
    );
    assert!(kernel.run_once());
    assert_eq!(
        kernel.take_return::<Res<u8>>(id),
        Err(JoinError::NotFinished)
    );
    assert_eq!(
        kernel.take_return::<String>(id),
        Err(JoinError::NotFinished)
    );
    kernel.run();
    assert_eq!(kernel.take_return::<Res<u8>>(id), Ok(Ok(5)));
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins_itself() -> Res<Result<(), JoinError>> {
    let me = yield_from!(sys::get_id())?;
    yield_from!(sys::join::<()>(me))
}

#[test]
fn join_of_itself_says_join_self_instead_of_waiting_forever() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("narcissus", joins_itself());
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Result<(), JoinError>>>(id),
        Ok(Ok(Err(JoinError::JoinSelf)))
    );
}

// ---------------------------------------------------------------------------------------------
// sleep and yield_now

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn naps(log: Log, name: &'static str, naps: Vec<u64>) -> Res<()> {
    for nap in naps {
        yield_from!(sys::sleep(ms(nap)))?;
    }
    let now = yield_from!(sys::now())?;
    push(&log, format!("{name} at {now:?}"));
    Ok(())
}

#[test]
fn sleepers_wake_in_deadline_order_and_ties_in_the_order_they_slept() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    for (name, nap) in [
        ("a", 30),
        ("b", 10),
        ("c", 20),
        ("d", 10),
        ("e", 30),
        ("f", 0),
    ] {
        kernel.spawn(name, naps(log.clone(), name, vec![nap]));
    }
    kernel.run();
    assert_eq!(
        entries(&log),
        [
            "f at 0ns",
            "b at 10ms",
            "d at 10ms",
            "c at 20ms",
            "a at 30ms",
            "e at 30ms"
        ]
    );
    assert_eq!(kernel.now(), ms(30));
}

#[test]
fn equal_deadlines_reached_from_different_naps_wake_in_the_order_the_naps_began() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    // All three wake at 20ms. The last nap of "late" began at 10ms, of "middle" at 5ms, of
    // "early" at 0.
    kernel.spawn("late", naps(log.clone(), "late", vec![10, 10]));
    kernel.spawn("middle", naps(log.clone(), "middle", vec![5, 15]));
    kernel.spawn("early", naps(log.clone(), "early", vec![20]));
    kernel.run();
    assert_eq!(
        entries(&log),
        ["early at 20ms", "middle at 20ms", "late at 20ms"]
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleeps_forever(log: Log) -> Res<()> {
    let _guard = Guard::new("forever", &log);
    yield_from!(sys::sleep(ms(1)))?;
    yield_from!(sys::sleep(Duration::MAX))?;
    push(&log, "the end of time");
    Ok(())
}

#[test]
fn sleeping_for_duration_max_is_sleeping_forever_not_a_crash() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let sleeper = kernel.spawn("forever", sleeps_forever(log.clone()));
    let killer = kernel.spawn("killer", kills_after(sleeper, ms(2)));
    kernel.run();
    assert_eq!(kernel.take_return::<Res<bool>>(killer), Ok(Ok(true)));
    assert_eq!(entries(&log), ["drop forever"]);
    assert_eq!(kernel.now(), ms(2));
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn yields(log: Log, name: &'static str, times: u32) -> Res<u32> {
    for i in 0..times {
        push(&log, format!("{name}{i}"));
        yield_from!(sys::yield_now())?;
    }
    Ok(times)
}

#[test]
fn yield_now_hands_the_turn_to_the_next_task() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let a = kernel.spawn("a", yields(log.clone(), "a", 3));
    kernel.spawn("b", yields(log.clone(), "b", 3));
    kernel.run();
    assert_eq!(entries(&log), ["a0", "b0", "a1", "b1", "a2", "b2"]);
    assert_eq!(kernel.take_return::<Res<u32>>(a), Ok(Ok(3)));
    assert_eq!(kernel.now(), Duration::ZERO, "yielding takes no time");
}

// ---------------------------------------------------------------------------------------------
// panics

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn bomb(log: Log) -> Res<u32> {
    let _guard = Guard::new("bomb", &log);
    yield_from!(sys::yield_now())?;
    push(&log, "bomb goes off");
    let code = 42;
    if code == 42 {
        panic!("boom {code}");
    }
    Ok(code)
}

#[test]
fn a_panicking_task_is_reported_and_contained_and_its_joiners_get_panicked() {
    let log = new_log();
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let steady = kernel.spawn("steady", yields(log.clone(), "steady", 4));
    let bomb = kernel.spawn("bomb", bomb(log.clone()));
    let joiner = kernel.spawn("joiner", joins::<Res<u32>>(bomb));
    let passes = passes(&mut kernel, &log);

    assert_eq!(
        passes,
        [
            vec!["steady0"],
            vec!["steady1", "bomb goes off", "drop bomb"],
            vec!["steady2"],
            vec!["steady3"],
        ],
        "the others keep their turns in the pass the bomb went off and after"
    );
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let Report::Panicked { id, name, message } = &reports[0] else {
        panic!("expected a panic report, got {:?}", reports[0]);
    };
    assert_eq!((*id, &**name, message.as_str()), (bomb, "bomb", "boom 42"));
    assert_eq!(
        reports[0].to_string(),
        format!("task {bomb} \"bomb\" panicked: boom 42")
    );
    assert_eq!(
        kernel.take_return::<Res<Joined<u32>>>(joiner),
        Ok(Ok(Err(JoinError::Panicked("boom 42".into()))))
    );
    assert_eq!(
        kernel.take_return::<Res<u32>>(bomb),
        Err(JoinError::Panicked("boom 42".into()))
    );
    assert_eq!(kernel.take_return::<Res<u32>>(steady), Ok(Ok(4)));
    assert!(kernel.is_empty());
}

/// Panics when dropped.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("destructor failed");
    }
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn fragile() -> Res<()> {
    let _bomb = PanicsOnDrop;
    yield_from!(sys::sleep(HOUR))
}

#[test]
fn a_destructor_panicking_when_its_task_is_killed_is_reported_as_that_task() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    kernel.spawn("bystander", sleep_then(ms(1), ()));
    let id = kernel.spawn("fragile", fragile());
    let killer = kernel.spawn("killer", kills_after(id, ms(2)));
    kernel.run();
    assert_eq!(kernel.take_return::<Res<bool>>(killer), Ok(Ok(true)));
    let reports: Vec<(TaskId, String, String)> = reports
        .borrow()
        .iter()
        .filter_map(|r| match r {
            Report::Panicked { id, name, message } => {
                Some((*id, name.to_string(), message.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        reports,
        [(id, "fragile".to_string(), "destructor failed".to_string())]
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn kills_after(target: TaskId, nap: Duration) -> Res<bool> {
    yield_from!(sys::sleep(nap))?;
    yield_from!(sys::kill(target))
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn panics_at_once() -> Res<()> {
    if Rc::new(()).as_ref() == &() {
        panic!("static message");
    }
    yield_from!(sys::yield_now())
}

#[test]
fn a_task_that_panics_before_its_first_yield_is_reported_too() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let id = kernel.spawn("early bomb", panics_at_once());
    let after = kernel.spawn("after", sleep_then(ms(1), "still ran"));
    kernel.run();
    let reports = reports.borrow();
    assert!(
        matches!(&reports[..], [Report::Panicked { id: i, name, message }]
            if *i == id && &**name == "early bomb" && message == "static message"),
        "{reports:?}"
    );
    assert_eq!(kernel.take_return::<Res<&str>>(after), Ok(Ok("still ran")));
}

// ---------------------------------------------------------------------------------------------
// the slow-task warning

type Lines = Rc<RefCell<Vec<u32>>>;

/// Holds the thread for `busy` between two yields written in this file, and records their lines.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn hog(lines: Lines, busy: Duration) -> Res<()> {
    let (line, _) = (line!(), yield_!(Syscall::YieldNow)?);
    lines.borrow_mut().push(line);
    std::thread::sleep(busy);
    let (line, _) = (line!(), yield_!(Syscall::YieldNow)?);
    lines.borrow_mut().push(line);
    Ok(())
}

fn slow_reports(reports: &[Report]) -> Vec<Report> {
    reports
        .iter()
        .filter(|r| matches!(r, Report::Slow { .. }))
        .cloned()
        .collect()
}

#[test]
fn a_task_holding_the_thread_too_long_is_reported_with_the_yields_around_the_slice() {
    let lines = Lines::default();
    let mut kernel = Kernel::new().with_slow_task_threshold(Some(ms(10)));
    let reports = capture_reports(&mut kernel);
    let (id, spawned_line) = (kernel.spawn("hog", hog(lines.clone(), ms(30))), line!());
    kernel.run();

    // Only the slice that slept counts; a quick slice pre-empted for 10ms on a loaded machine
    // would be reported too, but would not have run for 30ms.
    let slow: Vec<Report> = slow_reports(&reports.borrow())
        .into_iter()
        .filter(|r| matches!(r, Report::Slow { ran, .. } if *ran >= ms(30)))
        .collect();
    assert_eq!(slow.len(), 1, "{slow:?}");
    let Report::Slow {
        id: slow_id,
        name,
        from,
        to,
        ..
    } = &slow[0]
    else {
        unreachable!()
    };
    let (from, to) = (
        from.expect("began at a yield"),
        to.expect("ended at a yield"),
    );
    assert_eq!((*slow_id, &**name), (Some(id), "hog"));
    assert!(from.file().ends_with("kernel_syscalls.rs"), "{from}");
    assert!(to.file().ends_with("kernel_syscalls.rs"), "{to}");
    assert_eq!(
        vec![from.line(), to.line()],
        *lines.borrow(),
        "the slice began at the first yield and ended at the second"
    );
    let text = slow[0].to_string();
    assert!(
        text.starts_with(&format!(
            "task {id} \"hog\" (spawned at {}:{spawned_line}) held the thread for ",
            file!()
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            " without yielding, from {}:{} to {}:{}",
            from.file(),
            from.line(),
            to.file(),
            to.line()
        )),
        "{text}"
    );
}

/// Busy before its first yield, and again between its last yield and its return.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn hogs_at_both_ends(lines: Lines, busy: Duration) -> Res<()> {
    std::thread::sleep(busy);
    let (line, _) = (line!(), yield_!(Syscall::YieldNow)?);
    lines.borrow_mut().push(line);
    std::thread::sleep(busy);
    Ok(())
}

#[test]
fn a_slow_first_or_last_slice_names_the_start_or_the_return() {
    let lines = Lines::default();
    let mut kernel = Kernel::new().with_slow_task_threshold(Some(ms(10)));
    let reports = capture_reports(&mut kernel);
    kernel.spawn("ends", hogs_at_both_ends(lines.clone(), ms(30)));
    kernel.run();
    let at: Vec<(Option<u32>, Option<u32>)> = slow_reports(&reports.borrow())
        .iter()
        .filter_map(|r| match r {
            Report::Slow { ran, from, to, .. } if *ran >= ms(30) => {
                Some((from.map(|l| l.line()), to.map(|l| l.line())))
            }
            _ => None,
        })
        .collect();
    let yield_line = lines.borrow()[0];
    assert_eq!(at, [(None, Some(yield_line)), (Some(yield_line), None)]);
    let texts: Vec<String> = reports.borrow().iter().map(|r| r.to_string()).collect();
    assert!(texts[0].contains("from its start to "), "{texts:?}");
    assert!(texts[1].ends_with(" to its return"), "{texts:?}");
}

/// [`hog`], yielding through the `sys` helpers as tasks usually do.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn hog_through_sys(lines: Lines, busy: Duration) -> Res<()> {
    let (line, ()) = (line!(), yield_from!(sys::yield_now())?);
    lines.borrow_mut().push(line);
    std::thread::sleep(busy);
    let (line, ()) = (line!(), yield_from!(sys::yield_now())?);
    lines.borrow_mut().push(line);
    Ok(())
}

#[test]
fn a_slow_report_names_the_tasks_own_yield_from_lines_not_the_sys_helpers() {
    let lines = Lines::default();
    let mut kernel = Kernel::new().with_slow_task_threshold(Some(ms(10)));
    let reports = capture_reports(&mut kernel);
    kernel.spawn("hog", hog_through_sys(lines.clone(), ms(30)));
    kernel.run();
    let at: Vec<(String, u32, String, u32)> = slow_reports(&reports.borrow())
        .iter()
        .filter_map(|r| match r {
            Report::Slow {
                ran,
                from: Some(from),
                to: Some(to),
                ..
            } if *ran >= ms(30) => Some((
                from.file().to_string(),
                from.line(),
                to.file().to_string(),
                to.line(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(at.len(), 1, "{at:?}");
    let (from_file, from_line, to_file, to_line) = &at[0];
    assert!(from_file.ends_with("kernel_syscalls.rs"), "{at:?}");
    assert!(to_file.ends_with("kernel_syscalls.rs"), "{at:?}");
    assert_eq!(vec![*from_line, *to_line], *lines.borrow());
}

#[test]
fn no_slow_report_under_the_threshold() {
    let lines = Lines::default();
    let mut kernel = Kernel::new().with_slow_task_threshold(Some(Duration::from_secs(5)));
    let reports = capture_reports(&mut kernel);
    kernel.spawn("brief", hog(lines.clone(), ms(1)));
    kernel.run();
    assert_eq!(lines.borrow().len(), 2, "the task ran to the end");
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

#[test]
fn no_slow_report_with_the_warning_off() {
    let lines = Lines::default();
    let mut kernel = Kernel::new().with_slow_task_threshold(None);
    let reports = capture_reports(&mut kernel);
    kernel.spawn("hog", hog(lines.clone(), ms(30)));
    kernel.run();
    assert_eq!(lines.borrow().len(), 2, "the task ran to the end");
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

// ---------------------------------------------------------------------------------------------
// snapshot, tasks pending at drop, join cycles

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn waits_for_a_connection(listener: TcpListener) -> Result<(), resumable::kernel::Error> {
    yield_from!(sys::accept(&listener))?;
    Ok(())
}

/// Splits a row of the snapshot table into its columns (they are two spaces or more apart).
fn columns(row: &str) -> Vec<&str> {
    row.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn snapshot_lists_every_task_with_its_state_and_steps_and_prints_a_table() {
    let log = new_log();
    let listener = sys::listen("127.0.0.1:0").unwrap();
    let fd = listener.as_raw_fd();
    let mut kernel = Kernel::new().with_virtual_clock();
    let sleeper = kernel.spawn("sleeper", sleep_then(Duration::from_secs(1), ()));
    let joiner = kernel.spawn("joiner", joins::<Res<()>>(sleeper));
    let reader = kernel.spawn("reader", waits_for_a_connection(listener));
    let spinner = kernel.spawn("spinner", yields(log.clone(), "spinner", 2));

    let before = kernel.snapshot();
    assert_eq!(before.tasks.len(), 4);
    assert!(before
        .tasks
        .iter()
        .all(|t| t.state == TaskState::Ready && t.steps == 0));

    assert!(kernel.run_once());
    let snap = kernel.snapshot();
    assert_eq!(snap.now, Duration::ZERO);
    let rows: Vec<(TaskId, &str, TaskState, u64)> = snap
        .tasks
        .iter()
        .map(|t| (t.id, &*t.name, t.state, t.steps))
        .collect();
    assert_eq!(
        rows,
        [
            (
                sleeper,
                "sleeper",
                TaskState::Sleeping {
                    until: Duration::from_secs(1)
                },
                1
            ),
            (joiner, "joiner", TaskState::Joining(sleeper), 1),
            (reader, "reader", TaskState::Reading(fd), 1),
            (spinner, "spinner", TaskState::Ready, 1),
        ]
    );

    let table = snap.to_string();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    assert_eq!(lines[0], "at 0ns: 4 task(s)");
    assert_eq!(columns(lines[1]), ["id", "name", "state", "steps", "busy"]);
    let expected = [
        ["#1", "sleeper", "sleeping until 1s", "1"],
        ["#2", "joiner", "joining #1", "1"],
        ["#3", "reader", &format!("waiting to read fd {fd}"), "1"],
        ["#4", "spinner", "ready", "1"],
    ];
    for (line, want) in lines[2..].iter().zip(expected) {
        let cols = columns(line);
        assert_eq!(cols.len(), 5, "{line}");
        assert_eq!(cols[..4], want, "{table}");
    }

    assert!(kernel.kill(reader));
    kernel.run();
    assert!(kernel.snapshot().tasks.is_empty());
    assert_eq!(kernel.snapshot().to_string().lines().count(), 2);
}

/// Owns `guard` from the moment it is made, before its body starts.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn holds(guard: Guard) -> Res<()> {
    yield_from!(sys::yield_now())?;
    drop(guard);
    Ok(())
}

#[test]
fn tasks_pending_when_the_kernel_is_dropped_are_reported_then_dropped() {
    let log = new_log();
    let mut kernel = quiet_kernel();
    let sink = log.clone();
    kernel.on_report(move |r| push(&sink, r.to_string()));
    let dozer = kernel.spawn("dozer", dozes(log.clone(), "dozer"));
    let joiner = kernel.spawn("joiner", joins::<Res<u32>>(dozer));
    assert!(kernel.run_once());
    let unstarted = kernel.spawn("unstarted", holds(Guard::new("unstarted", &log)));
    assert!(entries(&log).is_empty());
    drop(kernel);

    let log = entries(&log);
    assert_eq!(
        log[..3],
        [
            format!(
                "task {dozer} \"dozer\" was still pending (sleeping until 3600s) when the kernel was dropped"
            ),
            format!(
                "task {joiner} \"joiner\" was still pending (joining {dozer}) when the kernel was dropped"
            ),
            format!(
                "task {unstarted} \"unstarted\" was still pending (ready) when the kernel was dropped"
            ),
        ],
        "reported in id order, before any is dropped"
    );
    let mut dropped = log[3..].to_vec();
    dropped.sort();
    assert_eq!(
        dropped,
        ["drop dozer", "drop unstarted"],
        "the destructors of pending tasks run, started or not"
    );
}

#[test]
fn pending_reports_carry_the_state() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let id = kernel.spawn("sleeper", sleep_then(ms(70), ()));
    kernel.run_once();
    drop(kernel);
    let reports = reports.borrow();
    assert!(
        matches!(&reports[..], [Report::Pending { id: i, name, state: TaskState::Sleeping { until } }]
            if *i == id && &**name == "sleeper" && *until == ms(70)),
        "{reports:?}"
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins_back(first: TaskId) -> Res<Result<(), JoinError>> {
    yield_from!(sys::join::<()>(first))
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn starts_a_cycle() -> Res<Result<(), JoinError>> {
    let me = yield_from!(sys::get_id())?;
    let other = yield_from!(sys::spawn(Task::new("second", joins_back(me))))?;
    yield_from!(sys::join::<()>(other))
}

#[test]
fn a_join_cycle_is_reported_as_stalled_and_run_returns() {
    let mut kernel = quiet_kernel();
    let reports = capture_reports(&mut kernel);
    let bystander = kernel.spawn("bystander", sleep_then(ms(4), 'b'));
    let first = kernel.spawn("first", starts_a_cycle());
    kernel.run();

    assert_eq!(kernel.take_return::<Res<char>>(bystander), Ok(Ok('b')));
    assert_eq!(kernel.len(), 2);
    let second = kernel.snapshot().tasks[1].id;
    let states: Vec<TaskState> = kernel.snapshot().tasks.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [TaskState::Joining(second), TaskState::Joining(first)]
    );
    {
        let reports = reports.borrow();
        assert!(
            matches!(&reports[..], [Report::Stalled { tasks }] if *tasks == [first, second]),
            "{reports:?}"
        );
        assert_eq!(
            reports[0].to_string(),
            format!("no task can run again; left waiting: {first} {second}")
        );
    }
    assert_eq!(kernel.now(), ms(4));
    assert!(!kernel.run_once(), "still nothing to run");

    // Killing one end of the cycle from outside breaks it: the other's join answers `Killed`.
    assert!(kernel.kill(second));
    kernel.run();
    assert_eq!(
        kernel.take_return::<Res<Result<(), JoinError>>>(first),
        Ok(Ok(Err(JoinError::Killed)))
    );
    assert!(kernel.is_empty());
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn spawns_and_kills(log: Log) -> Res<(bool, Result<(), JoinError>)> {
    let child = yield_from!(sys::spawn(Task::new(
        "child",
        holds(Guard::new("child's argument", &log))
    )))?;
    let alive = yield_from!(sys::kill(child))?;
    push(&log, "killed");
    let joined = yield_from!(sys::join::<Res<()>>(child))?.map(drop);
    Ok((alive, joined))
}

#[test]
fn killing_a_task_before_it_ever_ran_drops_its_arguments() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let parent = kernel.spawn("parent", spawns_and_kills(log.clone()));
    kernel.run();
    assert_eq!(entries(&log), ["drop child's argument", "killed"]);
    assert_eq!(
        kernel.take_return::<Res<(bool, Result<(), JoinError>)>>(parent),
        Ok(Ok((true, Err(JoinError::Killed))))
    );
}
