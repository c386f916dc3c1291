//! Unix-domain stream sockets: a listener on a path, streams with a connect that blocks no
//! thread, `AsyncRead`/`AsyncWrite`, and connected pairs.

use core::future::poll_fn;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use std::io;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use futures_core::Stream;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketType};

use super::evented::{connected, socket, start_connect, Evented};
use crate::kernel::reactor::Direction;

/// The longest pause between two tries of a connect refused because the listener's backlog is
/// full.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// A Unix-domain listener whose `accept` waits in the loop instead of blocking the thread
/// (asyncio's `start_unix_server`).
///
/// ```
/// use resumable::rt::{self, net::{UnixListener, UnixStream}};
///
/// let path = std::env::temp_dir().join(format!("resumable-doc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// rt::block_on(async {
///     let listener = UnixListener::bind(&path).unwrap();
///     assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
///     let server = rt::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let mut buf = [0; 5];
///         stream.read_exact(&mut buf).await.unwrap();
///         stream.write_all(&buf).await.unwrap();
///     });
///     let client = UnixStream::connect(&path).await.unwrap();
///     client.write_all(b"hello").await.unwrap();
///     let mut buf = [0; 5];
///     client.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hello");
///     server.await.unwrap();
/// });
/// std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixListener {
    inner: Evented<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path`, as std's `bind` does (the file must not exist yet; it is left behind
    /// when the listener is dropped). See the example on [`UnixListener`].
    ///
    /// # Errors
    /// If binding fails.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Wraps a std listener, making it non-blocking.
    ///
    /// ```
    /// use resumable::rt::{self, net::UnixListener};
    ///
    /// let path = std::env::temp_dir().join(format!("resumable-doc-std-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    /// rt::block_on(async {
    ///     let listener = UnixListener::from_std(std_listener).unwrap();
    ///     assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    ///
    /// # Errors
    /// If it cannot be made non-blocking.
    pub fn from_std(inner: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        inner.set_nonblocking(true)?;
        Ok(UnixListener {
            inner: Evented::new(inner),
        })
    }

    /// The address it listens on. See the example on [`UnixListener`].
    ///
    /// # Errors
    /// As std's `local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get().local_addr()
    }

    /// Waits for a connection. See the example on [`UnixListener`].
    ///
    /// # Errors
    /// As std's `accept`.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.inner
            .poll(
                Direction::Read,
                cx,
                std::os::unix::net::UnixListener::accept,
            )
            .map(|accepted| {
                let (stream, addr) = accepted?;
                Ok((UnixStream::from_std(stream)?, addr))
            })
    }

    /// The connections, as a [`Stream`] that never ends (std's `incoming`).
    ///
    /// ```
    /// use futures::StreamExt;
    /// use resumable::rt::{self, net::{UnixListener, UnixStream}};
    ///
    /// let path = std::env::temp_dir().join(format!("resumable-doc-in-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// rt::block_on(async {
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     let clients = rt::spawn(async move {
    ///         let mut streams = Vec::new();
    ///         for _ in 0..3 {
    ///             streams.push(UnixStream::connect(&p).await.unwrap());
    ///         }
    ///         streams
    ///     });
    ///     let accepted: Vec<_> = listener.incoming().take(3).collect().await;
    ///     assert!(accepted.iter().all(Result::is_ok));
    ///     assert_eq!(clients.await.unwrap().len(), 3);
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }
}

/// The connections of a [`UnixListener`], as a [`Stream`]: see
/// [`UnixListener::incoming`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl Stream for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|accepted| Some(accepted.map(|(stream, _)| stream)))
    }
}

