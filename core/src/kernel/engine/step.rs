//! A pass (see the fairness contract in the kernel's docs), and the step that resumes one task
//! of it: a generator task with the answer to its last call, a future task with its waker.
//!
//! The two kinds are stepped apart. A future's step is the switch `rt` makes millions of times a
//! second, so it does only what a future needs: no resume value, no source locations asked of
//! it (a future cannot say where it is suspended: rt's own futures tell the poll as they go,
//! and the step reads that only for a slow poll), and a future that woke itself during its
//! poll is queued again then and there, with its entry at hand (see [`Polling`]).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::any::{Any, TypeId};
use core::panic::Location;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;

use super::wake::{LazyWaker, Polling, TaskWaker};
use super::{
    panic_message, Body, Core, Deferred, Exit, Joiner, Leftover, Pass, Running, State, Wait, Waiter,
};
use crate::kernel::reactor::Woken;
use crate::kernel::table::{Key, Queued};
use crate::kernel::task::{FutureBody, GeneratorBody, Input, Outcome};
use crate::kernel::{JoinError, Reply, Report, Syscall};
use crate::sched::TaskId;

#[cfg(unix)]
use super::Direction;
#[cfg(unix)]
use std::os::fd::RawFd;

/// A step taken out of its task's entry: the body, and what it is resumed with.
enum Begun {
    /// With its waker, if one was made (see `LazyWaker`).
    Future(Pin<Box<dyn FutureBody>>, Option<Waker>),
    Generator(Pin<Box<dyn GeneratorBody>>, Input),
}

/// How a generator task's step ended.
enum Stop {
    /// It asks for something it must wait for.
    Call(Syscall),
    /// It was killed by what one of its calls did; it ends now.
    Killed,
    Returned(Box<dyn Any>),
    Panicked(Box<dyn Any + Send>),
}

