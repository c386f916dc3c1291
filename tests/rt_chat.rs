#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! A chat server written on `rt`, on 127.0.0.1, with real TCP clients: every line a client
//! sends is broadcast to every other client.
//!
//! The protocol: a client's first line is its name, answered with `welcome NAME`; from then on
//! each line it sends goes to every other client as `NAME: LINE`, and its leaving as
//! `* NAME left`. A line that is not UTF-8 is dropped and its sender told so
//! (`! invalid utf-8, line dropped`); the bytes after the last newline of a client that
//! disconnects (a line cut off in the middle) are dropped.
//!
//! Each connection has a reader (an async generator of lines over the socket) and a writer task
//! with its own queue, so a slow or dead client only ever holds up its own writer.

mod rt_common;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::poll_fn;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use resumable::kernel::{JoinError, Kernel, Report};
use resumable::prelude::*;
use resumable::rt::{
    self,
    net::{TcpListener, TcpStream},
    JoinHandle,
};
use rt_common::{capture_reports, ms, within};

/// The longest a chat test may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(60);
/// How long a client waits for a line (or at a gate) before it gives up.
const PATIENCE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/// What a connection's reader finds on its socket.
#[derive(Debug)]
enum Piece {
    /// A complete line, without its newline.
    Line(Vec<u8>),
    /// Bytes without a newline before the end of the stream: a line cut off.
    Partial(Vec<u8>),
    /// Reading failed; nothing more comes.
    Failed(io::ErrorKind),
}

/// The lines of a socket, as they come: an async generator over `read`.
#[generator(yield = Piece)]
async fn lines(stream: Rc<TcpStream>) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => {
                if !pending.is_empty() {
                    yield_!(Piece::Partial(pending));
                }
                return;
            }
            Ok(n) => {
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                    let mut line: Vec<u8> = pending.drain(..=end).collect();
                    line.pop();
                    yield_!(Piece::Line(line));
                }
            }
            Err(e) => {
                yield_!(Piece::Failed(e.kind()));
                return;
            }
        }
    }
}

/// A client's queue of messages to send: unbounded, so broadcasting never waits.
#[derive(Default)]
struct Outbox {
    items: RefCell<VecDeque<Rc<[u8]>>>,
    waker: RefCell<Option<Waker>>,
    closed: Cell<bool>,
}

impl Outbox {
    fn push(&self, message: Rc<[u8]>) {
        if self.closed.get() {
            return;
        }
        self.items.borrow_mut().push_back(message);
        self.wake();
    }

    /// No more messages: the writer ends once the queue is empty.
    fn close(&self) {
        self.closed.set(true);
        self.wake();
    }

