//! What every socket of `rt::net` shares: an operation tried until it does not report
//! `WouldBlock`, waiting in the loop's reactor in between (`poll_io`); a std socket in
//! non-blocking mode that leaves the reactor when dropped (`Evented`); and the non-blocking
//! socket and connect that `TcpStream::connect` and `UnixStream::connect` are made of.

use core::fmt;
use core::future::poll_fn;
use core::task::{Context, Poll};
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use rustix::io::Errno;
use rustix::net::addr::SocketAddrArg;
use rustix::net::{AddressFamily, SocketType};

use crate::kernel::engine::{current, try_current};
use crate::kernel::reactor::Direction;

/// Tries `op` until it does not report `WouldBlock`; when it does, registers `cx`'s waker to
/// be woken when `fd` is ready for `dir` and returns `Pending`. `Interrupted` is retried.
///
/// Each try counts against the task's budget (see `consume_budget`): once a task has done
/// enough operations that did not wait in one poll, it yields, so a socket that always has
/// data cannot keep the loop from the other tasks.
///
/// # Panics
/// Outside a running loop (`rt::block_on`, a `Kernel`).
pub(crate) fn poll_io<T>(
    fd: RawFd,
    dir: Direction,
    cx: &mut Context<'_>,
    mut op: impl FnMut() -> io::Result<T>,
) -> Poll<io::Result<T>> {
    let core = current();
    loop {
        if !core.consume_budget() {
            // Enough done without waiting in this poll: let the others run.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return match core.wait_fd(fd, dir, cx.waker().clone()) {
                    Ok(()) => Poll::Pending,
                    Err(e) => Poll::Ready(Err(e)),
                };
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            result => return Poll::Ready(result),
        }
    }
}

/// A std socket in non-blocking mode whose operations wait in the running loop's reactor.
/// Dropping it removes the descriptor from the reactor before closing it (its waiters are
/// woken, to find it gone).
pub(super) struct Evented<S: AsFd> {
    inner: S,
}

impl<S: AsFd> Evented<S> {
    /// Wraps `inner`, which must already be non-blocking.
    pub(super) fn new(inner: S) -> Self {
        Evented { inner }
    }

    /// The std socket, for what does not wait (addresses, options, shutdown).
    pub(super) fn get(&self) -> &S {
        &self.inner
    }

    /// `op` on the socket, as [`poll_io`].
    pub(super) fn poll<T>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&S) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        poll_io(self.inner.as_fd().as_raw_fd(), dir, cx, || op(&self.inner))
    }

    /// `op` on the socket, waiting until it does not report `WouldBlock`.
    pub(super) async fn io<T>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<T>,
    ) -> io::Result<T> {
        poll_fn(|cx| self.poll(dir, cx, &mut op)).await
    }
}

/// The byte streams (TCP, Unix): what their `AsyncRead`/`AsyncWrite` impls and inherent
/// `read`/`write` do.
impl<S: AsFd> Evented<S>
where
    for<'a> &'a S: Read + Write,
{
    pub(super) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll(Direction::Read, cx, |mut s| s.read(buf))
    }

    pub(super) fn poll_read_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll(Direction::Read, cx, |mut s| s.read_vectored(bufs))
    }

    pub(super) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll(Direction::Write, cx, |mut s| s.write(buf))
    }

    pub(super) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll(Direction::Write, cx, |mut s| s.write_vectored(bufs))
    }

    /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the stream ends first.
    pub(super) async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match poll_fn(|cx| self.poll_read(cx, buf)).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// Writes all of `buf`; `WriteZero` if the stream takes nothing.
    pub(super) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match poll_fn(|cx| self.poll_write(cx, buf)).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

impl<S: AsFd> AsFd for Evented<S> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl<S: AsFd + fmt::Debug> fmt::Debug for Evented<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<S: AsFd> Drop for Evented<S> {
    fn drop(&mut self) {
        if let Some(core) = try_current() {
            core.close_fd(self.inner.as_fd().as_raw_fd());
        }
    }
}

/// A new socket, non-blocking and close-on-exec from the start (one system call where the
/// platform allows).
pub(super) fn socket(family: AddressFamily, kind: SocketType) -> io::Result<OwnedFd> {
    #[cfg(not(any(
        target_vendor = "apple",
        target_os = "aix",
        target_os = "espidf",
        target_os = "haiku",
        target_os = "horizon",
        target_os = "nto",
        target_os = "vita",
    )))]
    {
        use rustix::net::SocketFlags;
        let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
        Ok(rustix::net::socket_with(family, kind, flags, None)?)
    }
    #[cfg(any(
        target_vendor = "apple",
        target_os = "aix",
        target_os = "espidf",
        target_os = "haiku",
        target_os = "horizon",
        target_os = "nto",
        target_os = "vita",
    ))]
    {
        let fd = rustix::net::socket(family, kind, None)?;
        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
        rustix::io::ioctl_fionbio(&fd, true)?;
        Ok(fd)
    }
}

/// Starts connecting the non-blocking socket `fd` to `addr`: `Ok(true)` if it is connected
/// already, `Ok(false)` if the connect is under way (wait for writability, then [`connected`]).
/// Other errors are the connect's own; for a Unix-domain socket, `WouldBlock` means the
/// listener's backlog is full and nothing is under way.
pub(super) fn start_connect(fd: BorrowedFd<'_>, addr: &impl SocketAddrArg) -> io::Result<bool> {
    match rustix::net::connect(fd, addr) {
        Ok(()) => Ok(true),
        // Interrupted, a non-blocking connect goes on by itself, as one in progress does.
        Err(e) if e == Errno::INPROGRESS || e == Errno::INTR => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Whether the connect under way on `fd` is over: `Ok` once connected, the connect's own
/// error (SO_ERROR) if it failed, `WouldBlock` while it is still under way.
pub(super) fn connected(fd: BorrowedFd<'_>) -> io::Result<()> {
    if let Err(e) = rustix::net::sockopt::socket_error(fd)? {
        return Err(e.into());
    }
    match rustix::net::getpeername(fd) {
        Ok(_) => Ok(()),
        Err(e) if e == Errno::NOTCONN => Err(io::ErrorKind::WouldBlock.into()),
        Err(e) => Err(e.into()),
    }
}
