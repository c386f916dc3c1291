//! The one core under both front-ends: the task table, the run queue, the timer heap and the
//! reactor, shared by generator tasks (the kernel's system calls) and future tasks (`rt`).
//!
//! Its state sits behind `RefCell`s that are only borrowed for bookkeeping, never while user
//! code runs: a task is resumed with nothing borrowed, and what bookkeeping would otherwise do
//! in the middle of a borrow — dropping a task's body (its destructors run), waking a waker,
//! calling the report hook — is deferred until the borrow ends.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::cell::{Cell, RefCell};
use core::pin::Pin;
use core::task::{Poll, Waker};
use core::time::Duration;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::clock::{Clock, StepClock, Timers, Waiter};
use super::reactor::{Direction, Reactor};
use super::table::{Key, Table, TaskMap};
use super::task::{FutureBody, GeneratorBody, Input, TaskBody};
use super::{JoinError, Reply, Report, Snapshot, Task, TaskInfo, TaskState};
use crate::sched::TaskId;
use wake::{MainWaker, Remote, TaskWaker};

mod step;
mod wake;

#[cfg(unix)]
use std::os::fd::RawFd;

/// What a task waits for, besides its turn.
#[derive(Clone, Copy)]
enum Wait {
    Nothing,
    Sleep {
        until: Duration,
        seq: u64,
    },
    #[cfg(unix)]
    Io(RawFd, Direction),
    Join(TaskId),
    /// A future task waits for its waker.
    Waker,
}

struct Entry {
    name: Rc<str>,
    body: Body,
    wait: Wait,
    /// In `ready` or `later` (so it is never queued twice).
    queued: bool,
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
        /// Lent to the step that polls it, so no step clones it.
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

    /// What a generator task's next resume passes in (a future task is polled with nothing).
    fn set_input(&mut self, next: Input) {
        if let Body::Generator { input, .. } = self {
            *input = Some(next);
        }
    }

