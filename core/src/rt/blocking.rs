//! `spawn_blocking`: running blocking code on a small pool of threads, so the loop's thread
//! stays free — asyncio's `run_in_executor`, the answer to "what if there is no coroutine?".
//!
//! The pool starts threads as work arrives, up to a limit; an idle thread waits a while for
//! more work and then exits. The result comes back through a future that the worker's thread
//! wakes, which is why a waker must be able to wake the loop from another thread.
//!
//! No job costs the pool a thread: a panic in the job comes back as a [`JoinError`] (its
//! payload's destructor may panic too), and what else a job may run on the worker — the
//! destructor of a result nobody waits for any more, a waker — is caught there.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread;

use super::JoinError;
use crate::kernel::engine::drop_payload;

type Job = Box<dyn FnOnce() + Send>;

/// The threads that run blocking work, shared by every loop of the process.
struct Pool {
    queue: Mutex<PoolState>,
    work: Condvar,
}

struct PoolState {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

/// At most this many threads run blocking work at once.
const MAX_THREADS: usize = 16;
/// An idle thread exits after this long without work.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        queue: Mutex::new(PoolState {
            jobs: VecDeque::new(),
            threads: 0,
            idle: 0,
        }),
        work: Condvar::new(),
    })
}

impl Pool {
    fn submit(&'static self, job: Job) {
        let mut state = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        state.jobs.push_back(job);
        if state.idle > 0 {
            self.work.notify_one();
        }
        // An idle thread counts itself busy only once it runs, so while more jobs wait than
        // threads are idle, another thread is started (up to the limit).
        if state.jobs.len() > state.idle && state.threads < MAX_THREADS {
            state.threads += 1;
            let spawned = thread::Builder::new()
                .name("resumable-blocking".into())
                .spawn(move || self.work_loop());
            if spawned.is_err() {
                // No thread could be started: the job waits for a running one.
                state.threads -= 1;
            }
        }
    }

    fn work_loop(&self) {
        let _worker = Worker(self);
        let mut state = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                // The job catches the closure's panic; this catches what runs after it: the
                // destructor of a result nobody waits for any more, another executor's waker.
                if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(job)) {
                    drop_payload(payload);
                }
                state = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.idle += 1;
            let (next, timeout) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            state.idle -= 1;
            if timeout.timed_out() && state.jobs.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

/// A worker thread: should it end by a panic after all, the pool counts it out (a thread it
/// counts and that is gone would never run a job, and at the limit no other would start).
struct Worker<'a>(&'a Pool);

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            let mut state = self.0.queue.lock().unwrap_or_else(|e| e.into_inner());
            state.threads -= 1;
        }
    }
}

/// Where a blocking job leaves its result, and the waker of whoever waits for it.
struct Slot<T> {
    state: Mutex<SlotState<T>>,
}

/// The result, once there is one, and the waker to wake then.
type SlotState<T> = (Option<Result<T, JoinError>>, Option<Waker>);

/// Runs `f` on the blocking pool and returns a future of its result; a panic in `f` comes back
/// as [`JoinError::Panicked`]. The future may be awaited on any executor.
///
/// ```
/// use resumable::rt;
///
/// let sum = rt::block_on(async {
///     rt::spawn_blocking(|| (1..=100u64).sum::<u64>()).await
/// });
/// assert_eq!(sum, Ok(5050));
/// ```
pub fn spawn_blocking<F, T>(f: F) -> BlockingTask<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let slot = Arc::new(Slot {
        state: Mutex::new((None, None)),
    });
    let done = slot.clone();
    pool().submit(Box::new(move || {
        let result = panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
            let message = super::panic_message(&*payload);
            drop_payload(payload);
            JoinError::Panicked(message)
        });
        let waker = {
            let mut state = done.state.lock().unwrap_or_else(|e| e.into_inner());
            state.0 = Some(result);
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }));
    BlockingTask { slot }
}

/// The result of [`spawn_blocking`], as a future: the closure runs on a thread of the pool
/// whether or not it is awaited; a panic comes back as [`JoinError::Panicked`].
///
/// ```
/// use resumable::rt::{self, JoinError};
///
/// rt::block_on(async {
///     let name = rt::spawn_blocking(|| std::thread::current().name().map(String::from));
///     let boom = rt::spawn_blocking(|| -> u32 { panic!("boom") });
///     assert_eq!(name.await.unwrap().as_deref(), Some("resumable-blocking"));
///     assert_eq!(boom.await, Err(JoinError::Panicked("boom".into())));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct BlockingTask<T> {
    slot: Arc<Slot<T>>,
}

impl<T> Future for BlockingTask<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let lock = || self.slot.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = lock();
        if let Some(result) = state.0.take() {
            return Poll::Ready(result);
        }
        if state.1.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        // A waker is cloned, and the one it replaces dropped, with the lock free: another
        // executor's waker may run any code.
        drop(state);
        let waker = cx.waker().clone();
        let mut state = lock();
        let result = state.0.take();
        let replaced = match result {
            Some(_) => Some(waker),
            None => state.1.replace(waker),
        };
        drop(state);
        drop(replaced);
        result.map_or(Poll::Pending, Poll::Ready)
    }
}
