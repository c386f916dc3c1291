#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! `resumable::rt`, the event loop for futures: timers in deadline order on an exact virtual
//! clock, abort running destructors, panics contained as `JoinError::Panicked`, `spawn_blocking`,
//! `timeout`, the fairness contract for future tasks, the slow-task warning, generator tasks and
//! future tasks waiting on each other, and async generators driven by the loop.
//!
//! Most tests run on the virtual clock (`Kernel::with_virtual_clock`), so they take no real time
//! and every `rt::now()` is exact; the few that measure real time or touch real sockets and
//! threads run under a watchdog (`within`).

mod rt_common;

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use resumable::kernel::{
    sys, Cancelled, JoinError, Kernel, Reply, Report, Syscall, Task, TaskId, TaskState,
};
use resumable::prelude::*;
use resumable::rt::{self, net::TcpStream, Elapsed, JoinHandle};
use rt_common::{
    capture_reports, entries, loopback_pair, ms, new_log, one_pass, passes, push, send_and_settle,
    stamp, virtual_kernel, within, Guard, Log,
};

/// The longest a test on real threads or sockets may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(30);

const HOUR: Duration = Duration::from_secs(3600);

/// Sleeps `d` ms, then logs `name@now`.
async fn nap(log: Log, name: &'static str, d: u64) {
    rt::sleep(ms(d)).await;
    stamp(&log, name);
}

/// Logs `NAME I` and yields the turn, `n` times.
async fn turns(log: Log, name: &'static str, n: u32) {
    for i in 0..n {
        push(&log, format!("{name} {i}"));
        rt::yield_now().await;
    }
}

/// What a cancellable generator task returns.
type Res<T> = Result<T, Cancelled>;

// ---------------------------------------------------------------------------------------------
// Timers
// ---------------------------------------------------------------------------------------------

#[test]
fn sleepers_wake_in_deadline_order_at_exact_virtual_times() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let end = kernel.block_on(async move {
        let sleepers: Vec<_> = [("a", 30), ("b", 10), ("c", 20), ("d", 0)]
            .into_iter()
            .map(|(name, d)| rt::spawn(nap(l.clone(), name, d)))
            .collect();
        for sleeper in sleepers {
            sleeper.await.unwrap();
        }
        rt::now()
    });
    assert_eq!(entries(&log), ["d@0ns", "b@10ms", "c@20ms", "a@30ms"]);
    assert_eq!(end, ms(30), "the sleeps overlapped");
}

#[test]
fn repeated_sleeps_of_several_tasks_interleave_by_deadline() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    kernel.block_on(async move {
        let a = rt::spawn({
            let l = l.clone();
            async move {
                for _ in 0..3 {
                    nap(l.clone(), "a", 10).await;
                }
            }
        });
        let b = rt::spawn(async move {
            for _ in 0..2 {
                nap(l.clone(), "b", 15).await;
            }
        });
        a.await.unwrap();
        b.await.unwrap();
    });
    // At 30 ms both are due: b set its timer at 15 ms, a at 20 ms, so b goes first.
    assert_eq!(
        entries(&log),
        ["a@10ms", "b@15ms", "a@20ms", "b@30ms", "a@30ms"]
    );
}

#[test]
fn sleep_until_takes_a_deadline_on_the_loop_clock() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let seen = kernel.block_on(async move {
        let mut seen = vec![];
        rt::sleep(ms(7)).await;
        seen.push(rt::now());
        let until = rt::sleep_until(ms(20));
        assert_eq!(until.deadline(), Some(ms(20)));
        until.await;
        seen.push(rt::now());
        // A deadline already past is no wait at all.
        rt::sleep_until(ms(5)).await;
        seen.push(rt::now());
        assert_eq!(
            rt::sleep(ms(3)).deadline(),
            Some(ms(23)),
            "sleep = now + duration"
        );
        // A task spawned later still counts from the loop's start, not from its own.
        let late = rt::spawn(async move {
            rt::sleep_until(ms(50)).await;
            stamp(&l, "late");
        });
        late.await.unwrap();
        seen
    });
    assert_eq!(seen, [ms(7), ms(20), ms(20)]);
    assert_eq!(entries(&log), ["late@50ms"]);
}

#[test]
fn equal_deadlines_wake_in_the_order_the_timers_were_set() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    kernel.block_on(async move {
        // All three wait until 20 ms. Spawned x, y, z, they set their timers y (at 0 ms),
        // z (at 1 ms), x (at 5 ms).
        let x = rt::spawn({
            let l = l.clone();
            async move {
                rt::sleep(ms(5)).await;
                rt::sleep_until(ms(20)).await;
                stamp(&l, "x");
            }
        });
        let y = rt::spawn({
            let l = l.clone();
            async move {
                rt::sleep_until(ms(20)).await;
                stamp(&l, "y");
            }
        });
        let z = rt::spawn({
            let l = l.clone();
            async move {
                rt::sleep(ms(1)).await;
                rt::sleep_until(ms(20)).await;
                stamp(&l, "z");
            }
        });
        // Ten more, spawned 0..10 but setting their timers (all for 50 ms) in reverse, since
        // task i first yields the turn 10 - i times.
        let reversed: Vec<_> = (0..10)
            .map(|i| {
                let l = l.clone();
                rt::spawn(async move {
                    for _ in 0..(10 - i) {
                        rt::yield_now().await;
                    }
                    rt::sleep_until(ms(50)).await;
                    push(&l, format!("r{i}"));
                })
            })
            .collect();
        for task in [x, y, z].into_iter().chain(reversed) {
            task.await.unwrap();
        }
    });
    let expected: Vec<String> = ["y@20ms", "z@20ms", "x@20ms"]
        .into_iter()
        .map(String::from)
        .chain((0..10).rev().map(|i| format!("r{i}")))
        .collect();
    assert_eq!(entries(&log), expected);
}

