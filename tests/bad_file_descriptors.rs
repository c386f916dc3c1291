#![cfg(all(unix, not(miri)))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! A kernel task that waits on a file descriptor the kernel cannot wait on — negative, not
//! open, one the poller refuses, even the loop's own — gets an error reply to that wait, and
//! nothing else changes: the other tasks (those waiting on the same number included) go on,
//! and the kernel stays usable.
//!
//! Some tests here close descriptors or look at which are open, so they must not run beside
//! another test that opens one (every kernel opens some): they all take turns ([`serial`]),
//! under a watchdog, so a lost wake fails the test rather than hangs it.

mod kernel_common;

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Mutex;
use std::time::Duration;

use kernel_common::{capture_reports, within};
use resumable::kernel::{sys, Cancelled, Kernel, Reply, Report, Syscall};
use resumable::prelude::*;
use resumable::rt;

/// Held by every test here while it runs.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `test` alone (holding [`SERIAL`]) and under a watchdog.
fn serial<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    within(LIMIT, test)
}

const LIMIT: Duration = Duration::from_secs(30);

/// Waits once for `fd` to be readable (or writable) and returns the kernel's answer.
#[generator(yield = Syscall, resume = Reply)]
fn waits_on(fd: RawFd, write: bool) -> io::Result<()> {
    let call = if write {
        Syscall::Writable(fd)
    } else {
        Syscall::Readable(fd)
    };
    match yield_!(call) {
        Reply::Io(result) => result,
        other => panic!("a wait is answered with Io, not {other:?}"),
    }
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn naps() -> Result<&'static str, Cancelled> {
    yield_from!(sys::sleep(Duration::from_millis(5)))?;
    Ok("napped")
}

/// Spawns a wait on `fd` each way beside a task that naps, runs them, and returns the two
/// answers; checks that the napper finished and nothing is left.
fn wait_both_ways(fd: RawFd) -> [io::Result<()>; 2] {
    let mut kernel = Kernel::new().with_virtual_clock();
    let reports = capture_reports(&mut kernel);
    let napper = kernel.spawn("napper", naps());
    let read = kernel.spawn("read", waits_on(fd, false));
    let write = kernel.spawn("write", waits_on(fd, true));
    kernel.run();
    assert!(kernel.is_empty(), "{}", kernel.snapshot());
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
    assert_eq!(
        kernel.take_return::<Result<&str, Cancelled>>(napper),
        Ok(Ok("napped"))
    );
    // The kernel is as good as new.
    let again = kernel.spawn("again", naps());
    kernel.run();
    assert_eq!(
        kernel.take_return::<Result<&str, Cancelled>>(again),
        Ok(Ok("napped"))
    );
    [read, write].map(|id| kernel.take_return::<io::Result<()>>(id).unwrap())
}

#[test]
fn a_negative_fd_gets_an_invalid_input_error() {
    serial(|| {
        for result in wait_both_ways(-1) {
            assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        }
        for result in wait_both_ways(i32::MIN) {
            assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        }
    });
}

#[test]
fn a_fd_that_is_not_open_gets_the_systems_error() {
    serial(|| {
        // No process has this many descriptors open.
        for result in wait_both_ways(i32::MAX - 1) {
            let error = result.unwrap_err();
            #[cfg(target_os = "linux")]
            assert_eq!(error.raw_os_error(), Some(9), "EBADF: {error}");
            #[cfg(not(target_os = "linux"))]
            let _ = error;
        }
    });
}

#[cfg(target_os = "linux")]
#[test]
fn a_fd_the_poller_refuses_gets_its_error() {
    serial(|| {
        // epoll refuses regular files.
        let file = std::fs::File::open(file!()).unwrap();
        for result in wait_both_ways(file.as_raw_fd()) {
            let error = result.unwrap_err();
            assert_eq!(error.raw_os_error(), Some(1), "EPERM: {error}");
        }
    });
}

/// The descriptors this process has open.
#[cfg(target_os = "linux")]
fn open_fds() -> Vec<RawFd> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn waiting_on_the_loops_own_descriptors_is_refused_and_wakes_from_other_threads_still_work() {
    serial(|| {
        let before = open_fds();
        let mut kernel = Kernel::new().with_virtual_clock();
        let own: Vec<RawFd> = open_fds()
            .into_iter()
            .filter(|fd| !before.contains(fd))
            .collect();
        assert!(!own.is_empty(), "the kernel's poller has descriptors");
        let waits: Vec<_> = own
            .iter()
            .flat_map(|&fd| [false, true].map(|write| kernel.spawn("own", waits_on(fd, write))))
            .collect();
        kernel.run();
        assert!(kernel.is_empty(), "{}", kernel.snapshot());
        for id in waits {
            let _ = kernel.take_return::<io::Result<()>>(id).unwrap();
        }
        // A job on another thread wakes the loop asleep in the poller: its wake must still
        // interrupt the wait.
        let got = kernel.block_on(async {
            rt::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(20));
                5
            })
            .await
        });
        assert_eq!(got, Ok(5));
    });
}

/// Holds `end` until it has yielded once, closes it, then waits on its old number.
#[generator(yield = Syscall, resume = Reply)]
fn closes_then_waits(end: UnixStream) -> io::Result<()> {
    let fd = end.as_raw_fd();
    let _ = yield_!(Syscall::YieldNow);
    drop(end);
    match yield_!(Syscall::Writable(fd)) {
        Reply::Io(result) => result,
        other => panic!("a wait is answered with Io, not {other:?}"),
    }
}

#[test]
fn a_wait_on_a_number_closed_under_other_waiters_fails_and_wakes_them() {
    serial(|| {
        let (a, _b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let mut kernel = Kernel::new().with_virtual_clock();
        let reports = capture_reports(&mut kernel);
        let reader = kernel.spawn("reader", waits_on(fd, false));
        let closer = kernel.spawn("closer", closes_then_waits(a));
        kernel.run();
        assert!(
            !reports
                .borrow()
                .iter()
                .any(|r| matches!(r, Report::Stalled { .. })),
            "{:?}",
            reports.borrow()
        );
        assert!(kernel.is_empty(), "{}", kernel.snapshot());
        assert!(kernel
            .take_return::<io::Result<()>>(closer)
            .unwrap()
            .is_err());
        // Woken as a closed socket's waiters are: its next operation will say what happened.
        assert!(kernel
            .take_return::<io::Result<()>>(reader)
            .unwrap()
            .is_ok());
    });
}