    fn wake(&self) {
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    fn len(&self) -> usize {
        self.items.borrow().len()
    }

    async fn pop(&self) -> Option<Rc<[u8]>> {
        poll_fn(|cx| {
            if let Some(message) = self.items.borrow_mut().pop_front() {
                return Poll::Ready(Some(message));
            }
            if self.closed.get() {
                return Poll::Ready(None);
            }
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// What the server did, for the tests to check.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Stats {
    joined: usize,
    left: usize,
    /// Lines broadcast.
    messages: usize,
    /// Lines dropped for not being UTF-8.
    invalid_lines: usize,
    /// Bytes of lines cut off by a disconnect.
    partial_bytes: usize,
    read_errors: usize,
}

/// Who is in the chat.
#[derive(Default)]
struct Room {
    members: RefCell<BTreeMap<u64, (String, Rc<Outbox>)>>,
    next_id: Cell<u64>,
    stats: RefCell<Stats>,
}

impl Room {
    fn join(&self, name: &str, outbox: Rc<Outbox>) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.members
            .borrow_mut()
            .insert(id, (name.to_string(), outbox));
        self.stats.borrow_mut().joined += 1;
        id
    }

    fn leave(&self, id: u64) {
        self.members.borrow_mut().remove(&id);
        self.stats.borrow_mut().left += 1;
    }

    /// Queues `message` for everyone but `from`.
    fn broadcast(&self, from: u64, message: &str) {
        let message: Rc<[u8]> = message.as_bytes().into();
        for (id, (_, outbox)) in self.members.borrow().iter() {
            if *id != from {
                outbox.push(message.clone());
            }
        }
    }

    /// How many messages wait to be sent to the member called `name`.
    fn backlog(&self, name: &str) -> Option<usize> {
        self.members
            .borrow()
            .values()
            .find(|(n, _)| n == name)
            .map(|(_, outbox)| outbox.len())
    }

    fn stats(&self) -> Stats {
        self.stats.borrow().clone()
    }
}

/// Sends what is queued for one client, in order, until the queue closes or the client is gone.
async fn write_out(stream: Rc<TcpStream>, outbox: Rc<Outbox>) {
    while let Some(message) = outbox.pop().await {
        if stream.write_all(&message).await.is_err() {
            // Gone: whatever is still sent to it is dropped.
            outbox.close();
            break;
        }
    }
}

/// One connection: its name, then its lines, until it disconnects.
async fn serve(stream: TcpStream, room: Rc<Room>) {
    let stream = Rc::new(stream);
    let mut lines = lines(stream.clone());
    let name = match lines.next().await {
        Some(Piece::Line(name)) => match String::from_utf8(name) {
            Ok(name) if !name.is_empty() => name,
            _ => return,
        },
        _ => return,
    };
    let outbox = Rc::new(Outbox::default());
    let writer = rt::spawn_named(
        format!("writer {name}"),
        write_out(stream.clone(), outbox.clone()),
    );
    // Welcomed before it joins: everything broadcast from now on comes after the welcome.
    outbox.push(format!("welcome {name}\n").as_bytes().into());
    let id = room.join(&name, outbox.clone());
    while let Some(piece) = lines.next().await {
        match piece {
            Piece::Line(line) => match String::from_utf8(line) {
                Ok(text) => {
                    room.stats.borrow_mut().messages += 1;
                    room.broadcast(id, &format!("{name}: {text}\n"));
                }
                Err(_) => {
                    room.stats.borrow_mut().invalid_lines += 1;
                    outbox.push(b"! invalid utf-8, line dropped\n"[..].into());
                }
            },
            Piece::Partial(bytes) => room.stats.borrow_mut().partial_bytes += bytes.len(),
            Piece::Failed(kind) => {
                assert_ne!(kind, io::ErrorKind::WouldBlock, "the reader waits instead");
                room.stats.borrow_mut().read_errors += 1;
            }
        }
    }
    room.leave(id);
    room.broadcast(id, &format!("* {name} left\n"));
    outbox.close();
    let _ = writer.await;
}

/// Connection tasks, kept so the test can wait for them to end.
type Connections = Rc<RefCell<Vec<JoinHandle<()>>>>;

/// Accepts connections until aborted (or, as a bound, a thousand of them).
async fn accept_loop(listener: TcpListener, room: Rc<Room>, connections: Connections) {
    for _ in 0..1000 {
        match listener.accept().await {
            Ok((stream, _)) => {
                let task = rt::spawn_named("connection", serve(stream, room.clone()));
                connections.borrow_mut().push(task);
            }
            Err(e) => panic!("accept failed: {e}"),
        }
    }
}

/// A chat server on 127.0.0.1, running on the current loop.
struct Server {
    addr: SocketAddr,
    room: Rc<Room>,
    acceptor: JoinHandle<()>,
    connections: Connections,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let room = Rc::new(Room::default());
        let connections = Connections::default();
        let acceptor = rt::spawn_named(
            "accept",
            accept_loop(listener, room.clone(), connections.clone()),
        );
        Server {
            addr,
            room,
            acceptor,
            connections,
        }
    }

    /// Stops accepting, then waits for every connection to end (their clients are gone).
    async fn shut_down(self) -> Stats {
        self.acceptor.abort();
        assert_eq!(self.acceptor.await, Err(JoinError::Killed));
        let connections = std::mem::take(&mut *self.connections.borrow_mut());
        for connection in connections {
            let ended = rt::timeout(PATIENCE, connection).await;
            assert_eq!(ended, Ok(Ok(())), "a connection task did not end cleanly");
        }
        assert!(self.room.members.borrow().is_empty());
        self.room.stats()
    }
}

// ---------------------------------------------------------------------------------------------
// Clients on threads
// ---------------------------------------------------------------------------------------------

/// A barrier for client threads that gives up (failing the test) instead of hanging.
struct Gate {
    need: usize,
    arrived: Mutex<usize>,
    changed: Condvar,
}

impl Gate {
    fn new(need: usize) -> Arc<Gate> {
        Arc::new(Gate {
            need,
            arrived: Mutex::new(0),
            changed: Condvar::new(),
        })
    }

    fn wait(&self) {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.changed.notify_all();
        let (arrived, timeout) = self
            .changed
            .wait_timeout_while(arrived, PATIENCE, |n| *n < self.need)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "only {} of {} came to the gate",
            *arrived,
            self.need
        );
    }
}

/// A blocking client connection, with timeouts.
struct Client {
    name: String,
    stream: std::net::TcpStream,
    reader: BufReader<std::net::TcpStream>,
}

impl Client {
    /// Connects, says its name and waits for the welcome: from then on it is in the room.
    fn join(addr: SocketAddr, name: &str) -> Client {
        let stream = std::net::TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.set_write_timeout(Some(PATIENCE)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        let mut client = Client {
            name: name.to_string(),
            stream,
            reader,
        };
        client.send(format!("{name}\n").as_bytes());
        assert_eq!(client.line(), format!("welcome {name}"));
        client
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// The next line, without its newline (invalid UTF-8 shows as U+FFFD).
    fn line(&mut self) -> String {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) => panic!("{}: the server hung up", self.name),
            Ok(_) => {}
            Err(e) => panic!("{}: no line: {e}", self.name),
        }
        assert_eq!(line.pop(), Some(b'\n'), "{}: a line cut off", self.name);
        String::from_utf8_lossy(&line).into_owned()
    }

