//! Time for the kernel: a real or a virtual clock, and how long each step ran. (The timers
//! are in `timers`.)

use alloc::sync::Arc;
use core::task::Waker;
use core::time::Duration;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::sched::TaskId;

/// The kernel's clock: time since the kernel was made.
pub(crate) enum Clock {
    /// Wall-clock time, since this instant.
    Real(Instant),
    /// Time that stands still while tasks run and jumps to the next deadline when every task
    /// is asleep: sleeping tasks take no real time, and every run is the same.
    Virtual {
        now: Duration,
        /// `now`, for the deadlines set on this clock that another loop reads (see
        /// [`Timeline`]); written when the clock moves.
        shared: Arc<VirtualReading>,
    },
}

/// A virtual clock's reading, shared with the deadlines set on it.
#[derive(Default)]
pub(crate) struct VirtualReading(Mutex<Duration>);

impl VirtualReading {
    fn get(&self) -> Duration {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, now: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }
}

/// The clock a deadline is a reading of, so that a deadline carried into another loop (an
/// `rt::Sleep` polled in the next `block_on`) stays the instant it was, not the same number on
/// a clock that started later.
///
/// Real clocks share real time: a deadline moves from one to another exactly (it ends at the
/// same instant). A virtual clock's instants are its own, and its time passes only while its
/// loop runs: on another clock, a deadline keeps the time its own clock has left (none once
/// that clock has passed it), counted from when the other clock takes it over; the same goes
/// for a real deadline taken over by a virtual clock.
#[derive(Clone)]
pub(crate) enum Timeline {
    /// A real clock, started at this instant.
    Real(Instant),
    /// A virtual clock.
    Virtual(Arc<VirtualReading>),
}

impl Timeline {
    /// How long until its clock reads `at`.
    fn time_left(&self, at: Duration) -> Duration {
        match self {
            Timeline::Real(start) => start.checked_add(at).map_or(Duration::MAX, |then| {
                then.saturating_duration_since(Instant::now())
            }),
            Timeline::Virtual(reading) => at.saturating_sub(reading.get()),
        }
    }
}

/// A deadline, as an `rt::Sleep` holds it.
pub(crate) enum Deadline {
    /// Made outside of a loop: this long after its first poll.
    After(Duration),
    /// Made outside of a loop: when the clock of the loop that first polls it reads this.
    Unbound(Duration),
    /// When this clock reads this.
    On(Duration, Timeline),
}

impl Deadline {
    /// The reading of its clock it ends at, once it has one.
    pub(crate) fn reading(&self) -> Option<Duration> {
        match self {
            Deadline::After(_) => None,
            Deadline::Unbound(at) | Deadline::On(at, _) => Some(*at),
        }
    }
}

impl Clock {
    pub(crate) fn now(&self) -> Duration {
        match self {
            Clock::Real(start) => start.elapsed(),
            Clock::Virtual { now, .. } => *now,
        }
    }

