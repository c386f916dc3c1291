//! Task groups: structured concurrency on the loop (asyncio's `TaskGroup`, tokio's `JoinSet`).
//!
//! Each task of a group runs inside a small wrapper (an `async` block around the user's
//! future) that, however the task ends — it returns, it panics, it is killed — hands its result
//! to the group's queue in the order the tasks end, and wakes whoever waits on the group. A
//! failure (a panic; an `Err` too in a group made with [`TaskGroup::failing_on_err`]) kills the
//! tasks still alive at once, from the failing task's own poll; dropping the group kills them
//! too. The kernel knows nothing of groups: a member is a detached future task like any other.

mod join;
mod member;

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::panic::Location;
use core::task::{Context, Poll};

use super::task::site_name;
use super::JoinError;
use crate::kernel::engine::{current, Core};
use crate::kernel::{Task, TaskId};
use join::AwaitedAt;
pub use join::{JoinAll, JoinNext};
use member::{run_member, Done, Member, Shared};

/// A group of tasks that live and die together: structured concurrency, as asyncio's
/// `TaskGroup` (and tokio's `JoinSet`). Spawn as many as you like into it; await them one by
/// one as they finish ([`join_next`](TaskGroup::join_next)) or all together
/// ([`join_all`](TaskGroup::join_all), or `.await` the group itself). No task outlives its
/// group:
/// - when one of them **fails** — it panics, or, in a group made with
///   [`failing_on_err`](TaskGroup::failing_on_err), returns an `Err` — the others still alive
///   are cancelled at once (asyncio's TaskGroup does the same when a child raises); their
///   destructors run and their results are [`JoinError::Killed`];
/// - when the group is **dropped**, whatever is still alive is cancelled the same way (so a
///   timed-out `join_all`, or a server loop that returns, leaves nothing running behind it).
///
/// Only the tasks spawned through the group are its members: a member that calls
/// [`rt::spawn`](super::spawn) starts an independent task. A task spawned into a group that
/// has failed is cancelled before it runs. Cancelling is [`JoinHandle::abort`](super::JoinHandle::abort)'s:
/// the future is dropped where it waits (futures cannot be thrown into, see
/// [`JoinHandle::cancel`](super::JoinHandle::cancel)). The task awaiting the group is not
/// interrupted (asyncio cancels it too): it learns of the failure from the results.
///
/// ```
/// use std::time::Duration;
/// use resumable::rt::{self, JoinError, TaskGroup};
///
/// rt::block_on(async {
///     let mut group = TaskGroup::new();
///     for ms in [30, 10, 20] {
///         group.spawn(async move {
///             rt::sleep(Duration::from_millis(ms)).await;
///             ms
///         });
///     }
///     // As they finish:
///     let mut finished = Vec::new();
///     while let Some(result) = group.join_next().await {
///         finished.push(result.unwrap());
///     }
///     assert_eq!(finished, [10, 20, 30]);
///
///     // A panic cancels the rest; `.await` on the group gives every result, in spawn order.
///     let group = TaskGroup::new();
///     group.spawn(async { rt::sleep(Duration::from_secs(3600)).await; "slept" });
///     group.spawn(async { panic!("broken") });
///     assert_eq!(
///         group.await,
///         [Err(JoinError::Killed), Err(JoinError::Panicked("broken".into()))]
///     );
/// });
/// ```
///
/// The loop's reports still hear of a member's panic ([`Report::Panicked`](crate::kernel::Report::Panicked)),
/// as of any task's.
pub struct TaskGroup<T> {
    core: Rc<Core>,
    shared: Rc<Shared<T>>,
}

