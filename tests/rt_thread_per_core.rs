#![cfg(all(target_os = "linux", not(miri)))] // SO_REUSEPORT spreads connections on Linux; Miri runs no processes
//! The thread-per-core example (`examples/thread_per_core.rs`) run as a separate process: one
//! `rt` loop per thread, each on its own `SO_REUSEPORT` listener on one port. Every loop gets
//! connections, every byte comes back, and the program stops by itself with every thread
//! joined; a loop that panics is reported, and the program still ends (with exit code 1) while
//! the other loop serves on.

#[allow(unused_imports)] // its re-exports of the stress phases, unused here
mod stress_common;

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use stress_common::example_binary;

/// How long the example may take before it counts as hung (it runs its clients for half a
/// second, and a stopping loop waits at most a second for its connections).
const HUNG: Duration = Duration::from_secs(60);

/// Runs the example with `args`; its exit status and its standard output. Panics (after killing
/// it) if it has not ended within `HUNG`.
fn run_example(args: &[&str]) -> (ExitStatus, String) {
    let mut child = Command::new(example_binary("thread_per_core"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HUNG {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "thread_per_core {args:?} did not end within {HUNG:?}; its output:\n{}\n{}",
                out.join().unwrap(),
                err.join().unwrap()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    eprintln!("thread_per_core {args:?}: {status}\n{out}\n{err}");
    (status, out)
}

/// The connections each loop reports, from its `loop N: C connections ...` line, in loop order.
fn connections_per_loop(out: &str) -> Vec<(usize, u64)> {
    out.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("loop ")?;
            let (no, rest) = rest.split_once(": ")?;
            let count = rest.split_once(" connections")?.0;
            Some((no.parse().ok()?, count.parse().ok()?))
        })
        .collect()
}

/// The clients' line: (connections, round trips, failed connections).
fn clients(out: &str) -> (u64, u64, u64) {
    let line = out
        .lines()
        .find(|l| l.starts_with("clients: "))
        .expect("a clients: line");
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter_map(|w| w.parse().ok())
        .collect();
    // clients: C connections, R round trips in T: RATE round trips per second; F connections failed
    (numbers[0], numbers[1], *numbers.last().unwrap())
}

#[test]
fn every_loop_gets_connections_and_every_byte_comes_back() {
    let (status, out) = run_example(&["--loops", "2", "--seconds", "0.5"]);
    assert!(status.success(), "exit status {status}");
    let loops = connections_per_loop(&out);
    assert_eq!(
        loops.iter().map(|&(no, _)| no).collect::<Vec<_>>(),
        [0, 1],
        "one line per loop"
    );
    // Dozens of connections, spread by a hash of their ports: none left to one loop alone.
    for &(no, connections) in &loops {
        assert!(connections > 0, "loop {no} got no connection:\n{out}");
    }
    let (connections, round_trips, failed) = clients(&out);
    assert_eq!(failed, 0);
    assert_eq!(
        loops.iter().map(|&(_, c)| c).sum::<u64>(),
        connections,
        "every client connection was accepted by one of the loops"
    );
    assert_eq!(round_trips, connections * 1_000);
}

#[test]
fn a_loop_that_panics_is_reported_and_the_others_serve_on() {
    let (status, out) = run_example(&["--loops", "2", "--seconds", "0.5", "--panic"]);
    assert_eq!(status.code(), Some(1), "a failed run, not a crash:\n{out}");
    assert!(
        out.contains("loop 1 panicked: this loop was asked to panic (--panic)"),
        "the panic is reported:\n{out}"
    );
    // Loop 0 was joined and served what came to it, including what loop 1 no longer took.
    let loops = connections_per_loop(&out);
    assert_eq!(loops.len(), 1, "{out}");
    assert_eq!(loops[0].0, 0);
    let (connections, _, _) = clients(&out);
    assert!(connections > 0, "the clients were served by loop 0:\n{out}");
    assert_eq!(loops[0].1, connections);
}
