//! Readiness from the operating system, through the `polling` crate: who waits on which file
//! descriptor, and waking them when it is ready.
//!
//! A descriptor is registered (in oneshot mode) while something waits on it, for the directions
//! waited for, and deleted when nothing does. Several waiters — generator tasks and futures —
//! may wait on the same descriptor; all the waiters of a direction wake together.
//!
//! A descriptor the reactor cannot wait on (negative, not open, of a kind the poller refuses,
//! the poller's own) fails that one wait with an error and changes nothing else.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::task::Waker;
use core::time::Duration;
use std::collections::HashMap;
use std::io;

use polling::{Event, Events, Poller};

use super::clock::Waiter;
use crate::sched::TaskId;

#[cfg(unix)]
use std::os::fd::{BorrowedFd, RawFd};

/// Which way a task waits on a descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

#[cfg(unix)]
#[derive(Default)]
struct Waiters {
    readers: Vec<Waiter>,
    writers: Vec<Waiter>,
}

#[cfg(unix)]
impl Waiters {
    fn interest(&self, fd: RawFd) -> Event {
        let key = usize::try_from(fd).expect("file descriptors are not negative");
        match (self.readers.is_empty(), self.writers.is_empty()) {
            (false, false) => Event::all(key),
            (false, true) => Event::readable(key),
            (true, false) => Event::writable(key),
            (true, true) => Event::none(key),
        }
    }
}

/// Whom readiness (or a closed descriptor) woke: generator tasks, in the order the system
/// reported them, and futures' wakers, which the caller wakes once the reactor is no longer
/// borrowed (another executor's waker may run any code).
#[derive(Default)]
pub(crate) struct Woken {
    pub(crate) tasks: VecDeque<TaskId>,
    pub(crate) wakers: Vec<Waker>,
}

impl Woken {
    #[cfg(unix)]
    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.wakers.is_empty()
    }
}