#[test]
fn the_virtual_clock_makes_an_hour_of_sleep_instant() {
    let started = Instant::now();
    let mut kernel = virtual_kernel();
    let woke = kernel.block_on(async {
        let naps: Vec<_> = (1..=60)
            .map(|minute| {
                rt::spawn(async move {
                    rt::sleep(Duration::from_secs(60 * minute)).await;
                    rt::now()
                })
            })
            .collect();
        let mut woke = vec![];
        for nap in naps {
            woke.push(nap.await.unwrap());
        }
        woke
    });
    let expected: Vec<Duration> = (1..=60).map(|m| Duration::from_secs(60 * m)).collect();
    assert_eq!(woke, expected);
    assert_eq!(kernel.now(), HOUR);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn concurrent_sleeps_on_the_real_clock_overlap() {
    let started = Instant::now();
    let took = rt::block_on(async {
        let start = rt::now();
        let naps: Vec<_> = [40, 30, 20]
            .into_iter()
            .map(|d| rt::spawn(rt::sleep(ms(d))))
            .collect();
        for nap in naps {
            nap.await.unwrap();
        }
        rt::now() - start
    });
    assert!(took >= ms(40), "woke before the longest deadline: {took:?}");
    assert!(took < ms(85), "the sleeps ran one after another: {took:?}");
    assert!(started.elapsed() >= ms(40));
}

#[test]
fn a_dropped_sleep_does_not_move_the_virtual_clock() {
    within(LIMIT, || {
        let mut kernel = virtual_kernel();
        let now = kernel.block_on(async {
            // The timeout's sleep registers a timer for one hour, then is dropped with it.
            assert_eq!(rt::timeout(HOUR, rt::yield_now()).await, Ok(()));
            rt::spawn_blocking(|| thread::sleep(ms(20))).await.unwrap();
            rt::now()
        });
        assert_eq!(now, Duration::ZERO, "nothing slept");
    });
}

// ---------------------------------------------------------------------------------------------
// Abort
// ---------------------------------------------------------------------------------------------

#[test]
fn aborting_a_sleeping_task_runs_its_destructors_at_once() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let (result, now) = kernel.block_on(async move {
        let sleeper = rt::spawn({
            let l = l.clone();
            async move {
                let _guard = Guard::new("sleeper", &l);
                push(&l, "sleeping");
                rt::sleep(ms(50)).await;
                push(&l, "woke");
            }
        });
        rt::sleep(ms(10)).await;
        push(&l, "abort");
        sleeper.abort();
        push(&l, "aborted");
        let result = sleeper.await;
        // Past its deadline: it never wakes.
        rt::sleep(ms(100)).await;
        (result, rt::now())
    });
    assert_eq!(result, Err(JoinError::Killed));
    assert_eq!(
        entries(&log),
        ["sleeping", "abort", "drop sleeper", "aborted"]
    );
    assert_eq!(now, ms(110));
    assert!(kernel.is_empty());
}

#[test]
fn aborting_a_task_waiting_in_a_socket_read_drops_it_and_closes_its_socket() {
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        let log = new_log();
        let l = log.clone();
        let (before, result) = rt::block_on(async move {
            let reader = rt::spawn({
                let l = l.clone();
                async move {
                    let _guard = Guard::new("reader", &l);
                    let stream = TcpStream::from_std(server).unwrap();
                    let mut buf = [0; 16];
                    push(&l, "reading");
                    let n = stream.read(&mut buf).await;
                    push(&l, format!("read {n:?}"));
                }
            });
            for _ in 0..3 {
                rt::yield_now().await;
            }
            let before = entries(&l);
            reader.abort();
            (before, reader.await)
        });
        assert_eq!(before, ["reading"], "it was waiting in read");
        assert_eq!(result, Err(JoinError::Killed));
        assert_eq!(entries(&log), ["reading", "drop reader"]);
        // The socket the task owned was closed with it: the peer reads the end of the stream.
        let mut buf = [0; 1];
        assert_eq!(client.read(&mut buf).unwrap(), 0);
    });
}

#[test]
fn aborting_a_task_before_its_first_poll_drops_its_future_unpolled() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let (at_abort, result) = kernel.block_on(async move {
        let guard = Guard::new("captured", &l);
        let task = rt::spawn({
            let l = l.clone();
            async move {
                let _guard = guard;
                push(&l, "started");
            }
        });
        task.abort();
        let at_abort = entries(&l);
        for _ in 0..3 {
            rt::yield_now().await;
        }
        (at_abort, task.await)
    });
    assert_eq!(at_abort, ["drop captured"]);
    assert_eq!(result, Err(JoinError::Killed));
    assert_eq!(entries(&log), ["drop captured"], "it never started");
}

#[test]
fn a_task_aborting_itself_stops_at_its_next_await() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let result = kernel.block_on(async move {
        let me: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
        let task = rt::spawn({
            let me = me.clone();
            let l = l.clone();
            async move {
                let _guard = Guard::new("self", &l);
                push(&l, "aborting myself");
                me.borrow().as_ref().expect("my handle").abort();
                push(&l, "running on until the next await");
                rt::yield_now().await;
                push(&l, "after the await");
            }
        });
        *me.borrow_mut() = Some(task);
        rt::sleep(ms(1)).await;
        let task = me.borrow_mut().take().expect("the handle");
        task.await
    });
    assert_eq!(result, Err(JoinError::Killed));
    assert_eq!(
        entries(&log),
        [
            "aborting myself",
            "running on until the next await",
            "drop self"
        ]
    );
}

