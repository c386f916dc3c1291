#![cfg(all(target_os = "linux", not(miri)))] // reads /proc; Miri runs no processes
//! The chat server example (`examples/chat_server.rs`) under abuse, as a separate process
//! driven over TCP on 127.0.0.1: a thousand idle clients, running out of descriptors, a client
//! that stops reading and half-closes, resets (some while the server is writing to them), half
//! lines, a flood without newlines, a client that never reads while others talk, and 20,000
//! connections one after another. Through all of it the clients that behave are served, and
//! afterwards the server's descriptors and memory are back where they started and it uses no
//! CPU while idle. Run with `--nocapture` to see the figures.
//!
//! What the test assumes of the protocol, and no more: a client's first line is its name, and
//! a line a named client sends reaches every other named client (in some form that contains
//! it). How the server words anything is its own business.

mod stress_common;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use stress_common::clients::{
    churn, connect, has_received, max_send_buffer, open_many, read_to_end, tcp_state, Leave, Lines,
};
use stress_common::{
    churn_leaves_nothing, out_of_descriptors, scaled_connections, Figures, PeakRss, Server,
};

/// Idle clients held open at once (fewer if the descriptor limit is low).
const IDLE: usize = 1000;
/// Bytes sent without a newline by the flooding client.
const FLOOD: usize = 32 << 20;
/// Lines of 1 KiB sent while a client never reads.
const TALK: usize = 16 * 1024;
/// How much more memory (KiB) the server may hold at any time than after the warm-up: a
/// thousand clients, and the bounded queues of those that fall behind.
const PEAK_SLACK_KIB: u64 = 16 << 10;
/// How much more memory (KiB) it may hold once everything is closed than after the warm-up:
/// the allocator's fragmentation after tens of MiB went through the queues (seen up to 1.8
/// MiB), not what clients left behind: the flood kept would be 32 MiB, the backlogs of the
/// clients that fell behind 256 KiB each.
const FINAL_SLACK_KIB: u64 = 4 << 10;

/// Says `name` as the first line.
fn named(name: &str) -> impl Fn(usize, &TcpStream) -> io::Result<()> + '_ {
    move |k, mut stream| stream.write_all(format!("{name}{k}\n").as_bytes())
}

