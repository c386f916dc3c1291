//! Wakers: a future task's, which queues its task with the core from any thread, and the one of
//! the future `block_on` drives.
//!
//! The commonest wake of all is a future waking itself while it is polled (`yield_now`, a
//! channel it has just filled): that one only sets a flag of this thread's ([`Polling`]), and
//! the step that polls the future queues it when the poll returns, with its entry at hand.
//!
//! Any other wake goes through a queue that the loop drains after every step and at the start
//! of a pass: this thread's (no lock), or the one other threads share. A task is in each of
//! them at most once, so a million wakes of one task before the loop gets to them cost one
//! entry, not a million:
//! * on the loop's thread, a wake of a task that is queued already, or was woken since the
//!   loop last drained the wakes, is dropped (its entry's `woken`, and `queued`, say so: no
//!   atomics on this path);
//! * from another thread, the waker's `queued` flag is set by the wake that puts the task in
//!   the queue and cleared when the loop takes it out; a wake that finds it set is dropped.
//!
//! A wake is only dropped when the task will be polled after it anyway; and the run queue
//! keeps the task where its first wake put it.
//!
//! A task's waker is made the first time it is cloned ([`LazyWaker`]): until then the task is
//! polled with a waker lent by the step, which can only wake it. A task that never hands its
//! waker out (one that only yields, or ends in its first poll) costs no allocation for it.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::task::Wake;
use alloc::vec::Vec;
use core::cell::Cell;
use core::mem::ManuallyDrop;
use core::panic::Location;
use core::task::{RawWaker, RawWakerVTable, Waker};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Mutex;

use polling::Poller;

use super::{Core, CURRENT};
use crate::kernel::table::Key;
use crate::sched::TaskId;

/// Wakes that may come from any thread: future tasks' wakers and `block_on`'s.
pub(crate) struct Remote {
    /// Each with its `queued` flag set.
    woken: Mutex<Vec<Arc<TaskWaker>>>,
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

    fn push(&self, waker: Arc<TaskWaker>) {
        self.woken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(waker);
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
            self.take_all(into);
        }
    }

    /// Takes the tasks woken from other threads: a wake of one of them from now on queues it
    /// again.
    fn take_all(&self, into: &mut Vec<Key>) {
        let mut woken = self.woken.lock().unwrap_or_else(|e| e.into_inner());
        self.pending.store(false, Ordering::SeqCst);
        into.extend(woken.drain(..).map(|waker| {
            // Acquire: reads the flag as the last wake left it, so what a wake that found it
            // set did before (it released it) is seen by the poll this queues.
            waker.queued.swap(false, Ordering::Acquire);
            waker.key()
        }));
    }
}

/// A future task's waker: queues its task with the core, from any thread.
pub(super) struct TaskWaker {
    /// The task's key, in two (so the flag fits beside the slot: 24 bytes in all).
    slot: u32,
    id: TaskId,
    /// In the queue of wakes from other threads, not yet taken (see the module docs).
    queued: AtomicBool,
    remote: Arc<Remote>,
}

impl TaskWaker {
    /// The waker of the future task at `key`.
    pub(super) fn waker(key: Key, remote: &Arc<Remote>) -> Waker {
        let (slot, id) = key.into_parts();
        Waker::from(Arc::new(TaskWaker {
            slot,
            id,
            queued: AtomicBool::new(false),
            remote: remote.clone(),
        }))
    }

    fn key(&self) -> Key {
        Key::from_parts(self.slot, self.id)
    }

