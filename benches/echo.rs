//! Issue 5, workload W6 echo: the kernel's and rt's echo servers against a tokio echo server, on
//! 127.0.0.1 only, under the same client load; round trips per second.
//!
//! `cargo bench --bench echo` (or `benches/report.sh` for the BENCHMARKS.md tables). Not a
//! divan benchmark: one run is a whole client/server exchange, so this is a plain `main`.
//!
//! Each run: a listener on `127.0.0.1:0`; the server on its own thread (one thread, as every
//! server here is single-threaded: tokio runs a current_thread runtime); `CLIENTS` client threads
//! with blocking std sockets connect, meet at a barrier, then each does `ROUND_TRIPS` round trips
//! of a `MESSAGE`-byte message (write it, read all of it back). The clock runs from the barrier
//! to the last client's end. The servers accept `CLIENTS` connections, echo each until it closes
//! with a 4 KiB buffer, and then end. The three servers take turns, `RUNS` times, and the median
//! run of each is reported, as `w6-echo SERVER MEDIAN MIN MAX` lines (round trips per second).
//!
//! Note that this machine's cores are shared by the server thread and the client threads: the
//! clients' own system calls are part of every figure, so differences between servers show up
//! diluted.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

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

fn kernel_serve(listener: TcpListener, clients: usize) {
    listener.set_nonblocking(true).unwrap();
    let mut kernel = Kernel::new();
    kernel.spawn("server", kernel_server(listener, clients));
    kernel.run();
}

fn rt_serve(listener: TcpListener, clients: usize) {
    rt::block_on(async move {
        let listener = rt::net::TcpListener::from_std(listener).unwrap();
        let mut handles = Vec::new();
        for _ in 0..clients {
            let (stream, _) = listener.accept().await.unwrap();
            handles.push(rt::spawn(async move {
                let mut buf = [0; 4096];
                loop {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    stream.write_all(&buf[..n]).await.unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn tokio_serve(listener: TcpListener, clients: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    runtime.block_on(async move {
        listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let mut handles = Vec::new();
        for _ in 0..clients {
            let (mut stream, _) = listener.accept().await.unwrap();
            handles.push(tokio::spawn(async move {
                let mut buf = [0; 4096];
                loop {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    stream.write_all(&buf[..n]).await.unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
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

/// A server: serves that many clients on that listener, then returns.
type Serve = fn(TcpListener, usize);

/// One run against `serve`: round trips per second.
fn run(serve: Serve) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || serve(listener, CLIENTS));
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
    server.join().expect("the server panicked");
    (CLIENTS * ROUND_TRIPS) as f64 / elapsed.as_secs_f64()
}

fn main() {
    // `cargo bench --bench echo -- NAME...` runs only the servers whose names contain a NAME.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let servers: Vec<(&str, Serve)> = [
        ("resumable_kernel", kernel_serve as Serve),
        ("resumable_rt", rt_serve),
        ("tokio", tokio_serve),
    ]
    .into_iter()
    .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
    .collect();
    println!(
        "W6 echo: {CLIENTS} client threads x {ROUND_TRIPS} round trips of {MESSAGE} bytes on \
         127.0.0.1, {RUNS} runs per server (taking turns); round trips per second"
    );
    let mut results = vec![Vec::new(); servers.len()];
    for _ in 0..RUNS {
        for (i, (_, serve)) in servers.iter().enumerate() {
            results[i].push(run(*serve));
        }
    }
    println!("{:<26} {:>10} {:>10} {:>10}", "", "median", "min", "max");
    for ((name, _), mut r) in servers.iter().zip(results) {
        r.sort_by(f64::total_cmp);
        println!(
            "w6-echo {name:<18} {:>10.0} {:>10.0} {:>10.0}",
            r[r.len() / 2],
            r[0],
            r[r.len() - 1]
        );
    }
}