/// Two fresh clients: one says a line with a fresh token until the other hears it (the
/// second may join after the first line is said, so it is said again every 100 ms).
fn probe(addr: SocketAddr) -> io::Result<()> {
    static PROBES: AtomicUsize = AtomicUsize::new(0);
    let n = PROBES.fetch_add(1, Ordering::Relaxed);
    let mut speaker = connect(addr)?;
    let mut hearer = connect(addr)?;
    speaker.write_all(format!("probe{n}a\n").as_bytes())?;
    hearer.write_all(format!("probe{n}b\n").as_bytes())?;
    hearer.set_read_timeout(Some(Duration::from_millis(100)))?;
    let token = format!("token-{n}-{}", std::process::id());
    let (mut heard, mut buf) = (Vec::new(), [0; 4096]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        speaker.write_all(format!("{token}\n").as_bytes())?;
        match hearer.read(&mut buf) {
            Ok(0) => return Err(io::Error::other("the probe's hearer was disconnected")),
            Ok(n) => heard.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
        if heard.windows(token.len()).any(|w| w == token.as_bytes()) {
            return Ok(());
        }
    }
    Err(io::Error::other("a line said was not heard within 15 s"))
}

#[test]
fn chat_server_survives_abuse_and_returns_to_baseline() {
    let idle = scaled_connections(IDLE);
    let mut server = Server::start("chat_server");
    let addr = server.addr;
    let mut figures = Figures::default();
    eprintln!("chat_server on {addr}:");

    // Warm up with the load of the idle phase once (see stress_echo.rs).
    server.close_paced(server.open_paced(idle, named("warm")));
    churn(addr, 200, 2, named("w"));
    probe(addr).unwrap_or_else(|e| server.fail(format_args!("warm-up probe: {e}")));
    let base_fds = server.settled_fds();
    let base_rss = server.rss_kib();
    figures.note(format_args!(
        "baseline (after a warm-up of {idle} clients): {base_fds} descriptors, {base_rss} KiB \
         resident"
    ));
    let peak = PeakRss::watch(&server);

    // 1. Idle clients, each with a name (so every join and leave goes to all of them).
    let conns = server.open_paced(idle, named("idle"));
    let (fds, all) = server.wait_fds(Duration::from_secs(20), |fds| fds >= base_fds + idle);
    if !all {
        server.fail(format_args!(
            "{idle} idle clients: only {fds} descriptors open"
        ));
    }
    probe(addr).unwrap_or_else(|e| server.fail(format_args!("probe beside idle clients: {e}")));
    let (ticks, switches) = server.assert_idle("with idle clients");
    figures.note(format_args!(
        "{idle} idle clients: {fds} descriptors, {} KiB resident; over 1 s idle: {ticks} CPU \
         ticks, {switches} thread switches",
        server.rss_kib()
    ));
    server.close_paced(conns);

    // 2. Clients that stop reading with lines still on their way, then half-close: kept open
    // (and unread) to the end, they must not keep the server's side open. (Early, so the
    // other phases run while the server waits for them.)
    // How many clients land between "everything in the socket buffers" and "too far behind"
    // varies with how the system sized the buffers (one or two, usually): a round where none
    // did tests nothing, so it is run again, up to three rounds, all of them kept open.
    let (mut stalled, mut stuck, mut rounds) = (Vec::new(), 0, 0);
    while stuck == 0 && rounds < 3 {
        let (clients, held) = stall_then_half_close(&server);
        stalled.extend(clients);
        (stuck, rounds) = (held, rounds + 1);
    }
    figures.note(format_args!(
        "{} clients (in {rounds} round(s)) stopped reading, fell behind by 0 to {} MiB and \
         half-closed: {stuck} of the last round still held open by the server 2 s later, with \
         lines they will never take",
        stalled.len(),
        stalled.len() / rounds / 8
    ));
    if stuck == 0 {
        server.fail(
            "in three rounds no client was left with lines it would never take: the phase is void",
        );
    }

    // 3. Out of descriptors: accept fails with EMFILE; the server must wait and resume.
    out_of_descriptors(&mut server, &mut figures, named("fd"));

    // 4. Resets: with half a line sent, and with lines on their way.
    resets(&mut server);
    figures.note("200 resets with half a line sent, 1 with 512 KiB on its way to it");

    // 5. Half lines: clients that hang up in the middle of a line; nobody hears the half.
    half_lines(&server);
    figures.note("100 clients hung up in the middle of a line; the halves went nowhere");

    // 6. A flood without a newline, with a client reading along.
    let flooded = flood(addr).unwrap_or_else(|e| server.fail(format_args!("flood: {e}")));
    figures.note(format_args!(
        "a {} MiB flood without newlines in {:.1?}; the reader got {} MiB of it; peak {} KiB \
         resident so far",
        FLOOD >> 20,
        flooded.0,
        flooded.1 >> 20,
        peak.get()
    ));
    server.assert_alive("the flood");

    // 7. A client that never reads while another talks and a third reads everything.
    slow_reader(&server, &mut figures);

    // 8. Churn: a quarter wait for the greeting, half say a name, half reset.
    churn_leaves_nothing(&mut server, &mut figures, |k, mut s| {
        if k % 4 == 0 {
            let mut byte = [0];
            s.read_exact(&mut byte)?;
        }
        if k % 2 == 0 {
            s.write_all(format!("churn{k}\n").as_bytes())?;
        }
        Ok(())
    });

    // Back to baseline, with the clients of phase 2 still holding their ends open.
    let (fds, back) = server.wait_fds(Duration::from_secs(20), |fds| fds == base_fds);
    if !back {
        server.fail(format_args!(
            "{fds} descriptors open with every client gone but those that stopped reading and \
             half-closed (still open, unread, on their side); {base_fds} at the start"
        ));
    }
    drop(stalled);
    probe(addr).unwrap_or_else(|e| server.fail(format_args!("final probe: {e}")));
    let fds = server.settled_fds();
    let (ticks, switches) = server.assert_idle("after every client left");
    let (rss, peak_rss) = (server.rss_kib(), peak.get());
    figures.note(format_args!(
        "afterwards: {fds} descriptors, {rss} KiB resident (peak {peak_rss} KiB); over 1 s \
         idle: {ticks} CPU ticks, {switches} thread switches"
    ));
    if fds != base_fds {
        server.fail(format_args!(
            "{fds} descriptors at the end, {base_fds} at the start"
        ));
    }
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

/// Sends `lines` lines of 1 KiB, numbered and tagged with `tag`.
fn talk(mut stream: &TcpStream, tag: &str, lines: usize) -> io::Result<()> {
    let mut batch = Vec::with_capacity(64 * 1024);
    for k in 0..lines {
        batch.extend_from_slice(format!("{tag} {k:08} {:x<1000}\n", "").as_bytes());
        if batch.len() >= 60 * 1024 || k + 1 == lines {
            stream.write_all(&batch)?;
            batch.clear();
        }
    }
    Ok(())
}

/// Clients that stop reading while lines are on their way to them, then half-close and stay
/// open without ever reading. Whether the server still has lines for such a client when it
/// leaves depends on how much its socket buffers took (unknown: the system sizes them as it
/// goes), so there are many, joining one after another with 128 KiB of talk between joins:
/// the first ones are far behind (past the backlog's bound: let go), the last ones have
/// everything in their socket buffers (nothing left to send), and a few in between leave with
/// lines the server can never send. Returns them and how many of them the server still had
/// open 2 s after they half-closed.
fn stall_then_half_close(server: &Server) -> (Vec<TcpStream>, usize) {
    const STEP: usize = 128; // lines of 1 KiB
    let addr = server.addr;
    let clients = (max_send_buffer() + (1 << 20)) / (STEP << 10);
    let talker = connect(addr).expect("connect");
    named("stalltalker")(0, &talker).expect("name");
    // A client that reads everything: when it has heard the mark said after a burst, the
    // server has handled the burst, and a client joining now gets nothing of it.
    let reader = connect(addr).expect("connect");
    named("stallreader")(0, &reader).expect("name");
    let marks = std::sync::Arc::new(AtomicUsize::new(0));
    let reading = {
        let (mut lines, marks) = (Lines::new(&reader), marks.clone());
        thread::spawn(move || {
            while let Ok(Some(line)) = lines.next_line() {
                if let Some(k) = line
                    .rsplit("stallmark-")
                    .next()
                    .and_then(|k| k.parse().ok())
                {
                    marks.store(k, Ordering::Relaxed);
                }
            }
        })
    };
    let mut stalled = Vec::new();
    for k in 0..clients {
        let deadline = Instant::now() + Duration::from_secs(10);
        while k > 0 && marks.load(Ordering::Relaxed) < k {
            if Instant::now() > deadline {
                server.fail(format_args!("burst {k} was not handled within 10 s"));
            }
            thread::sleep(Duration::from_millis(5));
        }
        let client = connect_small(addr).expect("connect");
        named("stalled")(k, &client).expect("name");
        // Once it hears a line said after it joined, it is in the room.
        let sync = format!("sync-{k}-{}", std::process::id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while !has_received(&client, sync.as_bytes()).expect("peek") {
            if Instant::now() > deadline {
                server.fail(format_args!("client {k}, joined, did not hear the room"));
            }
            (&talker)
                .write_all(format!("{sync}\n").as_bytes())
                .expect("say");
            thread::sleep(Duration::from_millis(10));
        }
        stalled.push(client);
        talk(&talker, "stall", STEP).expect("talk");
        (&talker)
            .write_all(format!("stallmark-{}\n", k + 1).as_bytes())
            .expect("say");
    }
    drop(talker);
    reader.shutdown(Shutdown::Both).expect("shutdown");
    reading.join().expect("the reader's thread");
    for client in &stalled {
        client.shutdown(Shutdown::Write).expect("half-close");
    }
    thread::sleep(Duration::from_secs(2));
    let open = stalled
        .iter()
        .filter(|c| {
            let port = c.local_addr().expect("local").port();
            tcp_state(addr.port(), port) == Some(CLOSE_WAIT)
        })
        .count();
    (stalled, open)
}

/// A socket whose other end has half-closed, and that is still open (`/proc/net/tcp`).
const CLOSE_WAIT: u8 = 8;

/// 200 clients reset with half a line sent; then one with a small receive buffer resets while
/// 512 KiB are on their way to it (more than its window: the server still holds some).
fn resets(server: &mut Server) {
    let addr = server.addr;
    let resets = open_many(addr, 200, |k, mut s| {
        s.write_all(format!("reset{k}\nhalf a li").as_bytes())
    });
    for stream in resets {
        Leave::Reset.apply(stream);
    }
    let victim = connect_small(addr).expect("connect");
    named("victim")(0, &victim).expect("name");
    let talker = connect(addr).expect("connect");
    named("talker")(0, &talker).expect("name");
    talk(&talker, "to-the-victim", 512).expect("talk");
    Leave::Reset.apply(victim);
    drop(talker);
    probe(addr).unwrap_or_else(|e| server.fail(format_args!("probe after resets: {e}")));
    server.assert_alive("resets");
}

/// 100 clients say a line and hang up in the middle of the next; a client reading along
/// hears none of the halves.
fn half_lines(server: &Server) {
    let mark = format!("half-{}", std::process::id());
    let listener = connect(server.addr).expect("connect");
    named("listener")(0, &listener).expect("name");
    let halves = open_many(server.addr, 100, |k, mut s| {
        s.write_all(format!("half{k}\n{mark} {k}").as_bytes())
    });
    drop(halves); // FIN after the half line
    let heard = hear_until_probe(server, &listener);
    if let Some(line) = heard.iter().find(|line| line.contains(&mark)) {
        server.fail(format_args!("an unfinished line was passed on: {line:?}"));
    }
}

/// Reads lines on `listener` until a probe has gone through (so the lines sent before it have
/// been handled), then leaves; returns what it heard.
fn hear_until_probe(server: &Server, listener: &TcpStream) -> Vec<String> {
    let mut lines = Lines::new(listener);
    let reading = thread::spawn(move || {
        let mut heard = Vec::new();
        while let Ok(Some(line)) = lines.next_line() {
            let end = line.contains("end-of-halves");
            heard.push(line);
            if end {
                break;
            }
        }
        heard
    });
    probe(server.addr).unwrap_or_else(|e| server.fail(format_args!("probe after halves: {e}")));
    let closer = connect(server.addr).expect("connect");
    named("closer")(0, &closer).expect("name");
    // Said until heard: the listener's thread ends when it hears it.
    while !reading.is_finished() {
        (&closer).write_all(b"end-of-halves\n").expect("say");
        thread::sleep(Duration::from_millis(50));
    }
    reading.join().expect("the listener's thread")
}

/// `FLOOD` bytes without a newline from one named client while another reads along; returns
/// how long it took and how much the reader got.
fn flood(addr: SocketAddr) -> io::Result<(Duration, usize)> {
    let reader = connect(addr)?;
    named("floodreader")(0, &reader)?;
    let reading = {
        let reader = reader.try_clone()?;
        thread::spawn(move || read_to_end(&reader))
    };
    let mut flooder = connect(addr)?;
    named("flooder")(0, &flooder)?;
    let started = Instant::now();
    let chunk = [b'x'; 64 * 1024];
    for _ in 0..FLOOD / chunk.len() {
        flooder.write_all(&chunk)?;
    }
    flooder.shutdown(Shutdown::Write)?;
    // The server closes the flooder's connection once it has read it all.
    read_to_end(&flooder)?;
    let took = started.elapsed();
    reader.shutdown(Shutdown::Write)?;
    let got = reading.join().expect("the reader's thread")?;
    Ok((took, got))
}

/// `TALK` lines of 1 KiB from one client, read in order and whole by another, while a third
/// never reads: the server lets the third go when it falls too far behind, and its memory
/// stays bounded meanwhile.
fn slow_reader(server: &Server, figures: &mut Figures) {
    let addr = server.addr;
    let never = connect(addr).expect("connect");
    named("neverreads")(0, &never).expect("name");
    let reader = connect(addr).expect("connect");
    named("reader")(0, &reader).expect("name");
    let talker = connect(addr).expect("connect");
    named("talker")(0, &talker).expect("name");
    let tag = format!("talk-{}", std::process::id());
    let reading = {
        let (reader, tag) = (reader.try_clone().expect("clone"), tag.clone());
        thread::spawn(move || -> Result<(), String> {
            let mut lines = Lines::new(&reader);
            let mut next = 0;
            while next < TALK {
                let line = lines.next_line().map_err(|e| format!("line {next}: {e}"))?;
                let line = line.ok_or_else(|| format!("disconnected before line {next}"))?;
                if let Some(at) = line.find(&tag) {
                    let want = format!("{tag} {next:08} ");
                    if !line[at..].starts_with(&want) {
                        return Err(format!("expected line {next}, got {:.60?}", &line[at..]));
                    }
                    next += 1;
                }
            }
            Ok(())
        })
    };
    let started = Instant::now();
    talk(&talker, &tag, TALK).unwrap_or_else(|e| server.fail(format_args!("talker: {e}")));
    if let Err(e) = reading.join().expect("the reader's thread") {
        server.fail(format_args!("the reader: {e}"));
    }
    // The client that never read now reads what reached it: it must come to an end.
    let kept = read_to_end(&never)
        .unwrap_or_else(|e| server.fail(format_args!("the client that never read: {e}")));
    if kept >= TALK * 1024 {
        server.fail("the client that never read was sent everything: nothing held it back");
    }
    figures.note(format_args!(
        "{TALK} lines of 1 KiB read whole and in order beside a client that never read, in \
         {:.1?}; that one was let go after {} KiB had reached it",
        started.elapsed(),
        kept >> 10
    ));
    drop((talker, reader));
}

/// Connects with a receive buffer of the smallest size (set before connecting, so the window
/// offered is small from the start).
fn connect_small(addr: SocketAddr) -> io::Result<TcpStream> {
    use rustix::net::{sockopt, AddressFamily, SocketType};
    let socket = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None)?;
    sockopt::set_socket_recv_buffer_size(&socket, 4096)?;
    rustix::net::connect(&socket, &addr)?;
    Ok(TcpStream::from(socket))
}

#[test]
fn ctrl_c_says_goodbye_to_everyone_and_exits_cleanly() {
    let mut server = Server::start("chat_server");
    let clients: Vec<TcpStream> = (0..3)
        .map(|k| {
            let client = connect(server.addr).expect("connect");
            named("stay")(k, &client).expect("name");
            client
        })
        .collect();
    probe(server.addr).unwrap_or_else(|e| server.fail(format_args!("probe: {e}")));
    let status = server.interrupt(Duration::from_secs(10));
    if !status.success() {
        server.fail(format_args!("exited with {status} after SIGINT"));
    }
    for client in &clients {
        let mut lines = Lines::new(client);
        let mut heard = Vec::new();
        while let Ok(Some(line)) = lines.next_line() {
            heard.push(line);
        }
        if !heard.iter().any(|line| line.contains("shutting down")) {
            server.fail(format_args!(
                "a client heard no goodbye before the end: {heard:?}"
            ));
        }
    }
}
