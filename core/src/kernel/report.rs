//! What the kernel tells about its tasks: [`Report`]s as things happen, and a [`Snapshot`] on
//! demand.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::panic::Location;
use core::time::Duration;

use crate::sched::TaskId;

#[cfg(unix)]
use std::os::fd::RawFd;

/// Something the kernel noticed. Reports go to the function given to
/// [`Kernel::on_report`](super::Kernel::on_report); by default they are printed to stderr.
///
/// Two tasks joining each other stall the kernel; dropping it then reports them pending:
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Report, Reply, Syscall, Task, TaskId, TaskState};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn child(parent: TaskId) -> Result<(), Cancelled> {
///     let _ = yield_from!(sys::join::<()>(parent))?;
///     Ok(())
/// }
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn parent() -> Result<(), Cancelled> {
///     let me = yield_from!(sys::get_id())?;
///     let kid = yield_from!(sys::spawn(Task::new("child", child(me))))?;
///     let _ = yield_from!(sys::join::<()>(kid))?;
///     Ok(())
/// }
///
/// let reports = Rc::new(RefCell::new(Vec::new()));
/// let sink = reports.clone();
/// let mut kernel = Kernel::new().with_virtual_clock();
/// kernel.on_report(move |r| sink.borrow_mut().push(r.clone()));
/// let p = kernel.spawn("parent", parent());
/// kernel.run(); // returns: nobody can ever run again
/// drop(kernel);
/// let reports = reports.borrow();
/// assert!(matches!(&reports[0], Report::Stalled { tasks } if tasks.len() == 2));
/// assert!(matches!(&reports[1],
///     Report::Pending { id, state: TaskState::Joining(_), .. } if *id == p));
/// assert_eq!(reports.len(), 3); // the child is pending too
/// ```
#[derive(Debug, Clone)]
pub enum Report {
    /// A task panicked: its body (the kernel dropped it and went on with the others; whoever
    /// joins it gets `JoinError::Panicked`), or a destructor of something of its own that the
    /// kernel dropped — its locals when it was killed, cancelled or dropped with the kernel, a
    /// return value nobody took, its panic payload (the loop went on all the same). See
    /// [Faults are contained](super#faults-are-contained).
    Panicked {
        /// The task.
        id: TaskId,
        /// Its name.
        name: Rc<str>,
        /// The panic message.
        message: String,
    },
    /// A task — or the future of a `block_on` — kept the thread longer than the threshold in
    /// one step (a generator task's resume, up to its next yield that waits; a future's poll):
    /// no other task, and no I/O, could run meanwhile. asyncio's debug mode says
    /// `Executing <Task ...> took 0.201 seconds`.
    ///
    /// Its `Display` names the task, where it was spawned, and where the step began and ended:
    ///
    /// ```text
    /// task 3 "worker" (spawned at src/main.rs:12) held the thread for 201ms without yielding, from src/main.rs:15 to src/main.rs:19
    /// the future of block_on at src/main.rs:8 held the thread for 250ms without yielding, from its start to its return
    /// ```
    ///
    /// A generator task says where it is suspended, so `from` and `to` are its yields. A future
    /// cannot; but rt's own futures (`rt::yield_now`, `rt::sleep`, `rt::timeout`, a task group's
    /// `join_next` and `join_all`, `rt::ctrl_c`) remember the line that awaits them, and tell
    /// the poll: `from` is the one that was ready after having been pending (the `.await` the
    /// poll resumed from), `to` the one that was pending (where it stopped); when several did
    /// (a `join!`, a `select!`), the last. Awaiting anything else (a `JoinHandle`, a channel, a
    /// socket) leaves them unknown, and the report says so rather than guess.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc, time::Duration};
    /// use resumable::kernel::{Kernel, Report};
    /// use resumable::rt;
    ///
    /// let mut kernel = Kernel::new().with_slow_task_threshold(Some(Duration::from_millis(5)));
    /// let reports = Rc::new(RefCell::new(Vec::new()));
    /// let sink = reports.clone();
    /// kernel.on_report(move |r| sink.borrow_mut().push(r.clone()));
    /// let (yielded, blocked) = (line!() + 3, line!() + 5);
    /// kernel.block_on(async {
    ///     let worker = rt::spawn_named("worker", async {
    ///         rt::yield_now().await;
    ///         std::thread::sleep(Duration::from_millis(20)); // blocks the loop
    ///         rt::yield_now().await;
    ///     });
    ///     worker.await.unwrap();
    /// });
    /// let reports = reports.borrow();
    /// let slow = reports.iter().find_map(|r| match r {
    ///     Report::Slow { name, from: Some(from), to, ran, step, .. } if &**name == "worker" =>
    ///         Some((from.line(), to.map(|to| to.line()), *ran, *step)),
    ///     _ => None,
    /// });
    /// let (from, to, ran, step) = slow.unwrap();
    /// assert_eq!((from, to, step), (yielded, Some(blocked), 2));
    /// assert!(ran >= Duration::from_millis(20));
    /// ```
    Slow {
        /// The task; `None` for the future of a `block_on`, which is no task.
        id: Option<TaskId>,
        /// Its name (`"block_on"` for the future of a `block_on`).
        name: Rc<str>,
        /// Where it was spawned (`rt::spawn`, `Task::new`, ...) or where `block_on` was called.
        spawned: &'static Location<'static>,
        /// How long it ran.
        ran: Duration,
        /// Which of its steps this was: 1 for its first.
        step: u64,
        /// The yield or `.await` it was resumed at, where the step began: `None` for its first
        /// step, or if it is not known (see above).
        from: Option<&'static Location<'static>>,
        /// The yield or `.await` it stopped at, where the step ended: `None` if it ended in
        /// this step, or if it is not known.
        to: Option<&'static Location<'static>>,
        /// It returned (or panicked) in this step.
        ended: bool,
    },
    /// The kernel was dropped with this task still pending; it is dropped with the kernel.
    Pending {
        /// The task.
        id: TaskId,
        /// Its name.
        name: Rc<str>,
        /// What it was waiting for.
        state: TaskState,
    },
    /// No task can ever run again: every one waits for another (a join cycle, say). The kernel's
    /// `run` returns.
    Stalled {
        /// The tasks left.
        tasks: Vec<TaskId>,
    },
}

/// A source location, as reports print it: `file:line`.
struct At<'a>(&'a Location<'a>);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0.file(), self.0.line())
    }
}

