//! The kernel on real sockets (127.0.0.1 only): several waiters on one socket, cancelling and
//! killing waiters, back-pressure in `write_all`, errors from the poller, the virtual clock
//! beside I/O, and an echo server for 64 concurrent clients run by one thread of generator
//! tasks. Every test that could hang on a bug runs under a watchdog (`within`) and uses socket
//! timeouts.

mod kernel_common;

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use kernel_common::{
    capture_reports, entries, loopback_pair, new_log, passes, push, send_and_settle, within, Log,
    Res,
};
use resumable::kernel::{
    self, sys, Cancelled, JoinError, Kernel, Reply, Report, Syscall, Task, TaskState,
};
use resumable::prelude::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The longest any test here may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(60);

/// Waits until `stream` is readable, then logs it (without reading: the others see the data too).
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn waits_readable(log: Log, name: &'static str, stream: Rc<TcpStream>) -> Res<()> {
    push(&log, format!("{name} waits"));
    match yield_from!(sys::readable(&*stream)) {
        Ok(()) => push(&log, format!("{name} woke")),
        Err(kernel::Error::Cancelled) => {
            push(&log, format!("{name} cancelled"));
            return Err(Cancelled);
        }
        Err(kernel::Error::Io(e)) => panic!("waiting failed: {e}"),
    }
    Ok(())
}

#[test]
fn several_tasks_waiting_on_the_same_socket_all_wake_together() {
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        server.set_nonblocking(true).unwrap();
        let server = Rc::new(server);
        let log = new_log();
        let mut kernel = Kernel::new();
        for name in ["r1", "r2", "r3"] {
            kernel.spawn(name, waits_readable(log.clone(), name, server.clone()));
        }
        assert!(kernel.run_once());
        assert_eq!(entries(&log), ["r1 waits", "r2 waits", "r3 waits"]);
        let fd = server.as_raw_fd();
        assert!(kernel
            .snapshot()
            .tasks
            .iter()
            .all(|t| t.state == TaskState::Reading(fd)));

        log.borrow_mut().clear();
        send_and_settle(&mut client, &server, b"hello");
        assert!(kernel.run_once(), "one pass: the poll and the wake-ups");
        let mut woke = entries(&log);
        woke.sort();
        assert_eq!(woke, ["r1 woke", "r2 woke", "r3 woke"]);
        assert!(kernel.is_empty());
    });
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn waits_writable(log: Log, stream: Rc<TcpStream>) -> Result<(), kernel::Error> {
    yield_from!(sys::writable(&*stream))?;
    push(&log, "writer woke");
    Ok(())
}

#[test]
fn a_reader_and_a_writer_on_the_same_socket_wake_independently() {
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        server.set_nonblocking(true).unwrap();
        let server = Rc::new(server);
        let log = new_log();
        let mut kernel = Kernel::new();
        let reader = kernel.spawn(
            "reader",
            waits_readable(log.clone(), "reader", server.clone()),
        );
        kernel.spawn("writer", waits_writable(log.clone(), server.clone()));
        // A fresh socket has room to write but nothing to read.
        assert!(kernel.run_once());
        assert!(kernel.run_once());
        assert_eq!(entries(&log), ["reader waits", "writer woke"]);
        let snap = kernel.snapshot();
        assert_eq!(snap.tasks.len(), 1);
        assert_eq!(
            (snap.tasks[0].id, snap.tasks[0].state),
            (reader, TaskState::Reading(server.as_raw_fd()))
        );

        send_and_settle(&mut client, &server, b"x");
        kernel.run();
        assert_eq!(
            entries(&log),
            ["reader waits", "writer woke", "reader woke"]
        );
    });
}

