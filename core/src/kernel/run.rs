//! [`Kernel`]: the run queue, the system calls, and the loop that ties them to the clock and to
//! the operating system's readiness.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::any::Any;
use core::fmt;
use core::time::Duration;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use super::clock::{Clock, Timers};
use super::reactor::{Direction, Reactor};
use super::task::{Input, Outcome, TaskBody};
use super::{JoinError, Reply, Report, Snapshot, Syscall, Task, TaskInfo, TaskInput, TaskState};
use crate::channel::Body;
use crate::sched::TaskId;
use crate::Gen;

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
}

struct Entry {
    name: Rc<str>,
    body: Box<dyn TaskBody>,
    /// What the next resume passes in.
    input: Option<Input>,
    wait: Wait,
    /// In `ready` or `later` (so it is never queued twice).
    queued: bool,
    joiners: Vec<TaskId>,
    steps: u64,
    busy: Duration,
}

/// How a task ended, kept for whoever joins it later.
enum Ended {
    /// Its return value, until a joiner takes it.
    Returned(Option<Box<dyn Any>>),
    Killed,
    Panicked(String),
}

impl Ended {
    fn for_joiner(&mut self) -> Result<Box<dyn Any>, JoinError> {
        match self {
            Ended::Returned(value) => value.take().ok_or(JoinError::Taken),
            Ended::Killed => Err(JoinError::Killed),
            Ended::Panicked(msg) => Err(JoinError::Panicked(msg.clone())),
        }
    }
}

/// An operating system of generators, after David Beazley's: tasks are generators that yield
/// [`Syscall`]s and are resumed with the [`Reply`].
///
/// See the [module documentation](super) for the tour and the fairness contract.
pub struct Kernel {
    tasks: HashMap<TaskId, Entry>,
    next_id: TaskId,
    /// The pass being run.
    ready: VecDeque<TaskId>,
    /// Made ready during the pass: they run in the next one, after the readiness poll.
    later: VecDeque<TaskId>,
    woken: VecDeque<TaskId>,
    timers: Timers,
    reactor: Reactor,
    clock: Clock,
    ended: HashMap<TaskId, Ended>,
    slow: Option<Duration>,
    reporter: Box<dyn FnMut(&Report)>,
}

impl Default for Kernel {
    fn default() -> Self {
        Kernel::new()
    }
}

impl Kernel {
    /// A kernel on the real clock, warning about tasks that hold the thread for more than
    /// 100 ms, reporting to stderr.
    ///
    /// # Panics
    /// If the operating system refuses to make a poller (out of file descriptors, say).
    pub fn new() -> Kernel {
        Kernel {
            tasks: HashMap::new(),
            next_id: TaskId::FIRST,
            ready: VecDeque::new(),
            later: VecDeque::new(),
            woken: VecDeque::new(),
            timers: Timers::default(),
            reactor: Reactor::new().expect("the kernel needs a poller from the operating system"),
            clock: Clock::Real(Instant::now()),
            ended: HashMap::new(),
            slow: Some(Duration::from_millis(100)),
            reporter: Box::new(|report| std::eprintln!("[kernel] {report}")),
        }
    }

    /// Runs on a virtual clock, starting at zero: time stands still while tasks run and jumps to the next
    /// deadline when every task is asleep, so sleeps cost no real time and every run of the
    /// same tasks is the same.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn nap() -> Result<Duration, Cancelled> {
    ///     yield_from!(sys::sleep(Duration::from_secs(3600)))?;
    ///     yield_from!(sys::now())
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn("nap", nap());
    /// kernel.run(); // at once
    /// let woke_at: Result<Duration, Cancelled> = kernel.take_return(id).unwrap();
    /// assert_eq!(woke_at, Ok(Duration::from_secs(3600)));
    /// ```
    #[must_use]
    pub fn with_virtual_clock(mut self) -> Kernel {
        self.clock = Clock::Virtual(Duration::ZERO);
        self
    }

    /// Sets how long a task may hold the thread between two yields before it is reported
    /// ([`Report::Slow`]); `None` turns the warning off.
    #[must_use]
    pub fn with_slow_task_threshold(mut self, threshold: Option<Duration>) -> Kernel {
        self.slow = threshold;
        self
    }

    /// Sends every [`Report`] to `reporter` instead of stderr.
    pub fn on_report(&mut self, reporter: impl FnMut(&Report) + 'static) {
        self.reporter = Box::new(reporter);
    }

