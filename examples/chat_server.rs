//! `chat_server`: a chat room on 127.0.0.1, with a bot — one thread, a few tasks per client.
//!
//! Every client gets two tasks on the loop: a *reader* that reads its lines and hands them to
//! the room, and a *writer* that sends it what the room has queued for it. The room is plain
//! shared state (`Rc<RefCell<Room>>`: one thread, so no locks) holding an outgoing queue per
//! client. Broadcasting a line only appends it to the other clients' queues and wakes their
//! writers; it never waits for a socket. So a client that reads slowly, or not at all, delays
//! nobody: its own queue grows, and once it is more than `max_backlog` bytes behind the server
//! disconnects it, so one stuck client cannot make the server hold unbounded memory either.
//!
//! A line that is not valid UTF-8 is passed on with the bad bytes replaced by `�` (and the
//! sender is told); a client that hangs up in the middle of a line has the unfinished line
//! dropped; the others never notice either. Lines starting with `/` go to the bot: `/help`,
//! `/who`, `/time`, `/nick NAME`, `/quit`.
//!
//! What it takes to hold up: every resource a client can make the server hold has a bound, and
//! each bound says what happens at it (the constants are in `chat`). Bytes without a newline
//! are kept up to `MAX_LINE` (4 KiB), then passed on as a line of that length: a flood without
//! newlines costs 4 KiB, not the flood. What is queued for a client, counting what its writer
//! is sending, is at most `max_backlog` (256 KiB) plus a line; a client further behind is
//! disconnected (`* NAME left (too far behind)`). The lines still queued for a client that
//! leaves get `LINGER` (5 s) to go out; then its connection is closed with them unsent (a
//! client that half-closes and never reads would otherwise hold a task and a descriptor for
//! ever, and `Server::stop` would wait for it). A reset, mid-read or mid-write, ends that
//! client's two tasks; nobody else notices. A failed `accept` is skipped (`ECONNABORTED`) or
//! logged and waited out (`EMFILE`, `ENFILE`: 10 ms, doubling up to 1 s, while new
//! connections wait in the listen queue), and serving resumes. An idle client costs a
//! descriptor and two parked tasks (about 8 KiB), and no CPU. Not bounded per client: a crowd
//! leaving at once has each goodbye queued for every other client before any is sent, a
//! moment's memory that grows with the square of the crowd (each client's share still within
//! its backlog). `tests/stress_chat.rs` runs the server through all of this as a separate
//! process.
//!
//! Python's asyncio version of the shape (writer tasks and queues included):
//! ```python
//! async def handle(reader, writer):
//!     queue = asyncio.Queue()
//!     async def write_loop():
//!         while (line := await queue.get()) is not None:
//!             writer.write(line); await writer.drain()
//!     sender = asyncio.create_task(write_loop())
//!     room.join(queue)
//!     while line := await reader.readline():
//!         room.broadcast(line.decode(errors="replace"), exclude=queue)  # put_nowait: never waits
//!     room.leave(queue); await queue.put(None); await sender
//!
//! asyncio.run(asyncio.start_server(handle, "127.0.0.1", 7008))
//! ```
//!
//! Modes:
//! * `cargo run --example chat_server` — starts the server on the loop and runs a scripted
//!   demo against it with clients written on the same loop (about one second), then stops it;
//! * `cargo run --example chat_server -- server [ADDR]` — serves on ADDR (default
//!   `127.0.0.1:7008`; port 0 picks a free one) until Ctrl-C; its first line of output names
//!   the address;
//! * `cargo run --example chat_server -- client [ADDR]` — an interactive client: the lines you
//!   type go to the room, what the room says is printed (Ctrl-D to leave). `nc 127.0.0.1 7008`
//!   works too.
//!
//! Only loopback addresses are accepted.
use std::cell::Cell;
use std::io::{self, BufRead};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use resumable::rt::net::{TcpListener, TcpStream};
use resumable::rt::{self, JoinHandle};

use chat::{LineReader, Server};

const DEFAULT_ADDR: &str = "127.0.0.1:7008";

/// The chat server: the room, the bot, and the tasks that serve each client. Self-contained, so
/// a test can `mod` it in (`#[path = "../examples/chat_server.rs"]`) and drive a `Server`.
pub mod chat {
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;
    use std::future::{poll_fn, Future};
    use std::io;
    use std::net::{Shutdown, SocketAddr};
    use std::rc::Rc;
    use std::task::{Poll, Waker};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use resumable::rt::net::{TcpListener, TcpStream};
    use resumable::rt::{self, JoinHandle};

