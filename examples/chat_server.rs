//! `chat_server`: a chat room on 127.0.0.1, with a bot — one thread, one task per client.
//!
//! Each client's task reads its lines and hands them to the room, and, at the same time, writes
//! it what the room has queued for it. The room is plain shared state (`Rc<RefCell<Room>>`: one
//! thread, so no locks) holding each client's queue, an `async_channel` (asyncio's `Queue`).
//! Broadcasting a line only puts it in the other clients' queues; it never waits for a socket.
//! So a client that reads slowly, or not at all, delays nobody: its own queue grows, and once
//! it is more than `max_backlog` bytes behind the server disconnects it, so one stuck client
//! cannot make the server hold unbounded memory either.
//!
//! Nothing here is a home-made tool: the lines are read by `futures::io`'s `BufReader` and
//! `read_until` over rt's `TcpStream` (which implements `AsyncRead`/`AsyncWrite`), written
//! through a `BufWriter`, queued in `async_channel`s; the clients' tasks are an
//! [`rt::TaskGroup`], which `Server::stop` awaits; the demo's clients read with
//! `AsyncBufReadExt::lines` on a `split` stream; `server` mode stops on [`rt::ctrl_c`].
//!
//! A line that is not valid UTF-8 is passed on with the bad bytes replaced by `�` (and the
//! sender is told); a client that hangs up in the middle of a line has the unfinished line
//! dropped; the others never notice either. Lines starting with `/` go to the bot: `/help`,
//! `/who`, `/time`, `/nick NAME`, `/quit`.
//!
//! What it takes to hold up: every resource a client can make the server hold has a bound, and
//! each bound says what happens at it (the constants are in `chat`). Bytes without a newline
//! are kept up to `MAX_LINE` (4 KiB), then passed on as a line of that length: a flood without
//! newlines costs 4 KiB, not the flood. What is queued for a client is at most `max_backlog`
//! (256 KiB) plus a line (and its writer's 8 KiB buffer); a client further behind is
//! disconnected (`* NAME left (too far behind)`). The lines still queued for a client that
//! leaves get `LINGER` (5 s) to go out; then its connection is closed with them unsent (a
//! client that half-closes and never reads would otherwise hold a task and a descriptor for
//! ever, and `Server::stop` would wait for it). A reset, mid-read or mid-write, ends that
//! client's task; nobody else notices. A failed `accept` is skipped (`ECONNABORTED`) or logged
//! and waited out (`EMFILE`, `ENFILE`: 10 ms, doubling up to 1 s, while new connections wait in
//! the listen queue), and serving resumes. An idle client costs a descriptor and a parked task
//! (about 8 KiB), and no CPU. A line broadcast is one allocation shared by every queue it is
//! in. `tests/stress_chat.rs` runs the server through all of this as a separate process.
//!
//! Python's asyncio version of the shape:
//! ```python
//! async def handle(reader, writer):
//!     queue = asyncio.Queue()
//!     async def write_loop():
//!         while (line := await queue.get()) is not None:
//!             writer.write(line); await writer.drain()
//!     room.join(queue)
//!     async with asyncio.TaskGroup() as both:
//!         both.create_task(write_loop())
//!         while line := await reader.readline():
//!             room.broadcast(line.decode(errors="replace"), exclude=queue)  # put_nowait
//!         room.leave(queue); queue.put_nowait(None)
//!
//! async def main():
//!     server = await asyncio.start_server(handle, "127.0.0.1", 7008)
//!     loop.add_signal_handler(signal.SIGINT, server.close)
//!     await server.wait_closed()
//! ```
//!
//! Modes:
//! * `cargo run --example chat_server` — starts the server on the loop and runs a scripted
//!   demo against it with clients written on the same loop (about one second), then stops it;
//! * `cargo run --example chat_server -- server [ADDR]` — serves on ADDR (default
//!   `127.0.0.1:7008`; port 0 picks a free one) until Ctrl-C, then says goodbye to everyone and
//!   stops; its first line of output names the address;
//! * `cargo run --example chat_server -- client [ADDR]` — an interactive client: the lines you
//!   type go to the room, what the room says is printed (Ctrl-D to leave). `nc 127.0.0.1 7008`
//!   works too.
//!
//! Only loopback addresses are accepted.
use std::cell::Cell;
use std::io::{self, BufRead};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines, ReadHalf, WriteHalf,
};
use futures::StreamExt;
use resumable::rt::net::{TcpListener, TcpStream};
use resumable::rt::{self, JoinHandle};

