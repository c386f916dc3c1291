//! `ctrl_c()`: SIGINT as a future (asyncio's `loop.add_signal_handler(signal.SIGINT, ...)`).
//!
//! The first call installs, for the rest of the process, one SIGINT action (through
//! signal-hook's registry, which chains to the handler it replaces) and a socket pair. The
//! action counts the signal and writes a byte into the pair; every future waits for the other
//! end to be readable in its own loop's reactor. Whichever future reads the bytes first wakes
//! all the others (a list of wakers, on any thread), and each completes when the count moved
//! since it was made: so any number of futures, on any number of loops and threads, hear one
//! signal, whoever drains the pipe.
//!
//! With no future waiting, the action does what SIGINT did before the first call: the default
//! action (the process ends, killed by SIGINT), or nothing if it was ignored; a handler of
//! someone else's runs either way (the registry chains to it).

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::panic::Location;
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use core::task::{Context, Poll, Waker};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, OnceLock};

use crate::kernel::engine::{current, pending_at, resumed_at, Core};
use crate::kernel::reactor::Direction;

/// What the first call installs; kept for the process's life.
struct Installed {
    /// Readable after a SIGINT: the action writes a byte to the other end.
    read: UnixStream,
    /// The end the action writes to. Never closed, so the action's descriptor stays valid.
    _write: UnixStream,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();
/// Held while installing, so two threads do not both install.
static INSTALLING: Mutex<()> = Mutex::new(());
/// SIGINTs received since the action was installed.
static RECEIVED: AtomicU64 = AtomicU64::new(0);
/// `ctrl_c` futures alive that have not completed: with none, SIGINT does what it did before.
static WAITERS: AtomicUsize = AtomicUsize::new(0);
/// The wakers of the futures waiting, by the futures' ids, for whoever drains the pipe to wake.
static WAKERS: Mutex<Vec<(u64, Waker)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A future that completes when the process receives SIGINT (Ctrl-C in a terminal), so a
/// server can stop cleanly: stop accepting, let the connections finish or cancel them (drop
/// their [`TaskGroup`](super::TaskGroup)), flush, return.
///
/// It completes for a SIGINT received after it was made (by this call), however late it is
/// first polled; every `ctrl_c` future alive then completes, on any loop and any thread.
///
/// **The first call installs a SIGINT handler for the rest of the process.** While at least
/// one `ctrl_c` future is alive and has not completed, SIGINT goes to them and nothing else
/// happens. With none — before one is made, after it completes or once it is dropped — SIGINT
/// does what it did before the first call: by default the process ends, killed by the signal,
/// as if the handler had never been installed (so a second Ctrl-C during a slow shutdown still
/// stops the program); if SIGINT was ignored, it stays ignored. A handler someone else
/// installed before (signal-hook's registry chains to it) still runs on every SIGINT.
///
/// ```
/// use std::time::Duration;
/// use resumable::rt;
///
/// rt::block_on(async {
///     let stop = rt::ctrl_c();
///     // Nobody presses Ctrl-C here: the wait gives up after 10 ms.
///     assert!(rt::timeout(Duration::from_millis(10), stop).await.is_err());
/// });
/// ```
///
/// A server that stops on Ctrl-C: its connections live in a task group, cancelled when the
/// group is dropped.
///
/// ```no_run
/// use resumable::rt::{self, net::TcpListener, TaskGroup};
///
/// async fn serve(listener: TcpListener) {
///     let connections = TaskGroup::new();
///     loop {
///         let (stream, _) = listener.accept().await.unwrap();
///         connections.spawn(async move {
///             let mut buf = [0; 1024];
///             while let Ok(n @ 1..) = stream.read(&mut buf).await {
///                 if stream.write_all(&buf[..n]).await.is_err() {
///                     break;
///                 }
///             }
///         });
///     }
/// }
///
/// rt::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:7000").unwrap();
///     let server = rt::spawn(serve(listener));
///     rt::ctrl_c().await.expect("SIGINT handler");
///     println!("shutting down");
///     server.abort(); // drops `serve`, its group, and every connection with it
/// });
/// ```
///
/// The future's output is an error only if the handler could not be installed (the system
/// refused a socket pair or the signal action); the next call tries again.
///
/// # Panics
/// When polled outside of a loop (making it needs none).
#[track_caller]
pub fn ctrl_c() -> CtrlC {
    let installed = install();
    // Read before counting this one in: a SIGINT in between finds no waiter (and does what
    // it did before), rather than being counted for a future that then misses it.
    let since = RECEIVED.load(Ordering::SeqCst);
    if installed.is_ok() {
        WAITERS.fetch_add(1, Ordering::SeqCst);
    }
    CtrlC {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        since,
        installed: installed.map_err(Some),
        waiting: None,
        done: false,
        at: Location::caller(),
    }
}

/// The future of [`ctrl_c`].
#[must_use = "futures do nothing unless awaited"]
pub struct CtrlC {
    id: u64,
    /// `RECEIVED` when it was made.
    since: u64,
    /// The error, handed out once, if the handler could not be installed.
    installed: Result<&'static Installed, Option<io::Error>>,
    /// The loop it waits in for the pipe, and the waker it waits with.
    waiting: Option<(Rc<Core>, Waker)>,
    /// It completed (or failed): it no longer counts as a waiter.
    done: bool,
    /// The line that made it, for the slow-task warning (see `rt::yield_now`).
    at: &'static Location<'static>,
}

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(Ok(()));
        }
        let installed = match &mut this.installed {
            Ok(installed) => *installed,
            Err(error) => {
                this.done = true;
                let error = error.take();
                return Poll::Ready(Err(error.unwrap_or_else(|| io::Error::other("no handler"))));
            }
        };
        // Wakeable by whoever drains the pipe from now on, then drained: a signal after this
        // wakes it either way.
        set_waker(this.id, cx.waker());
        if drain(&installed.read) {
            wake_others(this.id);
        }
        if RECEIVED.load(Ordering::SeqCst) != this.since {
            if this.waiting.is_some() {
                resumed_at(this.at);
            }
            this.finish();
            return Poll::Ready(Ok(()));
        }
        let core = current();
        let fd = installed.read.as_raw_fd();
        if let Some((old, waker)) = this.waiting.take() {
            if !Rc::ptr_eq(&old, &core) || !waker.will_wake(cx.waker()) {
                old.forget_fd_waker(fd, Direction::Read, &waker);
            }
        }
        // Polled again before the pipe is ready, it still waits once (the reactor knows it).
        if let Err(error) = core.wait_fd(fd, Direction::Read, cx.waker().clone()) {
            this.finish();
            return Poll::Ready(Err(error));
        }
        this.waiting = Some((core, cx.waker().clone()));
        pending_at(this.at);
        Poll::Pending
    }
}

