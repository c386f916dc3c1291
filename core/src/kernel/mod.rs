//! A generator kernel: tasks are generators that yield system calls, after David Beazley's
//! "operating system" of generators. Step 2 of the lineage, after [`sched::RoundRobin`](crate::sched::RoundRobin).
//!
//! Round-robin already made generators into tasks, but a task that had to wait — for time to
//! pass, for another task, for a socket — could only spin. Here a task *asks* the kernel by
//! yielding a [`Syscall`], and is resumed, with `send` semantics, when the answer ([`Reply`]) is
//! ready; meanwhile the others run. Sub-routines are ordinary generators called with
//! `yield_from!` — the [`sys`] module has one per system call — so no trampoline is needed.
//!
//! ```
//! use std::time::Duration;
//! use resumable::prelude::*;
//! use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall, Task};
//!
//! #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
//! fn child(ms: u64) -> Result<u64, Cancelled> {
//!     yield_from!(sys::sleep(Duration::from_millis(ms)))?;
//!     Ok(ms)
//! }
//!
//! #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
//! fn parent() -> Result<u64, Cancelled> {
//!     let a = yield_from!(sys::spawn(Task::new("a", child(30))))?;
//!     let b = yield_from!(sys::spawn(Task::new("b", child(10))))?;
//!     let a = yield_from!(sys::join::<Result<u64, Cancelled>>(a))?.unwrap()?;
//!     let b = yield_from!(sys::join::<Result<u64, Cancelled>>(b))?.unwrap()?;
//!     Ok(a + b)
//! }
//!
//! let mut kernel = Kernel::new().with_virtual_clock();
//! let id = kernel.spawn("parent", parent());
//! kernel.run();
//! assert_eq!(kernel.take_return::<Result<u64, Cancelled>>(id), Ok(Ok(40)));
//! assert_eq!(kernel.now(), Duration::from_millis(30)); // the children slept side by side
//! ```
//!
//! # What the kernel does
//! * **System calls**: get my id, read the clock, spawn, kill (closes the task: its destructors
//!   run), cancel (throws [`Cancelled`] in at the yield it waits at, through any `yield_from!`
//!   chain, so its cleanup code runs and may even yield; a task that cannot be thrown into is
//!   killed), join (wait for a task and take its return value), sleep, yield the turn, and wait
//!   until a socket is readable or writable.
//! * **Readiness** comes from the operating system through the `polling` crate (epoll, kqueue,
//!   event ports, IOCP); timers are kept in a heap, and one that nobody waits for any more (its
//!   future dropped, its task killed) is dropped at once, waker and all (see
//!   [`Snapshot::timers`]). When no task is ready the kernel sleeps in the poller until the
//!   next deadline or I/O: it never busy-waits.
//! * **Panics are contained**: a task that panics is reported ([`Report::Panicked`]: id, name,
//!   message) and dropped, and the others go on; whoever joins it gets
//!   [`JoinError::Panicked`]. So are the other faults a task can cause: see
//!   [below](#faults-are-contained).
//! * **Poorly behaved tasks are caught in the act**: a task that keeps the thread longer than a
//!   threshold between two yields is reported ([`Report::Slow`]) with where it was spawned and
//!   the source locations of the yields where that step began and ended; a future task, or the
//!   future of a `block_on`, with the poll that blocked and the `.await`s of `rt`'s futures it
//!   resumed from and stopped at.
//! * **A virtual clock** ([`Kernel::with_virtual_clock`]) jumps to the next deadline when every
//!   task is asleep: tests of sleeping tasks are instant and exactly reproducible.
//! * **[`Kernel::snapshot`]** lists every task (id, name, state, what it waits on, steps taken,
//!   busy time) and prints as a table; tasks still pending when the kernel is dropped are
//!   reported ([`Report::Pending`]).
//!
//! # The fairness contract
//! The kernel runs in *passes*. Each pass:
//! 1. polls the operating system for readiness — without waiting if any task is ready, else
//!    until the next timer or I/O — and queues the tasks whose sockets became ready, in the
//!    order the system reports them;
//! 2. queues the tasks whose timers are due, earliest deadline first (ties in the order they
//!    went to sleep);
//! 3. queues the tasks that became ready during the previous pass (they yielded the turn, were
//!    spawned, the task they joined ended, they were cancelled), in the order that happened;
//! 4. resumes each queued task once, first in, first out.
//!
//! A system call the kernel can answer without waiting — get my id, the clock, spawn, kill or
//! cancel another task, join a task that has already ended — is answered within the same turn:
//! the task goes on at once, like a function call. Only the calls that wait (sleep, yield the
//! turn, join a live task, wait for a socket; cancelling or killing itself) end its turn.
//!
//! A task is queued at most once: woken again before it runs (by a timer, a socket, a waker
//! from this thread or another, any number of times), it keeps the place its first wake gave
//! it and runs once for them all. A flood of wakes costs at most one entry in each queue,
//! however long it lasts.
//!
//! So: the queue is FIFO within a pass; a task woken during a pass runs after the next
//! readiness poll; a task that yields the turn always lets I/O that is ready run first; a task
//! that finishes (or is killed) never costs another its turn, since it just leaves the queue;
//! and any number of tasks may wait on the same socket (all the waiters of a direction wake
//! together).
//!
//! # Faults are contained
//! No fault of a task kills the loop, loses another task, or leaves the loop waiting for ever:
//! * **A panic in a task's body** is reported ([`Report::Panicked`]); the task ends, its joiners
//!   get [`JoinError::Panicked`].
//! * **A destructor that panics**, wherever the loop drops something of a task's — its body
//!   when it is killed, cancelled, aborted or still pending when the kernel is dropped (or
//!   `rt::block_on` returns); a return value nobody will take; a value it was handed but never
//!   saw; a panic payload, even one whose own destructor panics (the payload of *that* panic is
//!   leaked, not dropped) — is reported as that task's [`Report::Panicked`], and the loop goes
//!   on: `block_on` still returns its value, a dropped kernel still drops every other task, and
//!   no destructor's panic ever meets an unwinding one (which would abort the process).
//! * **The loop's state is free while user code runs**: destructors, wakers and the report hook
//!   run with nothing of the loop borrowed, so a destructor may spawn, read the clock or abort
//!   another task.
//! * **A report hook that panics** ([`Kernel::on_report`]) is caught: that report is printed to
//!   stderr with the hook's panic, the hook stays installed, and the pass goes on.
//! * **A system call the kernel cannot carry out** is answered with an error, and nothing else
//!   changes: a wait on a negative descriptor gets `Reply::Io(Err(_))` (`InvalidInput`), one on
//!   a descriptor that is not open or that the poller refuses gets the system's error; a
//!   [`sys::join`] with the wrong type gets [`JoinError::WrongType`] and the value stays for a
//!   join with the right one.
//! * **A loop started inside a running one** (`rt::block_on`, or [`Kernel::run`], `run_once`,
//!   `block_on`, from a task or from `block_on`'s future) is refused with a panic saying what to
//!   do instead — contained like any other panic of a task. (Run inline, it would freeze the
//!   outer loop, and hang for good awaiting one of its tasks.)
//!
//! What does come out: a panic of [`Kernel::block_on`]'s (or `rt::block_on`'s) own future —
//! the pending tasks are dropped first, as above — and a failure of the operating system's
//! poller.

pub(crate) mod clock;
pub(crate) mod engine;
pub(crate) mod reactor;
mod report;
mod returns;
mod run;
mod sites;
pub mod sys;
mod syscall;
mod table;
mod task;
pub(crate) mod timers;

pub use report::{Report, Snapshot, TaskInfo, TaskState};
pub use run::Kernel;
pub use syscall::{Cancelled, Error, JoinError, Reply, Syscall, TaskInput};
pub use task::{Task, TaskGenerator};

pub use crate::sched::TaskId;
