//! Helpers for the servers' stress tests (`stress_echo.rs`, `stress_chat.rs`): an example server
//! started as a child process and watched from outside (its descriptors, memory and CPU time
//! from `/proc`), and the misbehaving clients thrown at it.
//!
//! The servers are black boxes: the tests talk to them over TCP on 127.0.0.1 only, and assume
//! no more than that `EXAMPLE server 127.0.0.1:0` serves on a free port and prints the address
//! it bound (as `IP:PORT`, a word of its first line of output).
#![allow(dead_code)]

pub mod clients;
#[path = "../example_bin/mod.rs"]
mod example_bin;
mod phases;

pub use example_bin::example_binary;

pub use phases::{churn_leaves_nothing, out_of_descriptors};

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{prlimit, Pid, Resource, Rlimit};

use clients::open_many;

/// How many lines of the server's output a failure shows.
const TAIL: usize = 60;
/// The CPU time an idle server may use in a second, in clock ticks (10 ms each): rounding
/// leaves one, and nothing should take more.
pub const IDLE_TICKS: u64 = 1;
/// The times an idle server's threads may be woken in a second: a server waiting for events
/// sleeps in the poller without a timeout and is woken 0 times; one that polls (even every
/// 100 ms, too little to show as CPU time) is woken 10 times or more.
pub const IDLE_SWITCHES: u64 = 2;

/// Raises this process's soft limit on open descriptors to `wanted` if the hard limit allows;
/// returns the limit now in force. Child processes inherit it.
pub fn raise_fd_limit(wanted: u64) -> u64 {
    let limit = rustix::process::getrlimit(Resource::Nofile);
    let (soft, hard) = (limit.current, limit.maximum);
    let target = hard.map_or(wanted, |hard| hard.min(wanted));
    if soft.is_some_and(|soft| soft >= target) {
        return soft.unwrap_or(u64::MAX);
    }
    let new = Rlimit {
        current: Some(target),
        maximum: hard,
    };
    match rustix::process::setrlimit(Resource::Nofile, new) {
        Ok(()) => target,
        Err(_) => soft.unwrap_or(u64::MAX),
    }
}

/// The most connections a phase may hold open at once, given the descriptor limit (this
/// process holds one per connection, and so does the server): `wanted`, or fewer, with a
/// message saying so.
pub fn scaled_connections(wanted: usize) -> usize {
    const SPARE: usize = 200; // stdio, the poller, the test's own sockets, the harness
    let limit = usize::try_from(raise_fd_limit((wanted + SPARE) as u64)).unwrap_or(usize::MAX);
    if limit >= wanted + SPARE {
        wanted
    } else {
        let scaled = limit.saturating_sub(SPARE).max(50);
        eprintln!(
            "the descriptor limit is {limit} (`ulimit -n`; the hard limit allows no more): \
             {scaled} idle connections instead of {wanted}"
        );
        scaled
    }
}

/// What the server printed (stdout and stderr), the last `TAIL` lines.
type Output = Arc<Mutex<VecDeque<String>>>;

/// An example server running as a child process; killed when dropped, so a failing test
/// leaves nothing behind.
pub struct Server {
    child: Child,
    pid: u32,
    /// Where it serves.
    pub addr: SocketAddr,
    name: String,
    output: Output,
}