#[test]
fn aborting_a_finished_task_keeps_its_result() {
    let mut kernel = virtual_kernel();
    let result = kernel.block_on(async {
        let task = rt::spawn(async { 42 });
        rt::yield_now().await;
        task.abort();
        task.await
    });
    assert_eq!(result, Ok(42));
}

#[test]
fn dropping_a_handle_detaches_the_task_which_runs_on() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    kernel.block_on(async move {
        drop(rt::spawn(nap(l.clone(), "detached", 10)));
        rt::sleep(ms(20)).await;
    });
    assert_eq!(entries(&log), ["detached@10ms"]);
    assert!(kernel.is_empty());
}

struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("destructor failed");
    }
}

#[test]
fn a_destructor_panicking_during_abort_is_reported_and_the_loop_goes_on() {
    let mut kernel = virtual_kernel().with_slow_task_threshold(None);
    let reports = capture_reports(&mut kernel);
    let (id, aborted, after) = kernel.block_on(async {
        let fragile = rt::spawn_named("fragile", async {
            let _bomb = PanicsOnDrop;
            rt::sleep(HOUR).await;
        });
        rt::yield_now().await;
        let id = fragile.id();
        fragile.abort();
        let after = rt::spawn(async {
            rt::sleep(ms(1)).await;
            7
        });
        (id, fragile.await, after.await)
    });
    assert_eq!(aborted, Err(JoinError::Killed));
    assert_eq!(after, Ok(7));
    let reports = reports.borrow();
    assert!(
        matches!(
            &reports[..],
            [Report::Panicked { id: i, name, message }]
                if *i == id && &**name == "fragile" && message == "destructor failed"
        ),
        "{reports:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Panics
// ---------------------------------------------------------------------------------------------

fn explode(n: u32) -> u32 {
    if n > 0 {
        panic!("boom {n}");
    }
    n
}

#[test]
fn a_panicking_task_gives_join_error_panicked_and_the_loop_goes_on() {
    // Panics print slowly with RUST_BACKTRACE=1: no slow-task warning here.
    let mut kernel = virtual_kernel().with_slow_task_threshold(None);
    let reports = capture_reports(&mut kernel);
    let log = new_log();
    let l = log.clone();
    let (doomed_id, result) = kernel.block_on(async move {
        let ticker = rt::spawn({
            let l = l.clone();
            async move {
                for i in 0..3 {
                    nap(l.clone(), ["tick 0", "tick 1", "tick 2"][i], 10).await;
                }
            }
        });
        let doomed = rt::spawn_named("doomed", {
            let l = l.clone();
            async move {
                let _guard = Guard::new("doomed", &l);
                rt::sleep(ms(15)).await;
                explode(7)
            }
        });
        let id = doomed.id();
        let result = doomed.await;
        ticker.await.unwrap();
        (id, result)
    });
    assert_eq!(result, Err(JoinError::Panicked("boom 7".into())));
    assert_eq!(
        entries(&log),
        ["tick 0@10ms", "drop doomed", "tick 1@20ms", "tick 2@30ms"],
        "the others ran on"
    );
    let reports = reports.borrow();
    assert!(
        matches!(
            &reports[..],
            [Report::Panicked { id, name, message }]
                if *id == doomed_id && &**name == "doomed" && message == "boom 7"
        ),
        "{reports:?}"
    );
    assert!(reports[0].to_string().contains("panicked: boom 7"));
}

#[test]
fn a_panic_in_a_task_with_a_str_payload_keeps_its_message() {
    let mut kernel = virtual_kernel().with_slow_task_threshold(None);
    let reports = capture_reports(&mut kernel);
    let result = kernel.block_on(async {
        rt::spawn(async {
            rt::yield_now().await;
            std::panic::panic_any("plain str")
        })
        .await
    });
    assert_eq!(
        result,
        Err::<(), _>(JoinError::Panicked("plain str".into()))
    );
    assert_eq!(reports.borrow().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// spawn_blocking
// ---------------------------------------------------------------------------------------------

#[test]
fn spawn_blocking_returns_the_closures_value_from_another_thread() {
    within(LIMIT, || {
        let loop_thread = thread::current().id();
        let (value, worker, name) = rt::block_on(async {
            rt::spawn_blocking(|| {
                let me = thread::current();
                (6 * 7, me.id(), me.name().map(String::from))
            })
            .await
            .unwrap()
        });
        assert_eq!(value, 42);
        assert_ne!(worker, loop_thread, "it ran off the loop's thread");
        assert_eq!(name.as_deref(), Some("resumable-blocking"));
    });
}

#[test]
fn a_panic_in_spawn_blocking_comes_back_as_join_error_panicked() {
    within(LIMIT, || {
        let (failed, fine) = rt::block_on(async {
            let failed = rt::spawn_blocking(|| -> u32 { panic!("blocking boom") }).await;
            // The pool survives it.
            let fine = rt::spawn_blocking(|| 5).await;
            (failed, fine)
        });
        assert_eq!(failed, Err(JoinError::Panicked("blocking boom".into())));
        assert_eq!(fine, Ok(5));
    });
}

#[test]
fn many_blocking_jobs_all_complete_with_their_own_results() {
    const JOBS: u64 = 200;
    within(LIMIT, || {
        let results = rt::block_on(async {
            let jobs: Vec<_> = (0..JOBS)
                .map(|i| {
                    rt::spawn_blocking(move || {
                        thread::sleep(Duration::from_micros(200));
                        i * i
                    })
                })
                .collect();
            // Awaited from tasks of their own, so their results come back in any order.
            let tasks: Vec<_> = jobs.into_iter().map(rt::spawn).collect();
            let mut results = vec![];
            for task in tasks {
                results.push(task.await.unwrap().unwrap());
            }
            results
        });
        let expected: Vec<u64> = (0..JOBS).map(|i| i * i).collect();
        assert_eq!(results, expected);
    });
}

#[test]
fn blocking_jobs_submitted_together_run_side_by_side() {
    /// The jobs wait (at most a few seconds) until this many run at once.
    const TOGETHER: usize = 4;
    within(LIMIT, || {
        let running = Arc::new((Mutex::new(0usize), Condvar::new()));
        let results = rt::block_on(async move {
            // A warm pool: at least one thread idles, waiting for work.
            rt::spawn_blocking(|| ()).await.unwrap();
            let jobs: Vec<_> = (0..TOGETHER)
                .map(|_| {
                    let running = running.clone();
                    rt::spawn_blocking(move || {
                        let (count, changed) = &*running;
                        let mut n = count.lock().unwrap();
                        *n += 1;
                        changed.notify_all();
                        let (n, _) = changed
                            .wait_timeout_while(n, Duration::from_secs(2), |n| *n < TOGETHER)
                            .unwrap();
                        *n >= TOGETHER
                    })
                })
                .collect();
            let mut results = vec![];
            for job in jobs {
                results.push(job.await.unwrap());
            }
            results
        });
        assert_eq!(results, [true; TOGETHER], "they never all ran at once");
    });
}

#[test]
fn the_loop_serves_timers_while_a_blocking_job_waits() {
    within(LIMIT, || {
        let log = new_log();
        let l = log.clone();
        let mut kernel = virtual_kernel();
        let got = kernel.block_on(async move {
            let (tx, rx) = mpsc::channel();
            // The job can only finish once the loop has run three timers.
            let job = rt::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(10)));
            let ticker = rt::spawn(async move {
                for tick in ["tick 1", "tick 2", "tick 3"] {
                    nap(l.clone(), tick, 10).await;
                }
                tx.send("three ticks").unwrap();
            });
            let got = job.await.unwrap();
            ticker.await.unwrap();
            got
        });
        assert_eq!(got, Ok("three ticks"));
        assert_eq!(entries(&log), ["tick 1@10ms", "tick 2@20ms", "tick 3@30ms"]);
    });
}

#[test]
fn timers_fire_on_time_on_the_real_clock_while_a_blocking_job_sleeps() {
    within(LIMIT, || {
        let log = new_log();
        let l = log.clone();
        let times = rt::block_on(async move {
            let job = rt::spawn_blocking(|| thread::sleep(ms(80)));
            let mut times = vec![];
            for _ in 0..3 {
                rt::sleep(ms(10)).await;
                times.push(rt::now());
                push(&l, "tick");
            }
            job.await.unwrap();
            push(&l, "job done");
            times
        });
        assert_eq!(entries(&log), ["tick", "tick", "tick", "job done"]);
        assert!(times[2] < ms(80), "the ticks waited for the job: {times:?}");
    });
}

#[test]
fn aborting_a_task_awaiting_blocking_work_drops_it_while_the_job_finishes() {
    within(LIMIT, || {
        let log = new_log();
        let l = log.clone();
        let finished = Arc::new(AtomicBool::new(false));
        let done = finished.clone();
        let (at_abort, result, finished_after) = rt::block_on(async move {
            let waiter = rt::spawn({
                let l = l.clone();
                async move {
                    let _guard = Guard::new("waiter", &l);
                    rt::spawn_blocking(move || {
                        thread::sleep(ms(20));
                        done.store(true, Ordering::SeqCst);
                    })
                    .await
                }
            });
            rt::yield_now().await;
            rt::yield_now().await;
            waiter.abort();
            let at_abort = entries(&l);
            let result = waiter.await;
            // The job itself cannot be stopped: it runs to its end, and nobody is woken for it.
            for _ in 0..200 {
                if finished.load(Ordering::SeqCst) {
                    break;
                }
                rt::sleep(ms(1)).await;
            }
            rt::sleep(ms(1)).await;
            (at_abort, result, finished.load(Ordering::SeqCst))
        });
        assert_eq!(at_abort, ["drop waiter"]);
        assert_eq!(result, Err(JoinError::Killed));
        assert!(finished_after);
    });
}

// ---------------------------------------------------------------------------------------------
// timeout
// ---------------------------------------------------------------------------------------------

#[test]
fn timeout_gives_the_output_when_the_future_finishes_first() {
    let mut kernel = virtual_kernel();
    let (result, at) = kernel.block_on(async {
        let result = rt::timeout(ms(20), async {
            rt::sleep(ms(5)).await;
            7
        })
        .await;
        (result, rt::now())
    });
    assert_eq!(result, Ok(7));
    assert_eq!(at, ms(5), "it did not wait for the deadline");
}

#[test]
fn timeout_elapses_at_the_deadline_and_drops_the_inner_future() {
    let log = new_log();
    let l = log.clone();
    let mut kernel = virtual_kernel();
    let (result, at) = kernel.block_on(async move {
        let result = rt::timeout(ms(10), {
            let l = l.clone();
            async move {
                let _guard = Guard::new("inner", &l);
                push(&l, "inner started");
                rt::sleep(HOUR).await;
                push(&l, "inner finished");
            }
        })
        .await;
        push(&l, "after timeout");
        (result, rt::now())
    });
    assert_eq!(result, Err(Elapsed));
    assert_eq!(at, ms(10));
    assert_eq!(
        entries(&log),
        ["inner started", "drop inner", "after timeout"]
    );
    assert_eq!(Elapsed.to_string(), "deadline elapsed");
}

#[test]
fn a_future_ready_at_the_deadline_wins_over_its_timeout() {
    let mut kernel = virtual_kernel();
    let result = kernel.block_on(async {
        rt::timeout(ms(10), async {
            rt::sleep(ms(10)).await;
            "made it"
        })
        .await
    });
    assert_eq!(result, Ok("made it"));
}

#[test]
fn nested_timeouts_the_shorter_one_elapses() {
    let mut kernel = virtual_kernel();
    let (outer, at) = kernel.block_on(async {
        let outer = rt::timeout(ms(30), rt::timeout(ms(10), rt::sleep(HOUR))).await;
        (outer, rt::now())
    });
    assert_eq!(outer, Ok(Err(Elapsed)));
    assert_eq!(at, ms(10));
}

#[test]
fn timeout_on_a_socket_read_elapses_and_the_stream_stays_usable() {
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        let (first, waited, second) = rt::block_on(async move {
            let stream = TcpStream::from_std(server).unwrap();
            let mut buf = [0; 16];
            let start = rt::now();
            let first = rt::timeout(ms(20), stream.read(&mut buf))
                .await
                .map(|r| r.unwrap());
            let waited = rt::now() - start;
            // Nothing was lost: the next read gets what the client sends now.
            let writer = rt::spawn_blocking(move || {
                client.write_all(b"late").unwrap();
                client
            });
            let second = rt::timeout(Duration::from_secs(10), stream.read(&mut buf))
                .await
                .map(|r| buf[..r.unwrap()].to_vec());
            drop(writer.await.unwrap());
            (first, waited, second)
        });
        assert_eq!(first, Err(Elapsed));
        assert!(waited >= ms(20), "{waited:?}");
        assert_eq!(second, Ok(b"late".to_vec()));
    });
}