impl<T: 'static> TaskGroup<T> {
    /// An empty group on the loop running this thread, in which a panic fails the group.
    ///
    /// ```
    /// use resumable::rt::{self, TaskGroup};
    ///
    /// rt::block_on(async {
    ///     let group = TaskGroup::new();
    ///     group.spawn(async { 1 });
    ///     group.spawn(async { 2 });
    ///     let sum: u32 = group.await.into_iter().map(Result::unwrap).sum();
    ///     assert_eq!(sum, 3);
    /// });
    /// ```
    ///
    /// # Panics
    /// Outside of a loop (`rt::block_on`, `Kernel::run`).
    #[track_caller]
    pub fn new() -> TaskGroup<T> {
        TaskGroup::with_failure(None)
    }

    #[track_caller]
    fn with_failure(fails: Option<fn(&T) -> bool>) -> TaskGroup<T> {
        TaskGroup {
            core: current(),
            shared: Rc::new(Shared::new(fails)),
        }
    }

    /// Starts `future` as a member of the group; returns its task's id. It is named after the
    /// place it was spawned from, as [`rt::spawn`](super::spawn)'s tasks are.
    ///
    /// # Panics
    /// Outside of a loop, or on another loop than the group's.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> TaskId
    where
        F: Future<Output = T> + 'static,
    {
        self.spawn_named(site_name(Location::caller()), future)
    }

    /// [`spawn`](TaskGroup::spawn) with a name for the loop's reports and snapshots.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use resumable::kernel::{Kernel, Report};
    /// use resumable::rt::TaskGroup;
    ///
    /// let mut kernel = Kernel::new();
    /// let names = Rc::new(RefCell::new(Vec::new()));
    /// let sink = names.clone();
    /// kernel.on_report(move |report| {
    ///     if let Report::Panicked { name, .. } = report {
    ///         sink.borrow_mut().push(name.to_string());
    ///     }
    /// });
    /// kernel.block_on(async {
    ///     let group = TaskGroup::<()>::new();
    ///     group.spawn_named("worker 1", async { panic!("out of coffee") });
    ///     group.await;
    /// });
    /// assert_eq!(*names.borrow(), ["worker 1"]);
    /// ```
    ///
    /// # Panics
    /// Outside of a loop, or on another loop than the group's.
    #[track_caller]
    pub fn spawn_named<F>(&self, name: impl Into<Rc<str>>, future: F) -> TaskId
    where
        F: Future<Output = T> + 'static,
    {
        assert!(
            Rc::ptr_eq(&current(), &self.core),
            "a TaskGroup spawns its tasks on the loop it was made on"
        );
        let shared = &self.shared;
        let index = shared.next.get();
        shared.next.set(index + 1);
        let member = Member {
            shared: shared.clone(),
            index,
        };
        let task = Task::from_future(name, run_member(member, future)).detached();
        let id = self.core.spawn(task);
        shared.live.borrow_mut().insert(index, id);
        if shared.failed.get() {
            self.core.kill(id);
        }
        id
    }

    /// The result of the next member to end, in the order they end (asyncio's `as_completed`,
    /// tokio's `JoinSet::join_next`); `None` once every member has ended and been joined.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::rt::{self, TaskGroup};
    ///
    /// rt::block_on(async {
    ///     let mut group = TaskGroup::new();
    ///     group.spawn(async { rt::sleep(Duration::from_millis(20)).await; "slow" });
    ///     group.spawn(async { "quick" });
    ///     assert_eq!(group.join_next().await, Some(Ok("quick")));
    ///     assert_eq!(group.join_next().await, Some(Ok("slow")));
    ///     assert_eq!(group.join_next().await, None);
    /// });
    /// ```
    #[track_caller]
    pub fn join_next(&mut self) -> JoinNext<'_, T> {
        JoinNext {
            group: self,
            at: AwaitedAt::caller(),
        }
    }

    /// [`join_next`](TaskGroup::join_next), with the member's task id.
    ///
    /// ```
    /// use resumable::rt::{self, TaskGroup};
    ///
    /// rt::block_on(async {
    ///     let mut group = TaskGroup::new();
    ///     let id = group.spawn(async { 7 });
    ///     assert_eq!(group.join_next_with_id().await, Some((id, Ok(7))));
    /// });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<(TaskId, Result<T, JoinError>)> {
        core::future::poll_fn(|cx| self.poll_done(cx).map(|d| d.map(|d| (d.id, d.result)))).await
    }

    /// The result of a member that has ended, if one has and was not joined yet, without
    /// waiting (tokio's `try_join_next`): a loop that spawns members for ever (a server's
    /// connections) calls it now and then, so the results it does not need are not kept.
    ///
    /// ```
    /// use resumable::rt::{self, TaskGroup};
    ///
    /// rt::block_on(async {
    ///     let mut group = TaskGroup::new();
    ///     group.spawn(async { 1 });
    ///     assert_eq!(group.try_join_next(), None); // not run yet
    ///     rt::yield_now().await;
    ///     assert_eq!(group.try_join_next(), Some(Ok(1)));
    /// });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.shared.done.borrow_mut().pop_front().map(|d| d.result)
    }

    /// Waits for every member and gives their results in the order they were spawned
    /// (asyncio's `gather`, or the end of an `async with TaskGroup()` block); the results
    /// already taken by [`join_next`](TaskGroup::join_next) are not in it. Awaiting the group
    /// itself does the same.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::rt::{self, TaskGroup};
    ///
    /// let pages = rt::block_on(async {
    ///     let group = TaskGroup::new();
    ///     for page in 1..=3 {
    ///         group.spawn(async move {
    ///             rt::sleep(Duration::from_millis(30 - 10 * page)).await;
    ///             format!("page {page}")
    ///         });
    ///     }
    ///     group.join_all().await
    /// });
    /// let pages: Vec<_> = pages.into_iter().map(Result::unwrap).collect();
    /// assert_eq!(pages, ["page 1", "page 2", "page 3"]);
    /// ```
    ///
    /// Dropping the future before it is done drops the group, so its members are cancelled
    /// (a [`timeout`](super::timeout) around `join_all` stops them all).
    #[track_caller]
    pub fn join_all(self) -> JoinAll<T> {
        JoinAll {
            group: self,
            results: Vec::new(),
            at: AwaitedAt::caller(),
        }
    }

    /// Cancels every member still alive, now (their results are [`JoinError::Killed`]); the
    /// group can go on being used. Not a failure: members spawned later run.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::rt::{self, JoinError, TaskGroup};
    ///
    /// rt::block_on(async {
    ///     let mut group = TaskGroup::new();
    ///     group.spawn(rt::sleep(Duration::from_secs(3600)));
    ///     group.abort_all();
    ///     assert_eq!(group.join_next().await, Some(Err(JoinError::Killed)));
    ///     group.spawn(async {});
    ///     assert_eq!(group.join_next().await, Some(Ok(())));
    /// });
    /// ```
    pub fn abort_all(&self) {
        self.shared.kill_all(&self.core);
    }

    /// How many members were not joined yet: those alive, and those that ended whose result
    /// waits in the group.
    ///
    /// ```
    /// use resumable::rt::{self, TaskGroup};
    ///
    /// rt::block_on(async {
    ///     let mut group = TaskGroup::new();
    ///     assert!(group.is_empty());
    ///     group.spawn(async {});
    ///     assert_eq!(group.len(), 1);
    ///     group.join_next().await;
    ///     assert_eq!(group.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.shared.live.borrow().len() + self.shared.done.borrow().len()
    }

    /// Whether every member has been joined (or none was spawned).
    ///
    /// ```
    /// use resumable::rt::{self, TaskGroup};
    ///
    /// rt::block_on(async { assert!(TaskGroup::<()>::new().is_empty()) });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a member failed, so the others were cancelled.
    ///
    /// ```
    /// use resumable::rt::{self, TaskGroup};
    ///
    /// rt::block_on(async {
    ///     let mut group = TaskGroup::new();
    ///     group.spawn(async { panic!("broken") });
    ///     assert!(!group.has_failed());
    ///     group.join_next().await;
    ///     assert!(group.has_failed());
    /// });
    /// ```
    pub fn has_failed(&self) -> bool {
        self.shared.failed.get()
    }

    /// The next result, or `None` when no member is left; else waits (with `cx`'s waker).
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<Option<Done<T>>> {
        let shared = &self.shared;
        if let Some(done) = shared.done.borrow_mut().pop_front() {
            return Poll::Ready(Some(done));
        }
        if shared.live.borrow().is_empty() {
            return Poll::Ready(None);
        }
        let waker = match shared.waker.take() {
            Some(waker) if waker.will_wake(cx.waker()) => waker,
            old => {
                drop(old);
                cx.waker().clone()
            }
        };
        shared.waker.set(Some(waker));
        Poll::Pending
    }
}