pub(crate) struct Reactor {
    poller: Arc<Poller>,
    events: Events,
    /// Every descriptor registered with the poller, with its waiters (maybe none: see `rearm`).
    #[cfg(unix)]
    waiting: HashMap<RawFd, Waiters>,
    /// How many registered descriptors have waiters.
    #[cfg(unix)]
    busy: usize,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Reactor {
            poller: Arc::new(Poller::new()?),
            events: Events::new(),
            #[cfg(unix)]
            waiting: HashMap::new(),
            #[cfg(unix)]
            busy: 0,
        })
    }

    /// The poller, for waking the loop from other threads (`Poller::notify`).
    pub(crate) fn poller(&self) -> Arc<Poller> {
        self.poller.clone()
    }

    /// Whether nothing waits for readiness.
    pub(crate) fn is_idle(&self) -> bool {
        #[cfg(unix)]
        return self.busy == 0;
        #[cfg(not(unix))]
        return true;
    }

    /// Makes `waiter` wait until `fd` is ready for `dir`.
    ///
    /// If the poller cannot wait on `fd` — negative, not open, a kind it refuses, its own —
    /// that is this wait's error. Any other waiters on that number waited on a descriptor that
    /// was closed under them: they go to `woken` (to find out on their next operation).
    #[cfg(unix)]
    pub(crate) fn wait(
        &mut self,
        fd: RawFd,
        dir: Direction,
        waiter: Waiter,
        woken: &mut Woken,
    ) -> io::Result<()> {
        if fd < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot wait on a negative file descriptor",
            ));
        }
        let fresh = !self.waiting.contains_key(&fd);
        let waiters = self.waiting.entry(fd).or_default();
        let idle = waiters.readers.is_empty() && waiters.writers.is_empty();
        let list = match dir {
            Direction::Read => &mut waiters.readers,
            Direction::Write => &mut waiters.writers,
        };
        // A future polled again before its socket is ready waits once, not twice.
        let known = matches!(&waiter, Waiter::Waker(w) if list.iter().any(|o| matches!(o, Waiter::Waker(x) if x.will_wake(w))));
        if known {
            return Ok(());
        }
        list.push(waiter);
        if idle {
            self.busy += 1;
        }
        let interest = waiters.interest(fd);
        let mut result = if fresh {
            // SAFETY: `fd` belongs to a socket its waiter holds, so it is open now. It stays
            // registered until the socket is closed through `close` (rt's sockets do that when
            // dropped), or, for a descriptor closed without telling the reactor (a generator
            // task's std socket), until the operating system removes it on close, which it does
            // on the platforms this module is built for (`cfg(unix)`: epoll, kqueue, event
            // ports). Nothing is ever read through it; a stale entry only costs a failed
            // `modify`, retried as an `add` below.
            unsafe { self.poller.add(fd, interest) }
        } else {
            // SAFETY: `fd` is open: its waiter holds it (see above).
            self.poller.modify(unsafe { borrow(fd) }, interest)
        };
        if !fresh && result.is_err() {
            // The descriptor was closed and its number reused: register it afresh.
            // SAFETY: as for a fresh descriptor above.
            result = unsafe { self.poller.add(fd, interest) };
        }
        if result.is_err() {
            // Nothing of ours is registered for it (a failed `add` registers nothing; a
            // descriptor that cannot be added again was closed, which removed it): forget it,
            // without touching the poller (the number may be the poller's own descriptor).
            let mut waiters = self.waiting.remove(&fd).expect("just added");
            self.busy -= 1;
            match dir {
                Direction::Read => waiters.readers.pop(),
                Direction::Write => waiters.writers.pop(),
            };
            wake_all(waiters.readers.into_iter().chain(waiters.writers), woken);
        }
        result
    }

    /// Stops the generator task `id` waiting on `fd` (it was killed or cancelled).
    #[cfg(unix)]
    pub(crate) fn forget(&mut self, fd: RawFd, dir: Direction, id: TaskId) {
        let Some(waiters) = self.waiting.get_mut(&fd) else {
            return;
        };
        if waiters.readers.is_empty() && waiters.writers.is_empty() {
            return;
        }
        let other = |w: &Waiter| !matches!(w, Waiter::Task(t) if *t == id);
        match dir {
            Direction::Read => waiters.readers.retain(other),
            Direction::Write => waiters.writers.retain(other),
        }
        rearm(&self.poller, &mut self.waiting, &mut self.busy, fd, true);
    }

    /// Stops the future whose waker is `waker` waiting on `fd` (it no longer wants to know, and
    /// the descriptor stays open: `rt::ctrl_c`'s); returns the waiters it removed, for the
    /// caller to drop once the reactor is no longer borrowed.
    #[cfg(unix)]
    pub(crate) fn forget_waker(&mut self, fd: RawFd, dir: Direction, waker: &Waker) -> Vec<Waiter> {
        let Some(waiters) = self.waiting.get_mut(&fd) else {
            return Vec::new();
        };
        let list = match dir {
            Direction::Read => &mut waiters.readers,
            Direction::Write => &mut waiters.writers,
        };
        let (gone, kept): (Vec<Waiter>, Vec<Waiter>) = core::mem::take(list)
            .into_iter()
            .partition(|w| matches!(w, Waiter::Waker(x) if x.will_wake(waker)));
        *list = kept;
        if !gone.is_empty() {
            rearm(&self.poller, &mut self.waiting, &mut self.busy, fd, true);
        }
        gone
    }

    /// Forgets `fd` before it is closed: it is deleted from the poller while still open, and
    /// its waiters go to `woken` (the futures will find their socket gone; a generator task's
    /// wait answers normally and its next read fails).
    #[cfg(unix)]
    pub(crate) fn close(&mut self, fd: RawFd, woken: &mut Woken) {
        let Some(waiters) = self.waiting.remove(&fd) else {
            return;
        };
        if !(waiters.readers.is_empty() && waiters.writers.is_empty()) {
            self.busy -= 1;
        }
        // SAFETY: the caller is about to close `fd`, so it is open.
        let _ = self.poller.delete(unsafe { borrow(fd) });
        wake_all(waiters.readers.into_iter().chain(waiters.writers), woken);
    }

    /// Waits up to `timeout` (`None`: until something is ready, or `Poller::notify`), and puts
    /// whom the descriptors that became ready wake in `woken`.
    pub(crate) fn poll(&mut self, timeout: Option<Duration>, woken: &mut Woken) -> io::Result<()> {
        self.events.clear();
        match self.poller.wait(&mut self.events, timeout) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        #[cfg(unix)]
        for event in self.events.iter() {
            let Ok(fd) = RawFd::try_from(event.key) else {
                continue;
            };
            let Some(waiters) = self.waiting.get_mut(&fd) else {
                continue;
            };
            if waiters.readers.is_empty() && waiters.writers.is_empty() {
                continue;
            }
            if event.readable {
                wake_all(waiters.readers.drain(..), woken);
            }
            if event.writable {
                wake_all(waiters.writers.drain(..), woken);
            }
            rearm(&self.poller, &mut self.waiting, &mut self.busy, fd, false);
        }
        #[cfg(not(unix))]
        let _ = woken;
        Ok(())
    }
}

/// Hands the waiters to `woken`.
#[cfg(unix)]
fn wake_all(waiters: impl Iterator<Item = Waiter>, woken: &mut Woken) {
    for waiter in waiters {
        match waiter {
            Waiter::Task(id) => woken.tasks.push_back(id),
            Waiter::Waker(w) => woken.wakers.push(w),
        }
    }
}

/// After some of `fd`'s waiters left (`event`: woken by its readiness, which disarmed it, as
/// oneshot registrations are; else they were killed or cancelled): re-registers it for the
/// directions still waited on. When none are, it is left registered but not armed, so the next
/// wait is one `modify` rather than a `delete` and an `add`.
#[cfg(unix)]
fn rearm(
    poller: &Poller,
    waiting: &mut HashMap<RawFd, Waiters>,
    busy: &mut usize,
    fd: RawFd,
    forgot: bool,
) {
    let Some(waiters) = waiting.get(&fd) else {
        return;
    };
    if waiters.readers.is_empty() && waiters.writers.is_empty() {
        *busy -= 1;
        if forgot {
            // Still armed for the waiter that left: disarm it.
            // SAFETY: `fd` is registered and its last waiter only just left, holding it open.
            let _ = poller.modify(unsafe { borrow(fd) }, waiters.interest(fd));
        }
    } else {
        // SAFETY: `fd` is open: its waiters hold it (see `Reactor::wait`).
        let _ = poller.modify(unsafe { borrow(fd) }, waiters.interest(fd));
    }
}

/// # Safety
/// `fd` must be open for as long as the borrow is used.
#[cfg(unix)]
unsafe fn borrow<'a>(fd: RawFd) -> BorrowedFd<'a> {
    // SAFETY: guaranteed by the caller.
    unsafe { BorrowedFd::borrow_raw(fd) }
}