use chat::Server;

const DEFAULT_ADDR: &str = "127.0.0.1:7008";

/// The chat server: the room, the bot, and the tasks that serve each client. Self-contained, so
/// a test can `mod` it in (`#[path = "../examples/chat_server.rs"]`) and drive a `Server`.
pub mod chat {
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;
    use std::io;
    use std::net::{Shutdown, SocketAddr};
    use std::pin::pin;
    use std::rc::Rc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use async_channel::{Receiver, Sender};
    use futures::future::{self, Either};
    use futures::io::{
        AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter,
    };
    use resumable::rt::net::{TcpListener, TcpStream};
    use resumable::rt::{self, JoinHandle, TaskGroup};

    /// The longest line the server reads; a longer one (or a stream of bytes without a
    /// newline) is cut into lines of at most this length (at a character boundary), each
    /// passed on as a line of its own. So a client's unread bytes cost the server at most this
    /// much plus its reader's buffer, however long it goes without a newline.
    pub const MAX_LINE: usize = 4096;
    /// How far (in bytes queued for it) a client may fall behind before it is disconnected.
    pub const DEFAULT_MAX_BACKLOG: usize = 256 * 1024;
    /// How long the lines still queued for a client that has left (or that the server is
    /// letting go as it stops) may take to be sent; then its connection is closed with them
    /// unsent. Without it, a client that half-closes and never reads would keep its task
    /// waiting, and its descriptor open, for ever (and `Server::stop` waiting for it).
    pub const LINGER: Duration = Duration::from_secs(5);
    /// The longest name; names keep letters, digits, `-` and `_`.
    const MAX_NAME: usize = 16;

