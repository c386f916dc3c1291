//! Time for the kernel: a real or a virtual clock, and a heap of timers.

use alloc::collections::BinaryHeap;
use core::cmp::Reverse;
use core::time::Duration;
use std::time::Instant;

use crate::sched::TaskId;

/// The kernel's clock: time since the kernel was made.
pub(crate) enum Clock {
    /// Wall-clock time.
    Real(Instant),
    /// Time that stands still while tasks run and jumps to the next deadline when every task
    /// is asleep: sleeping tasks take no real time, and every run is the same.
    Virtual(Duration),
}

impl Clock {
    pub(crate) fn now(&self) -> Duration {
        match self {
            Clock::Real(start) => start.elapsed(),
            Clock::Virtual(now) => *now,
        }
    }

    pub(crate) fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual(_))
    }

    /// Moves a virtual clock forward to `to`; a real one moves by itself.
    pub(crate) fn advance_to(&mut self, to: Duration) {
        if let Clock::Virtual(now) = self {
            *now = (*now).max(to);
        }
    }
}

/// Sleeping tasks by deadline; ties wake in the order they went to sleep.
///
/// Entries are never removed early: a task that stops sleeping (killed, cancelled) leaves its
/// entry, and the kernel skips entries whose `seq` no longer matches the task's.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Duration, u64, TaskId)>>,
    seq: u64,
}

impl Timers {
    /// Adds a timer; returns its sequence number.
    pub(crate) fn insert(&mut self, deadline: Duration, id: TaskId) -> u64 {
        self.seq += 1;
        self.heap.push(Reverse((deadline, self.seq, id)));
        self.seq
    }

    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.heap.peek().map(|Reverse((deadline, _, _))| *deadline)
    }

    /// The next timer due at `now`, if any.
    pub(crate) fn pop_due(&mut self, now: Duration) -> Option<(u64, TaskId)> {
        match self.heap.peek() {
            Some(Reverse((deadline, _, _))) if *deadline <= now => {
                self.heap.pop().map(|Reverse((_, seq, id))| (seq, id))
            }
            _ => None,
        }
    }

    /// Drops the entry at the top if `live` says it is stale; true if one was dropped.
    pub(crate) fn drop_stale(&mut self, live: impl Fn(u64, TaskId) -> bool) -> bool {
        match self.heap.peek() {
            Some(Reverse((_, seq, id))) if !live(*seq, *id) => {
                self.heap.pop();
                true
            }
            _ => false,
        }
    }
}
