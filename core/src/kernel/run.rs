//! [`Kernel`]: the front-end of the core for generator tasks, and the loop `rt` runs futures on.

use alloc::rc::Rc;
use core::fmt;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll};
use core::time::Duration;

use super::engine::{enter, Core, Pass};
use super::{JoinError, Report, Snapshot, Syscall, Task, TaskInput};
use crate::channel::Body;
use crate::sched::TaskId;
use crate::Gen;

/// An operating system of generators, after David Beazley's: tasks are generators that yield
/// [`Syscall`]s and are resumed with the [`Reply`](super::Reply). Futures run on it too (see
/// [`rt`](crate::rt)), sharing its run queue, timers, reactor and task ids.
///
/// See the [module documentation](super) for the tour and the fairness contract.
pub struct Kernel {
    core: Rc<Core>,
}

impl Default for Kernel {
    fn default() -> Self {
        Kernel::new()
    }
}

impl Kernel {
    /// A kernel on the real clock, warning about tasks that hold the thread for more than
    /// 100 ms, reporting to stderr.
    ///
    /// # Panics
    /// If the operating system refuses to make a poller (out of file descriptors, say).
    pub fn new() -> Kernel {
        Kernel {
            core: Rc::new(Core::new()),
        }
    }

    /// Runs on a virtual clock, starting at zero: time stands still while tasks run and jumps
    /// to the next deadline when every task is asleep, so sleeps cost no real time and every run
    /// of the same tasks is the same.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn nap() -> Result<Duration, Cancelled> {
    ///     yield_from!(sys::sleep(Duration::from_secs(3600)))?;
    ///     yield_from!(sys::now())
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn("nap", nap());
    /// kernel.run(); // at once
    /// let woke_at: Result<Duration, Cancelled> = kernel.take_return(id).unwrap();
    /// assert_eq!(woke_at, Ok(Duration::from_secs(3600)));
    /// ```
    #[must_use]
    pub fn with_virtual_clock(self) -> Kernel {
        self.core.set_virtual_clock();
        self
    }

    /// Sets how long a task may hold the thread between two yields before it is reported
    /// ([`Report::Slow`]); `None` turns the warning off.
    #[must_use]
    pub fn with_slow_task_threshold(self, threshold: Option<Duration>) -> Kernel {
        self.core.set_slow_threshold(threshold);
        self
    }

    /// Sends every [`Report`] to `reporter` instead of stderr.
    pub fn on_report(&mut self, reporter: impl FnMut(&Report) + 'static) {
        self.core.set_reporter(alloc::boxed::Box::new(reporter));
    }

    /// Starts a task running `generator`; it runs in the next pass.
    pub fn spawn<I, B>(&mut self, name: impl Into<Rc<str>>, generator: Gen<Syscall, I, B>) -> TaskId
    where
        I: TaskInput,
        B: Body<Syscall, I> + 'static,
        B::Output: 'static,
    {
        self.spawn_task(Task::new(name, generator))
    }

    /// Starts `task`; it runs in the next pass.
    pub fn spawn_task(&mut self, task: Task) -> TaskId {
        self.core.spawn(task)
    }

    /// Runs until no task is left (or none can ever run again: [`Report::Stalled`]).
    ///
    /// # Panics
    /// If waiting on the operating system fails.
    pub fn run(&mut self) {
        enter(
            &self.core,
            || while self.core.run_once(false) == Pass::Ran {},
        );
    }

    /// Runs one pass: waits for readiness (without blocking when a task is ready), wakes the
    /// tasks whose timers are due, then resumes every ready task once, in order. Returns false
    /// when there was nothing left to run.
    ///
    /// # Panics
    /// If waiting on the operating system fails.
    pub fn run_once(&mut self) -> bool {
        enter(&self.core, || self.core.run_once(false) == Pass::Ran)
    }

    /// Runs `future` to completion on this kernel, with the tasks it spawns (and any others)
    /// running around it: `rt::block_on` on a kernel of your own.
    ///
    /// # Panics
    /// If waiting on the operating system fails.
    pub fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let core = &self.core;
        enter(core, || {
            let mut future = pin!(future);
            let waker = core.main_waker();
            let mut cx = Context::from_waker(&waker);
            let mut woken = true;
            loop {
                if woken {
                    core.reset_budget();
                    if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                        return value;
                    }
                }
                core.run_once(true);
                woken = core.take_main_wake();
            }
        })
    }

    /// Closes a task now: its destructors run, its joiners get [`JoinError::Killed`]. Returns
    /// whether it was alive.
    pub fn kill(&mut self, id: TaskId) -> bool {
        enter(&self.core, || self.core.kill(id))
    }

    /// Throws [`Cancelled`](super::Cancelled) into a task at the yield it waits at (in the next
    /// pass), so its cleanup code runs; a task that cannot be thrown into (a future, or a
    /// generator whose resume type is plain [`Reply`](super::Reply)) is killed. Returns whether
    /// it was alive.
    pub fn cancel(&mut self, id: TaskId) -> bool {
        enter(&self.core, || self.core.cancel(id))
    }

    /// The return value of a finished task, once: `Err` if it was killed, panicked, is still
    /// running (`JoinError::NoSuchTask` then, as for an unknown id), was taken already, or is not
    /// a `T`.
    pub fn take_return<T: 'static>(&mut self, id: TaskId) -> Result<T, JoinError> {
        let value = self.core.take_return(id)?;
        value
            .downcast::<T>()
            .map(|v| *v)
            .map_err(|_| JoinError::WrongType)
    }

    /// The kernel's clock: time since it was made (real or virtual).
    pub fn now(&self) -> Duration {
        self.core.now()
    }

    /// How many tasks are alive.
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no task is alive.
    pub fn is_empty(&self) -> bool {
        self.core.len() == 0
    }

    /// Every live task: id, name, what it waits on, steps taken and time spent running.
    /// Its `Display` is a table.
    pub fn snapshot(&self) -> Snapshot {
        self.core.snapshot()
    }
}

/// Tasks still pending are reported ([`Report::Pending`]), then dropped: their destructors run.
impl Drop for Kernel {
    fn drop(&mut self) {
        enter(&self.core, || self.core.shut_down());
    }
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernel")
            .field("tasks", &self.core.len())
            .field("now", &self.core.now())
            .field("virtual_clock", &self.core.is_virtual())
            .finish()
    }
}
