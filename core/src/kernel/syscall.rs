//! What kernel tasks say to the kernel ([`Syscall`]) and what it answers ([`Reply`]).

use alloc::boxed::Box;
use alloc::string::String;
use core::any::{Any, TypeId};
use core::fmt;
use core::time::Duration;
use std::io;

use super::Task;
use crate::sched::TaskId;

#[cfg(unix)]
use std::os::fd::RawFd;

/// A system call: what a kernel task yields. The kernel resumes the task with the [`Reply`].
///
/// Tasks rarely build these by hand: the generators in [`sys`](super::sys) yield them and turn
/// the reply into a typed result, so a task writes `let id = yield_from!(sys::get_id())?;`.
/// By hand, a task yields the call and matches the reply (see also [`Reply`]):
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply)]
/// fn raw() -> Duration {
///     let Reply::Done = yield_!(Syscall::Sleep(Duration::from_millis(7))) else {
///         unreachable!("Sleep is answered with Done")
///     };
///     match yield_!(Syscall::Now) {
///         Reply::Now(now) => now,
///         other => unreachable!("Now is answered with Now, not {other:?}"),
///     }
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("raw", raw());
/// kernel.run();
/// assert_eq!(kernel.take_return::<Duration>(id), Ok(Duration::from_millis(7)));
/// ```
pub enum Syscall {
    /// Which task am I? Replies [`Reply::Id`].
    GetId,
    /// The kernel's clock (virtual or real). Replies [`Reply::Now`].
    Now,
    /// Start a new task. Replies [`Reply::Spawned`] with its id.
    Spawn(Task),
    /// Close a task now: its destructors run. Replies [`Reply::Killed`] (whether it was alive).
    Kill(TaskId),
    /// Throw [`Cancelled`] into a task at the yield it waits at, so its cleanup code runs; a task
    /// that cannot be thrown into is killed. Replies [`Reply::Cancelled`].
    Cancel(TaskId),
    /// Wait for a task to finish. Replies [`Reply::Joined`] with its return value, whatever its
    /// type.
    Join(TaskId),
    /// Wait for a task to finish, and take its return value only if it has this type: if it
    /// has another, the reply is `Reply::Joined(Err(JoinError::WrongType))` and the value
    /// stays, for a join (or a [`JoinHandle`](crate::rt::JoinHandle), or
    /// [`Kernel::take_return`](super::Kernel::take_return)) that asks for the right type.
    /// What [`sys::join`](super::sys::join) yields.
    ///
    /// ```
    /// use std::any::TypeId;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{JoinError, Kernel, Reply, Syscall, Task};
    ///
    /// #[generator(yield = Syscall, resume = Reply)]
    /// fn parent() -> (bool, u8) {
    ///     let Reply::Spawned(id) = yield_!(Syscall::Spawn(Task::from_future("child", async { 7u8 })))
    ///     else { unreachable!() };
    ///     let Reply::Joined(wrong) = yield_!(Syscall::JoinAs(id, TypeId::of::<String>()))
    ///     else { unreachable!() };
    ///     let Reply::Joined(right) = yield_!(Syscall::JoinAs(id, TypeId::of::<u8>()))
    ///     else { unreachable!() };
    ///     (matches!(wrong, Err(JoinError::WrongType)), *right.unwrap().downcast::<u8>().unwrap())
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn("parent", parent());
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<(bool, u8)>(id), Ok((true, 7)));
    /// ```
    JoinAs(TaskId, TypeId),
    /// Wait this long. Replies [`Reply::Done`].
    Sleep(Duration),
    /// Let every other ready task, and I/O, run first. Replies [`Reply::Done`].
    YieldNow,
    /// Wait until the file descriptor can be read without blocking. Replies [`Reply::Io`].
    #[cfg(unix)]
    Readable(RawFd),
    /// Wait until the file descriptor can be written without blocking. Replies [`Reply::Io`].
    #[cfg(unix)]
    Writable(RawFd),
}

