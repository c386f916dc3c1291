//! `hog`: the price of cooperative multitasking — a task that never yields stops everyone —
//! and how the kernel catches it in the act.
//!
//! A kernel task runs until its next yield; nothing can interrupt it in between (no timer
//! interrupt, no preemption: that is what "cooperative" means). So a task that computes for
//! 300 ms without yielding holds the one thread for 300 ms: timers fire late, sockets go
//! unread, every other task waits. Here a `ticker` that should tick every 25 ms shows the gap.
//!
//! The kernel measures every slice (the time from one resume to the next yield); one longer than
//! the threshold set with `Kernel::with_slow_task_threshold` is reported as `Report::Slow`,
//! naming the task and the two yields the slice ran between (from `suspended_at`) — so you know
//! which loop to fix. The fix: yield in the loop, `yield_from!(sys::yield_now())?` every chunk
//! of work. A yield lets every ready task, and ready I/O, run before the hog goes on.
//!
//! Python's asyncio has the same warning (`loop.slow_callback_duration` in debug mode) and the
//! same fix:
//! ```python
//! async def hog():
//!     for chunk in range(30):
//!         crunch(0.010)
//!         await asyncio.sleep(0)    # yield_now(): let the others run
//! ```
//!
//! Run with `cargo run --example hog` (about one second).
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use resumable::kernel::{sys, Cancelled, Kernel, Reply, Report, Syscall, Task};
use resumable::prelude::*;

const TICK: Duration = Duration::from_millis(25);
const WORK: Duration = Duration::from_millis(300);
const CHUNK: Duration = Duration::from_millis(10);
const THRESHOLD: Duration = Duration::from_millis(100);
/// When the worker starts: between the ticker's second tick (due at 50 ms) and its third (75
/// ms), with room for the first two to come late on a busy machine.
const START: Duration = Duration::from_millis(70);

fn ms(d: Duration) -> String {
    format!("{:>4} ms", d.as_millis())
}

/// CPU work for `d`: a busy loop, no yield in it.
fn crunch(d: Duration) -> u64 {
    let started = Instant::now();
    let mut x = 0u64;
    while started.elapsed() < d {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    x
}

/// Ticks every `TICK`, and says how late each tick came.
///
/// It reads the time with `Instant` rather than `sys::now()`: a system call, even one the
/// kernel answers at once, sends the task to the back of the queue, behind the worker's next
/// slice, and would add that slice to the lateness measured.
///
/// It stops after two ticks once `worker_done` is set; it returns how many ticks it made.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn ticker(epoch: Instant, worker_done: Rc<Cell<bool>>) -> Result<u32, Cancelled> {
    let (mut ticks, mut after_the_worker) = (0, 0);
    while after_the_worker < 2 {
        let asleep = Instant::now();
        yield_from!(sys::sleep(TICK))?;
        ticks += 1;
        if worker_done.get() {
            after_the_worker += 1;
        }
        let late = asleep.elapsed().saturating_sub(TICK);
        let note = if late > CHUNK + Duration::from_millis(2) {
            "  <-- starved: the worker held the thread"
        } else {
            ""
        };
        println!(
            "  {}  ticker  tick {ticks:>2}, {} late{note}",
            ms(epoch.elapsed()),
            ms(late)
        );
    }
    Ok(ticks)
}

/// 300 ms of work in one go: from its resume to its return, nobody else runs.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn hog(epoch: Instant) -> Result<(), Cancelled> {
    // A raw system call rather than `sys::sleep`, so that the kernel's report names this line:
    // it names the innermost yield, which for a `sys::` helper is a line of its source.
    yield_!(Syscall::Sleep(START))?;
    let work = ms(WORK);
    println!(
        "  {}  hog     starts {} of work without a yield",
        ms(epoch.elapsed()),
        work.trim()
    );
    crunch(WORK);
    println!("  {}  hog     done", ms(epoch.elapsed()));
    Ok(())
}

