//! Taking the results of finished tasks from outside the loop: [`Kernel::take_return`] and
//! [`Kernel::take_returns`]. (Inside it, a task joins: [`sys::join`](super::sys::join), or a
//! [`JoinHandle`](crate::rt::JoinHandle).)

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::any::{Any, TypeId};

use super::{JoinError, Kernel};
use crate::sched::TaskId;

/// A return value, taken as a `T` (or why there is none).
fn downcast<T: 'static>(value: Result<Box<dyn Any>, JoinError>) -> Result<T, JoinError> {
    value.and_then(|v| {
        v.downcast::<T>()
            .map(|v| *v)
            .map_err(|_| JoinError::WrongType)
    })
}

impl Kernel {
    /// The return value of a finished task, once: `Err` if it was killed or panicked, has not
    /// finished yet ([`JoinError::NotFinished`]: not run yet, waiting or running; nothing is
    /// taken), was taken already, was never spawned here, or is not a `T`
    /// ([`JoinError::WrongType`]; the value then stays, for a call with the right type).
    ///
    /// ```
    /// use resumable::kernel::{JoinError, Kernel, Task};
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let id = kernel.spawn_task(Task::from_future("seven", async { 7u8 }));
    /// assert_eq!(kernel.take_return::<u8>(id), Err(JoinError::NotFinished)); // not run yet
    /// kernel.run();
    /// assert_eq!(kernel.take_return::<String>(id), Err(JoinError::WrongType));
    /// assert_eq!(kernel.take_return::<u8>(id), Ok(7));
    /// assert_eq!(kernel.take_return::<u8>(id), Err(JoinError::Taken));
    /// ```
    pub fn take_return<T: 'static>(&mut self, id: TaskId) -> Result<T, JoinError> {
        downcast(self.core.take_return(id, TypeId::of::<T>()))
    }

    /// Takes how the tasks that have finished so far ended, in the order they finished, as
    /// `(id, name, result)`: [`RoundRobin::take_returns`](crate::sched::RoundRobin::take_returns)
    /// for the kernel, where a task can also be killed or panic, so each result is what
    /// [`take_return`](Self::take_return) would have answered. Each task is handed out once.
    ///
    /// What is left behind: the tasks still alive (they are handed out once they finish), and
    /// the return values that are not a `T`, in their place, for a call that asks for their
    /// type. A return value handed out is taken (a later join or `take_return` of it gets
    /// [`JoinError::Taken`]); why a task has none ([`JoinError::Killed`],
    /// [`JoinError::Panicked`]) is handed out and still told to whoever joins it later. A
    /// result already taken another way (a join, `take_return`) is not listed, nor is a
    /// [detached](super::Task::detached) task.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resumable::prelude::*;
    /// use resumable::kernel::{sys, Cancelled, JoinError, Kernel, Reply, Syscall};
    ///
    /// #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    /// fn nap(ms: u64) -> Result<u64, Cancelled> {
    ///     yield_from!(sys::sleep(Duration::from_millis(ms)))?;
    ///     Ok(ms)
    /// }
    ///
    /// let mut kernel = Kernel::new().with_virtual_clock();
    /// let long = kernel.spawn("long", nap(30));
    /// let short = kernel.spawn("short", nap(10));
    /// let killed = kernel.spawn("killed", nap(20));
    /// let forever = kernel.spawn("forever", nap(3_600_000));
    /// kernel.run_once(); // they all start, and go to sleep
    /// kernel.kill(killed);
    /// while kernel.now() < Duration::from_millis(30) {
    ///     kernel.run_once();
    /// }
    ///
    /// let returns: Vec<_> = kernel.take_returns::<Result<u64, Cancelled>>().into_iter()
    ///     .map(|(id, name, result)| (id, name.to_string(), result))
    ///     .collect();
    /// assert_eq!(returns, [ // in the order they finished
    ///     (killed, "killed".into(), Err(JoinError::Killed)),
    ///     (short, "short".into(), Ok(Ok(10))),
    ///     (long, "long".into(), Ok(Ok(30))),
    /// ]);
    /// assert!(kernel.take_returns::<Result<u64, Cancelled>>().is_empty()); // handed out once
    /// assert_eq!(kernel.take_return::<Result<u64, Cancelled>>(long), Err(JoinError::Taken));
    /// assert_eq!(kernel.take_return::<Result<u64, Cancelled>>(forever), Err(JoinError::NotFinished));
    /// # kernel.kill(forever);
    /// ```
    #[must_use = "the return values are handed out once; dropping them loses them"]
    pub fn take_returns<T: 'static>(&mut self) -> Vec<(TaskId, Rc<str>, Result<T, JoinError>)> {
        self.core
            .take_returns(TypeId::of::<T>())
            .into_iter()
            .map(|(id, name, result)| (id, name, downcast(result)))
            .collect()
    }
}
