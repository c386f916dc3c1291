//! Issue 5, workload W5 switch: 10,000 tasks, each yielding 100 times, on one thread.
//!
//! `cargo bench --bench switch` (or `benches/report.sh` for the BENCHMARKS.md tables).
//!
//! One iteration spawns the 10,000 tasks and runs them all to the end: 1,000,000 switches (every
//! task is resumed 101 times: 100 yields and the step that ends it). The benchmark's argument is
//! that number of switches, so `median / argument` is the ns per switch; spawning, and the joins
//! of the async runtimes, are part of the work (they are 1 % of the resumes).
//!
//! * `hand_written`: a `VecDeque<Box<dyn FnMut() -> bool>>` of closures counting down, resumed
//!   round-robin: the boxed-generator loop with nothing else in it.
//! * `resumable_round_robin`: `sched::RoundRobin` over `#[generator]` tasks (one shared name);
//!   `resumable_round_robin_pinned` over `#[generator(pinned)]` ones, which the scheduler's box
//!   holds in place (a boxed generator is a pointer to a box of its own).
//! * `resumable_kernel`: the generator kernel, tasks doing `yield_from!(sys::yield_now())?`.
//! * `resumable_rt`: `rt::block_on`, `rt::spawn` + `rt::yield_now().await`, handles awaited.
//!   `resumable_rt_named` is the same with `rt::spawn_named` and one shared name (`rt::spawn`
//!   formats a `file:line` name for every task).
//! * `tokio`: a current_thread runtime + `LocalSet`, `spawn_local` + `tokio::task::yield_now`.
//! * `smol`: `LocalExecutor`, `smol::future::yield_now`, tasks awaited.
//! * `futures_local_pool`: `futures::executor::LocalPool`, `spawn_local`, `pool.run()`.
//!
//! Bytes per task: before the timed runs, each system runs the workload once with a counting
//! `#[global_allocator]` switched on around its spawn loop only; it prints the heap bytes still
//! live after the 10,000 spawns (net of frees, so a queue's growth counts at its final size)
//! divided by 10,000, and the allocations per task, as `w5-memory SYSTEM BYTES ALLOCS` lines.
//! The counter costs one relaxed load per allocation while switched off (the timed runs).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::VecDeque;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::Relaxed};

use divan::Bencher;
use futures::task::LocalSpawnExt;
use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall, Task};
use resumable::prelude::*;
use resumable::rt;
use resumable::sched::RoundRobin;

const TASKS: u32 = 10_000;
const YIELDS: u32 = 100;
/// Switches per iteration: the benchmarks' argument.
const SWITCHES: u64 = TASKS as u64 * YIELDS as u64;

// ---------------------------------------------------------------------------------------------
// The counting allocator
// ---------------------------------------------------------------------------------------------

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Relaxed);
            ALLOCS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Relaxed);
            ALLOCS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
            ALLOCS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