/// The head of a slow report: who held the thread.
fn slow_who(
    f: &mut fmt::Formatter<'_>,
    id: Option<TaskId>,
    name: &str,
    spawned: &Location<'_>,
) -> fmt::Result {
    let Some(id) = id else {
        return write!(f, "the future of block_on at {}", At(spawned));
    };
    write!(f, "task {id} {name:?}")?;
    // `rt::spawn` names a task after the place it was spawned: no need to say it twice.
    let named_after = name
        .strip_prefix(spawned.file())
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(|line| line.parse() == Ok(spawned.line()));
    if !named_after {
        write!(f, " (spawned at {})", At(spawned))?;
    }
    Ok(())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Panicked { id, name, message } => {
                write!(f, "task {id} {name:?} panicked: {message}")
            }
            Report::Slow {
                id,
                name,
                spawned,
                ran,
                step,
                from,
                to,
                ended,
            } => {
                slow_who(f, *id, name, spawned)?;
                write!(f, " held the thread for {ran:?} without yielding, from ")?;
                match from {
                    Some(at) => write!(f, "{}", At(at))?,
                    None if *step <= 1 => f.write_str("its start")?,
                    None => f.write_str("an unknown point")?,
                }
                f.write_str(" to ")?;
                match to {
                    Some(at) => write!(f, "{}", At(at)),
                    None if *ended => f.write_str("its return"),
                    None => f.write_str("an unknown point"),
                }
            }
            Report::Pending { id, name, state } => {
                write!(
                    f,
                    "task {id} {name:?} was still pending ({state}) when the kernel was dropped"
                )
            }
            Report::Stalled { tasks } => {
                write!(f, "no task can run again; left waiting:")?;
                for id in tasks {
                    write!(f, " {id}")?;
                }
                Ok(())
            }
        }
    }
}

