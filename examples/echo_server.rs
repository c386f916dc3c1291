//! `echo_server`: many TCP clients served by one thread of generator tasks.
//!
//! Every connection gets its own task, written as straight-line blocking-looking code —
//! read, write back, repeat — yet no task ever blocks the thread. When a socket has no data,
//! `sys::read` yields `Syscall::Readable(fd)` and the kernel parks the task until the operating
//! system says the socket is readable (epoll/kqueue through the `polling` crate); meanwhile
//! it runs the others. One thread, one poller, as many connections as there are descriptors.
//!
//! Python, after Beazley's `pyos8.py` (2009):
//! ```python
//! def handle_client(client, addr):
//!     while True:
//!         yield ReadWait(client)
//!         data = client.recv(65536)
//!         if not data:
//!             break
//!         yield WriteWait(client)
//!         client.send(data)
//!     client.close()
//!
//! def server(port):
//!     sock = socket(AF_INET, SOCK_STREAM)
//!     sock.bind(("127.0.0.1", port)); sock.listen(128)
//!     while True:
//!         yield ReadWait(sock)
//!         client, addr = sock.accept()
//!         yield NewTask(handle_client(client, addr))
//! ```
//! Here `sys::accept`, `sys::read` and `sys::write_all` do the waiting and the retrying, and are
//! called with `yield_from!`.
//!
//! What it takes to hold up (the same in any server): a connection's task is spawned
//! *detached*, so the kernel drops it and all it held as soon as it ends (a joinable task's
//! result would be kept for a join that never comes: 20,000 connections would leave about a
//! megabyte behind). A failed `accept` never stops the server: a connection gone before it
//! was taken (`ECONNABORTED`) is skipped; running out of descriptors (`EMFILE`, `ENFILE`) is
//! logged once and waited out, pausing 10 ms, doubling up to 1 s, while new connections wait
//! in the listen queue, and serving resumes as descriptors free up. An idle connection costs
//! one descriptor and a parked task with its 4 KiB buffer (about 5 KiB), and no CPU. A client
//! that sends without reading its echoes cannot make the server buffer more than that buffer:
//! once its socket is full the task waits to write and stops reading, and TCP's flow control
//! stops the client. A reset (`RST`) mid-read or mid-write ends just that task.
//! `tests/stress_echo.rs` runs the server through all of this as a separate process.
//!
//! Modes:
//! * `cargo run --example echo_server` — starts the server in a thread, runs 20 client threads
//!   against it at once, prints what each got back, then stops the server and exits;
//! * `cargo run --example echo_server -- server [ADDR]` — serves on ADDR (default
//!   `127.0.0.1:7007`; port 0 picks a free one) until Ctrl-C; its first line of output names
//!   the address;
//! * `cargo run --example echo_server -- client [ADDR]` — sends the lines you type, prints the
//!   echoes (Ctrl-D to quit). `nc 127.0.0.1 7007` works too.
//!
//! Only loopback addresses are accepted.
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use resumable::kernel::{sys, Cancelled, Error, Kernel, Reply, Syscall, Task, TaskId, TaskState};
use resumable::prelude::*;

const DEFAULT_ADDR: &str = "127.0.0.1:7007";
const CLIENTS: usize = 20;
const LINES: usize = 10;

/// What the server's tasks count, shared between them (one thread: `Rc` and `Cell` do).
#[derive(Default)]
struct Stats {
    open: Cell<usize>,
    peak: Cell<usize>,
    served: Cell<usize>,
    bytes: Cell<u64>,
}

/// Echoes what `stream` sends until it closes; returns the bytes echoed and the reads it took.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn echo(stream: &TcpStream) -> Result<(u64, u64), Error> {
    let mut buf = [0; 4096];
    let (mut bytes, mut reads) = (0, 0);
    loop {
        // Parks this task (only) until the socket is readable.
        let n = yield_from!(sys::read(stream, &mut buf))?;
        if n == 0 {
            return Ok((bytes, reads)); // the client closed its end
        }
        yield_from!(sys::write_all(stream, &buf[..n]))?;
        bytes += n as u64;
        reads += 1;
    }
}

/// One connection's task: echoes, then says how it went.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn handle(stream: TcpStream, peer: SocketAddr, stats: Rc<Stats>) -> Result<(), Cancelled> {
    let me = yield_from!(sys::get_id())?;
    let result = yield_from!(echo(&stream));
    stats.open.set(stats.open.get() - 1);
    stats.served.set(stats.served.get() + 1);
    match result {
        Ok((bytes, reads)) => {
            stats.bytes.set(stats.bytes.get() + bytes);
            println!(
                "[server] {:<3} {peer} closed: echoed {bytes} bytes in {reads} reads ({} open)",
                me.to_string(),
                stats.open.get()
            );
        }
        Err(e) => println!("[server] {:<3} {peer} failed: {e}", me.to_string()),
    }
    Ok(())
}