    /// The next `n` lines.
    fn lines(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.line()).collect()
    }

    /// Hangs up politely: stops sending, then reads what is still on its way until the server
    /// hangs up too, and returns it (so nothing unread makes the close a reset).
    fn leave(mut self) -> Vec<String> {
        self.stream.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        loop {
            let mut line = Vec::new();
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => return rest,
                Ok(_) => rest.push(String::from_utf8_lossy(&line).trim_end().to_string()),
                Err(e) => panic!("{}: leaving: {e}", self.name),
            }
        }
    }
}

/// Asserts that `got` holds exactly the lines of `expected`, in any order, and says which
/// are missing or unexpected if not.
fn assert_same_lines(got: Vec<String>, expected: Vec<String>, who: &str) {
    let (mut got, mut expected) = (got, expected);
    got.sort();
    expected.sort();
    if got != expected {
        let missing: Vec<&String> = expected.iter().filter(|l| !got.contains(l)).collect();
        let unexpected: Vec<&String> = got.iter().filter(|l| !expected.contains(l)).collect();
        panic!(
            "{who} received {} lines, expected {}; missing {missing:?}; unexpected {unexpected:?}",
            got.len(),
            expected.len()
        );
    }
}

/// How many ordinary clients chat at once.
const CLIENTS: usize = 100;