    pub(crate) fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }

    /// A virtual clock at zero.
    pub(crate) fn new_virtual() -> Clock {
        Clock::Virtual {
            now: Duration::ZERO,
            shared: Arc::default(),
        }
    }

    /// Moves a virtual clock forward to `to`; a real one moves by itself.
    pub(crate) fn advance_to(&mut self, to: Duration) {
        if let Clock::Virtual { now, shared } = self {
            if to > *now {
                *now = to;
                shared.set(to);
            }
        }
    }

    /// This clock, for deadlines set on it.
    pub(crate) fn timeline(&self) -> Timeline {
        match self {
            Clock::Real(start) => Timeline::Real(*start),
            Clock::Virtual { shared, .. } => Timeline::Virtual(shared.clone()),
        }
    }

    /// Whether `timeline` is this clock. (Two real clocks started at the same instant read
    /// the same, so they count as one.)
    fn is(&self, timeline: &Timeline) -> bool {
        match (self, timeline) {
            (Clock::Real(start), Timeline::Real(other)) => start == other,
            (Clock::Virtual { shared, .. }, Timeline::Virtual(other)) => Arc::ptr_eq(shared, other),
            _ => false,
        }
    }

    /// Reads the clock, and makes `deadline` a reading of it if it is not one yet (see
    /// [`Timeline`] for one of another clock). Returns now, the deadline, and whether the
    /// deadline was just put on this clock.
    #[inline]
    pub(crate) fn bind(&self, deadline: &mut Deadline) -> (Duration, Duration, bool) {
        let now = self.now();
        if let Deadline::On(at, timeline) = deadline {
            if self.is(timeline) {
                return (now, *at, false);
            }
        }
        let at = match (&*deadline, self) {
            (Deadline::After(after), _) => now.saturating_add(*after),
            (Deadline::Unbound(at), _) => *at,
            // Real time is shared: the same instant, read on this clock.
            (Deadline::On(at, Timeline::Real(then)), Clock::Real(start)) => {
                then.checked_add(*at).map_or(Duration::MAX, |instant| {
                    instant.saturating_duration_since(*start)
                })
            }
            (Deadline::On(at, from), _) => now.saturating_add(from.time_left(*at)),
        };
        *deadline = Deadline::On(at, self.timeline());
        (now, at, true)
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

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_deadline_moves_between_real_clocks_as_the_same_instant() {
        let start = Instant::now();
        let first = Clock::Real(start);
        let later = Clock::Real(start + ms(30));
        let mut deadline = Deadline::On(ms(100), first.timeline());
        assert_eq!(first.bind(&mut deadline).1, ms(100));
        let (_, at, moved) = later.bind(&mut deadline);
        assert_eq!((at, moved), (ms(70), true));
        assert!(!later.bind(&mut deadline).2, "it is on `later` now");
        // Back on the first clock: the same instant again.
        assert_eq!(first.bind(&mut deadline).1, ms(100));
        // A clock that started after the instant: due at once.
        let past = Clock::Real(start + ms(200));
        assert_eq!(past.bind(&mut deadline).1, Duration::ZERO);
        // A deadline too far to be an instant stays too far.
        let mut never = Deadline::On(Duration::MAX, first.timeline());
        assert_eq!(later.bind(&mut never).1, Duration::MAX);
    }

    #[test]
    fn a_deadline_carried_off_a_virtual_clock_keeps_the_time_that_clock_has_left() {
        let mut first = Clock::new_virtual();
        first.advance_to(ms(30));
        let mut deadline = Deadline::On(ms(100), first.timeline());
        let mut second = Clock::new_virtual();
        second.advance_to(ms(5));
        assert_eq!(second.bind(&mut deadline).1, ms(75));
        // Read when taken over: the first clock going on since changes nothing.
        first.advance_to(ms(90));
        assert_eq!(second.bind(&mut deadline).1, ms(75));
        let mut other = Deadline::On(ms(100), first.timeline());
        assert_eq!(second.bind(&mut other).1, ms(15));
        first.advance_to(ms(150));
        let mut passed = Deadline::On(ms(100), first.timeline());
        assert_eq!(second.bind(&mut passed).1, ms(5), "due at once");
        // Onto a real clock, counted from now on it.
        let real = Clock::Real(Instant::now());
        let mut left = Deadline::On(ms(160), first.timeline());
        let (now, at, _) = real.bind(&mut left);
        assert_eq!(at, now + ms(10));
        // Unbound deadlines take the clock's reading; `After` counts from now.
        let mut unbound = Deadline::Unbound(ms(50));
        assert_eq!(second.bind(&mut unbound), (ms(5), ms(50), true));
        let mut after = Deadline::After(ms(50));
        assert_eq!(second.bind(&mut after), (ms(5), ms(55), true));
        assert_eq!(after.reading(), Some(ms(55)));
    }
}
