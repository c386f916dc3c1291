//! Readiness from the operating system, through the `polling` crate: which tasks wait on which
//! file descriptor, and waking them when it is ready.
//!
//! A descriptor is registered (in oneshot mode) while at least one task waits on it, for the
//! directions those tasks wait for, and deleted when the last one stops waiting. Several tasks
//! may wait on the same descriptor; all the waiters of a direction wake together.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;
use std::collections::HashMap;
use std::io;

use polling::{Event, Events, Poller};

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
    readers: Vec<TaskId>,
    writers: Vec<TaskId>,
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

pub(crate) struct Reactor {
    poller: Poller,
    events: Events,
    #[cfg(unix)]
    waiting: HashMap<RawFd, Waiters>,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Reactor {
            poller: Poller::new()?,
            events: Events::new(),
            #[cfg(unix)]
            waiting: HashMap::new(),
        })
    }

    /// Whether any task waits for readiness.
    pub(crate) fn is_idle(&self) -> bool {
        #[cfg(unix)]
        return self.waiting.is_empty();
        #[cfg(not(unix))]
        return true;
    }

    /// Makes `id` wait until `fd` is ready for `dir`.
    #[cfg(unix)]
    pub(crate) fn wait(&mut self, fd: RawFd, dir: Direction, id: TaskId) -> io::Result<()> {
        let fresh = !self.waiting.contains_key(&fd);
        let waiters = self.waiting.entry(fd).or_default();
        match dir {
            Direction::Read => waiters.readers.push(id),
            Direction::Write => waiters.writers.push(id),
        }
        let interest = waiters.interest(fd);
        let result = if fresh {
            // SAFETY: `fd` belongs to a socket the waiting task holds, so it is open now, and it
            // is deleted from the poller as soon as no task waits on it (`forget`, `poll`), before
            // the kernel drops the task. A descriptor closed while registered anyway (by another
            // task) is removed by the operating system itself on the platforms this module is
            // built for (`cfg(unix)`: epoll, kqueue, event ports); nothing is read through it.
            unsafe { self.poller.add(fd, interest) }
        } else {
            // SAFETY: `fd` is registered, so open (see above).
            self.poller.modify(unsafe { borrow(fd) }, interest)
        };
        if result.is_err() {
            self.forget(fd, dir, id);
        }
        result
    }

    /// Stops `id` waiting on `fd` (it was killed or cancelled).
    #[cfg(unix)]
    pub(crate) fn forget(&mut self, fd: RawFd, dir: Direction, id: TaskId) {
        let Some(waiters) = self.waiting.get_mut(&fd) else {
            return;
        };
        match dir {
            Direction::Read => waiters.readers.retain(|w| *w != id),
            Direction::Write => waiters.writers.retain(|w| *w != id),
        }
        rearm(&self.poller, &mut self.waiting, fd);
    }

    /// Waits up to `timeout` (`None`: until something is ready) and appends the tasks whose
    /// descriptors became ready to `woken`, in the order the system reported them. Returns
    /// whether any task woke.
    pub(crate) fn poll(
        &mut self,
        timeout: Option<Duration>,
        woken: &mut VecDeque<TaskId>,
    ) -> io::Result<bool> {
        self.events.clear();
        match self.poller.wait(&mut self.events, timeout) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(false),
            Err(e) => return Err(e),
        }
        let before = woken.len();
        #[cfg(unix)]
        for event in self.events.iter() {
            let Ok(fd) = RawFd::try_from(event.key) else {
                continue;
            };
            let Some(waiters) = self.waiting.get_mut(&fd) else {
                continue;
            };
            if event.readable {
                woken.extend(waiters.readers.drain(..));
            }
            if event.writable {
                woken.extend(waiters.writers.drain(..));
            }
            rearm(&self.poller, &mut self.waiting, fd);
        }
        Ok(woken.len() > before)
    }
}

/// Re-registers `fd` for the directions still waited on (oneshot mode disarms it after each
/// event), or deletes it when no task waits on it any more.
#[cfg(unix)]
fn rearm(poller: &Poller, waiting: &mut HashMap<RawFd, Waiters>, fd: RawFd) {
    let Some(waiters) = waiting.get(&fd) else {
        return;
    };
    // SAFETY: `fd` is registered, so a task waiting on it keeps it open (see `Reactor::wait`).
    let source = unsafe { borrow(fd) };
    if waiters.readers.is_empty() && waiters.writers.is_empty() {
        waiting.remove(&fd);
        // An error means the descriptor was closed already; nothing is registered then.
        let _ = poller.delete(source);
    } else {
        let _ = poller.modify(source, waiters.interest(fd));
    }
}

/// # Safety
/// `fd` must be open for as long as the borrow is used.
#[cfg(unix)]
unsafe fn borrow<'a>(fd: RawFd) -> BorrowedFd<'a> {
    // SAFETY: guaranteed by the caller.
    unsafe { BorrowedFd::borrow_raw(fd) }
}
