//! The kernel's fairness contract (`resumable::kernel` module docs), checked pass by pass: each
//! test logs what every task does and groups the log by `run_once` pass.
//!
//! A pass (1) polls for readiness and queues the tasks whose sockets are ready, (2) queues the
//! tasks whose timers are due, earliest deadline first, (3) queues the tasks made ready during
//! the previous pass, in the order that happened, and (4) resumes each queued task once, FIFO.

mod kernel_common;

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use kernel_common::{
    loopback_pair, new_log, passes, push, send_and_settle, task_id, within, Guard, Log, Res,
};
use resumable::kernel::{self, sys, Cancelled, Kernel, Reply, Syscall, Task, TaskId};
use resumable::prelude::*;

/// How long a test on real sockets may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Logs `NAME0`, `NAME1`, … one per turn, yielding after each, then `NAME done`.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn yields(log: Log, name: &'static str, times: u32) -> Res<()> {
    for i in 0..times {
        push(&log, format!("{name}{i}"));
        yield_from!(sys::yield_now())?;
    }
    push(&log, format!("{name} done"));
    Ok(())
}

/// [`yields`], holding a guard that logs `drop NAME`.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn guarded_yields(log: Log, name: &'static str, times: u32) -> Res<()> {
    let _guard = Guard::new(name, &log);
    yield_from!(yields(log.clone(), name, times))
}

/// Turns a pass-by-pass log into `&str`s, for comparing with literals.
fn as_strs(passes: &[Vec<String>]) -> Vec<Vec<&str>> {
    passes
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect()
}

#[test]
fn tasks_run_first_in_first_out_one_step_each_per_pass() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    for name in ["a", "b", "c"] {
        kernel.spawn(name, yields(log.clone(), name, 3));
    }
    assert_eq!(
        as_strs(&passes(&mut kernel, &log)),
        [
            vec!["a0", "b0", "c0"],
            vec!["a1", "b1", "c1"],
            vec!["a2", "b2", "c2"],
            vec!["a done", "b done", "c done"],
        ]
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn spawns_c(log: Log) -> Res<()> {
    push(&log, "a spawns c");
    yield_from!(sys::spawn(Task::new("c", yields(log.clone(), "c", 2))))?;
    push(&log, "a goes on");
    yield_from!(sys::yield_now())?;
    push(&log, "a done");
    Ok(())
}

#[test]
fn a_task_spawned_during_a_pass_runs_in_the_next_pass() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    kernel.spawn("a", spawns_c(log.clone()));
    kernel.spawn("b", yields(log.clone(), "b", 2));
    assert_eq!(
        as_strs(&passes(&mut kernel, &log)),
        [
            // Spawning needs no waiting: `a` goes on within its turn, and `b` still runs in
            // this pass; `c` waits for the next one.
            vec!["a spawns c", "a goes on", "b0"],
            vec!["c0", "a done", "b1"],
            vec!["c1", "b done"],
            vec!["c done"],
        ]
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn returns_at_once() -> Res<u32> {
    Ok(9)
}

/// On its second turn, makes every call that needs no waiting, logging each answer.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn calls_without_waiting(log: Log, ended: TaskId, victim: TaskId, target: TaskId) -> Res<()> {
    yield_from!(sys::yield_now())?;
    let id = yield_from!(sys::get_id())?;
    push(&log, format!("id {id}"));
    let now = yield_from!(sys::now())?;
    push(&log, format!("now {now:?}"));
    let child = yield_from!(sys::spawn(Task::new(
        "child",
        yields(log.clone(), "child", 0)
    )))?;
    push(&log, format!("spawned {child}"));
    let killed = yield_from!(sys::kill(victim))?;
    push(&log, format!("killed {killed}"));
    let cancelled = yield_from!(sys::cancel(target))?;
    push(&log, format!("cancelled {cancelled}"));
    let joined = yield_from!(sys::join::<Res<u32>>(ended))?;
    push(&log, format!("joined {joined:?}"));
    Ok(())
}

/// Logs `NAME cancelled` when cancelled.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn logs_cancel(log: Log, name: &'static str) -> Res<()> {
    for _ in 0..5 {
        if yield_from!(sys::yield_now()).is_err() {
            push(&log, format!("{name} cancelled"));
            return Err(Cancelled);
        }
    }
    Ok(())
}