impl Core {
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
        let mut io_woken = Woken::default();
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
            // With nothing borrowed: another executor's waker may run any code.
            for waker in io_woken.wakers.drain(..) {
                waker.wake();
            }
        }
        // Futures woken by that readiness (or from another thread) run in this pass, after the
        // generator tasks the poll woke.
        let local = core::mem::take(&mut *self.local_woken.borrow_mut());
        let mut woken = Vec::new();
        self.remote.take(&mut woken);
        let due = {
            let mut state = self.state.borrow_mut();
            let timed_out = timeout.is_some_and(|t| t > Duration::ZERO)
                && io_woken.is_empty()
                && local.is_empty()
                && woken.is_empty();
            if timed_out && state.clock.is_virtual() {
                // Nothing became ready in the time the next timer gave: it is due now.
                if let Some(deadline) = state.timers.next_deadline() {
                    state.clock.advance_to(deadline);
                }
            }
            for id in io_woken.tasks {
                state.wake(id, Some(Reply::Io(Ok(()))), true);
            }
            for queued in local {
                state.wake_queued(queued, true);
            }
            for key in woken.drain(..) {
                state.wake_future(key, true);
            }
            state.clock.now()
        };
        // Then the timers that are due, earliest first, generator tasks and futures alike.
        loop {
            let mut state = self.state.borrow_mut();
            let Some((timer, waiter)) = state.timers.pop_due(due) else {
                break;
            };
            match waiter {
                Waiter::Task(id) => {
                    let due = state
                        .tasks
                        .by_id(id)
                        .is_some_and(|e| matches!(e.wait, Wait::Sleep(t) if t == timer));
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

    /// Polls `block_on`'s future once, with `poll`, and times that poll as a step: one that
    /// holds the thread longer than the slow-task threshold is reported as the future of the
    /// `block_on` called at `called_at`; `step` counts its polls, this one included.
    pub(crate) fn poll_main<T>(
        &self,
        called_at: &'static Location<'static>,
        step: u64,
        poll: impl FnOnce() -> Poll<T>,
    ) -> Poll<T> {
        let mut clock = self.state.borrow().step_clock.read();
        Polling::begin_slice();
        let result = poll();
        let mut state = self.state.borrow_mut();
        let ran = state.step_clock.charge(&mut clock);
        if state.step_clock.is_slow(ran) {
            let ended = result.is_ready();
            let (from, to) = Polling::slice();
            state.deferred.push(Deferred::Report(Report::Slow {
                id: None,
                name: "block_on".into(),
                spawned: called_at,
                ran: Duration::from_nanos(ran),
                step,
                from,
                to: to.filter(|_| !ended),
                ended,
            }));
            drop(state);
            self.flush();
        }
        result
    }

    /// Resumes each task of the pass's queue once, first in, first out.
    pub(super) fn run_queue(&self) {
        let mut queue = core::mem::take(&mut self.state.borrow_mut().ready);
        // One reading of the clock per step: each starts when the one before it ended.
        let mut clock = self.state.borrow().step_clock.read();
        let mut woken = Vec::new();
        for &queued in &queue {
            self.step(queued, &mut clock);
            // Wakes during the step (a future waking another, a wake from another thread)
            // queue for the next pass, in order with the generator tasks' answers.
            self.queue_woken(&mut woken, false);
        }
        // The buffer serves the next pass.
        queue.clear();
        let mut state = self.state.borrow_mut();
        if state.ready.is_empty() {
            state.ready = queue;
        }
    }

    /// Resumes the task `queued` was taken from, if it is still there, and carries out what it asks; `clock`
    /// is the reading its step starts at, and becomes the one it ends at.
    fn step(&self, queued: Queued, clock: &mut u64) {
        let mut state = self.state.borrow_mut();
        let Some((key, entry)) = state.tasks.resolve_mut(queued) else {
            return;
        };
        entry.queued = false;
        let begun = match &mut entry.body {
            Body::Future { body, waker } => match body.take() {
                Some(body) => Begun::Future(body, waker.take()),
                None => return,
            },
            Body::Generator { body, input } => match body.take() {
                Some(body) => {
                    Begun::Generator(body, input.take().unwrap_or(Input::Reply(Reply::Done)))
                }
                None => return,
            },
        };
        drop(state);
        match begun {
            Begun::Future(body, waker) => self.step_future(key, body, waker, clock),
            Begun::Generator(body, input) => self.step_generator(key, body, input, clock),
        }
    }

    /// Polls a future task once.
    fn step_future(
        &self,
        key: Key,
        mut body: Pin<Box<dyn FutureBody>>,
        waker: Option<Waker>,
        clock: &mut u64,
    ) {
        self.reset_budget();
        let (result, woke_itself, waker) = match waker {
            Some(waker) => {
                let (result, woke_itself) = self.poll_future(key, &mut body, &waker);
                (result, woke_itself, Some(waker))
            }
            // Its first poll, or none so far handed its waker out: lent one that makes it.
            None => {
                let remote = &self.remote;
                let make = move || TaskWaker::waker(key, remote);
                let lazy = LazyWaker::new(&make);
                let (result, woke_itself) =
                    lazy.lend(|waker| self.poll_future(key, &mut body, waker));
                (result, woke_itself, lazy.into_made())
            }
        };
        self.running.set(None);
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        let ran = state.step_clock.charge(clock);
        if state.step_clock.is_slow(ran) {
            let ended = !matches!(result, Ok(Poll::Pending));
            let (from, to) = Polling::slice();
            state.report_slow(key, ran, from, to.filter(|_| !ended), ended);
        }
        let entry = state
            .tasks
            .get_mut(key)
            .expect("a running task stays in the table");
        entry.count_step(ran);
        if let Body::Future {
            body: home,
            waker: waker_home,
        } = &mut entry.body
        {
            *home = Some(body);
            *waker_home = waker;
        }
        let killed = entry.killed;
        match result {
            Ok(Poll::Pending) if !killed => {
                if !woke_itself {
                    entry.wait = Wait::Waker;
                    state.futures += 1;
                } else if self.local_woken.borrow().is_empty() {
                    if !entry.queued {
                        entry.queued = true;
                        state.later.push(key.queued());
                    }
                } else {
                    // Behind the tasks it woke before itself.
                    self.local_woken.borrow_mut().push(key.queued());
                }
            }
            Ok(Poll::Pending) => state.end(key, Exit::Killed),
            // Killed while it ran: it ends killed whatever it did, and what it returned (or
            // panicked with) is dropped once the state is free.
            Ok(Poll::Ready(value)) if killed => {
                let name = entry.name.clone();
                state
                    .deferred
                    .push(Deferred::Drop(key.id, name, Leftover::Value(value)));
                state.end(key, Exit::Killed);
            }
            Err(payload) if killed => {
                let name = entry.name.clone();
                state
                    .deferred
                    .push(Deferred::Drop(key.id, name, Leftover::Value(payload)));
                state.end(key, Exit::Killed);
            }
            Ok(Poll::Ready(value)) => state.end(key, Exit::Returned(value)),
            Err(payload) => state.panicked(key, payload),
        }
        let flush = !state.deferred.is_empty();
        drop(guard);
        if flush {
            self.flush_deferred();
        }
    }

    /// Polls the future task at `key` with `waker`; true with the result if it woke itself.
    #[inline(always)]
    fn poll_future(
        &self,
        key: Key,
        body: &mut Pin<Box<dyn FutureBody>>,
        waker: &Waker,
    ) -> (std::thread::Result<Poll<Box<dyn Any>>>, bool) {
        self.running.set(Some(Running {
            key,
            waker: waker.data(),
        }));
        Polling::run(waker, || {
            let mut cx = Context::from_waker(waker);
            panic::catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(&mut cx)))
        })
    }

    /// Resumes a generator task, with `input`, then with the answers to the calls it makes
    /// that need no waiting, until it makes one that does (or ends).
    fn step_generator(
        &self,
        key: Key,
        mut body: Pin<Box<dyn GeneratorBody>>,
        mut input: Input,
        clock: &mut u64,
    ) {
        let id = key.id;
        let from = body.suspended_at();
        self.running.set(Some(Running {
            key,
            waker: core::ptr::null(),
        }));
        self.reset_budget();
        let stop = loop {
            let result = panic::catch_unwind(AssertUnwindSafe(|| body.as_mut().resume(input)));
            // A call the kernel can answer at once is answered within the turn.
            match result {
                Ok(Outcome::Call(call)) => match self.answer_at_once(id, call) {
                    Ok(reply) => input = Input::Reply(reply),
                    Err(call) => break Stop::Call(call),
                },
                Ok(Outcome::Returned(value)) => break Stop::Returned(value),
                Err(payload) => break Stop::Panicked(payload),
            }
            if self.state.borrow().tasks.get(key).is_some_and(|e| e.killed) {
                break Stop::Killed;
            }
        };
        self.running.set(None);
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        let ran = state.step_clock.charge(clock);
        if state.step_clock.is_slow(ran) {
            let (to, ended) = match stop {
                Stop::Call(_) | Stop::Killed => (body.suspended_at(), false),
                Stop::Returned(_) | Stop::Panicked(_) => (None, true),
            };
            state.report_slow(key, ran, from, to, ended);
        }
        let entry = state
            .tasks
            .get_mut(key)
            .expect("a running task stays in the table");
        entry.count_step(ran);
        if let Body::Generator { body: home, .. } = &mut entry.body {
            *home = Some(body);
        }
        match stop {
            _ if entry.killed => state.killed_in_step(key, stop),
            Stop::Call(call) => self.syscall(state, key, call),
            Stop::Killed => state.end(key, Exit::Killed),
            Stop::Returned(value) => state.end(key, Exit::Returned(value)),
            Stop::Panicked(payload) => state.panicked(key, payload),
        }
        drop(guard);
        self.flush();
    }

    /// Answers a call that needs no waiting — get my id, the clock, spawn, kill or cancel
    /// another task, join one that has ended — or hands it back.
    fn answer_at_once(&self, id: TaskId, call: Syscall) -> Result<Reply, Syscall> {
        let reply = {
            let mut state = self.state.borrow_mut();
            match call {
                Syscall::GetId => Reply::Id(id),
                Syscall::Now => Reply::Now(state.clock.now()),
                Syscall::Spawn(task) => Reply::Spawned(state.insert(task)),
                Syscall::Kill(target) if target != id => {
                    self.release(&mut state, target);
                    Reply::Killed(state.kill(target))
                }
                Syscall::Cancel(target) if target != id => {
                    Reply::Cancelled(self.cancel_in(&mut state, target))
                }
                Syscall::Join(target) | Syscall::JoinAs(target, _) if target == id => {
                    Reply::Joined(Err(JoinError::JoinSelf))
                }
                Syscall::Join(target) if !state.tasks.contains(target) => {
                    Reply::Joined(state.take_ended(target))
                }
                Syscall::JoinAs(target, want) if !state.tasks.contains(target) => {
                    Reply::Joined(state.take_ended_as(target, want))
                }
                call => return Err(call),
            }
        };
        // A killed task's destructors run now, before the caller goes on.
        self.flush();
        Ok(reply)
    }

    /// Carries out a call that makes the task wait (or ends it): everything `answer_at_once`
    /// handed back.
    fn syscall(&self, state: &mut State, key: Key, call: Syscall) {
        let id = key.id;
        match call {
            Syscall::YieldNow => state.answer(key, Reply::Done),
            Syscall::Sleep(duration) => {
                let until = state.clock.now().saturating_add(duration);
                let timer = state.timers.insert(until, Waiter::Task(id));
                state.park(key, Wait::Sleep(timer));
            }
            Syscall::Join(target) => join(state, key, target, None),
            Syscall::JoinAs(target, want) => join(state, key, target, Some(want)),
            Syscall::Kill(_) => state.end(key, Exit::Killed),
            Syscall::Cancel(_) => {
                if state.tasks.get(key).expect("present").body.cancellable() {
                    state.set_input(key, Input::Cancel);
                    state.tasks.get_mut(key).expect("present").queued = true;
                    state.later.push(key.queued());
                } else {
                    state.end(key, Exit::Killed);
                }
            }
            #[cfg(unix)]
            Syscall::Readable(fd) => self.wait_io(state, key, fd, Direction::Read),
            #[cfg(unix)]
            Syscall::Writable(fd) => self.wait_io(state, key, fd, Direction::Write),
            Syscall::GetId | Syscall::Now | Syscall::Spawn(_) => unreachable!("answered at once"),
        }
    }

    /// Parks the task at `key` until `fd` is ready for `dir`; if the reactor cannot wait on
    /// `fd`, the task is answered with the error at once.
    #[cfg(unix)]
    fn wait_io(&self, state: &mut State, key: Key, fd: RawFd, dir: Direction) {
        let mut woken = Woken::default();
        let result = self
            .reactor
            .borrow_mut()
            .wait(fd, dir, Waiter::Task(key.id), &mut woken);
        match result {
            Ok(()) => state.park(key, Wait::Io(fd, dir)),
            Err(e) => state.answer(key, Reply::Io(Err(e))),
        }
        // Other waiters on a number that was closed under them.
        for id in woken.tasks {
            state.wake(id, Some(Reply::Io(Ok(()))), false);
        }
        state
            .deferred
            .extend(woken.wakers.into_iter().map(Deferred::Wake));
    }
}

