//! Spawning futures and waiting for them.

use alloc::format;
use alloc::rc::Rc;
use core::any::TypeId;
use core::future::Future;
use core::marker::PhantomData;
use core::panic::Location;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::JoinError;
use crate::kernel::engine::{current, Core};
use crate::kernel::{Syscall, Task, TaskId, TaskInput};
use crate::{Body, Gen};

/// Starts `future` as a task on the loop running this thread; it runs concurrently with the
/// caller, and goes on running even if the handle is dropped (asyncio's `create_task`).
///
/// The task is named after the place it was spawned from, for the loop's reports; use
/// [`spawn_named`] to choose.
///
/// ```
/// use resumable::rt;
///
/// let total = rt::block_on(async {
///     let a = rt::spawn(async { 1 });
///     let b = rt::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(total, 3);
/// ```
///
/// # Panics
/// Outside of a loop (`rt::block_on`, `Kernel::run`).
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    spawn_named(site_name(Location::caller()), future)
}

/// The name of the tasks spawned at `at`: `file:line`, made once per place (and thread) and
/// shared by every task spawned there, so a spawn allocates no name.
pub(super) fn site_name(at: &'static Location<'static>) -> Rc<str> {
    std::thread_local! {
        static NAMES: core::cell::RefCell<std::collections::HashMap<usize, Rc<str>>> =
            core::cell::RefCell::default();
    }
    // Keyed by the location's address: one call site has one (a copy of it made elsewhere
    // only costs another entry).
    let key = core::ptr::from_ref(at) as usize;
    NAMES.with(|names| {
        names
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| format!("{}:{}", at.file(), at.line()).into())
            .clone()
    })
}

/// [`spawn`] with a name for the loop's reports and snapshots.
///
/// ```
/// use std::time::Duration;
/// use resumable::kernel::Kernel;
/// use resumable::rt;
///
/// let mut kernel = Kernel::new().with_virtual_clock();
/// kernel.block_on(async {
///     rt::spawn_named("janitor", rt::sleep(Duration::from_secs(60))).detach();
/// });
/// let names: Vec<_> = kernel.snapshot().tasks.iter().map(|t| t.name.to_string()).collect();
/// assert_eq!(names, ["janitor"]);
/// # kernel.run();
/// ```
///
/// # Panics
/// Outside of a loop (`rt::block_on`, `Kernel::run`).
#[track_caller]
pub fn spawn_named<F>(name: impl Into<Rc<str>>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    let core = current();
    let id = core.spawn(Task::from_future(name, future));
    JoinHandle {
        id,
        core,
        owner: true,
        _output: PhantomData,
    }
}

/// Starts a generator task of the [kernel](crate::kernel) (one that yields
/// [`Syscall`]s) from a future, on the same loop; its handle waits for its return value.
///
/// ```
/// use std::time::Duration;
/// use resumable::prelude::*;
/// use resumable::kernel::{sys, Cancelled, Reply, Syscall};
/// use resumable::rt;
///
/// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
/// fn nap(ms: u64) -> Result<u64, Cancelled> {
///     yield_from!(sys::sleep(Duration::from_millis(ms)))?;
///     Ok(ms)
/// }
///
/// let slept = rt::block_on(async { rt::spawn_generator("nap", nap(5)).await });
/// assert_eq!(slept, Ok(Ok(5)));
/// ```
///
/// # Panics
/// Outside of a loop.
#[track_caller]
pub fn spawn_generator<I, B>(
    name: impl Into<Rc<str>>,
    generator: Gen<Syscall, I, B>,
) -> JoinHandle<B::Output>
where
    I: TaskInput,
    B: Body<Syscall, I> + 'static,
    B::Output: 'static,
{
    let core = current();
    let id = core.spawn(Task::new(name, generator));
    JoinHandle {
        id,
        core,
        owner: true,
        _output: PhantomData,
    }
}

/// A spawned task, as a future of its result: `Ok(value)`, or why there is none
/// ([`JoinError::Killed`] after [`abort`](JoinHandle::abort), [`JoinError::Panicked`]).
/// Dropping it detaches the task (it runs on; its result is dropped).
///
/// Any task of the loop can be waited for this way, generator tasks of the
/// [kernel](crate::kernel) included ([`JoinHandle::for_task`]).
///
/// ```
/// use resumable::rt::{self, JoinError};
///
/// rt::block_on(async {
///     let fine = rt::spawn(async { "fine" });
///     let broken = rt::spawn(async { panic!("broken") });
///     assert_eq!(fine.await, Ok("fine"));
///     assert_eq!(broken.await, Err::<(), _>(JoinError::Panicked("broken".into())));
/// });
/// ```
#[must_use = "a dropped handle leaves the task running; await it to get its result"]
pub struct JoinHandle<T> {
    id: TaskId,
    core: Rc<Core>,
    /// Made by a spawn: dropping it detaches the task.
    owner: bool,
    _output: PhantomData<fn() -> T>,
}

impl<T: 'static> JoinHandle<T> {
    /// A handle on the task `id` of the loop running this thread — a generator task spawned with
    /// `sys::spawn`, say — whose return value is a `T`. Dropping it does not detach the task.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    /// use resumable::rt::{self, JoinHandle};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn answer() -> Result<u32, Cancelled> {
    ///     yield_from!(sys::sleep(Duration::from_millis(10)))?;
    ///     Ok(42)
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn("answer", answer());
    /// let got = kernel.block_on(async move {
    ///     JoinHandle::<Result<u32, Cancelled>>::for_task(id).await
    /// });
    /// assert_eq!(got, Ok(Ok(42)));
    /// ```
    ///
    /// # Panics
    /// Outside of a loop.
    #[track_caller]
    pub fn for_task(id: TaskId) -> JoinHandle<T> {
        JoinHandle {
            id,
            core: current(),
            owner: false,
            _output: PhantomData,
        }
    }
}