    /// The longest line the server reads; a longer one (or a stream of bytes without a
    /// newline) is cut into lines of at most this length (at a character boundary), each
    /// passed on as a line of its own. So a client's unread bytes cost the server at most this
    /// much plus one read's chunk, however long it goes without a newline.
    pub const MAX_LINE: usize = 4096;
    /// How far (in bytes queued for it, including those its writer is sending) a client may
    /// fall behind before it is disconnected.
    pub const DEFAULT_MAX_BACKLOG: usize = 256 * 1024;
    /// How long the lines still queued for a client that has left (or that the server is
    /// letting go as it stops) may take to be sent; then its connection is closed with them
    /// unsent. Without it, a client that half-closes and never reads would keep its writer
    /// waiting, and its descriptor open, for ever (and `Server::stop` waiting for it).
    pub const LINGER: Duration = Duration::from_secs(5);
    /// The longest name; names keep letters, digits, `-` and `_`.
    const MAX_NAME: usize = 16;

    /// Reads `\n`-terminated lines (a `\r` before the `\n` is dropped too) from a stream.
    pub struct LineReader {
        stream: Rc<TcpStream>,
        buf: Vec<u8>,
    }

    impl LineReader {
        pub fn new(stream: Rc<TcpStream>) -> LineReader {
            LineReader {
                stream,
                buf: Vec::new(),
            }
        }

        /// The next line, without its line ending; `None` at the end of the stream (see
        /// [`LineReader::unfinished`] for what came after the last line ending).
        pub async fn read_line(&mut self) -> io::Result<Option<Vec<u8>>> {
            let mut scanned = 0;
            loop {
                if let Some(i) = self.buf[scanned..].iter().position(|&b| b == b'\n') {
                    let mut line: Vec<u8> = self.buf.drain(..=scanned + i).collect();
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    return Ok(Some(line));
                }
                if self.buf.len() >= MAX_LINE {
                    // Cut before a UTF-8 continuation byte, not in the middle of a character
                    // (unless it is not UTF-8 at all).
                    let cut = (MAX_LINE - 3..=MAX_LINE)
                        .rev()
                        .find(|&i| self.buf.get(i).is_none_or(|&b| b & 0xC0 != 0x80))
                        .unwrap_or(MAX_LINE);
                    return Ok(Some(self.buf.drain(..cut).collect()));
                }
                scanned = self.buf.len();
                let mut chunk = [0; 4096];
                let n = self.stream.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(None);
                }
                self.buf.extend_from_slice(&chunk[..n]);
                // A read that finds data does not wait, so without this a client that sends
                // fast would keep the thread for as long as it keeps sending. One chunk per
                // turn, then everyone else's turn (asyncio reads one chunk per socket per turn).
                rt::yield_now().await;
            }
        }