// ---------------------------------------------------------------------------------------------
// Fairness
// ---------------------------------------------------------------------------------------------

#[test]
fn ready_tasks_take_turns_first_in_first_out() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    kernel.block_on(async move {
        let tasks = [
            rt::spawn(turns(l.clone(), "a", 3)),
            rt::spawn(turns(l.clone(), "b", 1)),
            rt::spawn(turns(l.clone(), "c", 3)),
        ];
        for task in tasks {
            task.await.unwrap();
        }
    });
    // b finishing early costs nobody a turn.
    assert_eq!(
        entries(&log),
        ["a 0", "b 0", "c 0", "a 1", "c 1", "a 2", "c 2"]
    );
}

#[test]
fn each_pass_runs_every_ready_future_once_in_order() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    for name in ["a", "b", "c"] {
        kernel.spawn_task(Task::from_future(name, turns(log.clone(), name, 3)));
    }
    assert_eq!(
        passes(&mut kernel, &log),
        [
            ["a 0", "b 0", "c 0"],
            ["a 1", "b 1", "c 1"],
            ["a 2", "b 2", "c 2"]
        ]
    );
}

#[test]
fn an_always_ready_task_does_not_starve_a_sleeping_task() {
    /// A bound on the spinner, so a bug fails the test instead of hanging it.
    const MAX_SPINS: u64 = 50_000_000;
    let deadline = ms(20);
    within(LIMIT, move || {
        let mut kernel = Kernel::new().with_slow_task_threshold(None);
        let (woke_at, spins_at_wake, first_late_spin, total) = kernel.block_on(async move {
            let done = Rc::new(Cell::new(false));
            let spins = Rc::new(Cell::new(0u64));
            // The spin at which the spinner first saw the deadline passed.
            let first_late = Rc::new(Cell::new(None::<u64>));
            let spinner = rt::spawn({
                let (done, spins, first_late) = (done.clone(), spins.clone(), first_late.clone());
                async move {
                    while !done.get() && spins.get() < MAX_SPINS {
                        spins.set(spins.get() + 1);
                        if first_late.get().is_none() && rt::now() >= deadline {
                            first_late.set(Some(spins.get()));
                        }
                        rt::yield_now().await;
                    }
                }
            });
            let sleeper = rt::spawn({
                let spins = spins.clone();
                async move {
                    rt::sleep_until(deadline).await;
                    done.set(true);
                    (rt::now(), spins.get())
                }
            });
            let (at, spins_at_wake) = sleeper.await.unwrap();
            spinner.await.unwrap();
            (at, spins_at_wake, first_late.get(), spins.get())
        });
        assert!(total < MAX_SPINS, "the sleeper stopped the spinner");
        assert!(woke_at >= deadline, "{woke_at:?}");
        assert!(woke_at < deadline + ms(500), "woke late: {woke_at:?}");
        // Counted in passes (one spin a pass): a due timer runs before the tasks that yielded,
        // so either the sleeper ran in the pass its deadline passed (and the spinner never saw
        // it late), or, if the deadline passed while the spinner ran, in the very next pass.
        if let Some(first_late) = first_late_spin {
            assert!(
                spins_at_wake <= first_late + 1,
                "the sleeper waited {} passes after its deadline",
                spins_at_wake - first_late
            );
        }
    });
}