impl fmt::Debug for Syscall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Syscall::GetId => f.write_str("GetId"),
            Syscall::Now => f.write_str("Now"),
            Syscall::Spawn(task) => write!(f, "Spawn({:?})", task.name()),
            Syscall::Kill(id) => write!(f, "Kill({id})"),
            Syscall::Cancel(id) => write!(f, "Cancel({id})"),
            Syscall::Join(id) => write!(f, "Join({id})"),
            Syscall::JoinAs(id, _) => write!(f, "JoinAs({id}, ..)"),
            Syscall::Sleep(d) => write!(f, "Sleep({d:?})"),
            Syscall::YieldNow => f.write_str("YieldNow"),
            #[cfg(unix)]
            Syscall::Readable(fd) => write!(f, "Readable(fd {fd})"),
            #[cfg(unix)]
            Syscall::Writable(fd) => write!(f, "Writable(fd {fd})"),
        }
    }
}

/// What the kernel resumes a task with: the answer to its last [`Syscall`].
///
/// A task that spawns and joins by hand, downcasting the joined value itself (what
/// [`sys::join`](super::sys::join) does for you):
///
/// ```
/// use resumable::prelude::*;
/// use resumable::kernel::{Kernel, Reply, Syscall, Task};
///
/// #[generator(yield = Syscall, resume = Reply)]
/// fn parent() -> String {
///     let child = Task::from_future("child", async { 6 * 7 });
///     let Reply::Spawned(id) = yield_!(Syscall::Spawn(child)) else { unreachable!() };
///     match yield_!(Syscall::Join(id)) {
///         Reply::Joined(Ok(value)) => format!("got {}", value.downcast::<i32>().unwrap()),
///         Reply::Joined(Err(e)) => format!("failed: {e}"),
///         other => unreachable!("Join is answered with Joined, not {other:?}"),
///     }
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("parent", parent());
/// kernel.run();
/// assert_eq!(kernel.take_return::<String>(id).unwrap(), "got 42");
/// ```
#[derive(Default)]
pub enum Reply {
    /// The first resume of a task: the kernel starts the task's body without it (see
    /// `start()`), unless the body binds its first argument (a closure-form `coroutine!`).
    #[default]
    Start,
    /// Answers [`Syscall::GetId`].
    Id(TaskId),
    /// Answers [`Syscall::Now`]: time since the kernel was made.
    Now(Duration),
    /// Answers [`Syscall::Spawn`].
    Spawned(TaskId),
    /// Answers [`Syscall::Kill`]: whether the task was alive.
    Killed(bool),
    /// Answers [`Syscall::Cancel`]: whether the task was alive.
    Cancelled(bool),
    /// Answers [`Syscall::Join`]: the task's return value, to be downcast, or why there is none.
    Joined(Result<Box<dyn Any>, JoinError>),
    /// Answers [`Syscall::Sleep`] and [`Syscall::YieldNow`].
    Done,
    /// Answers a wait for readiness: ready, or why the kernel could not wait.
    Io(io::Result<()>),
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Start => f.write_str("Start"),
            Reply::Id(id) => write!(f, "Id({id})"),
            Reply::Now(d) => write!(f, "Now({d:?})"),
            Reply::Spawned(id) => write!(f, "Spawned({id})"),
            Reply::Killed(alive) => write!(f, "Killed({alive})"),
            Reply::Cancelled(alive) => write!(f, "Cancelled({alive})"),
            Reply::Joined(Ok(_)) => f.write_str("Joined(Ok(..))"),
            Reply::Joined(Err(e)) => write!(f, "Joined(Err({e:?}))"),
            Reply::Done => f.write_str("Done"),
            Reply::Io(r) => write!(f, "Io({r:?})"),
        }
    }
}

