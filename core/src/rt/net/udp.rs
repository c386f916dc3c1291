//! UDP: datagrams sent and received without blocking the thread.

use core::future::poll_fn;
use std::io;
use std::net::SocketAddr;

use super::addr::{none_to_try, resolve, ToSocketAddrs};
use super::evented::Evented;
use crate::kernel::reactor::Direction;

/// A UDP socket whose sends and receives wait in the loop instead of blocking the thread
/// (asyncio's `create_datagram_endpoint`). Its methods take `&self`, so one task can receive
/// while another sends.
///
/// ```
/// use resumable::rt::{self, net::UdpSocket};
///
/// rt::block_on(async {
///     let server = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let server_addr = server.local_addr().unwrap();
///     let echo = rt::spawn(async move {
///         let mut buf = [0; 64];
///         let (n, from) = server.recv_from(&mut buf).await.unwrap();
///         server.send_to(&buf[..n], from).await.unwrap();
///     });
///     let client = UdpSocket::bind("127.0.0.1:0").unwrap();
///     client.send_to(b"ping", server_addr).await.unwrap();
///     let mut buf = [0; 64];
///     let (n, from) = client.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], server_addr));
///     echo.await.unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    inner: Evented<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr`, as std's `bind` does (a host name is resolved there and then); port 0
    /// picks a free port. See the example on [`UdpSocket`].
    ///
    /// # Errors
    /// If binding fails.
    pub fn bind(addr: impl std::net::ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocket::from_std(std::net::UdpSocket::bind(addr)?)
    }

    /// Wraps a std socket, making it non-blocking.
    ///
    /// ```
    /// use resumable::rt::{self, net::UdpSocket};
    ///
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let addr = std_socket.local_addr().unwrap();
    /// rt::block_on(async move {
    ///     let socket = UdpSocket::from_std(std_socket).unwrap();
    ///     assert_eq!(socket.local_addr().unwrap(), addr);
    /// });
    /// ```
    ///
    /// # Errors
    /// If it cannot be made non-blocking.
    pub fn from_std(inner: std::net::UdpSocket) -> io::Result<UdpSocket> {
        inner.set_nonblocking(true)?;
        Ok(UdpSocket {
            inner: Evented::new(inner),
        })
    }

    /// The address it is bound to: with port 0, the one the system chose. See the example on
    /// [`UdpSocket`].
    ///
    /// # Errors
    /// As std's `local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get().local_addr()
    }

    /// The address it is connected to. See the example on [`connect`](UdpSocket::connect).
    ///
    /// # Errors
    /// `NotConnected` if it is not connected; else as std's `peer_addr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get().peer_addr()
    }

    /// Sets the only address [`send`](UdpSocket::send) sends to and
    /// [`recv`](UdpSocket::recv) receives from. `addr` may name a host (see
    /// [`ToSocketAddrs`]: looked up on the blocking pool); each address is tried in turn, as
    /// std's `connect` does, and the last one's error returned if none will do.
    ///
    /// ```
    /// use resumable::rt::{self, net::UdpSocket};
    ///
    /// rt::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     // "localhost" may name ::1 first, which this IPv4 socket cannot reach.
    ///     a.connect(("localhost", b.local_addr().unwrap().port())).await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    ///
    ///     a.send(b"ping").await.unwrap();
    ///     let mut buf = [0; 8];
    ///     let n = b.recv(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"ping");
    /// });
    /// ```
    ///
    /// # Errors
    /// If the lookup fails or finds no address; else the last address's error.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let mut last = None;
        for addr in resolve(addr.addrs()).await? {
            match self.inner.get().connect(addr) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(none_to_try))
    }

    /// Sends `buf` as one datagram to `target` (its first address, as std's `send_to`; a host
    /// name is looked up on the blocking pool), waiting for room. See the example on
    /// [`UdpSocket`].
    ///
    /// # Errors
    /// If the lookup fails or finds no address; else as std's `send_to`.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = resolve(target.addrs())
            .await?
            .into_iter()
            .next()
            .ok_or_else(none_to_try)?;
        self.inner
            .io(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf`, waiting for it: its length (what did not fit in `buf`
    /// is lost) and where it came from. See the example on [`UdpSocket`].
    ///
    /// # Errors
    /// As std's `recv_from`.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.inner.poll(Direction::Read, cx, |s| s.recv_from(buf))).await
    }

    /// Sends `buf` as one datagram to the connected address, waiting for room. See the
    /// example on [`connect`](UdpSocket::connect).
    ///
    /// # Errors
    /// As std's `send` (an error if it is not connected).
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected address into `buf`, waiting for it: its
    /// length (what did not fit is lost). See the example on [`connect`](UdpSocket::connect).
    ///
    /// # Errors
    /// As std's `recv`.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll(Direction::Read, cx, |s| s.recv(buf))).await
    }
}

as_fd!(UdpSocket);