#[test]
fn an_always_ready_task_does_not_starve_a_socket_read() {
    const MAX_SPINS: u64 = 50_000_000;
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        let (got, spins) = rt::block_on(async move {
            let done = Rc::new(Cell::new(false));
            let spins = Rc::new(Cell::new(0u64));
            let spinner = rt::spawn({
                let (done, spins) = (done.clone(), spins.clone());
                async move {
                    while !done.get() && spins.get() < MAX_SPINS {
                        spins.set(spins.get() + 1);
                        rt::yield_now().await;
                    }
                }
            });
            let reader = rt::spawn(async move {
                let stream = TcpStream::from_std(server).unwrap();
                let mut buf = [0; 5];
                stream.read_exact(&mut buf).await.unwrap();
                done.set(true);
                buf
            });
            let writer = thread::spawn(move || {
                thread::sleep(ms(10));
                client.write_all(b"hello").unwrap();
                client
            });
            let got = reader.await.unwrap();
            spinner.await.unwrap();
            drop(writer.join().unwrap());
            (got, spins.get())
        });
        assert_eq!(&got, b"hello");
        assert!(spins > 0 && spins < MAX_SPINS, "spins: {spins}");
    });
}

#[test]
fn ready_io_runs_before_futures_that_yielded_in_the_previous_pass() {
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        let peek = server.try_clone().unwrap();
        let log = new_log();
        let mut kernel = Kernel::new();
        kernel.spawn_task(Task::from_future("spinner", turns(log.clone(), "spin", 3)));
        let l = log.clone();
        kernel.spawn_task(Task::from_future("reader", async move {
            let stream = TcpStream::from_std(server).unwrap();
            let mut buf = [0; 5];
            let n = stream.read(&mut buf).await.unwrap();
            push(&l, format!("read {}", String::from_utf8_lossy(&buf[..n])));
        }));
        assert_eq!(one_pass(&mut kernel, &log), ["spin 0"]);
        send_and_settle(&mut client, &peek, b"hello");
        assert_eq!(one_pass(&mut kernel, &log), ["read hello", "spin 1"]);
    });
}