/// Thrown into a task by [`Syscall::Cancel`]: Python's `CancelledError`.
///
/// A task declared `throw = Cancelled` sees it come out of the `yield_!` (or `yield_from!`) it
/// waits at, and may clean up — even yield more system calls — before it returns. A task that
/// just propagates it with `?` returns `Err(Cancelled)`:
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn sleeper() -> Result<(), Cancelled> {
///     yield_from!(sys::sleep(Duration::from_secs(3600)))?;
///     unreachable!("cancelled first")
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("sleeper", sleeper());
/// kernel.run_once();
/// kernel.cancel(id);
/// kernel.run();
/// assert_eq!(kernel.take_return::<Result<(), Cancelled>>(id), Ok(Err(Cancelled)));
/// assert_eq!(Cancelled.to_string(), "task cancelled");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// Why [`Syscall::Join`] has no return value to give (nor [`Kernel::take_return`](super::Kernel::take_return),
/// nor an `rt` [`JoinHandle`](crate::rt::JoinHandle)).
///
/// A join ([`sys::join`](super::sys::join), a `JoinHandle`) waits for the task to end, so it
/// never gets [`NotFinished`](JoinError::NotFinished): only `Kernel::take_return`, which does
/// not wait, says so.
///
/// ```
/// use resumable::kernel::{JoinError, Kernel, Task};
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn_task(Task::from_future("number", async { 5u8 }));
/// kernel.run();
/// let err = kernel.take_return::<String>(id).unwrap_err();
/// assert_eq!(err, JoinError::WrongType);
/// assert_eq!(err.to_string(), "the return value has another type");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    /// No such task was ever spawned here.
    NoSuchTask,
    /// The task has not finished: it has not run yet, is waiting, or is running. Only
    /// [`Kernel::take_return`](super::Kernel::take_return) answers this (a join waits instead);
    /// nothing is taken, so ask again once it has ended.
    ///
    /// ```
    /// use resumable::kernel::{JoinError, Kernel, Task};
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn_task(Task::from_future("later", async { 1u8 }));
    /// let err = kernel.take_return::<u8>(id).unwrap_err();
    /// assert_eq!(err, JoinError::NotFinished);
    /// assert_eq!(err.to_string(), "the task has not finished yet");
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<u8>(id), Ok(1));
    /// ```
    NotFinished,
    /// The task was killed.
    Killed,
    /// The task panicked, with this message.
    Panicked(String),
    /// Another joiner took the return value first.
    Taken,
    /// A task cannot wait for itself.
    JoinSelf,
    /// The return value is not of the type asked for.
    WrongType,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::NoSuchTask => f.write_str("no such task"),
            JoinError::NotFinished => f.write_str("the task has not finished yet"),
            JoinError::Killed => f.write_str("the task was killed"),
            JoinError::Panicked(msg) => write!(f, "the task panicked: {msg}"),
            JoinError::Taken => f.write_str("another task took the return value"),
            JoinError::JoinSelf => f.write_str("a task cannot join itself"),
            JoinError::WrongType => f.write_str("the return value has another type"),
        }
    }
}

impl std::error::Error for JoinError {}

/// The error of the kernel's I/O helpers: cancelled while waiting, or the I/O failed.
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Error, Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn wait_forever(end: UnixStream) -> Result<(), Error> {
///     yield_from!(sys::readable(&end))?; // nobody writes
///     Ok(())
/// }
///
/// let (a, _b) = UnixStream::pair().unwrap();
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("waiter", wait_forever(a));
/// kernel.run_once();
/// kernel.cancel(id);
/// kernel.run();
/// let result = kernel.take_return::<Result<(), Error>>(id).unwrap();
/// assert!(matches!(result, Err(Error::Cancelled)));
/// ```
#[derive(Debug)]
pub enum Error {
    /// The task was cancelled.
    Cancelled,
    /// The operation failed.
    Io(io::Error),
}

impl From<Cancelled> for Error {
    fn from(_: Cancelled) -> Self {
        Error::Cancelled
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cancelled => f.write_str("task cancelled"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// The resume type of a kernel task: [`Reply`], or `Result<Reply, Cancelled>` for a task that
/// can be cancelled by a throw (`#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]`).
///
/// A task that cannot be thrown into is killed when cancelled: its code after the yield never
/// runs.
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{JoinError, Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply)] // no `throw`: the resume type is plain Reply
/// fn stubborn() -> &'static str {
///     yield_!(Syscall::Sleep(Duration::from_secs(60)));
///     "woke up"
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("stubborn", stubborn());
/// kernel.run_once();
/// assert!(kernel.cancel(id));
/// kernel.run();
/// assert_eq!(kernel.take_return::<&str>(id), Err(JoinError::Killed));
/// assert_eq!(kernel.now(), Duration::ZERO); // it never slept
/// ```
pub trait TaskInput: Sized + 'static {
    /// Wraps a reply.
    fn reply(reply: Reply) -> Self;
    /// The value that cancels the task, if its resume type can carry one.
    fn cancelled() -> Option<Self>;
}

impl TaskInput for Reply {
    fn reply(reply: Reply) -> Self {
        reply
    }
    fn cancelled() -> Option<Self> {
        None
    }
}

impl TaskInput for Result<Reply, Cancelled> {
    fn reply(reply: Reply) -> Self {
        Ok(reply)
    }
    fn cancelled() -> Option<Self> {
        Some(Err(Cancelled))
    }
}