/// A Unix-domain stream whose reads and writes wait in the loop instead of blocking the
/// thread. Like [`TcpStream`](super::TcpStream), it and `&UnixStream` implement
/// [`AsyncRead`](futures_io::AsyncRead) and [`AsyncWrite`](futures_io::AsyncWrite), and its
/// own methods take `&self` (and, as there, shadow the traits' methods of the same names).
///
/// ```
/// use std::net::Shutdown;
/// use futures::io::{AsyncBufReadExt, BufReader};
/// use futures::TryStreamExt;
/// use resumable::rt::{self, net::UnixStream};
///
/// rt::block_on(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     assert!(a.peer_addr().unwrap().is_unnamed());
///     let writer = rt::spawn(async move {
///         a.write_all(b"one\ntwo\n").await.unwrap();
///         a.shutdown(Shutdown::Write).unwrap();
///         let mut reply = [0; 2];
///         a.read_exact(&mut reply).await.unwrap();
///         reply
///     });
///     let lines: Vec<String> = BufReader::new(&b).lines().try_collect().await.unwrap();
///     assert_eq!(lines, ["one", "two"]);
///     b.write(b"ok").await.unwrap();
///     assert_eq!(&writer.await.unwrap(), b"ok");
/// });
/// ```
#[derive(Debug)]
pub struct UnixStream {
    inner: Evented<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the listener at `path`, without blocking the thread. If the listener's
    /// backlog is full, the connect is tried again after a pause (1 ms, doubling up to 50 ms)
    /// until there is room — the system has no readiness to wait on for that — as std's
    /// blocking connect would wait. See the example on [`UnixListener`].
    ///
    /// # Errors
    /// `NotFound` if nothing is at `path`, `ConnectionRefused` if nothing listens there; else
    /// the connect's error.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = SocketAddrUnix::new(path.as_ref())?;
        let fd = socket(AddressFamily::UNIX, SocketType::STREAM)?;
        let stream = UnixStream {
            inner: Evented::new(std::os::unix::net::UnixStream::from(fd)),
        };
        let mut pause = Duration::from_millis(1);
        loop {
            match start_connect(stream.inner.as_fd(), &addr) {
                Ok(true) => return Ok(stream),
                Ok(false) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    crate::rt::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                Err(e) => return Err(e),
            }
        }
        let inner = &stream.inner;
        poll_fn(|cx| inner.poll(Direction::Write, cx, |s| connected(s.as_fd()))).await?;
        Ok(stream)
    }

    /// Two streams connected to each other (`socketpair`). See the example on
    /// [`UnixStream`].
    ///
    /// # Errors
    /// If the system has no sockets to spare.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Wraps a std stream, making it non-blocking.
    ///
    /// ```
    /// use std::io::Read;
    /// use resumable::rt::{self, net::UnixStream};
    ///
    /// let (std_a, mut std_b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// rt::block_on(async move {
    ///     let a = UnixStream::from_std(std_a).unwrap();
    ///     a.write_all(b"hi").await.unwrap();
    /// });
    /// let mut buf = [0; 2];
    /// std_b.read_exact(&mut buf).unwrap();
    /// assert_eq!(&buf, b"hi");
    /// ```
    ///
    /// # Errors
    /// If it cannot be made non-blocking.
    pub fn from_std(inner: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        inner.set_nonblocking(true)?;
        Ok(UnixStream {
            inner: Evented::new(inner),
        })
    }

    /// The address of this end (unnamed for a client's, or a pair's). See the example on
    /// [`UnixStream`].
    ///
    /// # Errors
    /// As std's `local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get().local_addr()
    }

    /// The address of the other end (the listener's path for a client). See the example on
    /// [`UnixStream`].
    ///
    /// # Errors
    /// As std's `peer_addr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get().peer_addr()
    }

    /// Reads what is there (at least one byte), waiting for it; `Ok(0)` at the end of the
    /// stream. See [`TcpStream::read`](super::TcpStream::read).
    ///
    /// # Errors
    /// As std's `read`.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll_read(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes. See the example on [`UnixStream`].
    ///
    /// # Errors
    /// As std's `read`; `UnexpectedEof` if the stream ends first.
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf).await
    }

    /// Writes some of `buf` (at least one byte), waiting for room. See the example on
    /// [`UnixStream`].
    ///
    /// # Errors
    /// As std's `write`.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`. See the example on [`UnixListener`].
    ///
    /// # Errors
    /// As std's `write`; `WriteZero` if the stream takes nothing.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf).await
    }

    /// Shuts down the reading, writing or both halves. See the example on [`UnixStream`].
    ///
    /// # Errors
    /// As std's `shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get().shutdown(how)
    }
}

byte_stream!(UnixStream);
as_fd!(UnixStream, UnixListener);
