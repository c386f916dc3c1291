#![cfg(all(target_os = "linux", not(miri)))] // reads /proc; Miri runs no processes
//! The echo server example (`examples/echo_server.rs`) under abuse, as a separate process
//! driven over TCP on 127.0.0.1: a thousand idle connections, running out of descriptors,
//! resets, half lines, a flood without newlines, a client that never reads, and 20,000
//! connections one after another. Through all of it every well-behaved client is answered, and
//! afterwards the server's descriptors and memory are back where they started and it uses no
//! CPU while idle. Run with `--nocapture` to see the figures.

mod stress_common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use stress_common::clients::{
    churn, connect, fill_until_blocked, leave_all, open_many, read_to_end, Leave,
};
use stress_common::{
    churn_leaves_nothing, out_of_descriptors, scaled_connections, Figures, PeakRss, Server,
};

/// Idle connections held open at once (fewer if the descriptor limit is low).
const IDLE: usize = 1000;
/// Bytes sent without a newline by the flooding client.
const FLOOD: usize = 64 << 20;
/// How much more memory (KiB) the server may hold at any time during the test than at the
/// start: what a thousand connections cost, with room to spare.
const PEAK_SLACK_KIB: u64 = 16 << 10;
/// How much more memory (KiB) it may hold once everything is closed than after the warm-up:
/// the allocator's fragmentation, not what connections left behind.
const FINAL_SLACK_KIB: u64 = 1 << 10;

/// One round trip on a fresh connection: what a client that behaves sees.
fn probe(addr: SocketAddr) -> io::Result<()> {
    let mut stream = connect(addr)?;
    stream.write_all(b"ping\n")?;
    let mut back = [0; 5];
    stream.read_exact(&mut back)?;
    if &back != b"ping\n" {
        return Err(io::Error::other(format!("sent ping, got {back:?}")));
    }
    Ok(())
}

/// Sends `k` as a line and reads it back.
fn round_trip(k: usize, mut stream: &TcpStream) -> io::Result<()> {
    let line = format!("{k}\n");
    stream.write_all(line.as_bytes())?;
    let mut back = vec![0; line.len()];
    stream.read_exact(&mut back)?;
    if back != line.as_bytes() {
        return Err(io::Error::other("a round trip came back wrong"));
    }
    Ok(())
}

