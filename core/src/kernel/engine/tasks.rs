//! The state's bookkeeping of tasks: adding one, making it ready, answering and parking it,
//! ending it and keeping how it ended for whoever joins it.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::any::{Any, TypeId};
use core::time::Duration;

use super::{Body, Deferred, Ended, Entry, Exit, Joiner, Leftover, Returned, State, Wait};
use crate::kernel::table::{Key, Queued};
use crate::kernel::task::{Input, TaskBody};
use crate::kernel::{JoinError, Reply, Task};
use crate::sched::TaskId;

impl State {
    /// Adds `task` to the table and the next pass's queue.
    pub(super) fn insert(&mut self, task: Task) -> TaskId {
        let id = self.next_id;
        self.next_id = id.next();
        let (name, body, detached, spawned) = task.into_parts();
        let key = self.tasks.insert_with(id, |_| Entry {
            name,
            spawned,
            body: match body {
                TaskBody::Generator(body) => Body::Generator {
                    body: Some(body),
                    input: Some(Input::Reply(Reply::Start)),
                },
                TaskBody::Future(body) => Body::Future {
                    body: Some(body),
                    // Made when it is first handed out (see `LazyWaker`).
                    waker: None,
                },
            },
            wait: Wait::Nothing,
            queued: true,
            woken: false,
            killed: false,
            detached,
            steps: 0,
            busy: 0,
        });
        self.later.push(key.queued());
        id
    }

    /// How long the readiness poll may wait: zero when something is ready, until the next
    /// timer, forever (`Some(None)`) when only I/O or a waker can wake a task, and `None` when
    /// nothing can.
    pub(super) fn timeout(
        &mut self,
        reactor_idle: bool,
        wakers: bool,
        woken: bool,
    ) -> Option<Option<Duration>> {
        if !self.later.is_empty() || woken {
            return Some(Some(Duration::ZERO));
        }
        let tasks = &self.tasks;
        let live = |id, timer| {
            tasks
                .by_id(id)
                .is_some_and(|e| matches!(e.wait, Wait::Sleep(t) if t == timer))
        };
        while self.timers.drop_stale(live) {}
        match self.timers.next_deadline() {
            Some(deadline) if self.clock.is_virtual() && reactor_idle => {
                self.clock.advance_to(deadline);
                Some(Some(Duration::ZERO))
            }
            Some(deadline) => Some(Some(deadline.saturating_sub(self.clock.now()))),
            None if !reactor_idle || wakers => Some(None),
            None => None,
        }
    }

    /// Makes `id` ready with `reply`: in this pass's queue (`now`: woken at the start of the
    /// pass) or the next one's (woken by another task during the pass).
    pub(super) fn wake(&mut self, id: TaskId, reply: Option<Reply>, now: bool) {
        let Some(key) = self.tasks.key(id) else {
            return;
        };
        if let Some(reply) = reply {
            self.set_input(key, Input::Reply(reply));
        }
        self.make_ready(key, now, |_| true);
    }

    /// Sets what `key`'s next resume passes in. What that replaces (a value it joined, if it
    /// is cancelled before it runs) is dropped once the borrow ends: its destructor may use
    /// the loop.
    pub(super) fn set_input(&mut self, key: Key, next: Input) {
        let Some(entry) = self.tasks.get_mut(key) else {
            return;
        };
        if let Some(old) = entry.body.set_input(next) {
            let name = entry.name.clone();
            self.deferred
                .push(Deferred::Drop(key.id, name, Leftover::Input(old)));
        }
    }

    /// A future task's waker fired: it runs in this pass (`now`) or the next, unless it is
    /// waiting on something else (a generator task's call).
    #[inline]
    pub(super) fn wake_queued(&mut self, queued: Queued, now: bool) {
        if let Some(key) = self.tasks.resolve(queued) {
            self.wake_future(key, now);
        }
    }

    /// `wake_queued`, for a whole key (a wake from another thread).
    #[inline]
    pub(super) fn wake_future(&mut self, key: Key, now: bool) {
        self.make_ready(key, now, |entry| {
            entry.woken = false;
            matches!(entry.wait, Wait::Waker | Wait::Nothing)
        });
    }