#[test]
fn calls_that_need_no_waiting_are_answered_within_the_turn() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let ended = kernel.spawn("ended", returns_at_once());
    let victim = kernel.spawn("victim", guarded_yields(log.clone(), "victim", 5));
    let target = kernel.spawn("target", logs_cancel(log.clone(), "target"));
    let caller = kernel.spawn(
        "caller",
        calls_without_waiting(log.clone(), ended, victim, target),
    );
    kernel.spawn("b", yields(log.clone(), "b", 2));
    assert_eq!(
        as_strs(&passes(&mut kernel, &log)),
        [
            vec!["victim0", "b0"],
            vec![
                "victim1",
                // One turn of the caller: each answer comes back at once, and `b` still runs
                // after it in this pass.
                &format!("id {caller}"),
                "now 0ns",
                "spawned #6",
                "drop victim",
                "killed true",
                "cancelled true",
                "joined Ok(Ok(9))",
                "b1",
            ],
            // Both run in the next pass, in the order they became ready: `target` yielded
            // (earlier in pass 2) before the child was spawned; the cancel only changed what
            // it is resumed with.
            vec!["target cancelled", "child done", "b done"],
        ]
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn waits_for(log: Log, name: &'static str, target: TaskId) -> Res<()> {
    push(&log, format!("{name} waits"));
    let joined = yield_from!(sys::join::<Res<()>>(target))?;
    push(&log, format!("{name} joined {joined:?}"));
    Ok(())
}

#[test]
fn a_task_woken_during_a_pass_runs_in_the_next_pass() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    let t = kernel.spawn("t", yields(log.clone(), "t", 1));
    // Queued after `t`: it could run in the very pass `t` finishes, but it must not.
    kernel.spawn("j", waits_for(log.clone(), "j", t));
    kernel.spawn("o", yields(log.clone(), "o", 3));
    assert_eq!(
        as_strs(&passes(&mut kernel, &log)),
        [
            vec!["t0", "j waits", "o0"],
            // `t` ends here and wakes `j`, which is queued for the next pass...
            vec!["t done", "o1"],
            // ...where it runs ahead of `o`, in the order it was made ready.
            vec!["j joined Ok(Ok(()))", "o2"],
            vec!["o done"],
        ]
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn reads_when_ready(log: Log, stream: TcpStream) -> Res<()> {
    push(&log, "reader waits");
    let ready = yield_from!(sys::readable(&stream));
    push(&log, format!("reader ready: {}", ready.is_ok()));
    Ok(())
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleeps_zero(log: Log) -> Res<()> {
    push(&log, "sleeper sleeps");
    yield_from!(sys::sleep(Duration::ZERO))?;
    push(&log, "sleeper woke");
    Ok(())
}

#[test]
fn a_pass_runs_ready_io_then_due_timers_then_tasks_readied_in_the_pass_before() {
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        send_and_settle(&mut client, &server, b"x"); // the socket is readable from the start
        server.set_nonblocking(true).unwrap();

        let log = new_log();
        let mut kernel = Kernel::new().with_virtual_clock();
        // Spawned in the opposite order to the one the contract runs them in.
        kernel.spawn("yielder", yields(log.clone(), "yielder", 1));
        kernel.spawn("sleeper", sleeps_zero(log.clone()));
        kernel.spawn("reader", reads_when_ready(log.clone(), server));
        assert_eq!(
            as_strs(&passes(&mut kernel, &log)),
            [
                vec!["yielder0", "sleeper sleeps", "reader waits"],
                vec!["reader ready: true", "sleeper woke", "yielder done"],
            ]
        );
    });
}

/// Yields every turn; on its second turn writes a byte to `peer` and waits until it can be
/// read at `probe` (the other end), so it is ready before the next poll.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sends_on_second_turn(log: Log, mut peer: TcpStream, probe: TcpStream) -> Res<()> {
    for turn in 0..4 {
        if turn == 1 {
            peer.write_all(b"!").unwrap();
            let mut byte = [0];
            let mut seen = false;
            for _ in 0..5000 {
                if probe.peek(&mut byte).is_ok() {
                    seen = true;
                    break;
                }
                thread::sleep(Duration::from_micros(200));
            }
            assert!(seen, "a byte on loopback never arrived");
            push(&log, "sender sent");
        } else {
            push(&log, format!("sender{turn}"));
        }
        yield_from!(sys::yield_now())?;
    }
    Ok(())
}

#[test]
fn a_yield_lets_io_that_became_ready_run_first() {
    within(LIMIT, || {
        let (client, server) = loopback_pair();
        server.set_nonblocking(true).unwrap();
        let probe = server.try_clone().unwrap();

        let log = new_log();
        let mut kernel = Kernel::new().with_virtual_clock();
        kernel.spawn("yielder", yields(log.clone(), "yielder", 4));
        kernel.spawn("sender", sends_on_second_turn(log.clone(), client, probe));
        kernel.spawn("reader", reads_when_ready(log.clone(), server));
        assert_eq!(
            as_strs(&passes(&mut kernel, &log)),
            [
                vec!["yielder0", "sender0", "reader waits"],
                vec!["yielder1", "sender sent"],
                // The reader was spawned last and the others yielded, yet its I/O runs first.
                vec!["reader ready: true", "yielder2", "sender2"],
                vec!["yielder3", "sender3"],
                vec!["yielder done"],
            ]
        );
    });
}