#[test]
fn echo_server_survives_abuse_and_returns_to_baseline() {
    let idle = scaled_connections(IDLE);
    let mut server = Server::start("echo_server");
    let addr = server.addr;
    let started = Instant::now();
    let mut figures = Figures::default();
    eprintln!("echo_server on {addr}:");

    // Warm up with the load of the idle phase once: the baseline includes what the allocator
    // keeps of the heap it grew for it (glibc hands little back), so "back to the baseline"
    // means that nothing of the connections stays behind.
    server.close_paced(server.open_paced(idle, |_, _| Ok(())));
    churn(addr, 200, 2, round_trip);
    probe(addr).unwrap_or_else(|e| server.fail(format_args!("warm-up probe: {e}")));
    let base_fds = server.settled_fds();
    let base_rss = server.rss_kib();
    figures.note(format_args!(
        "baseline (after a warm-up of {idle} connections): {base_fds} descriptors, {base_rss} \
         KiB resident"
    ));
    let peak = PeakRss::watch(&server);

    // 1. Idle connections: each costs a descriptor and nothing else, CPU included.
    let conns = server.open_paced(idle, |_, _| Ok(()));
    let (fds, all) = server.wait_fds(Duration::from_secs(20), |fds| fds >= base_fds + idle);
    if !all {
        server.fail(format_args!(
            "{idle} idle connections: only {fds} descriptors open"
        ));
    }
    probe(addr).unwrap_or_else(|e| server.fail(format_args!("probe beside idle clients: {e}")));
    let (ticks, switches) = server.assert_idle("with idle clients");
    figures.note(format_args!(
        "{idle} idle connections: {fds} descriptors, {} KiB resident; over 1 s idle: {ticks} \
         CPU ticks, {switches} thread switches",
        server.rss_kib()
    ));
    server.close_paced(conns);

    // 2. Out of descriptors: accept fails with EMFILE; the server must wait and resume.
    out_of_descriptors(&mut server, &mut figures, |k, mut s| {
        s.write_all(format!("{k}\n").as_bytes())
    });

    // 3. Resets: clients that send and reset without reading, some while the server is
    // blocked writing to them.
    let resets = open_many(addr, 200, |_, mut s| s.write_all(&[b'r'; 1024]));
    for stream in resets {
        Leave::Reset.apply(stream);
    }
    for _ in 0..3 {
        let stream = connect(addr).expect("connect");
        fill_until_blocked(&stream, &[b'w'; 64 * 1024], 64 << 20).expect("fill");
        Leave::Reset.apply(stream);
    }
    probe(addr).unwrap_or_else(|e| server.fail(format_args!("probe after resets: {e}")));
    server.assert_alive("resets");
    figures.note("203 resets, 3 of them while the server was blocked writing to them");

    // 4. Half lines: bytes without a newline are echoed like any others.
    let halves = open_many(addr, 100, |k, mut s| {
        s.write_all(format!("half {k}").as_bytes())?;
        let mut back = vec![0; format!("half {k}").len()];
        s.read_exact(&mut back)
    });
    leave_all(halves);
    figures.note("100 half lines echoed");

    // 5. A flood without a newline, read back as it is echoed: memory stays flat.
    let flooded = flood(addr).unwrap_or_else(|e| server.fail(format_args!("flood: {e}")));
    figures.note(format_args!(
        "a {} MiB flood without newlines echoed whole in {flooded:.1?}",
        FLOOD >> 20
    ));

    // 6. A client that never reads what comes back: the server stops reading it when its
    // socket is full (TCP's flow control), and serves the others.
    let slow = connect(addr).expect("connect");
    let stuck = fill_until_blocked(&slow, &[b's'; 64 * 1024], 256 << 20).expect("fill");
    for k in 0..20 {
        let stream = connect(addr).expect("connect");
        round_trip(k, &stream)
            .unwrap_or_else(|e| server.fail(format_args!("beside a client that never reads: {e}")));
    }
    figures.note(format_args!(
        "a client that never reads: {} KiB sent before the socket blocked; others served",
        stuck >> 10
    ));
    Leave::Reset.apply(slow);

    // 7. Churn: a connection that has ended leaves nothing behind.
    churn_leaves_nothing(&mut server, &mut figures, round_trip);

    // Back to baseline.
    let (fds, back) = server.wait_fds(Duration::from_secs(10), |fds| fds == base_fds);
    if !back {
        server.fail(format_args!(
            "{fds} descriptors open 10 s after every client left; {base_fds} at the start"
        ));
    }
    probe(addr).unwrap_or_else(|e| server.fail(format_args!("final probe: {e}")));
    let (ticks, switches) = server.assert_idle("after every client left");
    let (rss, peak_rss) = (server.rss_kib(), peak.get());
    figures.note(format_args!(
        "afterwards: {fds} descriptors, {rss} KiB resident (peak {peak_rss} KiB); over 1 s \
         idle: {ticks} CPU ticks, {switches} thread switches; {:.1?} in all",
        started.elapsed()
    ));
    if peak_rss > base_rss + PEAK_SLACK_KIB {
        server.fail(format_args!(
            "{peak_rss} KiB resident at the peak, {base_rss} KiB at the start"
        ));
    }
    if rss > base_rss + FINAL_SLACK_KIB {
        server.fail(format_args!(
            "{rss} KiB resident after every client left, {base_rss} KiB at the start"
        ));
    }
}

/// Sends `FLOOD` bytes without a newline on one thread and reads the echo on this one.
fn flood(addr: SocketAddr) -> io::Result<Duration> {
    let stream = connect(addr)?;
    let started = Instant::now();
    let mut writer = stream.try_clone()?;
    let sender = thread::spawn(move || -> io::Result<()> {
        let chunk = [b'x'; 64 * 1024];
        for _ in 0..FLOOD / chunk.len() {
            writer.write_all(&chunk)?;
        }
        writer.shutdown(std::net::Shutdown::Write)
    });
    let echoed = read_to_end(&stream)?;
    sender.join().expect("the flood's sender")?;
    if echoed != FLOOD {
        return Err(io::Error::other(format!(
            "{echoed} of {FLOOD} bytes echoed"
        )));
    }
    Ok(started.elapsed())
}