/// The same work in chunks, with a yield after each.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn polite(epoch: Instant) -> Result<(), Cancelled> {
    yield_from!(sys::sleep(START))?;
    println!(
        "  {}  polite  starts {} of work, yielding every {}",
        ms(epoch.elapsed()),
        ms(WORK).trim(),
        ms(CHUNK).trim()
    );
    let mut done = Duration::ZERO;
    while done < WORK {
        crunch(CHUNK);
        done += CHUNK;
        yield_from!(sys::yield_now())?; // the fix: everyone ready gets a turn, I/O too
    }
    println!("  {}  polite  done", ms(epoch.elapsed()));
    Ok(())
}

/// Starts the ticker and the worker, waits for the worker, then for the ticker, which ticks
/// twice more.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn demo(epoch: Instant, worker: Task) -> Result<u32, Cancelled> {
    let worker_done = Rc::new(Cell::new(false));
    let ticker = ticker(epoch, worker_done.clone());
    let ticker = yield_from!(sys::spawn(Task::new("ticker", ticker)))?;
    let worker = yield_from!(sys::spawn(worker))?;
    yield_from!(sys::join::<Result<(), Cancelled>>(worker))?.expect("the worker ends")?;
    worker_done.set(true);
    let ticks = yield_from!(sys::join::<Result<u32, Cancelled>>(ticker))?;
    Ok(ticks.expect("the ticker ends")?)
}

/// Runs the worker `make` makes next to a ticker, on a fresh kernel (real clock) that prints its
/// reports nicely; returns how many reports it made.
fn run(make: impl FnOnce(Instant) -> Task) -> usize {
    let epoch = Instant::now(); // the time printed: since the kernel started
    let reports = Rc::new(Cell::new(0));
    let mut kernel = Kernel::new().with_slow_task_threshold(Some(THRESHOLD));
    let count = reports.clone();
    kernel.on_report(move |report| {
        count.set(count.get() + 1);
        print_report(epoch.elapsed(), report);
    });
    kernel.spawn("demo", demo(epoch, make(epoch)));
    kernel.run();
    reports.get()
}

fn print_report(at: Duration, report: &Report) {
    match report {
        Report::Slow {
            id,
            name,
            ran,
            from,
            to,
        } => {
            println!(
                "  {}  KERNEL  warning: task {id} {name:?} held the thread for {:.1?} (threshold {:?})",
                ms(at),
                ran,
                THRESHOLD
            );
            let at = |loc: &Option<&std::panic::Location<'_>>| match loc {
                Some(loc) => format!("{}:{}:{}", loc.file(), loc.line(), loc.column()),
                None => "(its start)".to_string(),
            };
            println!(
                "  {:>7}          the slice began at the yield at {}",
                "",
                at(from)
            );
            match to {
                Some(_) => println!(
                    "  {:>7}          and ended at the yield at   {}",
                    "",
                    at(to)
                ),
                None => println!("  {:>7}          and ended when it returned", ""),
            }
        }
        other => println!("  {}  KERNEL  {other}", ms(at)),
    }
}

fn main() {
    println!(
        "A ticker should tick every {}. At {} a worker starts {} of CPU work.\n",
        ms(TICK).trim(),
        ms(START).trim(),
        ms(WORK).trim()
    );

    println!("1. The hog: all the work between two yields.\n");
    let reports = run(|epoch| Task::new("hog", hog(epoch)));
    println!(
        "\n   {reports} report(s). The ticks stopped for the whole slice: one thread, and the hog"
    );
    println!("   would not give it back; twelve ticks fell due meanwhile; one came, very late.");
    println!(
        "   Report::Slow names the task and where its slice began and ended (the yield it was"
    );
    println!("   resumed at, the yield it stopped at, or its return): the code in between is what");
    println!("   to fix. Here it is given to on_report; by default it goes to stderr.\n");

    println!(
        "2. The fix: the same work, with yield_from!(sys::yield_now())? every {}.\n",
        ms(CHUNK).trim()
    );
    let reports = run(|epoch| Task::new("polite", polite(epoch)));
    println!(
        "\n   {reports} report(s). The ticks keep coming, at most one chunk ({}) late: each",
        ms(CHUNK).trim()
    );
    println!(
        "   yield_now puts the worker at the back of the queue, behind the ticker whose timer is"
    );
    println!("   due, so the work takes as long as before and nobody starves.");
}