#[test]
fn every_client_receives_every_other_clients_line_despite_broken_clients() {
    within(LIMIT, || {
        let mut kernel = Kernel::new().with_slow_task_threshold(None);
        let reports = capture_reports(&mut kernel);
        let (received, mangled, lurked, stats) = kernel.block_on(async {
            let server = Server::start();
            let addr = server.addr;
            // Everyone is in the room before anyone speaks: the ordinary clients, `half` (cut
            // off in the middle of its second line), `mangled` (sends a line that is not UTF-8)
            // and `lurker` (never reads).
            let joined = Gate::new(CLIENTS + 3);
            // Nobody leaves before everyone has heard everything (`half` excepted).
            let heard = Gate::new(CLIENTS + 2);
            let mut threads = Vec::new();
            for i in 0..CLIENTS {
                let (joined, heard) = (joined.clone(), heard.clone());
                threads.push(thread::spawn(move || {
                    let name = format!("client-{i}");
                    let mut client = Client::join(addr, &name);
                    joined.wait();
                    client.send(format!("hello from {name}\n").as_bytes());
                    // The others, half's complete line, its leaving, mangled's valid line.
                    let got = client.lines(CLIENTS - 1 + 3);
                    heard.wait();
                    (got, client.leave())
                }));
            }
            let half = {
                let joined = joined.clone();
                thread::spawn(move || {
                    let mut client = Client::join(addr, "half");
                    joined.wait();
                    // The server sees the stream end in the middle of the second line.
                    client.send(b"complete line\ncut off in the mid");
                    client.leave();
                })
            };
            let mangled = {
                let (joined, heard) = (joined.clone(), heard.clone());
                thread::spawn(move || {
                    let mut client = Client::join(addr, "mangled");
                    joined.wait();
                    client.send(b"caf\xe9 \xff\xfe\n");
                    client.send(b"valid after invalid\n");
                    // The ordinary clients, half's line and leaving, and the server's answer.
                    let got = client.lines(CLIENTS + 3);
                    heard.wait();
                    (got, client.leave())
                })
            };
            let lurker = thread::spawn(move || {
                let client = Client::join(addr, "lurker");
                joined.wait();
                heard.wait();
                client.leave()
            });
            // The loop serves the clients while a pool thread waits for them.
            let (received, mangled, lurked) = rt::spawn_blocking(move || {
                half.join().expect("half");
                let lurked = lurker.join().expect("lurker");
                let mangled = mangled.join().expect("mangled");
                let received: Vec<_> = threads
                    .into_iter()
                    .map(|t| t.join().expect("a client failed"))
                    .collect();
                (received, mangled, lurked)
            })
            .await
            .unwrap();
            (received, mangled, lurked, server.shut_down().await)
        });

        let hello = |i: usize| format!("client-{i}: hello from client-{i}");
        let extras = [
            "half: complete line",
            "* half left",
            "mangled: valid after invalid",
        ];
        let is_leaving = |line: &String| line.starts_with("* ") && line.ends_with(" left");
        for (i, (got, rest)) in received.into_iter().enumerate() {
            let expected: Vec<String> = (0..CLIENTS)
                .filter(|&j| j != i)
                .map(hello)
                .chain(extras.iter().map(|s| s.to_string()))
                .collect();
            assert_same_lines(got, expected, &format!("client-{i}"));
            // After that, only others leaving.
            assert!(rest.iter().all(is_leaving), "client-{i} also got {rest:?}");
        }
        let (mangled, rest) = mangled;
        let expected: Vec<String> = (0..CLIENTS)
            .map(hello)
            .chain(["half: complete line", "* half left"].map(String::from))
            .chain(["! invalid utf-8, line dropped".to_string()])
            .collect();
        assert_same_lines(mangled, expected, "mangled");
        assert!(rest.iter().all(is_leaving), "mangled also got {rest:?}");
        // The lurker read nothing until it left: then it found everything waiting for it.
        let expected: Vec<String> = (0..CLIENTS)
            .map(hello)
            .chain(extras.iter().map(|s| s.to_string()))
            .collect();
        let (heard, rest): (Vec<String>, Vec<String>) = lurked
            .into_iter()
            .filter(|line| line != "welcome lurker")
            .partition(|line| !is_leaving(line) || line == "* half left");
        assert_same_lines(heard, expected, "the lurker");
        assert!(rest.iter().all(is_leaving));
        assert_eq!(
            stats,
            Stats {
                joined: CLIENTS + 3,
                left: CLIENTS + 3,
                messages: CLIENTS + 2,
                invalid_lines: 1,
                partial_bytes: "cut off in the mid".len(),
                read_errors: 0,
            }
        );
        let reports = reports.borrow();
        assert!(
            !reports.iter().any(|r| matches!(r, Report::Panicked { .. })),
            "{reports:?}"
        );
    });
}

