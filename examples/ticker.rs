//! `ticker`: an async generator that yields on a timer, consumed by tasks on the loop.
//!
//! `#[generator(yield = u32)] async fn` is PEP 525's async generator: a body that can both
//! `.await` (wait without blocking the thread) and `yield_!` (hand a value to whoever is
//! consuming it). What it returns is a `Stream`; `ticks.next().await` is Python's `async for`
//! step: it runs the body until its next `yield_!`, waiting along the way as the body waits.
//!
//! Python:
//! ```python
//! async def ticker(every, n):
//!     start = loop.time()
//!     for tick in range(1, n + 1):
//!         await asyncio.sleep(start + tick * every - loop.time())
//!         yield tick
//!
//! async def consumer():
//!     async for tick in ticker(0.1, 5):
//!         print(tick)
//!
//! await asyncio.wait_for(consumer(), 0.35)          # rt::timeout
//! ```
//!
//! Part 4 drives an async generator the other way, with values sent in (`asend`) and a close
//! whose cleanup awaits (`aclose`).
//!
//! The loop runs on the kernel's virtual clock (`Kernel::new().with_virtual_clock()`): time
//! stands still while the tasks run and jumps to the next timer when all of them wait, so the
//! times printed are exact and the same on every run, and the program takes no real time.
//! Replace `virtual_loop().block_on(..)` with `rt::block_on(..)` to watch it on the real clock
//! (about two seconds, and a millisecond or so late here and there).
//!
//! Run with `cargo run --example ticker`.
use std::time::Duration;

use resumable::kernel::Kernel;
use resumable::prelude::*;
use resumable::rt;

/// Yields 1, 2, …, `n`, one every `every`: tick `k` is due at `k * every` after the first poll.
/// It sleeps *until* each due time rather than *for* `every`, so lateness does not pile up.
#[generator(yield = u32)]
async fn ticker(every: Duration, n: u32) {
    let _stop = Says("      ticker: my body is dropped (finished or closed): cleanup runs");
    let start = rt::now();
    for tick in 1..=n {
        rt::sleep_until(start + every * tick).await; // the loop runs others meanwhile
        yield_!(tick);
    }
}

/// Thrown into `throttled` to stop it.
#[derive(Debug)]
struct Shutdown;

/// An async generator resumed with values (Python's `asend`): sent a message, it waits for its
/// turn under the rate limit, then yields when the message went out. Closed with `Shutdown`
/// (`aclose`), its cleanup awaits too: it flushes before it returns.
#[generator(yield = String, resume = &'static str, throw = Shutdown)]
async fn throttled(every: Duration) -> Result<(), Shutdown> {
    let mut sent = 0;
    let mut turn = rt::now();
    let mut message = yield_!("ready".to_string());
    loop {
        match message {
            Ok(text) => {
                rt::sleep_until(turn).await;
                turn = rt::now() + every;
                sent += 1;
                message = yield_!(format!("sent {text:?}"));
            }
            Err(Shutdown) => {
                rt::sleep(Duration::from_millis(20)).await; // an async `finally`
                println!("      throttled: flushed after {sent} messages");
                return Ok(());
            }
        }
    }
}

/// Prints its message when dropped: a destructor in the generator's body is its `finally`.
struct Says(&'static str);

impl Drop for Says {
    fn drop(&mut self) {
        println!("{}", self.0);
    }
}

/// The loop's clock as `  350 ms`, since `epoch`.
fn at(epoch: Duration) -> String {
    format!("{:>5} ms", (rt::now() - epoch).as_millis())
}

/// A loop on the virtual clock: the same loop `rt::block_on` runs, with time that only passes
/// when every task waits.
fn virtual_loop() -> Kernel {
    Kernel::new().with_virtual_clock()
}

fn main() {
    virtual_loop().block_on(async {
        println!("1. One ticker (every 100 ms, 5 ticks), consumed by a task:");
        println!("   while let Some(tick) = ticks.next().await {{ ... }}\n");
        let epoch = rt::now();
        let mut ticks = ticker(Duration::from_millis(100), 5);
        println!("   ticker(...) made the generator; its body has not run yet: {ticks:?}");
        let consumer = rt::spawn(async move {
            let mut seen = 0;
            while let Some(tick) = ticks.next().await {
                println!("  {}  tick {tick}", at(epoch));
                seen += 1;
            }
            seen
        });
        let seen = consumer.await.expect("the consumer does not panic");
        println!("   the stream ended after {seen} ticks: next() gave None.\n");

        println!("2. Two tickers, each consumed by its own task, interleave on the one thread:\n");
        let epoch = rt::now();
        let fast = rt::spawn(async move {
            let mut ticks = ticker(Duration::from_millis(60), 6);
            while let Some(tick) = ticks.next().await {
                println!("  {}  fast tick {tick}", at(epoch));
            }
        });
        let slow = rt::spawn(async move {
            let mut ticks = ticker(Duration::from_millis(150), 3);
            while let Some(tick) = ticks.next().await {
                println!("  {}                      slow tick {tick}", at(epoch));
            }
        });
        fast.await.expect("fast");
        slow.await.expect("slow");
        println!(
            "\n   Neither waits for the other: each body sleeps in the loop's timer heap, and the"
        );
        println!(
            "   loop resumes whichever is due. At 300 ms both are: a tie goes to the timer set"
        );
        println!("   first, slow's (set at 150 ms) before fast's (set at 240 ms).\n");

        println!("3. rt::timeout around a consumer: at most 350 ms of a 100 ms ticker.\n");
        let epoch = rt::now();
        let mut ticks = ticker(Duration::from_millis(100), 10);
        let result = rt::timeout(Duration::from_millis(350), async {
            while let Some(tick) = ticks.next().await {
                println!("  {}  tick {tick}", at(epoch));
            }
        })
        .await;
        println!("  {}  timeout: {result:?}", at(epoch));
        println!(
            "   The consumer was dropped mid-wait. The generator was only borrowed by it, so it is"
        );
        println!(
            "   still there, {:?}, and the next call goes on where it was:",
            ticks.state()
        );
        let tick = ticks.next().await;
        println!("  {}  next() = {tick:?}", at(epoch));

        println!("\n   A timeout on one next() each, 50 ms: a tick is due only every 100 ms.");
        for _ in 0..3 {
            match rt::timeout(Duration::from_millis(50), ticks.next()).await {
                Ok(tick) => println!("  {}  next() = {tick:?}", at(epoch)),
                Err(rt::Elapsed) => println!("  {}  no tick within 50 ms", at(epoch)),
            }
        }

        println!("\n   Enough: ticks.close() drops the body where it is waiting.");
        ticks.close();
        println!(
            "   now {:?}; next() = {:?}",
            ticks.state(),
            ticks.next().await
        );

        println!("\n4. Sending values in (asend), and a close that awaits (aclose):\n");
        let epoch = rt::now();
        let mut out = throttled(Duration::from_millis(100));
        println!("  {}  start()    -> {:?}", at(epoch), out.start().await);
        for text in ["hello", "world", "bye"] {
            let reply = out.send(Ok(text)).await;
            println!("  {}  send(Ok({text:?})) -> {reply:?}", at(epoch));
        }
        let closed = out.close_with(Shutdown).await;
        println!("  {}  close_with(Shutdown) -> {closed:?}", at(epoch));
    });
}