impl CtrlC {
    /// It no longer waits: not a waiter, not woken, not in its loop's reactor.
    fn finish(&mut self) {
        if core::mem::replace(&mut self.done, true) {
            return;
        }
        WAITERS.fetch_sub(1, Ordering::SeqCst);
        let gone = {
            let mut wakers = WAKERS.lock().unwrap_or_else(|e| e.into_inner());
            wakers
                .iter()
                .position(|(id, _)| *id == self.id)
                .map(|at| wakers.swap_remove(at))
        };
        drop(gone);
        if let (Some((core, waker)), Ok(installed)) = (self.waiting.take(), &self.installed) {
            core.forget_fd_waker(installed.read.as_raw_fd(), Direction::Read, &waker);
        }
    }
}

/// Dropped before it completed, it stops waiting: with no other future alive, SIGINT does what
/// it did before the first `ctrl_c`.
impl Drop for CtrlC {
    fn drop(&mut self) {
        if self.installed.is_ok() {
            self.finish();
        }
    }
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CtrlC")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Installs the SIGINT action and its socket pair, once per process.
fn install() -> io::Result<&'static Installed> {
    if let Some(installed) = INSTALLED.get() {
        return Ok(installed);
    }
    let _installing = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(installed) = INSTALLED.get() {
        return Ok(installed);
    }
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    // The action must never block.
    write.set_nonblocking(true)?;
    let fd = write.as_raw_fd();
    let default = default_action_is_set()?;
    // SAFETY: the action only does what a signal handler may (POSIX's async-signal-safe
    // functions, and atomics): see `on_sigint`. It does not panic, allocate or lock, and the
    // descriptor it writes to stays open for the process's life (`_write` is never dropped).
    unsafe { signal_hook_registry::register(libc::SIGINT, move || on_sigint(fd, default)) }?;
    Ok(INSTALLED.get_or_init(|| Installed {
        read,
        _write: write,
    }))
}

/// Whether SIGINT's action is the default one (the process ends), not ignored or handled.
fn default_action_is_set() -> io::Result<bool> {
    // SAFETY: `sigaction` is plain data: all zeroes is a valid value, which the call overwrites.
    let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: with a null new action, `sigaction` only writes the current one into `old`, a
    // valid, exclusive pointer.
    if unsafe { libc::sigaction(libc::SIGINT, core::ptr::null(), &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(old.sa_sigaction == libc::SIG_DFL)
}

/// The SIGINT action, run inside the signal handler: only atomics and async-signal-safe calls.
fn on_sigint(fd: RawFd, default: bool) {
    RECEIVED.fetch_add(1, Ordering::SeqCst);
    if WAITERS.load(Ordering::SeqCst) == 0 {
        if default {
            // Nobody waits: the default action, as if no handler had been installed. SIGINT is
            // blocked while its handler runs, so the raised one is delivered when it returns,
            // to the default action: the process ends, killed by SIGINT.
            // SAFETY: `signal` and `raise` are async-signal-safe, and take no pointers.
            unsafe {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::raise(libc::SIGINT);
            }
        }
        return;
    }
    let byte = 1u8;
    // SAFETY: `write` is async-signal-safe; `fd` is the write end of the pair, open for the
    // process's life, and non-blocking (a full pipe already wakes the readers); the buffer is
    // one valid byte. Its errno is restored by the registry's handler.
    unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
}

/// Reads what the action wrote; whether there was anything.
fn drain(mut read: &UnixStream) -> bool {
    let mut buf = [0u8; 64];
    let mut got = false;
    loop {
        match read.read(&mut buf) {
            Ok(0) => return got,
            Ok(_) => got = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return got,
        }
    }
}

/// Makes `waker` the one of the future `id`, for whoever drains the pipe. Wakers are cloned
/// and dropped outside of the lock (another executor's may run any code).
fn set_waker(id: u64, waker: &Waker) {
    let lock = || WAKERS.lock().unwrap_or_else(|e| e.into_inner());
    if lock()
        .iter()
        .any(|(i, known)| *i == id && known.will_wake(waker))
    {
        return;
    }
    let fresh = waker.clone();
    let old = {
        let mut wakers = lock();
        match wakers.iter_mut().find(|(i, _)| *i == id) {
            Some((_, known)) => Some(core::mem::replace(known, fresh)),
            None => {
                wakers.push((id, fresh));
                None
            }
        }
    };
    drop(old);
}

/// Wakes every waiting future but `id`: this poll drained the pipe, so their loops may not see
/// it readable.
fn wake_others(id: u64) {
    let wakers: Vec<Waker> = WAKERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(i, _)| *i != id)
        .map(|(_, w)| w.clone())
        .collect();
    for waker in wakers {
        waker.wake();
    }
}
