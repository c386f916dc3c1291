//! `threads_vs_async`: 1000 OS threads against 1000 tasks on one thread, doing the same
//! waiting work — three naps of 100 ms each — measured in wall time and in memory.
//!
//! A thread that waits is parked by the operating system, with everything it owns kept: a stack
//! (2 MiB reserved by Rust's default, a few pages of it touched), a kernel stack, thread-local
//! storage, a slot in the scheduler. A task that waits is the state machine of its `async` block
//! — a few dozen bytes of locals — in a box, plus a timer in the loop's heap. Both do the job in
//! about the same wall time: waiting is waiting. The difference is what each waiter costs, and so
//! how many waiters a machine can hold.
//!
//! Memory is read from `/proc/self/status` (Linux): `VmRSS` (resident memory now), `VmHWM` (its
//! high-water mark), `VmSize` (address space reserved). The numbers for the tasks are taken
//! first, so the threads' leftovers (glibc keeps stacks of finished threads for reuse) do not
//! hide them.
//!
//! Python's version of the comparison:
//! ```python
//! def worker():                                   # threading
//!     for _ in range(3): time.sleep(0.1)
//! threads = [threading.Thread(target=worker) for _ in range(1000)]
//!
//! async def task():                               # asyncio
//!     for _ in range(3): await asyncio.sleep(0.1)
//! await asyncio.gather(*(task() for _ in range(1000)))
//! ```
//!
//! Run with `cargo run --example threads_vs_async` (about 2 seconds), or
//! `cargo run --example threads_vs_async -- N` for N of each.
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use resumable::rt;

const NAP: Duration = Duration::from_millis(100);
const ROUNDS: u32 = 3;

/// The process's memory, from `/proc/self/status`, in bytes.
#[derive(Clone, Copy, Debug)]
struct Memory {
    rss: u64,
    hwm: u64,
    size: u64,
}