    /// Queues `key`'s task (once) if it is still in the table and `accept` agrees.
    #[inline]
    fn make_ready(&mut self, key: Key, now: bool, accept: impl FnOnce(&mut Entry) -> bool) {
        let Some(entry) = self.tasks.get_mut(key) else {
            return;
        };
        if !accept(entry) {
            return;
        }
        if matches!(entry.wait, Wait::Waker) {
            self.futures -= 1;
        }
        entry.wait = Wait::Nothing;
        if !entry.queued {
            entry.queued = true;
            if now {
                self.ready.push(key.queued());
            } else {
                self.later.push(key.queued());
            }
        }
    }

    /// Answers at once: the task runs again in the next pass.
    pub(super) fn answer(&mut self, key: Key, reply: Reply) {
        let entry = self
            .tasks
            .get_mut(key)
            .expect("the task asking is in the table");
        entry.body.answer(reply);
        entry.wait = Wait::Nothing;
        entry.queued = true;
        self.later.push(key.queued());
    }

    pub(super) fn park(&mut self, key: Key, wait: Wait) {
        self.tasks
            .get_mut(key)
            .expect("the task asking is in the table")
            .wait = wait;
    }

    /// Ends a task and hands how it ended to its joiners, in the order they joined: the first
    /// that asks for a value of its type (or for any type) takes the return value. What the
    /// task leaves — its body, a value it was to be resumed with, a return value nobody will
    /// take — is dropped once the borrow ends.
    pub(super) fn end(&mut self, key: Key, exit: Exit) {
        let id = key.id;
        let Some(entry) = self.tasks.remove(key) else {
            return;
        };
        if matches!(entry.wait, Wait::Waker) {
            self.futures -= 1;
        }
        let Entry {
            name,
            body,
            detached,
            ..
        } = entry;
        // Listed for `take_returns`, unless nobody will take its result.
        let listed = (!detached).then(|| name.clone());
        let (body, input) = body.into_parts();
        if let Some(body) = body {
            self.deferred
                .push(Deferred::Drop(id, name.clone(), Leftover::Body(body)));
        }
        if let Some(input) = input {
            self.deferred
                .push(Deferred::Drop(id, name.clone(), Leftover::Input(input)));
        }
        // Kept until a joiner takes it; a `()` is kept as a bit.
        match exit {
            Exit::Returned(value) if detached => {
                self.deferred
                    .push(Deferred::Drop(id, name, Leftover::Value(value)));
                self.mark_taken(id);
            }
            Exit::Returned(value) if value.is::<()>() => self.units.set(id, true),
            _ if detached => self.mark_taken(id),
            Exit::Returned(value) => {
                self.ended.insert(id, Ended::Returned(value, name));
            }
            Exit::Killed => {
                self.ended.insert(id, Ended::Killed);
            }
            Exit::Panicked(message) => {
                self.ended.insert(id, Ended::Panicked(message));
            }
        }
        if let Some(name) = listed {
            self.note_finished(id, name);
        }
        for joiner in self.joiners.remove(&id).unwrap_or_default() {
            match joiner {
                Joiner::Task(j, want) => {
                    let result = match want {
                        Some(want) => self.take_ended_as(id, want),
                        None => self.take_ended(id),
                    };
                    self.wake(j, Some(Reply::Joined(result)), false);
                }
                // A future joiner takes the result when it is polled again.
                Joiner::Waker(w) => self.deferred.push(Deferred::Wake(w)),
            }
        }
    }

    /// The result of `id` will not be wanted: drop it when the task ends (or now).
    pub(super) fn detach(&mut self, id: TaskId) {
        if let Some(entry) = self.tasks.by_id_mut(id) {
            entry.detached = true;
        } else if let Some(ended) = self.ended.remove(&id) {
            if let Ended::Returned(value, name) = ended {
                self.deferred
                    .push(Deferred::Drop(id, name, Leftover::Value(value)));
            }
            self.mark_taken(id);
        } else if self.units.get(id) {
            self.units.set(id, false);
            self.mark_taken(id);
        }
    }