    /// The next line from `reader`, without its line ending (`\n`, or `\r\n`); `None` at the
    /// end of the stream. `futures::io`'s `read_until` does the reading, under `take` so that a
    /// line is at most `MAX_LINE` bytes: a longer one is cut before a character that would
    /// straddle the cut, whose first bytes are kept in `pending` for the next line. At the end
    /// of the stream, `pending` holds what came after the last line ending: an unfinished line.
    pub async fn next_line(
        reader: &mut (impl AsyncBufRead + Unpin),
        pending: &mut Vec<u8>,
    ) -> io::Result<Option<Vec<u8>>> {
        let mut line = std::mem::take(pending);
        let room = (MAX_LINE - line.len()) as u64;
        reader.take(room).read_until(b'\n', &mut line).await?;
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(line));
        }
        if line.len() < MAX_LINE {
            *pending = line; // the stream ended in the middle of a line
            return Ok(None);
        }
        // Cut before a UTF-8 continuation byte, not in the middle of a character (unless it
        // is not UTF-8 at all).
        let cut = (MAX_LINE - 3..MAX_LINE)
            .rev()
            .find(|&i| line[i] & 0xC0 != 0x80)
            .filter(|&i| line[i] >= 0xC0 && i + utf8_width(line[i]) > MAX_LINE)
            .unwrap_or(MAX_LINE);
        *pending = line.split_off(cut);
        Ok(Some(line))
    }

    /// How many bytes the UTF-8 character starting with `first` takes.
    fn utf8_width(first: u8) -> usize {
        match first {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
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
        /// Its queue: the lines for it, each with its `\n`. Unbounded, but see `backlog`.
        outbox: Sender<Rc<str>>,
        /// Bytes in `outbox`, not yet taken by its writer.
        backlog: Rc<Cell<usize>>,
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
            self.send_shared(id, &Rc::from(format!("{line}\n")));
        }

        /// Queues `line` (which ends with its `\n`) for the client `id`.
        fn send_shared(&mut self, id: u64, line: &Rc<str>) {
            let Some(client) = self.clients.get_mut(&id) else {
                return;
            };
            if client.outbox.try_send(line.clone()).is_err() {
                return; // closed: it is leaving
            }
            let backlog = client.backlog.get() + line.len();
            client.backlog.set(backlog);
            if backlog > self.max_backlog {
                client.leaving = true;
                client.kicked = true;
                client.outbox.close();
                // Wakes its reader (which sees the end of the stream); its writer fails.
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

        /// Queues `line` for every named client but `except`: one allocation, shared by every
        /// queue it is put in.
        fn broadcast(&mut self, except: Option<u64>, line: &str) {
            let to: Vec<u64> = self
                .names()
                .map(|(id, _)| id)
                .filter(|&id| Some(id) != except)
                .collect();
            let line: Rc<str> = Rc::from(format!("{line}\n"));
            for &id in &to {
                self.send_shared(id, &line);
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

        /// The client `id` sent a line: its name, if it has none yet, or something to say.
        /// Returns whether it stays (not if it quit, was let go, or the server is stopping).
        fn heard(&mut self, id: u64, line: Vec<u8>, peer: SocketAddr) -> bool {
            let Some(client) = self.clients.get(&id) else {
                return false; // the server is stopping
            };
            if client.name.is_none() {
                self.join(id, &line, peer);
            } else {
                self.said(id, line);
            }
            self.clients.get(&id).is_some_and(|c| !c.leaving)
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

    /// Writes the client what its queue gets, through a `BufWriter` (the lines waiting are
    /// written together, and flushed when none are left), until the queue is closed and empty;
    /// then closes the sending half of the connection. If the connection fails (a reset, say),
    /// the queue is closed and the connection shut down both ways, which ends the client's
    /// reader too.
    async fn write_loop(stream: &TcpStream, queue: Receiver<Rc<str>>, backlog: &Cell<usize>) {
        let mut out = BufWriter::new(stream);
        while let Ok(line) = queue.recv().await {
            backlog.set(backlog.get() - line.len());
            let mut written = out.write_all(line.as_bytes()).await;
            if written.is_ok() && queue.is_empty() {
                written = out.flush().await;
            }
            if written.is_err() {
                queue.close(); // gone: nothing more will get through
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
        if out.flush().await.is_ok() {
            let _ = stream.shutdown(Shutdown::Write);
        }
    }

    /// Reads the client's lines — its name first — and hands them to the room, until it
    /// leaves; returns why, for the room's goodbye.
    async fn read_loop(
        room: &RefCell<Room>,
        id: u64,
        stream: &TcpStream,
        peer: SocketAddr,
    ) -> &'static str {
        let mut reader = BufReader::new(stream);
        let mut pending = Vec::new();
        let why = loop {
            let line = match next_line(&mut reader, &mut pending).await {
                Ok(Some(line)) => line,
                Ok(None) => break "",
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break "",
                Err(_) => break " (error)",
            };
            if !room.borrow_mut().heard(id, line, peer) {
                break "";
            }
            // A line read from the buffer does not wait, so without this a client that sends
            // fast would keep the thread for as long as it keeps sending, and its lines would
            // pile up in the others' queues before their writers could run. One line, then
            // everyone else's turn (asyncio reads one chunk per socket per turn).
            rt::yield_now().await;
        };
        let mut room = room.borrow_mut();
        let kicked = room.clients.get(&id).is_some_and(|c| c.kicked);
        if !pending.is_empty() && !kicked {
            room.stats.unfinished += 1;
            room.log(format_args!(
                "{} hung up in the middle of a line: {} bytes dropped ({:?})",
                room.name(id),
                pending.len(),
                String::from_utf8_lossy(&pending)
            ));
        }
        if kicked {
            " (too far behind)"
        } else {
            why
        }
    }

    /// One client: its reader and its writer, side by side in one task. When the reader ends
    /// the client leaves the room, which closes its queue; the writer then sends what is left,
    /// within `LINGER`.
    async fn serve_client(room: Rc<RefCell<Room>>, stream: TcpStream, peer: SocketAddr) {
        let stream = Rc::new(stream);
        let (outbox, queue) = async_channel::unbounded();
        let backlog = Rc::new(Cell::new(0));
        let id = {
            let mut room = room.borrow_mut();
            let id = room.next_id;
            room.next_id += 1;
            room.stats.connections += 1;
            room.clients.insert(
                id,
                Client {
                    name: None,
                    outbox,
                    backlog: backlog.clone(),
                    stream: stream.clone(),
                    leaving: false,
                    kicked: false,
                },
            );
            let online = room.names().count();
            room.send(
                id,
                &format!("* Welcome to the resumable chat ({online} online). What is your name?"),
            );
            id
        };
        let reading = pin!(read_loop(&room, id, &stream, peer));
        let writing = pin!(write_loop(&stream, queue, &backlog));
        let (why, writing) = match future::select(reading, writing).await {
            Either::Left((why, writing)) => (why, Some(writing)),
            // The connection failed and is shut down: the reader is about to end too.
            Either::Right(((), reading)) => (reading.await, None),
        };
        room.borrow_mut().leave(id, why);
        if let Some(writing) = writing {
            if rt::timeout(LINGER, writing).await.is_err() {
                // Dropped here, and the connection with it, with lines unsent.
                let mut room = room.borrow_mut();
                room.stats.lingered += 1;
                room.log(format_args!(
                    "{peer} left with {} bytes queued, not sent within {LINGER:?}: closed",
                    backlog.get()
                ));
            }
        }
    }

    /// Accepts connections for ever, a task in `clients` for each. A failed accept never ends
    /// it: a connection gone before it was taken (`ECONNABORTED`) is skipped; any other
    /// failure (out of descriptors: `EMFILE`, `ENFILE`) concerns the whole process and would
    /// fail again at once, so it pauses, 10 ms at first, doubling while accepts keep failing,
    /// up to 1 s, while new connections wait in the listen queue. A run of failures is logged
    /// when it starts and when it ends.
    async fn accept_loop(
        listener: TcpListener,
        room: &Rc<RefCell<Room>>,
        clients: &mut TaskGroup<()>,
    ) {
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
                    // The results of the clients that have left: not kept, nobody needs them.
                    while clients.try_join_next().is_some() {}
                    clients.spawn_named(
                        format!("chat client {peer}"),
                        serve_client(room.clone(), stream, peer),
                    );
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

    /// The server's own task: accepts until told to stop (or until its `Server` is dropped),
    /// then says goodbye to everyone and waits for every client's task to end.
    async fn run(listener: TcpListener, room: Rc<RefCell<Room>>, stop: Receiver<()>) -> Stats {
        let mut clients = TaskGroup::new();
        {
            let accepting = pin!(accept_loop(listener, &room, &mut clients));
            // `recv` fails once the `Server` closes (or drops) the sending side.
            future::select(accepting, pin!(stop.recv())).await;
        } // the listener is dropped with `accepting`: no new connections
        {
            let mut room = room.borrow_mut();
            room.log("stopping: saying goodbye to everyone");
            for id in room.clients.keys().copied().collect::<Vec<_>>() {
                room.send(id, "* The server is shutting down. Bye!");
            }
            for client in std::mem::take(&mut room.clients).into_values() {
                client.outbox.close();
                // Its reader sees the end of the stream; its writer still sends.
                let _ = client.stream.shutdown(Shutdown::Read);
            }
        }
        clients.join_all().await;
        let stats = room.borrow().stats;
        stats
    }

    /// A running chat server, on the loop that started it. Dropping it stops it, as
    /// [`Server::stop`] does, without waiting.
    pub struct Server {
        room: Rc<RefCell<Room>>,
        stop: Sender<()>,
        task: JoinHandle<Stats>,
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
            let (stop, stopped) = async_channel::bounded(1);
            let task = rt::spawn_named("chat server", run(listener, room.clone(), stopped));
            Ok(Server {
                room,
                stop,
                task,
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
        /// disconnected; returns when every client's task has ended.
        pub async fn stop(self) -> Stats {
            self.stop.close();
            self.task.await.expect("the server's task does not panic")
        }
    }
}

/// A client of the demo, on the loop: connects, says its name, and prints what it says
/// (`>`) and hears (`<`). Its connection is `split` into halves (`futures::io`), a line reader
/// on one and a writer on the other, as asyncio's `open_connection` gives `reader, writer`.
struct Person {
    name: &'static str,
    lines: Lines<BufReader<ReadHalf<TcpStream>>>,
    writer: WriteHalf<TcpStream>,
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
        let (reader, writer) = TcpStream::connect(addr).await?.split();
        Ok(Person {
            name,
            lines: BufReader::new(reader).lines(),
            writer,
        })
    }

    async fn say(&mut self, text: &str) -> io::Result<()> {
        println!("  {:<7} > {text}", self.name);
        self.writer.write_all(format!("{text}\n").as_bytes()).await
    }

    /// Sends raw bytes (the misbehaving clients).
    async fn send_raw(&mut self, bytes: &[u8], shown: &str) -> io::Result<()> {
        println!("  {:<7} > {shown}", self.name);
        self.writer.write_all(bytes).await
    }

    /// The next line, quietly; `None` when the server closed the connection.
    async fn next_line(&mut self) -> io::Result<Option<String>> {
        match rt::timeout(PATIENCE, self.lines.next()).await {
            Ok(line) => line.transpose(),
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
    println!("Chat server on {addr}: one thread running the loop; per client one task that reads");
    println!("its lines and writes it its queue. The demo's clients run on the same loop.");
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
        alice.writer.write_all(&batch).await?;
        pasted += BATCH;
    }
    alice.writer.write_all(b"paste done\n").await?;
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
    let mut mallory = Person::join(addr, "mallory").await?;
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
                p.writer.write_all(format!("{name}\n").as_bytes()).await?;
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
        .map(|mut p| {
            rt::spawn(async move {
                p.writer
                    .write_all(format!("hi from {} #0000\n", p.name).as_bytes())
                    .await?;
                let mut heard = 0;
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
    println!("queued lines and woke their writers; each writer waited on its own socket.");
    Ok(())
}

/// `server [ADDR]`: serves until Ctrl-C, then stops the server: everyone is told and sent
/// what is queued for them.
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
        rt::ctrl_c().await?;
        println!("\nCtrl-C: stopping.");
        let stats = server.stop().await;
        println!(
            "Stopped after {} connections and {} lines broadcast.",
            stats.connections, stats.lines
        );
        Ok(())
    })
}

/// `client [ADDR]`: one task prints what the server sends; the lines typed on stdin, read on
/// the blocking pool (stdin has no non-blocking read: asyncio's `run_in_executor`), go to the
/// server.
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
        let (reader, mut writer) = stream.split();
        let printer = rt::spawn(async move {
            let mut lines = BufReader::new(reader).lines();
            while let Some(Ok(line)) = lines.next().await {
                println!("{line}");
            }
        });
        let done = Rc::new(Cell::new(false));
        let typing = done.clone();
        let typist = rt::spawn(async move {
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
                        if writer.write_all(&line).await.is_err() {
                            break;
                        }
                    }
                    _ => break, // Ctrl-D
                }
            }
            typing.set(true);
            let _ = writer.close().await; // the server sees us leave
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
