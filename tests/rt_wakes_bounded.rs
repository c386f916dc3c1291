#![cfg(target_os = "linux")] // Resident memory is read from /proc/self/statm.
//! Wakes stay bounded under load: a task woken any number of times before it runs is queued
//! once, whether the wakes come from another thread or from the loop's own. Measured by the
//! process's resident memory, never timed; in a test binary of its own, so that no other test
//! (a panic's backtrace, say) makes it grow meanwhile.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use resumable::rt;

/// The process's resident memory, in bytes (Linux).
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// One test at a time: each reads the resident memory while it wakes, and holds this until it
/// has checked it (a failing test's backtrace would make the other's grow).
static RESIDENT: Mutex<()> = Mutex::new(());

/// Wakes before the loop takes them: enough that one queue entry each (16 bytes) would add
/// 32 MB.
const WAKES: usize = 2_000_000;

/// How much the resident memory may grow while `WAKES` wakes are made: a sixteenth of what one
/// entry per wake would take.
const SLACK: usize = 2 << 20;

/// What a parked task shows: the waker of its last poll, and how many polls it had.
#[derive(Default)]
struct Seen {
    waker: Option<Waker>,
    polls: usize,
}

/// Pending forever; shows its waker and counts its polls.
struct Parked(Arc<Mutex<Seen>>);

impl Future for Parked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut seen = self.0.lock().unwrap();
        seen.waker = Some(cx.waker().clone());
        seen.polls += 1;
        Poll::Pending
    }
}

/// Parks a task, has `wake_it` wake it `WAKES` times (the loop gets no pass meanwhile), then
/// gives the loop two passes: returns how much the resident memory grew during the wakes, and
/// how often the task was polled in all.
fn park_and_wake(wake_it: impl AsyncFnOnce(Waker) -> usize) -> (usize, usize) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    rt::block_on(async move {
        let task = rt::spawn(Parked(seen.clone()));
        rt::yield_now().await; // it runs and parks
        let parked = seen.lock().unwrap().waker.clone().unwrap();
        let grew = wake_it(parked).await;
        rt::yield_now().await; // a pass: the task runs once
        rt::yield_now().await;
        task.abort();
        let polls = seen.lock().unwrap().polls;
        (grew, polls)
    })
}

#[test]
fn a_task_woken_millions_of_times_from_another_thread_is_queued_once() {
    let _one = RESIDENT.lock().unwrap_or_else(|e| e.into_inner());
    let (grew, polls) = park_and_wake(async |parked| {
        let before = resident();
        // The loop is held here while another thread wakes the parked task.
        std::thread::spawn(move || {
            for _ in 0..WAKES {
                parked.wake_by_ref();
            }
        })
        .join()
        .unwrap();
        resident().saturating_sub(before)
    });
    assert!(grew < SLACK, "resident memory grew by {grew} bytes");
    assert_eq!(polls, 2);
}

#[test]
fn a_task_woken_millions_of_times_on_the_loop_thread_is_queued_once() {
    let _one = RESIDENT.lock().unwrap_or_else(|e| e.into_inner());
    let (grew, polls) = park_and_wake(async |parked| {
        // Another task wakes it, within one poll.
        let waking = rt::spawn(async move {
            let before = resident();
            for _ in 0..WAKES {
                parked.wake_by_ref();
            }
            resident().saturating_sub(before)
        });
        waking.await.unwrap()
    });
    assert!(grew < SLACK, "resident memory grew by {grew} bytes");
    assert_eq!(polls, 2);
}