/// What the accept loop does after a failed `accept`: log it, pause, and try again.
///
/// A connection reset before it was taken (`ECONNABORTED`) concerns that connection only: the
/// next accept is tried at once. Anything else (out of descriptors, `EMFILE`/`ENFILE`; out of
/// memory) concerns the whole process and would fail again at once, so the loop pauses: 10 ms,
/// doubling while accepts keep failing, up to 1 s. New connections wait in the listen queue
/// meanwhile. A run of failures is logged when it starts and when it ends, not once per try.
#[derive(Default)]
struct AcceptTrouble {
    /// Failed accepts in the current run of failures, and when it started.
    failed: u32,
    since: Option<Instant>,
    pause: Duration,
}

impl AcceptTrouble {
    const FIRST_PAUSE: Duration = Duration::from_millis(10);
    const LONGEST_PAUSE: Duration = Duration::from_secs(1);

    /// Notes a failed accept; returns how long to pause before the next.
    fn failed(&mut self, e: &io::Error) -> Duration {
        if matches!(
            e.kind(),
            io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
        ) {
            println!("[server] accept: {e}; that connection was gone already");
            return Duration::ZERO;
        }
        self.failed += 1;
        if self.since.is_none() {
            self.since = Some(Instant::now());
            self.pause = Self::FIRST_PAUSE;
            println!(
                "[server] accept failed: {e}; pausing (from 10 ms up to 1 s) and trying again \
                 while it fails; new connections wait in the listen queue"
            );
        } else {
            self.pause = (self.pause * 2).min(Self::LONGEST_PAUSE);
        }
        self.pause
    }

    /// Notes an accept that worked: the end of a run of failures, if there was one.
    fn accepted(&mut self) {
        if let Some(since) = self.since.take() {
            println!(
                "[server] accepting again after {} failed accepts in {:.1?}",
                self.failed,
                since.elapsed()
            );
            self.failed = 0;
        }
    }
}

/// Accepts connections and spawns a `handle` task for each, until cancelled. A failed accept
/// never ends it (see [`AcceptTrouble`]).
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn server(listener: TcpListener, stats: Rc<Stats>) -> Result<(), Error> {
    let mut trouble = AcceptTrouble::default();
    loop {
        let (stream, peer) = match yield_from!(sys::accept(&listener)) {
            Ok(accepted) => accepted,
            Err(Error::Io(e)) => {
                let pause = trouble.failed(&e);
                if !pause.is_zero() && yield_from!(sys::sleep(pause)).is_err() {
                    println!("[server] cancelled while pausing: no new connections");
                    return Ok(());
                }
                continue;
            }
            Err(Error::Cancelled) => {
                println!("[server] cancelled while waiting in accept: no new connections");
                return Ok(());
            }
        };
        trouble.accepted();
        // Detached: nobody joins a connection's task, so the kernel keeps nothing of it once
        // it ends (a joinable task's result would be kept until joined: a leak per connection).
        let task =
            Task::new(format!("conn {peer}"), handle(stream, peer, stats.clone())).detached();
        let id = yield_from!(sys::spawn(task))?;
        stats.open.set(stats.open.get() + 1);
        stats.peak.set(stats.peak.get().max(stats.open.get()));
        println!(
            "[server] accepted {peer} as task {id} ({} open)",
            stats.open.get()
        );
    }
}

/// Waits until a byte can be read from `control`, then cancels the `server` task: how another
/// thread stops the kernel — through the poller, like any other I/O.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn stopper(control: UnixStream, server: TaskId) -> Result<(), Error> {
    yield_from!(sys::readable(&control))?;
    println!("[server] stop requested: cancelling the server task {server}");
    yield_from!(sys::cancel(server))?;
    Ok(())
}

/// Runs the kernel with the server task (and a stopper, given a control socket) on this thread
/// until every task has ended. Returns the stats.
fn serve(listener: TcpListener, control: Option<UnixStream>) -> (usize, usize, u64) {
    let stats = Rc::new(Stats::default());
    let mut kernel = Kernel::new();
    let server_id = kernel.spawn("server", server(listener, stats.clone()));
    let demo = control.is_some();
    if let Some(control) = control {
        kernel.spawn("stopper", stopper(control, server_id));
    }
    let mut shown = false;
    while kernel.run_once() {
        // In the demo, look at the kernel once, when every client is connected.
        if demo && !shown && stats.open.get() == CLIENTS {
            shown = true;
            let snapshot = kernel.snapshot();
            println!(
                "[server] kernel.snapshot() at {:.1?}: {} tasks on this one thread",
                snapshot.now,
                snapshot.tasks.len()
            );
            let conns = snapshot.tasks.iter().filter(|t| t.name.starts_with("conn"));
            let reading = conns
                .clone()
                .filter(|t| matches!(t.state, TaskState::Reading(_)))
                .count();
            println!(
                "[server]   {} connection tasks: {reading} parked in the poller until their \
                 socket is readable, {} ready to run",
                conns.clone().count(),
                conns.count() - reading
            );
            for t in snapshot
                .tasks
                .iter()
                .filter(|t| !t.name.starts_with("conn"))
            {
                let what = match &*t.name {
                    "server" => " (the listening socket: the next connection)",
                    _ => " (the control socket: a stop request)",
                };
                println!("[server]   {} {}: {}{what}", t.id, t.name, t.state);
            }
        }
    }
    (stats.served.get(), stats.peak.get(), stats.bytes.get())
}