        /// Bytes read after the last line ending: an unfinished line.
        pub fn unfinished(&self) -> &[u8] {
            &self.buf
        }
    }

    /// One client's outgoing queue: the room appends, the client's writer task takes.
    #[derive(Default)]
    struct Outbox {
        queued: RefCell<Vec<u8>>,
        /// Bytes taken by the writer and not yet written: they count as queued.
        sending: Cell<usize>,
        waker: RefCell<Option<Waker>>,
        closed: Cell<bool>,
    }

    impl Outbox {
        /// Queues `line` (a `\n` is added) unless closed; returns the bytes now waiting to
        /// be written, those the writer holds included.
        fn push(&self, line: &str) -> usize {
            if self.closed.get() {
                return 0;
            }
            let mut queued = self.queued.borrow_mut();
            queued.extend_from_slice(line.as_bytes());
            queued.push(b'\n');
            if let Some(waker) = self.waker.borrow_mut().take() {
                waker.wake();
            }
            queued.len() + self.sending.get()
        }

        /// No more lines: the writer sends what is queued, then ends.
        fn close(&self) {
            self.closed.set(true);
            if let Some(waker) = self.waker.borrow_mut().take() {
                waker.wake();
            }
        }

        /// Waits for queued bytes and takes all of them; `None` once closed and empty.
        fn take(&self) -> impl Future<Output = Option<Vec<u8>>> + '_ {
            poll_fn(|cx| {
                let mut queued = self.queued.borrow_mut();
                if !queued.is_empty() {
                    self.sending.set(queued.len());
                    Poll::Ready(Some(std::mem::take(&mut *queued)))
                } else if self.closed.get() {
                    Poll::Ready(None)
                } else {
                    *self.waker.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
        }
    }

    /// Counts live tasks; `wait` resolves when there are none (Go's `WaitGroup`).
    #[derive(Default)]
    struct WaitGroup {
        live: Cell<usize>,
        waker: RefCell<Option<Waker>>,
    }

    /// Held by a live task; dropping it (the task ended or was aborted) counts it out.
    struct Live(Rc<WaitGroup>);

    impl WaitGroup {
        fn add(self: &Rc<Self>) -> Live {
            self.live.set(self.live.get() + 1);
            Live(self.clone())
        }

        async fn wait(&self) {
            poll_fn(|cx| {
                if self.live.get() == 0 {
                    Poll::Ready(())
                } else {
                    *self.waker.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
            .await;
        }
    }

    impl Drop for Live {
        fn drop(&mut self) {
            self.0.live.set(self.0.live.get() - 1);
            if let Some(waker) = self.0.waker.borrow_mut().take() {
                waker.wake();
            }
        }
    }

    /// What the server counts.
    #[derive(Debug, Default, Clone, Copy)]
    pub struct Stats {
        /// Connections accepted.
        pub connections: usize,
        /// Chat lines broadcast.
        pub lines: usize,
        /// Lines queued for a client (a line to 9 others counts 9).
        pub deliveries: usize,
        /// Commands the bot answered.
        pub commands: usize,
        /// Lines that were not valid UTF-8 (passed on with `�` for the bad bytes).
        pub invalid_utf8: usize,
        /// Unfinished lines dropped because their client hung up.
        pub unfinished: usize,
        /// Clients disconnected for falling too far behind.
        pub kicked: usize,
        /// Clients that left with lines that could not be sent within `LINGER`.
        pub lingered: usize,
    }

    struct Client {
        /// `None` until it has said its name.
        name: Option<String>,
        outbox: Rc<Outbox>,
        stream: Rc<TcpStream>,
        /// Set when it should be let go: `/quit`, or too far behind.
        leaving: bool,
        /// Set when it was let go for falling too far behind.
        kicked: bool,
    }

    /// The shared state: who is here, their queues, the counters.
    pub struct Room {
        clients: BTreeMap<u64, Client>,
        next_id: u64,
        started: Duration,
        max_backlog: usize,
        log: bool,
        stats: Stats,
    }

    impl Room {
        fn log(&self, what: impl std::fmt::Display) {
            if self.log {
                println!("  [server] {what}");
            }
        }

        fn name(&self, id: u64) -> &str {
            self.clients
                .get(&id)
                .and_then(|c| c.name.as_deref())
                .unwrap_or("?")
        }

        fn names(&self) -> impl Iterator<Item = (u64, &str)> {
            self.clients
                .iter()
                .filter_map(|(&id, c)| Some((id, c.name.as_deref()?)))
        }

        /// Queues `line` for the client `id`; one that falls too far behind is let go.
        fn send(&mut self, id: u64, line: &str) {
            let Some(client) = self.clients.get_mut(&id) else {
                return;
            };
            let backlog = client.outbox.push(line);
            if backlog > self.max_backlog && !client.kicked {
                client.leaving = true;
                client.kicked = true;
                client.outbox.close();
                client.outbox.queued.borrow_mut().clear();
                // Wakes its reader (which sees the end of the stream) and its writer.
                let _ = client.stream.shutdown(Shutdown::Both);
                self.stats.kicked += 1;
                let name = self.name(id).to_string();
                self.log(format_args!(
                    "{name} is {} KiB behind: disconnected (a slow reader must not cost the \
                     server unbounded memory)",
                    backlog / 1024
                ));
            }
        }

        /// Queues `line` for every named client but `except`.
        fn broadcast(&mut self, except: Option<u64>, line: &str) {
            let to: Vec<u64> = self
                .names()
                .map(|(id, _)| id)
                .filter(|&id| Some(id) != except)
                .collect();
            for &id in &to {
                self.send(id, line);
            }
            self.stats.deliveries += to.len();
        }

        /// A name that is printable, not taken, and not the bot's.
        fn unique_name(&self, id: u64, wanted: &str) -> String {
            let name: String = wanted
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                .take(MAX_NAME)
                .collect();
            let taken = |n: &str| {
                n.eq_ignore_ascii_case("bot")
                    || self
                        .names()
                        .any(|(other, o)| other != id && o.eq_ignore_ascii_case(n))
            };
            match name.as_str() {
                "" => format!("guest{id}"),
                n if taken(n) => format!("{n}{id}"),
                _ => name,
            }
        }

        /// The client `id` said its name: it joins the room.
        fn join(&mut self, id: u64, wanted: &[u8], peer: SocketAddr) {
            let name = self.unique_name(id, &String::from_utf8_lossy(wanted));
            let others: Vec<&str> = self.names().map(|(_, n)| n).collect();
            let welcome = if others.is_empty() {
                format!("* Hello {name}, you are the first one here. Type /help for the bot's commands.")
            } else {
                format!(
                    "* Hello {name}, here with you: {}. Type /help for the bot's commands.",
                    others.join(", ")
                )
            };
            self.broadcast(Some(id), &format!("* {name} joined"));
            self.clients.get_mut(&id).expect("a live client").name = Some(name.clone());
            self.send(id, &welcome);
            let online = self.names().count();
            self.log(format_args!("{name} joined from {peer}; {online} online"));
        }

        /// The client `id` has gone (or is being let go).
        fn leave(&mut self, id: u64, why: &str) {
            let Some(client) = self.clients.remove(&id) else {
                return;
            };
            client.outbox.close();
            if let Some(name) = client.name {
                self.broadcast(None, &format!("* {name} left{why}"));
                let online = self.names().count();
                self.log(format_args!("{name} left{why}; {online} online"));
            }
        }

        /// The client `id` sent `bytes` (one line, without its line ending).
        fn said(&mut self, id: u64, bytes: Vec<u8>) {
            let text = match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    self.stats.invalid_utf8 += 1;
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    self.log(format_args!(
                        "{} sent {} bytes that are not UTF-8; passed on as {text:?}",
                        self.name(id),
                        e.as_bytes().len()
                    ));
                    self.send(
                        id,
                        "* Your line was not valid UTF-8: the bad bytes were replaced with \u{FFFD}.",
                    );
                    text
                }
            };
            // No terminal control codes from one client on the others' screens.
            let text: String = text
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        '\u{FFFD}'
                    } else {
                        c
                    }
                })
                .collect();
            let text = text.trim();
            if text.is_empty() {
            } else if let Some(command) = text.strip_prefix('/') {
                self.stats.commands += 1;
                self.bot(id, command);
            } else {
                self.stats.lines += 1;
                let line = format!("{}: {text}", self.name(id));
                self.broadcast(Some(id), &line);
            }
        }

        /// The bot answers a command, to the one who asked.
        fn bot(&mut self, id: u64, command: &str) {
            let (verb, arg) = command.split_once(' ').unwrap_or((command, ""));
            let me = self.name(id).to_string();
            let answer = match verb {
                "help" => "bot: /who: who is here; /time: the server's clock; /nick NAME: change \
                           your name; /quit: leave. Anything else goes to everyone."
                    .to_string(),
                "who" => {
                    let names: Vec<String> = self
                        .names()
                        .map(|(other, n)| {
                            if other == id {
                                format!("{n} (you)")
                            } else {
                                n.to_string()
                            }
                        })
                        .collect();
                    format!("bot: {} online: {}", names.len(), names.join(", "))
                }
                "time" => format!(
                    "bot: it is {} UTC; the server has been up for {:.1?}",
                    utc_time(),
                    rt::now() - self.started
                ),
                "nick" => {
                    let name = self.unique_name(id, arg.trim());
                    self.clients.get_mut(&id).expect("a live client").name = Some(name.clone());
                    self.broadcast(Some(id), &format!("* {me} is now {name}"));
                    format!("bot: you are now {name}")
                }
                "quit" => {
                    self.clients.get_mut(&id).expect("a live client").leaving = true;
                    format!("bot: bye, {me}!")
                }
                _ => format!("bot: I don't know /{verb}; try /help"),
            };
            self.send(id, &answer);
        }
    }

    /// Now as `HH:MM:SS`, UTC.
    fn utc_time() -> String {
        let s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!("{:02}:{:02}:{:02}", s / 3600 % 24, s / 60 % 60, s % 60)
    }

    /// Sends the client what its outbox gets, until the outbox is closed and empty; then
    /// closes the sending half of the connection. If the connection fails (a reset, say), the
    /// outbox is closed and emptied, and the connection shut down both ways, which ends the
    /// client's reader too.
    async fn write_loop(stream: Rc<TcpStream>, outbox: Rc<Outbox>) {
        while let Some(bytes) = outbox.take().await {
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                match stream.write(rest).await {
                    Ok(n) if n > 0 => {
                        rest = &rest[n..];
                        outbox.sending.set(outbox.sending.get() - n);
                    }
                    _ => {
                        outbox.close(); // gone: nothing more will get through
                        outbox.queued.borrow_mut().clear();
                        outbox.sending.set(0);
                        let _ = stream.shutdown(Shutdown::Both);
                        return;
                    }
                }
            }
        }
        let _ = stream.shutdown(Shutdown::Write);
    }

    /// One client's reader task: its name first, then its lines, until it leaves.
    async fn serve_client(room: Rc<RefCell<Room>>, stream: TcpStream, peer: SocketAddr) {
        let stream = Rc::new(stream);
        let outbox = Rc::new(Outbox::default());
        let writer = rt::spawn_named(
            format!("chat writer {peer}"),
            write_loop(stream.clone(), outbox.clone()),
        );
        let writing = outbox.clone();
        let id = {
            let mut room = room.borrow_mut();
            let id = room.next_id;
            room.next_id += 1;
            room.stats.connections += 1;
            let online = room.names().count();
            outbox.push(&format!(
                "* Welcome to the resumable chat ({online} online). What is your name?"
            ));
            room.clients.insert(
                id,
                Client {
                    name: None,
                    outbox,
                    stream: stream.clone(),
                    leaving: false,
                    kicked: false,
                },
            );
            id
        };
        let mut lines = LineReader::new(stream);
        let why = loop {
            let line = match lines.read_line().await {
                Ok(Some(line)) => line,
                Ok(None) => break "",
                Err(e) => {
                    break if e.kind() == io::ErrorKind::ConnectionReset {
                        ""
                    } else {
                        " (error)"
                    }
                }
            };
            let mut room = room.borrow_mut();
            let Some(client) = room.clients.get(&id) else {
                break ""; // the server is stopping
            };
            if client.name.is_none() {
                room.join(id, &line, peer);
            } else {
                room.said(id, line);
            }
            if room.clients.get(&id).is_some_and(|c| c.leaving) {
                break "";
            }
        };
        {
            let mut room = room.borrow_mut();
            let kicked = room.clients.get(&id).is_some_and(|c| c.kicked);
            if !lines.unfinished().is_empty() && !kicked {
                room.stats.unfinished += 1;
                room.log(format_args!(
                    "{} hung up in the middle of a line: {} bytes dropped ({:?})",
                    room.name(id),
                    lines.unfinished().len(),
                    String::from_utf8_lossy(lines.unfinished())
                ));
            }
            room.leave(id, if kicked { " (too far behind)" } else { why });
        }
        // The queue is closed: the writer sends what is left, then ends. It was woken by the
        // close, so it runs before this task's next turn; if anything is left after that (its
        // socket is full), it gets `LINGER` to send it. (A timer only then: most clients leave
        // with nothing left to send.)
        rt::yield_now().await;
        let mut writer = writer;
        let left = writing.queued.borrow().len() + writing.sending.get();
        if left == 0 {
            let _ = writer.await;
        } else if rt::timeout(LINGER, &mut writer).await.is_err() {
            writer.abort(); // its socket, and our end of the connection, close with it
            let mut room = room.borrow_mut();
            room.stats.lingered += 1;
            room.log(format_args!(
                "{peer} left with {left} bytes queued, not sent within {LINGER:?}: closed"
            ));
        }
    }

    /// Accepts connections, a reader task (and a writer task) for each. A failed accept never
    /// ends it: a connection gone before it was taken (`ECONNABORTED`) is skipped; any other
    /// failure (out of descriptors: `EMFILE`, `ENFILE`) concerns the whole process and would
    /// fail again at once, so it pauses, 10 ms at first, doubling while accepts keep failing,
    /// up to 1 s, while new connections wait in the listen queue. A run of failures is logged
    /// when it starts and when it ends.
    async fn accept_loop(listener: TcpListener, room: Rc<RefCell<Room>>, live: Rc<WaitGroup>) {
        let mut failing: Option<(Duration, u32, Duration)> = None; // since, count, pause
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    if let Some((since, failed, _)) = failing.take() {
                        room.borrow().log(format_args!(
                            "accepting again after {failed} failed accepts in {:.1?}",
                            rt::now() - since
                        ));
                    }
                    let live = live.add();
                    let room = room.clone();
                    drop(rt::spawn_named(format!("chat client {peer}"), async move {
                        serve_client(room, stream, peer).await;
                        drop(live);
                    }));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    room.borrow()
                        .log(format_args!("accept: {e}; that connection was gone"));
                }
                Err(e) => {
                    let pause = match &mut failing {
                        None => {
                            room.borrow().log(format_args!(
                                "accept failed: {e}; pausing (from 10 ms up to 1 s) and trying \
                                 again while it fails; new connections wait in the listen queue"
                            ));
                            failing.insert((rt::now(), 1, Duration::from_millis(10))).2
                        }
                        Some((_, failed, pause)) => {
                            *failed += 1;
                            *pause = (*pause * 2).min(Duration::from_secs(1));
                            *pause
                        }
                    };
                    rt::sleep(pause).await;
                }
            }
        }
    }

    /// A running chat server, on the loop that started it.
    pub struct Server {
        room: Rc<RefCell<Room>>,
        acceptor: JoinHandle<()>,
        live: Rc<WaitGroup>,
        addr: SocketAddr,
    }

    impl Server {
        /// Starts serving `listener` on the loop running this thread; `log` prints what
        /// happens (joins, leaves, odd clients) as `[server] ...` lines.
        pub fn start(listener: TcpListener, log: bool) -> io::Result<Server> {
            let addr = listener.local_addr()?;
            let room = Rc::new(RefCell::new(Room {
                clients: BTreeMap::new(),
                next_id: 1,
                started: rt::now(),
                max_backlog: DEFAULT_MAX_BACKLOG,
                log,
                stats: Stats::default(),
            }));
            let live = Rc::new(WaitGroup::default());
            let acceptor = rt::spawn_named(
                "chat acceptor",
                accept_loop(listener, room.clone(), live.clone()),
            );
            Ok(Server {
                room,
                acceptor,
                live,
                addr,
            })
        }

        pub fn addr(&self) -> SocketAddr {
            self.addr
        }

        pub fn stats(&self) -> Stats {
            self.room.borrow().stats
        }

        pub fn set_log(&self, log: bool) {
            self.room.borrow_mut().log = log;
        }

        pub fn set_max_backlog(&self, bytes: usize) {
            self.room.borrow_mut().max_backlog = bytes;
        }

        /// The names of the clients in the room.
        pub fn online(&self) -> Vec<String> {
            let room = self.room.borrow();
            room.names().map(|(_, n)| n.to_string()).collect()
        }

        /// Stops: no new connections; every client is told, sent what is queued for it and
        /// disconnected; returns when every client task has ended.
        pub async fn stop(self) -> Stats {
            self.acceptor.abort(); // its future, the listener with it, is dropped
            let _ = self.acceptor.await;
            {
                let mut room = self.room.borrow_mut();
                room.log("stopping: saying goodbye to everyone");
                for client in std::mem::take(&mut room.clients).into_values() {
                    client.outbox.push("* The server is shutting down. Bye!");
                    client.outbox.close();
                    // Its reader sees the end of the stream; its writer still sends.
                    let _ = client.stream.shutdown(Shutdown::Read);
                }
            }
            self.live.wait().await;
            self.room.borrow().stats
        }
    }
}

