//! An asyncio-style event loop for `Future`s: step 3 of the lineage, on the same core as the
//! [generator kernel](crate::kernel).
//!
//! The kernel resumes a generator task when the answer to its system call is ready. A future is
//! the same thing turned inside out: instead of yielding a request, it registers a *waker* with
//! whatever it waits for (a timer, a socket) and returns `Pending`; when the waker fires, the loop
//! polls it again. `async fn` is a generator the compiler writes, whose every `.await` is a
//! `yield from`. So `rt` runs futures on the kernel's own run queue, timer heap and reactor: a
//! future task and a generator task get ids from the same counter, obey the same fairness
//! contract, and can wait for each other.
//!
//! | asyncio | `resumable::rt` |
//! |---|---|
//! | `asyncio.run(main())` | [`block_on(main())`](block_on) |
//! | `asyncio.create_task(coro)` | [`spawn(fut)`](spawn) → [`JoinHandle`] |
//! | `await task` | `handle.await` → `Result<T, JoinError>` |
//! | `async with asyncio.TaskGroup() as tg:` `tg.create_task(coro)` | [`TaskGroup::new()`](TaskGroup::new), [`group.spawn(fut)`](TaskGroup::spawn): a failure cancels the rest, dropping the group cancels all |
//! | `asyncio.gather(*aws)` | [`group.join_all().await`](TaskGroup::join_all) (or `group.await`), results in spawn order; `futures::future::join_all` for futures that need no task |
//! | `asyncio.as_completed(aws)` | [`group.join_next().await`](TaskGroup::join_next), in finishing order; `futures::stream::FuturesUnordered` |
//! | `task.cancel()` | [`handle.cancel()`](JoinHandle::cancel): a generator task gets `Cancelled` thrown in at its yield and may clean up (sleep, write) before it returns; a future cannot be thrown into, so it is aborted |
//! | `task.cancel()`, no cleanup wanted | [`handle.abort()`](JoinHandle::abort): dropped at once, destructors run |
//! | `await asyncio.sleep(s)` | [`sleep(duration).await`](sleep) |
//! | `await asyncio.sleep(0)` | [`yield_now().await`](yield_now) |
//! | `asyncio.wait_for(aw, s)` | [`timeout(duration, fut).await`](timeout) |
//! | `asyncio.wait(aws, return_when=FIRST_COMPLETED)` | `futures::select!`, `futures::future::select` |
//! | `loop.run_in_executor(None, f)` | [`spawn_blocking(f).await`](spawn_blocking) |
//! | `asyncio.Queue(maxsize)` | `async_channel::bounded(n)` (`unbounded()` for no limit): `send().await`, `recv().await`, `close()` |
//! | `asyncio.Lock`, `asyncio.Semaphore`, `asyncio.Barrier` | `async_lock::Mutex`, `async_lock::Semaphore`, `async_lock::Barrier` (also `RwLock`) |
//! | `asyncio.Event` | `event_listener::Event` (listen, check, await), or a closed `async_channel` as a one-shot |
//! | `asyncio.open_connection(host, port)` | [`net::TcpStream::connect((host, port))`](net::TcpStream::connect): one stream, `AsyncRead` + `AsyncWrite` |
//! | `await reader.readline()` | `futures::io::BufReader::new(&stream).lines()` (`AsyncBufReadExt`) |
//! | `writer.write(data)`; `await writer.drain()` | `(&stream).write_all(data).await` (`AsyncWriteExt`) |
//! | `asyncio.start_server(cb, host, port)` | [`net::TcpListener::bind`] + [`incoming()`](net::TcpListener::incoming), a [`spawn`] per connection |
//! | `open_unix_connection`, `start_unix_server` | [`net::UnixStream::connect`], [`net::UnixListener`] |
//! | `loop.create_datagram_endpoint` | [`net::UdpSocket`] |
//! | `loop.add_signal_handler(SIGINT, ...)`, `KeyboardInterrupt` | [`ctrl_c().await`](ctrl_c): SIGINT as a future, to stop a server cleanly |
//! | debug mode's slow-callback warning | [`Report::Slow`](crate::kernel::Report::Slow) |
//!
//! Queues, locks, events, select and join come from the runtime-agnostic crates the whole
//! ecosystem uses (`async-channel`, `async-lock`, `event-listener`, `futures`), which work on
//! this loop unchanged (the crate's `tests/rt_ecosystem.rs` runs each of them here); `rt` builds
//! only what needs the loop itself.
//!
//! ```
//! use std::time::Duration;
//! use resumable::rt;
//!
//! let took = rt::block_on(async {
//!     let start = rt::now();
//!     let naps: Vec<_> = [30, 20, 10]
//!         .into_iter()
//!         .map(|ms| rt::spawn(rt::sleep(Duration::from_millis(ms))))
//!         .collect();
//!     for nap in naps {
//!         nap.await.unwrap();
//!     }
//!     rt::now() - start
//! });
//! assert!(took < Duration::from_millis(60), "the naps overlapped: {took:?}");
//! ```
//!
//! Everything here must be called from inside a loop: [`block_on`], or a
//! [`Kernel`]'s `block_on`/`run`. The loop is single-threaded; wakers
//! may be woken from any thread (that is how [`spawn_blocking`] reports back).
//!
//! A loop cannot be started inside a running one: [`block_on`] in a task (or in another
//! `block_on`'s future) panics, saying to spawn the future and `.await` it instead. Faults of
//! tasks are contained as the kernel's are (see
//! [Faults are contained](crate::kernel#faults-are-contained)): a panic in a task or in a
//! destructor the loop runs is reported and the loop goes on, and [`block_on`] returns its
//! value even if tasks left pending panic as they are dropped. The blocking pool loses no
//! thread to a job: a panic in it comes back as [`JoinError::Panicked`], and one of a result
//! dropped on its thread (nobody waited for it any more) is caught there.
//!
//! # Which loop, how many threads
//!
//! A loop is one thread. How many to run, and whose, depends on the work:
//!
//! - **One loop** ([`block_on`]): what one core keeps up with, which for I/O is most
//!   programs. Tasks share state with `Rc` and `RefCell`, need not be `Send`, and a switch is
//!   the cheapest there is (BENCHMARKS.md, W5). Blocking or CPU-heavy pieces go to
//!   [`spawn_blocking`].
//! - **A loop per core** (`examples/thread_per_core.rs`): when one core is not enough and the
//!   work comes as independent connections. Each thread runs its own `block_on` and accepts on
//!   its own listener, all bound to one port with `SO_REUSEPORT` (Linux spreads the
//!   connections over them); nothing is shared, so still no `Send` and no lock. The price: no
//!   work stealing. A connection stays on the loop that accepted it, so a few heavy ones can
//!   keep one core busy while another idles, and an uneven spread stays uneven.
//! - **tokio's multi-threaded runtime** (`examples/tokio_interop.rs`): when the load is uneven
//!   (heavy and light tasks mixed, long computations), or tasks share state across threads.
//!   Its workers steal tasks from each other; every task, and what it holds across an
//!   `.await`, must be `Send`. The async generators written with this crate run there as they
//!   are (they are `Stream`s, `Send` when what they hold is); their bodies then await tokio's
//!   timers and sockets instead of `rt`'s.
//!
//! A loop per thread, each with its own tasks (here sharing an `Rc` that never leaves its
//! thread):
//!
//! ```
//! use std::{cell::Cell, rc::Rc, thread};
//! use resumable::rt;
//!
//! let loops: Vec<_> = (0..2)
//!     .map(|no| {
//!         thread::spawn(move || {
//!             rt::block_on(async move {
//!                 let done = Rc::new(Cell::new(0)); // not Send, and need not be
//!                 let tasks: Vec<_> = (0..10)
//!                     .map(|_| {
//!                         let done = done.clone();
//!                         rt::spawn(async move {
//!                             rt::yield_now().await;
//!                             done.set(done.get() + 1);
//!                         })
//!                     })
//!                     .collect();
//!                 for task in tasks {
//!                     task.await.unwrap();
//!                 }
//!                 (no, done.get())
//!             })
//!         })
//!     })
//!     .collect();
//! let served: Vec<_> = loops.into_iter().map(|t| t.join().unwrap()).collect();
//! assert_eq!(served, [(0, 10), (1, 10)]);
//! ```

