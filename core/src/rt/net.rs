//! Readiness-based TCP: std's sockets in non-blocking mode, waiting in the loop's reactor when
//! an operation would block.

use alloc::string::ToString;
use core::future::poll_fn;
use core::task::Poll;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};

use crate::kernel::engine::{current, try_current};
use crate::kernel::reactor::Direction;

/// Tries `op` until it does not report `WouldBlock`, waiting for `fd` to be ready in between.
async fn ready<T>(
    fd: RawFd,
    dir: Direction,
    mut op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    poll_fn(|cx| loop {
        let core = current();
        if !core.consume_budget() {
            // Enough done without waiting in this poll: let the others run (see `consume_budget`).
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
    })
    .await
}

/// A TCP listener whose `accept` waits in the loop instead of blocking the thread.
///
/// ```
/// use resumable::rt::{self, net::{TcpListener, TcpStream}};
///
/// rt::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = rt::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let mut buf = [0; 5];
///         let n = stream.read(&mut buf).await.unwrap();
///         stream.write_all(&buf[..n]).await.unwrap();
///     });
///     let client = TcpStream::connect(addr).await.unwrap();
///     client.write_all(b"hello").await.unwrap();
///     let mut buf = [0; 5];
///     client.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hello");
///     server.await.unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct TcpListener {
    inner: std::net::TcpListener,
}

impl TcpListener {
    /// Binds to `addr`.
    ///
    /// # Errors
    /// If binding fails.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(std::net::TcpListener::bind(addr)?)
    }

    /// Wraps a std listener, making it non-blocking.
    ///
    /// # Errors
    /// If it cannot be made non-blocking.
    pub fn from_std(inner: std::net::TcpListener) -> io::Result<TcpListener> {
        inner.set_nonblocking(true)?;
        Ok(TcpListener { inner })
    }

    /// The address it listens on.
    ///
    /// # Errors
    /// As std's `local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Waits for a connection.
    ///
    /// # Errors
    /// As std's `accept`.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = ready(self.inner.as_raw_fd(), Direction::Read, || {
            self.inner.accept()
        })
        .await?;
        Ok((TcpStream::from_std(stream)?, addr))
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        if let Some(core) = try_current() {
            core.close_fd(self.inner.as_raw_fd());
        }
    }
}

/// A TCP stream whose reads and writes wait in the loop instead of blocking the thread. Its
/// methods take `&self`, so one task can read while another writes.
#[derive(Debug)]
pub struct TcpStream {
    inner: std::net::TcpStream,
}

impl TcpStream {
    /// Connects to `addr`. (std has no non-blocking connect, so it runs on the blocking pool:
    /// see [`spawn_blocking`](super::spawn_blocking).)
    ///
    /// # Errors
    /// As std's `connect`.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = super::spawn_blocking(move || std::net::TcpStream::connect(addr))
            .await
            .map_err(|e| io::Error::other(e.to_string()))??;
        TcpStream::from_std(stream)
    }

    /// Wraps a std stream, making it non-blocking.
    ///
    /// # Errors
    /// If it cannot be made non-blocking.
    pub fn from_std(inner: std::net::TcpStream) -> io::Result<TcpStream> {
        inner.set_nonblocking(true)?;
        Ok(TcpStream { inner })
    }

    /// The address of the other end.
    ///
    /// # Errors
    /// As std's `peer_addr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Reads what is there (at least one byte), waiting for it; `Ok(0)` at the end of the
    /// stream.
    ///
    /// # Errors
    /// As std's `read`.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        ready(self.inner.as_raw_fd(), Direction::Read, || {
            (&self.inner).read(buf)
        })
        .await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    /// As std's `read`; `UnexpectedEof` if the stream ends first.
    pub async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// Writes some of `buf` (at least one byte), waiting for room.
    ///
    /// # Errors
    /// As std's `write`.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        ready(self.inner.as_raw_fd(), Direction::Write, || {
            (&self.inner).write(buf)
        })
        .await
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    /// As std's `write`; `WriteZero` if the stream takes nothing.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Shuts down the reading, writing or both halves.
    ///
    /// # Errors
    /// As std's `shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        if let Some(core) = try_current() {
            core.close_fd(self.inner.as_raw_fd());
        }
    }
}