    /// The generator or future, if it is home.
    fn into_task_body(self) -> Option<TaskBody> {
        match self {
            Body::Generator { body, .. } => body.map(TaskBody::Generator),
            Body::Future { body, .. } => body.map(TaskBody::Future),
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

/// How a task ended, kept for whoever joins it later.
enum Ended {
    /// Its return value, until a joiner takes it.
    Returned(Box<dyn Any>),
    Killed,
    Panicked(String),
}

/// Work that must wait until no borrow of the state is held.
enum Deferred {
    /// A task's body, with the task's id and name for the report if a destructor panics.
    Drop(TaskId, Rc<str>, TaskBody),
    /// A return value nobody will take (the task was detached): its destructor may run code.
    DropValue(Box<dyn Any>),
    Wake(Waker),
    Report(Report),
}

struct State {
    tasks: Table<Entry>,
    next_id: TaskId,
    /// The pass being run (taken out while its steps run; nothing queues in it then).
    ready: Vec<Key>,
    /// Made ready during the pass: they run in the next one, after the readiness poll.
    later: Vec<Key>,
    timers: Timers,
    clock: Clock,
    ended: TaskMap<Ended>,
    /// Who waits for a live task to end, in the order they asked (only tasks someone joins
    /// are in it).
    joiners: TaskMap<Vec<Waiter>>,
    /// Which ended tasks' results were taken (or dropped).
    taken: Bits,
    /// Which ended tasks returned `()` that nobody took yet (kept as a bit, not a value).
    units: Bits,
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
    local_woken: RefCell<Vec<Key>>,
    reactor: RefCell<Reactor>,
    remote: Arc<Remote>,
    reporter: RefCell<Reporter>,
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
                step_clock: StepClock::new(Some(DEFAULT_SLOW)),
                deferred: Vec::new(),
                futures: 0,
            }),
            reactor: RefCell::new(reactor),
            remote,
            reporter: RefCell::new(Box::new(|report| std::eprintln!("[kernel] {report}"))),
        }
    }

    pub(crate) fn set_virtual_clock(&self) {
        self.state.borrow_mut().clock = Clock::Virtual(Duration::ZERO);
    }

    pub(crate) fn set_slow_threshold(&self, threshold: Option<Duration>) {
        self.state.borrow_mut().step_clock.set_threshold(threshold);
    }

    pub(crate) fn set_reporter(&self, reporter: Reporter) {
        *self.reporter.borrow_mut() = reporter;
    }

    /// The wakes since last asked: this thread's, then other threads'.
    fn take_woken(&self, into: &mut Vec<Key>) {
        into.append(&mut self.local_woken.borrow_mut());
        self.remote.take(into);
    }

    /// Queues the futures woken since last asked, this thread's first, then other threads'
    /// (see `take_woken`), for this pass (`now`) or the next. `spare` is an empty buffer for
    /// the other threads' wakes; this thread's are drained in place, without a copy.
    #[inline(always)]
    fn queue_woken(&self, spare: &mut Vec<Key>, now: bool) {
        let mut local = self.local_woken.borrow_mut();
        if !local.is_empty() {
            let mut state = self.state.borrow_mut();
            for key in local.drain(..) {
                state.wake_future(key, now);
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

    fn flush_deferred(&self) {
        loop {
            let deferred = core::mem::take(&mut self.state.borrow_mut().deferred);
            if deferred.is_empty() {
                return;
            }
            for item in deferred {
                match item {
                    Deferred::Drop(id, name, body) => {
                        if let Err(payload) =
                            panic::catch_unwind(AssertUnwindSafe(move || drop(body)))
                        {
                            self.report(&Report::Panicked {
                                id,
                                name,
                                message: panic_message(&*payload),
                            });
                        }
                    }
                    Deferred::DropValue(value) => {
                        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(value)));
                    }
                    Deferred::Wake(waker) => waker.wake(),
                    Deferred::Report(report) => self.report(&report),
                }
            }
        }
    }

    fn report(&self, report: &Report) {
        if let Ok(mut reporter) = self.reporter.try_borrow_mut() {
            reporter(report);
        }
    }

    /// Starts `task`; it runs in the next pass.
    pub(crate) fn spawn(&self, task: Task) -> TaskId {
        self.state.borrow_mut().insert(task, &self.remote)
    }

    /// One pass (see the fairness contract in the module docs). `main` is `block_on`'s future,
    /// which counts as a waiter that only a waker can wake; when it is woken the readiness poll
    /// does not wait.
    pub(crate) fn run_once(&self, main: bool) -> Pass {
        let timeout = {
            let mut state = self.state.borrow_mut();
            if state.tasks.is_empty() && !main {
                return Pass::Empty;
            }
            let reactor_idle = self.reactor.borrow().is_idle();
            let wakers = main || state.futures > 0;
            match state.timeout(reactor_idle, wakers, self.has_wakes()) {
                Some(timeout) => timeout,
                None => {
                    let mut tasks: Vec<TaskId> = state.tasks.iter().map(|(id, _)| id).collect();
                    tasks.sort();
                    drop(state);
                    self.report(&Report::Stalled { tasks });
                    return Pass::Stalled;
                }
            }
        };
        let mut io_woken = VecDeque::new();
        if timeout != Some(Duration::ZERO) || !self.reactor.borrow().is_idle() {
            self.remote.sleeping.store(true, Ordering::SeqCst);
            // A wake that came before `sleeping` was set is seen here; one that comes after
            // interrupts the poller.
            let timeout = if self.has_wakes() {
                Some(Duration::ZERO)
            } else {
                timeout
            };
            let polled = self.reactor.borrow_mut().poll(timeout, &mut io_woken);
            self.remote.sleeping.store(false, Ordering::SeqCst);
            polled.expect("waiting on the poller failed");
        }
        // Futures woken by that readiness (or from another thread) run in this pass, after the
        // generator tasks the poll woke.
        let mut woken = Vec::new();
        self.take_woken(&mut woken);
        let due = {
            let mut state = self.state.borrow_mut();
            let timed_out = timeout.is_some_and(|t| t > Duration::ZERO)
                && io_woken.is_empty()
                && woken.is_empty();
            if timed_out && state.clock.is_virtual() {
                // Nothing became ready in the time the next timer gave: it is due now.
                if let Some(deadline) = state.timers.next_deadline() {
                    state.clock.advance_to(deadline);
                }
            }
            for id in io_woken {
                state.wake(id, Some(Reply::Io(Ok(()))), true);
            }
            for key in woken.drain(..) {
                state.wake_future(key, true);
            }
            state.clock.now()
        };
        // Then the timers that are due, earliest first, generator tasks and futures alike.
        loop {
            let mut state = self.state.borrow_mut();
            let Some(waiter) = state.timers.pop_due(due) else {
                break;
            };
            match waiter {
                Waiter::Task(id, seq) => {
                    let due = state
                        .tasks
                        .by_id(id)
                        .is_some_and(|e| matches!(e.wait, Wait::Sleep { seq: s, .. } if s == seq));
                    if due {
                        state.wake(id, Some(Reply::Done), true);
                    }
                }
                Waiter::Waker(w) => {
                    drop(state);
                    w.wake();
                    self.queue_woken(&mut woken, true);
                }
            }
        }
        // Then what became ready during the last pass, in the order it did.
        {
            let mut state = self.state.borrow_mut();
            let state = &mut *state;
            if state.ready.is_empty() {
                core::mem::swap(&mut state.ready, &mut state.later);
            } else {
                state.ready.append(&mut state.later);
            }
        }
        self.run_queue();
        Pass::Ran
    }

    /// Undoes what `id` waits on, before it is killed or cancelled; it then waits for nothing.
    fn release(&self, state: &mut State, id: TaskId) {
        let Some(entry) = state.tasks.by_id_mut(id) else {
            return;
        };
        let wait = core::mem::replace(&mut entry.wait, Wait::Nothing);
        match wait {
            // Its timer entry goes stale and is skipped.
            Wait::Nothing | Wait::Sleep { .. } => {}
            Wait::Waker => state.futures -= 1,
            #[cfg(unix)]
            Wait::Io(fd, dir) => self.reactor.borrow_mut().forget(fd, dir, id),
            Wait::Join(target) => {
                if let Some(joiners) = state.joiners.get_mut(&target) {
                    joiners.retain(|j| !matches!(j, Waiter::Task(w, _) if *w == id));
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
        let entry = state.tasks.get_mut(key).expect("present");
        entry.body.set_input(Input::Cancel);
        entry.wait = Wait::Nothing;
        if !entry.queued {
            entry.queued = true;
            state.later.push(key);
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

    /// How `id` ended, if it did; else registers `waker` to hear of it.
    pub(crate) fn poll_join(
        &self,
        id: TaskId,
        waker: &Waker,
        fits: fn(&dyn Any) -> bool,
    ) -> Poll<Result<Box<dyn Any>, JoinError>> {
        let mut state = self.state.borrow_mut();
        if state.tasks.contains(id) {
            let joiners = state.joiners.entry(id).or_default();
            if !joiners
                .iter()
                .any(|j| matches!(j, Waiter::Waker(w) if w.will_wake(waker)))
            {
                joiners.push(Waiter::Waker(waker.clone()));
            }
            return Poll::Pending;
        }
        Poll::Ready(state.take_ended_as(id, fits))
    }

    /// The return value of a task that ended, if `fits` says it is of the type asked for (else
    /// `WrongType`, and the value stays for a caller who asks for the right one).
    pub(crate) fn take_return(
        &self,
        id: TaskId,
        fits: fn(&dyn Any) -> bool,
    ) -> Result<Box<dyn Any>, JoinError> {
        let mut state = self.state.borrow_mut();
        if state.tasks.contains(id) {
            return Err(JoinError::NoSuchTask);
        }
        state.take_ended_as(id, fits)
    }

    /// Wakes `waker` when the clock reaches `deadline`; returns the timer's number, for
    /// `cancel_timer`.
    pub(crate) fn add_timer(&self, deadline: Duration, waker: Waker) -> u64 {
        self.state
            .borrow_mut()
            .timers
            .insert(deadline, Waiter::Waker(waker))
    }

    /// Forgets a timer set with `add_timer` (its future was dropped), so it neither wakes
    /// anyone nor moves a virtual clock.
    pub(crate) fn cancel_timer(&self, seq: u64, deadline: Duration) {
        self.state.borrow_mut().timers.cancel(seq, deadline);
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
        self.reactor
            .borrow_mut()
            .wait(fd, dir, Waiter::Waker(waker))
    }

    /// Forgets `fd` before it is closed (see `Reactor::close`).
    #[cfg(unix)]
    pub(crate) fn close_fd(&self, fd: RawFd) {
        let tasks = self.reactor.borrow_mut().close(fd);
        let mut state = self.state.borrow_mut();
        for id in tasks {
            state.wake(id, Some(Reply::Io(Ok(()))), false);
        }
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
                    task_state(e.wait)
                },
                steps: e.steps,
                busy: Duration::from_nanos(e.busy),
            })
            .collect();
        tasks.sort_by_key(|t| t.id);
        Snapshot {
            now: state.clock.now(),
            tasks,
        }
    }

    /// Reports the tasks still pending and drops them (their destructors run).
    pub(crate) fn shut_down(&self) {
        for task in self.snapshot().tasks {
            self.report(&Report::Pending {
                id: task.id,
                name: task.name,
                state: task.state,
            });
        }
        let (entries, joiners) = {
            let mut state = self.state.borrow_mut();
            (state.tasks.drain(), core::mem::take(&mut state.joiners))
        };
        drop(entries);
        drop(joiners);
        self.state.borrow_mut().futures = 0;
    }
}

fn task_state(wait: Wait) -> TaskState {
    match wait {
        Wait::Nothing => TaskState::Ready,
        Wait::Sleep { until, .. } => TaskState::Sleeping { until },
        #[cfg(unix)]
        Wait::Io(fd, Direction::Read) => TaskState::Reading(fd),
        #[cfg(unix)]
        Wait::Io(fd, Direction::Write) => TaskState::Writing(fd),
        Wait::Join(id) => TaskState::Joining(id),
        Wait::Waker => TaskState::Awaiting,
    }
}

impl State {
    /// Adds `task` to the table and the next pass's queue.
    fn insert(&mut self, task: Task, remote: &Arc<Remote>) -> TaskId {
        let id = self.next_id;
        self.next_id = id.next();
        let (name, body, detached) = task.into_parts();
        let key = self.tasks.insert_with(id, |key| Entry {
            name,
            body: match body {
                TaskBody::Generator(body) => Body::Generator {
                    body: Some(body),
                    input: Some(Input::Reply(Reply::Start)),
                },
                TaskBody::Future(body) => Body::Future {
                    body: Some(body),
                    waker: Some(TaskWaker::waker(key, remote)),
                },
            },
            wait: Wait::Nothing,
            queued: true,
            killed: false,
            detached,
            steps: 0,
            busy: 0,
        });
        self.later.push(key);
        id
    }

    /// How long the readiness poll may wait: zero when something is ready, until the next
    /// timer, forever (`Some(None)`) when only I/O or a waker can wake a task, and `None` when
    /// nothing can.
    fn timeout(
        &mut self,
        reactor_idle: bool,
        wakers: bool,
        woken: bool,
    ) -> Option<Option<Duration>> {
        if !self.later.is_empty() || woken {
            return Some(Some(Duration::ZERO));
        }
        let tasks = &self.tasks;
        let live = |id, seq| {
            tasks
                .by_id(id)
                .is_some_and(|e| matches!(e.wait, Wait::Sleep { seq: s, .. } if s == seq))
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
    fn wake(&mut self, id: TaskId, reply: Option<Reply>, now: bool) {
        let Some(key) = self.tasks.key(id) else {
            return;
        };
        self.make_ready(key, now, |entry| {
            if let Some(reply) = reply {
                entry.body.set_input(Input::Reply(reply));
            }
            true
        });
    }

    /// A future task's waker fired: it runs in this pass (`now`) or the next, unless it is
    /// waiting on something else (a generator task's call).
    #[inline]
    fn wake_future(&mut self, key: Key, now: bool) {
        self.make_ready(key, now, |entry| {
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
                self.ready.push(key);
            } else {
                self.later.push(key);
            }
        }
    }

    /// Answers at once: the task runs again in the next pass.
    fn answer(&mut self, key: Key, reply: Reply) {
        let entry = self
            .tasks
            .get_mut(key)
            .expect("the task asking is in the table");
        entry.body.set_input(Input::Reply(reply));
        entry.wait = Wait::Nothing;
        entry.queued = true;
        self.later.push(key);
    }

    fn park(&mut self, key: Key, wait: Wait) {
        self.tasks
            .get_mut(key)
            .expect("the task asking is in the table")
            .wait = wait;
    }

    /// Ends a task (its body dropped once the borrow ends) and hands how it ended to its
    /// joiners, in the order they joined: the first takes the return value.
    fn end(&mut self, key: Key, ended: Ended) {
        let id = key.id;
        let Some(entry) = self.tasks.remove(key) else {
            return;
        };
        if matches!(entry.wait, Wait::Waker) {
            self.futures -= 1;
        }
        if let Some(body) = entry.body.into_task_body() {
            self.deferred
                .push(Deferred::Drop(id, entry.name.clone(), body));
        }
        // Kept until a joiner takes it; a `()` is kept as a bit.
        match ended {
            Ended::Returned(value) if entry.detached => {
                self.deferred.push(Deferred::DropValue(value));
                self.mark_taken(id);
            }
            Ended::Returned(value) if value.is::<()>() => self.units.set(id, true),
            _ if entry.detached => self.mark_taken(id),
            ended => {
                self.ended.insert(id, ended);
            }
        }
        for joiner in self.joiners.remove(&id).unwrap_or_default() {
            match joiner {
                Waiter::Task(j, _) => {
                    let result = self.take_ended(id);
                    self.wake(j, Some(Reply::Joined(result)), false);
                }
                // A future joiner takes the result when it is polled again.
                Waiter::Waker(w) => self.deferred.push(Deferred::Wake(w)),
            }
        }
    }

    /// The result of `id` will not be wanted: drop it when the task ends (or now).
    fn detach(&mut self, id: TaskId) {
        if let Some(entry) = self.tasks.by_id_mut(id) {
            entry.detached = true;
        } else if let Some(ended) = self.ended.remove(&id) {
            if let Ended::Returned(value) = ended {
                self.deferred.push(Deferred::DropValue(value));
            }
            self.mark_taken(id);
        } else if self.units.get(id) {
            self.units.set(id, false);
            self.mark_taken(id);
        }
    }

    fn mark_taken(&mut self, id: TaskId) {
        self.taken.set(id, true);
    }

    /// Kills `id` (its waits already released). A task killed while it runs ends when its step
    /// does.
    fn kill(&mut self, id: TaskId) -> bool {
        let Some(key) = self.tasks.key(id) else {
            return false;
        };
        let entry = self.tasks.get_mut(key).expect("present");
        if entry.body.is_running() {
            entry.killed = true;
        } else {
            self.end(key, Ended::Killed);
        }
        true
    }

    /// `take_ended`, but a return value that `fits` rejects is left where it is.
    fn take_ended_as(
        &mut self,
        id: TaskId,
        fits: fn(&dyn Any) -> bool,
    ) -> Result<Box<dyn Any>, JoinError> {
        let wrong = match self.ended.get(&id) {
            Some(Ended::Returned(value)) => !fits(&**value),
            None if self.units.get(id) => !fits(&()),
            _ => false,
        };
        if wrong {
            return Err(JoinError::WrongType);
        }
        self.take_ended(id)
    }

    /// How a task that is gone ended, for a joiner: the first to ask takes the return value.
    fn take_ended(&mut self, id: TaskId) -> Result<Box<dyn Any>, JoinError> {
        match self.ended.get(&id) {
            Some(Ended::Returned(_)) => {
                let Some(Ended::Returned(value)) = self.ended.remove(&id) else {
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

/// A bit per task id: which results were taken, which tasks returned `()`. A million tasks
/// come and gone cost 125 KiB each, whatever their results.
#[derive(Default)]
struct Bits(Vec<u64>);

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
