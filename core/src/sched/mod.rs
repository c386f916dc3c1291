//! Schedulers: many generators taking turns on one thread, as cooperative tasks.
//!
//! *Feature `alloc` (on by default, with `std`).*
//!
//! # A generator is already a task
//!
//! A generator suspended at a `yield_!` holds everything it needs to carry on — its local
//! variables and the point where it stopped — inside itself, and nothing else needs the thread
//! while it waits. So a loop that keeps a queue of generators and resumes each in turn runs them
//! *concurrently* on one thread:
//!
//! * every `yield_!` is a voluntary context switch: the task hands the thread back;
//! * the queue is the scheduler's ready list, and the loop is the scheduler;
//! * the "saved registers" of an operating system's task switch are the generator's own state.
//!
//! That is cooperative multitasking: no threads, no preemption, no locks, and a task is never
//! interrupted between two of its own yields. Its price is the same rule seen from the other side:
//! a task that does not yield keeps the thread, and every other task waits for it.
//!
//! In Python, the whole scheduler is a few lines:
//!
//! ```python
//! from collections import deque
//!
//! def round_robin(tasks):            # tasks: (name, generator) pairs
//!     ready = deque(tasks)
//!     while ready:
//!         name, task = ready.popleft()
//!         try:
//!             value = next(task)      # one step: run the task up to its next yield
//!         except StopIteration:
//!             continue                # finished: it simply is not put back
//!         yield name, value
//!         ready.append((name, task))  # back to the end of the queue
//! ```
//!
//! [`RoundRobin`] is that loop, with ids, return values, and the turns made visible:
//!
//! ```
//! use resumable::prelude::*;
//! use resumable::sched::{Event, RoundRobin};
//!
//! #[generator(yield = String)]
//! fn worker(label: &'static str, jobs: u32) -> u32 {
//!     for job in 1..=jobs {
//!         // ...do a slice of the work, then let the others run:
//!         yield_!(format!("{label} did job {job}"));
//!     }
//!     jobs
//! }
//!
//! let mut sched = RoundRobin::new();
//! let a = sched.spawn("a", worker("A", 2));
//! let b = sched.spawn("b", worker("B", 3));
//!
//! let log: Vec<String> = sched.by_ref().map(|Event { value, .. }| value).collect();
//! assert_eq!(log, [
//!     "A did job 1", "B did job 1",
//!     "A did job 2", "B did job 2",
//!                    "B did job 3",
//! ]);
//! assert_eq!(sched.take_returns().iter().map(|(id, _, jobs)| (*id, *jobs)).collect::<Vec<_>>(),
//!            [(a, 2), (b, 3)]);
//! ```
//!
//! This is the first step of the lineage that ends in an asyncio-style event loop: an event loop
//! is this loop, with tasks that wait (for a timer, for a socket) taken out of the queue until
//! what they wait for is ready.
//!
//! # The fairness contract
//!
//! * **FIFO.** Tasks run in the order they were spawned; a task that yields goes to the end of
//!   the queue, so with `n` tasks running, each one runs once every `n` turns.
//! * **One step per turn.** A turn resumes one task once: to its next yield, or to its end.
//! * **A finished task costs no one a turn.** A task that returns leaves the queue, and the
//!   next turn goes to the task that was behind it.
//! * **Spawning joins the end.** A task spawned while the scheduler runs goes behind every task
//!   already waiting, including those that have had their turn in the current pass.
//!
//! A panic in a task propagates out of the call that resumed it; that task is dropped and the
//! others stay queued.

mod round_robin;
mod task;

pub use round_robin::RoundRobin;
pub use task::{Event, Step, TaskId};
