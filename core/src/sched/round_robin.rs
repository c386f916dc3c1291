//! [`RoundRobin`]: a FIFO queue of generators, each resumed one step per turn.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::fmt;
use core::pin::Pin;

use super::{Event, Step, TaskId};
use crate::generator::state::HeadedBox;
use crate::{Generator, GeneratorState};

/// What the scheduler keeps of a task besides its generator, in the same allocation.
struct Header {
    id: TaskId,
    name: Rc<str>,
}

/// What a turn did (see `RoundRobin::turn`).
enum Turn<T> {
    /// The task yielded; what the turn's `on_yield` made of it.
    Yielded(T),
    /// The task returned.
    Finished(TaskId, Rc<str>),
}

/// A task in the ready queue: its header and its generator, whose type is erased, in one
/// allocation (a generator of this crate's own box is moved into it: see `spawn`).
type Task<'a, Y, Ret> = HeadedBox<'a, Header, (), Y, Ret>;

/// Runs generators as cooperative tasks: a FIFO queue, one step per task per turn.
///
/// Each [`spawn`](Self::spawn)ed generator goes to the end of the queue. A turn takes the task
/// at the front and resumes it once: if it yields, the scheduler hands out an [`Event`]
/// `(id, name, value)` and puts the task back at the end; if it returns, the task leaves the queue
/// and its return value is kept until [`take_returns`](Self::take_returns) or
/// [`take_return`](Self::take_return) collects it.
///
/// `Y` is what every task yields, `Ret` what every task returns (`()` unless said otherwise; for
/// generators that return something else, see [`spawn_map`](Self::spawn_map)). `'a` bounds what
/// the generators may borrow.
///
/// Three ways to drive it:
/// * as an [`Iterator`] of [`Event`]s (the turns that end a task produce no event);
/// * [`step`](Self::step), one turn at a time, which also reports the turns that end a task;
/// * [`run`](Self::run), which drives every task to completion, calling a closure per event.
///
/// The fairness contract is in the [module documentation](super#the-fairness-contract).
///
/// ```
/// use resumable::prelude::*;
/// use resumable::sched::RoundRobin;
///
/// #[generator(yield = u32)]
/// fn countdown(from: u32) -> &'static str {
///     for n in (1..=from).rev() {
///         yield_!(n);
///     }
///     "liftoff"
/// }
///
/// let mut sched = RoundRobin::new();
/// let short = sched.spawn("short", countdown(2));
/// let long = sched.spawn("long", countdown(3));
///
/// let lines: Vec<String> = sched.by_ref().map(|e| format!("{}: {}", e.name, e.value)).collect();
/// assert_eq!(lines, ["short: 2", "long: 3", "short: 1", "long: 2", "long: 1"]);
///
/// assert!(sched.is_empty());
/// assert_eq!(sched.take_return(short), Some("liftoff"));
/// assert_eq!(sched.take_return(long), Some("liftoff"));
/// ```
pub struct RoundRobin<'a, Y, Ret = ()> {
    /// The tasks still running, the next to resume first.
    ready: VecDeque<Task<'a, Y, Ret>>,
    /// The return values not yet collected, in the order the tasks finished.
    returns: Vec<(TaskId, Rc<str>, Ret)>,
    /// The id the next spawn gets.
    next_id: TaskId,
    /// How many turns (resumes) have been given so far.
    turns: u64,
}