/// What a task is doing, or waiting for, as a [`Snapshot`] shows it.
///
/// ```
/// use std::time::Duration;
/// use resumable::kernel::{Kernel, Task, TaskState};
/// use resumable::rt;
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let sleeper = kernel.spawn_task(Task::from_future("sleeper", rt::sleep(Duration::from_secs(2))));
/// let ready = kernel.spawn_task(Task::from_future("ready", async {}));
/// let states: Vec<_> = kernel.snapshot().tasks.iter().map(|t| (t.id, t.state)).collect();
/// assert_eq!(states, [(sleeper, TaskState::Ready), (ready, TaskState::Ready)]);
/// kernel.run_once();
/// let states: Vec<_> = kernel.snapshot().tasks.iter().map(|t| t.state).collect();
/// assert_eq!(states, [TaskState::Awaiting]); // a future waits for its waker
/// assert_eq!(TaskState::Sleeping { until: Duration::from_secs(2) }.to_string(),
///            "sleeping until 2s");
/// # kernel.run();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// In the run queue.
    Ready,
    /// Running now (only seen from inside the task).
    Running,
    /// Asleep until the kernel's clock reads this.
    Sleeping {
        /// The deadline, on the kernel's clock.
        until: Duration,
    },
    /// Waiting for a descriptor to be readable.
    #[cfg(unix)]
    Reading(RawFd),
    /// Waiting for a descriptor to be writable.
    #[cfg(unix)]
    Writing(RawFd),
    /// Waiting for another task to finish.
    Joining(TaskId),
    /// A future task waiting for its waker.
    Awaiting,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskState::Ready => f.write_str("ready"),
            TaskState::Running => f.write_str("running"),
            TaskState::Sleeping { until } => write!(f, "sleeping until {until:?}"),
            #[cfg(unix)]
            TaskState::Reading(fd) => write!(f, "waiting to read fd {fd}"),
            #[cfg(unix)]
            TaskState::Writing(fd) => write!(f, "waiting to write fd {fd}"),
            TaskState::Joining(id) => write!(f, "joining {id}"),
            TaskState::Awaiting => f.write_str("awaiting a wake"),
        }
    }
}

/// One task in a [`Snapshot`].
///
/// ```
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn spinner() -> Result<(), Cancelled> {
///     loop {
///         yield_from!(sys::yield_now())?;
///     }
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("spinner", spinner());
/// for _ in 0..3 {
///     kernel.run_once();
/// }
/// let info = &kernel.snapshot().tasks[0];
/// assert_eq!((info.id, &*info.name, info.steps), (id, "spinner", 3));
/// assert!(info.busy < std::time::Duration::from_secs(1));
/// kernel.kill(id);
/// ```
#[derive(Debug, Clone)]
pub struct TaskInfo {
    /// Its id.
    pub id: TaskId,
    /// Its name.
    pub name: Rc<str>,
    /// What it is doing or waiting for.
    pub state: TaskState,
    /// How many times it has been resumed.
    pub steps: u64,
    /// How long it has run, in all (to the precision described at
    /// [`Kernel::with_slow_task_threshold`](super::Kernel::with_slow_task_threshold)).
    pub busy: Duration,
}

/// Every live task of a kernel at one moment, from
/// [`Kernel::snapshot`](super::Kernel::snapshot). Its `Display` is a table.
///
/// ```
/// use std::time::Duration;
/// use resumable::kernel::{Kernel, Task};
/// use resumable::rt;
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// kernel.spawn_task(Task::from_future("ticker", rt::sleep(Duration::from_secs(9))));
/// kernel.block_on(rt::sleep(Duration::from_secs(1)));
/// let snapshot = kernel.snapshot();
/// assert_eq!(snapshot.now, Duration::from_secs(1));
/// let table = snapshot.to_string();
/// assert!(table.starts_with("at 1s: 1 task(s)\n"));
/// assert!(table.contains("ticker"));
/// assert_eq!(snapshot.timers, 1); // the ticker's
/// # kernel.run();
/// ```
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The kernel's clock.
    pub now: Duration,
    /// The live tasks, by id.
    pub tasks: Vec<TaskInfo>,
    /// How many timers are set: one per task asleep in `sys::sleep`, and one per `rt::sleep`
    /// or `rt::timeout` pending. A timer is gone as soon as nobody waits for it (its future
    /// dropped, its task killed or cancelled), not at its deadline, so this stays bounded by
    /// what is live. The table does not show it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::kernel::Kernel;
    /// use resumable::rt;
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// kernel.block_on(async {
    ///     for _ in 0..1000 {
    ///         // Each call sets a 5-minute timer, and removes it when `yield_now` is done.
    ///         rt::timeout(Duration::from_secs(300), rt::yield_now()).await.unwrap();
    ///     }
    /// });
    /// assert_eq!(kernel.snapshot().timers, 0);
    /// assert_eq!(kernel.now(), Duration::ZERO);
    /// ```
    pub timers: usize,
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .tasks
            .iter()
            .map(|t| t.name.len())
            .max()
            .unwrap_or(0)
            .max(4);
        writeln!(f, "at {:?}: {} task(s)", self.now, self.tasks.len())?;
        writeln!(
            f,
            "{:>5}  {:<width$}  {:<28}  {:>7}  {:>12}",
            "id", "name", "state", "steps", "busy"
        )?;
        for t in &self.tasks {
            let state = alloc::format!("{}", t.state);
            writeln!(
                f,
                "{:>5}  {:<width$}  {:<28}  {:>7}  {:>12}",
                alloc::format!("{}", t.id),
                t.name,
                state,
                t.steps,
                alloc::format!("{:?}", t.busy)
            )?;
        }
        Ok(())
    }
}
