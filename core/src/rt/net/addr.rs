//! What `TcpStream::connect` (and `UdpSocket::connect`, `send_to`) take: the types std's
//! `ToSocketAddrs` is implemented for, resolved without blocking the loop — a literal address
//! at once, a host name on the blocking pool.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Addresses to connect or send to: every type [`std::net::ToSocketAddrs`] is implemented for —
/// a [`SocketAddr`] (V4, V6), an `(IpAddr, u16)` pair (`Ipv4Addr`, `Ipv6Addr`), a
/// `"host:port"` string (`&str`, `String`), a `(&str, u16)` or `(String, u16)` pair, a slice of
/// `SocketAddr`s, and a reference to any of them.
///
/// A literal address is used as it is. A host name (`"localhost:8080"`,
/// `("example.com", 80)`) is resolved on the blocking pool
/// ([`spawn_blocking`](crate::rt::spawn_blocking)), since the system's resolver blocks, and
/// the loop goes on meanwhile.
///
/// The trait is sealed: unlike std's, it cannot be implemented outside this crate (the lookup
/// must know which inputs are literal). For a type of your own that implements std's
/// `ToSocketAddrs`, collect its addresses and pass the slice.
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddr};
/// use resumable::rt::{self, net::{TcpListener, TcpStream}};
///
/// rt::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let port = listener.local_addr().unwrap().port();
///     let accepting = rt::spawn(async move {
///         for _ in 0..4 {
///             listener.accept().await.unwrap();
///         }
///     });
///     let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
///     TcpStream::connect(addr).await.unwrap(); // a literal address: no lookup
///     TcpStream::connect(format!("127.0.0.1:{port}")).await.unwrap();
///     TcpStream::connect(("localhost", port)).await.unwrap(); // looked up on the pool
///     TcpStream::connect(&[addr][..]).await.unwrap();
///     accepting.await.unwrap();
/// });
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::{SocketAddr, String, Vec};
    use std::io;

    /// How to get the addresses of a [`ToSocketAddrs`](super::ToSocketAddrs) value.
    pub trait Sealed {
        /// The addresses, or what to look up.
        fn addrs(&self) -> Addrs;
    }

    /// A value's addresses: known at once, or a host name to look up.
    #[derive(Debug)]
    pub enum Addrs {
        /// Literal addresses (or why the input is not valid).
        Ready(io::Result<Vec<SocketAddr>>),
        /// A host name and a port, for the system's resolver.
        Lookup(String, u16),
    }
}

use sealed::{Addrs, Sealed};

/// The addresses of `addrs`, looked up on the blocking pool if they name a host.
pub(crate) async fn resolve(addrs: Addrs) -> io::Result<Vec<SocketAddr>> {
    match addrs {
        Addrs::Ready(addrs) => addrs,
        Addrs::Lookup(host, port) => crate::rt::spawn_blocking(move || {
            std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)).map(Iterator::collect)
        })
        .await
        .map_err(|e| io::Error::other(e.to_string()))?,
    }
}

/// What std says when there are no addresses to try.
pub(crate) fn none_to_try() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any addresses",
    )
}

fn one(addr: impl Into<SocketAddr>) -> Addrs {
    Addrs::Ready(Ok(vec![addr.into()]))
}

macro_rules! literal {
    ($($ty:ty),*) => {$(
        impl Sealed for $ty {
            fn addrs(&self) -> Addrs {
                one(*self)
            }
        }
        impl ToSocketAddrs for $ty {}
    )*};
}

literal!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl Sealed for (&str, u16) {
    fn addrs(&self) -> Addrs {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => one((ip, port)),
            Err(_) => Addrs::Lookup(host.to_string(), port),
        }
    }
}
impl ToSocketAddrs for (&str, u16) {}

impl Sealed for (String, u16) {
    fn addrs(&self) -> Addrs {
        (self.0.as_str(), self.1).addrs()
    }
}
impl ToSocketAddrs for (String, u16) {}

impl Sealed for str {
    fn addrs(&self) -> Addrs {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return one(addr);
        }
        // "host:port", as std splits it: at the last colon.
        let Some((host, port)) = self.rsplit_once(':') else {
            return invalid("invalid socket address");
        };
        let Ok(port) = port.parse::<u16>() else {
            return invalid("invalid port value");
        };
        (host, port).addrs()
    }
}
impl ToSocketAddrs for str {}

impl Sealed for String {
    fn addrs(&self) -> Addrs {
        self.as_str().addrs()
    }
}
impl ToSocketAddrs for String {}

impl Sealed for [SocketAddr] {
    fn addrs(&self) -> Addrs {
        Addrs::Ready(Ok(self.to_vec()))
    }
}
impl ToSocketAddrs for [SocketAddr] {}

impl<T: ToSocketAddrs + ?Sized> Sealed for &T {
    fn addrs(&self) -> Addrs {
        (**self).addrs()
    }
}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}

fn invalid(message: &'static str) -> Addrs {
    Addrs::Ready(Err(io::Error::new(io::ErrorKind::InvalidInput, message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(input: &(impl ToSocketAddrs + ?Sized)) -> Vec<SocketAddr> {
        match input.addrs() {
            Addrs::Ready(addrs) => addrs.unwrap(),
            Addrs::Lookup(host, port) => panic!("looked up {host}:{port}"),
        }
    }

    fn lookup(input: &(impl ToSocketAddrs + ?Sized)) -> (String, u16) {
        match input.addrs() {
            Addrs::Ready(addrs) => panic!("not looked up: {addrs:?}"),
            Addrs::Lookup(host, port) => (host, port),
        }
    }

    fn error(input: &(impl ToSocketAddrs + ?Sized)) -> String {
        match input.addrs() {
            Addrs::Ready(Err(e)) => {
                assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
                e.to_string()
            }
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn literal_addresses_need_no_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(ready(&v4), [v4]);
        assert_eq!(ready("127.0.0.1:80"), [v4]);
        assert_eq!(ready(&String::from("[::1]:80")), [v6]);
        assert_eq!(ready(&("127.0.0.1", 80)), [v4]);
        assert_eq!(ready(&("::1", 80)), [v6]);
        assert_eq!(ready("::1:80"), [v6]); // split at the last colon, as std does
        assert_eq!(ready(&(String::from("::1"), 80)), [v6]);
        assert_eq!(ready(&(Ipv4Addr::LOCALHOST, 80)), [v4]);
        assert_eq!(ready(&(Ipv6Addr::LOCALHOST, 80)), [v6]);
        assert_eq!(ready(&(IpAddr::from(Ipv4Addr::LOCALHOST), 80)), [v4]);
        assert_eq!(ready(&SocketAddrV4::new(Ipv4Addr::LOCALHOST, 80)), [v4]);
        assert_eq!(ready(&[v4, v6][..]), [v4, v6]);
        assert!(ready(&[][..]).is_empty());
    }

    #[test]
    fn host_names_are_looked_up() {
        assert_eq!(lookup("localhost:80"), ("localhost".into(), 80));
        assert_eq!(lookup(&("localhost", 80)), ("localhost".into(), 80));
        assert_eq!(lookup(&String::from("a.b:1")), ("a.b".into(), 1));
    }

    #[test]
    fn malformed_strings_are_refused_without_a_lookup() {
        assert_eq!(error("localhost"), "invalid socket address");
        assert_eq!(error("localhost:http"), "invalid port value");
        assert_eq!(error("localhost:65536"), "invalid port value");
    }
}
