#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! `resumable::rt::net`: the sockets driven by the ecosystem's I/O tools (`futures::io`'s
//! `BufReader::lines`, `read_to_end`, `split`, `write_all`, `copy`) through `AsyncRead` and
//! `AsyncWrite`; one stream read and written by two tasks at once; `incoming()`; connect by
//! host name, to nothing, to a closed port, without the blocking pool for a literal address,
//! and a connect under way that leaves the loop running; UDP and Unix-domain round trips.
//!
//! Every test touches real sockets, so each runs under a watchdog (`within`): a lost wake-up
//! is a failure, not a hang.

mod rt_common;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use futures::io::{self, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use futures::{StreamExt, TryStreamExt};
use resumable::rt::{
    self,
    net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream},
};
use rt_common::{ms, within};

/// The longest a test may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(30);

/// A port nothing listens on (bound, then closed).
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A fresh path for a Unix-domain socket, removed when dropped.
struct SocketPath(PathBuf);

impl SocketPath {
    fn new(name: &str) -> SocketPath {
        let path =
            std::env::temp_dir().join(format!("resumable-{name}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        SocketPath(path)
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `n` bytes that are not all alike, so a byte lost or out of place shows.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

// ---------------------------------------------------------------------------------------------
// The I/O traits
// ---------------------------------------------------------------------------------------------

#[test]
fn futures_io_copy_lines_and_write_all_work_on_tcp_streams() {
    within(LIMIT, || {
        rt::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            // An echo server: `copy` from `&stream` to `&stream`, until the client shuts down.
            let server = rt::spawn(async move {
                let stream = listener.incoming().next().await.unwrap().unwrap();
                let copied = io::copy(&stream, &mut &stream).await.unwrap();
                (&stream).close().await.unwrap();
                copied
            });
            let mut client = TcpStream::connect(addr).await.unwrap();
            let sent: Vec<String> = (0..1000).map(|i| format!("line {i}")).collect();
            // Through the trait, on the stream itself (`.write_all` is the inherent one).
            AsyncWriteExt::write_all(&mut client, sent.join("\n").as_bytes())
                .await
                .unwrap();
            AsyncWriteExt::write_all(&mut client, b"\n").await.unwrap();
            client.flush().await.unwrap();
            client.close().await.unwrap();
            let lines: Vec<String> = BufReader::new(&client).lines().try_collect().await.unwrap();
            assert_eq!(lines, sent);
            let bytes = sent.iter().map(|l| l.len() as u64 + 1).sum::<u64>();
            assert_eq!(server.await.unwrap(), bytes);
        });
    });
}

#[test]
fn read_to_end_and_write_all_work_through_split_halves() {
    within(LIMIT, || {
        rt::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let client = rt::spawn(TcpStream::connect(addr));
            let (server, _) = listener.accept().await.unwrap();
            let client = client.await.unwrap().unwrap();

            // The server's halves in two tasks: one sends 1 MiB, the other reads what comes.
            let (mut reader, mut writer) = server.split();
            let data = pattern(1 << 20);
            let sending = rt::spawn({
                let data = data.clone();
                async move {
                    writer.write_all(&data).await.unwrap();
                    writer.close().await.unwrap();
                }
            });
            let receiving = rt::spawn(async move {
                let mut got = Vec::new();
                reader.read_to_end(&mut got).await.unwrap();
                got
            });
            // The client echoes through its own halves.
            let (mut from, mut to) = client.split();
            let echoed = io::copy(&mut from, &mut to).await.unwrap();
            to.close().await.unwrap();
            sending.await.unwrap();
            assert_eq!(echoed, data.len() as u64);
            assert!(receiving.await.unwrap() == data, "the echo differs");
        });
    });
}