impl<T: 'static, E: 'static> TaskGroup<Result<T, E>> {
    /// An empty group of fallible tasks in which an `Err` fails the group, as a panic does
    /// (asyncio's TaskGroup, where a child's exception cancels the others): the members still
    /// alive are cancelled. The failing result stays in the group, an `Ok(Err(e))` among the
    /// results.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::rt::{self, JoinError, TaskGroup};
    ///
    /// rt::block_on(async {
    ///     let group = TaskGroup::failing_on_err();
    ///     group.spawn(async {
    ///         rt::sleep(Duration::from_secs(3600)).await;
    ///         Ok(1)
    ///     });
    ///     group.spawn(async { Err("refused") });
    ///     assert_eq!(group.await, [Err(JoinError::Killed), Ok(Err("refused"))]);
    /// });
    /// ```
    ///
    /// # Panics
    /// Outside of a loop.
    #[track_caller]
    pub fn failing_on_err() -> TaskGroup<Result<T, E>> {
        TaskGroup::with_failure(Some(Result::is_err))
    }
}

/// Dropping the group cancels its members still alive (their destructors run now) and drops
/// the results not joined.
impl<T> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        self.shared.closed.set(true);
        self.shared.kill_all(&self.core);
        let done = core::mem::take(&mut *self.shared.done.borrow_mut());
        drop(done);
    }
}

impl<T: 'static> Default for TaskGroup<T> {
    /// [`TaskGroup::new`].
    #[track_caller]
    fn default() -> TaskGroup<T> {
        TaskGroup::new()
    }
}

impl<T> fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("alive", &self.shared.live.borrow().len())
            .field("ended", &self.shared.done.borrow().len())
            .field("failed", &self.shared.failed.get())
            .finish()
    }
}