/// Parks the task at `key` until `target` ends; `want` is the type of return value it asked
/// for, if it did.
fn join(state: &mut State, key: Key, target: TaskId, want: Option<TypeId>) {
    debug_assert!(
        state.tasks.contains(target),
        "a task that ended is joined at once"
    );
    state
        .joiners
        .entry(target)
        .or_default()
        .push(Joiner::Task(key.id, want));
    state.park(key, Wait::Join(target));
}

impl State {
    /// The task at `key` was killed while it ran: it ends killed whatever it did, and what it
    /// returned (or panicked with) is dropped once the state is free, as a future task's is.
    #[cold]
    fn killed_in_step(&mut self, key: Key, stop: Stop) {
        let value = match stop {
            Stop::Returned(value) => Some(value),
            Stop::Panicked(payload) => Some(payload as Box<dyn Any>),
            Stop::Call(_) | Stop::Killed => None,
        };
        if let Some(value) = value {
            let name = self.tasks.get(key).expect("present").name.clone();
            self.deferred
                .push(Deferred::Drop(key.id, name, Leftover::Value(value)));
        }
        self.end(key, Exit::Killed);
    }

    /// The step of the task at `key` that just ran for `ran` nanoseconds was slow: it began at
    /// `from` and ended at `to` (or `ended` the task).
    #[cold]
    fn report_slow(&mut self, key: Key, ran: u64, from: At, to: At, ended: bool) {
        let entry = self.tasks.get(key).expect("present");
        self.deferred.push(Deferred::Report(Report::Slow {
            id: Some(key.id),
            name: entry.name.clone(),
            spawned: entry.spawned.location(),
            ran: Duration::from_nanos(ran),
            step: entry.steps + 1,
            from,
            to,
            ended,
        }));
    }

    /// The task at `key` panicked: it is reported, and ends. The payload is dropped once the
    /// state is free (its destructor may run code).
    fn panicked(&mut self, key: Key, payload: Box<dyn Any + Send>) {
        let message = panic_message(&*payload);
        let name = self.tasks.get(key).expect("present").name.clone();
        self.deferred.push(Deferred::Report(Report::Panicked {
            id: key.id,
            name: name.clone(),
            message: message.clone(),
        }));
        self.end(key, Exit::Panicked(message));
        self.deferred
            .push(Deferred::Drop(key.id, name, Leftover::Value(payload)));
    }
}

/// Where a step began or ended, if known.
type At = Option<&'static core::panic::Location<'static>>;