impl Server {
    /// Starts `example server 127.0.0.1:0` and waits for the address it prints.
    pub fn start(example: &str) -> Server {
        let binary = example_binary(example);
        let mut child = Command::new(&binary)
            .args(["server", "127.0.0.1:0"])
            // glibc's malloc raises its mmap threshold to the largest block freed (up to
            // 32 MiB) and keeps such blocks in its heap from then on: a few 256 KiB queues,
            // freed, would stay resident and hide whether anything else does. Fixed
            // thresholds (which stop that) make resident memory follow what the server holds.
            // Other allocators ignore these.
            .env("MALLOC_MMAP_THRESHOLD_", "131072")
            .env("MALLOC_TRIM_THRESHOLD_", "131072")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let output: Output = Arc::default();
        let (first, first_line) = mpsc::channel();
        drain(
            child.stdout.take().expect("piped"),
            output.clone(),
            Some(first),
        );
        drain(child.stderr.take().expect("piped"), output.clone(), None);
        let mut server = Server {
            pid: child.id(),
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            name: example.to_string(),
            output,
        };
        let line = first_line
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| server.fail("printed no line within 20 s of starting"));
        let addr = line.split_whitespace().find_map(|word| {
            word.trim_end_matches([',', '.', ';', ':'])
                .parse::<SocketAddr>()
                .ok()
        });
        server.addr = addr.unwrap_or_else(|| server.fail("printed no address first"));
        server
    }

    /// Panics with `what`, the server's last lines of output, and whether it is still alive.
    pub fn fail(&self, what: impl std::fmt::Display) -> ! {
        let mut tail = String::new();
        for line in self.output.lock().expect("output").iter() {
            let _ = writeln!(tail, "    | {line}");
        }
        let alive = std::fs::metadata(format!("/proc/{}", self.pid)).is_ok();
        panic!(
            "{} (pid {}, {}): {what}\n  its last lines of output:\n{tail}",
            self.name,
            self.pid,
            if alive { "running" } else { "exited" }
        );
    }

    /// Sends it SIGINT (what Ctrl-C sends) and waits up to `limit` for it to exit; returns
    /// how it exited.
    pub fn interrupt(&mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = Pid::from_raw(self.pid as i32).expect("a live child's pid");
        rustix::process::kill_process(pid, rustix::process::Signal::INT)
            .unwrap_or_else(|e| self.fail(format_args!("cannot send SIGINT: {e}")));
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                _ => self.fail(format_args!("still running {limit:?} after SIGINT")),
            }
        }
    }

    /// Fails unless the server process is still running.
    pub fn assert_alive(&mut self, during: &str) {
        if let Ok(Some(status)) = self.child.try_wait() {
            self.fail(format_args!("exited ({status}) during {during}"));
        }
    }

    fn proc(&self, what: &str) -> String {
        std::fs::read_to_string(format!("/proc/{}/{what}", self.pid))
            .unwrap_or_else(|e| self.fail(format_args!("cannot read /proc/PID/{what}: {e}")))
    }

    /// Its open descriptors (`/proc/PID/fd`).
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .unwrap_or_else(|e| self.fail(format_args!("cannot list /proc/PID/fd: {e}")))
            .count()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Its resident memory in KiB (`VmRSS` in `/proc/PID/status`).
    pub fn rss_kib(&self) -> u64 {
        status_field(&self.proc("status"), "VmRSS:")
    }

    /// Opens `n` connections as [`open_many`] does, 64 at a time, letting the server accept
    /// each batch before the next. (Connecting is quicker than a debug build's accepting; a
    /// full listen queue drops the next connection's SYN, which is sent again only a second
    /// later.)
    pub fn open_paced(
        &self,
        n: usize,
        greet: impl Fn(usize, &std::net::TcpStream) -> std::io::Result<()>,
    ) -> Vec<std::net::TcpStream> {
        let before = self.fds();
        let mut streams = Vec::with_capacity(n);
        while streams.len() < n {
            let batch = (n - streams.len()).min(64);
            let offset = streams.len();
            streams.extend(open_many(self.addr, batch, |k, s| greet(offset + k, s)));
            let opened = streams.len();
            self.wait_accepted(before + opened);
        }
        streams
    }

    /// Closes `streams` as [`leave_all`](clients::leave_all) does, 64 at a time, letting the
    /// server see each batch go before the next: a crowd leaving at once makes a chat server
    /// queue every leaving client's goodbye for every other before any of them is sent (a
    /// spike of memory that the allocator keeps, which would blur what the test measures).
    pub fn close_paced(&self, streams: Vec<std::net::TcpStream>) {
        let mut streams = streams.into_iter().enumerate().peekable();
        while streams.peek().is_some() {
            let before = self.fds();
            let mut closed = 0;
            for (k, stream) in streams.by_ref().take(64) {
                clients::Leave::alternate(k).apply(stream);
                closed += 1;
            }
            self.wait_settled(|fds| fds + closed <= before);
        }
    }

    /// Waits until its descriptor count reaches `target`, or stops growing for 100 ms (it
    /// has accepted all it will: other connections may have closed meanwhile).
    fn wait_accepted(&self, target: usize) {
        self.wait_settled(|fds| fds >= target);
    }

    /// Waits until `done` holds for its descriptor count, or the count stays the same for
    /// 100 ms, or 5 s have passed.
    fn wait_settled(&self, done: impl Fn(usize) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let (mut last, mut same) = (self.fds(), 0);
        while !done(last) && same < 5 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
            let now = self.fds();
            same = if now == last { same + 1 } else { 0 };
            last = now;
        }
    }

    /// Waits until its descriptor count stays the same for 300 ms; returns it.
    pub fn settled_fds(&self) -> usize {
        let mut last = self.fds();
        let mut same = 0;
        while same < 15 {
            thread::sleep(Duration::from_millis(20));
            let now = self.fds();
            same = if now == last { same + 1 } else { 0 };
            last = now;
        }
        last
    }

    /// The CPU time it has used, user and system, in clock ticks (`/proc/PID/stat`).
    pub fn cpu_ticks(&self) -> u64 {
        let stat = self.proc("stat");
        // The fields after the command name, which is in parentheses and may hold spaces:
        // state is field 3, utime 14 and stime 15.
        let rest = &stat[stat.rfind(')').expect("stat has a command") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
    }

    /// How many times its threads have been switched to (voluntary and involuntary context
    /// switches, summed over `/proc/PID/task/*/status`; a thread that exited no longer counts).
    pub fn switches(&self) -> u64 {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid))
            .unwrap_or_else(|e| self.fail(format_args!("cannot list /proc/PID/task: {e}")));
        tasks
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
            .map(|s| {
                status_field(&s, "voluntary_ctxt_switches:")
                    + status_field(&s, "nonvoluntary_ctxt_switches:")
            })
            .sum()
    }

    /// Waits up to `patience` for its descriptor count to satisfy `ok`; returns the last count
    /// and whether it did.
    pub fn wait_fds(&self, patience: Duration, ok: impl Fn(usize) -> bool) -> (usize, bool) {
        let deadline = Instant::now() + patience;
        loop {
            let fds = self.fds();
            if ok(fds) {
                return (fds, true);
            }
            if Instant::now() >= deadline {
                return (fds, false);
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until it has settled (not woken in 200 ms, up to 10 s), then measures
    /// what it uses over `window` without being sent anything: (CPU ticks, thread switches).
    pub fn idle_usage(&self, window: Duration) -> (u64, u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut before = (self.cpu_ticks(), self.switches());
        loop {
            thread::sleep(Duration::from_millis(200));
            let now = (self.cpu_ticks(), self.switches());
            if now == before || Instant::now() >= deadline {
                break;
            }
            before = now;
        }
        let (ticks, switches) = (self.cpu_ticks(), self.switches());
        thread::sleep(window);
        (self.cpu_ticks() - ticks, self.switches() - switches)
    }

    /// Measures what it uses over a second in which nobody sends it anything (see
    /// [`idle_usage`](Self::idle_usage)), and fails unless that is nothing: at most
    /// `IDLE_TICKS` of CPU time and `IDLE_SWITCHES` wake-ups. Returns both.
    pub fn assert_idle(&self, while_what: &str) -> (u64, u64) {
        let (ticks, switches) = self.idle_usage(Duration::from_secs(1));
        if ticks > IDLE_TICKS || switches > IDLE_SWITCHES {
            self.fail(format_args!(
                "not idle {while_what}: {ticks} CPU ticks and {switches} thread switches in 1 s"
            ));
        }
        (ticks, switches)
    }

    /// Sets its soft limit on open descriptors; returns the previous one. (It inherited this
    /// process's limits, so the hard limit it keeps is this process's.)
    ///
    /// # Errors
    /// If the system does not allow it.
    pub fn set_fd_limit(&self, soft: Option<u64>) -> std::io::Result<Option<u64>> {
        let pid = Pid::from_raw(i32::try_from(self.pid).expect("a pid")).expect("not 0");
        let new = Rlimit {
            current: soft,
            maximum: rustix::process::getrlimit(Resource::Nofile).maximum,
        };
        Ok(prlimit(Some(pid), Resource::Nofile, new)?.current)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `from` line by line on a thread until it ends, keeping the last `TAIL` lines (so
/// the server never blocks on a full pipe); the first line also goes to `first`.
fn drain(from: impl Read + Send + 'static, output: Output, first: Option<mpsc::Sender<String>>) {
    thread::spawn(move || {
        let mut first = first;
        for line in BufReader::new(from).split(b'\n') {
            let Ok(line) = line else { return };
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some(first) = first.take() {
                let _ = first.send(line.clone());
            }
            let mut output = output.lock().expect("output");
            if output.len() == TAIL {
                output.pop_front();
            }
            output.push_back(line);
        }
    });
}

/// The number after `key` in a `/proc/PID/status` text (`0` if absent).
fn status_field(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Figures of a run, printed at the end (run with `--nocapture` to see them).
pub struct Figures(Instant);

impl Default for Figures {
    fn default() -> Self {
        Figures(Instant::now())
    }
}

impl Figures {
    /// Prints `what`, with the time since the start.
    pub fn note(&mut self, what: impl std::fmt::Display) {
        eprintln!("  [{:5.1} s] {what}", self.0.elapsed().as_secs_f64());
    }
}

/// The highest resident memory of a process seen, sampled every 10 ms on a thread.
pub struct PeakRss {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl PeakRss {
    pub fn watch(server: &Server) -> PeakRss {
        let status = format!("/proc/{}/status", server.pid);
        let peak = Arc::new(AtomicU64::new(server.rss_kib()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = thread::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(text) = std::fs::read_to_string(&status) {
                        peak.fetch_max(status_field(&text, "VmRSS:"), Ordering::Relaxed);
                    }
                    thread::sleep(Duration::from_millis(10));
                }
            }
        });
        PeakRss {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// The peak so far, in KiB.
    pub fn get(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for PeakRss {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