/// A client of the demo, on the loop: connects, says its name, and prints what it says
/// (`>`) and hears (`<`).
struct Person {
    name: &'static str,
    stream: Rc<TcpStream>,
    lines: LineReader,
}

/// How long a demo client waits for a line before it calls the demo failed.
const PATIENCE: Duration = Duration::from_secs(5);

impl Person {
    async fn join(addr: SocketAddr, name: &'static str) -> io::Result<Person> {
        let mut person = Person::connect(addr, name).await?;
        person.hear().await?; // "Welcome ... What is your name?"
        person.say(name).await?;
        person.hear().await?; // "Hello NAME ..."
        Ok(person)
    }

    async fn connect(addr: SocketAddr, name: &'static str) -> io::Result<Person> {
        let stream = Rc::new(TcpStream::connect(addr).await?);
        Ok(Person {
            name,
            lines: LineReader::new(stream.clone()),
            stream,
        })
    }

    async fn say(&self, text: &str) -> io::Result<()> {
        println!("  {:<7} > {text}", self.name);
        self.stream.write_all(format!("{text}\n").as_bytes()).await
    }

    /// Sends raw bytes (the misbehaving clients).
    async fn send_raw(&self, bytes: &[u8], shown: &str) -> io::Result<()> {
        println!("  {:<7} > {shown}", self.name);
        self.stream.write_all(bytes).await
    }

