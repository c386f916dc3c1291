//! The ecosystem's runtime-agnostic crates on rt: what a user porting an asyncio program reaches
//! for, working on this loop unchanged. `asyncio.Queue` → `async-channel`, `Lock`/`Semaphore`/
//! `Barrier`/`RwLock` → `async-lock`, `Event` → `event-listener` (or `async-lock`'s), `gather` →
//! `futures::future::join_all` / `join!`, `as_completed` → `FuturesUnordered`, `wait` with
//! `FIRST_COMPLETED` → `futures::select!`, async generators → `futures::StreamExt`.
//!
//! Time is the virtual clock's where the test is about order (sleeps are exact and instant);
//! a real loop where another thread wakes it.

#[path = "rt_common/mod.rs"]
mod rt_common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::{join_all, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};
use resumable::prelude::*;
use resumable::rt;
use rt_common::{ms, virtual_kernel, within};

/// asyncio.Queue(maxsize=2): producers wait while it is full, the consumer drains it, and
/// closing it (every sender dropped) ends the consumer's loop.
#[test]
fn async_channel_is_a_bounded_queue_with_backpressure() {
    let mut kernel = virtual_kernel();
    let (got, blocked_at) = kernel.block_on(async {
        let (tx, rx) = async_channel::bounded::<u32>(2);
        let producer = rt::spawn(async move {
            let mut blocked_at = Vec::new();
            for i in 0..6 {
                let before = rt::now();
                tx.send(i).await.unwrap();
                if rt::now() > before {
                    blocked_at.push(i); // waited for room
                }
            }
            blocked_at
        });
        let mut got = Vec::new();
        while let Ok(v) = rx.recv().await {
            got.push((v, rt::now()));
            rt::sleep(ms(10)).await; // a slow consumer
        }
        (got, producer.await.unwrap())
    });
    let values: Vec<u32> = got.iter().map(|(v, _)| *v).collect();
    assert_eq!(values, [0, 1, 2, 3, 4, 5]);
    assert!(
        !blocked_at.is_empty() && blocked_at.iter().all(|&i| i >= 2),
        "the producer waited for room only once the queue was full: {blocked_at:?}"
    );
}

/// Values sent from another thread wake the loop (a cross-thread wake through the channel's
/// waker), as `loop.call_soon_threadsafe` would.
#[test]
fn a_channel_fed_from_another_thread_wakes_the_loop() {
    within(Duration::from_secs(20), || {
        rt::block_on(async {
            let (tx, rx) = async_channel::unbounded::<u32>();
            let feeder = std::thread::spawn(move || {
                for i in 0..100 {
                    tx.send_blocking(i).unwrap();
                    if i % 10 == 0 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            });
            let mut sum = 0;
            while let Ok(v) = rx.recv().await {
                sum += v;
            }
            feeder.join().unwrap();
            assert_eq!(sum, (0..100).sum());
        });
    });
}

/// asyncio.Lock held across an await: the tasks take turns, in the order they asked.
#[test]
fn async_lock_mutex_is_held_across_awaits() {
    let mut kernel = virtual_kernel();
    let log = kernel.block_on(async {
        let lock = Rc::new(async_lock::Mutex::new(Vec::<String>::new()));
        let tasks: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let lock = lock.clone();
                rt::spawn(async move {
                    let mut log = lock.lock().await;
                    log.push(format!("{name} in @{:?}", rt::now()));
                    rt::sleep(ms(10)).await; // still holding it
                    log.push(format!("{name} out @{:?}", rt::now()));
                })
            })
            .collect();
        join_all(tasks).await;
        let log = lock.lock().await.clone();
        log
    });
    assert_eq!(
        log,
        [
            "a in @0ns",
            "a out @10ms",
            "b in @10ms",
            "b out @20ms",
            "c in @20ms",
            "c out @30ms"
        ]
    );
}

