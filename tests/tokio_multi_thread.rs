#![cfg(not(miri))] // tokio's runtime and a child process: nothing Miri can run
//! Async generators on tokio's multi-threaded runtime (work stealing), as
//! `examples/tokio_interop.rs` shows them: a generator started on one thread finishes on
//! another; `send`, `throw`, `yield_from!` and `close_with` (asend, athrow, delegation, aclose)
//! work whichever worker polls them; many generators share the workers and every value arrives;
//! and the example itself runs to the end.

#[allow(unused_imports)] // its re-exports of the stress phases, unused here
mod stress_common;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use resumable::prelude::*;
use resumable::CloseError;

use stress_common::example_binary;

/// A multi-threaded tokio runtime with two workers and a clock.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// What a generator wrote down, shared across threads.
type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Writes `name` into the log when dropped (a `finally`), on whatever thread drops it.
struct Guard(&'static str, Log);

impl Drop for Guard {
    fn drop(&mut self) {
        self.1.lock().unwrap().push(format!("dropped {}", self.0));
    }
}

/// Counts down from `from`, sleeping on tokio's timer before each number; notes the thread of
/// every step.
#[generator(yield = (u64, ThreadId))]
async fn countdown(from: u64, log: Log) {
    let _guard = Guard("countdown", log);
    for n in (1..=from).rev() {
        tokio::time::sleep(Duration::from_millis(2)).await;
        yield_!((n, thread::current().id()));
    }
}

#[test]
fn a_generator_started_on_the_main_thread_finishes_on_a_worker() {
    let log = Log::default();
    let main = thread::current().id();
    let (first, rest, workers) = runtime().block_on(async {
        // `block_on` polls this future on the calling thread: the first step runs here.
        let mut g = countdown(4, log.clone());
        let first = g.next().await;
        // Spawned tasks run on the workers only: the rest of the body runs there.
        let rest = tokio::spawn(async move {
            let mut rest = vec![];
            while let Some((n, body_thread)) = g.next().await {
                assert_eq!(
                    body_thread,
                    thread::current().id(),
                    "the body runs on the thread that polls it"
                );
                rest.push(n);
            }
            rest
        });
        let rest = rest.await.expect("the task does not panic");
        // Which workers the runtime has: a task spawned now runs on one of them.
        let mut workers = BTreeSet::new();
        for _ in 0..8 {
            let id = tokio::spawn(async { thread::current().id() })
                .await
                .unwrap();
            workers.insert(format!("{id:?}"));
        }
        (first, rest, workers)
    });
    let (n, first_thread) = first.expect("a first value");
    assert_eq!(n, 4);
    assert_eq!(first_thread, main, "the first step ran on the main thread");
    assert_eq!(rest, [3, 2, 1], "the rest came, in order, from the worker");
    assert!(!workers.contains(&format!("{main:?}")));
    assert_eq!(
        entries(&log),
        ["dropped countdown"],
        "the body ended, dropping its locals once"
    );
}

#[derive(Debug, PartialEq, Clone)]
enum Stop {
    Reset,
    Finish,
}

/// A running total: `send(Ok(x))` adds `x` and yields the total; `throw(Reset)` starts again
/// from zero; `close_with(Finish)` runs async cleanup (a tokio sleep) and returns.
#[generator(yield = u64, resume = u64, throw = Stop)]
async fn total(log: Log) -> Result<(), Stop> {
    let _guard = Guard("total", log.clone());
    let mut total = 0;
    loop {
        tokio::task::yield_now().await; // a real suspension: another worker may resume it
        match yield_!(total) {
            Ok(x) => total += x,
            Err(Stop::Reset) => total = 0,
            Err(Stop::Finish) => break,
        }
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    log.lock().unwrap().push(format!("cleaned up at {total}"));
    Ok(())
}

/// Delegates to `total`: every value, send and throw goes through. (Closed at the
/// `yield_from!`, it never writes its line.)
#[generator(yield = u64, resume = u64, throw = Stop)]
async fn delegating(log: Log) -> Result<(), Stop> {
    let r = yield_from!(total(log.clone()));
    log.lock().unwrap().push("delegation returned".to_string());
    r
}

#[test]
fn send_throw_and_close_with_work_from_task_to_task() {
    let log = Log::default();
    let got = runtime().block_on(async {
        let mut g = delegating(log.clone());
        // Three tasks in turn, each handing the generator on to the next: the runtime may run
        // each on either worker.
        let (g, a) = tokio::spawn(async move {
            let started = g.start().await;
            let one = g.send(Ok(5)).await;
            let two = g.send(Ok(7)).await;
            (g, vec![started, one, two])
        })
        .await
        .unwrap();
        let (mut g, b) = tokio::spawn(async move {
            let mut g = g;
            let reset = g.throw(Stop::Reset).await;
            let three = g.send(Ok(3)).await;
            (g, vec![reset, three])
        })
        .await
        .unwrap();
        let closed = tokio::spawn(async move {
            let closed = g.close_with(Stop::Finish).await;
            (closed, g.is_finished())
        })
        .await
        .unwrap();
        (a, b, closed)
    });
    let (a, b, (closed, finished)) = got;
    assert_eq!(a, [Some(Ok(0)), Some(Ok(5)), Some(Ok(12))]);
    assert_eq!(b, [Some(Ok(0)), Some(Ok(3))]);
    // Python's aclose() at a `yield from`: the subgenerator runs its async cleanup and
    // returns; the delegating generator does not go on past its `yield_from!`.
    assert_eq!(closed, Err(CloseError::Delegated));
    assert!(finished);
    assert_eq!(entries(&log), ["cleaned up at 3", "dropped total"]);
}

/// `0..n`, with a tokio `yield_now` before each value: many of them keep both workers busy.
#[generator(yield = u64)]
async fn numbers(n: u64) {
    for i in 0..n {
        tokio::task::yield_now().await;
        yield_!(i);
    }
}

#[test]
fn many_generators_share_the_workers_and_every_value_arrives() {
    const TASKS: u64 = 64;
    const EACH: u64 = 200;
    let sums = runtime().block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                tokio::spawn(async {
                    let mut g = numbers(EACH);
                    let mut expected = 0;
                    while let Some(i) = g.next().await {
                        assert_eq!(i, expected, "in order");
                        expected += 1;
                    }
                    expected
                })
            })
            .collect();
        let mut counts = vec![];
        for task in tasks {
            counts.push(task.await.expect("no task panics"));
        }
        counts
    });
    assert_eq!(sums, vec![EACH; TASKS as usize]);
}