#[test]
fn one_stream_is_read_and_written_by_two_tasks_at_once() {
    within(LIMIT, || {
        rt::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let client = rt::spawn(TcpStream::connect(addr));
            let (server, _) = listener.accept().await.unwrap();
            let client = client.await.unwrap().unwrap();
            let server = Rc::new(server);
            // More than the socket buffers hold: the writer waits for room in the reactor
            // while the reader, on the same descriptor, waits for the echo.
            let data = pattern(16 << 20);
            let (wrote, read) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
            let writer = rt::spawn({
                let (server, data, wrote) = (server.clone(), data.clone(), wrote.clone());
                async move {
                    // Through the trait: the inherent `write_all` would be picked by `.write_all`.
                    AsyncWriteExt::write_all(&mut &*server, &data)
                        .await
                        .unwrap();
                    (&*server).close().await.unwrap();
                    wrote.set(true);
                }
            });
            let reader = rt::spawn({
                let (server, read) = (server.clone(), read.clone());
                async move {
                    let mut got = Vec::new();
                    (&*server).read_to_end(&mut got).await.unwrap();
                    read.set(true);
                    got
                }
            });
            // Both have run, and wait, before the echo starts.
            rt::yield_now().await;
            rt::yield_now().await;
            assert!(!wrote.get() && !read.get(), "one did not wait");

            let echoed = io::copy(&client, &mut &client).await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            writer.await.unwrap();
            assert_eq!(echoed, data.len() as u64);
            assert!(reader.await.unwrap() == data, "the echo differs");
        });
    });
}

#[test]
fn a_stream_that_always_has_data_yields_between_reads_through_the_trait() {
    within(LIMIT, || {
        // 100 KB waiting in a loopback socket: 400 reads of 256 bytes, none of which waits,
        // all in one poll of the reader unless its budget makes it yield.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut sender = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (receiver, _) = listener.accept().unwrap();
        std::io::Write::write_all(&mut sender, &pattern(100 * 1024)).unwrap();
        sender.shutdown(Shutdown::Write).unwrap();
        let (reads, turns) = rt::block_on(async move {
            let stream = TcpStream::from_std(receiver).unwrap();
            let done = Rc::new(Cell::new(false));
            let reader = rt::spawn({
                let done = done.clone();
                async move {
                    let (mut reads, mut buf) = (0, [0; 256]);
                    // Through the trait, not the inherent `read` that `.read` would pick.
                    while AsyncReadExt::read(&mut &stream, &mut buf).await.unwrap() > 0 {
                        reads += 1;
                    }
                    done.set(true);
                    reads
                }
            });
            let neighbour = rt::spawn(async move {
                let mut turns = 0;
                while !done.get() {
                    turns += 1;
                    rt::yield_now().await;
                }
                turns
            });
            (reader.await.unwrap(), neighbour.await.unwrap())
        });
        assert_eq!(reads, 400);
        assert!(turns > 0, "the reader kept the loop for all its reads");
    });
}

// ---------------------------------------------------------------------------------------------
// Listening and connecting
// ---------------------------------------------------------------------------------------------

#[test]
fn incoming_accepts_several_clients() {
    within(LIMIT, || {
        rt::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let clients: Vec<_> = (0..10)
                .map(|i| {
                    rt::spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        stream
                            .write_all(format!("client {i}\n").as_bytes())
                            .await
                            .unwrap();
                        stream.close().await.unwrap();
                    })
                })
                .collect();
            let mut greetings = BTreeSet::new();
            let mut incoming = listener.incoming().take(10);
            while let Some(stream) = incoming.next().await {
                let stream = stream.unwrap();
                assert_eq!(stream.local_addr().unwrap(), addr);
                let mut line = String::new();
                BufReader::new(stream).read_line(&mut line).await.unwrap();
                greetings.insert(line);
            }
            for client in clients {
                client.await.unwrap();
            }
            let expected: BTreeSet<_> = (0..10).map(|i| format!("client {i}\n")).collect();
            assert_eq!(greetings, expected);
        });
    });
}