fn memory() -> Option<Memory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some(Memory {
        rss: field("VmRSS:")?,
        hwm: field("VmHWM:")?,
        size: field("VmSize:")?,
    })
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A size per waiter: bytes, KiB or MiB as fits.
fn each(bytes: u64) -> String {
    match bytes {
        0..10_240 => format!("{bytes} bytes"),
        10_240..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => mib(bytes),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

/// What one run measured.
struct Run {
    wall: Duration,
    /// Time to start all the waiters.
    start: Duration,
    /// Memory before, and while every waiter was alive (mid-run).
    before: Option<Memory>,
    during: Option<Memory>,
    /// Naps done (a check that the work was done).
    naps: usize,
}

impl Run {
    fn print(&self, what: &str, n: usize) {
        println!(
            "   {n} {what}: all done in {} ({} of it to start them); {} naps taken.",
            ms(self.wall),
            ms(self.start),
            self.naps
        );
        match (self.before, self.during) {
            (Some(before), Some(during)) => {
                let rss = during.rss.saturating_sub(before.rss);
                let size = during.size.saturating_sub(before.size);
                println!(
                    "   memory while they waited: VmRSS {} -> {} (+{}: {} each),",
                    mib(before.rss),
                    mib(during.rss),
                    mib(rss),
                    each(rss / n as u64)
                );
                println!(
                    "   address space VmSize +{} ({} each); VmHWM now {}.",
                    mib(size),
                    each(size / n as u64),
                    mib(during.hwm)
                );
            }
            _ => println!("   (no /proc/self/status here: memory not measured)"),
        }
    }
}

/// `n` OS threads, each napping `ROUNDS` times.
fn threads(n: usize) -> std::io::Result<Run> {
    let naps = Arc::new(AtomicUsize::new(0));
    let before = memory();
    let started = Instant::now();
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let naps = naps.clone();
        handles.push(thread::Builder::new().spawn(move || {
            for _ in 0..ROUNDS {
                thread::sleep(NAP);
                naps.fetch_add(1, Ordering::Relaxed);
            }
        })?);
    }
    let start = started.elapsed();
    thread::sleep(NAP / 2); // every thread is alive and asleep now
    let during = memory();
    for handle in handles {
        handle.join().expect("a napping thread does not panic");
    }
    Ok(Run {
        wall: started.elapsed(),
        start,
        before,
        during,
        naps: naps.load(Ordering::Relaxed),
    })
}

/// `n` tasks on one loop, each napping `ROUNDS` times. Also returns the size of one task's
/// future.
fn tasks(n: usize) -> (Run, usize) {
    let before = memory();
    rt::block_on(async move {
        let naps = Rc::new(Cell::new(0));
        let nap_task = |naps: Rc<Cell<usize>>| async move {
            for _ in 0..ROUNDS {
                rt::sleep(NAP).await;
                naps.set(naps.get() + 1);
            }
        };
        let size = std::mem::size_of_val(&nap_task(naps.clone()));
        let started = Instant::now();
        let handles: Vec<_> = (0..n).map(|_| rt::spawn(nap_task(naps.clone()))).collect();
        let start = started.elapsed();
        rt::sleep(NAP / 2).await; // every task has started and is asleep now
        let during = memory();
        for handle in handles {
            handle.await.expect("a napping task does not panic");
        }
        let run = Run {
            wall: started.elapsed(),
            start,
            before,
            during,
            naps: naps.get(),
        };
        (run, size)
    })
}

fn main() -> std::io::Result<()> {
    let n: usize = match std::env::args().nth(1) {
        None => 1000,
        Some(arg) => match arg.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: threads_vs_async [N]   (default 1000)");
                std::process::exit(2);
            }
        },
    };
    let many = n * 100;
    println!(
        "Each waiter naps {ROUNDS} times for {} ms: {} ms of waiting, almost no work.\n",
        NAP.as_millis(),
        (NAP * ROUNDS).as_millis()
    );

    println!("1. {n} tasks on this one thread (rt::spawn, rt::sleep).");
    let (by_tasks, size) = tasks(n);
    by_tasks.print("tasks", n);
    println!(
        "   (the state of one task, its `async` block, is {size} bytes; the rest is the box, the"
    );
    println!("   task's entry in the loop's table, and its timer)\n");

    println!("2. {n} OS threads (thread::spawn, thread::sleep).");
    let by_threads = threads(n)?;
    by_threads.print("threads", n);
    println!();

    let build = if cfg!(debug_assertions) {
        " (A debug build: --release is faster.)"
    } else {
        ""
    };
    println!("3. A hundred times as many tasks: {many}.{build}");
    let (at_scale, _) = tasks(many);
    at_scale.print("tasks", many);
    println!();

    println!(
        "Wall time, {n} of each: threads {}, tasks {}; both about the {} ms of naps, since",
        ms(by_threads.wall),
        ms(by_tasks.wall),
        (NAP * ROUNDS).as_millis()
    );
    println!("waiting side by side is what both are for.");
    let per = |r: &Run, n: usize| match (r.before, r.during) {
        (Some(b), Some(d)) => Some((
            d.rss.saturating_sub(b.rss) / n as u64,
            d.size.saturating_sub(b.size) / n as u64,
        )),
        _ => None,
    };
    if let (Some((thread, reserved)), Some((task, _))) = (per(&by_threads, n), per(&at_scale, many))
    {
        println!(
            "Memory per thread: {} resident, {} of address space (its 2 MiB stack among it),",
            each(thread),
            each(reserved)
        );
        println!(
            "and kernel memory that VmRSS does not show. Per task: {} (measured over {many}).",
            each(task)
        );
        println!(
            "A million waiting tasks: about {} here. A million threads: past the system's limits",
            mib(task * 1_000_000)
        );
        println!("(threads-max, memory maps) long before.");
    }
    println!(
        "\nA thread is the operating system's unit of waiting: a stack and a kernel object each."
    );
    println!("A task is the compiler's: the variables alive across its .await points, in one box.");
    println!(
        "Threads still win at one thing: using every core for CPU work (spawn_blocking's pool)."
    );
    Ok(())
}
