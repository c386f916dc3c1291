//! The system calls as generators: delegate to them with `yield_from!` and get a typed result.
//!
//! Each one yields one [`Syscall`] (or, for the I/O helpers, as many waits as it takes) and turns
//! the [`Reply`] into a value. They are `throw = Cancelled` generators, so they can be used from
//! any task declared `#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]`, and a cancellation
//! thrown while one of them waits comes out of it as `Err(Cancelled)`:
//!
//! ```
//! use std::time::Duration;
//! use resumable::prelude::*;
//! use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
//!
//! #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
//! fn worker() -> Result<u64, Cancelled> {
//!     let me = yield_from!(sys::get_id())?;
//!     yield_from!(sys::sleep(Duration::from_millis(5)))?;
//!     Ok(me.get() * 10)
//! }
//!
//! let mut kernel = Kernel::new().with_virtual_clock();
//! let id = kernel.spawn("worker", worker());
//! kernel.run();
//! assert_eq!(kernel.take_return::<Result<u64, Cancelled>>(id), Ok(Ok(10)));
//! ```
//!
//! Without `yield_from!`, a task would trampoline: yield a request, match the reply by hand —
//! the `kernel` example shows both.

use core::time::Duration;

use super::{Cancelled, JoinError, Reply, Syscall, Task};
use crate::generator;
use crate::sched::TaskId;

#[cfg(unix)]
use super::Error;
#[cfg(unix)]
use std::io::{self, Read, Write};
#[cfg(unix)]
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::fd::AsRawFd;

#[track_caller]
fn unexpected(call: &str, reply: &Reply) -> ! {
    panic!("the kernel answered {call} with {reply:?}")
}

/// The calling task's id.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn get_id() -> Result<TaskId, Cancelled> {
    match yield_!(Syscall::GetId)? {
        Reply::Id(id) => Ok(id),
        other => unexpected("GetId", &other),
    }
}

/// The kernel's clock: time since the kernel was made.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn now() -> Result<Duration, Cancelled> {
    match yield_!(Syscall::Now)? {
        Reply::Now(now) => Ok(now),
        other => unexpected("Now", &other),
    }
}

/// Starts a task; returns its id.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn spawn(task: Task) -> Result<TaskId, Cancelled> {
    match yield_!(Syscall::Spawn(task))? {
        Reply::Spawned(id) => Ok(id),
        other => unexpected("Spawn", &other),
    }
}

/// Closes a task now (its destructors run); returns whether it was alive.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn kill(id: TaskId) -> Result<bool, Cancelled> {
    match yield_!(Syscall::Kill(id))? {
        Reply::Killed(alive) => Ok(alive),
        other => unexpected("Kill", &other),
    }
}

/// Throws [`Cancelled`] into a task, so its cleanup code runs; returns whether it was alive.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn cancel(id: TaskId) -> Result<bool, Cancelled> {
    match yield_!(Syscall::Cancel(id))? {
        Reply::Cancelled(alive) => Ok(alive),
        other => unexpected("Cancel", &other),
    }
}

/// Waits for a task to finish and takes its return value, which must be a `T`.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn join<T: 'static>(id: TaskId) -> Result<Result<T, JoinError>, Cancelled> {
    match yield_!(Syscall::Join(id))? {
        Reply::Joined(result) => Ok(result.and_then(|v| {
            v.downcast::<T>()
                .map(|v| *v)
                .map_err(|_| JoinError::WrongType)
        })),
        other => unexpected("Join", &other),
    }
}

/// Sleeps for `duration` on the kernel's clock.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn sleep(duration: Duration) -> Result<(), Cancelled> {
    match yield_!(Syscall::Sleep(duration))? {
        Reply::Done => Ok(()),
        other => unexpected("Sleep", &other),
    }
}

/// Lets every other ready task, and I/O, run before this one goes on.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn yield_now() -> Result<(), Cancelled> {
    match yield_!(Syscall::YieldNow)? {
        Reply::Done => Ok(()),
        other => unexpected("YieldNow", &other),
    }
}

/// Waits until `source` can be read without blocking.
#[cfg(unix)]
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn readable(source: &impl AsRawFd) -> Result<(), Error> {
    match yield_!(Syscall::Readable(source.as_raw_fd()))? {
        Reply::Io(result) => Ok(result?),
        other => unexpected("Readable", &other),
    }
}

/// Waits until `source` can be written without blocking.
#[cfg(unix)]
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn writable(source: &impl AsRawFd) -> Result<(), Error> {
    match yield_!(Syscall::Writable(source.as_raw_fd()))? {
        Reply::Io(result) => Ok(result?),
        other => unexpected("Writable", &other),
    }
}

/// A non-blocking listener on `addr`, for [`accept`].
///
/// # Errors
/// If binding fails.
#[cfg(unix)]
pub fn listen(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Accepts a connection on a non-blocking listener (see [`listen`]), waiting for one as long
/// as it takes; the stream is non-blocking too.
#[cfg(unix)]
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn accept(listener: &TcpListener) -> Result<(TcpStream, SocketAddr), Error> {
    loop {
        match listener.accept() {
            Ok((stream, addr)) => {
                stream.set_nonblocking(true)?;
                return Ok((stream, addr));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => yield_from!(readable(listener))?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads into `buf` from a non-blocking stream, waiting for data as long as it takes; `Ok(0)`
/// is the end of the stream.
#[cfg(unix)]
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn read(stream: &TcpStream, buf: &mut [u8]) -> Result<usize, Error> {
    loop {
        match (&*stream).read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => yield_from!(readable(stream))?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Writes all of `buf` to a non-blocking stream, waiting for room as long as it takes.
#[cfg(unix)]
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn write_all(stream: &TcpStream, buf: &[u8]) -> Result<(), Error> {
    let mut rest = buf;
    while !rest.is_empty() {
        match (&*stream).write(rest) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => yield_from!(writable(stream))?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