#[test]
fn connect_by_name_reaches_localhost() {
    within(LIMIT, || {
        rt::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = rt::spawn(async move {
                let mut peers = Vec::new();
                for _ in 0..3 {
                    let (stream, peer) = listener.accept().await.unwrap();
                    assert_eq!(stream.peer_addr().unwrap(), peer);
                    peers.push(peer);
                }
                peers
            });
            let by_pair = TcpStream::connect(("localhost", port)).await.unwrap();
            let by_str = TcpStream::connect(format!("localhost:{port}").as_str())
                .await
                .unwrap();
            let by_string = TcpStream::connect(format!("localhost:{port}"))
                .await
                .unwrap();
            let peers = server.await.unwrap();
            for (stream, peer) in [by_pair, by_str, by_string].iter().zip(&peers) {
                assert!(stream.peer_addr().unwrap().ip().is_loopback());
                assert_eq!(stream.peer_addr().unwrap().port(), port);
                assert_eq!(stream.local_addr().unwrap(), *peer);
            }
        });
    });
}

#[test]
fn connect_to_a_name_that_does_not_resolve_is_an_error() {
    within(LIMIT, || {
        rt::block_on(async {
            // `.invalid` never resolves (RFC 6761).
            let err = TcpStream::connect("no-such-host.invalid:80")
                .await
                .unwrap_err();
            assert_ne!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
            let err = TcpStream::connect(("no-such-host.invalid", 80))
                .await
                .unwrap_err();
            assert_ne!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
            // Malformed, or nothing to try: refused before any lookup, as std does.
            let err = TcpStream::connect("localhost").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let err = TcpStream::connect("localhost:port").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let err = TcpStream::connect(&[][..]).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        });
    });
}

#[test]
fn connect_to_a_closed_port_is_refused_and_every_address_is_tried() {
    within(LIMIT, || {
        rt::block_on(async {
            let closed = closed_port();
            let err = TcpStream::connect(closed).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);

            // Several addresses: the first that connects wins...
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let open = listener.local_addr().unwrap();
            let accepting = rt::spawn(async move { listener.accept().await.map(|_| ()) });
            let stream = TcpStream::connect(&[closed, open][..]).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap(), open);
            accepting.await.unwrap().unwrap();

            // ...and if none does, the last one's error comes back.
            let err = TcpStream::connect(&[closed, closed_port()][..])
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        });
    });
}

#[test]
fn connect_to_a_literal_address_needs_no_blocking_thread() {
    within(LIMIT, || {
        rt::block_on(async {
            // Every thread of the blocking pool (16) held up, so a connect that needed one
            // would wait for as long as they are.
            let (started, jobs) = mpsc::channel();
            let (gates, blockers): (Vec<_>, Vec<_>) = (0..16)
                .map(|_| {
                    let (gate, wait) = mpsc::channel::<()>();
                    let started = started.clone();
                    let blocker = rt::spawn_blocking(move || {
                        started.send(()).unwrap();
                        let _ = wait.recv();
                    });
                    (gate, blocker)
                })
                .unzip();
            for _ in 0..16 {
                while jobs.try_recv().is_err() {
                    rt::sleep(ms(1)).await;
                }
            }

            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let accepting = rt::spawn(async move { listener.accept().await.map(|_| ()) });
            let stream = TcpStream::connect(addr).await.unwrap();
            let refused = TcpStream::connect(closed_port()).await.unwrap_err();
            assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
            accepting.await.unwrap().unwrap();
            drop(stream);

            drop(gates);
            for blocker in blockers {
                blocker.await.unwrap();
            }
        });
    });
}

