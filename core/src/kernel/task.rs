//! [`Task`]: a generator the kernel owns, its types erased.

use alloc::boxed::Box;
use alloc::rc::Rc;
use core::any::Any;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::panic::Location;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::sites::Site;
use super::{Reply, Syscall, TaskInput};
use crate::generator::pinned::PinnedGen;
use crate::{Body, DynGen, DynGenerator, Gen, Generator, GeneratorState, State};

/// What the kernel resumes a generator task with.
pub(crate) enum Input {
    Reply(Reply),
    Cancel,
}

/// What a step of a generator task produced.
pub(crate) enum Outcome {
    /// It asks for something.
    Call(Syscall),
    Returned(Box<dyn Any>),
}

/// A task's generator or future, its types erased: pinned in its own allocation (a future
/// task's future lives in it, not behind a second box). The two kinds are stepped apart, so a
/// future's poll carries nothing a generator needs (a resume value, a source location).
pub(crate) enum TaskBody {
    Generator(Pin<Box<dyn GeneratorBody>>),
    Future(Pin<Box<dyn FutureBody>>),
}

/// A generator task, as the kernel drives it.
pub(crate) trait GeneratorBody {
    /// Resumes the generator with `input`.
    fn resume(self: Pin<&mut Self>, input: Input) -> Outcome;
    /// Whether [`Input::Cancel`] can be thrown in.
    fn cancellable(&self) -> bool;
    /// Where the task is suspended, for the slow-task warning.
    fn suspended_at(&self) -> Option<&'static Location<'static>>;
}

/// A future task, as the kernel drives it.
pub(crate) trait FutureBody {
    /// Polls the future; its return value, boxed, once it is ready.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Box<dyn Any>>;
}

fn outcome<T: 'static>(state: GeneratorState<Syscall, T>) -> Outcome {
    match state {
        GeneratorState::Yielded(call) => Outcome::Call(call),
        GeneratorState::Complete(value) => Outcome::Returned(Box::new(value)),
    }
}

fn input<I: TaskInput>(input: Input) -> I {
    match input {
        Input::Reply(reply) => I::reply(reply),
        Input::Cancel => {
            I::cancelled().expect("the kernel only cancels tasks that can be thrown into")
        }
    }
}

/// A generator of this crate, in the box it was made in (a [`Gen`] is a pointer to it: the
/// task does not box it a second time).
impl<I: TaskInput, B: Body<Syscall, I>> GeneratorBody for PinnedGen<Syscall, I, B>
where
    B::Output: 'static,
{
    fn resume(mut self: Pin<&mut Self>, i: Input) -> Outcome {
        // The first resume starts the body without an argument (it would be dropped, and a
        // generator declared with `resume = Reply` refuses to lose one), unless the body binds
        // it (a closure-form `coroutine!`).
        if matches!(i, Input::Reply(Reply::Start))
            && !B::BINDS_FIRST
            && self.state() == State::Created
        {
            return outcome(self.drive(None));
        }
        outcome(self.as_mut().send(input(i)))
    }
    fn cancellable(&self) -> bool {
        I::cancelled().is_some()
    }
    /// The line of the task's own body: the `yield_from!` it waits in, else its own yield.
    fn suspended_at(&self) -> Option<&'static Location<'static>> {
        self.delegating_at()
            .or_else(|| PinnedGen::suspended_at(self))
    }
}

/// Any other `Generator` (hand-written, say): no source location to report.
struct Foreign<G, I>(G, PhantomData<fn(I)>);

impl<I: TaskInput, G: Generator<I, Yield = Syscall> + Unpin> GeneratorBody for Foreign<G, I>
where
    G::Return: 'static,
{
    fn resume(self: Pin<&mut Self>, i: Input) -> Outcome {
        let generator = Pin::new(&mut self.get_mut().0);
        outcome(start_or_resume(generator, i))
    }
    fn cancellable(&self) -> bool {
        I::cancelled().is_some()
    }
    fn suspended_at(&self) -> Option<&'static Location<'static>> {
        None
    }
}