/// One built-in client: connects, waits until every client is connected, then sends `LINES`
/// lines one at a time and checks each echo. Returns its address, round trips and bytes.
fn client(
    addr: SocketAddr,
    n: usize,
    all_connected: &Barrier,
) -> io::Result<(SocketAddr, usize, usize)> {
    let stream = TcpStream::connect(addr);
    all_connected.wait(); // so all of them are open at the same time, on one server thread
    let stream = stream?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let local = stream.local_addr()?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut bytes = 0;
    for k in 0..LINES {
        let line = format!("client {n:02} says hello #{k}{}\n", "!".repeat(n % 5));
        writer.write_all(line.as_bytes())?;
        let mut back = String::new();
        reader.read_line(&mut back)?;
        if back != line {
            return Err(io::Error::other(format!("sent {line:?}, got {back:?}")));
        }
        bytes += line.len();
        thread::sleep(Duration::from_millis(((n + k) % 4) as u64)); // stagger the clients
    }
    Ok((local, LINES, bytes))
}

/// The default mode: server thread + `CLIENTS` client threads, then a clean stop.
fn demo() -> io::Result<()> {
    let listener = sys::listen("127.0.0.1:0")?; // any free port
    let addr = listener.local_addr()?;
    let (control, stop) = UnixStream::pair()?;
    println!("Echo server on {addr}: one thread running a kernel of generator tasks.");
    println!("{CLIENTS} client threads connect at once and each sends {LINES} lines.\n");

    let server = thread::spawn(move || serve(listener, Some(control)));

    let started = Instant::now();
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let barrier = barrier.clone();
            thread::spawn(move || client(addr, n, &barrier))
        })
        .collect();
    let results: Vec<_> = clients
        .into_iter()
        .map(|c| c.join().expect("a client thread panicked"))
        .collect();
    let elapsed = started.elapsed();

    // Every client is done: tell the server to stop, through the socket its stopper waits on.
    (&stop).write_all(b"x")?;
    let (served, peak, echoed) = server.join().expect("the server thread panicked");

    println!("\nWhat the clients got back:");
    let (mut trips, mut failed) = (0, 0);
    for (n, result) in results.iter().enumerate() {
        match result {
            Ok((local, round_trips, bytes)) => {
                trips += round_trips;
                println!(
                    "  client {n:02} from {local}: {round_trips} round trips, {bytes} bytes, \
                     every line echoed intact"
                );
            }
            Err(e) => {
                failed += 1;
                println!("  client {n:02}: FAILED: {e}");
            }
        }
    }
    println!(
        "\n{trips} round trips by {} clients in {elapsed:.0?}; {failed} failed.",
        CLIENTS - failed
    );
    println!(
        "The server's one thread served {served} connections, {peak} of them open at once, \
         and echoed {echoed} bytes:"
    );
    println!("no thread per client, no callbacks — a task per client, parked in the poller while");
    println!("its socket had nothing to say.");
    if failed > 0 {
        return Err(io::Error::other(format!("{failed} client(s) failed")));
    }
    Ok(())
}

/// `server [ADDR]`: serves until Ctrl-C.
fn run_server(addr: SocketAddr) -> io::Result<()> {
    let listener = sys::listen(addr)?;
    let addr = listener.local_addr()?;
    println!("Echo server on {addr}, one thread of generator tasks. Ctrl-C stops it.");
    println!(
        "Try: cargo run --example echo_server -- client {addr}   (or: nc {} {})",
        addr.ip(),
        addr.port()
    );
    serve(listener, None);
    Ok(())
}

/// `client [ADDR]`: sends each line typed on stdin, prints the echo.
fn run_client(addr: SocketAddr) -> io::Result<()> {
    let stream = TcpStream::connect(addr).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot connect to {addr} ({e}); is `echo_server -- server {addr}` running?"),
        )
    })?;
    println!(
        "Connected to {addr} from {}. Type lines; each comes back from the server. Ctrl-D quits.",
        stream.local_addr()?
    );
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    for line in io::stdin().lock().lines() {
        let line = line?;
        let started = Instant::now();
        writer.write_all(format!("{line}\n").as_bytes())?;
        let mut back = String::new();
        if reader.read_line(&mut back)? == 0 {
            println!("The server closed the connection.");
            return Ok(());
        }
        println!(
            "echo: {} ({:.0?})",
            back.trim_end_matches('\n'),
            started.elapsed()
        );
    }
    Ok(())
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
        None => demo(),
        Some("server") => loopback(args.next()).and_then(run_server),
        Some("client") => loopback(args.next()).and_then(run_client),
        Some(other) => {
            eprintln!("unknown mode {other:?}; usage: echo_server [server [ADDR] | client [ADDR]]");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("echo_server: {e}");
        std::process::exit(1);
    }
}
