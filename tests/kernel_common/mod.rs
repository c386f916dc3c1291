//! Helpers shared by the kernel tests (and, through `rt_common`, the `rt` tests): an event log
//! with drop guards, captured reports, a pass-by-pass runner, a watchdog for tests that touch
//! real sockets or threads, and loopback pairs.
#![allow(dead_code)]

use std::cell::RefCell;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use resumable::kernel::{Cancelled, Kernel, Reply, Report, Syscall, TaskId};
use resumable::prelude::*;

/// What a cancellable kernel task returns.
pub type Res<T> = Result<T, Cancelled>;

/// Things that happened, in order: what tasks did and which guards were dropped.
pub type Log = Rc<RefCell<Vec<String>>>;

pub fn new_log() -> Log {
    Rc::default()
}

pub fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

pub fn entries(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

/// Writes `drop NAME` into a [`Log`] when dropped: a task's destructor made visible.
pub struct Guard {
    name: &'static str,
    log: Log,
}

impl Guard {
    pub fn new(name: &'static str, log: &Log) -> Self {
        Guard {
            name,
            log: log.clone(),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        push(&self.log, format!("drop {}", self.name));
    }
}

/// Sends the kernel's reports into a list instead of stderr.
pub fn capture_reports(kernel: &mut Kernel) -> Rc<RefCell<Vec<Report>>> {
    let reports: Rc<RefCell<Vec<Report>>> = Rc::default();
    let sink = reports.clone();
    kernel.on_report(move |r| sink.borrow_mut().push(r.clone()));
    reports
}

/// The most passes a test kernel may take before the test gives up.
pub const MAX_PASSES: usize = 10_000;

/// Runs the kernel pass by pass until it has nothing left to run, and returns what was logged
/// during each pass that logged anything (empty passes — waiting on the clock — are skipped).
pub fn passes(kernel: &mut Kernel, log: &Log) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for _ in 0..MAX_PASSES {
        let before = log.borrow().len();
        let more = kernel.run_once();
        let pass: Vec<String> = log.borrow()[before..].to_vec();
        if !pass.is_empty() {
            out.push(pass);
        }
        if !more {
            return out;
        }
    }
    panic!("the kernel still had work after {MAX_PASSES} passes");
}

/// Runs `f` on its own thread and fails the test if it takes longer than `limit`: a test on
/// real sockets fails rather than hangs when the kernel misbehaves.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => {
            worker.join().expect("the worker thread finished");
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("the worker sends before it ends"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("did not finish within {limit:?}"),
    }
}

/// A connected pair on 127.0.0.1: `(client, server)`, both blocking, with timeouts so a bug
/// fails a test instead of hanging it.
pub fn loopback_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    for s in [&client, &server] {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    }
    (client, server)
}

/// Writes `data` from `client` and waits until all of it can be read at `server`, so a
/// readiness poll is certain to see it. `server` may be a clone of a socket the loop owns (so
/// non-blocking).
pub fn send_and_settle(client: &mut TcpStream, server: &TcpStream, data: &[u8]) {
    client.write_all(data).unwrap();
    let mut buf = vec![0; data.len()];
    for _ in 0..1000 {
        match server.peek(&mut buf) {
            Ok(n) if n == data.len() => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("peek failed: {e}"),
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("{} bytes never arrived on loopback", data.len());
}

#[generator(yield = Syscall, resume = Reply)]
fn does_nothing() {}

/// The id a kernel hands out `n`th, made by spawning `n` tasks on a throwaway kernel: `TaskId`
/// has no public constructor, and a test may need an id before its task exists (ids are handed
/// out in spawn order) or one that was never spawned.
pub fn task_id(n: u64) -> TaskId {
    assert!(n > 0, "ids start at 1");
    let mut kernel = Kernel::new().with_virtual_clock();
    let mut last = None;
    for _ in 0..n {
        last = Some(kernel.spawn("x", does_nothing()));
    }
    kernel.run();
    last.unwrap()
}
