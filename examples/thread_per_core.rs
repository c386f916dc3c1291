//! `thread_per_core`: every core at work, with no runtime of our own: one `rt` loop per core,
//! each accepting connections on its own listener.
//!
//! An `rt` loop is one thread. To use every core, a thread-per-core server does not share one
//! loop between threads: it starts one loop per core and lets the operating system hand out the
//! connections. Every loop binds its own listening socket to the same port with `SO_REUSEPORT`;
//! Linux then spreads incoming connections over those listeners (by a hash of each connection's
//! addresses and ports), so each loop accepts its own share and serves it to the end, alone.
//! Nothing is shared between the loops: each has its own tasks, timers and poller, and what a
//! loop counts is a plain `Rc<Cell<_>>` its tasks share — no lock, no atomic, and no task needs
//! to be `Send`.
//!
//! The price is that of every share-nothing design: no work stealing. A connection stays on the
//! loop that accepted it, so a slow one holds its core while another core may have nothing to
//! do. Where that matters, tokio's multi-threaded runtime moves tasks between threads, and the
//! async generators run there too (`examples/tokio_interop.rs`; "Which loop, how many threads"
//! in the README says when to pick which).
//!
//! What it does: starts `available_parallelism()` loops, each an echo server on its own thread
//! (`rt::block_on` per thread); then 8 client threads with std sockets open connection after
//! connection for two seconds, each connection 1,000 round trips of 64 bytes; then it prints how
//! the connections were spread over the loops and the round trips per second. Then it stops:
//! every loop is told to stop accepting, lets its open connections finish (for a second at most,
//! then aborts the rest), and hands back what it served; every thread is joined. It exits 0 if
//! every loop and every client did their part and the loops echoed every byte the clients got
//! back; 1 otherwise, saying what went wrong.
//!
//! ```text
//! cargo run --release --example thread_per_core [-- --loops N] [--seconds S] [--panic]
//! ```
//!
//! `--loops N` starts N loops instead of one per core; `--seconds S` runs the clients for S
//! seconds; `--panic` makes the last loop panic at its first connection, to see a loop's failure
//! reported (and the exit code 1) while the others serve on: once its listener is closed, the
//! kernel hands the new connections to the others.
//!
//! `SO_REUSEPORT` spreads connections this way on Linux; other systems accept the option but may
//! give every connection to one of the listeners. Thread-per-core servers often also pin each
//! loop's thread to its core (`sched_setaffinity`); this one does not, since its clients run on
//! the same cores.
use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::pin;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::{mpsc, Arc, Barrier};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use resumable::rt::{self, JoinError};

const CLIENT_THREADS: usize = 8;
/// Round trips per connection.
const ROUND_TRIPS: u64 = 1_000;
const MESSAGE: usize = 64;
/// How long a stopping loop lets its open connections run before it aborts them.
const GRACE: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------------
// A loop: one thread, one listener, one `rt::block_on`
// ---------------------------------------------------------------------------------------------

/// A listening socket on `addr` with `SO_REUSEPORT` set, so that every loop can bind its own to
/// the same port. (`SO_REUSEADDR` too, as std's `TcpListener::bind` sets it.)
fn reuseport_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use rustix::net::{sockopt, AddressFamily, SocketFlags, SocketType};
    let family = if addr.is_ipv4() {
        AddressFamily::INET
    } else {
        AddressFamily::INET6
    };
    let socket = rustix::net::socket_with(family, SocketType::STREAM, SocketFlags::CLOEXEC, None)?;
    sockopt::set_socket_reuseaddr(&socket, true)?;
    sockopt::set_socket_reuseport(&socket, true)?;
    rustix::net::bind(&socket, &addr)?;
    rustix::net::listen(&socket, 1024)?;
    Ok(socket.into())
}

/// What a loop served, handed back to the main thread when it stops.
#[derive(Debug, Default)]
struct Served {
    connections: u64,
    bytes: u64,
    /// Connections that ended with an error (or whose task panicked).
    failed: u64,
    /// Connections still open when the grace period ran out, aborted.
    cut_off: usize,
}

impl Served {
    fn record(&mut self, ended: Result<io::Result<()>, JoinError>) {
        if !matches!(ended, Ok(Ok(()))) {
            self.failed += 1;
        }
    }
}

/// One connection: echoes until the client closes. `bytes` is the loop's own counter, shared
/// by all its connections: a plain `Rc<Cell>`, since nothing leaves the loop's thread.
async fn echo(stream: rt::net::TcpStream, bytes: Rc<Cell<u64>>) -> io::Result<()> {
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
        bytes.set(bytes.get() + n as u64);
    }
}

/// What woke the accept loop.
enum Event {
    Stop,
    Ended(Result<io::Result<()>, JoinError>),
    Accepted(io::Result<(rt::net::TcpStream, SocketAddr)>),
}