#[test]
fn cancelling_one_waiter_leaves_the_others_on_the_socket_waiting() {
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        server.set_nonblocking(true).unwrap();
        let server = Rc::new(server);
        let log = new_log();
        let mut kernel = Kernel::new();
        let r1 = kernel.spawn("r1", waits_readable(log.clone(), "r1", server.clone()));
        let r2 = kernel.spawn("r2", waits_readable(log.clone(), "r2", server.clone()));
        assert!(kernel.run_once());
        assert!(kernel.cancel(r1));
        assert!(kernel.run_once());
        assert_eq!(entries(&log), ["r1 waits", "r2 waits", "r1 cancelled"]);
        assert_eq!(kernel.take_return::<Res<()>>(r1), Ok(Err(Cancelled)));
        assert_eq!(
            kernel.snapshot().tasks[0].state,
            TaskState::Reading(server.as_raw_fd())
        );

        send_and_settle(&mut client, &server, b"x");
        kernel.run();
        assert_eq!(entries(&log)[3..], ["r2 woke"]);
        assert_eq!(kernel.take_return::<Res<()>>(r2), Ok(Ok(())));
    });
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn accepts_one(listener: TcpListener) -> Result<SocketAddr, kernel::Error> {
    let (_, peer) = yield_from!(sys::accept(&listener))?;
    Ok(peer)
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn kills_after(target: kernel::TaskId, nap: Duration) -> Res<bool> {
    yield_from!(sys::sleep(nap))?;
    yield_from!(sys::kill(target))
}

#[test]
fn killing_the_last_task_waiting_on_io_lets_run_return() {
    within(LIMIT, || {
        let listener = sys::listen("127.0.0.1:0").unwrap();
        let mut kernel = Kernel::new();
        let acceptor = kernel.spawn("acceptor", accepts_one(listener));
        let killer = kernel.spawn("killer", kills_after(acceptor, ms(5)));
        kernel.run(); // would wait for a connection forever if the wait were not forgotten
        assert_eq!(kernel.take_return::<Res<bool>>(killer), Ok(Ok(true)));
        assert!(matches!(
            kernel.take_return::<Result<SocketAddr, kernel::Error>>(acceptor),
            Err(JoinError::Killed)
        ));
    });
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn fills_the_pipe(stream: TcpStream, bytes: usize) -> Result<usize, kernel::Error> {
    let data: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    yield_from!(sys::write_all(&stream, &data))?;
    stream.shutdown(Shutdown::Write)?;
    Ok(bytes)
}

#[test]
fn write_all_waits_for_room_while_the_peer_is_slow_to_read() {
    const BYTES: usize = 32 << 20; // more than any loopback socket buffers
    within(LIMIT, || {
        let (mut client, server) = loopback_pair();
        server.set_nonblocking(true).unwrap();
        let fd = server.as_raw_fd();
        let mut kernel = Kernel::new();
        let writer = kernel.spawn("writer", fills_the_pipe(server, BYTES));
        assert!(kernel.run_once());
        assert_eq!(
            kernel.snapshot().tasks[0].state,
            TaskState::Writing(fd),
            "the socket buffers are full: the task waits for room"
        );

        let reader = thread::spawn(move || {
            let mut got = Vec::with_capacity(BYTES);
            client.read_to_end(&mut got).unwrap();
            got
        });
        kernel.run();
        let got = reader.join().unwrap();
        assert_eq!(got.len(), BYTES);
        assert!(got.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
        assert_eq!(
            kernel
                .take_return::<Result<usize, kernel::Error>>(writer)
                .unwrap()
                .unwrap(),
            BYTES
        );
    });
}

#[cfg(target_os = "linux")]
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn waits_on_a_file(file: std::fs::File) -> Result<(), kernel::Error> {
    yield_from!(sys::readable(&file))
}

#[cfg(target_os = "linux")]
#[test]
fn waiting_on_a_descriptor_the_poller_refuses_answers_an_error() {
    within(LIMIT, || {
        // epoll refuses regular files (EPERM): the wait must fail, not hang.
        let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let mut kernel = Kernel::new();
        let id = kernel.spawn("file", waits_on_a_file(file));
        kernel.run();
        match kernel.take_return::<Result<(), kernel::Error>>(id) {
            Ok(Err(kernel::Error::Io(e))) => {
                assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}")
            }
            other => panic!("expected an I/O error, got {other:?}"),
        }
    });
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn clock_reader(log: Log, waiter: kernel::TaskId) -> Res<()> {
    for _ in 0..3 {
        let now = yield_from!(sys::now())?;
        push(&log, format!("reader at {now:?}"));
        yield_from!(sys::yield_now())?;
    }
    yield_from!(sys::cancel(waiter))?;
    Ok(())
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleeper(log: Log) -> Res<()> {
    yield_from!(sys::sleep(Duration::from_secs(3600)))?;
    let now = yield_from!(sys::now())?;
    push(&log, format!("sleeper woke at {now:?}"));
    Ok(())
}

#[test]
fn the_virtual_clock_stands_still_while_tasks_run_beside_a_task_waiting_on_io() {
    within(LIMIT, || {
        let listener = sys::listen("127.0.0.1:0").unwrap();
        let log = new_log();
        let mut kernel = Kernel::new().with_virtual_clock();
        kernel.spawn("sleeper", sleeper(log.clone()));
        let acceptor = kernel.spawn("acceptor", accepts_one(listener));
        kernel.spawn("reader", clock_reader(log.clone(), acceptor));
        let started = Instant::now();
        let passes = passes(&mut kernel, &log);
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            passes.concat(),
            [
                "reader at 0ns",
                "reader at 0ns",
                "reader at 0ns",
                "sleeper woke at 3600s"
            ],
            "time only jumps once nothing is left to run"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// An echo server: one kernel thread of generator tasks, 64 client threads.

const CLIENTS: usize = 64;
/// The messages each client sends, of these sizes (in a rotated order per client); one is
/// bigger than 64 KiB, so it cannot fit in one read and the server's writes meet back-pressure.
const SIZES: [usize; 6] = [1, 100, 1500, 16 * 1024, 70 * 1024, 300 * 1024];

/// Echoes everything it reads until the end of the stream; returns the number of bytes.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn echo(
    stream: TcpStream,
    live: Rc<Cell<usize>>,
    peak: Rc<Cell<usize>>,
) -> Result<u64, kernel::Error> {
    live.set(live.get() + 1);
    peak.set(peak.get().max(live.get()));
    let mut buf = vec![0; 8 * 1024];
    let mut total = 0;
    loop {
        let n = yield_from!(sys::read(&stream, &mut buf))?;
        if n == 0 {
            live.set(live.get() - 1);
            return Ok(total);
        }
        yield_from!(sys::write_all(&stream, &buf[..n]))?;
        total += n as u64;
    }
}

/// Accepts `clients` connections, serves each in a task of its own, and returns how many bytes
/// they echoed in all once every one is done.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn echo_server(
    listener: TcpListener,
    clients: usize,
    peak: Rc<Cell<usize>>,
) -> Result<u64, kernel::Error> {
    let live = Rc::new(Cell::new(0));
    let mut handlers = Vec::new();
    for i in 0..clients {
        let (stream, _) = yield_from!(sys::accept(&listener))?;
        let task = Task::new(
            format!("echo {i}"),
            echo(stream, live.clone(), peak.clone()),
        );
        handlers.push(yield_from!(sys::spawn(task))?);
    }
    let mut total = 0;
    for handler in handlers {
        let joined = yield_from!(sys::join::<Result<u64, kernel::Error>>(handler))?;
        total += joined.map_err(io::Error::other)??;
    }
    Ok(total)
}

fn message(client: usize, index: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ client.wrapping_mul(7) ^ index) as u8)
        .collect()
}

/// Counts this client in and waits (bounded) until all `CLIENTS` have.
fn rendezvous(count: &AtomicUsize) {
    count.fetch_add(1, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    while count.load(Ordering::SeqCst) < CLIENTS {
        assert!(Instant::now() < deadline, "the other clients never came");
        thread::sleep(ms(1));
    }
}

/// One client: connects, waits for the others, sends each message (from a second thread, so
/// big ones cannot deadlock against its own reads) and checks every byte of the echo; holds the
/// connection until every client is done, then closes and expects the server to close too.
fn client(addr: SocketAddr, id: usize, connected: &AtomicUsize, echoed: &AtomicUsize) -> u64 {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    rendezvous(connected);
    let mut sent = 0;
    for index in 0..SIZES.len() {
        let len = SIZES[(index + id) % SIZES.len()];
        let msg = message(id, index, len);
        let mut writer = stream.try_clone().unwrap();
        thread::scope(|s| {
            s.spawn(|| writer.write_all(&msg).expect("send"));
            let mut back = vec![0; len];
            stream.read_exact(&mut back).expect("echo");
            assert!(
                back == msg,
                "client {id}: message {index} ({len} bytes) came back changed"
            );
        });
        sent += len as u64;
    }
    rendezvous(echoed);
    stream.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the server closes its end");
    assert!(rest.is_empty(), "client {id}: {} stray bytes", rest.len());
    sent
}

#[test]
fn echo_server_serves_64_concurrent_clients_every_byte_back() {
    let (echoed, sent, peak, reports) = within(LIMIT, || {
        let listener = sys::listen("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        let connected = Arc::new(AtomicUsize::new(0));
        let echoed = Arc::new(AtomicUsize::new(0));
        let clients: Vec<thread::JoinHandle<u64>> = (0..CLIENTS)
            .map(|id| {
                let (connected, echoed) = (connected.clone(), echoed.clone());
                thread::spawn(move || client(addr, id, &connected, &echoed))
            })
            .collect();

        let peak = Rc::new(Cell::new(0));
        let mut kernel = Kernel::new();
        let reports = capture_reports(&mut kernel);
        let server = kernel.spawn("server", echo_server(listener, CLIENTS, peak.clone()));
        kernel.run();

        let sent: u64 = clients
            .into_iter()
            .map(|c| c.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .sum();
        let echoed = kernel
            .take_return::<Result<u64, kernel::Error>>(server)
            .expect("the server returned")
            .expect("the server had no errors");
        let reports: Vec<String> = reports
            .borrow()
            .iter()
            .filter(|r| !matches!(r, Report::Slow { .. }))
            .map(ToString::to_string)
            .collect();
        (echoed, sent, peak.get(), reports)
    });
    let per_client: u64 = SIZES.iter().map(|&n| n as u64).sum();
    assert_eq!(sent, per_client * CLIENTS as u64);
    assert_eq!(
        echoed, sent,
        "the server echoed every byte the clients sent"
    );
    assert_eq!(
        peak, CLIENTS,
        "every client was served at the same time (each held its connection until all were done)"
    );
    assert!(reports.is_empty(), "{reports:?}");
}
