#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! The core shared by the kernel and `rt`: generator tasks and future tasks side by side.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use resumable::kernel::{
    sys, Cancelled, JoinError, Kernel, Reply, Syscall, Task, TaskId, TaskState,
};
use resumable::prelude::*;
use resumable::rt;

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn napper(ms: u64) -> Result<u64, Cancelled> {
    yield_from!(sys::sleep(Duration::from_millis(ms)))?;
    Ok(ms)
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn joins_a_future(id: TaskId) -> Result<u32, Cancelled> {
    let value = yield_from!(sys::join::<u32>(id))?;
    Ok(value.expect("the future task returns a u32") + 1)
}

#[test]
fn generator_tasks_and_future_tasks_wait_for_each_other() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let out = kernel.block_on(async {
        let fut = rt::spawn(async {
            rt::sleep(Duration::from_millis(5)).await;
            11u32
        });
        // A generator task joins the future task...
        let joiner = rt::spawn_generator("joiner", joins_a_future(fut.id()));
        // ...and the future awaits generator tasks.
        let nap = rt::spawn_generator("napper", napper(20));
        (nap.await, joiner.await, rt::now())
    });
    assert_eq!(out, (Ok(Ok(20)), Ok(Ok(12)), Duration::from_millis(20)));
}

#[test]
fn aborting_a_waiting_future_runs_its_destructors() {
    struct Guard(Rc<RefCell<Vec<&'static str>>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.borrow_mut().push("dropped");
        }
    }
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let result = rt::block_on(async move {
        let task = rt::spawn(async move {
            let _g = Guard(l);
            rt::sleep(Duration::from_secs(3600)).await;
        });
        rt::yield_now().await;
        rt::yield_now().await;
        task.abort();
        task.await
    });
    assert_eq!(result, Err(JoinError::Killed));
    assert_eq!(*log.borrow(), ["dropped"]);
}

#[test]
fn snapshot_shows_awaiting_futures() {
    let mut kernel = Kernel::new();
    kernel.block_on(async {
        let _t = rt::spawn_named("sleeper", rt::sleep(Duration::from_secs(60)));
        rt::yield_now().await;
        rt::yield_now().await;
    });
    let snap = kernel.snapshot();
    assert_eq!(snap.tasks.len(), 1);
    assert_eq!(&*snap.tasks[0].name, "sleeper");
    assert_eq!(snap.tasks[0].state, TaskState::Awaiting);
    let _ = Task::from_future("unused", async {});
}