    /// The next line, quietly; `None` when the server closed the connection.
    async fn next_line(&mut self) -> io::Result<Option<String>> {
        match rt::timeout(PATIENCE, self.lines.read_line()).await {
            Ok(line) => Ok(line?.map(|l| String::from_utf8_lossy(&l).into_owned())),
            Err(rt::Elapsed) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{} heard nothing for {PATIENCE:?}", self.name),
            )),
        }
    }

    /// The next line, printed.
    async fn hear(&mut self) -> io::Result<String> {
        match self.next_line().await? {
            Some(line) => {
                println!("  {:<7} < {line}", self.name);
                Ok(line)
            }
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the server closed {}'s connection", self.name),
            )),
        }
    }

    /// Expects the server to close the connection next.
    async fn hear_close(&mut self) -> io::Result<()> {
        match self.next_line().await? {
            None => {
                println!("  {:<7}   (the server closed the connection)", self.name);
                Ok(())
            }
            Some(line) => Err(io::Error::other(format!(
                "{} expected the end, got {line:?}",
                self.name
            ))),
        }
    }
}

/// Reads alice's paste: lines `alice: paste #N ...`, in order, up to `alice: paste done`.
/// Returns how many there were and the other lines heard meanwhile.
async fn read_paste(mut p: Person) -> io::Result<(Person, usize, Vec<String>)> {
    let (mut got, mut other) = (0, Vec::new());
    loop {
        let line = p.next_line().await?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} was cut off", p.name),
            )
        })?;
        if line == "alice: paste done" {
            return Ok((p, got, other));
        } else if line.starts_with("alice: paste #") {
            if !line.starts_with(&format!("alice: paste #{got:05} ")) {
                return Err(io::Error::other(format!(
                    "{} got {line:.40?} out of order",
                    p.name
                )));
            }
            got += 1;
        } else {
            other.push(line);
        }
    }
}