    /// Starts a task running `generator`; it runs in the next pass.
    pub fn spawn<I, B>(&mut self, name: impl Into<Rc<str>>, generator: Gen<Syscall, I, B>) -> TaskId
    where
        I: TaskInput,
        B: Body<Syscall, I> + 'static,
        B::Output: 'static,
    {
        self.spawn_task(Task::new(name, generator))
    }

    /// Starts `task`; it runs in the next pass.
    pub fn spawn_task(&mut self, task: Task) -> TaskId {
        let id = self.next_id;
        self.next_id = id.next();
        let (name, body) = task.into_parts();
        let entry = Entry {
            name,
            body,
            input: Some(Input::Reply(Reply::Start)),
            wait: Wait::Nothing,
            queued: true,
            joiners: Vec::new(),
            steps: 0,
            busy: Duration::ZERO,
        };
        self.tasks.insert(id, entry);
        self.later.push_back(id);
        id
    }

    /// Runs until no task is left (or none can ever run again: [`Report::Stalled`]).
    ///
    /// # Panics
    /// If waiting on the operating system fails.
    pub fn run(&mut self) {
        while self.run_once() {}
    }

    /// Runs one pass: waits for readiness (without blocking when a task is ready), wakes the
    /// tasks whose timers are due, then resumes every ready task once, in order. Returns false
    /// when there was nothing left to run.
    ///
    /// # Panics
    /// If waiting on the operating system fails.
    pub fn run_once(&mut self) -> bool {
        if self.tasks.is_empty() {
            return false;
        }
        let Some(timeout) = self.timeout() else {
            let mut tasks: Vec<TaskId> = self.tasks.keys().copied().collect();
            tasks.sort();
            self.report(&Report::Stalled { tasks });
            return false;
        };
        if timeout != Some(Duration::ZERO) || !self.reactor.is_idle() {
            let woke = self
                .reactor
                .poll(timeout, &mut self.woken)
                .expect("waiting on the poller failed");
            if !woke && self.clock.is_virtual() {
                // Nothing became ready in the time the next timer gave: it is due now.
                if let Some(deadline) = self.timers.next_deadline() {
                    self.clock.advance_to(deadline);
                }
            }
            while let Some(id) = self.woken.pop_front() {
                self.wake(id, Reply::Io(Ok(())), true);
            }
        }
        let now = self.clock.now();
        while let Some((seq, id)) = self.timers.pop_due(now) {
            if self
                .tasks
                .get(&id)
                .is_some_and(|e| matches!(e.wait, Wait::Sleep { seq: s, .. } if s == seq))
            {
                self.wake(id, Reply::Done, true);
            }
        }
        self.ready.append(&mut self.later);
        while let Some(id) = self.ready.pop_front() {
            self.step(id);
        }
        true
    }

    /// How long the readiness poll may wait: zero when a task is ready, until the next timer,
    /// forever (`Some(None)`) when only I/O can wake a task, and `None` when nothing can.
    fn timeout(&mut self) -> Option<Option<Duration>> {
        if !self.later.is_empty() {
            return Some(Some(Duration::ZERO));
        }
        let tasks = &self.tasks;
        let live = |seq, id| {
            tasks
                .get(&id)
                .is_some_and(|e| matches!(e.wait, Wait::Sleep { seq: s, .. } if s == seq))
        };
        while self.timers.drop_stale(live) {}
        match self.timers.next_deadline() {
            Some(deadline) if self.clock.is_virtual() && self.reactor.is_idle() => {
                self.clock.advance_to(deadline);
                Some(Some(Duration::ZERO))
            }
            Some(deadline) => Some(Some(deadline.saturating_sub(self.clock.now()))),
            None if !self.reactor.is_idle() => Some(None),
            None => None,
        }
    }

    /// Makes `id` ready with `reply`: in this pass's queue (woken by readiness or a timer at
    /// the start of the pass) or the next one's (woken by another task during the pass).
    fn wake(&mut self, id: TaskId, reply: Reply, now: bool) {
        let Some(entry) = self.tasks.get_mut(&id) else {
            return;
        };
        entry.input = Some(Input::Reply(reply));
        entry.wait = Wait::Nothing;
        if !entry.queued {
            entry.queued = true;
            if now {
                self.ready.push_back(id)
            } else {
                self.later.push_back(id)
            }
        }
    }

    fn report(&mut self, report: &Report) {
        (self.reporter)(report);
    }