    /// A wake of a task that is not being polled. Out of line: the self-wake is a leaf.
    #[inline(never)]
    fn wake_other(self: &Arc<Self>) {
        // On the loop's own thread (a task waking another), skip the lock.
        let local = CURRENT.with(|current| match &*current.borrow() {
            Some(core) if Arc::ptr_eq(&core.remote, &self.remote) => {
                core.wake_local(self.key());
                true
            }
            _ => false,
        });
        // From another thread, once until the loop takes it. Release: if a later wake finds
        // the flag set, what this one did before is published with it (see `take_all`).
        if !local && !self.queued.swap(true, Ordering::AcqRel) {
            self.remote.push(self.clone());
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

/// The waker a future task is polled with until its own is made: lent for one poll, it makes
/// the task's waker (with `make`) the first time it is cloned, or woken other than by the
/// task itself, from any thread; the step then keeps that one for the task's later polls.
pub(super) struct LazyWaker<'a> {
    /// The made waker, boxed (null until it is made): the first to make it stores it with
    /// one compare-and-swap, so a poll that hands nothing out pays a store and a load.
    made: AtomicPtr<Waker>,
    make: &'a (dyn Fn() -> Waker + Sync),
}

impl<'a> LazyWaker<'a> {
    #[inline(always)]
    pub(super) fn new(make: &'a (dyn Fn() -> Waker + Sync)) -> LazyWaker<'a> {
        LazyWaker {
            made: AtomicPtr::new(core::ptr::null_mut()),
            make,
        }
    }

    /// Runs `f` with the waker this lends. It must not outlive `f`: a `Context` made from it
    /// cannot (the waker it lends is borrowed), and the waker's clones are the made one's.
    #[inline(always)]
    pub(super) fn lend<T>(&self, f: impl FnOnce(&Waker) -> T) -> T {
        let data: *const () = core::ptr::from_ref(self).cast();
        // SAFETY: `LAZY`'s functions take `data` for a `LazyWaker` (this one), which outlives
        // the waker: it is lent to `f` and never dropped (`ManuallyDrop`), and a clone of it is
        // another waker (the made one), never a copy of this `data`.
        let waker = ManuallyDrop::new(unsafe { Waker::new(data, &LAZY) });
        f(&waker)
    }

    /// The task's waker, if one was made during the poll.
    #[inline(always)]
    pub(super) fn into_made(mut self) -> Option<Waker> {
        let made = core::mem::replace(self.made.get_mut(), core::ptr::null_mut());
        // SAFETY: a non-null `made` is the `Box` that `made` stored, and is taken once (the
        // pointer left behind is null).
        (!made.is_null()).then(|| *unsafe { Box::from_raw(made) })
    }

    /// The task's waker, made now if it was not yet (from any thread).
    fn made(&self) -> &Waker {
        let made = self.made.load(Ordering::Acquire);
        if !made.is_null() {
            // SAFETY: stored by the compare-and-swap below (Release, read with Acquire), and
            // freed only by `into_made` or the drop, which take the `LazyWaker` by value.
            return unsafe { &*made };
        }
        let fresh = Box::into_raw(Box::new((self.make)()));
        match self.made.compare_exchange(
            core::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: stored now; freed as above.
            Ok(_) => unsafe { &*fresh },
            Err(first) => {
                // SAFETY: `fresh` was never shared: it is ours to free.
                drop(unsafe { Box::from_raw(fresh) });
                // SAFETY: stored by the winner of the race; freed as above.
                unsafe { &*first }
            }
        }
    }
}

impl Drop for LazyWaker<'_> {
    fn drop(&mut self) {
        let made = *self.made.get_mut();
        if !made.is_null() {
            // SAFETY: as in `into_made`, which leaves null behind.
            drop(unsafe { Box::from_raw(made) });
        }
    }
}

/// A lent waker's functions; `data` points to its `LazyWaker`.
static LAZY: RawWakerVTable = RawWakerVTable::new(lazy_clone, lazy_wake, lazy_wake, lazy_drop);

unsafe fn lazy_clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker is lent while its `LazyWaker` lives (see `LazyWaker::lend`).
    let lazy = unsafe { &*data.cast::<LazyWaker<'_>>() };
    let clone = ManuallyDrop::new(lazy.made().clone());
    RawWaker::new(clone.data(), clone.vtable())
}

/// A lent waker is never owned, so never woken by value: both wakes are by reference.
unsafe fn lazy_wake(data: *const ()) {
    // The task woke itself while it is polled: the step queues it.
    if Polling::wake_self(data) {
        return;
    }
    // SAFETY: as in `lazy_clone`.
    let lazy = unsafe { &*data.cast::<LazyWaker<'_>>() };
    lazy.made().wake_by_ref();
}

/// Nothing to drop: the waker was lent.
unsafe fn lazy_drop(_: *const ()) {}

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

/// The future task being polled on this thread, whether it woke itself meanwhile, and where
/// the poll resumed and stopped (for the slow-task warning).
///
/// Its waker is known by the address of its data (the `TaskWaker`, which every clone of the
/// waker shares), compared and never dereferenced. A poll saves the one of the poll it runs
/// inside (a loop run from a task) and puts it back.
///
/// A future cannot say where it is suspended, but rt's own futures know the line that awaits
/// them (`#[track_caller]`): each tells the poll it runs in when it is ready after having been
/// pending ([`resumed_at`]: the `.await` the task resumed from) and when it is pending
/// ([`pending_at`]: where it stopped). A poll starts with neither; if several tell it (a
/// `join!`, a `select!`), the last one wins: a plain store, so that a switch pays two.
pub(super) struct Polling {
    waker: Cell<*const ()>,
    /// It woke itself after every wake it made of other tasks (see `Core::wake_local`).
    woken: Cell<bool>,
    from: Cell<Option<&'static Location<'static>>>,
    to: Cell<Option<&'static Location<'static>>>,
}

std::thread_local! {
    static POLLING: Polling = const {
        Polling {
            waker: Cell::new(core::ptr::null()),
            woken: Cell::new(false),
            from: Cell::new(None),
            to: Cell::new(None),
        }
    };
}

/// An rt future awaited at `at` is ready after having been pending: the poll running on this
/// thread resumed there.
#[inline(always)]
pub(crate) fn resumed_at(at: &'static Location<'static>) {
    POLLING.with(|p| p.from.set(Some(at)));
}

/// An rt future awaited at `at` is pending: the poll running on this thread stops there (unless
/// another is pending after it).
#[inline(always)]
pub(crate) fn pending_at(at: &'static Location<'static>) {
    POLLING.with(|p| p.to.set(Some(at)));
}

impl Polling {
    /// Runs `poll` as the poll of the future whose waker is `waker`; true with its result if
    /// the future woke itself (and that wake is not queued yet).
    #[inline(always)]
    pub(super) fn run<T>(waker: &Waker, poll: impl FnOnce() -> T) -> (T, bool) {
        let outer = POLLING.with(|p| {
            p.from.set(None);
            p.to.set(None);
            (p.waker.replace(waker.data()), p.woken.replace(false))
        });
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

    /// Forgets where the last poll resumed and stopped: `block_on`'s future is polled next.
    pub(super) fn begin_slice() {
        POLLING.with(|p| {
            p.from.set(None);
            p.to.set(None);
        });
    }

    /// Where the last poll on this thread resumed and where it stopped, as far as rt's futures
    /// told it.
    pub(super) fn slice() -> (
        Option<&'static Location<'static>>,
        Option<&'static Location<'static>>,
    ) {
        POLLING.with(|p| (p.from.get(), p.to.get()))
    }

    /// Takes the noted self-wake of the future polled with `waker`, if there is one: it must
    /// be queued before a wake that comes after it.
    pub(super) fn take_wake_of(waker: *const ()) -> bool {
        POLLING.with(|p| p.waker.get() == waker && p.woken.replace(false))
    }
}

impl Core {
    /// A wake on the loop's own thread, queued in order with the others (see `queue_woken`),
    /// unless the task will run after it anyway.
    fn wake_local(&self, key: Key) {
        // (The state is never borrowed while a task runs; if a wake came while it is, it is
        // queued as it is.)
        if let Ok(mut state) = self.state.try_borrow_mut() {
            match state.tasks.get_mut(key) {
                // Queued and not started yet, or in `local_woken` already.
                Some(entry) if entry.queued || entry.woken => return,
                Some(entry) => entry.woken = true,
                // Ended: nothing to wake.
                None => return,
            }
        }
        let mut local = self.local_woken.borrow_mut();
        // A task that woke itself, then another, is queued first.
        if let Some(running) = self.running.get() {
            if Polling::take_wake_of(running.waker) {
                local.push(running.key.queued());
            }
        }
        local.push(key.queued());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::engine::{enter, Body, Wait};
    use crate::kernel::Task;
    use alloc::rc::Rc;

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

    /// Counts the wakes of the wakers made from it.
    #[derive(Default)]
    struct Counted(std::sync::atomic::AtomicUsize);

    impl Wake for Counted {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Runs under Miri: the lent waker's functions.
    #[test]
    fn a_lent_waker_makes_the_tasks_waker_once_when_it_is_handed_out() {
        let woken = Arc::new(Counted::default());
        let made = std::sync::atomic::AtomicUsize::new(0);
        let make = || {
            made.fetch_add(1, Ordering::SeqCst);
            Waker::from(woken.clone())
        };
        let wakes = || woken.0.load(Ordering::SeqCst);
        let lazy = LazyWaker::new(&make);
        let ((), woke_itself) = lazy.lend(|waker| {
            Polling::run(waker, || {
                // Woken by the task it is lent to: noted for the step, nothing made.
                waker.wake_by_ref();
                assert_eq!((made.load(Ordering::SeqCst), wakes()), (0, 0));
                // Handed out: made once, every clone the same waker.
                let (a, b) = (waker.clone(), waker.clone());
                assert_eq!(made.load(Ordering::SeqCst), 1);
                assert!(a.will_wake(&b) && !a.will_wake(waker));
                // Woken from another thread: through the made waker.
                std::thread::scope(|s| {
                    s.spawn(|| waker.wake_by_ref());
                });
                assert_eq!(wakes(), 1);
                a.wake();
                drop(b);
                assert_eq!(wakes(), 2);
            })
        });
        assert!(woke_itself);
        let kept = lazy
            .into_made()
            .expect("the made waker, for the task's later polls");
        kept.wake_by_ref();
        assert_eq!((made.load(Ordering::SeqCst), wakes()), (1, 3));
        // A poll that hands nothing out makes nothing.
        let lazy = LazyWaker::new(&make);
        lazy.lend(|waker| Polling::run(waker, || waker.wake_by_ref()));
        assert!(lazy.into_made().is_none());
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[test]
    #[cfg(feature = "rt")]
    #[cfg_attr(miri, ignore = "a core needs the operating system's poller (timerfd)")]
    fn a_future_task_gets_its_waker_when_it_hands_it_out_and_keeps_it() {
        let core = Rc::new(Core::new());
        core.set_virtual_clock();
        let has_waker = |id| {
            let state = core.state.borrow();
            let entry = state.tasks.by_id(id).expect("alive");
            matches!(entry.body, Body::Future { waker: Some(_), .. })
        };
        enter(&core, || {
            let yields = core.spawn(Task::from_future("yields", async {
                for _ in 0..3 {
                    crate::rt::yield_now().await;
                }
                core::future::pending::<()>().await;
            }));
            let sleeps = core.spawn(Task::from_future(
                "sleeps",
                crate::rt::sleep(core::time::Duration::from_secs(60)),
            ));
            for _ in 0..4 {
                assert_eq!(core.run_once(false), crate::kernel::engine::Pass::Ran);
            }
            // Woke only itself, by reference: no waker made. The sleeper's timer holds one.
            assert!(!has_waker(yields));
            assert!(has_waker(sleeps));
            core.kill(yields);
            core.kill(sleeps);
        });
        core.shut_down();
    }

    /// Makes the task at `key` wait for its waker, as its step does when it returns `Pending`.
    fn park(core: &Core, key: Key) {
        let mut state = core.state.borrow_mut();
        state.later.retain(|&k| k != key.queued());
        let entry = state.tasks.get_mut(key).unwrap();
        (entry.queued, entry.wait) = (false, Wait::Waker);
        state.futures += 1;
    }

    /// A core with one future task, parked, and that task's waker.
    fn parked_task() -> (Rc<Core>, Key, Waker) {
        let core = Rc::new(Core::new());
        let id = core.spawn(Task::from_future("parked", core::future::pending::<()>()));
        let key = core.state.borrow().tasks.key(id).unwrap();
        park(&core, key);
        let waker = TaskWaker::waker(key, &core.remote);
        (core, key, waker)
    }

    /// The wakes waiting: this thread's, other threads'.
    fn waiting(core: &Core) -> (usize, usize) {
        let remote = core.remote.woken.lock().unwrap().len();
        (core.local_woken.borrow().len(), remote)
    }

    #[test]
    #[cfg_attr(miri, ignore = "a core needs the operating system's poller (timerfd)")]
    fn a_task_is_in_each_wake_queue_once_however_often_it_is_woken() {
        let wakes = 100_000;
        let (core, key, waker) = parked_task();
        let from_another_thread = || {
            std::thread::scope(|s| {
                s.spawn(|| (0..wakes).for_each(|_| waker.wake_by_ref()));
            });
        };
        let from_the_loop = || {
            enter(&core, || {
                (0..wakes).for_each(|_| waker.wake_by_ref());
                let by_value = waker.clone();
                by_value.wake();
            });
        };
        from_another_thread();
        from_the_loop();
        assert_eq!(waiting(&core), (1, 1));
        // The loop takes them: the task is queued once.
        let mut spare = Vec::new();
        core.queue_woken(&mut spare, false);
        assert_eq!(waiting(&core), (0, 0));
        assert_eq!(core.state.borrow().later, [key.queued()]);
        // Queued and not run yet: a wake from the loop's thread is dropped; one from another
        // thread is queued once again (the flag was cleared), and changes nothing.
        from_the_loop();
        from_another_thread();
        assert_eq!(waiting(&core), (0, 1));
        core.queue_woken(&mut spare, false);
        assert_eq!(core.state.borrow().later, [key.queued()]);
        // Run and parked again: woken once more.
        park(&core, key);
        from_the_loop();
        assert_eq!(waiting(&core), (1, 0));
        core.queue_woken(&mut spare, false);
        assert_eq!(core.state.borrow().later, [key.queued()]);
        core.shut_down();
    }
}
