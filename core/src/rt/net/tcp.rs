//! TCP: a listener whose `accept` (and `incoming` stream) waits in the loop, and a stream with
//! a connect that blocks no thread, `AsyncRead`/`AsyncWrite`, and std's methods.

use core::future::poll_fn;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;

use futures_core::Stream;
use rustix::net::{AddressFamily, SocketType};

use super::addr::{none_to_try, resolve, ToSocketAddrs};
use super::evented::{connected, socket, start_connect, Evented};
use crate::kernel::reactor::Direction;

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
    inner: Evented<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr`, as std's `bind` does (a host name is resolved there and then); port 0
    /// picks a free port.
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
    pub fn bind(addr: impl std::net::ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(std::net::TcpListener::bind(addr)?)
    }

    /// Wraps a std listener, making it non-blocking: for a listener set up in ways `bind`
    /// does not (socket options, a descriptor inherited from a parent).
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
        Ok(TcpListener {
            inner: Evented::new(inner),
        })
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
        self.inner.get().local_addr()
    }

    /// Waits for a connection: see the example on [`TcpListener`], and
    /// [`from_std`](TcpListener::from_std).
    ///
    /// # Errors
    /// As std's `accept`.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.inner
            .poll(Direction::Read, cx, std::net::TcpListener::accept)
            .map(|accepted| {
                let (stream, addr) = accepted?;
                Ok((TcpStream::from_std(stream)?, addr))
            })
    }

    /// The connections, as a [`Stream`] that never ends (std's `incoming`): each item is what
    /// [`accept`](TcpListener::accept) returns, without the peer's address.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use resumable::rt::{self, net::{TcpListener, TcpStream}};
    ///
    /// rt::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let clients: Vec<_> = (0..3).map(|_| rt::spawn(TcpStream::connect(addr))).collect();
    ///     let accepted: Vec<_> = listener.incoming().take(3).collect().await;
    ///     for stream in accepted {
    ///         assert_eq!(stream.unwrap().local_addr().unwrap(), addr);
    ///     }
    ///     for client in clients {
    ///         client.await.unwrap().unwrap();
    ///     }
    /// });
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }
}

/// The connections of a [`TcpListener`], as a [`Stream`]: see
/// [`TcpListener::incoming`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|accepted| Some(accepted.map(|(stream, _)| stream)))
    }
}

/// A TCP stream whose reads and writes wait in the loop instead of blocking the thread.
///
/// It implements [`AsyncRead`](futures_io::AsyncRead) and
/// [`AsyncWrite`](futures_io::AsyncWrite), and so does `&TcpStream`: the tools of
/// `futures::io` (`BufReader`, `lines`, `copy`, `split`) work on it, and one task can read
/// while another writes (see [the module](super)). Its own methods take `&self` too:
/// `read`, `read_exact`, `write` and `write_all` do what `AsyncReadExt`'s and
/// `AsyncWriteExt`'s of those names do, and, being inherent, are the ones `stream.read(..)`
/// calls even with those traits in scope; the traits' other methods (`read_to_end`, `close`,
/// ...) are called as usual.
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
    inner: Evented<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`: what std's `connect` takes, host names too (see
    /// [`ToSocketAddrs`]: a name is looked up on the blocking pool, a literal address is not).
    /// Each address is tried in turn, with a connect that blocks no thread (the socket waits
    /// in the loop's reactor until the connection is made or refused); the first that connects
    /// is returned, or, if none does, the last one's error.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use resumable::rt::{self, net::{TcpListener, TcpStream}};
    ///
    /// rt::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let port = listener.local_addr().unwrap().port();
    ///     let server = rt::spawn(async move { listener.accept().await.map(|_| ()) });
    ///     // "localhost" may name ::1 first: refused there, it goes on to 127.0.0.1.
    ///     let client = TcpStream::connect(("localhost", port)).await.unwrap();
    ///     assert_eq!(client.peer_addr().unwrap().port(), port);
    ///     server.await.unwrap().unwrap();
    ///
    ///     let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    ///     let refused = TcpStream::connect(closed).await.unwrap_err();
    ///     assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    /// });
    /// ```
    ///
    /// # Errors
    /// If the lookup fails or finds no address (`InvalidInput`, as std's); else the last
    /// address's error (`ConnectionRefused`, ...).
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in resolve(addr.addrs()).await? {
            match TcpStream::connect_one(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(none_to_try))
    }

    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let family = match addr {
            SocketAddr::V4(_) => AddressFamily::INET,
            SocketAddr::V6(_) => AddressFamily::INET6,
        };
        let fd = socket(family, SocketType::STREAM)?;
        let started = start_connect(fd.as_fd(), &addr);
        // Wrapped first, so that the socket leaves the reactor however this ends.
        let stream = TcpStream {
            inner: Evented::new(std::net::TcpStream::from(fd)),
        };
        if !started? {
            let stream = &stream.inner;
            poll_fn(|cx| stream.poll(Direction::Write, cx, |s| connected(s.as_fd()))).await?;
        }
        Ok(stream)
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
        Ok(TcpStream {
            inner: Evented::new(inner),
        })
    }

    /// The address of the other end. See the example on [`TcpStream`].
    ///
    /// # Errors
    /// As std's `peer_addr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get().peer_addr()
    }

    /// The address of this end. See the example on [`TcpListener::incoming`].
    ///
    /// # Errors
    /// As std's `local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get().local_addr()
    }

    /// Turns Nagle's algorithm off (`true`) or on: with it off, small writes go out at once
    /// instead of waiting to be sent together.
    ///
    /// ```
    /// use resumable::rt::{self, net::{TcpListener, TcpStream}};
    ///
    /// rt::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     client.set_nodelay(true).unwrap();
    ///     assert!(client.nodelay().unwrap());
    /// });
    /// ```
    ///
    /// # Errors
    /// As std's `set_nodelay`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get().set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off: see [`set_nodelay`](TcpStream::set_nodelay).
    ///
    /// # Errors
    /// As std's `nodelay`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.get().nodelay()
    }

    /// Reads what is there (at least one byte), waiting for it; `Ok(0)` at the end of the
    /// stream. See the example on [`TcpStream`].
    ///
    /// # Errors
    /// As std's `read`.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll_read(cx, buf)).await
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
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf).await
    }

    /// Writes some of `buf` (at least one byte), waiting for room; [`write_all`](Self::write_all)
    /// loops over it. See the example on [`TcpStream`].
    ///
    /// # Errors
    /// As std's `write`.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`. See the example on [`TcpStream`].
    ///
    /// # Errors
    /// As std's `write`; `WriteZero` if the stream takes nothing.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf).await
    }

    /// Shuts down the reading, writing or both halves: after `Shutdown::Write`, the other end
    /// reads the end of the stream. (`AsyncWrite::poll_close` is `Shutdown::Write`.) See the
    /// example on [`TcpStream`].
    ///
    /// # Errors
    /// As std's `shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get().shutdown(how)
    }
}

byte_stream!(TcpStream);
as_fd!(TcpStream, TcpListener);
