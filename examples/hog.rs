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
//! Run with `cargo run --example hog` (about one second); `-- --svg FILE` also draws both
//! runs as an SVG picture in FILE: who ran, who slept, who waited, who blocked the loop.
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use resumable::kernel::{sys, Cancelled, Kernel, Reply, Report, Syscall, Task};
use resumable::prelude::*;
use resumable::timeline::{Activity, Timeline};

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

/// Where a run keeps the time and what its tasks did: the clock its lines print, and the
/// timeline its picture is drawn from.
#[derive(Clone)]
struct Diary {
    epoch: Instant,
    /// `1.` or `2.`: which run, in front of the rows' names.
    run: &'static str,
    timeline: Rc<RefCell<Timeline<Duration>>>,
}

impl Diary {
    /// The time since the run began, as printed: ` 360 ms`.
    fn now(&self) -> String {
        ms(self.epoch.elapsed())
    }

    /// Notes that `who` was doing `what` from `from` to `to`.
    fn note(&self, who: &str, what: Activity, from: Instant, to: Instant) {
        let mut timeline = self.timeline.borrow_mut();
        let row = timeline.row(format!("{} {who}", self.run));
        let since = |t: Instant| t.saturating_duration_since(self.epoch);
        timeline.span(row, what, since(from)..since(to));
    }
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
fn ticker(diary: Diary, worker_done: Rc<Cell<bool>>) -> Result<u32, Cancelled> {
    let (mut ticks, mut after_the_worker) = (0, 0);
    while after_the_worker < 2 {
        let asleep = Instant::now();
        yield_from!(sys::sleep(TICK))?;
        let (due, woke) = (asleep + TICK, Instant::now());
        diary.note("ticker", Activity::Slept, asleep, due.min(woke));
        diary.note("ticker", Activity::Ready, due, woke); // due, but not running yet
        diary.note("ticker", Activity::Ran, woke, woke);
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
            diary.now(),
            ms(late)
        );
    }
    Ok(ticks)
}

/// 300 ms of work in one go: from its resume to its return, nobody else runs.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn hog(diary: Diary) -> Result<(), Cancelled> {
    // A raw system call rather than `sys::sleep`, so that the kernel's report names this line:
    // it names the innermost yield, which for a `sys::` helper is a line of its source.
    yield_!(Syscall::Sleep(START))?;
    let work = ms(WORK);
    println!(
        "  {}  hog     starts {} of work without a yield",
        diary.now(),
        work.trim()
    );
    let started = Instant::now();
    diary.note("hog", Activity::Slept, diary.epoch, started);
    crunch(WORK);
    diary.note("hog", Activity::Ran, started, Instant::now());
    println!("  {}  hog     done", diary.now());
    Ok(())
}

/// The same work in chunks, with a yield after each.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn polite(diary: Diary) -> Result<(), Cancelled> {
    yield_from!(sys::sleep(START))?;
    println!(
        "  {}  polite  starts {} of work, yielding every {}",
        diary.now(),
        ms(WORK).trim(),
        ms(CHUNK).trim()
    );
    let mut resumed = Instant::now();
    diary.note("polite", Activity::Slept, diary.epoch, resumed);
    let mut done = Duration::ZERO;
    while done < WORK {
        crunch(CHUNK);
        done += CHUNK;
        let yielded = Instant::now();
        diary.note("polite", Activity::Ran, resumed, yielded);
        yield_from!(sys::yield_now())?; // the fix: everyone ready gets a turn, I/O too
        resumed = Instant::now();
        diary.note("polite", Activity::Ready, yielded, resumed);
    }
    println!("  {}  polite  done", diary.now());
    Ok(())
}

/// Starts the ticker and the worker, waits for the worker, then for the ticker, which ticks
/// twice more.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn demo(diary: Diary, worker: Task) -> Result<u32, Cancelled> {
    let worker_done = Rc::new(Cell::new(false));
    let ticker = ticker(diary, worker_done.clone());
    let ticker = yield_from!(sys::spawn(Task::new("ticker", ticker)))?;
    let worker = yield_from!(sys::spawn(worker))?;
    yield_from!(sys::join::<Result<(), Cancelled>>(worker))?.expect("the worker ends")?;
    worker_done.set(true);
    let ticks = yield_from!(sys::join::<Result<u32, Cancelled>>(ticker))?;
    Ok(ticks.expect("the ticker ends")?)
}

/// Runs the worker `make` makes next to a ticker, on a fresh kernel (real clock) that prints its
/// reports nicely, and draws the slow slices it reports into the run's `timeline` rows (named
/// after `run`); returns how many reports it made.
fn run(
    run: &'static str,
    timeline: &Rc<RefCell<Timeline<Duration>>>,
    make: impl FnOnce(Diary) -> Task,
) -> usize {
    let diary = Diary {
        epoch: Instant::now(), // the time printed: since the kernel started
        run,
        timeline: timeline.clone(),
    };
    let reports = Rc::new(Cell::new(0));
    let mut kernel = Kernel::new().with_slow_task_threshold(Some(THRESHOLD));
    let count = reports.clone();
    let reporter = diary.clone();
    kernel.on_report(move |report| {
        count.set(count.get() + 1);
        print_report(reporter.epoch.elapsed(), report);
        if let Report::Slow { name, ran, .. } = report {
            let now = Instant::now();
            reporter.note(name, Activity::Blocking, now - *ran, now);
        }
    });
    let worker = make(diary.clone());
    kernel.spawn("demo", demo(diary, worker));
    kernel.run();
    reports.get()
}

/// The file `--svg FILE` names, if any.
fn svg_file() -> Option<String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => None,
        (Some("--svg"), Some(path)) => Some(path),
        _ => {
            eprintln!("usage: hog [--svg FILE]");
            std::process::exit(2);
        }
    }
}

fn print_report(at: Duration, report: &Report) {
    match report {
        Report::Slow {
            id: Some(id),
            name,
            ran,
            from,
            to,
            ..
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
    let svg = svg_file();
    let timeline = Rc::new(RefCell::new(Timeline::new(
        "1. A hog blocks the loop. 2. A polite worker yields every 10 ms.",
    )));
    println!(
        "A ticker should tick every {}. At {} a worker starts {} of CPU work.\n",
        ms(TICK).trim(),
        ms(START).trim(),
        ms(WORK).trim()
    );

    println!("1. The hog: all the work between two yields.\n");
    let reports = run("1.", &timeline, |diary| Task::new("hog", hog(diary)));
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
    let reports = run("2.", &timeline, |diary| Task::new("polite", polite(diary)));
    println!(
        "\n   {reports} report(s). The ticks keep coming, at most one chunk ({}) late: each",
        ms(CHUNK).trim()
    );
    println!(
        "   yield_now puts the worker at the back of the queue, behind the ticker whose timer is"
    );
    println!("   due, so the work takes as long as before and nobody starves.");

    if let Some(path) = svg {
        std::fs::write(&path, timeline.borrow().to_svg()).expect("the SVG file can be written");
        println!("\n(Both runs are drawn in {path}.)");
    }
}