    /// Lists `id`, which just ended with a result someone may take, for `take_all_ended`; and
    /// drops the stale entries when the list has doubled since they were last dropped.
    fn note_finished(&mut self, id: TaskId, name: Rc<str>) {
        self.finished.list.push((id, name));
        if self.finished.list.len() >= self.finished.sweep_at {
            let (ended, units) = (&self.ended, &self.units);
            self.finished
                .list
                .retain(|&(id, _)| ended.contains_key(&id) || units.get(id));
            self.finished.sweep_at = (2 * self.finished.list.len()).max(Finished::SWEEP_FROM);
        }
    }

    /// How every listed task ended, in the order they ended, each once: a return value that is
    /// a `want` is taken (a later join gets `Taken`), one of another type stays listed, where
    /// it was, for a call that asks for its type; why a task has no return value (killed,
    /// panicked) is handed out and stays, for its joiners.
    pub(super) fn take_all_ended(&mut self, want: TypeId) -> Vec<Returned> {
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for (id, name) in core::mem::take(&mut self.finished.list) {
            let wanted = match self.ended.get(&id) {
                Some(Ended::Returned(value, _)) => Any::type_id(&**value) == want,
                Some(Ended::Killed | Ended::Panicked(_)) => true,
                None if self.units.get(id) => want == TypeId::of::<()>(),
                None => continue, // taken another way
            };
            if wanted {
                let result = self.take_ended(id);
                out.push((id, name, result));
            } else {
                kept.push((id, name));
            }
        }
        self.finished.sweep_at = (2 * kept.len()).max(Finished::SWEEP_FROM);
        self.finished.list = kept;
        out
    }

    fn mark_taken(&mut self, id: TaskId) {
        self.taken.set(id, true);
    }

    /// Kills `id` (its waits already released). A task killed while it runs ends when its step
    /// does.
    pub(super) fn kill(&mut self, id: TaskId) -> bool {
        let Some(key) = self.tasks.key(id) else {
            return false;
        };
        let entry = self.tasks.get_mut(key).expect("present");
        if entry.body.is_running() {
            entry.killed = true;
        } else {
            self.end(key, Exit::Killed);
        }
        true
    }

    /// `take_ended`, but a return value that is not a `want` is left where it is, for a joiner
    /// that asks for the right type (this one gets `WrongType`).
    pub(super) fn take_ended_as(
        &mut self,
        id: TaskId,
        want: TypeId,
    ) -> Result<Box<dyn Any>, JoinError> {
        let wrong = match self.ended.get(&id) {
            Some(Ended::Returned(value, _)) => Any::type_id(&**value) != want,
            None if self.units.get(id) => want != TypeId::of::<()>(),
            _ => false,
        };
        if wrong {
            return Err(JoinError::WrongType);
        }
        self.take_ended(id)
    }

    /// How a task that is gone ended, for a joiner: the first to ask takes the return value.
    pub(super) fn take_ended(&mut self, id: TaskId) -> Result<Box<dyn Any>, JoinError> {
        match self.ended.get(&id) {
            Some(Ended::Returned(..)) => {
                let Some(Ended::Returned(value, _)) = self.ended.remove(&id) else {
                    unreachable!()
                };
                self.mark_taken(id);
                Ok(value)
            }
            Some(Ended::Killed) => Err(JoinError::Killed),
            Some(Ended::Panicked(msg)) => Err(JoinError::Panicked(msg.clone())),
            None if self.units.get(id) => {
                self.units.set(id, false);
                self.mark_taken(id);
                Ok(Box::new(()))
            }
            None if self.taken.get(id) => Err(JoinError::Taken),
            None => Err(JoinError::NoSuchTask),
        }
    }
}

/// The tasks that ended with a result someone may take, in the order they ended, with their
/// names: what `Kernel::take_returns` hands out. An entry goes stale when the result is taken
/// another way (a join, `take_return`, a detach); the stale ones are dropped whenever the list
/// has doubled since they last were, so it holds at most twice as many entries as there are
/// results kept (or `SWEEP_FROM`), for a constant cost per task.
#[derive(Default)]
pub(super) struct Finished {
    list: Vec<(TaskId, Rc<str>)>,
    /// The length at which stale entries are next dropped.
    sweep_at: usize,
}