#[test]
fn a_connect_under_way_leaves_the_loop_running() {
    use rustix::net::{bind, listen, socket, AddressFamily, SocketType};

    within(LIMIT, || {
        // A listener with a backlog of 0 that nobody accepts from: once one connection waits
        // in its queue, the system drops the next connect's SYN, so that connect stays under
        // way (until the client sends its SYN again, a second or so after room is made).
        let fd = socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
        bind(&fd, &"127.0.0.1:0".parse::<SocketAddr>().unwrap()).unwrap();
        listen(&fd, 0).unwrap();
        let listener = std::net::TcpListener::from(fd);
        let addr = listener.local_addr().unwrap();
        rt::block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            let first = TcpStream::connect(addr).await.unwrap();
            let done = Rc::new(Cell::new(false));
            let second = rt::spawn({
                let done = done.clone();
                async move {
                    let stream = TcpStream::connect(addr).await;
                    done.set(true);
                    stream
                }
            });
            // A connect that blocked the thread would keep the loop from here on (and nobody
            // would make room): the watchdog would end the test.
            let mut turns = 0;
            while turns < 20 {
                rt::sleep(ms(5)).await;
                turns += 1;
            }
            assert!(!done.get(), "connected with no room in the queue");

            let (_accepted, _) = listener.accept().await.unwrap();
            let (accepted, _) = listener.accept().await.unwrap();
            let second = second.await.unwrap().unwrap();
            assert_eq!(accepted.peer_addr().unwrap(), second.local_addr().unwrap());
            drop(first);
        });
    });
}

// ---------------------------------------------------------------------------------------------
// UDP
// ---------------------------------------------------------------------------------------------

