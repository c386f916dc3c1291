//! The one core under both front-ends: the task table, the run queue, the timer heap and the
//! reactor, shared by generator tasks (the kernel's system calls) and future tasks (`rt`).
//!
//! Its state sits behind `RefCell`s that are only borrowed for bookkeeping, never while user
//! code runs: a task is resumed with nothing borrowed, and what bookkeeping would otherwise do
//! in the middle of a borrow — dropping a task's body or a value it produced (destructors
//! run), waking a waker, calling the report hook — is deferred until the borrow ends, and a
//! panic there is contained (see `contain`).
//!
//! Here: the state, the core's handles on it, and the task bodies. A pass and its steps are in
//! `step`, the bookkeeping of tasks (adding, waking, ending, joining) in `tasks`, the wakers in
//! `wake`, deferred work, the report hook and shutting down in `contain`.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::{Any, TypeId};
use core::cell::{Cell, RefCell};
use core::pin::Pin;
use core::task::{Poll, Waker};
use core::time::Duration;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::clock::{Clock, Deadline, StepClock, Waiter};
use super::reactor::{Direction, Reactor, Woken};
use super::sites::Site;
use super::table::{Key, Queued, Table, TaskMap};
use super::task::{FutureBody, GeneratorBody, Input, TaskBody};
use super::timers::{TimerKey, Timers};
use super::{JoinError, Reply, Report, Snapshot, Task, TaskInfo, TaskState};
use crate::sched::TaskId;
use contain::Leftover;
use tasks::{Bits, Finished};
use wake::{MainWaker, Remote};

mod contain;
mod step;
mod tasks;
mod wake;

pub(crate) use contain::{drop_payload, refuse_nested};
pub(crate) use wake::{pending_at, resumed_at};

#[cfg(unix)]
use std::os::fd::RawFd;

/// What a task waits for, besides its turn.
#[derive(Clone, Copy)]
enum Wait {
    Nothing,
    /// Until its timer fires (the timer holds the deadline).
    Sleep(TimerKey),
    #[cfg(unix)]
    Io(RawFd, Direction),
    Join(TaskId),
    /// A future task waits for its waker.
    Waker,
}

struct Entry {
    name: Rc<str>,
    /// Where it was spawned, for the slow-task warning.
    spawned: Site,
    body: Body,
    wait: Wait,
    /// In `ready` or `later` (so it is never queued twice).
    queued: bool,
    /// In `local_woken` (see `Core::wake_local`), so a wake from the loop's thread is queued
    /// once until the wakes are taken.
    woken: bool,
    /// Killed while it was running: it ends after this step.
    killed: bool,
    /// Nobody will join it: its return value is dropped when it ends.
    detached: bool,
    steps: u64,
    /// Nanoseconds it ran, in all.
    busy: u64,
}

/// A task's generator or future, with what its next step needs; the step takes them out
/// (`None` while it runs) and puts them back.
enum Body {
    Generator {
        body: Option<Pin<Box<dyn GeneratorBody>>>,
        /// What its next resume passes in.
        input: Option<Input>,
    },
    Future {
        body: Option<Pin<Box<dyn FutureBody>>>,
        /// Its waker, once one was handed out (see `LazyWaker`); lent to the step that polls
        /// it, so no step clones it.
        waker: Option<Waker>,
    },
}

impl Body {
    /// Whether the task is being resumed (its body is out).
    fn is_running(&self) -> bool {
        match self {
            Body::Generator { body, .. } => body.is_none(),
            Body::Future { body, .. } => body.is_none(),
        }
    }

    /// Whether `Input::Cancel` can be thrown in.
    fn cancellable(&self) -> bool {
        match self {
            Body::Generator { body, .. } => body.as_ref().is_some_and(|b| b.cancellable()),
            Body::Future { .. } => false,
        }
    }