    /// Resumes one task and carries out what it asks.
    fn step(&mut self, id: TaskId) {
        let Some(mut entry) = self.tasks.remove(&id) else {
            return;
        };
        entry.queued = false;
        let input = entry.input.take().unwrap_or(Input::Reply(Reply::Done));
        let from = entry.body.suspended_at();
        let started = Instant::now();
        let result = panic::catch_unwind(AssertUnwindSafe(|| entry.body.resume(input)));
        let ran = started.elapsed();
        entry.steps += 1;
        entry.busy += ran;
        if self.slow.is_some_and(|limit| ran > limit) {
            let to = match result {
                Ok(Outcome::Call(_)) => entry.body.suspended_at(),
                _ => None,
            };
            self.report(&Report::Slow {
                id,
                name: entry.name.clone(),
                ran,
                from,
                to,
            });
        }
        match result {
            Ok(Outcome::Call(call)) => self.syscall(id, entry, call),
            Ok(Outcome::Returned(value)) => self.end(id, entry, Ended::Returned(Some(value))),
            Err(payload) => {
                let message = panic_message(&*payload);
                self.report(&Report::Panicked {
                    id,
                    name: entry.name.clone(),
                    message: message.clone(),
                });
                self.end(id, entry, Ended::Panicked(message));
            }
        }
    }

    /// Answers at once: the task runs again in the next pass.
    fn answer(&mut self, id: TaskId, mut entry: Entry, reply: Reply) {
        entry.input = Some(Input::Reply(reply));
        entry.wait = Wait::Nothing;
        entry.queued = true;
        self.later.push_back(id);
        self.tasks.insert(id, entry);
    }

    fn park(&mut self, id: TaskId, mut entry: Entry, wait: Wait) {
        entry.wait = wait;
        self.tasks.insert(id, entry);
    }

    fn syscall(&mut self, id: TaskId, mut entry: Entry, call: Syscall) {
        match call {
            Syscall::GetId => self.answer(id, entry, Reply::Id(id)),
            Syscall::Now => {
                let now = self.clock.now();
                self.answer(id, entry, Reply::Now(now));
            }
            Syscall::Spawn(task) => {
                let new = self.spawn_task(task);
                self.answer(id, entry, Reply::Spawned(new));
            }
            Syscall::YieldNow => self.answer(id, entry, Reply::Done),
            Syscall::Sleep(duration) => {
                let until = self.clock.now() + duration;
                let seq = self.timers.insert(until, id);
                self.park(id, entry, Wait::Sleep { until, seq });
            }
            Syscall::Join(target) if target == id => {
                self.answer(id, entry, Reply::Joined(Err(JoinError::JoinSelf)));
            }
            Syscall::Join(target) => {
                if let Some(t) = self.tasks.get_mut(&target) {
                    t.joiners.push(id);
                    self.park(id, entry, Wait::Join(target));
                } else {
                    let result = self.take_ended(target);
                    self.answer(id, entry, Reply::Joined(result));
                }
            }
            Syscall::Kill(target) if target == id => self.end(id, entry, Ended::Killed),
            Syscall::Kill(target) => {
                let alive = self.kill(target);
                self.answer(id, entry, Reply::Killed(alive));
            }
            Syscall::Cancel(target) if target == id => {
                if entry.body.cancellable() {
                    entry.input = Some(Input::Cancel);
                    entry.queued = true;
                    self.later.push_back(id);
                    self.tasks.insert(id, entry);
                } else {
                    self.end(id, entry, Ended::Killed);
                }
            }
            Syscall::Cancel(target) => {
                let alive = self.cancel(target);
                self.answer(id, entry, Reply::Cancelled(alive));
            }
            #[cfg(unix)]
            Syscall::Readable(fd) => self.wait_io(id, entry, fd, Direction::Read),
            #[cfg(unix)]
            Syscall::Writable(fd) => self.wait_io(id, entry, fd, Direction::Write),
        }
    }

    #[cfg(unix)]
    fn wait_io(&mut self, id: TaskId, entry: Entry, fd: RawFd, dir: Direction) {
        match self.reactor.wait(fd, dir, id) {
            Ok(()) => self.park(id, entry, Wait::Io(fd, dir)),
            Err(e) => self.answer(id, entry, Reply::Io(Err(e))),
        }
    }

    /// Undoes what `id` waits on, before it is killed or cancelled.
    fn release(&mut self, id: TaskId, wait: Wait) {
        match wait {
            // Its timer entry goes stale and is skipped.
            Wait::Nothing | Wait::Sleep { .. } => {}
            #[cfg(unix)]
            Wait::Io(fd, dir) => self.reactor.forget(fd, dir, id),
            Wait::Join(target) => {
                if let Some(t) = self.tasks.get_mut(&target) {
                    t.joiners.retain(|j| *j != id);
                }
            }
        }
    }