#[test]
fn udp_datagrams_make_a_round_trip() {
    within(LIMIT, || {
        rt::block_on(async {
            let server = UdpSocket::bind("127.0.0.1:0").unwrap();
            let server_addr = server.local_addr().unwrap();
            // An echo server: each datagram goes back where it came from, upper-cased.
            let echo = rt::spawn(async move {
                let mut buf = [0; 64];
                for _ in 0..6 {
                    let (n, from) = server.recv_from(&mut buf).await.unwrap();
                    buf[..n].make_ascii_uppercase();
                    server.send_to(&buf[..n], from).await.unwrap();
                }
            });

            // Unconnected, by address and by name.
            let client = UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut buf = [0; 64];
            for (i, word) in ["one", "two", "three"].into_iter().enumerate() {
                if i == 1 {
                    let name = ("localhost", server_addr.port());
                    client.send_to(word.as_bytes(), name).await.unwrap();
                } else {
                    client.send_to(word.as_bytes(), server_addr).await.unwrap();
                }
                let (n, from) = client.recv_from(&mut buf).await.unwrap();
                assert_eq!(from, server_addr);
                assert_eq!(&buf[..n], word.to_uppercase().as_bytes());
            }

            // Connected (by name): `send` and `recv`.
            let connected = UdpSocket::bind("127.0.0.1:0").unwrap();
            assert!(
                connected.send(b"nowhere").await.is_err(),
                "sent, unconnected"
            );
            let err = connected.peer_addr().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotConnected);
            connected
                .connect(format!("localhost:{}", server_addr.port()))
                .await
                .unwrap();
            assert_eq!(connected.peer_addr().unwrap(), server_addr);
            for word in ["four", "five", "six"] {
                assert_eq!(connected.send(word.as_bytes()).await.unwrap(), word.len());
                let n = connected.recv(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], word.to_uppercase().as_bytes());
            }
            echo.await.unwrap();

            let err = client
                .send_to(b"x", "no-such-host.invalid:9")
                .await
                .unwrap_err();
            assert_ne!(err.kind(), ErrorKind::WouldBlock, "{err}");
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Unix-domain streams
// ---------------------------------------------------------------------------------------------

#[test]
fn unix_streams_make_a_round_trip_through_a_listener() {
    let path = SocketPath::new("round-trip");
    let p = path.0.clone();
    within(LIMIT, move || {
        rt::block_on(async move {
            let listener = UnixListener::bind(&p).unwrap();
            assert_eq!(
                listener.local_addr().unwrap().as_pathname(),
                Some(p.as_path())
            );
            // Each client's lines come back numbered.
            let server = rt::spawn(async move {
                let mut incoming = listener.incoming().take(3);
                let mut handlers = Vec::new();
                while let Some(stream) = incoming.next().await {
                    let stream = stream.unwrap();
                    handlers.push(rt::spawn(async move {
                        let mut lines = BufReader::new(&stream).lines();
                        let mut n = 0;
                        while let Some(line) = lines.try_next().await.unwrap() {
                            n += 1;
                            let answer = format!("{n}: {line}\n");
                            AsyncWriteExt::write_all(&mut &stream, answer.as_bytes())
                                .await
                                .unwrap();
                        }
                        (&stream).close().await.unwrap();
                    }));
                }
                for handler in handlers {
                    handler.await.unwrap();
                }
            });
            let clients: Vec<_> = (0..3)
                .map(|c| {
                    let p = p.clone();
                    rt::spawn(async move {
                        let mut stream = UnixStream::connect(&p).await.unwrap();
                        assert_eq!(stream.peer_addr().unwrap().as_pathname(), Some(p.as_path()));
                        stream
                            .write_all(format!("a{c}\nb{c}\n").as_bytes())
                            .await
                            .unwrap();
                        stream.close().await.unwrap();
                        let mut answer = String::new();
                        stream.read_to_string(&mut answer).await.unwrap();
                        assert_eq!(answer, format!("1: a{c}\n2: b{c}\n"));
                    })
                })
                .collect();
            for client in clients {
                client.await.unwrap();
            }
            server.await.unwrap();
            let err = UnixStream::connect(p.with_extension("none"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
        });
    });
}

#[test]
fn unix_pairs_make_a_round_trip_through_split_halves() {
    within(LIMIT, || {
        rt::block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let data = pattern(1 << 20);
            // `a` sends 1 MiB from one task and reads the echo in another; `b` echoes.
            let (mut a_in, mut a_out) = a.split();
            let sending = rt::spawn({
                let data = data.clone();
                async move {
                    a_out.write_all(&data).await.unwrap();
                    a_out.close().await.unwrap();
                }
            });
            let receiving = rt::spawn(async move {
                let mut got = Vec::new();
                a_in.read_to_end(&mut got).await.unwrap();
                got
            });
            let echoed = io::copy(&b, &mut &b).await.unwrap();
            b.shutdown(Shutdown::Write).unwrap();
            assert_eq!(echoed, data.len() as u64);
            sending.await.unwrap();
            assert!(receiving.await.unwrap() == data, "the echo differs");
        });
    });
}

#[test]
fn unix_connect_waits_for_room_in_a_full_backlog() {
    use rustix::net::{bind, listen, socket, AddressFamily, SocketAddrUnix, SocketType};

    let path = SocketPath::new("backlog");
    let p = path.0.clone();
    within(LIMIT, move || {
        // A listener with a backlog of 0: one connection waits to be accepted, the next must
        // wait for room.
        let fd = socket(AddressFamily::UNIX, SocketType::STREAM, None).unwrap();
        bind(&fd, &SocketAddrUnix::new(p.as_path()).unwrap()).unwrap();
        listen(&fd, 0).unwrap();
        let listener = std::os::unix::net::UnixListener::from(fd);
        rt::block_on(async move {
            let listener = UnixListener::from_std(listener).unwrap();
            let first = UnixStream::connect(&p).await.unwrap();
            let state = Rc::new(Cell::new("connecting"));
            let second = rt::spawn({
                let (p, state) = (p.clone(), state.clone());
                async move {
                    let connected = UnixStream::connect(&p).await;
                    state.set(if connected.is_ok() {
                        "connected"
                    } else {
                        "failed"
                    });
                    let stream = connected.unwrap();
                    stream.write_all(b"second").await.unwrap();
                    stream
                }
            });
            rt::sleep(ms(30)).await;
            assert_eq!(state.get(), "connecting", "not waiting for room");

            let (accepted, _) = listener.accept().await.unwrap();
            first.write_all(b"first").await.unwrap();
            let mut buf = [0; 5];
            accepted.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"first");
            // Room now: the second connects, once its pause is over.
            let (accepted, _) = listener.accept().await.unwrap();
            let mut buf = [0; 6];
            accepted.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"second");
            assert_eq!(state.get(), "connected");
            drop(second.await.unwrap());
        });
    });
}
