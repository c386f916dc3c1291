//! Taking the results of finished tasks from outside the loop: [`Kernel::take_return`].
//! (Inside it, a task joins: [`sys::join`](super::sys::join), or a
//! [`JoinHandle`](crate::rt::JoinHandle).)

use alloc::boxed::Box;
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
}