/// The first resume starts a generator that can be started without an argument (it would be
/// dropped, and a generator declared with `resume = Reply` refuses to lose one); any other
/// resume, or a generator that needs one, gets the input.
fn start_or_resume<I: TaskInput, G: Generator<I> + ?Sized>(
    mut generator: Pin<&mut G>,
    i: Input,
) -> GeneratorState<G::Yield, G::Return> {
    if let Input::Reply(Reply::Start) = i {
        if let Some(state) = generator.as_mut().try_start() {
            return state;
        }
    }
    generator.resume(input(i))
}

/// A boxed generator of this crate ([`BoxGen`](crate::BoxGen),
/// [`LocalBoxGen`](crate::LocalBoxGen)) as a task: started as a [`Gen`] is, and it says where
/// it is suspended.
impl<I, D> GeneratorBody for DynGen<D>
where
    I: TaskInput,
    D: ?Sized + DynGenerator<Yield = Syscall, Resume = I>,
    D::Return: 'static,
{
    fn resume(self: Pin<&mut Self>, i: Input) -> Outcome {
        outcome(start_or_resume(self, i))
    }
    fn cancellable(&self) -> bool {
        I::cancelled().is_some()
    }
    fn suspended_at(&self) -> Option<&'static Location<'static>> {
        self.delegating_at().or_else(|| DynGen::suspended_at(self))
    }
}

/// A generator of this crate the kernel can run as a task ([`Task::new`]): a [`Gen`], a
/// [`BoxGen`](crate::BoxGen) or a [`LocalBoxGen`](crate::LocalBoxGen), yielding [`Syscall`]s and
/// resumed with a [`TaskInput`]. The kernel reports where such a task is suspended. Any other
/// [`Generator`] runs through [`Task::from_generator`].
pub trait TaskGenerator: sealed::Sealed {
    /// The task named `name` running the generator (in the task's own allocation), made at
    /// `spawned`.
    #[doc(hidden)]
    fn into_task(self, name: Rc<str>, spawned: &'static Location<'static>) -> Task;
}

mod sealed {
    pub trait Sealed {}
}

impl<I, B> sealed::Sealed for Gen<Syscall, I, B> where B: Body<Syscall, I> {}

impl<I, B> TaskGenerator for Gen<Syscall, I, B>
where
    I: TaskInput,
    B: Body<Syscall, I> + 'static,
    B::Output: 'static,
{
    fn into_task(self, name: Rc<str>, spawned: &'static Location<'static>) -> Task {
        Task {
            name,
            body: TaskBody::Generator(self.into_pinned_box()),
            detached: false,
            spawned: Site::of(spawned),
        }
    }
}

impl<D: ?Sized + DynGenerator> sealed::Sealed for DynGen<D> {}

impl<I, D> TaskGenerator for DynGen<D>
where
    I: TaskInput,
    D: ?Sized + DynGenerator<Yield = Syscall, Resume = I> + 'static,
    D::Return: 'static,
{
    fn into_task(self, name: Rc<str>, spawned: &'static Location<'static>) -> Task {
        Task {
            name,
            body: TaskBody::Generator(Box::pin(self)),
            detached: false,
            spawned: Site::of(spawned),
        }
    }
}

/// A future, as a task: polled when its waker fires; cancelling it drops it.
struct FutureTask<F>(F);

