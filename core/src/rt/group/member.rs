//! A member of a group: the wrapper its future runs in, and what it shares with the group.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::pin;
use core::task::{Poll, Waker};
use std::panic::{self, AssertUnwindSafe};

use crate::kernel::engine::{try_current, Core};
use crate::kernel::TaskId;
use crate::rt::{panic_message, JoinError};

/// What the group and its members share.
pub(super) struct Shared<T> {
    /// The members still alive, by spawn index (so they are cancelled in the order they were
    /// spawned).
    pub(super) live: RefCell<BTreeMap<u64, TaskId>>,
    /// The members that ended and were not joined yet, in the order they ended.
    pub(super) done: RefCell<VecDeque<Done<T>>>,
    /// Whoever waits on the group (`join_next`, `join_all`).
    pub(super) waker: Cell<Option<Waker>>,
    /// The spawn index of the next member.
    pub(super) next: Cell<u64>,
    /// A member failed: the rest were cancelled, and new ones are cancelled as they come.
    pub(super) failed: Cell<bool>,
    /// The group was dropped: results are no longer kept.
    pub(super) closed: Cell<bool>,
    /// Whether a return value fails the group (`failing_on_err`).
    pub(super) fails: Option<fn(&T) -> bool>,
}

/// A member that ended.
pub(super) struct Done<T> {
    pub(super) index: u64,
    pub(super) id: TaskId,
    pub(super) result: Result<T, JoinError>,
}

impl<T> Shared<T> {
    /// A group's, with no member yet; `fails` says whether a return value fails the group.
    pub(super) fn new(fails: Option<fn(&T) -> bool>) -> Shared<T> {
        Shared {
            live: RefCell::default(),
            done: RefCell::default(),
            waker: Cell::new(None),
            next: Cell::new(0),
            failed: Cell::new(false),
            closed: Cell::new(false),
            fails,
        }
    }

    /// The member spawned `index`-th ended with `result`: it is queued for the group, and the
    /// group fails if `failure` (the rest are killed on `core`).
    pub(super) fn finish(&self, index: u64, result: Result<T, JoinError>, failure: bool) {
        let Some(id) = self.live.borrow_mut().remove(&index) else {
            return;
        };
        if !self.closed.get() {
            self.done.borrow_mut().push_back(Done { index, id, result });
        }
        if failure {
            if let Some(core) = try_current() {
                self.fail(&core);
            }
        }
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Cancels every member still alive, on `core`; from now on, new ones too.
    pub(super) fn fail(&self, core: &Core) {
        if !self.failed.replace(true) {
            self.kill_all(core);
        }
    }

    /// Kills every member still alive. With nothing borrowed: each one's destructors run now,
    /// and its wrapper's own drop takes it out of `live`.
    pub(super) fn kill_all(&self, core: &Core) {
        let ids: Vec<TaskId> = self.live.borrow().values().copied().collect();
        for id in ids {
            core.kill(id);
        }
    }
}

/// Hands a member's result to its group when it ends: [`Shared::finish`] when its future
/// returns or panics, `Killed` when it is dropped before (killed, or the loop shut down).
pub(super) struct Member<T> {
    pub(super) shared: Rc<Shared<T>>,
    pub(super) index: u64,
}

impl<T> Drop for Member<T> {
    fn drop(&mut self) {
        // A no-op if the member finished (it is no longer in `live`).
        self.shared
            .finish(self.index, Err(JoinError::Killed), false);
    }
}

/// The wrapper a member runs in: its future's result goes to the group, a panic included (then
/// the panic goes on, so the loop reports it as any task's).
pub(super) async fn run_member<F: Future>(member: Member<F::Output>, future: F) {
    let mut future = pin!(future);
    let outcome = core::future::poll_fn(|cx| {
        match panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    })
    .await;
    let shared = &member.shared;
    match outcome {
        Ok(value) => {
            let failure = shared.fails.is_some_and(|fails| fails(&value));
            shared.finish(member.index, Ok(value), failure);
        }
        Err(payload) => {
            let message = panic_message(&*payload);
            shared.finish(member.index, Err(JoinError::Panicked(message)), true);
            panic::resume_unwind(payload);
        }
    }
}
