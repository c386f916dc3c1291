//! Issue 5, workload W6 echo: the kernel's and rt's echo servers against a tokio echo server, on
//! 127.0.0.1 only, under the same client load; round trips per second. Issue 14 added the
//! multi-threaded servers: one rt loop per core (thread-per-core, each loop on its own
//! `SO_REUSEPORT` listener) against tokio's multi-threaded runtime.
//!
//! `cargo bench --bench echo` (or `benches/report.sh` for the BENCHMARKS.md tables). Not a
//! divan benchmark: one run is a whole client/server exchange, so this is a plain `main`.
//!
//! Each run: a listener on `127.0.0.1:0`; the server on its own thread (the single-threaded
//! servers: one thread, tokio a current_thread runtime); `CLIENTS` client threads with blocking
//! std sockets connect, meet at a barrier, then each does `ROUND_TRIPS` round trips of a
//! `MESSAGE`-byte message (write it, read all of it back). The clock runs from the barrier to
//! the last client's end. The servers accept `CLIENTS` connections, echo each until it closes
//! with a 4 KiB buffer, and then end. The servers take turns, `RUNS` times, and the median run
//! of each is reported, as `w6-echo SERVER MEDIAN MIN MAX` lines (round trips per second).
//!
//! The multi-threaded servers use `available_parallelism()` threads (`N`). Thread-per-core: N
//! listeners bound to one port with `SO_REUSEPORT` (the kernel spreads the connections over
//! them by a hash of their ports), each served by its own rt loop on its own thread, accepting
//! until the server is told that all `CLIENTS` connections have closed; how many connections
//! each loop got in each run, with that run's round trips per second, is printed as a
//! `w6-spread` line. tokio: a multi-threaded runtime
//! with N workers, accepting in its `block_on` and spawning each connection onto the workers.
//!
//! Note that this machine's cores are shared by the server threads and the client threads: the
//! clients' own system calls are part of every figure, so differences between servers show up
//! diluted.

use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::pin::pin;
use std::sync::{mpsc, Arc, Barrier};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use futures::FutureExt;

use resumable::kernel::{sys, Cancelled, Error, Kernel, Reply, Syscall, Task};
use resumable::prelude::*;
use resumable::rt;

const CLIENTS: usize = 8;
const ROUND_TRIPS: usize = 4_000;
const MESSAGE: usize = 64;
const RUNS: usize = 7;

// ---------------------------------------------------------------------------------------------
// The servers: accept `clients` connections, echo each until it closes, end.
// ---------------------------------------------------------------------------------------------

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn kernel_echo(stream: TcpStream) -> Result<(), Error> {
    let mut buf = [0; 4096];
    loop {
        let n = yield_from!(sys::read(&stream, &mut buf))?;
        if n == 0 {
            return Ok(());
        }
        yield_from!(sys::write_all(&stream, &buf[..n]))?;
    }
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn kernel_server(listener: TcpListener, clients: usize) -> Result<(), Error> {
    for _ in 0..clients {
        let (stream, _) = yield_from!(sys::accept(&listener))?;
        yield_from!(sys::spawn(
            Task::new("conn", kernel_echo(stream)).detached()
        ))?;
    }
    Ok(())
}

fn kernel_serve(mut listeners: Vec<TcpListener>, clients: usize) -> Vec<usize> {
    let listener = listeners.pop().unwrap();
    listener.set_nonblocking(true).unwrap();
    let mut kernel = Kernel::new();
    kernel.spawn("server", kernel_server(listener, clients));
    kernel.run();
    vec![clients]
}

/// One connection on rt: echo until it closes.
async fn rt_echo(stream: rt::net::TcpStream) {
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            return;
        }
        stream.write_all(&buf[..n]).await.unwrap();
    }
}