/// asyncio.Semaphore(2): at most two tasks inside at once.
#[test]
fn async_lock_semaphore_bounds_concurrency() {
    let mut kernel = virtual_kernel();
    let (peak, took) = kernel.block_on(async {
        let permits = Rc::new(async_lock::Semaphore::new(2));
        let inside = Rc::new(Cell::new(0));
        let peak = Rc::new(Cell::new(0));
        let start = rt::now();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (permits, inside, peak) = (permits.clone(), inside.clone(), peak.clone());
                rt::spawn(async move {
                    let _permit = permits.acquire().await;
                    inside.set(inside.get() + 1);
                    peak.set(peak.get().max(inside.get()));
                    rt::sleep(ms(10)).await;
                    inside.set(inside.get() - 1);
                })
            })
            .collect();
        join_all(tasks).await;
        (peak.get(), rt::now() - start)
    });
    assert_eq!(peak, 2);
    assert_eq!(took, ms(30), "six 10 ms jobs, two at a time");
}

/// asyncio.Barrier and RwLock: readers share, a writer waits for them.
#[test]
fn async_lock_barrier_and_rwlock() {
    let mut kernel = virtual_kernel();
    let log = kernel.block_on(async {
        let barrier = Rc::new(async_lock::Barrier::new(3));
        let arrived: Vec<_> = [5, 15, 25]
            .into_iter()
            .map(|delay| {
                let barrier = barrier.clone();
                rt::spawn(async move {
                    rt::sleep(ms(delay)).await;
                    barrier.wait().await;
                    rt::now()
                })
            })
            .collect();
        let released: Vec<Duration> = join_all(arrived)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            released,
            [ms(25), ms(25), ms(25)],
            "all leave with the last"
        );

        let table = Rc::new(async_lock::RwLock::new(0u32));
        let log = Rc::new(std::cell::RefCell::new(Vec::new()));
        let reader = |name: &'static str| {
            let (table, log) = (table.clone(), log.clone());
            rt::spawn(async move {
                let value = table.read().await;
                log.borrow_mut()
                    .push(format!("{name} read {} @{:?}", *value, rt::now()));
                rt::sleep(ms(10)).await;
            })
        };
        let r1 = reader("r1");
        let r2 = reader("r2");
        let writer = {
            let (table, log) = (table.clone(), log.clone());
            rt::spawn(async move {
                rt::yield_now().await; // after the readers took their guards
                *table.write().await += 1;
                log.borrow_mut().push(format!("w wrote @{:?}", rt::now()));
            })
        };
        let _ = futures::join!(r1, r2, writer);
        let log = log.borrow().clone();
        log
    });
    assert_eq!(log, ["r1 read 0 @25ms", "r2 read 0 @25ms", "w wrote @35ms"]);
}

/// asyncio.Event: waiters park until it is set; one set wakes them all.
#[test]
fn event_listener_is_an_event() {
    /// An `asyncio.Event` on `event-listener`: a flag and the listeners waiting for it.
    struct Flag {
        set: AtomicBool,
        event: event_listener::Event,
    }
    impl Flag {
        async fn wait(&self) {
            loop {
                if self.set.load(Ordering::Acquire) {
                    return;
                }
                let listener = self.event.listen();
                if self.set.load(Ordering::Acquire) {
                    return;
                }
                listener.await;
            }
        }
        fn set(&self) {
            self.set.store(true, Ordering::Release);
            self.event.notify(usize::MAX);
        }
    }
    let mut kernel = virtual_kernel();
    let woke = kernel.block_on(async {
        let flag = Rc::new(Flag {
            set: AtomicBool::new(false),
            event: event_listener::Event::new(),
        });
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let flag = flag.clone();
                rt::spawn(async move {
                    flag.wait().await;
                    rt::now()
                })
            })
            .collect();
        rt::sleep(ms(40)).await;
        flag.set();
        join_all(waiters)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    });
    assert_eq!(woke, [ms(40), ms(40), ms(40)]);
}

