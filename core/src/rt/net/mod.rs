//! Readiness-based sockets — TCP, UDP and Unix-domain: std's sockets in non-blocking mode,
//! waiting in the loop's reactor when an operation would block.
//!
//! The byte streams ([`TcpStream`], [`UnixStream`]) implement `futures-io`'s
//! [`AsyncRead`](futures_io::AsyncRead) and [`AsyncWrite`](futures_io::AsyncWrite), the traits
//! the ecosystem's I/O tools are written against, so `futures::io`'s `BufReader` and `lines`,
//! `copy`, `split`, framed codecs and the crates built on them work on them unchanged.
//! `&TcpStream` implements them too, so one task can read a connection while another writes
//! it, or one task both, as this echo server's `copy` does:
//!
//! ```
//! use futures::io::{self, AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use futures::{StreamExt, TryStreamExt};
//! use resumable::rt::{self, net::{TcpListener, TcpStream}};
//!
//! rt::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     let server = rt::spawn(async move {
//!         let stream = listener.incoming().next().await.expect("never ends")?;
//!         io::copy(&stream, &mut &stream).await // echoes until the client shuts down
//!     });
//!
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello\nworld\n").await?;
//!     client.close().await?; // shuts down the writing half: the echo ends there
//!     let lines: Vec<String> = BufReader::new(client).lines().try_collect().await?;
//!     assert_eq!(lines, ["hello", "world"]);
//!     assert_eq!(server.await.unwrap()?, 12);
//!     Ok::<_, std::io::Error>(())
//! })
//! .unwrap();
//! ```
//!
//! [`TcpStream::connect`] takes what std's takes, host names too ([`ToSocketAddrs`]), and
//! blocks no thread: a name is looked up on the blocking pool, and each address it has is
//! tried with a non-blocking connect that waits in the reactor.
//!
//! Everything here is used inside a running loop ([`rt::block_on`](super::block_on), a
//! [`Kernel`](crate::kernel::Kernel)); polling a socket elsewhere panics, saying so. Every
//! socket leaves the loop's reactor when it is dropped: a task still waiting on it is woken,
//! and finds it gone. Like the loop's other waits, each operation that does not have to wait
//! counts against the task's turn: a task whose socket always has data still yields to the
//! others now and then.

/// `AsyncRead` and `AsyncWrite` for a byte stream `$ty` (with an `inner: Evented<_>` whose
/// std socket has `shutdown`) and for `&$ty`.
macro_rules! byte_stream {
    ($ty:ty) => {
        byte_stream!(@impl $ty);
        byte_stream!(@impl &$ty);
    };
    (@impl $ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: core::pin::Pin<&mut Self>,
                cx: &mut core::task::Context<'_>,
                buf: &mut [u8],
            ) -> core::task::Poll<std::io::Result<usize>> {
                self.inner.poll_read(cx, buf)
            }

            fn poll_read_vectored(
                self: core::pin::Pin<&mut Self>,
                cx: &mut core::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> core::task::Poll<std::io::Result<usize>> {
                self.inner.poll_read_vectored(cx, bufs)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: core::pin::Pin<&mut Self>,
                cx: &mut core::task::Context<'_>,
                buf: &[u8],
            ) -> core::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: core::pin::Pin<&mut Self>,
                cx: &mut core::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> core::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write_vectored(cx, bufs)
            }

            /// Nothing to do: a socket keeps no buffer of its own in this process.
            fn poll_flush(
                self: core::pin::Pin<&mut Self>,
                _: &mut core::task::Context<'_>,
            ) -> core::task::Poll<std::io::Result<()>> {
                core::task::Poll::Ready(Ok(()))
            }

            /// Shuts down the writing half: the other end reads the end of the stream.
            fn poll_close(
                self: core::pin::Pin<&mut Self>,
                _: &mut core::task::Context<'_>,
            ) -> core::task::Poll<std::io::Result<()>> {
                core::task::Poll::Ready(self.inner.get().shutdown(std::net::Shutdown::Write))
            }
        }
    };
}

/// `AsFd` and `AsRawFd` for sockets with an `inner: Evented<_>`: for setting options this
/// module does not offer, through `rustix` or `socket2`.
macro_rules! as_fd {
    ($($ty:ty),*) => {$(
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.inner)
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(&self.inner))
            }
        }
    )*};
}

mod addr;
mod evented;
mod tcp;
mod udp;
mod unix;

pub use addr::ToSocketAddrs;
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixIncoming, UnixListener, UnixStream};
