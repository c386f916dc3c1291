#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! The blocking pool outlives what its jobs do: a job that panics, a panic payload whose
//! destructor panics, a result that panics when it is dropped on the worker (nobody waits for it
//! any more) — none of them costs the pool a thread for good, so `spawn_blocking` (and
//! `TcpStream::connect`, which looks host names up on the pool) keep working.
//!
//! The pool is the process's, shared by every test here; it has 16 threads, so each test does
//! its fault more times than that.

mod rt_common;

use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use resumable::rt::{self, net::TcpListener, net::TcpStream, JoinError};
use rt_common::within;

/// The longest a test may take before it counts as hung (a dead pool hangs).
const LIMIT: Duration = Duration::from_secs(60);

/// More than the pool's threads.
const TIMES: usize = 20;

/// Counts its drop, then panics.
struct PanicsOnDrop(Arc<AtomicUsize>);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("result dropped on the worker");
    }
}

/// A panic payload whose destructor panics.
struct NastyPayload;

impl Drop for NastyPayload {
    fn drop(&mut self) {
        panic!("payload dropped");
    }
}

/// The pool still runs work, and `TcpStream::connect` by name (looked up on it) still connects.
async fn the_pool_still_works() {
    assert_eq!(rt::spawn_blocking(|| 6 * 7).await, Ok(42));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accept = rt::spawn(async move { listener.accept().await.map(|_| ()) });
    TcpStream::connect(("localhost", port))
        .await
        .expect("connect");
    accept.await.unwrap().unwrap();
}

#[test]
fn results_that_panic_when_dropped_on_the_worker_do_not_kill_the_pool() {
    within(LIMIT, || {
        rt::block_on(async {
            let drops = Arc::new(AtomicUsize::new(0));
            for i in 0..TIMES {
                let (open, gate) = mpsc::channel::<()>();
                let counter = drops.clone();
                let waiter = rt::spawn(rt::spawn_blocking(move || {
                    let _ = gate.recv();
                    PanicsOnDrop(counter)
                }));
                rt::yield_now().await;
                // Nobody waits for the result any more: the worker drops it.
                waiter.abort();
                open.send(()).unwrap();
                while drops.load(Ordering::SeqCst) <= i {
                    rt::sleep(Duration::from_millis(1)).await;
                }
            }
            the_pool_still_works().await;
        });
    });
}

#[test]
fn jobs_that_panic_come_back_as_join_errors_and_do_not_kill_the_pool() {
    within(LIMIT, || {
        rt::block_on(async {
            for _ in 0..TIMES {
                let plain = rt::spawn_blocking(|| -> u32 { panic!("job failed") }).await;
                assert_eq!(plain, Err(JoinError::Panicked("job failed".into())));
                // Its payload's destructor panics: the error must come back all the same.
                let nasty = rt::spawn_blocking(|| -> u32 { panic::panic_any(NastyPayload) }).await;
                assert!(matches!(nasty, Err(JoinError::Panicked(_))), "{nasty:?}");
            }
            the_pool_still_works().await;
        });
    });
}

#[test]
fn a_job_whose_panic_nobody_waits_for_does_not_kill_the_pool() {
    within(LIMIT, || {
        rt::block_on(async {
            for _ in 0..TIMES {
                let (open, gate) = mpsc::channel::<()>();
                let (done, finished) = mpsc::channel::<()>();
                let job = rt::spawn_blocking(move || -> u32 {
                    let _ = gate.recv();
                    let _done = Finished(done);
                    panic::panic_any(NastyPayload)
                });
                drop(job);
                open.send(()).unwrap();
                while finished.try_recv().is_err() {
                    rt::sleep(Duration::from_millis(1)).await;
                }
            }
            the_pool_still_works().await;
        });
    });
}

/// Says so when dropped: the job has got as far as its panic.
struct Finished(mpsc::Sender<()>);

impl Drop for Finished {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}
