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
//! is whole naps, not the milliseconds. `--svg FILE` (after the milliseconds, if any) also
//! draws both parts as an SVG picture in FILE, in the run's "seconds".
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use resumable::rt::{self, TaskGroup};
use resumable::timeline::{Activity, Timeline};

/// The naps: who sleeps, and for how many "seconds".
const NAPS: [(&str, u32); 3] = [("A", 3), ("B", 2), ("C", 1)];

/// One part of the demo: when it began, how long a "second" is, and the picture it adds to.
#[derive(Clone)]
struct Part {
    /// `1.` or `2.`, in front of the rows' names.
    number: &'static str,
    epoch: Instant,
    unit: Duration,
    timeline: Rc<RefCell<Timeline<Duration>>>,
}

impl Part {
    /// The time since the part began, as printed: `  3 s`.
    fn at(&self) -> String {
        format!("{:>3} s", seconds(self.epoch.elapsed(), self.unit))
    }

    /// The time since the part began, in "seconds" (unrounded), for the picture.
    fn now(&self) -> Duration {
        self.epoch.elapsed().div_f64(self.unit.as_secs_f64())
    }

    /// Notes that `name` was doing `what` over `span` (in "seconds").
    fn note(&self, name: &str, what: Activity, span: std::ops::Range<Duration>) {
        let mut timeline = self.timeline.borrow_mut();
        let row = timeline.row(format!("{} {name}", self.number));
        timeline.span(row, what, span);
    }
}

/// Sleeps for `seconds` units, saying when it starts and ends (time since the part began).
async fn nap(name: &'static str, seconds: u32, part: Part) {
    println!("  {}  {name} falls asleep for {seconds} s", part.at());
    let asleep = part.now();
    part.note(name, Activity::Ran, asleep..asleep);
    let unit = part.unit;
    rt::sleep(unit * seconds).await; // the loop is free meanwhile
    let woke = part.now();
    part.note(name, Activity::Slept, asleep..woke);
    part.note(name, Activity::Ran, woke..woke);
    println!("  {}  {name} wakes up", part.at());
}

/// `d` in whole units ("seconds"), rounded.
fn seconds(d: Duration, unit: Duration) -> u32 {
    (d.as_secs_f64() / unit.as_secs_f64()).round() as u32
}

/// The arguments: how long a "second" is, and the file `--svg FILE` names, if any.
fn arguments() -> (Duration, Option<String>) {
    let usage = || -> ! {
        eprintln!("usage: sleep [MILLISECONDS_PER_SECOND] [--svg FILE]   (default 1000 ms)");
        std::process::exit(2);
    };
    let (mut unit, mut svg) = (Duration::from_secs(1), None);
    let mut args = std::env::args().skip(1).peekable();
    if let Some(ms) = args.next_if(|a| a != "--svg") {
        match ms.parse::<u64>() {
            Ok(ms) if ms > 0 => unit = Duration::from_millis(ms),
            _ => usage(),
        }
    }
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, _, _) => {}
        (Some("--svg"), Some(path), None) => svg = Some(path),
        _ => usage(),
    }
    (unit, svg)
}

fn main() {
    let (unit, svg) = arguments();
    if unit != Duration::from_secs(1) {
        println!("(one \"second\" is {unit:?} in this run)\n");
    }
    let timeline = Rc::new(RefCell::new(Timeline::new(
        "The naps: 1. one after another, 2. as tasks of a group",
    )));
    let part = |number| Part {
        number,
        epoch: Instant::now(),
        unit,
        timeline: timeline.clone(),
    };

    let (sequential, concurrent) = rt::block_on(async {
        println!("1. One after another: each nap is awaited before the next one starts.\n");
        let first = part("1.");
        for (name, seconds) in NAPS {
            nap(name, seconds, first.clone()).await;
        }
        let sequential = seconds(first.epoch.elapsed(), unit);
        println!("\n   took about {sequential} s: the sum of the naps.\n");

        println!(
            "2. Concurrently: all three start as tasks of a group, then we await the group.\n"
        );
        let second = part("2.");
        let group = TaskGroup::new();
        for (name, seconds) in NAPS {
            group.spawn(nap(name, seconds, second.clone()));
        }
        for nap in group.await {
            nap.expect("a nap does not panic");
        }
        let concurrent = seconds(second.epoch.elapsed(), unit);
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

    if let Some(path) = svg {
        std::fs::write(&path, timeline.borrow().to_svg()).expect("the SVG file can be written");
        println!("\n(Both parts are drawn in {path}.)");
    }
}