    /// What a generator task's next resume passes in (a future task is polled with nothing);
    /// returns what it replaces.
    #[inline]
    fn set_input(&mut self, next: Input) -> Option<Input> {
        match self {
            Body::Generator { input, .. } => input.replace(next),
            Body::Future { .. } => None,
        }
    }

    /// Writes the answer to a generator task's call in place: the step that asks took its last
    /// input, so nothing is replaced (and no destructor runs under the state's borrow).
    #[inline]
    fn answer(&mut self, reply: Reply) {
        if let Body::Generator { input, .. } = self {
            debug_assert!(input.is_none(), "the step took the task's input");
            // Written only where it is known empty: no call to drop an old `Reply` (an
            // out-of-line match on its variants, 23 instructions a switch).
            if input.is_none() {
                *input = Some(Input::Reply(reply));
            }
        }
    }

    /// The generator or future, if it is home, and what a generator's next resume would have
    /// passed in (a joined value, say).
    fn into_parts(self) -> (Option<TaskBody>, Option<Input>) {
        match self {
            Body::Generator { body, input } => (body.map(TaskBody::Generator), input),
            Body::Future { body, .. } => (body.map(TaskBody::Future), None),
        }
    }
}

impl Entry {
    /// Counts a step that ran for `ran` nanoseconds.
    #[inline(always)]
    fn count_step(&mut self, ran: u64) {
        self.steps += 1;
        self.busy = self.busy.saturating_add(ran);
    }
}

/// How a step ended its task (see `State::end`).
enum Exit {
    Returned(Box<dyn Any>),
    Killed,
    Panicked(String),
}

/// How a task ended, kept for whoever joins it later.
enum Ended {
    /// Its return value, until a joiner takes it, and the task's name, for the report if the
    /// value's destructor panics when nobody does.
    Returned(Box<dyn Any>, Rc<str>),
    Killed,
    Panicked(String),
}

/// A task that ended, as `take_returns` hands it out: its id, its name, and its return value
/// (of the type asked for) or why there is none.
pub(crate) type Returned = (TaskId, Rc<str>, Result<Box<dyn Any>, JoinError>);

/// Work that must wait until no borrow of the state is held.
enum Deferred {
    /// Something of a task's to drop (its destructors may run any code), with the task's id and
    /// name for the report if one panics.
    Drop(TaskId, Rc<str>, Leftover),
    Wake(Waker),
    Report(Report),
}

/// Who waits for a live task to end.
enum Joiner {
    /// A generator task, and the type of return value it asked for (`Syscall::JoinAs`), if any.
    Task(TaskId, Option<TypeId>),
    /// A `JoinHandle`'s future: it takes the result when it is polled again.
    Waker(Waker),
}

struct State {
    tasks: Table<Entry>,
    next_id: TaskId,
    /// The pass being run (taken out while its steps run; nothing queues in it then).
    ready: Vec<Queued>,
    /// Made ready during the pass: they run in the next one, after the readiness poll.
    later: Vec<Queued>,
    timers: Timers,
    clock: Clock,
    ended: TaskMap<Ended>,
    /// Who waits for a live task to end, in the order they asked (only tasks someone joins
    /// are in it).
    joiners: TaskMap<Vec<Joiner>>,
    /// Which ended tasks' results were taken (or dropped).
    taken: Bits,
    /// Which ended tasks returned `()` that nobody took yet (kept as a bit, not a value).
    units: Bits,
    /// The tasks that ended with a result someone may take, in the order they ended, for
    /// `take_returns` (see `State::note_finished`).
    finished: Finished,
    /// Reads the time each step ran and holds the slow-task threshold (see `StepClock` for
    /// the clock it picks).
    step_clock: StepClock,
    deferred: Vec<Deferred>,
    /// Future tasks (or `block_on`'s future) that only a waker can wake: the loop may wait for
    /// it, so it never concludes that nothing can run.
    futures: usize,
}

