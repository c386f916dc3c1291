//! Filling a timeline from what the schedulers report: a round-robin's steps, a kernel's
//! passes.

#[cfg(feature = "kernel")]
use super::Position;
use super::{Activity, Span, Timeline};
#[cfg(feature = "kernel")]
use crate::kernel::{Snapshot, TaskState};
use crate::sched::Step;

impl Timeline<u64> {
    /// Adds one turn of a [`RoundRobin`](crate::sched::RoundRobin): the task that ran gets
    /// [`Ran`](Activity::Ran) (or [`Ended`](Activity::Ended), if it returned) in the next
    /// column, and every other task on the timeline that has not ended gets
    /// [`Ready`](Activity::Ready): it was in the queue.
    ///
    /// A task's row is added at its first turn; add the rows of tasks spawned earlier with
    /// [`task_row`](Timeline::task_row) first, for them to show as ready before their first
    /// turn.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    /// use resumable::timeline::Timeline;
    ///
    /// let mut sched = RoundRobin::new();
    /// let id = sched.spawn("one", coroutine! { yield 1; });
    /// let mut timeline = Timeline::new("one task");
    /// timeline.record_step(&sched.step().unwrap());
    /// timeline.record_step(&sched.step().unwrap());
    /// assert_eq!(timeline.end(), 2);
    /// assert!(timeline.to_string().contains("#1 one  █✓"));
    /// ```
    pub fn record_step<Y>(&mut self, step: &Step<Y>) {
        let turn = self.end();
        let ran = self.task_row(step.id(), step.name());
        for (i, line) in self.rows.iter_mut().enumerate() {
            let activity = if i == ran.0 {
                if step.is_finished() {
                    Activity::Ended
                } else {
                    Activity::Ran
                }
            } else if line.task.is_some() && !line.ended() {
                Activity::Ready
            } else {
                continue;
            };
            line.spans.push(Span {
                activity,
                start: turn,
                end: turn + 1,
            });
        }
    }
}

#[cfg(feature = "kernel")]
impl Timeline<u64> {
    /// Adds one pass of a [`Kernel`](crate::kernel::Kernel), between the
    /// [`snapshot`](crate::kernel::Kernel::snapshot) taken `before` it and the one taken
    /// `after` it: a column in which every task that was resumed [`Ran`](Activity::Ran), every
    /// task that is gone [`Ended`](Activity::Ended), and every other one shows what it waited
    /// for ([`Ready`](Activity::Ready), [`Slept`](Activity::Slept) or
    /// [`Waited`](Activity::Waited)). The axis is marked with the kernel's clock wherever it
    /// moved, and named `pass`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    /// use resumable::timeline::Timeline;
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn nap(ms: u64) -> Result<(), Cancelled> {
    ///     yield_from!(sys::sleep(Duration::from_millis(ms)))
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// kernel.spawn("long", nap(20));
    /// kernel.spawn("short", nap(10));
    /// let mut timeline = Timeline::new("Two naps");
    /// let mut before = kernel.snapshot();
    /// while kernel.run_once() {
    ///     let after = kernel.snapshot();
    ///     timeline.record_pass(&before, &after);
    ///     before = after;
    /// }
    /// // A pass each: both start (at 0 ms), short ends (10 ms), long ends (20 ms). As text,
    /// // a pass takes as many columns as the clock's readings need.
    /// assert_eq!(timeline.to_string(), "\
    /// Two naps
    /// pass      0 ms  10 ms 20 ms
    /// #1 long   ██████──────█████✓
    /// #2 short  ███████████✓
    /// █ ran  ✓ ended  ─ slept
    /// ");
    /// ```
    pub fn record_pass(&mut self, before: &Snapshot, after: &Snapshot) {
        let pass = self.end();
        self.unit.get_or_insert_with(|| "pass".into());
        let clock = after.now.describe();
        if self.marks.last().is_none_or(|(_, last)| *last != clock) {
            self.marks.push((pass, clock));
        }
        let column = |timeline: &mut Self, row: usize, activity| {
            timeline.rows[row].spans.push(Span {
                activity,
                start: pass,
                end: pass + 1,
            });
        };
        for gone in before
            .tasks
            .iter()
            .filter(|b| after.tasks.iter().all(|a| a.id != b.id))
        {
            let row = self.task_row(gone.id, &gone.name).0;
            column(self, row, Activity::Ended);
        }
        for task in &after.tasks {
            let row = self.task_row(task.id, &task.name).0;
            let earlier = before.tasks.iter().find(|b| b.id == task.id);
            let activity = if task.steps > earlier.map_or(0, |b| b.steps) {
                Activity::Ran
            } else {
                match task.state {
                    TaskState::Ready | TaskState::Running => Activity::Ready,
                    TaskState::Sleeping { .. } => Activity::Slept,
                    _ => Activity::Waited,
                }
            };
            column(self, row, activity);
        }
    }
}