fn rt_serve(mut listeners: Vec<TcpListener>, clients: usize) -> Vec<usize> {
    let listener = listeners.pop().unwrap();
    rt::block_on(async move {
        let listener = rt::net::TcpListener::from_std(listener).unwrap();
        let mut handles = Vec::new();
        for _ in 0..clients {
            let (stream, _) = listener.accept().await.unwrap();
            handles.push(rt::spawn(rt_echo(stream)));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    vec![clients]
}

/// Thread-per-core: one rt loop per listener, each on its own thread, accepting until told to
/// stop; the server stops them once `clients` connections have closed. Returns how many
/// connections each loop accepted.
fn rt_per_core_serve(listeners: Vec<TcpListener>, clients: usize) -> Vec<usize> {
    let (closed, all_closed) = mpsc::channel();
    let loops: Vec<_> = listeners
        .into_iter()
        .map(|listener| {
            let (stop, stopped) = oneshot::channel();
            let closed = closed.clone();
            let thread = thread::spawn(move || rt::block_on(rt_loop(listener, stopped, closed)));
            (stop, thread)
        })
        .collect();
    drop(closed);
    for _ in 0..clients {
        all_closed.recv().expect("every loop is running");
    }
    loops
        .into_iter()
        .map(|(stop, thread)| {
            stop.send(()).unwrap();
            thread.join().expect("a loop panicked")
        })
        .collect()
}

/// One loop of the thread-per-core server: accepts until `stop`, each connection a task that
/// says on `closed` when it has ended. Returns the connections it accepted.
async fn rt_loop(
    listener: TcpListener,
    mut stop: oneshot::Receiver<()>,
    closed: mpsc::Sender<()>,
) -> usize {
    let listener = rt::net::TcpListener::from_std(listener).unwrap();
    let mut accepted = 0;
    loop {
        let mut accept = pin!(listener.accept());
        let next = poll_fn(|cx| {
            if stop.poll_unpin(cx).is_ready() {
                return Poll::Ready(None);
            }
            accept.as_mut().poll(cx).map(Some)
        })
        .await;
        let Some(accepted_one) = next else {
            return accepted;
        };
        let (stream, _) = accepted_one.unwrap();
        accepted += 1;
        let closed = closed.clone();
        rt::spawn(async move {
            rt_echo(stream).await;
            closed.send(()).unwrap();
        })
        .detach();
    }
}

/// One connection on tokio: echo until it closes.
async fn tokio_echo(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            return;
        }
        stream.write_all(&buf[..n]).await.unwrap();
    }
}

/// Accepts `clients` connections on `runtime` and echoes each until it closes.
fn tokio_accept(runtime: &tokio::runtime::Runtime, listener: TcpListener, clients: usize) {
    runtime.block_on(async move {
        listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let mut handles = Vec::new();
        for _ in 0..clients {
            let (stream, _) = listener.accept().await.unwrap();
            handles.push(tokio::spawn(tokio_echo(stream)));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn tokio_serve(mut listeners: Vec<TcpListener>, clients: usize) -> Vec<usize> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    tokio_accept(&runtime, listeners.pop().unwrap(), clients);
    vec![clients]
}

fn tokio_multi_thread_serve(mut listeners: Vec<TcpListener>, clients: usize) -> Vec<usize> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads())
        .enable_io()
        .build()
        .unwrap();
    tokio_accept(&runtime, listeners.pop().unwrap(), clients);
    vec![clients]
}

// ---------------------------------------------------------------------------------------------
// The load
// ---------------------------------------------------------------------------------------------

fn client(addr: SocketAddr, start: &Barrier) -> io::Result<()> {
    let connected = TcpStream::connect(addr);
    start.wait();
    let mut stream = connected?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut message = [0u8; MESSAGE];
    let mut back = [0u8; MESSAGE];
    for k in 0..ROUND_TRIPS {
        message[..8].copy_from_slice(&(k as u64).to_le_bytes());
        stream.write_all(&message)?;
        stream.read_exact(&mut back)?;
        if back != message {
            return Err(io::Error::other("the echo differs from the message"));
        }
    }
    Ok(())
}

/// A server: serves that many clients on those listeners (all on one port), then returns how
/// many connections each listener had.
type Serve = fn(Vec<TcpListener>, usize) -> Vec<usize>;

/// A server to measure.
struct Server {
    name: &'static str,
    serve: Serve,
    /// How many listeners it takes: more than one are bound with `SO_REUSEPORT`.
    listeners: usize,
}

/// The multi-threaded servers' threads: one per core.
fn threads() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// A listening socket on `addr` with `SO_REUSEPORT` (and `SO_REUSEADDR`, as std sets it), so
/// that several can be bound to one port.
fn reuseport_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    use rustix::net::{sockopt, AddressFamily, SocketFlags, SocketType};
    let socket = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    sockopt::set_socket_reuseaddr(&socket, true)?;
    sockopt::set_socket_reuseport(&socket, true)?;
    rustix::net::bind(&socket, &addr)?;
    rustix::net::listen(&socket, 1024)?;
    Ok(socket.into())
}

/// `n` listeners on one free port of 127.0.0.1: std's for one, `SO_REUSEPORT` ones for more.
fn listeners(n: usize) -> Vec<TcpListener> {
    if n == 1 {
        return vec![TcpListener::bind("127.0.0.1:0").unwrap()];
    }
    let first = reuseport_listener(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let addr = first.local_addr().unwrap();
    let mut all = vec![first];
    all.extend((1..n).map(|_| reuseport_listener(addr).unwrap()));
    all
}

/// One run against `server`: round trips per second, and how many connections each of its
/// listeners had.
fn run(server: &Server) -> (f64, Vec<usize>) {
    let listeners = listeners(server.listeners);
    let addr = listeners[0].local_addr().unwrap();
    let serve = server.serve;
    let server = thread::spawn(move || serve(listeners, CLIENTS));
    let start = Arc::new(Barrier::new(CLIENTS + 1));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let start = start.clone();
            thread::spawn(move || client(addr, &start))
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    for c in clients {
        c.join().unwrap().expect("a client failed");
    }
    let elapsed = t0.elapsed();
    let spread = server.join().expect("the server panicked");
    (
        (CLIENTS * ROUND_TRIPS) as f64 / elapsed.as_secs_f64(),
        spread,
    )
}

fn main() {
    // `cargo bench --bench echo -- NAME...` runs only the servers whose names contain a NAME.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n = threads();
    let servers: Vec<Server> = [
        ("resumable_kernel", kernel_serve as Serve, 1),
        ("resumable_rt", rt_serve, 1),
        ("tokio", tokio_serve, 1),
        ("resumable_rt_per_core", rt_per_core_serve, n),
        ("tokio_multi_thread", tokio_multi_thread_serve, 1),
    ]
    .into_iter()
    .map(|(name, serve, listeners)| Server {
        name,
        serve,
        listeners,
    })
    .filter(|s| filters.is_empty() || filters.iter().any(|f| s.name.contains(f.as_str())))
    .collect();
    println!(
        "W6 echo: {CLIENTS} client threads x {ROUND_TRIPS} round trips of {MESSAGE} bytes on \
         127.0.0.1, {RUNS} runs per server (taking turns); round trips per second; the \
         multi-threaded servers run {n} server threads"
    );
    let mut results = vec![Vec::new(); servers.len()];
    let mut spreads = vec![Vec::new(); servers.len()];
    for _ in 0..RUNS {
        for (i, server) in servers.iter().enumerate() {
            let (rate, spread) = run(server);
            results[i].push(rate);
            spreads[i].push((spread, rate));
        }
    }
    println!("{:<34} {:>10} {:>10} {:>10}", "", "median", "min", "max");
    for (server, mut r) in servers.iter().zip(results) {
        r.sort_by(f64::total_cmp);
        println!(
            "w6-echo {:<26} {:>10.0} {:>10.0} {:>10.0}",
            server.name,
            r[r.len() / 2],
            r[0],
            r[r.len() - 1]
        );
    }
    // Connections per listener and round trips per second, run by run ("5+3:140000"), where
    // there was more than one listener.
    for (server, spread) in servers.iter().zip(spreads) {
        if server.listeners > 1 {
            let runs: Vec<String> = spread
                .iter()
                .map(|(s, rate)| {
                    let s: Vec<String> = s.iter().map(usize::to_string).collect();
                    format!("{}:{rate:.0}", s.join("+"))
                })
                .collect();
            println!("w6-spread {} {}", server.name, runs.join(" "));
        }
    }
}
