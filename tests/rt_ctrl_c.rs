#![cfg(not(miri))] // Signals and the loop's poller: nothing Miri can run.
//! `rt::ctrl_c()`: SIGINT as a future. Raised with `raise` (to the raising thread) or `kill` (to
//! the process: any thread may take it) while futures wait, on one loop or on several threads'
//! loops; a dropped future leaves the loop free to stop; and with no future alive SIGINT does
//! what it did before the first call (checked in child processes, since by default it ends
//! the process).
//!
//! Signals are the process's: the tests of this binary take turns (`serial`).

mod rt_common;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::thread;

use resumable::kernel::{sys, Cancelled, JoinError, Kernel, Reply, Report, Syscall, Task, TaskId};
use resumable::prelude::*;
use resumable::rt;
use rt_common::{capture_reports, ms, within};

/// One test at a time: a signal is the whole process's.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// SIGINT to the calling thread (its handler runs before this returns).
fn raise_sigint() {
    // SAFETY: `raise` takes no pointers; SIGINT's action is `ctrl_c`'s (or the child's own).
    assert_eq!(unsafe { libc::raise(libc::SIGINT) }, 0);
}

/// SIGINT to the process: whichever of its threads takes it runs the handler.
fn kill_sigint() {
    // SAFETY: plain calls with no pointers.
    assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGINT) }, 0);
}

#[test]
fn a_sigint_raised_while_the_loop_waits_completes_ctrl_c() {
    within(ms(10_000), || {
        let _serial = serial();
        rt::block_on(async {
            let mut stop = rt::ctrl_c();
            // No signal yet: it waits.
            assert!(rt::timeout(ms(10), &mut stop).await.is_err());
            // From a pool thread, while this loop waits in its poller for the pipe.
            let raiser = rt::spawn_blocking(|| {
                thread::sleep(ms(20));
                raise_sigint();
            });
            stop.await.unwrap();
            raiser.await.unwrap();
        });
    });
}

#[test]
fn a_future_hears_a_sigint_received_after_it_was_made_not_before() {
    within(ms(10_000), || {
        let _serial = serial();
        let early = rt::ctrl_c();
        raise_sigint(); // before anything polls it, and before `late` is made
        let late = rt::ctrl_c();
        rt::block_on(async {
            early.await.unwrap();
            assert!(rt::timeout(ms(10), late).await.is_err());
        });
    });
}

#[test]
fn one_sigint_completes_every_future_on_every_loop_and_thread() {
    const THREADS: usize = 3;
    within(ms(10_000), || {
        let _serial = serial();
        let ready = Arc::new(Barrier::new(THREADS + 1));
        let loops: Vec<_> = (0..THREADS)
            .map(|_| {
                let ready = ready.clone();
                thread::spawn(move || {
                    rt::block_on(async move {
                        // Two on each loop: one awaited here, one in a task.
                        let here = rt::ctrl_c();
                        let task = rt::spawn(rt::ctrl_c());
                        ready.wait();
                        here.await.unwrap();
                        task.await.unwrap().unwrap();
                    })
                })
            })
            .collect();
        ready.wait();
        kill_sigint();
        for handle in loops {
            handle.join().unwrap();
        }
    });
}

#[test]
fn a_loop_busy_when_the_signal_came_hears_it_after_another_loop_drained_the_pipe() {
    within(ms(10_000), || {
        let _serial = serial();
        let (a_waits, b_waits, b_go) = (
            Arc::new(Barrier::new(2)),
            Arc::new(Barrier::new(2)),
            Arc::new(Barrier::new(2)),
        );
        let (a_w, b_w, b_g) = (a_waits.clone(), b_waits.clone(), b_go.clone());
        let busy = thread::spawn(move || {
            rt::block_on(async move {
                let task = rt::spawn(rt::ctrl_c());
                rt::yield_now().await; // it waits now, in this loop's reactor
                b_w.wait();
                b_g.wait(); // this thread is busy, not in its poller, while the signal comes
                task.await.unwrap().unwrap();
            })
        });
        let drains = thread::spawn(move || {
            rt::block_on(async move {
                let stop = rt::ctrl_c();
                a_w.wait();
                stop.await.unwrap(); // reads the byte from the pipe
            })
        });
        a_waits.wait();
        b_waits.wait();
        raise_sigint();
        drains.join().unwrap();
        // The pipe is empty again: the busy loop hears of the signal from the one that read it.
        b_go.wait();
        busy.join().unwrap();
    });
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins(target: TaskId) -> Result<Result<(), JoinError>, Cancelled> {
    yield_from!(sys::join::<()>(target))
}

/// Spawns a task that joins this one, and joins it: neither can ever run again.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn join_cycle() -> Result<Result<(), JoinError>, Cancelled> {
    let me = yield_from!(sys::get_id())?;
    let other = yield_from!(sys::spawn(Task::new("other half", joins(me))))?;
    yield_from!(sys::join::<()>(other))
}

#[test]
fn a_dropped_ctrl_c_leaves_its_loop_free_to_stop() {
    within(ms(10_000), || {
        let _serial = serial();
        let mut kernel = Kernel::new();
        let reports = capture_reports(&mut kernel);
        let waited = kernel.block_on(async { rt::timeout(ms(10), rt::ctrl_c()).await });
        assert!(waited.is_err());
        // Tasks that can never run again: with the pipe forgotten, the loop says so and
        // returns, instead of waiting in its poller for a SIGINT nobody wants any more.
        kernel.spawn("cycle", join_cycle());
        kernel.run();
        assert!(reports
            .borrow()
            .iter()
            .any(|r| matches!(r, Report::Stalled { .. })));
    });
}

/// Runs `child_process` in a child process (this test binary again) in `mode`; its status and
/// what it printed.
fn run_child(mode: &str) -> (std::process::ExitStatus, String) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["child_process", "--exact", "--ignored", "--nocapture"])
        .env("RT_CTRL_C_CHILD", mode)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status, stdout)
}

#[test]
fn with_no_future_alive_sigint_ends_the_process_as_by_default() {
    let (status, stdout) = run_child("default");
    assert!(stdout.contains("heard it"), "{stdout}");
    assert!(stdout.contains("dropped one"), "{stdout}");
    assert!(!stdout.contains("survived"), "{stdout}");
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}\n{stdout}");
}

#[test]
fn with_no_future_alive_an_ignored_sigint_stays_ignored() {
    let (status, stdout) = run_child("ignored");
    assert!(stdout.contains("heard it"), "{stdout}");
    assert!(stdout.contains("survived"), "{stdout}");
    assert!(status.success(), "{status:?}\n{stdout}");
}

/// The child's part of the two tests above (does nothing unless run by them).
#[test]
#[ignore = "run in a child process by the tests above"]
fn child_process() {
    let Ok(mode) = std::env::var("RT_CTRL_C_CHILD") else {
        return;
    };
    let say = |what: &str| {
        println!("{what}");
        std::io::stdout().flush().unwrap();
    };
    if mode == "ignored" {
        // SAFETY: `signal` with SIG_IGN takes no pointers.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    }
    rt::block_on(async {
        let stop = rt::ctrl_c();
        raise_sigint();
        stop.await.unwrap();
    });
    say("heard it");
    // Completed, and now one dropped before any signal: nobody waits.
    drop(rt::ctrl_c());
    say("dropped one");
    raise_sigint();
    say("survived");
}
