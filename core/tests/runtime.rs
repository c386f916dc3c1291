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

#[test]
fn a_socket_that_always_has_data_cannot_keep_the_loop_from_the_others() {
    use std::cell::Cell;
    use std::io::Write;

    // 100 KB waiting in a loopback socket: 400 reads of 256 bytes, none of which would block.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut sender = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (receiver, _) = listener.accept().unwrap();
    sender.write_all(&[7u8; 100 * 1024]).unwrap();
    sender.shutdown(std::net::Shutdown::Write).unwrap();

    let reads = Rc::new(Cell::new(0u32));
    let seen = rt::block_on({
        let reads = reads.clone();
        async move {
            let stream = rt::net::TcpStream::from_std(receiver).unwrap();
            let counter = reads.clone();
            let reader = rt::spawn(async move {
                let mut buf = [0u8; 256];
                while stream.read(&mut buf).await.unwrap() > 0 {
                    counter.set(counter.get() + 1);
                }
            });
            let neighbour = rt::spawn(async move {
                rt::yield_now().await;
                reads.get()
            });
            let seen = neighbour.await.unwrap();
            reader.await.unwrap();
            seen
        }
    });
    assert_eq!(reads.get(), 400);
    // The reader gave up the thread after its budget, so its neighbour's next turn came long
    // before the reader had read everything.
    assert!(seen < 400, "the neighbour waited for all {seen} reads");
}

#[test]
fn asking_for_the_wrong_type_leaves_the_return_value() {
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("napper", napper(1));
    kernel.run();
    assert_eq!(kernel.take_return::<u8>(id), Err(JoinError::WrongType));
    assert_eq!(kernel.take_return::<Result<u64, Cancelled>>(id), Ok(Ok(1)));
    assert_eq!(
        kernel.take_return::<Result<u64, Cancelled>>(id),
        Err(JoinError::Taken)
    );

    let (wrong, right) = rt::block_on(async {
        let task = rt::spawn(async { 5u16 });
        rt::yield_now().await;
        rt::yield_now().await;
        let wrong = rt::JoinHandle::<u8>::for_task(task.id()).await;
        (wrong, task.await)
    });
    assert_eq!((wrong, right), (Err(JoinError::WrongType), Ok(5)));
}

/// Spawns a task that logs "spawned by a destructor" when it is dropped: code that needs the
/// loop, run from a destructor the loop calls.
/// (`Send`: it is a panic payload too.)
struct SpawnsOnDrop(Log);

type Log = std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>;

impl Drop for SpawnsOnDrop {
    fn drop(&mut self) {
        let log = self.0.clone();
        rt::spawn(async move { log.lock().unwrap().push("spawned by a destructor") }).detach();
    }
}

#[test]
fn a_panic_payload_is_dropped_where_its_destructor_may_use_the_loop() {
    let log = Log::default();
    let l = log.clone();
    let result = rt::block_on(async move {
        let task = rt::spawn(async move {
            std::panic::resume_unwind(Box::new(SpawnsOnDrop(l)));
        });
        let result = task.await;
        rt::yield_now().await;
        result
    });
    assert_eq!(
        result,
        Err(JoinError::Panicked("(a panic without a message)".into()))
    );
    assert_eq!(*log.lock().unwrap(), ["spawned by a destructor"]);
}

#[test]
fn a_task_that_returns_after_aborting_itself_ends_killed_and_its_value_is_dropped() {
    let log = Log::default();
    let l = log.clone();
    let result = rt::block_on(async move {
        let task = rt::spawn(async move {
            let me = rt::task_id().unwrap();
            rt::JoinHandle::<SpawnsOnDrop>::for_task(me).abort();
            SpawnsOnDrop(l)
        });
        let result = task.await.map(|_| ());
        rt::yield_now().await;
        result
    });
    assert_eq!(result, Err(JoinError::Killed));
    assert_eq!(*log.lock().unwrap(), ["spawned by a destructor"]);
}