    /// Drops a finished task's body (its destructors run) and hands how it ended to its
    /// joiners, in the order they joined: the first takes the return value.
    fn end(&mut self, id: TaskId, entry: Entry, mut ended: Ended) {
        let Entry {
            name,
            body,
            joiners,
            ..
        } = entry;
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(body))) {
            let message = panic_message(&*payload);
            self.report(&Report::Panicked { id, name, message });
        }
        for joiner in joiners {
            let result = ended.for_joiner();
            self.wake(joiner, Reply::Joined(result), false);
        }
        // A `()` return value is not kept: joining a task that is gone and ended that way
        // answers `Ok(())` all the same (see `take_ended`).
        let unit = matches!(&ended, Ended::Returned(Some(v)) if v.is::<()>());
        if !unit {
            self.ended.insert(id, ended);
        }
    }

    fn take_ended(&mut self, id: TaskId) -> Result<Box<dyn Any>, JoinError> {
        match self.ended.get_mut(&id) {
            Some(ended) => ended.for_joiner(),
            None if id < self.next_id => Ok(Box::new(())),
            None => Err(JoinError::NoSuchTask),
        }
    }

    /// Closes a task now: its destructors run, its joiners get [`JoinError::Killed`]. Returns
    /// whether it was alive.
    pub fn kill(&mut self, id: TaskId) -> bool {
        let Some(entry) = self.tasks.remove(&id) else {
            return false;
        };
        self.release(id, entry.wait);
        self.end(id, entry, Ended::Killed);
        true
    }

    /// Throws [`Cancelled`](super::Cancelled) into a task at the yield it waits at (in the next
    /// pass), so its cleanup code runs; a task that cannot be thrown into is killed. Returns
    /// whether it was alive.
    pub fn cancel(&mut self, id: TaskId) -> bool {
        let Some(mut entry) = self.tasks.remove(&id) else {
            return false;
        };
        if !entry.body.cancellable() {
            self.release(id, entry.wait);
            self.end(id, entry, Ended::Killed);
            return true;
        }
        self.release(id, entry.wait);
        entry.input = Some(Input::Cancel);
        entry.wait = Wait::Nothing;
        if !entry.queued {
            entry.queued = true;
            self.later.push_back(id);
        }
        self.tasks.insert(id, entry);
        true
    }

    /// The return value of a finished task, once: `Err` if it was killed, panicked, is still
    /// running (`JoinError::NoSuchTask` then, as for an unknown id), was taken already, or is not
    /// a `T`.
    pub fn take_return<T: 'static>(&mut self, id: TaskId) -> Result<T, JoinError> {
        if self.tasks.contains_key(&id) {
            return Err(JoinError::NoSuchTask);
        }
        let value = self.take_ended(id)?;
        value
            .downcast::<T>()
            .map(|v| *v)
            .map_err(|_| JoinError::WrongType)
    }

    /// The kernel's clock: time since it was made (real or virtual).
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// How many tasks are alive.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task is alive.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Every live task: id, name, what it waits on, steps taken and time spent running.
    /// Its `Display` is a table.
    pub fn snapshot(&self) -> Snapshot {
        let mut tasks: Vec<TaskInfo> = self
            .tasks
            .iter()
            .map(|(id, e)| TaskInfo {
                id: *id,
                name: e.name.clone(),
                state: state(e.wait),
                steps: e.steps,
                busy: e.busy,
            })
            .collect();
        tasks.sort_by_key(|t| t.id);
        Snapshot {
            now: self.clock.now(),
            tasks,
        }
    }
}

fn state(wait: Wait) -> TaskState {
    match wait {
        Wait::Nothing => TaskState::Ready,
        Wait::Sleep { until, .. } => TaskState::Sleeping { until },
        #[cfg(unix)]
        Wait::Io(fd, Direction::Read) => TaskState::Reading(fd),
        #[cfg(unix)]
        Wait::Io(fd, Direction::Write) => TaskState::Writing(fd),
        Wait::Join(id) => TaskState::Joining(id),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Tasks still pending are reported ([`Report::Pending`]), then dropped: their destructors run.
impl Drop for Kernel {
    fn drop(&mut self) {
        let snapshot = self.snapshot();
        for task in snapshot.tasks {
            self.report(&Report::Pending {
                id: task.id,
                name: task.name,
                state: task.state,
            });
        }
        for (_, entry) in self.tasks.drain() {
            drop(entry);
        }
    }
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernel")
            .field("tasks", &self.tasks.len())
            .field("now", &self.clock.now())
            .field("virtual_clock", &self.clock.is_virtual())
            .finish()
    }
}