/// The shared core. See the module documentation.
pub(crate) struct Core {
    state: RefCell<State>,
    /// The task being resumed, if any.
    running: Cell<Option<Running>>,
    /// How many more operations the running task may do without waiting before it yields.
    budget: Cell<u32>,
    /// Wakes from the loop's own thread (see `TaskWaker`): no lock needed.
    local_woken: RefCell<Vec<Queued>>,
    reactor: RefCell<Reactor>,
    remote: Arc<Remote>,
    reporter: RefCell<Reporter>,
    /// Reports made while the hook runs, for it to hear next (see `contain`).
    reports_queued: RefCell<Vec<Report>>,
}

/// The task being resumed.
#[derive(Clone, Copy)]
struct Running {
    key: Key,
    /// A future task's waker's data (see `wake::Polling`); null for a generator task.
    waker: *const (),
}

/// Where reports go.
pub(crate) type Reporter = Box<dyn FnMut(&Report)>;

/// What a pass found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// It ran (or waited for) something.
    Ran,
    /// No task is left.
    Empty,
    /// Tasks are left, but none can ever run again.
    Stalled,
}

/// The slow-task threshold a kernel starts with.
const DEFAULT_SLOW: Duration = Duration::from_millis(100);

/// Operations that do not wait, per task and poll, before the task must yield.
const BUDGET: u32 = 128;

std::thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Makes `core` the one `rt`'s free functions reach, for the length of `f`.
pub(crate) fn enter<T>(core: &Rc<Core>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Rc<Core>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|c| c.borrow_mut().replace(core.clone()));
    let _restore = Restore(previous);
    f()
}

/// The core of the loop running on this thread.
///
/// # Panics
/// Outside of one (`rt::block_on`, `Kernel::run`).
#[track_caller]
pub(crate) fn current() -> Rc<Core> {
    CURRENT
        .with(|c| c.borrow().clone())
        .expect("this must be called from a task or future run by resumable's kernel (rt::block_on, Kernel::run)")
}