mod blocking;
mod group;
pub mod net;
mod signal;
mod task;
mod time;

pub use crate::kernel::JoinError;
pub use blocking::{spawn_blocking, BlockingTask};
pub use group::{JoinAll, JoinNext, TaskGroup};
pub use signal::{ctrl_c, CtrlC};
pub use task::{spawn, spawn_generator, spawn_named, task_id, JoinHandle};
pub use time::{now, sleep, sleep_until, timeout, yield_now, Elapsed, Sleep, Timeout, YieldNow};

use crate::kernel::Kernel;
use core::future::Future;

pub(crate) use crate::kernel::engine::panic_message;

/// Runs `future` to completion on a new loop (asyncio's `run`), with the tasks it spawns
/// running around it. Tasks still pending when it returns are reported and dropped (a
/// destructor of theirs that panics is reported, and `block_on` still returns the value).
///
/// ```
/// use resumable::rt;
///
/// assert_eq!(rt::block_on(async { 6 * 7 }), 42);
/// ```
///
/// # Panics
/// If the operating system refuses the loop a poller; if `future` panics (the pending tasks
/// are dropped first); when called inside a running loop — from a task, or from the future of
/// another `block_on` — since the running loop would stop until this one returned, and any of
/// its tasks awaited here would never finish (asyncio's `run()` and tokio refuse it too).
/// Spawn the future on the running loop instead and `.await` it:
///
/// ```
/// use resumable::rt;
///
/// rt::block_on(async {
///     // Not `rt::block_on(work)`:
///     let work = async { 6 * 7 };
///     assert_eq!(rt::spawn(work).await, Ok(42));
///     let nested = rt::spawn(async { rt::block_on(async { 1 }) });
///     assert!(nested.await.is_err()); // refused: that task panicked, and the loop went on
/// });
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    crate::kernel::engine::refuse_nested("rt::block_on");
    Kernel::new().block_on(future)
}