impl<T> JoinHandle<T> {
    /// The task's id, shared with the kernel: a generator task can `sys::join` it.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Reply, Syscall, TaskId};
    /// use resumable::rt;
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn plus_one(id: TaskId) -> Result<u32, Cancelled> {
    ///     Ok(yield_from!(sys::join::<u32>(id))?.unwrap() + 1)
    /// }
    ///
    /// rt::block_on(async {
    ///     let future = rt::spawn(async { 41u32 });
    ///     let generator = rt::spawn_generator("plus_one", plus_one(future.id()));
    ///     assert_eq!(generator.await, Ok(Ok(42)));
    ///     drop(future); // kept until then: dropping it earlier would detach the task
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Lets the task run on without anyone waiting for it: its result is dropped when it ends
    /// (the same as dropping the handle, said out loud).
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// use resumable::rt;
    ///
    /// rt::block_on(async {
    ///     let done = Rc::new(Cell::new(false));
    ///     let flag = done.clone();
    ///     rt::spawn(async move {
    ///         rt::sleep(Duration::from_millis(5)).await;
    ///         flag.set(true);
    ///     })
    ///     .detach();
    ///     rt::sleep(Duration::from_millis(20)).await;
    ///     assert!(done.get()); // it ran on without its handle
    /// });
    /// ```
    pub fn detach(self) {
        drop(self);
    }

    /// Stops the task at once: its future (or generator) is dropped where it waits, so its
    /// destructors run, and no code of its own runs again; awaiting the handle then gives
    /// [`JoinError::Killed`]. A task aborting itself stops when it next yields. To let a
    /// generator task clean up first, [`cancel`](JoinHandle::cancel) it instead.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// use resumable::rt::{self, JoinError};
    ///
    /// struct Guard(Rc<Cell<bool>>);
    /// impl Drop for Guard {
    ///     fn drop(&mut self) { self.0.set(true) }
    /// }
    ///
    /// rt::block_on(async {
    ///     let dropped = Rc::new(Cell::new(false));
    ///     let guard = Guard(dropped.clone());
    ///     let handle = rt::spawn(async move {
    ///         let _guard = guard;
    ///         rt::sleep(Duration::from_secs(3600)).await;
    ///     });
    ///     rt::yield_now().await; // let it start and go to sleep
    ///     handle.abort();
    ///     assert!(dropped.get()); // its destructors ran at once
    ///     assert_eq!(handle.await, Err(JoinError::Killed));
    /// });
    /// ```
    pub fn abort(&self) {
        self.core.kill(self.id);
    }

    /// Cancels the task the way asyncio's `task.cancel()` does, where that can be done: a
    /// generator task (made with [`spawn_generator`], or by the kernel, and declared with
    /// `throw = Cancelled`) has [`Cancelled`](crate::kernel::Cancelled) thrown in at the yield
    /// it waits at, in the next pass (the kernel's [`sys::cancel`](crate::kernel::sys::cancel)),
    /// so its cleanup runs — and may itself sleep, write or join — and the handle then
    /// gives whatever the task returned. Returns whether the task was alive.
    ///
    /// A future cannot be thrown into: a future task (and a generator resumed with plain
    /// [`Reply`](crate::kernel::Reply)) is [aborted](JoinHandle::abort) instead, its destructors
    /// run and the handle gives [`JoinError::Killed`]. A future's cleanup that must wait for
    /// something belongs in the future itself: race the work against a signal to stop (an
    /// `async-channel`, say) and clean up when it fires.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
    /// use resumable::rt::{self, JoinError};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn worker() -> Result<&'static str, Cancelled> {
    ///     match yield_from!(sys::sleep(Duration::from_secs(3600))) {
    ///         Ok(()) => Ok("slept"),
    ///         Err(Cancelled) => {
    ///             yield_from!(sys::sleep(Duration::from_secs(1)))?; // cleanup may wait, too
    ///             Ok("cleaned up")
    ///         }
    ///     }
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// kernel.block_on(async {
    ///     let generator = rt::spawn_generator("worker", worker());
    ///     let future = rt::spawn(rt::sleep(Duration::from_secs(3600)));
    ///     rt::sleep(Duration::from_secs(5)).await;
    ///     assert!(generator.cancel() && future.cancel());
    ///     assert_eq!(generator.await, Ok(Ok("cleaned up")));
    ///     assert_eq!(rt::now(), Duration::from_secs(6)); // its cleanup slept a second
    ///     assert_eq!(future.await, Err(JoinError::Killed)); // dropped at once
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        self.core.cancel(self.id)
    }
}

/// Dropping the handle detaches the task: it runs on, and its result is dropped when it ends.
impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if self.owner {
            self.core.detach(self.id);
        }
    }
}

/// The id of the task being run, if called from one (a future or a generator task).
///
/// ```
/// use resumable::rt;
///
/// rt::block_on(async {
///     let handle = rt::spawn(async { rt::task_id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), Some(id));
///     assert_eq!(rt::task_id(), None); // block_on's own future is not a task
/// });
/// ```
pub fn task_id() -> Option<TaskId> {
    crate::kernel::engine::try_current().and_then(|core| core.running())
}

impl<T: 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.core
            .poll_join(self.id, cx.waker(), TypeId::of::<T>())
            .map(|result| {
                result.and_then(|v| {
                    v.downcast::<T>()
                        .map(|v| *v)
                        .map_err(|_| JoinError::WrongType)
                })
            })
    }
}

impl<T> core::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id).finish()
    }
}