/// The core of the loop running on this thread, if any.
pub(crate) fn try_current() -> Option<Rc<Core>> {
    CURRENT.with(|c| c.borrow().clone())
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

impl Core {
    pub(crate) fn new() -> Core {
        let reactor = Reactor::new().expect("the kernel needs a poller from the operating system");
        let remote = Arc::new(Remote::new(reactor.poller()));
        Core {
            running: Cell::new(None),
            budget: Cell::new(BUDGET),
            local_woken: RefCell::new(Vec::new()),
            state: RefCell::new(State {
                tasks: Table::default(),
                next_id: TaskId::FIRST,
                ready: Vec::new(),
                later: Vec::new(),
                timers: Timers::default(),
                clock: Clock::Real(Instant::now()),
                ended: TaskMap::default(),
                joiners: TaskMap::default(),
                taken: Bits::default(),
                units: Bits::default(),
                finished: Finished::default(),
                step_clock: StepClock::new(Some(DEFAULT_SLOW)),
                deferred: Vec::new(),
                futures: 0,
            }),
            reactor: RefCell::new(reactor),
            remote,
            reporter: RefCell::new(Box::new(|report| std::eprintln!("[kernel] {report}"))),
            reports_queued: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn set_virtual_clock(&self) {
        self.state.borrow_mut().clock = Clock::new_virtual();
    }

    pub(crate) fn set_slow_threshold(&self, threshold: Option<Duration>) {
        self.state.borrow_mut().step_clock.set_threshold(threshold);
    }

    pub(crate) fn set_reporter(&self, reporter: Reporter) {
        *self.reporter.borrow_mut() = reporter;
    }

    /// Queues the futures woken since last asked, this thread's first, then other threads'
    /// for this pass (`now`) or the next. `spare` is an empty buffer for
    /// the other threads' wakes; this thread's are drained in place, without a copy.
    #[inline(always)]
    fn queue_woken(&self, spare: &mut Vec<Key>, now: bool) {
        let mut local = self.local_woken.borrow_mut();
        if !local.is_empty() {
            let mut state = self.state.borrow_mut();
            for queued in local.drain(..) {
                state.wake_queued(queued, now);
            }
        }
        drop(local);
        self.remote.take(spare);
        if !spare.is_empty() {
            let mut state = self.state.borrow_mut();
            for key in spare.drain(..) {
                state.wake_future(key, now);
            }
        }
    }

    /// Whether a wake is waiting to be taken.
    fn has_wakes(&self) -> bool {
        !self.local_woken.borrow().is_empty() || self.remote.has_work()
    }

    /// The task being resumed, if any.
    pub(crate) fn running(&self) -> Option<TaskId> {
        self.running.get().map(|running| running.key.id)
    }

    pub(crate) fn now(&self) -> Duration {
        self.state.borrow().clock.now()
    }

    pub(crate) fn is_virtual(&self) -> bool {
        self.state.borrow().clock.is_virtual()
    }

    /// A deadline `after` from now, on this loop's clock.
    pub(crate) fn deadline_after(&self, after: Duration) -> Deadline {
        let state = self.state.borrow();
        Deadline::On(
            state.clock.now().saturating_add(after),
            state.clock.timeline(),
        )
    }

    /// A deadline when this loop's clock reads `at`.
    pub(crate) fn deadline_at(&self, at: Duration) -> Deadline {
        Deadline::On(at, self.state.borrow().clock.timeline())
    }

    /// Reads the clock, with `deadline` made a reading of it (see `Clock::bind`).
    #[inline]
    pub(crate) fn bind_deadline(&self, deadline: &mut Deadline) -> (Duration, Duration, bool) {
        self.state.borrow().clock.bind(deadline)
    }

    pub(crate) fn len(&self) -> usize {
        self.state.borrow().tasks.len()
    }

    /// Runs what was deferred while the state was borrowed.
    #[inline(always)]
    fn flush(&self) {
        if !self.state.borrow().deferred.is_empty() {
            self.flush_deferred();
        }
    }

    /// Starts `task`; it runs in the next pass.
    pub(crate) fn spawn(&self, task: Task) -> TaskId {
        self.state.borrow_mut().insert(task)
    }

    /// Undoes what `id` waits on, before it is killed or cancelled; it then waits for nothing.
    fn release(&self, state: &mut State, id: TaskId) {
        let Some(entry) = state.tasks.by_id_mut(id) else {
            return;
        };
        let wait = core::mem::replace(&mut entry.wait, Wait::Nothing);
        match wait {
            Wait::Nothing => {}
            Wait::Sleep(timer) => {
                // A task's waiter has no destructor to defer.
                state.timers.remove(timer);
            }
            Wait::Waker => state.futures -= 1,
            #[cfg(unix)]
            Wait::Io(fd, dir) => self.reactor.borrow_mut().forget(fd, dir, id),
            Wait::Join(target) => {
                if let Some(joiners) = state.joiners.get_mut(&target) {
                    joiners.retain(|j| !matches!(j, Joiner::Task(w, _) if *w == id));
                }
            }
        }
    }

    fn cancel_in(&self, state: &mut State, id: TaskId) -> bool {
        let Some(key) = state.tasks.key(id) else {
            return false;
        };
        let entry = state.tasks.get_mut(key).expect("present");
        if entry.body.is_running() {
            // Cancelled while it runs (by itself, through a handle): it ends after this step.
            entry.killed = true;
            return true;
        }
        if !entry.body.cancellable() {
            self.release(state, id);
            state.kill(id);
            return true;
        }
        self.release(state, id);
        state.set_input(key, Input::Cancel);
        let entry = state.tasks.get_mut(key).expect("present");
        entry.wait = Wait::Nothing;
        if !entry.queued {
            entry.queued = true;
            state.later.push(key.queued());
        }
        true
    }

    /// Closes a task now (or, if it is the one running, when its step ends).
    pub(crate) fn kill(&self, id: TaskId) -> bool {
        let alive = {
            let mut state = self.state.borrow_mut();
            self.release(&mut state, id);
            state.kill(id)
        };
        self.flush();
        alive
    }

    /// Nobody will join `id`: its result is dropped when it ends.
    pub(crate) fn detach(&self, id: TaskId) {
        self.state.borrow_mut().detach(id);
        self.flush();
    }

    pub(crate) fn cancel(&self, id: TaskId) -> bool {
        let alive = {
            let mut state = self.state.borrow_mut();
            self.cancel_in(&mut state, id)
        };
        self.flush();
        alive
    }

    /// How `id` ended, if it did (its return value only if it is a `want`); else registers
    /// `waker` to hear of it (once, however often it is polled).
    pub(crate) fn poll_join(
        &self,
        id: TaskId,
        waker: &Waker,
        want: TypeId,
    ) -> Poll<Result<Box<dyn Any>, JoinError>> {
        if !self.state.borrow().tasks.contains(id) {
            return Poll::Ready(self.state.borrow_mut().take_ended_as(id, want));
        }
        // Compared as it would be kept: an async generator's body is polled with a waker whose
        // clone is the executor's own, which `will_wake` against the original would miss (one
        // more joiner per poll). Cloned with nothing borrowed: another executor's waker may run
        // any code.
        let waker = waker.clone();
        let mut state = self.state.borrow_mut();
        if !state.tasks.contains(id) {
            // It ended meanwhile (the clone did something).
            let result = state.take_ended_as(id, want);
            drop(state);
            drop(waker);
            return Poll::Ready(result);
        }
        let joiners = state.joiners.entry(id).or_default();
        if joiners
            .iter()
            .any(|j| matches!(j, Joiner::Waker(w) if w.will_wake(&waker)))
        {
            drop(state);
            drop(waker);
        } else {
            joiners.push(Joiner::Waker(waker));
        }
        Poll::Pending
    }

    /// How every task that ended and was not taken yet ended, in the order they ended (see
    /// `State::take_all_ended`).
    pub(crate) fn take_returns(&self, want: TypeId) -> Vec<Returned> {
        self.state.borrow_mut().take_all_ended(want)
    }

    /// The return value of a task that ended, if it is a `want` (else `WrongType`, and the value
    /// stays for a caller who asks for the right type); `NotFinished` while it is alive.
    pub(crate) fn take_return(&self, id: TaskId, want: TypeId) -> Result<Box<dyn Any>, JoinError> {
        let mut state = self.state.borrow_mut();
        if state.tasks.contains(id) {
            return Err(JoinError::NotFinished);
        }
        state.take_ended_as(id, want)
    }

    /// Wakes `waker` when the clock reaches `deadline`; returns the timer's key, for
    /// `rewake_timer` and `cancel_timer`.
    pub(crate) fn add_timer(&self, deadline: Duration, waker: Waker) -> TimerKey {
        self.state
            .borrow_mut()
            .timers
            .insert(deadline, Waiter::Waker(waker))
    }

    /// Makes the timer `key` (set with `add_timer`) wake `waker` instead, if it is still set:
    /// a future polled again keeps its one timer. False if it is gone (it fired, or it is
    /// another loop's).
    pub(crate) fn rewake_timer(&self, key: TimerKey, waker: &Waker) -> bool {
        match self.state.borrow_mut().timers.waiter_mut(key) {
            Some(Waiter::Waker(set)) if set.will_wake(waker) => return true,
            Some(_) => {}
            None => return false,
        }
        // A waker's clone and destructor are foreign code: run with nothing borrowed.
        let mut fresh = Waiter::Waker(waker.clone());
        if let Some(set) = self.state.borrow_mut().timers.waiter_mut(key) {
            core::mem::swap(set, &mut fresh);
        }
        drop(fresh);
        true
    }

    /// Removes a timer set with `add_timer` (its future was dropped or is done), so it neither
    /// wakes anyone nor moves a virtual clock, and its waker is dropped now.
    pub(crate) fn cancel_timer(&self, key: TimerKey) {
        let waiter = self.state.borrow_mut().timers.remove(key);
        drop(waiter);
    }

    /// Counts one operation that did not have to wait; false when the running task has done
    /// enough of them in this poll that it must yield (so a socket that always has data, say,
    /// cannot keep the loop from the other tasks).
    pub(crate) fn consume_budget(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }

    /// Gives the task about to be polled a fresh budget.
    pub(crate) fn reset_budget(&self) {
        self.budget.set(BUDGET);
    }

    /// Wakes `waker` when `fd` is ready for `dir`.
    #[cfg(unix)]
    pub(crate) fn wait_fd(&self, fd: RawFd, dir: Direction, waker: Waker) -> std::io::Result<()> {
        let mut woken = Woken::default();
        let result = self
            .reactor
            .borrow_mut()
            .wait(fd, dir, Waiter::Waker(waker), &mut woken);
        if !woken.is_empty() {
            self.wake_io(woken);
        }
        result
    }

    /// Forgets `fd` before it is closed (see `Reactor::close`).
    #[cfg(unix)]
    pub(crate) fn close_fd(&self, fd: RawFd) {
        let mut woken = Woken::default();
        self.reactor.borrow_mut().close(fd, &mut woken);
        self.wake_io(woken);
    }

    /// Stops `waker` waiting on `fd` for `dir` (see `Reactor::forget_waker`), so a descriptor
    /// that stays open (the pipe of `rt::ctrl_c`) does not keep the loop waiting for it.
    #[cfg(unix)]
    pub(crate) fn forget_fd_waker(&self, fd: RawFd, dir: Direction, waker: &Waker) {
        let gone = self.reactor.borrow_mut().forget_waker(fd, dir, waker);
        drop(gone);
    }

    /// Wakes whom a closed descriptor woke, in the next pass: a generator task's wait answers
    /// normally (its next operation fails); the wakers are woken once nothing is borrowed.
    #[cfg(unix)]
    fn wake_io(&self, woken: Woken) {
        let mut state = self.state.borrow_mut();
        for id in woken.tasks {
            state.wake(id, Some(Reply::Io(Ok(()))), false);
        }
        state
            .deferred
            .extend(woken.wakers.into_iter().map(Deferred::Wake));
        drop(state);
        self.flush();
    }

    /// The waker for `block_on`'s future, and whether it was woken (clearing it).
    pub(crate) fn main_waker(&self) -> Waker {
        Waker::from(Arc::new(MainWaker(self.remote.clone())))
    }

    pub(crate) fn take_main_wake(&self) -> bool {
        self.remote.main.swap(false, Ordering::SeqCst)
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let state = self.state.borrow();
        let mut tasks: Vec<TaskInfo> = state
            .tasks
            .iter()
            .map(|(id, e)| TaskInfo {
                id,
                name: e.name.clone(),
                state: if e.body.is_running() {
                    TaskState::Running
                } else {
                    task_state(e.wait, &state.timers)
                },
                steps: e.steps,
                busy: Duration::from_nanos(e.busy),
            })
            .collect();
        tasks.sort_by_key(|t| t.id);
        Snapshot {
            now: state.clock.now(),
            tasks,
            timers: state.timers.len(),
        }
    }
}

fn task_state(wait: Wait, timers: &Timers) -> TaskState {
    match wait {
        Wait::Nothing => TaskState::Ready,
        Wait::Sleep(timer) => TaskState::Sleeping {
            until: timers.deadline(timer).unwrap_or_default(),
        },
        #[cfg(unix)]
        Wait::Io(fd, Direction::Read) => TaskState::Reading(fd),
        #[cfg(unix)]
        Wait::Io(fd, Direction::Write) => TaskState::Writing(fd),
        Wait::Join(id) => TaskState::Joining(id),
        Wait::Waker => TaskState::Awaiting,
    }
}
