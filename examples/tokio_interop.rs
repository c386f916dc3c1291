//! `tokio_interop`: the generators written with `resumable` run on tokio's multi-threaded
//! runtime too — so a program that outgrows `resumable::rt` keeps its generators.
//!
//! Nothing in a generator is tied to an executor. An async generator
//! (`#[generator(yield = T)] async fn`) is a `futures_core::Stream`: it is polled with whatever
//! waker the executor passes in, and its body awaits whatever futures it awaits — tokio's timers
//! here. The generator is `Send` exactly when what it holds across its `yield_!`s and `.await`s
//! is, so `tokio::spawn` accepts it, and the runtime may move it between worker threads between
//! two polls. A plain `#[generator] fn` is an `Iterator`, and iterates anywhere.
//!
//! What does not carry over is what belongs to a loop: `rt::sleep`, `rt::net` and `rt::spawn`
//! need `rt`'s loop, as `tokio::time::sleep` needs tokio's. A generator that should run on both
//! takes the waiting as a parameter (section 3).
//!
//! Run with `cargo run --example tokio_interop` (about one second).
use std::collections::BTreeSet;
use std::future::Future;
use std::thread;
use std::time::{Duration, Instant};

use resumable::prelude::*;
use resumable::rt;

/// Counts down from `from`, one number every `every`, on tokio's clock. It sleeps *until* each
/// number is due rather than *for* `every`, so lateness does not pile up.
#[generator(yield = u64)]
async fn countdown(from: u64, every: Duration) {
    let start = tokio::time::Instant::now();
    for (k, n) in (1..=from).rev().enumerate() {
        tokio::time::sleep_until(start + every * (k as u32 + 1)).await;
        yield_!(n);
    }
}

/// The Fibonacci numbers below `limit`: a plain generator, an `Iterator`.
#[generator(yield = u64)]
fn fib(limit: u64) -> usize {
    let (mut a, mut b, mut count) = (0, 1, 0);
    while a < limit {
        yield_!(a);
        (a, b) = (b, a + b);
        count += 1;
    }
    count
}

/// `n` ticks, waiting with whatever `nap` returns: runs on any executor that runs the naps.
#[generator(yield = u32)]
async fn ticks<F: Future<Output = ()>>(n: u32, mut nap: impl FnMut() -> F) {
    for tick in 1..=n {
        nap().await;
        yield_!(tick);
    }
}

/// Compiles only for `Send` values: what `tokio::spawn` asks of a task's future.
fn assert_send<T: Send>(value: T) -> T {
    value
}

/// This thread, shortly: `ThreadId(3)` becomes `3`.
fn thread_no() -> String {
    let id = format!("{:?}", thread::current().id());
    id.trim_start_matches("ThreadId(")
        .trim_end_matches(')')
        .to_string()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    println!(
        "A tokio multi-threaded runtime with 2 worker threads; main is thread {}.\n",
        thread_no()
    );

    runtime.block_on(async {
        println!("1. Async generators whose bodies await tokio::time::sleep, each consumed in its own");
        println!("   tokio::spawn task; three at once on the two workers.\n");
        let started = Instant::now();
        let consumers: Vec<_> = [("a", 30), ("b", 50), ("c", 70)]
            .into_iter()
            .map(|(name, ms)| {
                // Send, because it holds nothing that is not: tokio::spawn would refuse it otherwise.
                let stream = assert_send(countdown(4, Duration::from_millis(ms)));
                tokio::spawn(async move {
                    let mut stream = stream;
                    let mut threads = BTreeSet::new();
                    while let Some(n) = stream.next().await {
                        threads.insert(thread_no());
                        println!(
                            "  {:>4} ms  {name}: {n}   (on worker thread {})",
                            started.elapsed().as_millis(),
                            thread_no()
                        );
                    }
                    threads
                })
            })
            .collect();
        let mut threads = BTreeSet::new();
        for consumer in consumers {
            let used = consumer.await.expect("a consumer task does not panic");
            threads.extend(used);
        }
        let threads: Vec<_> = threads.into_iter().collect();
        println!(
            "\n   The tasks ran on worker thread(s) {} this time; tokio may resume a task on any",
            threads.join(" and ")
        );
        println!("   worker, so everything a task holds, its generator included, must be Send. These");
        println!("   generators are, since what they hold is (tokio::spawn checks it at compile time).\n");
        println!("2. A plain #[generator] fn, iterated inside a tokio task, awaiting between items.\n");
        let summer = tokio::spawn(async {
            let mut numbers = fib(1_000);
            let mut sum = 0;
            for n in &mut numbers {
                sum += n;
                tokio::task::yield_now().await; // the generator is held across this .await
            }
            (sum, numbers.take_return())
        });
        let (sum, count) = summer.await.expect("the summing task does not panic");
        println!(
            "   fib(1000) yielded numbers summing to {sum}, then returned {count:?} (take_return()).\n"
        );

        println!("3. One generator, two executors: ticks(n, nap) waits with whatever nap gives it.\n");
        let (a, b) = tokio::join!(
            collect_ticks(ticks(3, || tokio::time::sleep(Duration::from_millis(30)))),
            collect_ticks(ticks(2, || tokio::time::sleep(Duration::from_millis(45)))),
        );
        println!("   on tokio, two at once with tokio::join!: {a:?} and {b:?}");
    });

    // The same generator on resumable's own loop, with rt's timer.
    let on_rt = rt::block_on(collect_ticks(ticks(3, || {
        rt::sleep(Duration::from_millis(30))
    })));
    println!("   on rt::block_on:                          {on_rt:?}\n");

    println!("Moving from rt to tokio means changing what the bodies await (rt::sleep becomes");
    println!(
        "tokio::time::sleep, rt::net becomes tokio::net) and who spawns the tasks. The generators,"
    );
    println!("their yield_!s and the code that consumes them with .next().await stay as they are.");
}

/// Every tick of `s`, with the time each came (ms since the first poll).
/// (Any `Stream` works here: this one is polled through the trait, not the inherent `next`.)
async fn collect_ticks<S: Stream<Item = u32> + Unpin>(mut s: S) -> Vec<(u32, u128)> {
    let started = Instant::now();
    let mut got = Vec::new();
    while let Some(tick) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut s).poll_next(cx)).await
    {
        got.push((tick, started.elapsed().as_millis()));
    }
    got
}