/// A loop's server: accepts until `stop` fires (or its sender is gone), a task per connection;
/// then closes the listener and gives the open connections `GRACE` to finish.
async fn serve(
    listener: rt::net::TcpListener,
    mut stop: oneshot::Receiver<()>,
    panic_at_first: bool,
) -> Served {
    let bytes = Rc::new(Cell::new(0));
    // The open connections' tasks, reaped as they end: memory follows the open connections.
    let mut open = FuturesUnordered::new();
    let mut served = Served::default();
    loop {
        let event = {
            let mut accept = pin!(listener.accept());
            poll_fn(|cx| {
                if stop.poll_unpin(cx).is_ready() {
                    return Poll::Ready(Event::Stop);
                }
                if let Poll::Ready(Some(ended)) = open.poll_next_unpin(cx) {
                    return Poll::Ready(Event::Ended(ended));
                }
                accept.as_mut().poll(cx).map(Event::Accepted)
            })
            .await
        };
        match event {
            Event::Stop => break,
            Event::Ended(ended) => served.record(ended),
            Event::Accepted(Ok((stream, _peer))) => {
                served.connections += 1;
                assert!(!panic_at_first, "this loop was asked to panic (--panic)");
                open.push(rt::spawn(echo(stream, bytes.clone())));
            }
            Event::Accepted(Err(e)) => {
                // Out of descriptors, say: the connection waits in the listen queue meanwhile.
                eprintln!("accept failed: {e}; trying again in 10 ms");
                rt::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    drop(listener); // the kernel hands new connections to the other loops' listeners
    let finish = async {
        while let Some(ended) = open.next().await {
            served.record(ended);
        }
    };
    let _ = rt::timeout(GRACE, finish).await;
    served.cut_off = open.len();
    for conn in &open {
        conn.abort();
    }
    served.bytes = bytes.get();
    served
}

/// A running loop: its thread, and the way to tell it to stop.
struct Loop {
    stop: oneshot::Sender<()>,
    thread: thread::JoinHandle<io::Result<Served>>,
}

/// Starts loop `no` on its own thread: it binds its own listener to `addr`, sends the address
/// it got on `ready` (then drops `ready`, so a loop that fails before sending is noticed as a
/// closed channel, never waited for), and serves until stopped.
fn start_loop(
    no: usize,
    addr: SocketAddr,
    ready: mpsc::Sender<SocketAddr>,
    panic_at_first: bool,
) -> io::Result<Loop> {
    let (stop, stopped) = oneshot::channel();
    let thread = thread::Builder::new()
        .name(format!("loop-{no}"))
        .spawn(move || {
            let listener = reuseport_listener(addr)?;
            let _ = ready.send(listener.local_addr()?);
            drop(ready);
            rt::block_on(async move {
                let listener = rt::net::TcpListener::from_std(listener)?;
                Ok(serve(listener, stopped, panic_at_first).await)
            })
        })?;
    Ok(Loop { stop, thread })
}

/// Starts `n` loops on `127.0.0.1`: the first on a free port, the others on the same one, each
/// binding its own listener. Returns the loops started and the address, if every loop bound.
fn start_loops(n: usize, panic_last: bool) -> (Vec<Loop>, Option<SocketAddr>) {
    let mut loops = Vec::new();
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    for no in 0..n {
        let (ready, bound) = mpsc::channel();
        match start_loop(no, addr, ready, panic_last && no == n - 1) {
            Ok(started) => loops.push(started),
            Err(e) => {
                eprintln!("loop {no}: could not start its thread: {e}");
                return (loops, None);
            }
        }
        // One at a time: the first one's port is the others' (and the clients start only
        // once every listener is there, or the first would get every early connection).
        match bound.recv() {
            Ok(got) => addr = got,
            Err(mpsc::RecvError) => return (loops, None), // it failed: its join says why
        }
    }
    (loops, Some(addr))
}

// ---------------------------------------------------------------------------------------------
// The clients: std sockets on threads
// ---------------------------------------------------------------------------------------------

/// What the clients did.
#[derive(Debug, Default)]
struct Traffic {
    connections: u64,
    round_trips: u64,
    failed: u64,
}

/// One connection: `ROUND_TRIPS` round trips, each message numbered and checked.
fn one_connection(addr: SocketAddr, round_trips: &mut u64) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    // A loop that died mid-connection closes its sockets as it unwinds; this is the backstop.
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let (mut message, mut back) = ([0u8; MESSAGE], [0u8; MESSAGE]);
    for k in 0..ROUND_TRIPS {
        message[..8].copy_from_slice(&k.to_le_bytes());
        stream.write_all(&message)?;
        stream.read_exact(&mut back)?;
        if back != message {
            return Err(io::Error::other("the echo differs from the message"));
        }
        *round_trips += 1;
    }
    Ok(())
}

/// A client thread: connection after connection until `until`.
fn client(addr: SocketAddr, start: &Barrier, run_for: Duration) -> Traffic {
    start.wait();
    let until = Instant::now() + run_for;
    let mut traffic = Traffic::default();
    while Instant::now() < until {
        match one_connection(addr, &mut traffic.round_trips) {
            Ok(()) => traffic.connections += 1,
            Err(e) => {
                if traffic.failed == 0 {
                    eprintln!("a client's connection failed: {e}");
                }
                traffic.failed += 1;
                thread::sleep(Duration::from_millis(10)); // not a storm of refused connects
            }
        }
    }
    traffic
}

/// Runs the client threads for `run_for`: what they did, and how long it took.
fn run_clients(addr: SocketAddr, run_for: Duration) -> (Traffic, Duration) {
    let start = Arc::new(Barrier::new(CLIENT_THREADS + 1));
    let clients: Vec<_> = (0..CLIENT_THREADS)
        .map(|_| {
            let start = start.clone();
            thread::spawn(move || client(addr, &start, run_for))
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let mut total = Traffic::default();
    for c in clients {
        let t = c.join().expect("a client thread does not panic");
        total.connections += t.connections;
        total.round_trips += t.round_trips;
        total.failed += t.failed;
    }
    (total, t0.elapsed())
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

struct Options {
    loops: usize,
    run_for: Duration,
    panic_last: bool,
}

fn options() -> Result<Options, String> {
    let mut opts = Options {
        loops: thread::available_parallelism().map_or(1, |n| n.get()),
        run_for: Duration::from_secs(2),
        panic_last: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--loops" => {
                opts.loops = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--loops takes a number above 0")?;
            }
            "--seconds" => {
                let s: f64 = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .ok_or("--seconds takes a number above 0")?;
                opts.run_for = Duration::from_secs_f64(s);
            }
            "--panic" => opts.panic_last = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let opts = match options() {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("{e}\nusage: thread_per_core [--loops N] [--seconds S] [--panic]");
            return ExitCode::from(2);
        }
    };
    let (loops, addr) = start_loops(opts.loops, opts.panic_last);
    let mut ok = addr.is_some();
    let mut traffic = None;
    if let Some(addr) = addr {
        println!(
            "{} rt loops (available_parallelism: {}), each on its own thread with its own \
             listener on {addr} (SO_REUSEPORT)",
            loops.len(),
            thread::available_parallelism().map_or(1, |n| n.get()),
        );
        println!(
            "{CLIENT_THREADS} client threads, connection after connection of {ROUND_TRIPS} round \
             trips of {MESSAGE} bytes, for {:.1?}\n",
            opts.run_for
        );
        traffic = Some(run_clients(addr, opts.run_for));
    }

    // Stop every loop and join every thread, whatever happened to the others.
    let mut served = Vec::new();
    for (no, Loop { stop, thread }) in loops.into_iter().enumerate() {
        let _ = stop.send(()); // a loop that is gone has dropped its receiver: nothing to stop
        match thread.join() {
            Ok(Ok(s)) => served.push((no, s)),
            Ok(Err(e)) => {
                println!("loop {no} failed: {e}");
                ok = false;
            }
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("(not a string)");
                println!("loop {no} panicked: {msg}");
                ok = false;
            }
        }
    }

    let total_connections: u64 = served.iter().map(|(_, s)| s.connections).sum();
    for (no, s) in &served {
        let share = 100.0 * s.connections as f64 / total_connections.max(1) as f64;
        println!(
            "loop {no}: {} connections ({share:.0} %), {} round trips echoed, {} failed, {} cut off",
            s.connections,
            s.bytes / MESSAGE as u64,
            s.failed,
            s.cut_off
        );
        ok &= s.failed == 0 && s.cut_off == 0;
    }
    if let Some((t, elapsed)) = traffic {
        println!(
            "\nclients: {} connections, {} round trips in {:.2?}: {:.0} round trips per second; \
             {} connections failed",
            t.connections,
            t.round_trips,
            elapsed,
            t.round_trips as f64 / elapsed.as_secs_f64(),
            t.failed
        );
        let echoed: u64 = served.iter().map(|(_, s)| s.bytes).sum();
        if t.failed == 0 && echoed != t.round_trips * MESSAGE as u64 {
            println!(
                "the loops echoed {echoed} bytes, the clients got {} back",
                t.round_trips * MESSAGE as u64
            );
            ok = false;
        }
        ok &= t.failed == 0 && t.connections > 0;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        println!("\nnot every part of the run succeeded (see above)");
        ExitCode::FAILURE
    }
}