#[test]
fn the_example_runs_its_generators_on_tokio_and_on_rt() {
    let out = Command::new(example_binary("tokio_interop"))
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // main is thread N; every countdown step ran on a worker thread, none on main's.
    let main = stdout
        .split_once("main is thread ")
        .and_then(|(_, rest)| rest.split('.').next())
        .unwrap_or_else(|| panic!("the main thread's number:\n{stdout}"));
    let workers: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once("(on worker thread ")?.1.strip_suffix(')'))
        .collect();
    assert!(
        !workers.is_empty() && !workers.contains(main),
        "the tasks ran on tokio's workers {workers:?}, not on main ({main}):\n{stdout}"
    );
    // Section 1: three countdowns of four numbers, each consumed by its own task.
    for name in ["a", "b", "c"] {
        let got: Vec<&str> = stdout
            .lines()
            .filter_map(|l| {
                l.split_once(&format!("  {name}: "))?
                    .1
                    .split_whitespace()
                    .next()
            })
            .collect();
        assert_eq!(got, ["4", "3", "2", "1"], "countdown {name}:\n{stdout}");
    }
    // Section 2: fib(1000) is 0 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987: 17 numbers.
    assert!(
        stdout.contains("summing to 2583, then returned Some(17)"),
        "{stdout}"
    );
    // Section 3: one generator on both executors.
    let ticks = |prefix: &str| {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("a line starting with {prefix:?}:\n{stdout}"));
        // `[(1, 30), (2, 60)]`: one parenthesis per tick, and none elsewhere on the line.
        line.matches('(').count()
    };
    assert_eq!(ticks("on tokio"), 3 + 2, "{stdout}");
    assert_eq!(ticks("on rt::block_on"), 3, "{stdout}");
}