/// asyncio.gather, as_completed and wait(FIRST_COMPLETED) are the futures crate's.
#[test]
fn gather_as_completed_and_first_completed_from_futures() {
    let mut kernel = virtual_kernel();
    kernel.block_on(async {
        let nap = |n: u64| async move {
            rt::sleep(ms(n)).await;
            n
        };
        // gather: every result, in the order given, in the time of the longest.
        let start = rt::now();
        assert_eq!(join_all([nap(30), nap(10), nap(20)]).await, [30, 10, 20]);
        assert_eq!(rt::now() - start, ms(30));
        let (a, b) = futures::join!(nap(5), nap(1));
        assert_eq!((a, b), (5, 1));

        // as_completed: in the order they finish, spawned so they run as tasks.
        let mut done: FuturesUnordered<_> = [30, 10, 20]
            .into_iter()
            .map(|n| rt::spawn(nap(n)))
            .collect();
        let mut order = Vec::new();
        while let Some(n) = done.next().await {
            order.push(n.unwrap());
        }
        assert_eq!(order, [10, 20, 30]);

        // wait(FIRST_COMPLETED) / wait_for: the first one wins, the other is dropped.
        let dropped = Rc::new(Cell::new(false));
        let slow = {
            let dropped = dropped.clone();
            async move {
                struct OnDrop(Rc<Cell<bool>>);
                impl Drop for OnDrop {
                    fn drop(&mut self) {
                        self.0.set(true);
                    }
                }
                let _guard = OnDrop(dropped);
                rt::sleep(ms(1000)).await;
                "slow"
            }
        };
        let winner = futures::select! {
            s = slow.fuse() => s,
            _ = rt::sleep(ms(50)).fuse() => "timer",
        };
        assert_eq!(winner, "timer");
        assert!(dropped.get(), "the losing branch was dropped");
        assert_eq!(
            rt::timeout(ms(10), nap(100)).await,
            Err(rt::Elapsed),
            "wait_for is rt::timeout"
        );
    });
}

/// An async generator is a `Stream`: `futures::StreamExt` adapts it like any other, on rt's
/// clock.
#[test]
fn async_generators_work_with_stream_ext() {
    #[generator(yield = u64)]
    async fn ticks(n: u64) {
        for i in 1..=n {
            rt::sleep(ms(10)).await;
            yield_!(i);
        }
    }
    let mut kernel = virtual_kernel();
    let (evens, took) = kernel.block_on(async {
        let start = rt::now();
        let evens: Vec<u64> = ticks(6)
            .filter(|n| std::future::ready(n % 2 == 0))
            .map(|n| n * 100)
            .collect()
            .await;
        (evens, rt::now() - start)
    });
    assert_eq!(evens, [200, 400, 600]);
    assert_eq!(took, ms(60));

    // Two generators merged by `select`, interleaving as their sleeps end.
    let mut kernel = virtual_kernel();
    let merged: Vec<u64> = kernel.block_on(async {
        #[generator(yield = u64)]
        async fn every(period: u64, n: u64) {
            for i in 1..=n {
                rt::sleep(ms(period)).await;
                yield_!(period * 1000 + i);
            }
        }
        futures::stream::select(every(10, 3), every(25, 2))
            .collect()
            .await
    });
    assert_eq!(merged, [10_001, 10_002, 25_001, 10_003, 25_002]);
}

/// A oneshot from `futures::channel` answers a task from a blocking job's thread.
#[test]
fn futures_oneshot_across_threads() {
    within(Duration::from_secs(20), || {
        let answer = rt::block_on(async {
            let (tx, rx) = futures::channel::oneshot::channel();
            let flag = Arc::new(AtomicBool::new(false));
            let job_flag = flag.clone();
            let job = rt::spawn_blocking(move || {
                job_flag.store(true, Ordering::SeqCst);
                tx.send(42).unwrap();
            });
            let answer = rx.await.unwrap();
            job.await.unwrap();
            assert!(flag.load(Ordering::SeqCst));
            answer
        });
        assert_eq!(answer, 42);
    });
}
