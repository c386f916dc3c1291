//! The phases both stress tests run the same way.

use std::thread;
use std::time::{Duration, Instant};

use super::clients::{churn, has_data, open_many};
use super::{Figures, Server};

/// Connections opened and closed one after another by [`churn_leaves_nothing`].
const CHURN: usize = 20_000;
/// How much more memory (KiB) the server may hold after the churn than before: 26 bytes left
/// behind per connection would exceed it. (A joinable task's kept result cost 45 to 85.)
const CHURN_SLACK_KIB: u64 = 512;

/// [`CHURN`] connections, 4 at a time, each `talk`ing then leaving (half of them with a
/// reset): a connection that has ended leaves nothing behind.
pub fn churn_leaves_nothing(
    server: &mut Server,
    figures: &mut Figures,
    talk: impl Fn(usize, &std::net::TcpStream) -> std::io::Result<()> + Sync,
) {
    server.settled_fds();
    let before = server.rss_kib();
    let took = churn(server.addr, CHURN, 4, talk);
    server.settled_fds();
    let after = server.rss_kib();
    figures.note(format_args!(
        "{CHURN} connections one after another (4 at a time, half reset) in {took:.1?}: \
         {before} KiB resident before, {after} KiB after"
    ));
    if after > before + CHURN_SLACK_KIB {
        server.fail(format_args!(
            "{CHURN} connections that came and went left {} KiB behind",
            after - before
        ));
    }
    server.assert_alive("churn");
}

/// The server's descriptor limit is lowered to leave room for `ROOM` connections, and more
/// connect, each `greet`ing it: those it cannot accept wait in the listen queue, and as the
/// answered ones (those sent anything) leave, it must accept the rest. Every one is answered
/// in the end; the limit is restored.
pub fn out_of_descriptors(
    server: &mut Server,
    figures: &mut Figures,
    greet: impl Fn(usize, &std::net::TcpStream) -> std::io::Result<()>,
) {
    const ROOM: usize = 16;
    const CLIENTS: usize = 48;
    let fds = server.settled_fds();
    let old = match server.set_fd_limit(Some((fds + ROOM) as u64)) {
        Ok(old) => old,
        Err(e) => {
            figures.note(format_args!(
                "out of descriptors: SKIPPED, the server's limit cannot be lowered here \
                 (prlimit: {e})"
            ));
            return;
        }
    };
    let restore = |server: &Server| {
        server
            .set_fd_limit(old)
            .unwrap_or_else(|e| server.fail(format_args!("restoring the limit: {e}")))
    };
    let mut waiting = open_many(server.addr, CLIENTS, greet);
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut rounds, mut first_round) = (0, None);
    while !waiting.is_empty() {
        if Instant::now() > deadline {
            let left = waiting.len();
            restore(server);
            server.fail(format_args!(
                "out of descriptors: {left} of {CLIENTS} clients never answered"
            ));
        }
        thread::sleep(Duration::from_millis(200));
        let before = waiting.len();
        // The answered ones are dropped (closed): room for the next.
        let mut reset = None;
        waiting.retain(|s| match has_data(s) {
            Ok(answered) => !answered,
            Err(e) => {
                reset = Some(e);
                false
            }
        });
        if let Some(e) = reset {
            restore(server);
            server.fail(format_args!(
                "out of descriptors: a client waiting to be accepted was cut off ({e})"
            ));
        }
        first_round.get_or_insert(before - waiting.len());
        rounds += 1;
    }
    restore(server);
    let first = first_round.unwrap_or(0);
    if first >= CLIENTS {
        server.fail("the lowered descriptor limit held no one back: the test is void");
    }
    server.assert_alive("running out of descriptors");
    figures.note(format_args!(
        "out of descriptors (room for {ROOM}): {first} of {CLIENTS} answered at first, all of \
         them after {rounds} rounds of the answered ones leaving"
    ));
}
