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
#[derive(Debug, Clone)]
pub enum Report {
    /// A task panicked. The kernel dropped it and went on with the others; whoever joins it gets
    /// `JoinError::Panicked`.
    Panicked {
        /// The task.
        id: TaskId,
        /// Its name.
        name: Rc<str>,
        /// The panic message.
        message: String,
    },
    /// A task kept the thread longer than the threshold between two yields: no other task, and
    /// no I/O, could run meanwhile.
    Slow {
        /// The task.
        id: TaskId,
        /// Its name.
        name: Rc<str>,
        /// How long it ran.
        ran: Duration,
        /// The yield it was resumed at, where the slice began (`None` for its first run).
        from: Option<&'static Location<'static>>,
        /// The yield it stopped at, where the slice ended (`None` if it returned).
        to: Option<&'static Location<'static>>,
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

struct At(Option<&'static Location<'static>>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(at) => write!(f, "{}:{}", at.file(), at.line()),
            None => f.write_str("its start"),
        }
    }
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
                ran,
                from,
                to,
            } => {
                write!(
                    f,
                    "task {id} {name:?} held the thread for {ran:?} without yielding, from {}",
                    At(*from)
                )?;
                match to {
                    Some(_) => write!(f, " to {}", At(*to)),
                    None => f.write_str(" to its return"),
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

/// What a task is doing, or waiting for.
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
    /// How long it has run, in all.
    pub busy: Duration,
}

/// Every live task of a kernel at one moment, from
/// [`Kernel::snapshot`](super::Kernel::snapshot). Its `Display` is a table.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The kernel's clock.
    pub now: Duration,
    /// The live tasks, by id.
    pub tasks: Vec<TaskInfo>,
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
