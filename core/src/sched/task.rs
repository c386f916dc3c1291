//! What a scheduler hands out: [`TaskId`]s for the tasks it owns, and an [`Event`] or a [`Step`]
//! for every turn it gives them.

use alloc::rc::Rc;
use core::fmt;
use core::num::NonZeroU64;

/// The identity of a task in a scheduler: a number handed out in spawn order, from 1.
///
/// It is `Copy`, ordered (an earlier spawn has a smaller id) and hashable, so it can key a map of
/// per-task data. It prints as `#n`.
///
/// ```
/// use resumable::prelude::*;
/// use resumable::sched::RoundRobin;
///
/// let mut sched = RoundRobin::new();
/// let a = sched.spawn("a", coroutine! { yield 1; });
/// let b = sched.spawn("b", coroutine! { yield 2; });
/// assert!(a < b);
/// assert_eq!((a.get(), b.get()), (1, 2));
/// assert_eq!(format!("{a} then {b}"), "#1 then #2");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// The id of the first task a scheduler spawns.
    pub(crate) const FIRST: TaskId = TaskId(NonZeroU64::MIN);

    /// The id spawned after this one.
    pub(crate) fn next(self) -> TaskId {
        TaskId(self.0.checked_add(1).expect("task ids exhausted"))
    }

    /// The number behind the id: 1 for the first task spawned, 2 for the second, and so on.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// assert_eq!(sched.spawn("only", coroutine! { yield 'x'; }).get(), 1);
    /// ```
    #[must_use]
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({})", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A task yielded `value`: the `(TaskId, name, value)` the scheduler hands out for each turn
/// that ended in a yield.
///
/// `name` is the name given to [`spawn`](super::RoundRobin::spawn), shared (an `Rc<str>`), so
/// every event can carry it without copying the string.
///
/// ```
/// use resumable::prelude::*;
/// use resumable::sched::{Event, RoundRobin};
///
/// let mut sched = RoundRobin::new();
/// let id = sched.spawn("answer", coroutine! { yield 42; });
///
/// let Event { id: who, name, value } = sched.next().unwrap();
/// assert_eq!((who, &*name, value), (id, "answer", 42));
/// assert_eq!(format!("{name}: {value}"), "answer: 42");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event<Y> {
    /// The task that yielded.
    pub id: TaskId,
    /// Its name, as given to `spawn`.
    pub name: Rc<str>,
    /// The value it yielded.
    pub value: Y,
}

/// One turn of a scheduler, as [`RoundRobin::step`](super::RoundRobin::step) reports it: the
/// task it resumed either yielded or finished.
///
/// The iterator of events skips the turns that end a task; `step` shows them, which is what a
/// trace or a timeline needs.
///
/// ```
/// use resumable::prelude::*;
/// use resumable::sched::{RoundRobin, Step};
///
/// let mut sched = RoundRobin::new();
/// let id = sched.spawn("once", coroutine! { yield "hi"; });
///
/// let first = sched.step().unwrap();
/// assert!(matches!(&first, Step::Yielded(event) if event.value == "hi"));
/// let last = sched.step().unwrap();
/// assert!(last.is_finished());
/// assert_eq!((last.id(), last.name()), (id, "once"));
/// assert_eq!(sched.step(), None); // nothing left to run
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step<Y> {
    /// The task yielded; it went back to the end of the queue.
    Yielded(Event<Y>),
    /// The task returned; it left the queue and its return value is kept by the scheduler.
    Finished {
        /// The task that finished.
        id: TaskId,
        /// Its name, as given to `spawn`.
        name: Rc<str>,
    },
}

impl<Y> Step<Y> {
    /// The task that ran in this turn.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// let id = sched.spawn("t", coroutine! { yield (); });
    /// assert_eq!(sched.step().unwrap().id(), id);
    /// ```
    #[must_use]
    pub fn id(&self) -> TaskId {
        match self {
            Step::Yielded(event) => event.id,
            Step::Finished { id, .. } => *id,
        }
    }

    /// The name of the task that ran in this turn.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// sched.spawn("t", coroutine! { yield (); });
    /// assert_eq!(sched.step().unwrap().name(), "t");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Step::Yielded(event) => &event.name,
            Step::Finished { name, .. } => name,
        }
    }

    /// Whether the task returned in this turn (rather than yielded).
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// sched.spawn("t", coroutine! { yield (); });
    /// assert!(!sched.step().unwrap().is_finished());
    /// assert!(sched.step().unwrap().is_finished());
    /// ```
    #[must_use]
    pub fn is_finished(&self) -> bool {
        matches!(self, Step::Finished { .. })
    }
}
