//! Faults contained. What the loop runs on behalf of tasks outside their steps — the
//! destructors of their bodies and of values they produced, wakes of their joiners, the report
//! hook — runs with no borrow of the state held (so it may use the loop: spawn, read the
//! clock), and a panic there is caught and reported, never let out of the loop: it would lose
//! the rest of the pass, and one raised while another unwinds would abort the process.
//!
//! Here too: a loop refused inside a running one, shutting the loop down, and what is left
//! when the core goes.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;
use std::panic::{self, AssertUnwindSafe};

use super::{panic_message, Core, Deferred, Ended, Reporter, CURRENT};
use crate::kernel::task::{Input, TaskBody};
use crate::kernel::{Report, TaskState};

/// Something of a task's that the loop drops once no borrow of the state is held.
#[allow(dead_code, reason = "held only to be dropped")]
pub(crate) enum Leftover {
    /// Its generator or future: its live locals' destructors run.
    Body(TaskBody),
    /// A value it returned that nobody will take, or the payload of its panic.
    Value(Box<dyn Any>),
    /// What its next resume would have passed in, a joined value say (it was killed or
    /// cancelled first).
    Input(Input),
}

/// Drops `value`; if its destructor panics, the panic's message (its payload is dropped too,
/// see [`drop_payload`]).
pub(crate) fn drop_contained<T>(value: T) -> Option<String> {
    let payload = panic::catch_unwind(AssertUnwindSafe(move || drop(value))).err()?;
    let message = panic_message(&*payload);
    drop_payload(payload);
    Some(message)
}

/// Drops the payload of a caught panic. If its own destructor panics, the payload of *that*
/// panic is leaked rather than dropped: a payload may panic with another like itself, and
/// dropping each in turn might never end.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        core::mem::forget(again);
    }
}

/// Refuses to start a loop inside a running one (`rt::block_on`, a `Kernel`'s `run`,
/// `run_once` or `block_on`): the running loop would stop until the inner one returned, and a
/// task of it awaited inside would never finish. `what` names the call.
///
/// # Panics
/// When a loop is running on this thread (or dropping its tasks).
#[track_caller]
pub(crate) fn refuse_nested(what: &str) {
    if CURRENT.with(|current| current.borrow().is_some()) {
        panic!(
            "{what} was called inside a running loop (rt::block_on, or a Kernel's run, run_once \
             or block_on): the running loop would stop until this one returned, and any of its \
             tasks awaited here would never finish. Spawn the future on the running loop \
             instead (rt::spawn) and .await it, or its JoinHandle"
        );
    }
}

impl Core {
    /// Runs what was deferred while the state was borrowed, and whatever that defers in turn.
    pub(super) fn flush_deferred(&self) {
        loop {
            let deferred = core::mem::take(&mut self.state.borrow_mut().deferred);
            if deferred.is_empty() {
                return;
            }
            // Nothing in here unwinds: the rest of the batch is never dropped by a panic.
            for item in deferred {
                self.run_deferred(item);
            }
        }
    }

    fn run_deferred(&self, item: Deferred) {
        match item {
            Deferred::Drop(id, name, leftover) => {
                if let Some(message) = drop_contained(leftover) {
                    self.report(&Report::Panicked { id, name, message });
                }
            }
            Deferred::Wake(waker) => {
                // A joiner's waker may be another executor's, and panic: the panic hook has
                // told of it, and the loop goes on.
                if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || waker.wake())) {
                    drop_payload(payload);
                }
            }
            Deferred::Report(report) => self.report(&report),
        }
    }

    /// Hands `report` to the hook ([`Kernel::on_report`](crate::kernel::Kernel::on_report)).
    ///
    /// A report made while the hook runs (by something the hook did: a task it aborted whose
    /// destructor panicked, say) is queued, and handed to the hook when it returns. A hook that
    /// panics is caught: the report it was given is printed to stderr with the hook's panic,
    /// and the hook stays installed for the next report (a transient failure does not silence
    /// it for good).
    pub(super) fn report(&self, report: &Report) {
        let Ok(mut hook) = self.reporter.try_borrow_mut() else {
            self.reports_queued.borrow_mut().push(report.clone());
            return;
        };
        call_hook(&mut hook, report);
        loop {
            let queued = core::mem::take(&mut *self.reports_queued.borrow_mut());
            if queued.is_empty() {
                return;
            }
            for report in &queued {
                call_hook(&mut hook, report);
            }
        }
    }

    /// Reports the tasks still pending and ends them, killed: their destructors run (a panic
    /// in one is reported as its task's) and their joiners hear they were killed. A task that
    /// a destructor spawns meanwhile is pending too, and goes the same way.
    pub(crate) fn shut_down(&self) {
        loop {
            let pending: Vec<_> = self
                .snapshot()
                .tasks
                .into_iter()
                .filter(|task| task.state != TaskState::Running)
                .collect();
            if pending.is_empty() {
                return;
            }
            for task in &pending {
                self.report(&Report::Pending {
                    id: task.id,
                    name: task.name.clone(),
                    state: task.state,
                });
            }
            {
                let mut state = self.state.borrow_mut();
                for task in &pending {
                    self.release(&mut state, task.id);
                    state.kill(task.id);
                }
            }
            self.flush();
        }
    }
}

/// Calls the hook, containing its panic (see `Core::report`).
fn call_hook(hook: &mut Reporter, report: &Report) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| hook(report))) {
        std::eprintln!(
            "[kernel] {report} (the on_report hook panicked on this report: {})",
            panic_message(&*payload)
        );
        drop_payload(payload);
    }
}

/// What is left when the last handle on the core goes (the kernel was dropped, and no
/// `JoinHandle` outlives it): return values nobody took. Dropped one by one, contained and
/// reported like the rest. (The kernel's drop ended every task.)
impl Drop for Core {
    fn drop(&mut self) {
        let state = self.state.get_mut();
        for (id, ended) in core::mem::take(&mut state.ended) {
            if let Ended::Returned(value, name) = ended {
                state
                    .deferred
                    .push(Deferred::Drop(id, name, Leftover::Value(value)));
            }
        }
        self.flush();
    }
}
