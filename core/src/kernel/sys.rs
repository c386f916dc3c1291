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

use core::any::TypeId;
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

/// The calling task's id: the one [`Kernel::spawn`](super::Kernel::spawn) returned.
///
/// ```
/// # use resumable::prelude::*;
/// # use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall, TaskId};
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn whoami() -> Result<TaskId, Cancelled> {
///     yield_from!(sys::get_id())
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("whoami", whoami());
/// kernel.run();
/// assert_eq!(kernel.take_return::<Result<TaskId, Cancelled>>(id), Ok(Ok(id)));
/// ```
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn get_id() -> Result<TaskId, Cancelled> {
    match yield_!(Syscall::GetId)? {
        Reply::Id(id) => Ok(id),
        other => unexpected("GetId", &other),
    }
}

/// The kernel's clock: time since the kernel was made.
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn timed() -> Result<Duration, Cancelled> {
///     let start = yield_from!(sys::now())?;
///     yield_from!(sys::sleep(Duration::from_millis(40)))?;
///     Ok(yield_from!(sys::now())? - start)
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("timed", timed());
/// kernel.run();
/// let took: Result<Duration, Cancelled> = kernel.take_return(id).unwrap();
/// assert_eq!(took, Ok(Duration::from_millis(40))); // exactly, on the virtual clock
/// ```
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn now() -> Result<Duration, Cancelled> {
    match yield_!(Syscall::Now)? {
        Reply::Now(now) => Ok(now),
        other => unexpected("Now", &other),
    }
}

/// Starts a task; returns its id. It runs in the next pass, concurrently with the caller, and
/// its return value waits for a [`join`].
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
/// use resumable::kernel::Task;
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn square(x: u64) -> Result<u64, Cancelled> {
///     yield_from!(sys::yield_now())?;
///     Ok(x * x)
/// }
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn sum_of_squares() -> Result<u64, Cancelled> {
///     let mut ids = Vec::new();
///     for x in 1..=3 {
///         ids.push(yield_from!(sys::spawn(Task::new("square", square(x))))?);
///     }
///     let mut sum = 0;
///     for id in ids {
///         sum += yield_from!(sys::join::<Result<u64, Cancelled>>(id))?.unwrap()?;
///     }
///     Ok(sum)
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("sum", sum_of_squares());
/// kernel.run();
/// assert_eq!(kernel.take_return::<Result<u64, Cancelled>>(id), Ok(Ok(14)));
/// ```
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn spawn(task: Task) -> Result<TaskId, Cancelled> {
    match yield_!(Syscall::Spawn(task))? {
        Reply::Spawned(id) => Ok(id),
        other => unexpected("Spawn", &other),
    }
}

/// Closes a task now (its destructors run); returns whether it was alive. Its joiners get
/// [`JoinError::Killed`].
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
/// use resumable::kernel::{JoinError, Task};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn forever() -> Result<(), Cancelled> {
///     loop {
///         yield_from!(sys::sleep(Duration::from_secs(1)))?;
///     }
/// }
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn reaper() -> Result<(bool, bool, Result<(), JoinError>), Cancelled> {
///     let victim = yield_from!(sys::spawn(Task::new("forever", forever())))?;
///     yield_from!(sys::sleep(Duration::from_secs(5)))?;
///     let first = yield_from!(sys::kill(victim))?;
///     let second = yield_from!(sys::kill(victim))?;
///     let joined = yield_from!(sys::join::<Result<(), Cancelled>>(victim))?.map(|_| ());
///     Ok((first, second, joined))
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("reaper", reaper());
/// kernel.run();
/// let got: Result<(bool, bool, Result<(), JoinError>), Cancelled> = kernel.take_return(id).unwrap();
/// assert_eq!(got, Ok((true, false, Err(JoinError::Killed))));
/// ```
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn kill(id: TaskId) -> Result<bool, Cancelled> {
    match yield_!(Syscall::Kill(id))? {
        Reply::Killed(alive) => Ok(alive),
        other => unexpected("Kill", &other),
    }
}

/// Throws [`Cancelled`] into a task, so its cleanup code runs; returns whether it was alive.
///
/// The cancelled task sees `Err(Cancelled)` come out of the `yield_from!` it waits in, and its
/// return value is whatever it makes of that:
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
/// use resumable::kernel::Task;
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn download() -> Result<u32, Cancelled> {
///     let mut chunks = 0;
///     loop {
///         match yield_from!(sys::sleep(Duration::from_millis(10))) {
///             Ok(()) => chunks += 1,
///             Err(Cancelled) => return Ok(chunks), // keep what we have
///         }
///     }
/// }
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn impatient() -> Result<u32, Cancelled> {
///     let id = yield_from!(sys::spawn(Task::new("download", download())))?;
///     yield_from!(sys::sleep(Duration::from_millis(35)))?;
///     assert!(yield_from!(sys::cancel(id))?);
///     yield_from!(sys::join::<Result<u32, Cancelled>>(id))?.unwrap()
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let id = kernel.spawn("impatient", impatient());
/// kernel.run();
/// assert_eq!(kernel.take_return::<Result<u32, Cancelled>>(id), Ok(Ok(3)));
/// ```
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn cancel(id: TaskId) -> Result<bool, Cancelled> {
    match yield_!(Syscall::Cancel(id))? {
        Reply::Cancelled(alive) => Ok(alive),
        other => unexpected("Cancel", &other),
    }
}

/// Waits for a task to finish and takes its return value, which must be a `T`: if it is not,
/// the answer is [`JoinError::WrongType`] and the value stays for a join that asks for the right
/// type ([`Syscall::JoinAs`]).
///
/// Joining a task that has already ended answers at once. Only one joiner gets its return value
/// (the next get [`JoinError::Taken`]), but why there is none is told to every one:
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
/// use resumable::kernel::{JoinError, Task};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn fragile() -> Result<(), Cancelled> {
///     yield_from!(sys::yield_now())?;
///     panic!("broken")
/// }
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn supervisor() -> Result<Vec<JoinError>, Cancelled> {
///     let me = yield_from!(sys::get_id())?;
///     let id = yield_from!(sys::spawn(Task::new("fragile", fragile())))?;
///     let first = yield_from!(sys::join::<Result<(), Cancelled>>(id))?.unwrap_err();
///     let again = yield_from!(sys::join::<Result<(), Cancelled>>(id))?.unwrap_err();
///     let myself = yield_from!(sys::join::<()>(me))?.unwrap_err();
///     Ok(vec![first, again, myself])
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// kernel.on_report(|_| {}); // the panic is expected
/// let id = kernel.spawn("supervisor", supervisor());
/// kernel.run();
/// let errors: Result<Vec<JoinError>, Cancelled> = kernel.take_return(id).unwrap();
/// assert_eq!(
///     errors.unwrap(),
///     [JoinError::Panicked("broken".into()), JoinError::Panicked("broken".into()), JoinError::JoinSelf]
/// );
/// ```
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn join<T: 'static>(id: TaskId) -> Result<Result<T, JoinError>, Cancelled> {
    match yield_!(Syscall::JoinAs(id, TypeId::of::<T>()))? {
        Reply::Joined(result) => Ok(result.and_then(|v| {
            v.downcast::<T>()
                .map(|v| *v)
                .map_err(|_| JoinError::WrongType)
        })),
        other => unexpected("Join", &other),
    }
}

/// Sleeps for `duration` on the kernel's clock; the other tasks run meanwhile.
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn alarm(secs: u64) -> Result<Duration, Cancelled> {
///     yield_from!(sys::sleep(Duration::from_secs(secs)))?;
///     yield_from!(sys::now())
/// }
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let late = kernel.spawn("late", alarm(60));
/// let early = kernel.spawn("early", alarm(1));
/// kernel.run(); // instant: the virtual clock jumps from deadline to deadline
/// assert_eq!(kernel.take_return::<Result<Duration, Cancelled>>(early), Ok(Ok(Duration::from_secs(1))));
/// assert_eq!(kernel.take_return::<Result<Duration, Cancelled>>(late), Ok(Ok(Duration::from_secs(60))));
/// ```
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn sleep(duration: Duration) -> Result<(), Cancelled> {
    match yield_!(Syscall::Sleep(duration))? {
        Reply::Done => Ok(()),
        other => unexpected("Sleep", &other),
    }
}

/// Lets every other ready task, and I/O, run before this one goes on.
///
/// Two tasks that yield the turn take turns:
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn chatter(name: char, log: Rc<RefCell<String>>) -> Result<(), Cancelled> {
///     for _ in 0..3 {
///         log.borrow_mut().push(name);
///         yield_from!(sys::yield_now())?;
///     }
///     Ok(())
/// }
///
/// let log = Rc::new(RefCell::new(String::new()));
/// let mut kernel = Kernel::new().with_virtual_clock();
/// kernel.spawn("a", chatter('a', log.clone()));
/// kernel.spawn("b", chatter('b', log.clone()));
/// kernel.run();
/// assert_eq!(*log.borrow(), "ababab");
/// ```
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn yield_now() -> Result<(), Cancelled> {
    match yield_!(Syscall::YieldNow)? {
        Reply::Done => Ok(()),
        other => unexpected("YieldNow", &other),
    }
}

/// Waits until `source` can be read without blocking.
///
/// Any descriptor will do (here one end of a Unix socket pair); for TCP, [`read`] waits and
/// reads in one go (see the example on [`listen`]).
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Error, Kernel, Reply, Syscall, Cancelled};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn reader(mut end: UnixStream) -> Result<u8, Error> {
///     yield_from!(sys::readable(&end))?; // parks this task, not the thread
///     let mut byte = [0];
///     end.read_exact(&mut byte)?;
///     Ok(byte[0])
/// }
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn writer(mut end: UnixStream) -> Result<(), Error> {
///     yield_from!(sys::writable(&end))?;
///     end.write_all(&[42])?;
///     Ok(())
/// }
///
/// let (a, b) = UnixStream::pair().unwrap();
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let r = kernel.spawn("reader", reader(a));
/// kernel.spawn("writer", writer(b));
/// kernel.run();
/// assert_eq!(kernel.take_return::<Result<u8, Error>>(r).unwrap().unwrap(), 42);
/// ```
#[cfg(unix)]
#[generator(yield = Syscall, resume = Reply, throw = Cancelled, crate = crate)]
pub fn readable(source: &impl AsRawFd) -> Result<(), Error> {
    match yield_!(Syscall::Readable(source.as_raw_fd()))? {
        Reply::Io(result) => Ok(result?),
        other => unexpected("Readable", &other),
    }
}

/// Waits until `source` can be written without blocking: see the example on [`readable`];
/// for TCP, [`write_all`] waits and writes in one go.
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
/// An echo server and its client, both kernel tasks, using [`listen`], [`accept`], [`read`]
/// and [`write_all`]:
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Error, Kernel, Reply, Syscall};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn echo_once(listener: TcpListener) -> Result<usize, Error> {
///     let (stream, _peer) = yield_from!(sys::accept(&listener))?;
///     let mut buf = [0; 64];
///     let n = yield_from!(sys::read(&stream, &mut buf))?;
///     yield_from!(sys::write_all(&stream, &buf[..n]))?;
///     Ok(n)
/// }
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn client(stream: TcpStream) -> Result<Vec<u8>, Error> {
///     yield_from!(sys::write_all(&stream, b"ping"))?;
///     let mut buf = [0; 64];
///     let n = yield_from!(sys::read(&stream, &mut buf))?;
///     Ok(buf[..n].to_vec())
/// }
///
/// let listener = sys::listen("127.0.0.1:0").unwrap();
/// let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
/// stream.set_nonblocking(true).unwrap();
/// let mut kernel = Kernel::new().with_virtual_clock();
/// let server = kernel.spawn("server", echo_once(listener));
/// let client = kernel.spawn("client", client(stream));
/// kernel.run();
/// assert_eq!(kernel.take_return::<Result<usize, Error>>(server).unwrap().unwrap(), 4);
/// assert_eq!(kernel.take_return::<Result<Vec<u8>, Error>>(client).unwrap().unwrap(), b"ping");
/// ```
///
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
/// as it takes; the stream is non-blocking too. See the echo example on [`listen`].
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
/// is the end of the stream. See the echo example on [`listen`].
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

/// Writes all of `buf` to a non-blocking stream, waiting for room as long as it takes. See the
/// echo example on [`listen`].
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