impl<'a, Y, Ret> RoundRobin<'a, Y, Ret> {
    /// An empty scheduler.
    ///
    /// ```
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched: RoundRobin<'_, u32> = RoundRobin::new();
    /// assert!(sched.is_empty());
    /// assert_eq!(sched.next(), None);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        RoundRobin {
            ready: VecDeque::new(),
            returns: Vec::new(),
            next_id: TaskId::FIRST,
            turns: 0,
        }
    }

    /// Adds a generator as a task named `name` at the end of the queue, and returns its id.
    ///
    /// Nothing runs until the scheduler is driven. Spawning is allowed at any time, also between
    /// two turns of a running scheduler: the new task runs after every task already waiting.
    /// Any [`Generator`] with resume type `()` will do, `Unpin` or not; it is boxed once, here
    /// (a generator of this crate that has not started is moved out of its own box into this
    /// one, so a turn reaches it through one pointer).
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// sched.spawn("a", coroutine! { yield 'a'; yield 'a'; });
    /// sched.spawn(String::from("b"), coroutine! { yield 'b'; yield 'b'; });
    ///
    /// let mut order = String::new();
    /// while let Some(event) = sched.next() {
    ///     order.push(event.value);
    ///     if order.len() == 1 {
    ///         sched.spawn("c", coroutine! { yield 'c'; }); // joins the end of the queue
    ///     }
    /// }
    /// assert_eq!(order, "abacb");
    /// ```
    pub fn spawn<G>(&mut self, name: impl Into<Rc<str>>, generator: G) -> TaskId
    where
        G: Generator<(), Yield = Y, Return = Ret> + 'a,
    {
        let id = self.next_id;
        self.next_id = id.next();
        let name = name.into();
        self.ready
            .push_back(generator.__boxed_with(Header { id, name }));
        id
    }

    /// Like [`spawn`](Self::spawn), for a generator with another return type: `map` turns its
    /// return value into the scheduler's `Ret` when it finishes.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched: RoundRobin<'_, i32, String> = RoundRobin::new();
    /// let word = sched.spawn("word", coroutine! { yield 1; String::from("done") });
    /// let number = sched.spawn_map("number", coroutine! { yield 2; 42 }, |n: i32| n.to_string());
    /// let unit = sched.spawn_map("unit", coroutine! { yield 3; }, |()| String::new());
    ///
    /// assert_eq!(sched.by_ref().map(|e| e.value).collect::<Vec<_>>(), [1, 2, 3]);
    /// assert_eq!(sched.take_return(word).as_deref(), Some("done"));
    /// assert_eq!(sched.take_return(number).as_deref(), Some("42"));
    /// assert_eq!(sched.take_return(unit).as_deref(), Some(""));
    /// ```
    pub fn spawn_map<G, F>(&mut self, name: impl Into<Rc<str>>, generator: G, map: F) -> TaskId
    where
        G: Generator<(), Yield = Y> + 'a,
        F: FnOnce(G::Return) -> Ret + 'a,
    {
        let generator = MapReturn {
            generator: Box::pin(generator),
            map: Some(map),
        };
        self.spawn(name, generator)
    }

    /// Gives one turn: resumes the task at the front of the queue once and reports what it did,
    /// or returns `None` when no task is left.
    ///
    /// A task that yields goes back to the end of the queue ([`Step::Yielded`]); a task that
    /// returns leaves it, and its return value is kept ([`Step::Finished`]).
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::{RoundRobin, Step};
    ///
    /// let mut sched = RoundRobin::new();
    /// sched.spawn("a", coroutine! { yield 1; });
    /// sched.spawn("b", coroutine! { yield 2; yield 3; });
    ///
    /// let mut trace = Vec::new();
    /// while let Some(step) = sched.step() {
    ///     trace.push(match step {
    ///         Step::Yielded(event) => format!("{}: {}", event.name, event.value),
    ///         Step::Finished { name, .. } => format!("{name} finished"),
    ///     });
    /// }
    /// assert_eq!(trace, ["a: 1", "b: 2", "a finished", "b: 3", "b finished"]);
    /// ```
    ///
    /// # Panics
    /// A panic in the task propagates out of this call. The task has left the queue by then and
    /// is dropped while the panic unwinds; the scheduler and its other tasks remain usable.
    pub fn step(&mut self) -> Option<Step<Y>> {
        let step = match self.turn(|id, name, value| Event {
            id,
            name: Rc::clone(name),
            value,
        })? {
            Turn::Yielded(event) => Step::Yielded(event),
            Turn::Finished(id, name) => Step::Finished { id, name },
        };
        Some(step)
    }

    /// One turn: resumes the task at the front of the queue. If it yields, `on_yield` gets the
    /// value with the task's id and name, then the task goes back to the end of the queue; if
    /// it returns, the task is dropped and its return value kept. `None` if no task is ready.
    #[inline]
    fn turn<T>(&mut self, on_yield: impl FnOnce(TaskId, &Rc<str>, Y) -> T) -> Option<Turn<T>> {
        let mut task = self.ready.pop_front()?;
        self.turns += 1;
        let (state, header) = task.as_mut().resume_headed(());
        match state {
            GeneratorState::Yielded(value) => {
                let out = on_yield(header.id, &header.name, value);
                self.ready.push_back(task);
                Some(Turn::Yielded(out))
            }
            GeneratorState::Complete(ret) => {
                let (id, name) = (header.id, Rc::clone(&header.name));
                drop(task);
                self.returns.push((id, Rc::clone(&name), ret));
                Some(Turn::Finished(id, name))
            }
        }
    }

    /// Drives every task to completion, calling `on_yield(id, name, value)` for each yield.
    ///
    /// The return values stay in the scheduler: collect them afterwards with
    /// [`take_returns`](Self::take_returns). (To spawn tasks from inside the loop, drive the
    /// scheduler with `while let Some(event) = sched.next()` instead.)
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// sched.spawn("ping", coroutine! { yield 1; yield 2; "ping done" });
    /// sched.spawn("pong", coroutine! { yield 10; "pong done" });
    ///
    /// let mut lines = Vec::new();
    /// sched.run(|id, name, value| lines.push(format!("{id} {name}: {value}")));
    /// assert_eq!(lines, ["#1 ping: 1", "#2 pong: 10", "#1 ping: 2"]);
    ///
    /// let returns: Vec<_> = sched.take_returns().into_iter().map(|(_, _, ret)| ret).collect();
    /// assert_eq!(returns, ["pong done", "ping done"]); // in the order they finished
    /// ```
    ///
    /// # Panics
    /// As [`step`](Self::step): a panic in a task propagates, and that task is dropped; so is
    /// the task whose yield `on_yield` panicked on.
    pub fn run(&mut self, mut on_yield: impl FnMut(TaskId, &str, Y)) {
        // `step` without its `Event`: the name is lent from the task, not shared.
        while self
            .turn(|id, name, value| on_yield(id, name, value))
            .is_some()
        {}
    }

    /// Takes the return values of the tasks that have finished so far, in the order they
    /// finished, as `(id, name, return value)`. Each is handed out once.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// let long = sched.spawn("long", coroutine! { yield (); yield (); 2 });
    /// let short = sched.spawn("short", coroutine! { yield (); 1 });
    /// sched.run(|_, _, ()| {});
    ///
    /// let returns: Vec<_> = sched.take_returns().into_iter()
    ///     .map(|(id, name, ret)| (id, name.to_string(), ret))
    ///     .collect();
    /// assert_eq!(returns, [(short, "short".into(), 1), (long, "long".into(), 2)]);
    /// assert!(sched.take_returns().is_empty()); // already taken
    /// ```
    #[must_use = "the return values are handed out once; dropping them loses them"]
    pub fn take_returns(&mut self) -> Vec<(TaskId, Rc<str>, Ret)> {
        core::mem::take(&mut self.returns)
    }

    /// Takes the return value of task `id`, if it has finished and its value was not taken yet.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// let id = sched.spawn("t", coroutine! { yield 1; "result" });
    /// assert_eq!(sched.take_return(id), None); // still running
    /// sched.run(|_, _, _| {});
    /// assert_eq!(sched.take_return(id), Some("result"));
    /// assert_eq!(sched.take_return(id), None); // handed out once
    /// ```
    pub fn take_return(&mut self, id: TaskId) -> Option<Ret> {
        let index = self.returns.iter().position(|(task, _, _)| *task == id)?;
        Some(self.returns.remove(index).2)
    }

    /// How many tasks are still running (waiting in the queue).
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// sched.spawn("one step", coroutine! { yield 1; });
    /// sched.spawn("two steps", coroutine! { yield 1; yield 2; });
    /// assert_eq!(sched.len(), 2);
    /// sched.by_ref().take(3).count(); // the third turn ends "one step"
    /// assert_eq!(sched.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.ready.len()
    }

    /// Whether no task is left to run.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// assert!(sched.is_empty());
    /// sched.spawn("t", coroutine! { yield 1; });
    /// assert!(!sched.is_empty());
    /// sched.run(|_, _, _| {});
    /// assert!(sched.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ready.is_empty()
    }

    /// How many turns have been given so far: one per resume, including the turns that ended a
    /// task.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    ///
    /// let mut sched = RoundRobin::new();
    /// sched.spawn("t", coroutine! { yield 1; yield 2; });
    /// sched.run(|_, _, _| {});
    /// assert_eq!(sched.turns(), 3); // two yields and the return
    /// ```
    #[must_use]
    pub fn turns(&self) -> u64 {
        self.turns
    }
}

