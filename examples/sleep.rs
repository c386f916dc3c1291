//! `sleep`: three naps of 3, 2 and 1 seconds, first one after another, then all at once — the
//! "hello world" of asyncio, on `resumable::rt`.
//!
//! `rt::sleep(d)` does not block the thread: it sets a timer in the loop and returns `Pending`,
//! and the loop runs whatever else is ready until the timer is due. So awaiting the naps one
//! after another takes 3 + 2 + 1 = 6 seconds, but starting them as three tasks of a
//! [`TaskGroup`](resumable::rt::TaskGroup) and awaiting the group takes as long as the longest
//! nap, 3 seconds — on one thread.
//!
//! Python:
//! ```python
//! async def nap(name, seconds):
//!     print(f"{name} falls asleep for {seconds} s")
//!     await asyncio.sleep(seconds)
//!     print(f"{name} wakes up")
//!
//! async def main():
//!     for name, s in naps:                                     # one after another: ~6 s
//!         await nap(name, s)
//!     async with asyncio.TaskGroup() as group:                # concurrently: ~3 s
//!         for name, s in naps:
//!             group.create_task(nap(name, s))
//!
//! asyncio.run(main())
//! ```
//!
//! Run with `cargo run --example sleep` (about 9 seconds). `cargo run --example sleep -- 100`
//! makes a "second" 100 ms long, for the impatient. Times are printed in whole "seconds",
//! rounded: a timer fires a little after its deadline (a millisecond or so), and the point here
//! is whole naps, not the milliseconds.
use std::time::{Duration, Instant};

use resumable::rt::{self, TaskGroup};

/// The naps: who sleeps, and for how many "seconds".
const NAPS: [(&str, u32); 3] = [("A", 3), ("B", 2), ("C", 1)];

/// Sleeps for `seconds` units, saying when it starts and ends (time since `epoch`).
async fn nap(name: &'static str, seconds: u32, unit: Duration, epoch: Instant) {
    println!("  {}  {name} falls asleep for {seconds} s", at(epoch, unit));
    rt::sleep(unit * seconds).await; // the loop is free meanwhile
    println!("  {}  {name} wakes up", at(epoch, unit));
}

/// `d` in whole units ("seconds"), rounded.
fn seconds(d: Duration, unit: Duration) -> u32 {
    (d.as_secs_f64() / unit.as_secs_f64()).round() as u32
}

/// The time since `epoch`, as `  3 s`.
fn at(epoch: Instant, unit: Duration) -> String {
    format!("{:>3} s", seconds(epoch.elapsed(), unit))
}

fn main() {
    let unit = match std::env::args().nth(1) {
        None => Duration::from_secs(1),
        Some(ms) => match ms.parse::<u64>() {
            Ok(ms) if ms > 0 => Duration::from_millis(ms),
            _ => {
                eprintln!("usage: sleep [MILLISECONDS_PER_SECOND]   (default 1000)");
                std::process::exit(2);
            }
        },
    };
    if unit != Duration::from_secs(1) {
        println!("(one \"second\" is {unit:?} in this run)\n");
    }

    let (sequential, concurrent) = rt::block_on(async {
        println!("1. One after another: each nap is awaited before the next one starts.\n");
        let epoch = Instant::now();
        for (name, seconds) in NAPS {
            nap(name, seconds, unit, epoch).await;
        }
        let sequential = seconds(epoch.elapsed(), unit);
        println!("\n   took about {sequential} s: the sum of the naps.\n");

        println!(
            "2. Concurrently: all three start as tasks of a group, then we await the group.\n"
        );
        let epoch = Instant::now();
        let group = TaskGroup::new();
        for (name, seconds) in NAPS {
            group.spawn(nap(name, seconds, unit, epoch));
        }
        for nap in group.await {
            nap.expect("a nap does not panic");
        }
        let concurrent = seconds(epoch.elapsed(), unit);
        println!("\n   took about {concurrent} s: the longest nap.\n");
        (sequential, concurrent)
    });

    println!(
        "One after another: about {sequential} s. Concurrently: about {concurrent} s ({}x faster).",
        sequential / concurrent.max(1)
    );
    println!();
    println!("Both ran on this one thread. A nap is a timer in the loop's heap, not a blocked");
    println!("thread: while A waits, the loop is free to start B and C, and it wakes each task");
    println!("when its timer is due (C first). Awaiting a coroutine directly runs it to the end");
    println!("before the next line; spawning it makes it a task that runs alongside the caller.");
    println!("A group's tasks end with the group: had one nap panicked, the others would have");
    println!("been cancelled, as in asyncio's TaskGroup.");
}
