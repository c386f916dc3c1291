//! W5's bytes per task: 10,000 tasks spawned on `sched::RoundRobin` with the counter on, as
//! `benches/switch.rs` measures them, for our generators and for the nightly coroutine in the
//! adapter, so the scheduler's share and the generator's separate.

use std::collections::VecDeque;
use std::mem::{size_of, size_of_val};
use std::rc::Rc;

use resumable::__private::Headed;
use resumable::Generator;
use resumable::sched::{RoundRobin, TaskId};
use resumable_nightly_reference::adapter::Nightly;
use resumable_nightly_reference::bodies::{nightly_rr_task, rr_task, rr_task_pinned};

use crate::counting::{Added, measure};

const TASKS: usize = 10_000;
const YIELDS: u32 = 100;

/// What one system kept for 10,000 tasks, and the size of the block each task is in.
struct Measured {
    name: &'static str,
    added: Added,
    /// The block a task is in: `Headed { header: (id, name), generator }`, from the types.
    block: usize,
    /// The generator's part of it.
    generator: usize,
}

/// The size of a task's block holding `generator` (a `RoundRobin` moves a boxed generator of
/// ours that has not started out of its box, so for those pass the boxed `PinnedGen`).
fn block_of<T>(generator: &T) -> (usize, usize) {
    (
        size_of::<Headed<(TaskId, Rc<str>), T>>(),
        size_of_val(generator),
    )
}

/// Spawns the tasks `task` makes on a `RoundRobin` (one shared name, as in W5), counting; then
/// runs them, checking every yield happens. `block`: see [`block_of`].
fn round_robin<G: Generator<(), Yield = (), Return = ()>>(
    name: &'static str,
    (block, generator): (usize, usize),
    task: impl Fn(u32) -> G,
) -> Measured {
    let shared: Rc<str> = Rc::from("task");
    let mut sched: RoundRobin<'_, ()> = RoundRobin::new();
    let ((), added) = measure(|| {
        for _ in 0..TASKS {
            sched.spawn(shared.clone(), task(YIELDS));
        }
    });
    let mut events = 0;
    sched.run(|_, _, ()| events += 1);
    assert_eq!(events, TASKS * YIELDS as usize);
    Measured {
        name,
        added,
        block,
        generator,
    }
}

/// The hand-written loop of `benches/switch.rs`: boxed closures counting down.
fn hand_written() -> Measured {
    type Task = Box<dyn FnMut() -> bool>;
    let mut ready: VecDeque<Task> = VecDeque::new();
    let ((), added) = measure(|| {
        for _ in 0..TASKS {
            let mut left = YIELDS;
            ready.push_back(Box::new(move || {
                if left == 0 {
                    return false;
                }
                left -= 1;
                true
            }));
        }
    });
    let mut turns = 0;
    while let Some(mut task) = ready.pop_front() {
        if task() {
            turns += 1;
            ready.push_back(task);
        }
    }
    assert_eq!(turns, TASKS * YIELDS as usize);
    Measured {
        name: "hand-written (`VecDeque<Box<dyn FnMut() -> bool>>`)",
        added,
        block: size_of::<u32>(),
        generator: size_of::<u32>(),
    }
}

/// Prints the bytes per task.
pub fn table() {
    let rows = [
        hand_written(),
        round_robin(
            "**resumable** `RoundRobin`, boxed `#[generator]`",
            block_of(&*rr_task(0).as_pin_mut()),
            rr_task,
        ),
        round_robin(
            "**resumable** `RoundRobin`, `#[generator(pinned)]`",
            block_of(&rr_task_pinned(0)),
            rr_task_pinned,
        ),
        round_robin(
            "`RoundRobin`, nightly coroutine in `adapter::Nightly`",
            block_of(&Nightly(nightly_rr_task(0))),
            |n| Nightly(nightly_rr_task(n)),
        ),
    ];
    println!("\n## W5 bytes per task: `sched::RoundRobin`, 10,000 tasks of the W5 body\n");
    println!(
        "Heap bytes live after the 10,000 spawns / 10,000 (counting `#[global_allocator]`, as \
         benches/switch.rs). A task is one block `Headed {{ header: (TaskId, Rc<str>) = 24, \
         generator }}`; the rest is the ready queue (`VecDeque` of 16-byte `Pin<Box<dyn _>>`, \
         grown to 16,384 slots). The name is one shared `Rc<str>`.\n"
    );
    println!(
        "| system | bytes/task | allocs/task | task block (from the types) | of which the \
         generator | live blocks (size × count) |"
    );
    println!("|---|--:|--:|--:|--:|---|");
    for m in &rows {
        let blocks: Vec<String> = m
            .added
            .blocks
            .iter()
            .map(|&(size, n)| format!("{size} × {n}"))
            .collect();
        assert!(
            m.added.blocks.contains(&(m.block, TASKS as isize)),
            "{}: no {} live blocks of {} bytes: {:?}",
            m.name,
            TASKS,
            m.block,
            m.added.blocks
        );
        println!(
            "| {} | {:.1} | {:.2} | {} | {} | {} |",
            m.name,
            m.added.bytes as f64 / TASKS as f64,
            m.added.allocs as f64 / TASKS as f64,
            m.block,
            m.generator,
            blocks.join(", ")
        );
    }
}