impl<Y, Ret> Default for RoundRobin<'_, Y, Ret> {
    fn default() -> Self {
        RoundRobin::new()
    }
}

/// The events `(id, name, value)` of the tasks' yields, in the order they happen.
///
/// `next` gives turns until one ends in a yield; turns that end a task produce no event (their
/// return values are kept). It returns `None` when no task is left, and produces events again if
/// more tasks are spawned afterwards.
impl<Y, Ret> Iterator for RoundRobin<'_, Y, Ret> {
    type Item = Event<Y>;

    fn next(&mut self) -> Option<Event<Y>> {
        loop {
            if let Step::Yielded(event) = self.step()? {
                return Some(event);
            }
        }
    }
}

/// Shows the queue in order (`#id "name"`), the tasks whose return values are not taken yet,
/// and the number of turns given.
impl<Y, Ret> fmt::Debug for RoundRobin<'_, Y, Ret> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Tasks<I>(I);
        impl<'n, I: Clone + Iterator<Item = (TaskId, &'n str)>> fmt::Debug for Tasks<I> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for (id, name) in self.0.clone() {
                    list.entry(&format_args!("{id} {name:?}"));
                }
                list.finish()
            }
        }

        f.debug_struct("RoundRobin")
            .field(
                "ready",
                &Tasks(
                    self.ready
                        .iter()
                        .map(|t| (t.header().id, &*t.header().name)),
                ),
            )
            .field(
                "finished",
                &Tasks(self.returns.iter().map(|(id, name, _)| (*id, &**name))),
            )
            .field("turns", &self.turns)
            .finish()
    }
}

/// A generator whose return value is passed through a function: what
/// [`RoundRobin::spawn_map`] spawns.
struct MapReturn<G: ?Sized, F> {
    map: Option<F>,
    generator: Pin<Box<G>>,
}

// `MapReturn` never pins `map` (it is only taken out and called), and `generator` is pinned by its
// own box, so moving a `MapReturn` is always fine.
impl<G: ?Sized, F> Unpin for MapReturn<G, F> {}

impl<G, F, T> Generator<()> for MapReturn<G, F>
where
    G: Generator<()> + ?Sized,
    F: FnOnce(G::Return) -> T,
{
    type Yield = G::Yield;
    type Return = T;

    fn resume(self: Pin<&mut Self>, arg: ()) -> GeneratorState<G::Yield, T> {
        let this = self.get_mut();
        match this.generator.as_mut().resume(arg) {
            GeneratorState::Yielded(value) => GeneratorState::Yielded(value),
            GeneratorState::Complete(ret) => {
                let map = this
                    .map
                    .take()
                    .expect("`MapReturn` resumed after it completed");
                GeneratorState::Complete(map(ret))
            }
        }
    }
}
