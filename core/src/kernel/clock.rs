//! Time for the kernel: a real or a virtual clock, and how long each step ran. (The timers
//! are in `timers`.)

use core::task::Waker;
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

/// Charges each step its running time (for the slow-task warning and the snapshot's `busy`):
/// one reading per step, taken when it ends (the next one starts then); and holds the
/// slow-task threshold, which decides how it reads.
///
/// A precise reading (`Instant::now`) waits for the processor to finish what came before it:
/// measured in the W5 switch benchmark it cost 23 ns of a 59 ns switch. So on Linux the clock
/// is the kernel's coarse monotonic one (a read of memory the kernel keeps current, in ticks
/// of a few milliseconds) whenever the slow-task threshold is at least
/// [`StepClock::COARSE_FACTOR`] ticks: the warning is then off by at most one tick in that
/// many, and a task's `busy`, summed over steps that start and end at unrelated moments of a
/// tick, is right on average. A finer threshold (or no coarse clock) reads precisely.
pub(crate) struct StepClock {
    start: Instant,
    /// The coarse clock's tick, while readings use it.
    coarse: Option<Duration>,
    /// How long a step may run before it is reported, in nanoseconds (`u64::MAX`: never).
    limit: u64,
}

impl StepClock {
    /// The threshold, in ticks of the coarse clock, from which the coarse clock is used.
    pub(crate) const COARSE_FACTOR: u32 = 25;

    pub(crate) fn new(threshold: Option<Duration>) -> StepClock {
        let mut clock = StepClock {
            start: Instant::now(),
            coarse: None,
            limit: u64::MAX,
        };
        clock.set_threshold(threshold);
        clock
    }

    /// Sets the slow-task threshold, and picks the reading that suits it.
    pub(crate) fn set_threshold(&mut self, threshold: Option<Duration>) {
        self.limit = threshold.map_or(u64::MAX, nanos);
        self.coarse = coarse::tick()
            .filter(|tick| threshold.is_none_or(|t| t >= tick.saturating_mul(Self::COARSE_FACTOR)));
    }

    /// Whether a step that ran for `ran` nanoseconds is to be reported.
    #[inline]
    pub(crate) fn is_slow(&self, ran: u64) -> bool {
        ran > self.limit
    }

    /// Ends a step that started at the reading in `clock`: puts the reading taken now in it,
    /// and returns the nanoseconds between the two.
    #[inline(always)]
    pub(crate) fn charge(&self, clock: &mut u64) -> u64 {
        let started = core::mem::replace(clock, self.read());
        clock.saturating_sub(started)
    }

    /// Monotonic time in nanoseconds; only differences between two readings mean anything.
    /// (Integers, not `Duration`s: a step's arithmetic on them is a subtraction and a compare.)
    #[inline]
    pub(crate) fn read(&self) -> u64 {
        match self.coarse {
            Some(_) => coarse::now(),
            None => nanos(self.start.elapsed()),
        }
    }
}

/// `d` in nanoseconds, saturating (at 584 years).
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

// Miri cannot read the coarse clock (a system call it does not emulate): it runs the precise one.
#[cfg(all(target_os = "linux", not(miri)))]
mod coarse {
    use core::time::Duration;
    use rustix::time::{clock_getres, clock_gettime, ClockId};

    fn duration(t: rustix::time::Timespec) -> Duration {
        let secs = u64::try_from(t.tv_sec).unwrap_or(0);
        let nanos = u32::try_from(t.tv_nsec).unwrap_or(0);
        Duration::new(secs, nanos)
    }

    /// The coarse clock's resolution, if it has a usable one.
    pub(super) fn tick() -> Option<Duration> {
        let tick = duration(clock_getres(ClockId::MonotonicCoarse));
        (tick > Duration::ZERO && tick <= Duration::from_millis(20)).then_some(tick)
    }

    /// In nanoseconds.
    #[inline]
    pub(super) fn now() -> u64 {
        let t = clock_gettime(ClockId::MonotonicCoarse);
        // Time since boot: never negative, and in nanoseconds it fits a `u64` for 584 years.
        (t.tv_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(t.tv_nsec as u64)
    }
}

#[cfg(not(all(target_os = "linux", not(miri))))]
mod coarse {
    use core::time::Duration;

    pub(super) fn tick() -> Option<Duration> {
        None
    }

    pub(super) fn now() -> u64 {
        unreachable!("no coarse clock is used on this system")
    }
}

/// Who waits for a timer, a descriptor or a task's end: a generator task, or a future's waker.
pub(crate) enum Waiter {
    /// A generator task.
    Task(TaskId),
    /// A future.
    Waker(Waker),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_clock_reads_coarsely_only_for_a_threshold_of_many_ticks() {
        let mut clock = StepClock::new(Some(Duration::from_millis(100)));
        match coarse::tick() {
            Some(tick) if tick * StepClock::COARSE_FACTOR <= Duration::from_millis(100) => {
                assert_eq!(clock.coarse, Some(tick));
            }
            _ => assert_eq!(clock.coarse, None),
        }
        assert!(clock.is_slow(nanos(Duration::from_millis(101))));
        assert!(!clock.is_slow(nanos(Duration::from_millis(100))));
        clock.set_threshold(Some(Duration::from_micros(100)));
        assert_eq!(clock.coarse, None);
        let before = clock.read();
        std::thread::sleep(Duration::from_millis(30));
        let ran = Duration::from_nanos(clock.read() - before);
        assert!(ran >= Duration::from_millis(30), "{ran:?}");
        clock.set_threshold(Some(Duration::from_secs(10)));
        assert_eq!(clock.coarse, coarse::tick());
        clock.set_threshold(None);
        assert!(!clock.is_slow(nanos(Duration::from_secs(3600))));
        assert!(!clock.is_slow(u64::MAX));
        assert_eq!(clock.coarse, coarse::tick());
        if let Some(tick) = clock.coarse {
            let before = clock.read();
            std::thread::sleep(Duration::from_millis(30));
            let ran = Duration::from_nanos(clock.read() - before);
            assert!(ran + tick >= Duration::from_millis(30), "{ran:?}");
        }
    }
}