impl<F: Future + 'static> FutureBody for FutureTask<F> {
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Box<dyn Any>> {
        // SAFETY: the future is pinned with its task (structural pinning): `FutureTask` has no
        // `Drop` of its own, never moves the future out, and is `Unpin` only when it is.
        let future = unsafe { self.map_unchecked_mut(|task| &mut task.0) };
        match future.poll(cx) {
            Poll::Ready(value) => Poll::Ready(Box::new(value)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A named generator for the kernel to run: its Yield is [`Syscall`] and its resume type a
/// [`TaskInput`] ([`Reply`], or `Result<Reply, Cancelled>` to be cancellable). Its return
/// value is handed to whoever joins it.
///
/// ```
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Reply, Syscall, Task};
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn hello() -> Result<&'static str, Cancelled> {
///     yield_from!(sys::yield_now())?;
///     Ok("hello")
/// }
///
/// let task = Task::new("hello", hello());
/// assert_eq!(task.name(), "hello");
/// ```
pub struct Task {
    name: Rc<str>,
    pub(crate) body: TaskBody,
    detached: bool,
    /// Where it was made, for the slow-task warning.
    spawned: Site,
}

impl Task {
    /// A task running `generator`, written with `#[generator]` or `coroutine!`.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall, Task};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn greet(who: &'static str) -> Result<String, Cancelled> {
    ///     let me = yield_from!(sys::get_id())?;
    ///     Ok(format!("hello {who} from {me}"))
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn_task(Task::new("greet", greet("world")));
    /// kernel.run();
    /// let greeting = kernel.take_return::<Result<String, Cancelled>>(id).unwrap();
    /// assert_eq!(greeting, Ok(format!("hello world from {id}")));
    /// ```
    ///
    /// A [`BoxGen`](crate::BoxGen) (or [`LocalBoxGen`](crate::LocalBoxGen)) is a task too:
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall, Task};
    /// use resumable::LocalBoxGen;
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn one() -> Result<u8, Cancelled> {
    ///     yield_from!(sys::yield_now())?;
    ///     Ok(1)
    /// }
    ///
    /// let boxed: LocalBoxGen<'static, Syscall, Result<Reply, Cancelled>, _> = one().boxed_local();
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn_task(Task::new("one", boxed));
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<Result<u8, Cancelled>>(id), Ok(Ok(1)));
    /// ```
    #[track_caller]
    pub fn new(name: impl Into<Rc<str>>, generator: impl TaskGenerator) -> Task {
        generator.into_task(name.into(), Location::caller())
    }

    /// A task running any other [`Generator`]; the kernel cannot say where it is suspended.
    ///
    /// A hand-written generator that sleeps three times, then returns what it was resumed with:
    ///
    /// ```
    /// use std::pin::Pin;
    /// use std::time::Duration;
    /// use resumable::{Generator, GeneratorState};
    /// use resumable::kernel::{Kernel, Reply, Syscall, Task};
    ///
    /// struct Ticks { left: u32, replies: Vec<String> }
    ///
    /// impl Generator<Reply> for Ticks {
    ///     type Yield = Syscall;
    ///     type Return = Vec<String>;
    ///     fn resume(mut self: Pin<&mut Self>, reply: Reply) -> GeneratorState<Syscall, Vec<String>> {
    ///         self.replies.push(format!("{reply:?}"));
    ///         if self.left == 0 {
    ///             return GeneratorState::Complete(std::mem::take(&mut self.replies));
    ///         }
    ///         self.left -= 1;
    ///         GeneratorState::Yielded(Syscall::Sleep(Duration::from_secs(1)))
    ///     }
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn_task(Task::from_generator("ticks", Ticks { left: 3, replies: vec![] }));
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<Vec<String>>(id).unwrap(), ["Start", "Done", "Done", "Done"]);
    /// assert_eq!(kernel.now(), Duration::from_secs(3));
    /// ```
    #[track_caller]
    pub fn from_generator<I, G>(name: impl Into<Rc<str>>, generator: G) -> Task
    where
        I: TaskInput,
        G: Generator<I, Yield = Syscall> + Unpin + 'static,
        G::Return: 'static,
    {
        Task {
            name: name.into(),
            body: TaskBody::Generator(Box::pin(Foreign(generator, PhantomData))),
            detached: false,
            spawned: Site::of(Location::caller()),
        }
    }

    /// A task polling `future`: what `rt::spawn` makes. It shares the kernel with generator
    /// tasks, so each can join the other.
    ///
    /// ```
    /// # #[cfg(all(feature = "rt", unix))] { // rt's: tested where it is built
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall, Task};
    /// use resumable::rt;
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn waiter() -> Result<u32, Cancelled> {
    ///     let id = yield_from!(sys::spawn(Task::from_future("fut", async {
    ///         rt::sleep(Duration::from_millis(5)).await;
    ///         21u32
    ///     })))?;
    ///     Ok(2 * yield_from!(sys::join::<u32>(id))?.unwrap())
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn("waiter", waiter());
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<Result<u32, Cancelled>>(id), Ok(Ok(42)));
    /// # }
    /// ```
    #[track_caller]
    pub fn from_future<F>(name: impl Into<Rc<str>>, future: F) -> Task
    where
        F: Future + 'static,
    {
        Task {
            name: name.into(),
            body: TaskBody::Future(Box::pin(FutureTask(future))),
            detached: false,
            spawned: Site::of(Location::caller()),
        }
    }

    /// The name it was given, which reports and snapshots show.
    ///
    /// ```
    /// use resumable::kernel::Task;
    ///
    /// let task = Task::from_future(format!("conn {}", 7), async {});
    /// assert_eq!(task.name(), "conn 7");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Nobody will join this task: the kernel drops its return value when it ends instead of
    /// keeping it (a connection handler, say). Joining it then answers `JoinError::Taken`.
    ///
    /// ```
    /// # #[cfg(all(feature = "rt", unix))] { // rt's: tested where it is built
    /// use std::time::Duration;
    /// use resumable::kernel::{JoinError, Kernel, Task};
    /// use resumable::rt;
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let handler = Task::from_future("handler", rt::sleep(Duration::from_millis(1)));
    /// let id = kernel.spawn_task(handler.detached());
    /// kernel.run();
    /// assert!(kernel.is_empty()); // nothing is kept for it
    /// assert_eq!(kernel.take_return::<()>(id), Err(JoinError::Taken));
    /// # }
    /// ```
    #[must_use]
    pub fn detached(mut self) -> Task {
        self.detached = true;
        self
    }

    /// Where it was made: the line that called `Task::new` (or `from_future`,
    /// `from_generator`), or the `rt::spawn`, `Kernel::spawn`, ... that made it. Slow-task
    /// reports name it.
    ///
    /// ```
    /// use resumable::kernel::Task;
    ///
    /// let task = Task::from_future("t", async {});
    /// assert_eq!((task.spawned_at().file(), task.spawned_at().line()), (file!(), line!() - 1));
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned.location()
    }

    pub(crate) fn into_parts(self) -> (Rc<str>, TaskBody, bool, Site) {
        (self.name, self.body, self.detached, self.spawned)
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use core::cell::Cell;
    use core::task::Waker;

    /// Runs under Miri with the rest of the crate's tests: the future's pin projection.
    #[test]
    fn a_future_task_polls_its_future_in_place_until_it_returns() {
        let polls = Rc::new(Cell::new(0));
        let counter = polls.clone();
        // Holds a borrow of its own local across a suspension: it must not move once polled.
        let future = async move {
            let values: Vec<u32> = (1..=3).collect();
            let first = &values[0];
            for _ in 0..2 {
                counter.set(counter.get() + 1);
                let mut yielded = false;
                core::future::poll_fn(|_| {
                    if core::mem::replace(&mut yielded, true) {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
            }
            *first + values.len() as u32
        };
        let task = Task::from_future("t", future);
        let (_, body, _, _) = task.into_parts();
        let TaskBody::Future(mut body) = body else {
            panic!("a future makes a future task")
        };
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..2 {
            assert!(body.as_mut().poll(&mut cx).is_pending());
        }
        match body.as_mut().poll(&mut cx) {
            Poll::Ready(value) => assert_eq!(value.downcast_ref::<u32>(), Some(&4)),
            Poll::Pending => panic!("the future should have returned"),
        }
        assert_eq!(polls.get(), 2);
    }
}