#[test]
fn a_client_that_never_reads_does_not_hold_up_the_others() {
    /// Far more than the lurker's socket buffers hold.
    const LINES: usize = 2000;
    const READERS: usize = 3;
    within(LIMIT, || {
        let mut kernel = Kernel::new().with_slow_task_threshold(None);
        let (lurker_backlog, stats) = kernel.block_on(async {
            let server = Server::start();
            let addr = server.addr;
            let joined = Gate::new(READERS + 2);
            let readers_done = Arc::new(AtomicUsize::new(0));
            let (release_lurker, lurker_released) = mpsc::channel::<()>();
            let payload = "x".repeat(4000);
            let mut threads = Vec::new();
            for i in 0..READERS {
                let (joined, done, payload) =
                    (joined.clone(), readers_done.clone(), payload.clone());
                threads.push(thread::spawn(move || {
                    let mut client = Client::join(addr, &format!("reader-{i}"));
                    joined.wait();
                    for n in 0..LINES {
                        assert_eq!(client.line(), format!("talker: {n} {payload}"));
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }));
            }
            let talker = {
                let joined = joined.clone();
                thread::spawn(move || {
                    let mut client = Client::join(addr, "talker");
                    joined.wait();
                    for n in 0..LINES {
                        client.send(format!("{n} {payload}\n").as_bytes());
                    }
                    client
                })
            };
            let lurker = thread::spawn(move || {
                let client = Client::join(addr, "lurker");
                joined.wait();
                lurker_released
                    .recv_timeout(PATIENCE)
                    .expect("released by the test");
                drop(client);
            });
            // The readers get everything while the lurker's writer is stuck.
            for _ in 0..(PATIENCE.as_millis() / 5) {
                if readers_done.load(Ordering::SeqCst) == READERS {
                    break;
                }
                rt::sleep(ms(5)).await;
            }
            assert_eq!(readers_done.load(Ordering::SeqCst), READERS);
            let lurker_backlog = server.room.backlog("lurker");
            release_lurker.send(()).unwrap();
            let talker = rt::spawn_blocking(move || {
                for t in threads {
                    t.join().expect("a reader failed");
                }
                lurker.join().expect("lurker");
                talker.join().expect("talker")
            })
            .await
            .unwrap();
            drop(talker);
            (lurker_backlog, server.shut_down().await)
        });
        let backlog = lurker_backlog.expect("the lurker was still in the room");
        assert!(
            backlog > 0,
            "the lurker's socket took everything: the test proves nothing"
        );
        assert_eq!(stats.messages, LINES);
        assert_eq!(stats.left, READERS + 2);
    });
}

// ---------------------------------------------------------------------------------------------
// Clients as tasks on the same loop
// ---------------------------------------------------------------------------------------------

/// A barrier for tasks of one loop.
struct Latch {
    need: usize,
    arrived: Cell<usize>,
    wakers: RefCell<Vec<Waker>>,
}

impl Latch {
    fn new(need: usize) -> Rc<Latch> {
        Rc::new(Latch {
            need,
            arrived: Cell::new(0),
            wakers: RefCell::default(),
        })
    }

    async fn arrive_and_wait(&self) {
        self.arrived.set(self.arrived.get() + 1);
        if self.arrived.get() >= self.need {
            for waker in self.wakers.borrow_mut().drain(..) {
                waker.wake();
            }
        }
        poll_fn(|cx| {
            if self.arrived.get() >= self.need {
                Poll::Ready(())
            } else {
                self.wakers.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }
}

/// A client written on `rt`: joins, speaks once when everyone is in, collects `expect` lines.
async fn rt_client(
    addr: SocketAddr,
    name: String,
    joined: Rc<Latch>,
    heard: Rc<Latch>,
    expect: usize,
) -> Vec<String> {
    let stream = Rc::new(TcpStream::connect(addr).await.expect("connect"));
    let mut incoming = lines(stream.clone());
    stream
        .write_all(format!("{name}\n").as_bytes())
        .await
        .unwrap();
    let mut next_line = async || match rt::timeout(PATIENCE, incoming.next()).await {
        Ok(Some(Piece::Line(line))) => String::from_utf8(line).expect("UTF-8"),
        other => panic!("{name}: no line: {other:?}"),
    };
    assert_eq!(next_line().await, format!("welcome {name}"));
    joined.arrive_and_wait().await;
    stream
        .write_all(format!("hello from {name}\n").as_bytes())
        .await
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..expect {
        got.push(next_line().await);
    }
    heard.arrive_and_wait().await;
    got
}

#[test]
fn a_hundred_client_tasks_chat_through_a_server_on_the_same_loop() {
    within(LIMIT, || {
        let mut kernel = Kernel::new().with_slow_task_threshold(None);
        let (received, stats) = kernel.block_on(async {
            let server = Server::start();
            let joined = Latch::new(CLIENTS);
            let heard = Latch::new(CLIENTS);
            let clients: Vec<_> = (0..CLIENTS)
                .map(|i| {
                    rt::spawn(rt_client(
                        server.addr,
                        format!("task-{i}"),
                        joined.clone(),
                        heard.clone(),
                        CLIENTS - 1,
                    ))
                })
                .collect();
            let mut received = Vec::new();
            for client in clients {
                received.push(client.await.expect("a client task failed"));
            }
            (received, server.shut_down().await)
        });
        for (i, got) in received.into_iter().enumerate() {
            let expected: Vec<String> = (0..CLIENTS)
                .filter(|&j| j != i)
                .map(|j| format!("task-{j}: hello from task-{j}"))
                .collect();
            assert_same_lines(got, expected, &format!("task-{i}"));
        }
        assert_eq!(
            (stats.joined, stats.left, stats.messages),
            (CLIENTS, CLIENTS, CLIENTS)
        );
    });
}