#[test]
fn due_timers_run_before_futures_that_yielded_in_the_previous_pass() {
    let log = new_log();
    let mut kernel = Kernel::new();
    kernel.spawn_task(Task::from_future("spinner", turns(log.clone(), "spin", 3)));
    let l = log.clone();
    kernel.spawn_task(Task::from_future("sleeper", async move {
        rt::sleep(ms(5)).await;
        push(&l, "sleeper woke");
    }));
    assert_eq!(one_pass(&mut kernel, &log), ["spin 0"]);
    thread::sleep(ms(10));
    assert_eq!(one_pass(&mut kernel, &log), ["sleeper woke", "spin 1"]);
}

/// The slow-task reports among `reports`: (id, name, how long it ran).
fn slow_reports(reports: &[Report]) -> Vec<(Option<TaskId>, String, Duration)> {
    reports
        .iter()
        .filter_map(|r| match r {
            Report::Slow { id, name, ran, .. } => Some((*id, name.to_string(), *ran)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_default_threshold_reports_a_slow_step_within_a_clock_tick() {
    // 100 ms: read from the coarse clock on Linux (see `with_slow_task_threshold`).
    let mut kernel = Kernel::new();
    let reports = capture_reports(&mut kernel);
    kernel.block_on(async {
        let quick = rt::spawn_named("quick", async {
            rt::yield_now().await;
        });
        let hog = rt::spawn_named("hog", async {
            thread::sleep(ms(130));
        });
        quick.await.unwrap();
        hog.await.unwrap();
    });
    let reports = reports.borrow();
    let slow = slow_reports(&reports);
    assert_eq!(slow.len(), 1, "{reports:?}");
    assert_eq!(slow[0].1, "hog");
    // Within a tick of the coarse clock (at most 10 ms), and not wildly more.
    assert!(
        slow[0].2 >= ms(120) && slow[0].2 < ms(1000),
        "{:?}",
        slow[0].2
    );
}

#[test]
fn a_task_holding_the_loop_is_reported_as_slow() {
    let mut kernel = Kernel::new().with_slow_task_threshold(Some(ms(10)));
    let reports = capture_reports(&mut kernel);
    let (hog_id, polite_id) = kernel.block_on(async {
        let polite = rt::spawn_named("polite", async {
            for _ in 0..3 {
                rt::yield_now().await;
            }
        });
        let hog = rt::spawn_named("hog", async {
            rt::yield_now().await;
            thread::sleep(ms(50));
        });
        let ids = (hog.id(), polite.id());
        hog.await.unwrap();
        polite.await.unwrap();
        ids
    });
    let reports = reports.borrow();
    let slow = slow_reports(&reports);
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (id, name, ran) = &slow[0];
    assert_eq!((*id, name.as_str()), (Some(hog_id), "hog"));
    assert_ne!(*id, Some(polite_id));
    assert!(*ran >= ms(50), "{ran:?}");
    let text = reports
        .iter()
        .find(|r| matches!(r, Report::Slow { .. }))
        .unwrap()
        .to_string();
    assert!(
        text.contains("\"hog\"") && text.contains("held the thread"),
        "{text}"
    );
}

#[test]
fn the_slow_task_warning_can_be_turned_off() {
    let mut kernel = Kernel::new().with_slow_task_threshold(None);
    let reports = capture_reports(&mut kernel);
    kernel.block_on(async {
        rt::spawn_named("hog", async { thread::sleep(ms(30)) })
            .await
            .unwrap();
    });
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

// ---------------------------------------------------------------------------------------------
// Generator tasks and future tasks
// ---------------------------------------------------------------------------------------------

/// Joins the task `id` (a future's) and says when it woke.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joiner(id: TaskId) -> Res<(Result<u32, JoinError>, Duration)> {
    let result = yield_from!(sys::join::<u32>(id))?;
    let at = yield_from!(sys::now())?;
    Ok((result, at))
}

#[test]
fn a_generator_task_joins_future_tasks_by_id() {
    let mut kernel = virtual_kernel().with_slow_task_threshold(None);
    let _reports = capture_reports(&mut kernel);
    let (ok, panicked, killed) = kernel.block_on(async {
        let fine = rt::spawn(async {
            rt::sleep(ms(10)).await;
            7u32
        });
        let doomed = rt::spawn(async {
            rt::sleep(ms(5)).await;
            explode(3)
        });
        let aborted = rt::spawn(async {
            rt::sleep(HOUR).await;
            0u32
        });
        let joins = [
            rt::spawn_generator("join fine", joiner(fine.id())),
            rt::spawn_generator("join doomed", joiner(doomed.id())),
            rt::spawn_generator("join aborted", joiner(aborted.id())),
        ];
        rt::sleep(ms(20)).await;
        aborted.abort();
        let [a, b, c] = joins;
        // The handles of the futures live until here: a dropped handle would detach its task.
        drop((fine, doomed, aborted));
        (a.await, b.await, c.await)
    });
    assert_eq!(ok, Ok(Ok((Ok(7), ms(10)))));
    assert_eq!(
        panicked,
        Ok(Ok((Err(JoinError::Panicked("boom 3".into())), ms(5))))
    );
    assert_eq!(killed, Ok(Ok((Err(JoinError::Killed), ms(20)))));
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn napper(log: Log, name: &'static str, d: u64) -> Res<u64> {
    yield_from!(sys::sleep(ms(d)))?;
    let at = yield_from!(sys::now())?;
    push(&log, format!("{name}@{at:?}"));
    Ok(d)
}

/// Spawns a napper as a generator task of its own and returns its id without waiting.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn parent(log: Log) -> Res<TaskId> {
    yield_from!(sys::spawn(Task::new("child", napper(log, "child", 25))))
}

#[test]
fn futures_await_generator_tasks_on_the_same_clock() {
    let log = new_log();
    let l = log.clone();
    let mut kernel = virtual_kernel();
    let (nap, child) = kernel.block_on(async move {
        let nap = rt::spawn_generator("napper", napper(l.clone(), "generator", 20));
        let future = rt::spawn(nap_then(l.clone()));
        // A generator task known only by its id, spawned by another generator task.
        let child = rt::spawn_generator("parent", parent(l.clone()))
            .await
            .unwrap()
            .unwrap();
        let child = JoinHandle::<Res<u64>>::for_task(child).await;
        future.await.unwrap();
        (nap.await, child)
    });
    assert_eq!(nap, Ok(Ok(20)));
    assert_eq!(child, Ok(Ok(25)));
    assert_eq!(
        entries(&log),
        ["future@10ms", "generator@20ms", "child@25ms", "future@30ms"]
    );
}

async fn nap_then(log: Log) {
    nap(log.clone(), "future", 10).await;
    nap(log, "future", 20).await;
}

#[test]
fn equal_deadlines_across_generator_and_future_tasks_wake_in_the_order_set() {
    let log = new_log();
    let l = log.clone();
    let mut kernel = virtual_kernel();
    kernel.block_on(async move {
        // The future sets its timer first (it is polled first), then the generator.
        let future = rt::spawn(nap(l.clone(), "future", 10));
        let generator = rt::spawn_generator("generator", napper(l.clone(), "generator", 10));
        future.await.unwrap();
        generator.await.unwrap().unwrap();
    });
    assert_eq!(entries(&log), ["future@10ms", "generator@10ms"]);
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn killer(target: TaskId) -> Res<bool> {
    yield_from!(sys::kill(target))
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn canceller(target: TaskId) -> Res<bool> {
    yield_from!(sys::cancel(target))
}

#[test]
fn a_generator_task_kills_or_cancels_a_future_task_and_its_destructors_run() {
    let log = new_log();
    let l = log.clone();
    let mut kernel = virtual_kernel();
    let (killed, victim, cancelled, victim2) = kernel.block_on(async move {
        let sleeper = |name: &'static str| {
            let l = l.clone();
            rt::spawn(async move {
                let _guard = Guard::new(name, &l);
                rt::sleep(HOUR).await;
            })
        };
        let victim = sleeper("victim");
        let victim2 = sleeper("victim 2");
        rt::yield_now().await;
        let killed = rt::spawn_generator("killer", killer(victim.id())).await;
        // A future cannot be thrown into: cancelling it kills it.
        let cancelled = rt::spawn_generator("canceller", canceller(victim2.id())).await;
        (killed, victim.await, cancelled, victim2.await)
    });
    assert_eq!(killed, Ok(Ok(true)));
    assert_eq!(victim, Err(JoinError::Killed));
    assert_eq!(cancelled, Ok(Ok(true)));
    assert_eq!(victim2, Err(JoinError::Killed));
    assert_eq!(entries(&log), ["drop victim", "drop victim 2"]);
    assert_eq!(kernel.now(), Duration::ZERO);
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn guarded_sleeper(log: Log) -> Res<()> {
    let _guard = Guard::new("generator", &log);
    yield_from!(sys::sleep(HOUR))?;
    push(&log, "woke");
    Ok(())
}

#[test]
fn aborting_a_generator_task_from_a_future_closes_it() {
    let log = new_log();
    let l = log.clone();
    let mut kernel = virtual_kernel();
    let (at_abort, result) = kernel.block_on(async move {
        let task = rt::spawn_generator("sleeper", guarded_sleeper(l.clone()));
        rt::yield_now().await;
        rt::yield_now().await;
        task.abort();
        (entries(&l), task.await)
    });
    assert_eq!(at_abort, ["drop generator"]);
    assert_eq!(result, Err(JoinError::Killed));
    assert_eq!(entries(&log), ["drop generator"]);
}

#[test]
fn snapshot_lists_future_and_generator_tasks_with_what_they_wait_for() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let reports = capture_reports(&mut kernel);
    let l = log.clone();
    kernel.block_on(async move {
        drop(rt::spawn_named("sleeper", rt::sleep(HOUR)));
        drop(rt::spawn_generator(
            "napper",
            napper(l, "napper", 3_600_000),
        ));
        rt::yield_now().await;
        rt::yield_now().await;
    });
    let snap = kernel.snapshot();
    let tasks: Vec<(String, TaskState, u64)> = snap
        .tasks
        .iter()
        .map(|t| (t.name.to_string(), t.state, t.steps))
        .collect();
    assert_eq!(
        tasks,
        [
            ("sleeper".to_string(), TaskState::Awaiting, 1),
            ("napper".to_string(), TaskState::Sleeping { until: HOUR }, 1),
        ]
    );
    let table = snap.to_string();
    assert!(
        table.contains("sleeper") && table.contains("awaiting a wake"),
        "{table}"
    );
    drop(kernel);
    let pending = reports
        .borrow()
        .iter()
        .filter(|r| matches!(r, Report::Pending { .. }))
        .count();
    assert_eq!(pending, 2, "both were reported when the kernel was dropped");
}

// ---------------------------------------------------------------------------------------------
// Async generators on the loop
// ---------------------------------------------------------------------------------------------

/// Yields the loop's clock every `every`, `n` times.
#[generator(yield = Duration)]
async fn ticker(n: u32, every: Duration) {
    for _ in 0..n {
        rt::sleep(every).await;
        yield_!(rt::now());
    }
}

#[test]
fn an_async_generator_ticks_on_the_loop_clock() {
    let mut kernel = virtual_kernel();
    let (ticks, after) = kernel.block_on(async {
        let mut t = ticker(3, ms(10));
        let mut ticks = vec![];
        while let Some(at) = t.next().await {
            ticks.push(at);
        }
        (ticks, t.next().await)
    });
    assert_eq!(ticks, [ms(10), ms(20), ms(30)]);
    assert_eq!(after, None, "it stays finished");
}

#[test]
fn async_generators_consumed_by_two_tasks_interleave_by_time() {
    let log = new_log();
    let l = log.clone();
    let mut kernel = virtual_kernel();
    kernel.block_on(async move {
        let consume = |name: &'static str, n, every| {
            let l = l.clone();
            rt::spawn(async move {
                let mut t = ticker(n, ms(every));
                while let Some(at) = t.next().await {
                    push(&l, format!("{name}@{at:?}"));
                }
            })
        };
        let a = consume("a", 3, 10);
        let b = consume("b", 2, 15);
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(
        entries(&log),
        ["a@10ms", "b@15ms", "a@20ms", "b@30ms", "a@30ms"]
    );
}

#[test]
fn a_timed_out_next_loses_no_item() {
    let mut kernel = virtual_kernel();
    let got = kernel.block_on(async {
        let mut t = ticker(2, ms(10));
        let first = rt::timeout(ms(4), t.next()).await;
        let at = rt::now();
        // The body stayed suspended in its sleep, which goes on from where it was.
        let rest = [t.next().await, t.next().await, t.next().await];
        (first, at, rest)
    });
    assert_eq!(
        got,
        (Err(Elapsed), ms(4), [Some(ms(10)), Some(ms(20)), None])
    );
}

#[generator(yield = u32)]
async fn guarded_ticks(log: Log) {
    let _guard = Guard::new("ticks", &log);
    for i in 0.. {
        rt::sleep(ms(10)).await;
        yield_!(i);
    }
}

#[test]
fn aborting_the_consumer_drops_an_async_generator_mid_sleep() {
    let log = new_log();
    let l = log.clone();
    let mut kernel = virtual_kernel();
    let result = kernel.block_on(async move {
        let consumer = rt::spawn({
            let l = l.clone();
            async move {
                let mut ticks = guarded_ticks(l.clone());
                while let Some(i) = ticks.next().await {
                    stamp(&l, &format!("got {i}"));
                }
            }
        });
        rt::sleep(ms(25)).await;
        consumer.abort();
        consumer.await
    });
    assert_eq!(result, Err(JoinError::Killed));
    assert_eq!(entries(&log), ["got 0@10ms", "got 1@20ms", "drop ticks"]);
}

/// A sleep awaited where no loop runs: the poll cannot name the `.await`, so the message
/// names the line that made the sleep.
#[test]
fn sleep_awaited_outside_a_loop_names_where_it_was_made() {
    let line = line!() + 1;
    let nap = rt::sleep(Duration::from_millis(1));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut nap = std::pin::pin!(nap);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let _ = std::future::Future::poll(nap.as_mut(), &mut cx);
    }))
    .unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("outside of a loop"), "{msg}");
    assert!(msg.contains(&format!("{}:{line}:", file!())), "{msg}");
}