impl Finished {
    /// The shortest list swept.
    const SWEEP_FROM: usize = 64;
}

/// A bit per task id: which results were taken, which tasks returned `()`. A million tasks
/// come and gone cost 125 KiB each, whatever their results.
#[derive(Default)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    fn index(id: TaskId) -> (usize, u64) {
        let n = usize::try_from(id.get()).expect("task ids fit in usize");
        (n / 64, 1 << (n % 64))
    }

    fn set(&mut self, id: TaskId, on: bool) {
        let (word, bit) = Bits::index(id);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        if on {
            self.0[word] |= bit;
        } else {
            self.0[word] &= !bit;
        }
    }

    fn get(&self, id: TaskId) -> bool {
        let (word, bit) = Bits::index(id);
        self.0.get(word).is_some_and(|w| w & bit != 0)
    }
}

#[cfg(test)]
mod tests {
    use alloc::rc::Rc;
    use alloc::vec::Vec;
    use core::any::TypeId;

    use crate::kernel::engine::{enter, Core, Pass};
    use crate::kernel::Task;

    /// A join handle is rt's: built with the `kernel` feature alone, the kernel has none.
    #[cfg(all(feature = "rt", unix))]
    mod join_handle {
        use alloc::rc::Rc;
        use alloc::sync::Arc;
        use alloc::task::Wake;
        use core::future::Future;
        use core::pin::Pin;
        use core::task::{Context, Waker};

        use crate::kernel::engine::{enter, Core};
        use crate::kernel::Task;
        use crate::rt::JoinHandle;
        use crate::Stream;

        struct Inert;

        impl Wake for Inert {
            fn wake(self: Arc<Self>) {}
        }

        #[crate::generator(yield = u32, crate = crate)]
        async fn awaits(handle: JoinHandle<()>) {
            handle.await.unwrap();
            yield_!(1);
        }

        #[test]
        #[cfg_attr(miri, ignore = "a core needs the operating system's poller (timerfd)")]
        fn a_join_handle_polled_again_and_again_waits_once() {
            let core = Rc::new(Core::new());
            let target = core.spawn(Task::from_future("pending", core::future::pending::<()>()));
            let waker = Waker::from(Arc::new(Inert));
            let mut cx = Context::from_waker(&waker);
            enter(&core, || {
                let mut handle = JoinHandle::<()>::for_task(target);
                // Directly, and from an async generator's body (polled with a waker of its own).
                let mut stream = awaits(JoinHandle::for_task(target));
                for _ in 0..1000 {
                    assert!(Pin::new(&mut handle).poll(&mut cx).is_pending());
                    assert!(Pin::new(&mut stream).poll_next(&mut cx).is_pending());
                }
            });
            assert_eq!(core.state.borrow().joiners[&target].len(), 1);
            core.shut_down();
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "a core needs the operating system's poller (timerfd)")]
    fn the_list_for_take_returns_stays_within_twice_the_results_kept() {
        const ROUND: usize = 100;
        let core = Rc::new(Core::new());
        core.set_virtual_clock();
        let spawn_round = || -> Vec<_> {
            (0..ROUND)
                .map(|i| core.spawn(Task::from_future("t", async move { i })))
                .collect()
        };
        enter(&core, || {
            // Results taken one by one, as joins and handles do: the list is swept.
            for _ in 0..100 {
                let ids = spawn_round();
                while core.run_once(false) == Pass::Ran {}
                for id in ids {
                    assert!(core.take_return(id, TypeId::of::<usize>()).is_ok());
                }
                let listed = core.state.borrow().finished.list.len();
                assert!(listed < 2 * ROUND + super::Finished::SWEEP_FROM, "{listed}");
            }
            // Results kept: every one is listed, in the order they ended.
            let ids: Vec<_> = (0..10).flat_map(|_| spawn_round()).collect();
            while core.run_once(false) == Pass::Ran {}
            let returns = core.take_returns(TypeId::of::<usize>());
            let order: Vec<_> = returns.iter().map(|(id, ..)| *id).collect();
            assert_eq!(order, ids);
            assert!(core.state.borrow().finished.list.is_empty());
        });
        core.shut_down();
    }
}
