//! Wakers: a future task's, which queues its task with the core from any thread, and the one of
//! the future `block_on` drives.
//!
//! The commonest wake of all is a future waking itself while it is polled (`yield_now`, a
//! channel it has just filled): that one only sets a flag of this thread's ([`Polling`]), and
//! the step that polls the future queues it when the poll returns, with its entry at hand.

use alloc::sync::Arc;
use alloc::task::Wake;
use alloc::vec::Vec;
use core::cell::Cell;
use core::task::Waker;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use polling::Poller;

use super::{Core, CURRENT};
use crate::kernel::table::Key;

/// Wakes that may come from any thread: future tasks' wakers and `block_on`'s.
pub(crate) struct Remote {
    woken: Mutex<Vec<Key>>,
    /// `woken` is not empty (read without taking the lock).
    pending: AtomicBool,
    pub(super) main: AtomicBool,
    /// The loop is (about to be) blocked in the poller: a wake must interrupt it.
    pub(super) sleeping: AtomicBool,
    poller: Arc<Poller>,
}

impl Remote {
    pub(super) fn new(poller: Arc<Poller>) -> Remote {
        Remote {
            woken: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            main: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            poller,
        }
    }

    fn push(&self, key: Key) {
        self.woken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
        self.pending.store(true, Ordering::SeqCst);
        self.interrupt();
    }

    fn interrupt(&self) {
        if self.sleeping.load(Ordering::SeqCst) {
            let _ = self.poller.notify();
        }
    }

    pub(super) fn has_work(&self) -> bool {
        self.main.load(Ordering::SeqCst) || self.pending.load(Ordering::SeqCst)
    }

    #[inline(always)]
    pub(super) fn take(&self, into: &mut Vec<Key>) {
        if self.pending.load(Ordering::SeqCst) {
            let mut woken = self.woken.lock().unwrap_or_else(|e| e.into_inner());
            self.pending.store(false, Ordering::SeqCst);
            into.append(&mut woken);
        }
    }
}

/// A future task's waker: queues its task with the core, from any thread.
pub(super) struct TaskWaker {
    key: Key,
    remote: Arc<Remote>,
}

impl TaskWaker {
    /// The waker of the future task at `key`.
    pub(super) fn waker(key: Key, remote: &Arc<Remote>) -> Waker {
        Waker::from(Arc::new(TaskWaker {
            key,
            remote: remote.clone(),
        }))
    }

    /// A wake of a task that is not being polled. Out of line: the self-wake is a leaf.
    #[inline(never)]
    fn wake_other(&self) {
        // On the loop's own thread (a task waking another), skip the lock.
        let local = CURRENT.with(|current| match &*current.borrow() {
            Some(core) if Arc::ptr_eq(&core.remote, &self.remote) => {
                core.wake_local(self.key);
                true
            }
            _ => false,
        });
        if !local {
            self.remote.push(self.key);
        }
    }
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The future being polled woke itself: the step queues it when the poll returns.
        if !Polling::wake_self(Arc::as_ptr(self).cast()) {
            self.wake_other();
        }
    }
}

/// The waker of the future `block_on` drives.
pub(super) struct MainWaker(pub(super) Arc<Remote>);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.main.store(true, Ordering::SeqCst);
        self.0.interrupt();
    }
}

/// The future task being polled on this thread, and whether it woke itself meanwhile.
///
/// Its waker is known by the address of its data (the `TaskWaker`, which every clone of the
/// waker shares), compared and never dereferenced. A poll saves the one of the poll it runs
/// inside (a loop run from a task) and puts it back.
pub(super) struct Polling {
    waker: Cell<*const ()>,
    /// It woke itself after every wake it made of other tasks (see `Core::wake_local`).
    woken: Cell<bool>,
}

std::thread_local! {
    static POLLING: Polling = const {
        Polling {
            waker: Cell::new(core::ptr::null()),
            woken: Cell::new(false),
        }
    };
}

impl Polling {
    /// Runs `poll` as the poll of the future whose waker is `waker`; true with its result if
    /// the future woke itself (and that wake is not queued yet).
    #[inline(always)]
    pub(super) fn run<T>(waker: &Waker, poll: impl FnOnce() -> T) -> (T, bool) {
        let outer = POLLING.with(|p| (p.waker.replace(waker.data()), p.woken.replace(false)));
        let result = poll();
        let woken = POLLING.with(|p| {
            p.waker.set(outer.0);
            p.woken.replace(outer.1)
        });
        (result, woken)
    }

    /// Notes a wake by the waker whose data is at `waker` if it is the polled future's own.
    #[inline(always)]
    fn wake_self(waker: *const ()) -> bool {
        POLLING.with(|p| {
            let own = p.waker.get() == waker;
            if own {
                p.woken.set(true);
            }
            own
        })
    }

    /// Takes the noted self-wake of the future polled with `waker`, if there is one: it must
    /// be queued before a wake that comes after it.
    pub(super) fn take_wake_of(waker: *const ()) -> bool {
        POLLING.with(|p| p.waker.get() == waker && p.woken.replace(false))
    }
}

impl Core {
    /// A wake on the loop's own thread, queued in order with the others (see `queue_woken`).
    fn wake_local(&self, key: Key) {
        let mut local = self.local_woken.borrow_mut();
        // A task that woke itself, then another, is queued first.
        if let Some(running) = self.running.get() {
            if Polling::take_wake_of(running.waker) {
                local.push(running.key);
            }
        }
        local.push(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands for a `TaskWaker`: any `Wake` type's waker is made the same way.
    struct Inert;

    impl Wake for Inert {
        fn wake(self: Arc<Self>) {}
    }

    #[test]
    fn a_wakers_data_is_its_wake_value_so_a_self_wake_is_told_apart() {
        // The step knows the polled future by `Waker::data`, a wake by the `TaskWaker`'s
        // address: they must be the same for a self-wake to take the short way.
        let arc = Arc::new(Inert);
        let address: *const () = Arc::as_ptr(&arc).cast();
        let waker = Waker::from(arc);
        assert_eq!(waker.data(), address);
        let ((), woken) = Polling::run(&waker, || assert!(Polling::wake_self(address)));
        assert!(woken);
        let ((), woken) = Polling::run(&waker, || {});
        assert!(!woken);
    }

    #[test]
    fn a_poll_inside_a_poll_keeps_its_own_self_wake() {
        let (outer, inner) = (Waker::from(Arc::new(Inert)), Waker::from(Arc::new(Inert)));
        let ((), woken) = Polling::run(&outer, || {
            assert!(Polling::wake_self(outer.data()));
            // A loop run from the task polls one of its own.
            let ((), woken) = Polling::run(&inner, || {
                assert!(!Polling::wake_self(outer.data()));
                assert!(Polling::wake_self(inner.data()));
                // Queued before a wake of another task: taken only once.
                assert!(Polling::take_wake_of(inner.data()));
                assert!(!Polling::take_wake_of(inner.data()));
            });
            assert!(!woken);
            assert!(!Polling::take_wake_of(inner.data()));
        });
        assert!(woken);
        assert!(!Polling::wake_self(outer.data()));
    }
}