/// The scripted demo, as a task next to the server's on the same loop.
async fn demo() -> io::Result<()> {
    let server = Server::start(TcpListener::bind("127.0.0.1:0")?, true)?;
    let addr = server.addr();
    println!("Chat server on {addr}: one thread running the loop; per client a reader task and a");
    println!("writer task with its own queue. The demo's clients run on the same loop.");
    println!(
        "(`>` is what a client sends, `<` what it receives, [server] what the server logs.)\n"
    );

    println!("1. Three people join and talk; the bot answers commands, to the one who asked.\n");
    let mut alice = Person::join(addr, "alice").await?;
    let mut bob = Person::join(addr, "bob").await?;
    alice.hear().await?;
    let mut carol = Person::join(addr, "carol").await?;
    alice.hear().await?;
    bob.hear().await?;
    alice.say("hello, everyone!").await?;
    bob.hear().await?;
    carol.hear().await?;
    bob.say("/who").await?;
    bob.hear().await?;
    carol.say("/time").await?;
    carol.hear().await?;
    carol.say("/help").await?;
    carol.hear().await?;
    bob.say("/nick robert").await?;
    bob.hear().await?;
    alice.hear().await?;
    carol.hear().await?;
    bob.name = "robert";

    println!("\n2. A client that reads nothing never slows the others down.\n");
    let mut dave = Person::join(addr, "dave").await?;
    alice.hear().await?;
    bob.hear().await?;
    carol.hear().await?;
    const BATCH: usize = 500;
    println!("  (dave stops reading. alice pastes lines of 1 KiB, {BATCH} at a time, until the");
    println!("   server gives up on dave; robert and carol read along)");
    let started = Instant::now();
    let bob_reads = rt::spawn(read_paste(bob));
    let carol_reads = rt::spawn(read_paste(carol));
    let mut pasted = 0;
    // The operating system's socket buffers take a few MiB before dave's queue even starts
    // to grow; give up after 64 MiB.
    while server.stats().kicked == 0 && pasted < 64 * 1024 {
        let mut batch = Vec::with_capacity(BATCH * 1024);
        for n in pasted..pasted + BATCH {
            batch.extend_from_slice(format!("paste #{n:05} {:x<1003}\n", "").as_bytes());
        }
        alice.stream.write_all(&batch).await?;
        pasted += BATCH;
    }
    alice.stream.write_all(b"paste done\n").await?;
    let (bob, bob_got, bob_other) = bob_reads.await.expect("bob's task")?;
    let (carol, carol_got, carol_other) = carol_reads.await.expect("carol's task")?;
    let took = started.elapsed();
    if (bob_got, carol_got) != (pasted, pasted) {
        return Err(io::Error::other(format!(
            "pasted {pasted} lines; robert got {bob_got}, carol {carol_got}"
        )));
    }
    println!(
        "  alice pasted {pasted} lines ({:.1} MiB); robert and carol each got all of them, in \
         order,\n  in {took:.0?}.",
        pasted as f64 / 1024.0
    );
    for (who, other) in [(&bob, &bob_other), (&carol, &carol_other)] {
        for line in other {
            println!("  {:<7} < {line}   (heard during the paste)", who.name);
        }
    }
    alice.hear().await?; // dave left
    let (mut bob, mut carol) = (bob, carol);
    let mut missed = 0;
    while let Some(line) = dave.next_line().await? {
        missed += usize::from(line.starts_with("alice: paste"));
    }
    println!(
        "  {:<7}   (reads at last: {missed} paste lines had got into the socket buffers before",
        dave.name
    );
    println!("             the server hung up on it; then its connection ends)");

    println!("\n3. Clients that misbehave: the others are served as if nothing happened.\n");
    let mut eve = Person::join(addr, "eve").await?;
    for p in [&mut alice, &mut bob, &mut carol] {
        p.hear().await?;
    }
    eve.send_raw(
        b"caf\xe9 au lait\n",
        "caf\\xe9 au lait   (\\xe9 is Latin-1's é: not UTF-8)",
    )
    .await?;
    eve.hear().await?;
    for p in [&mut alice, &mut bob, &mut carol] {
        p.hear().await?;
    }
    let mallory = Person::join(addr, "mallory").await?;
    for p in [&mut alice, &mut bob, &mut carol, &mut eve] {
        p.hear().await?;
    }
    mallory
        .send_raw(
            b"I was just about to say someth",
            "I was just about to say someth   (no newline; then hangs up)",
        )
        .await?;
    drop(mallory);
    for p in [&mut alice, &mut bob, &mut carol, &mut eve] {
        p.hear().await?;
    }
    alice.say("still here?").await?;
    for p in [&mut bob, &mut carol, &mut eve] {
        p.hear().await?;
    }

    println!("\n4. alice quits; the others just hang up.\n");
    alice.say("/quit").await?;
    alice.hear().await?;
    alice.hear_close().await?;
    for p in [&mut bob, &mut carol, &mut eve] {
        p.hear().await?;
    }
    drop((bob, carol, eve));
    while !server.online().is_empty() {
        rt::sleep(Duration::from_millis(1)).await; // let the server see them go
    }

    const CROWD: usize = 100;
    println!(
        "\n5. A crowd: {CROWD} clients join, each says one line, each must hear all the others."
    );
    server.set_log(false);
    let started = Instant::now();
    let joining: Vec<JoinHandle<io::Result<Person>>> = (0..CROWD)
        .map(|n| {
            let name: &'static str = format!("c{n:03}").leak();
            rt::spawn(async move {
                let mut p = Person::connect(addr, name).await?;
                p.next_line().await?;
                p.stream.write_all(format!("{name}\n").as_bytes()).await?;
                p.next_line().await?;
                Ok(p)
            })
        })
        .collect();
    let mut crowd = Vec::new();
    for j in joining {
        crowd.push(j.await.expect("a joining task")?);
    }
    let joined = started.elapsed();
    let talking: Vec<_> = crowd
        .into_iter()
        .map(|p| {
            rt::spawn(async move {
                p.stream
                    .write_all(format!("hi from {} #0000\n", p.name).as_bytes())
                    .await?;
                let mut heard = 0;
                let mut p = p;
                while heard < CROWD - 1 {
                    match p.next_line().await? {
                        Some(line) if line.contains(": hi from c") => heard += 1,
                        Some(_) => {} // "* cNNN joined"
                        None => return Err(io::Error::other("cut off")),
                    }
                }
                Ok::<_, io::Error>((p, heard))
            })
        })
        .collect();
    let mut crowd = Vec::new();
    let mut deliveries = 0;
    for t in talking {
        let (p, heard) = t.await.expect("a talking task")?;
        deliveries += heard;
        crowd.push(p);
    }
    println!(
        "   all {CROWD} joined in {joined:.0?}; {deliveries} lines delivered ({CROWD} x {}) in {:.0?} \
         in all,\n   by one thread that also ran the {CROWD} clients.",
        CROWD - 1,
        started.elapsed()
    );

    println!("\n6. Stopping the server with the crowd still connected.\n");
    server.set_log(true);
    let stats = server.stop().await;
    let mut goodbyes = 0;
    for p in &mut crowd {
        while let Some(line) = p.next_line().await? {
            goodbyes += usize::from(line.contains("shutting down"));
        }
    }
    println!(
        "  {goodbyes} of {CROWD} clients heard the goodbye, then the end of their connection."
    );
    println!(
        "\nThe server's counts: {} connections, {} lines broadcast, {} lines delivered, {} \
         commands\nanswered, {} line(s) of bad UTF-8 passed on, {} unfinished line(s) dropped, {} \
         client(s) let go\nfor falling behind.",
        stats.connections,
        stats.lines,
        stats.deliveries,
        stats.commands,
        stats.invalid_utf8,
        stats.unfinished,
        stats.kicked
    );
    println!(
        "\nOne thread served every client; no client ever waited for another. A broadcast only"
    );
    println!("queued lines and woke writer tasks; each writer waited on its own socket.");
    Ok(())
}

