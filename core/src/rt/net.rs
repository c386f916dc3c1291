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
    /// Binds to `addr`; port 0 picks a free port.
    ///
    /// ```
    /// use resumable::rt::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// assert_ne!(listener.local_addr().unwrap().port(), 0);
    /// ```
    ///
    /// # Errors
    /// If binding fails.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(std::net::TcpListener::bind(addr)?)
    }

    /// Wraps a std listener, making it non-blocking.
    ///
    /// ```
    /// use resumable::rt::{self, net::{TcpListener, TcpStream}};
    ///
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = std_listener.local_addr().unwrap();
    /// rt::block_on(async move {
    ///     let listener = TcpListener::from_std(std_listener).unwrap();
    ///     let client = rt::spawn(TcpStream::connect(addr));
    ///     let (_stream, peer) = listener.accept().await.unwrap();
    ///     assert!(peer.ip().is_loopback());
    ///     client.await.unwrap().unwrap();
    /// });
    /// ```
    ///
    /// # Errors
    /// If it cannot be made non-blocking.
    pub fn from_std(inner: std::net::TcpListener) -> io::Result<TcpListener> {
        inner.set_nonblocking(true)?;
        Ok(TcpListener { inner })
    }

    /// The address it listens on: with port 0, the one the system chose.
    ///
    /// ```
    /// use resumable::rt::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// assert!(addr.ip().is_loopback());
    /// assert_ne!(addr.port(), 0);
    /// ```
    ///
    /// # Errors
    /// As std's `local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Waits for a connection: see the example on [`TcpListener`], and
    /// [`from_std`](TcpListener::from_std).
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
///
/// A client sends 100 bytes and shuts down its writing half; the server reads until the end of
/// the stream and answers how many bytes came:
///
/// ```
/// use std::net::Shutdown;
/// use resumable::rt::{self, net::{TcpListener, TcpStream}};
///
/// rt::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = rt::spawn(async move {
///         let (stream, peer) = listener.accept().await.unwrap();
///         assert_eq!(stream.peer_addr().unwrap(), peer);
///         let (mut total, mut buf) = (0u32, [0; 16]);
///         loop {
///             match stream.read(&mut buf).await.unwrap() {
///                 0 => break, // the client shut down its writing half
///                 n => total += n as u32,
///             }
///         }
///         stream.write_all(&total.to_be_bytes()).await.unwrap();
///     });
///     let client = TcpStream::connect(addr).await.unwrap();
///     assert_eq!(client.peer_addr().unwrap(), addr);
///     client.write_all(&[7; 100]).await.unwrap();
///     client.shutdown(Shutdown::Write).unwrap();
///     let mut answer = [0; 4];
///     client.read_exact(&mut answer).await.unwrap();
///     assert_eq!(u32::from_be_bytes(answer), 100);
///     server.await.unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct TcpStream {
    inner: std::net::TcpStream,
}

impl TcpStream {
    /// Connects to `addr`. (std has no non-blocking connect, so it runs on the blocking pool:
    /// see [`spawn_blocking`](super::spawn_blocking).) See the example on [`TcpStream`].
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
    /// ```
    /// use std::io::Read;
    /// use resumable::rt::{self, net::TcpStream};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (mut std_server, _) = listener.accept().unwrap();
    /// rt::block_on(async move {
    ///     let client = TcpStream::from_std(std_client).unwrap();
    ///     client.write_all(b"hi").await.unwrap();
    /// });
    /// let mut buf = [0; 2];
    /// std_server.read_exact(&mut buf).unwrap();
    /// assert_eq!(&buf, b"hi");
    /// ```
    ///
    /// # Errors
    /// If it cannot be made non-blocking.
    pub fn from_std(inner: std::net::TcpStream) -> io::Result<TcpStream> {
        inner.set_nonblocking(true)?;
        Ok(TcpStream { inner })
    }

    /// The address of the other end. See the example on [`TcpStream`].
    ///
    /// # Errors
    /// As std's `peer_addr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Reads what is there (at least one byte), waiting for it; `Ok(0)` at the end of the
    /// stream. See the example on [`TcpStream`].
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
    /// ```
    /// use std::io::{ErrorKind, Write};
    /// use resumable::rt::{self, net::TcpStream};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (mut std_server, _) = listener.accept().unwrap();
    /// std_server.write_all(b"abc").unwrap();
    /// drop(std_server); // then the end of the stream
    /// rt::block_on(async move {
    ///     let client = TcpStream::from_std(std_client).unwrap();
    ///     let mut two = [0; 2];
    ///     client.read_exact(&mut two).await.unwrap();
    ///     assert_eq!(&two, b"ab");
    ///     let err = client.read_exact(&mut two).await.unwrap_err(); // only "c" is left
    ///     assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    /// });
    /// ```
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

    /// Writes some of `buf` (at least one byte), waiting for room; [`write_all`](Self::write_all)
    /// loops over it. See the example on [`TcpStream`].
    ///
    /// # Errors
    /// As std's `write`.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        ready(self.inner.as_raw_fd(), Direction::Write, || {
            (&self.inner).write(buf)
        })
        .await
    }

    /// Writes all of `buf`. See the example on [`TcpStream`].
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

    /// Shuts down the reading, writing or both halves: after `Shutdown::Write`, the other end
    /// reads the end of the stream. See the example on [`TcpStream`].
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