thread_local! {
    /// Set while the memory pass runs: `spawn_phase` then measures, and stores here.
    static MEASURED: Cell<Option<(isize, usize)>> = const { Cell::new(None) };
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

/// Runs the spawn loop `f`; in the memory pass, counts the live bytes and allocations it adds.
#[inline(always)]
fn spawn_phase<R>(f: impl FnOnce() -> R) -> R {
    if !MEASURING.get() {
        return f();
    }
    let (live, allocs) = (LIVE.load(Relaxed), ALLOCS.load(Relaxed));
    COUNTING.store(true, Relaxed);
    let r = f();
    COUNTING.store(false, Relaxed);
    MEASURED.set(Some((
        LIVE.load(Relaxed) - live,
        ALLOCS.load(Relaxed) - allocs,
    )));
    r
}

// ---------------------------------------------------------------------------------------------
// The workloads
// ---------------------------------------------------------------------------------------------

fn hand_written() {
    let mut ready: VecDeque<Box<dyn FnMut() -> bool>> = VecDeque::new();
    spawn_phase(|| {
        for _ in 0..TASKS {
            let mut left = YIELDS;
            ready.push_back(Box::new(move || {
                if left == 0 {
                    return false; // returned
                }
                left -= 1;
                true // yielded
            }));
        }
    });
    while let Some(mut task) = ready.pop_front() {
        if black_box(task()) {
            ready.push_back(task);
        }
    }
}

#[generator(yield = ())]
fn rr_task(yields: u32) {
    for _ in 0..yields {
        yield_!(());
    }
}

/// `RoundRobin` over the generators `task` makes, one shared name.
fn round_robin<G: Generator<(), Yield = (), Return = ()>>(task: impl Fn(u32) -> G) {
    let name: Rc<str> = Rc::from("task");
    let mut sched: RoundRobin<'_, ()> = RoundRobin::new();
    spawn_phase(|| {
        for _ in 0..TASKS {
            sched.spawn(name.clone(), task(YIELDS));
        }
    });
    sched.run(|_, _, ()| {});
}

fn resumable_round_robin() {
    round_robin(rr_task);
}

#[generator(yield = (), pinned)]
fn rr_task_pinned(yields: u32) {
    for _ in 0..yields {
        yield_!(());
    }
}

/// The same over `pinned` generators: the scheduler's box holds the generator itself, where a
/// boxed generator is a pointer to a second box.
fn resumable_round_robin_pinned() {
    round_robin(rr_task_pinned);
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn kernel_task(yields: u32) -> Result<(), Cancelled> {
    for _ in 0..yields {
        yield_from!(sys::yield_now())?;
    }
    Ok(())
}

fn resumable_kernel() {
    let name: Rc<str> = Rc::from("task");
    let mut kernel = Kernel::new();
    spawn_phase(|| {
        for _ in 0..TASKS {
            kernel.spawn_task(Task::new(name.clone(), kernel_task(YIELDS)).detached());
        }
    });
    kernel.run();
}

async fn rt_task() {
    for _ in 0..YIELDS {
        rt::yield_now().await;
    }
}

fn resumable_rt() {
    rt::block_on(async {
        let mut handles = Vec::with_capacity(TASKS as usize);
        spawn_phase(|| {
            for _ in 0..TASKS {
                handles.push(rt::spawn(rt_task()));
            }
        });
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn resumable_rt_named() {
    rt::block_on(async {
        let name: Rc<str> = Rc::from("task");
        let mut handles = Vec::with_capacity(TASKS as usize);
        spawn_phase(|| {
            for _ in 0..TASKS {
                handles.push(rt::spawn_named(name.clone(), rt_task()));
            }
        });
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn tokio() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let mut handles = Vec::with_capacity(TASKS as usize);
        spawn_phase(|| {
            for _ in 0..TASKS {
                handles.push(tokio::task::spawn_local(async {
                    for _ in 0..YIELDS {
                        tokio::task::yield_now().await;
                    }
                }));
            }
        });
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn smol() {
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let mut tasks = Vec::with_capacity(TASKS as usize);
        spawn_phase(|| {
            for _ in 0..TASKS {
                tasks.push(ex.spawn(async {
                    for _ in 0..YIELDS {
                        smol::future::yield_now().await;
                    }
                }));
            }
        });
        for t in tasks {
            t.await;
        }
    }));
}

/// futures' own `yield_now`: pending once, waking itself.
async fn futures_yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}

fn futures_local_pool() {
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    spawn_phase(|| {
        for _ in 0..TASKS {
            spawner
                .spawn_local(async {
                    for _ in 0..YIELDS {
                        futures_yield_now().await;
                    }
                })
                .unwrap();
        }
    });
    pool.run();
}

const SYSTEMS: &[(&str, fn())] = &[
    ("hand_written", hand_written),
    ("resumable_round_robin", resumable_round_robin),
    ("resumable_round_robin_pinned", resumable_round_robin_pinned),
    ("resumable_kernel", resumable_kernel),
    ("resumable_rt", resumable_rt),
    ("resumable_rt_named", resumable_rt_named),
    ("tokio", tokio),
    ("smol", smol),
    ("futures_local_pool", futures_local_pool),
];

fn main() {
    println!(
        "W5 memory: live heap bytes and allocations per task after spawning {TASKS} tasks \
         (counting global allocator)"
    );
    MEASURING.set(true);
    for (name, run) in SYSTEMS {
        run();
        let (bytes, allocs) = MEASURED.take().expect("the workload measured its spawns");
        println!(
            "w5-memory {name:<30} {:>8.1} {:>6.2}",
            bytes as f64 / f64::from(TASKS),
            allocs as f64 / f64::from(TASKS)
        );
    }
    MEASURING.set(false);
    divan::main();
}

#[divan::bench_group(sample_count = 20)]
mod w5_switch {
    use super::*;

    #[divan::bench(args = [SWITCHES])]
    fn hand_written(b: Bencher, _switches: u64) {
        b.bench_local(super::hand_written);
    }

    #[divan::bench(args = [SWITCHES])]
    fn resumable_round_robin(b: Bencher, _switches: u64) {
        b.bench_local(super::resumable_round_robin);
    }

    #[divan::bench(args = [SWITCHES])]
    fn resumable_round_robin_pinned(b: Bencher, _switches: u64) {
        b.bench_local(super::resumable_round_robin_pinned);
    }

    #[divan::bench(args = [SWITCHES])]
    fn resumable_kernel(b: Bencher, _switches: u64) {
        b.bench_local(super::resumable_kernel);
    }

    #[divan::bench(args = [SWITCHES])]
    fn resumable_rt(b: Bencher, _switches: u64) {
        b.bench_local(super::resumable_rt);
    }

    #[divan::bench(args = [SWITCHES])]
    fn resumable_rt_named(b: Bencher, _switches: u64) {
        b.bench_local(super::resumable_rt_named);
    }

    #[divan::bench(args = [SWITCHES])]
    fn tokio(b: Bencher, _switches: u64) {
        b.bench_local(super::tokio);
    }

    #[divan::bench(args = [SWITCHES])]
    fn smol(b: Bencher, _switches: u64) {
        b.bench_local(super::smol);
    }

    #[divan::bench(args = [SWITCHES])]
    fn futures_local_pool(b: Bencher, _switches: u64) {
        b.bench_local(super::futures_local_pool);
    }
}
