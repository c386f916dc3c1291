#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! Cancel-by-throw on `rt` (asyncio's `task.cancel()`): `JoinHandle::cancel` throws
//! `Cancelled` into a generator task at the yield it waits at, its cleanup runs — and may
//! sleep, write to a socket, wait — and the handle gets what it returned. A future cannot be
//! thrown into: it is aborted (dropped, destructors run, no async cleanup).
//!
//! On the virtual clock (`Kernel::with_virtual_clock`), so the cleanup's sleeps take no real
//! time and every `rt::now()` is exact.

mod rt_common;

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use resumable::kernel::{sys, Cancelled, Error, JoinError, Reply, Syscall};
use resumable::prelude::*;
use resumable::rt;
use rt_common::{entries, loopback_pair, ms, new_log, push, virtual_kernel, Guard, Log};

const HOUR: Duration = Duration::from_secs(3600);

/// Sleeps an hour; cancelled, it logs, sleeps 250 ms more (its async cleanup), logs again and
/// returns how many cleanups it did.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn sleeper(log: Log) -> Result<u32, Cancelled> {
    let _guard = Guard::new("sleeper", &log);
    match yield_from!(sys::sleep(HOUR)) {
        Ok(()) => Ok(0),
        Err(Cancelled) => {
            push(&log, format!("cancelled at {:?}", yield_from!(sys::now())?));
            yield_from!(sys::sleep(ms(250)))?;
            push(
                &log,
                format!("cleaned up at {:?}", yield_from!(sys::now())?),
            );
            Ok(1)
        }
    }
}

#[test]
fn a_cancelled_generator_task_runs_its_async_cleanup_and_the_handle_gets_its_return_value() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let (alive, got, at) = kernel.block_on(async move {
        let handle = rt::spawn_generator("sleeper", sleeper(l.clone()));
        rt::sleep(ms(10)).await;
        let alive = handle.cancel();
        push(&l, "cancel returned");
        let got = handle.await;
        (alive, got, rt::now())
    });
    assert!(alive);
    assert_eq!(got, Ok(Ok(1)));
    assert_eq!(
        at,
        ms(260),
        "the cleanup slept 250 ms after the cancel at 10 ms"
    );
    // The throw comes in the next pass, not inside `cancel`; the destructors run when the
    // cleanup returns, not before.
    assert_eq!(
        entries(&log),
        [
            "cancel returned",
            "cancelled at 10ms",
            "cleaned up at 260ms",
            "drop sleeper"
        ]
    );
}

/// Waits to read a line; cancelled, it writes a goodbye (waiting for the socket to be
/// writable, as a cleanup may) and returns.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn session(stream: TcpStream) -> Result<&'static str, Error> {
    let mut buf = [0; 64];
    let read = yield_from!(sys::read(&stream, &mut buf));
    match read {
        Ok(_) => Ok("read"),
        Err(Error::Cancelled) => {
            yield_from!(sys::write_all(&stream, b"goodbye\n"))?;
            Ok("said goodbye")
        }
        Err(e) => Err(e),
    }
}

#[test]
fn a_cancelled_generator_task_can_write_to_a_socket_in_its_cleanup() {
    let (mut client, server) = loopback_pair();
    server.set_nonblocking(true).unwrap();
    let mut kernel = virtual_kernel();
    let got = kernel.block_on(async move {
        let handle = rt::spawn_generator("session", session(server));
        rt::yield_now().await; // it starts and waits to read
        rt::yield_now().await;
        assert!(handle.cancel());
        handle.await
    });
    assert!(matches!(got, Ok(Ok("said goodbye"))), "{got:?}");
    let mut said = String::new();
    client.read_to_string(&mut said).unwrap(); // the session's socket was dropped: EOF
    assert_eq!(said, "goodbye\n");
}

#[test]
fn a_generator_task_may_catch_the_cancel_and_go_on_until_it_chooses_to_return() {
    #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    fn stubborn() -> Result<u32, Cancelled> {
        let mut ignored = 0;
        loop {
            match yield_from!(sys::sleep(ms(100))) {
                Ok(()) if ignored == 2 => return Ok(ignored),
                Ok(()) => {}
                Err(Cancelled) => ignored += 1,
            }
        }
    }
    let mut kernel = virtual_kernel();
    let (got, at) = kernel.block_on(async {
        let handle = rt::spawn_generator("stubborn", stubborn());
        rt::sleep(ms(50)).await;
        assert!(handle.cancel());
        rt::sleep(ms(10)).await;
        assert!(handle.cancel(), "still alive: it caught the first one");
        (handle.await, rt::now())
    });
    // Cancelled at 50 and 60 ms, each throw ending the sleep it was in; the sleep that
    // began at 60 ms ran out at 160 ms.
    assert_eq!(got, Ok(Ok(2)));
    assert_eq!(at, ms(160));
}

#[test]
fn a_generator_task_cancelled_before_it_started_returns_cancelled_without_running() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let got = kernel.block_on(async move {
        let handle = rt::spawn_generator("sleeper", sleeper(l));
        assert!(handle.cancel()); // before its first step
        handle.await
    });
    // Python's throw into a just-started generator: it completes with the error.
    assert_eq!(got, Ok(Err(Cancelled)));
    assert_eq!(entries(&log), Vec::<String>::new(), "its body never ran");
}

#[test]
fn cancelling_a_future_task_aborts_it_at_once() {
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    kernel.block_on(async move {
        let guard = Guard::new("future", &l);
        let handle = rt::spawn(async move {
            let _guard = guard;
            rt::sleep(HOUR).await;
            "slept"
        });
        rt::yield_now().await; // it starts and goes to sleep
        assert!(handle.cancel());
        push(&l, "cancel returned");
        assert_eq!(handle.await, Err(JoinError::Killed));
    });
    // Dropped inside `cancel`: a future has no yield to throw at.
    assert_eq!(entries(&log), ["drop future", "cancel returned"]);
}

#[test]
fn cancelling_a_generator_that_cannot_be_thrown_into_aborts_it() {
    #[generator(yield = Syscall, resume = Reply)]
    fn plain(log: Log) -> u32 {
        let _guard = Guard::new("plain", &log);
        let _ = yield_!(Syscall::Sleep(HOUR));
        7
    }
    let log = new_log();
    let mut kernel = virtual_kernel();
    let l = log.clone();
    let got = kernel.block_on(async move {
        let handle = rt::spawn_generator("plain", plain(l));
        rt::yield_now().await;
        assert!(handle.cancel());
        handle.await
    });
    assert_eq!(got, Err(JoinError::Killed));
    assert_eq!(entries(&log), ["drop plain"]);
}

#[test]
fn cancelling_a_task_that_ended_says_it_was_not_alive() {
    let mut kernel = virtual_kernel();
    kernel.block_on(async {
        let handle = rt::spawn(async { 5 });
        rt::yield_now().await;
        rt::yield_now().await;
        assert!(!handle.cancel());
        assert_eq!(handle.await, Ok(5), "the result is still there");
    });
}
