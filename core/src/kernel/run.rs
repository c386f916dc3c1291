//! [`Kernel`]: the front-end of the core for generator tasks, and the loop `rt` runs futures on.

use alloc::rc::Rc;
use core::fmt;
use core::future::Future;
use core::panic::Location;
use core::pin::pin;
use core::task::{Context, Poll};
use core::time::Duration;

use super::engine::{enter, refuse_nested, Core, Pass};
use super::{Report, Snapshot, Task, TaskGenerator};
use crate::sched::TaskId;

/// An operating system of generators, after David Beazley's: tasks are generators that yield
/// [`Syscall`](super::Syscall)s and are resumed with the [`Reply`](super::Reply). Futures run on it too (see
/// [`rt`](crate::rt)), sharing its run queue, timers, reactor and task ids.
///
/// See the [module documentation](super) for the tour and the fairness contract.
///
/// A generator task and a future task on one kernel, the future waiting for the generator:
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
/// use resumable::rt;
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn slow_answer() -> Result<u32, Cancelled> {
///     yield_from!(sys::sleep(Duration::from_secs(1)))?;
///     Ok(42)
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("answer", slow_answer());
/// let got = kernel.block_on(async move {
///     rt::JoinHandle::<Result<u32, Cancelled>>::for_task(id).await
/// });
/// assert_eq!(got, Ok(Ok(42)));
/// assert_eq!(kernel.now(), Duration::from_secs(1));
/// ```
pub struct Kernel {
    pub(super) core: Rc<Core>,
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
    /// ```
    /// use resumable::kernel::Kernel;
    ///
    /// let mut kernel = Kernel::new();
    /// assert!(kernel.is_empty());
    /// kernel.run(); // nothing to do: returns at once
    /// ```
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
    /// of the same tasks is the same. An `rt::Sleep` set on it and awaited in another loop keeps
    /// the time this clock had left (see [`rt::Sleep`](crate::rt::Sleep#in-another-loop)).
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

    /// Sets how long a task may hold the thread in one step — a generator task between two
    /// yields, a future task or the future of a `block_on` in one poll — before it is reported
    /// ([`Report::Slow`]); `None` turns the warning off. The default is 100 ms.
    ///
    /// Every step's running time is read when it ends. On Linux, for a threshold of 25 ticks of
    /// the system's coarse monotonic clock or more (a tick is 1–10 ms; 4 ms on most systems),
    /// that clock is read instead of a precise one, which would cost a third of a task switch:
    /// the warning's `ran` and the snapshot's `busy` are then within a tick of the truth
    /// (`busy`, summed over many steps, is right on average). A finer threshold is measured
    /// with the precise clock.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc, time::Duration};
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Report, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn hog() -> Result<(), Cancelled> {
    ///     std::thread::sleep(Duration::from_millis(20)); // blocks the whole kernel
    ///     yield_from!(sys::yield_now())
    /// }
    ///
    /// let mut kernel = Kernel::new().with_slow_task_threshold(Some(Duration::from_millis(5)));
    /// let reports = Rc::new(RefCell::new(Vec::new()));
    /// let sink = reports.clone();
    /// kernel.on_report(move |r| sink.borrow_mut().push(r.clone()));
    /// kernel.spawn("hog", hog());
    /// kernel.run();
    /// let reports = reports.borrow();
    /// assert!(matches!(&reports[..], [Report::Slow { name, ran, from: None, to: Some(_), .. }]
    ///     if &**name == "hog" && *ran >= Duration::from_millis(20)));
    /// ```
    #[must_use]
    pub fn with_slow_task_threshold(self, threshold: Option<Duration>) -> Kernel {
        self.core.set_slow_threshold(threshold);
        self
    }

    /// Sends every [`Report`] to `reporter` instead of stderr.
    ///
    /// The hook runs with nothing of the kernel borrowed: it may spawn or abort tasks (a report
    /// that causes comes to the hook next, once it returns). A hook that panics is caught: that
    /// report is printed to stderr, with the hook's panic message, and the hook stays installed
    /// for the next one; the pass it panicked in goes on.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use resumable::prelude::*;
    /// use resumable::kernel::{Cancelled, JoinError, Kernel, Report, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn oops() -> Result<(), Cancelled> {
    ///     panic!("oops")
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let sink = seen.clone();
    /// kernel.on_report(move |report| sink.borrow_mut().push(report.to_string()));
    /// let id = kernel.spawn("oops", oops());
    /// kernel.run(); // the panic is contained
    /// assert!(seen.borrow().contains(&format!("task {id} \"oops\" panicked: oops")));
    /// assert_eq!(
    ///     kernel.take_return::<Result<(), Cancelled>>(id),
    ///     Err(JoinError::Panicked("oops".into()))
    /// );
    /// ```
    pub fn on_report(&mut self, reporter: impl FnMut(&Report) + 'static) {
        self.core.set_reporter(alloc::boxed::Box::new(reporter));
    }

    /// Starts a task running `generator`; it runs in the next pass.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn double(x: u32) -> Result<u32, Cancelled> {
    ///     yield_from!(sys::sleep(Duration::from_millis(1)))?;
    ///     Ok(2 * x)
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn("double", double(21));
    /// assert_eq!(kernel.len(), 1); // spawned, not run yet
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<Result<u32, Cancelled>>(id), Ok(Ok(42)));
    /// ```
    #[track_caller]
    pub fn spawn(&mut self, name: impl Into<Rc<str>>, generator: impl TaskGenerator) -> TaskId {
        self.spawn_task(Task::new(name, generator))
    }

    /// Starts `task`; it runs in the next pass.
    ///
    /// A [`Task`] can be made from a generator, a future or any hand-written generator, and
    /// [detached](Task::detached):
    ///
    /// ```
    /// use resumable::kernel::{JoinError, Kernel, Task};
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let kept = kernel.spawn_task(Task::from_future("kept", async { 1 }));
    /// let dropped = kernel.spawn_task(Task::from_future("dropped", async { 2 }).detached());
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<i32>(kept), Ok(1));
    /// assert_eq!(kernel.take_return::<i32>(dropped), Err(JoinError::Taken)); // nobody kept it
    /// ```
    pub fn spawn_task(&mut self, task: Task) -> TaskId {
        self.core.spawn(task)
    }

    /// Runs until no task is left (or none can ever run again: [`Report::Stalled`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn nap(ms: u64) -> Result<(), Cancelled> {
    ///     yield_from!(sys::sleep(Duration::from_millis(ms)))
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// for ms in [30, 10, 20] {
    ///     kernel.spawn("nap", nap(ms));
    /// }
    /// kernel.run();
    /// assert!(kernel.is_empty());
    /// assert_eq!(kernel.now(), Duration::from_millis(30)); // the naps overlapped
    /// ```
    ///
    /// # Panics
    /// If waiting on the operating system fails; when called inside a running loop (from a
    /// task, or from `rt::block_on`'s future): the running loop would stop until this one
    /// returned, and a task of it awaited here would never finish. Spawn the work on the
    /// running loop instead (`rt::spawn`, `sys::spawn`) and wait for it there.
    #[track_caller]
    pub fn run(&mut self) {
        refuse_nested("Kernel::run");
        enter(
            &self.core,
            || while self.core.run_once(false) == Pass::Ran {},
        );
    }

    /// Runs one pass: waits for readiness (without blocking when a task is ready), wakes the
    /// tasks whose timers are due, then resumes every ready task once, in order. Returns false
    /// when there was nothing left to run.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn two_steps() -> Result<(), Cancelled> {
    ///     yield_from!(sys::yield_now())?;
    ///     yield_from!(sys::yield_now())
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// kernel.spawn("steps", two_steps());
    /// let mut passes = 0;
    /// while kernel.run_once() {
    ///     passes += 1;
    /// }
    /// assert_eq!(passes, 3); // started, resumed, resumed and returned
    /// assert!(kernel.is_empty());
    /// ```
    ///
    /// # Panics
    /// If waiting on the operating system fails; when called inside a running loop (see
    /// [`run`](Kernel::run)).
    #[track_caller]
    pub fn run_once(&mut self) -> bool {
        refuse_nested("Kernel::run_once");
        enter(&self.core, || self.core.run_once(false) == Pass::Ran)
    }

    /// Runs `future` to completion on this kernel, with the tasks it spawns (and any others)
    /// running around it: `rt::block_on` on a kernel of your own.
    ///
    /// On a virtual clock, the future's sleeps are instant too:
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::kernel::Kernel;
    /// use resumable::rt;
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let woke_at = kernel.block_on(async {
    ///     let nap = rt::spawn(rt::sleep(Duration::from_secs(60)));
    ///     rt::sleep(Duration::from_secs(10)).await;
    ///     nap.await.unwrap();
    ///     rt::now()
    /// });
    /// assert_eq!(woke_at, Duration::from_secs(60));
    /// ```
    ///
    /// Each poll of `future` counts as a step for the slow-task warning: one that holds the
    /// thread too long is reported as "the future of block_on at" this call ([`Report::Slow`]
    /// with no task id).
    ///
    /// # Panics
    /// If waiting on the operating system fails; when called inside a running loop (see
    /// [`run`](Kernel::run)): `.await` the future there instead, or spawn it. A panic of
    /// `future` itself comes out of `block_on`.
    #[track_caller]
    pub fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        refuse_nested("Kernel::block_on");
        let called_at = Location::caller();
        let core = &self.core;
        enter(core, || {
            let mut future = pin!(future);
            let waker = core.main_waker();
            let mut cx = Context::from_waker(&waker);
            let mut woken = true;
            let mut polls = 0;
            loop {
                if woken {
                    core.reset_budget();
                    polls += 1;
                    let poll = || future.as_mut().poll(&mut cx);
                    if let Poll::Ready(value) = core.poll_main(called_at, polls, poll) {
                        return value;
                    }
                }
                core.run_once(true);
                woken = core.take_main_wake();
            }
        })
    }

    /// Closes a task now: its destructors run, its joiners get
    /// [`JoinError::Killed`](super::JoinError::Killed). Returns whether it was alive.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, JoinError, Kernel, Reply, Syscall};
    ///
    /// struct Guard(Rc<Cell<bool>>);
    /// impl Drop for Guard {
    ///     fn drop(&mut self) { self.0.set(true) }
    /// }
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn sleeper(dropped: Rc<Cell<bool>>) -> Result<(), Cancelled> {
    ///     let _guard = Guard(dropped);
    ///     yield_from!(sys::sleep(Duration::from_secs(3600)))
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let dropped = Rc::new(Cell::new(false));
    /// let id = kernel.spawn("sleeper", sleeper(dropped.clone()));
    /// kernel.run_once(); // it starts and goes to sleep
    /// assert!(kernel.kill(id));
    /// assert!(dropped.get()); // at once
    /// assert!(!kernel.kill(id)); // no longer alive
    /// assert_eq!(kernel.take_return::<Result<(), Cancelled>>(id), Err(JoinError::Killed));
    /// ```
    pub fn kill(&mut self, id: TaskId) -> bool {
        enter(&self.core, || self.core.kill(id))
    }

    /// Throws [`Cancelled`](super::Cancelled) into a task at the yield it waits at (in the next
    /// pass), so its cleanup code runs; a task that cannot be thrown into (a future, or a
    /// generator whose resume type is plain [`Reply`](super::Reply)) is killed. Returns whether
    /// it was alive.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn worker() -> Result<&'static str, Cancelled> {
    ///     match yield_from!(sys::sleep(Duration::from_secs(3600))) {
    ///         Ok(()) => Ok("slept"),
    ///         Err(Cancelled) => {
    ///             yield_from!(sys::sleep(Duration::from_secs(1)))?; // cleanup may wait, too
    ///             Ok("cleaned up")
    ///         }
    ///     }
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn("worker", worker());
    /// kernel.run_once(); // it starts and goes to sleep
    /// assert!(kernel.cancel(id));
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<Result<&str, Cancelled>>(id), Ok(Ok("cleaned up")));
    /// assert_eq!(kernel.now(), Duration::from_secs(1));
    /// ```
    pub fn cancel(&mut self, id: TaskId) -> bool {
        enter(&self.core, || self.core.cancel(id))
    }

    /// The kernel's clock: time since it was made (real or virtual).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::kernel::Kernel;
    /// use resumable::rt;
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// assert_eq!(kernel.now(), Duration::ZERO);
    /// kernel.block_on(rt::sleep(Duration::from_millis(250)));
    /// assert_eq!(kernel.now(), Duration::from_millis(250));
    /// ```
    pub fn now(&self) -> Duration {
        self.core.now()
    }

    /// How many tasks are alive.
    ///
    /// ```
    /// use resumable::kernel::{Kernel, Task};
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// kernel.spawn_task(Task::from_future("a", async {}));
    /// kernel.spawn_task(Task::from_future("b", async {}));
    /// assert_eq!(kernel.len(), 2);
    /// kernel.run();
    /// assert_eq!(kernel.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no task is alive.
    ///
    /// ```
    /// use resumable::kernel::{Kernel, Task};
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// assert!(kernel.is_empty());
    /// kernel.spawn_task(Task::from_future("a", async {}));
    /// assert!(!kernel.is_empty());
    /// kernel.run();
    /// assert!(kernel.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.core.len() == 0
    }

    /// Every live task: id, name, what it waits on, steps taken and time spent running.
    /// Its `Display` is a table.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    /// use resumable::kernel::TaskState;
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn nap() -> Result<(), Cancelled> {
    ///     yield_from!(sys::sleep(Duration::from_secs(5)))
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn("nap", nap());
    /// kernel.run_once();
    /// let snapshot = kernel.snapshot();
    /// assert_eq!(snapshot.tasks.len(), 1);
    /// let task = &snapshot.tasks[0];
    /// assert_eq!((task.id, &*task.name, task.steps), (id, "nap", 1));
    /// assert_eq!(task.state, TaskState::Sleeping { until: Duration::from_secs(5) });
    /// assert!(snapshot.to_string().contains("sleeping until 5s"));
    /// # kernel.run();
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        self.core.snapshot()
    }
}

/// Tasks still pending are reported ([`Report::Pending`]), then dropped: their destructors run
/// (a destructor that panics is reported as its task's [`Report::Panicked`], and the others
/// are dropped all the same), and whoever joins them gets
/// [`JoinError::Killed`](super::JoinError::Killed).
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