/// `server [ADDR]`: serves until Ctrl-C.
fn run_server(addr: SocketAddr) -> io::Result<()> {
    rt::block_on(async {
        let server = Server::start(TcpListener::bind(addr)?, true)?;
        let addr = server.addr();
        println!("Chat server on {addr}, one thread. Ctrl-C stops it.");
        println!(
            "Try: cargo run --example chat_server -- client {addr}   (or: nc {} {})",
            addr.ip(),
            addr.port()
        );
        std::future::pending::<()>().await;
        Ok(())
    })
}

/// `client [ADDR]`: one task prints what the server sends; the lines typed on stdin, read on
/// the blocking pool (stdin has no non-blocking read), go to the server.
fn run_client(addr: SocketAddr) -> io::Result<()> {
    rt::block_on(async {
        let stream = TcpStream::connect(addr).await.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot connect to {addr} ({e}); is `chat_server -- server {addr}` running?"
                ),
            )
        })?;
        let stream = Rc::new(stream);
        let mut lines = LineReader::new(stream.clone());
        let printer = rt::spawn(async move {
            while let Ok(Some(line)) = lines.read_line().await {
                println!("{}", String::from_utf8_lossy(&line));
            }
        });
        let done = Rc::new(Cell::new(false));
        let typist = rt::spawn({
            let (stream, done) = (stream.clone(), done.clone());
            async move {
                loop {
                    // Bytes, not a String: what is typed is passed on as it is, UTF-8 or not.
                    let line = rt::spawn_blocking(|| {
                        let mut line = Vec::new();
                        io::stdin()
                            .lock()
                            .read_until(b'\n', &mut line)
                            .map(|_| line)
                    })
                    .await;
                    match line {
                        Ok(Ok(mut line)) if !line.is_empty() => {
                            if line.last() != Some(&b'\n') {
                                line.push(b'\n');
                            }
                            if stream.write_all(&line).await.is_err() {
                                break;
                            }
                        }
                        _ => break, // Ctrl-D
                    }
                }
                done.set(true);
                let _ = stream.shutdown(Shutdown::Write); // the server sees us leave
            }
        });
        let _ = printer.await;
        if !done.get() {
            println!("(the server closed the connection)");
        }
        typist.abort(); // it may be waiting for stdin
        Ok(())
    })
}

/// Parses ADDR and insists on loopback: this example does not talk to the network.
fn loopback(arg: Option<String>) -> io::Result<SocketAddr> {
    let text = arg.unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let addr: SocketAddr = text
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{text:?}: {e}")))?;
    if !addr.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{addr} is not a loopback address; use 127.0.0.1:PORT"),
        ));
    }
    Ok(addr)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        None => rt::block_on(demo()),
        Some("server") => loopback(args.next()).and_then(run_server),
        Some("client") => loopback(args.next()).and_then(run_client),
        Some(other) => {
            eprintln!("unknown mode {other:?}; usage: chat_server [server [ADDR] | client [ADDR]]");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("chat_server: {e}");
        std::process::exit(1);
    }
}