#[test]
fn a_task_that_keeps_yielding_never_costs_others_their_turn() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    kernel.spawn("a", yields(log.clone(), "a", 2));
    kernel.spawn("greedy", yields(log.clone(), "greedy", 50));
    kernel.spawn("b", yields(log.clone(), "b", 2));
    let passes = passes(&mut kernel, &log);
    assert_eq!(
        as_strs(&passes[..4]),
        [
            vec!["a0", "greedy0", "b0"],
            vec!["a1", "greedy1", "b1"],
            vec!["a done", "greedy2", "b done"],
            vec!["greedy3"],
        ],
        "`a` and `b` finish in as many passes as they would alone"
    );
    assert_eq!(passes.len(), 51);
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn finishes_on_second_turn(log: Log) -> Res<()> {
    push(&log, "b0");
    yield_from!(sys::yield_now())?;
    push(&log, "b done");
    Ok(())
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn kills_on_second_turn(log: Log, target: TaskId) -> Res<()> {
    push(&log, "k0");
    yield_from!(sys::yield_now())?;
    push(&log, "k kills d");
    let alive = yield_from!(sys::kill(target))?;
    push(&log, format!("k: d was alive: {alive}"));
    Ok(())
}

#[test]
fn a_finished_or_killed_task_never_costs_another_its_turn() {
    let log = new_log();
    let mut kernel = Kernel::new().with_virtual_clock();
    kernel.spawn("a", yields(log.clone(), "a", 3));
    kernel.spawn("b", finishes_on_second_turn(log.clone()));
    // `k` must know `d`'s id before `d` exists: ids are handed out in spawn order.
    let d_will_be = task_id(5);
    kernel.spawn("k", kills_on_second_turn(log.clone(), d_will_be));
    kernel.spawn("c", yields(log.clone(), "c", 3));
    let d = kernel.spawn("d", guarded_yields(log.clone(), "d", 3));
    assert_eq!(d, d_will_be);
    assert_eq!(
        as_strs(&passes(&mut kernel, &log)),
        [
            vec!["a0", "b0", "k0", "c0", "d0"],
            // `b` finishes and `d` (queued after `c`) is killed: `c` still gets its turn.
            vec![
                "a1",
                "b done",
                "k kills d",
                "drop d",
                "k: d was alive: true",
                "c1",
            ],
            vec!["a2", "c2"],
            vec!["a done", "c done"],
        ]
    );
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn naps(log: Log, name: &'static str, nap: Duration) -> Res<()> {
    yield_from!(sys::sleep(nap))?;
    push(&log, name);
    Ok(())
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn holds_the_thread(log: Log, busy: Duration) -> Res<()> {
    std::thread::sleep(busy);
    yield_from!(sys::yield_now())?;
    push(&log, "hog");
    Ok(())
}

#[test]
fn timers_due_in_the_same_pass_wake_earliest_deadline_first() {
    let log = new_log();
    // Real clock: all three deadlines pass while the hog holds the thread.
    let mut kernel = Kernel::new().with_slow_task_threshold(None);
    kernel.spawn("30", naps(log.clone(), "30ms", ms(30)));
    kernel.spawn("10", naps(log.clone(), "10ms", ms(10)));
    kernel.spawn("20", naps(log.clone(), "20ms", ms(20)));
    kernel.spawn("hog", holds_the_thread(log.clone(), ms(60)));
    assert_eq!(
        as_strs(&passes(&mut kernel, &log)),
        [vec!["10ms", "20ms", "30ms", "hog"]]
    );
}

#[test]
fn the_kernel_sleeps_in_the_poller_instead_of_spinning() {
    let log = new_log();
    let mut kernel = Kernel::new();
    kernel.spawn("nap", naps(log.clone(), "woke", ms(40)));
    let started = Instant::now();
    let mut count = 0;
    while kernel.run_once() {
        count += 1;
        assert!(count < 10, "the kernel spun instead of waiting");
    }
    assert!(started.elapsed() >= ms(40));
    assert_eq!(*log.borrow(), ["woke"]);
    // One pass to start the task, one (or, if the poller wakes a hair early, a few) to wait.
    assert!(count <= 4, "{count} passes for one sleep");
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn reads_a_byte(log: Log, stream: TcpStream) -> Result<(), kernel::Error> {
    let mut byte = [0];
    let n = yield_from!(sys::read(&stream, &mut byte))?;
    push(&log, format!("read {n}"));
    Ok(())
}

#[test]
fn the_kernel_sleeps_in_the_poller_while_waiting_for_io() {
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        server.set_nonblocking(true).unwrap();
        let log = new_log();
        let mut kernel = Kernel::new();
        kernel.spawn("reader", reads_a_byte(log.clone(), server));
        let writer = thread::spawn(move || {
            thread::sleep(ms(40));
            client.write_all(b"!").unwrap();
            client
        });
        let mut count = 0;
        while kernel.run_once() {
            count += 1;
            assert!(count < 10, "the kernel spun instead of waiting");
        }
        let _client = writer.join().unwrap();
        assert_eq!(*log.borrow(), ["read 1"]);
        assert!(count <= 3, "{count} passes for one read");
    });
}
