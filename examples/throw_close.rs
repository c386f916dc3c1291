//! `throw_close`: throwing errors into a generator, and closing it (PEP 342).
//!
//! - `throw(err)` makes the suspended `yield_!` evaluate to `Err(err)`; the body handles it or
//!   propagates it with `?`.
//! - `close()` drops the suspended body in place: a `Drop` guard is Python's `finally`.
//! - `close_with(err)` throws `err` in so the body can run cleanup *code* before it ends.
//!
//! Run with `cargo run --example throw_close`.
use resumable::prelude::*;

#[derive(Debug)]
enum Signal {
    /// Recoverable: the generator logs it and goes on.
    Skip,
    /// Asks the generator to finish (Python's GeneratorExit).
    Exit,
    /// Anything else ends the generator with an error.
    Fatal(&'static str),
}

/// Prints when dropped: the `finally:` of the generator body.
struct Finally(&'static str);

impl Drop for Finally {
    fn drop(&mut self) {
        println!("      [finally] {} cleaned up", self.0);
    }
}

/// `throw = Signal`: the resume type is `Result<(), Signal>`, so each `yield_!` evaluates to
/// `Ok(())` on `send(Ok(()))` and to `Err(signal)` on `throw(signal)`.
#[generator(yield = u32, throw = Signal)]
fn worker(name: &'static str) -> Result<u32, Signal> {
    let _guard = Finally(name);
    let mut done = 0;
    loop {
        match yield_!(done) {
            Ok(()) => done += 1,
            Err(Signal::Skip) => println!("      [{name}] skipping one"),
            Err(Signal::Exit) => {
                println!("      [{name}] got Exit: saving {done} results, then returning");
                return Ok(done);
            }
            Err(Signal::Fatal(why)) => {
                println!("      [{name}] fatal: {why}; giving up");
                return Err(Signal::Fatal(why)); // what `yield_!(done)?` would do
            }
        }
    }
}

fn main() {
    println!("1. throw() a recoverable error: the body catches it and keeps going");
    let mut w = worker("w1");
    println!("   start()           -> {:?}", w.start());
    println!("   send(Ok(()))      -> {:?}", w.send(Ok(())));
    println!("   throw(Skip)       -> {:?}", w.throw(Signal::Skip));
    println!(
        "   throw(Fatal(..))  -> {:?}",
        w.throw(Signal::Fatal("disk full"))
    );
    println!("   state: {:?}", w.state());

    println!("\n2. close(): no code of the body runs, but its destructors do (Drop = finally)");
    let mut w = worker("w2");
    w.start();
    w.send(Ok(()));
    w.close();
    println!(
        "   state after close: {:?}, is_finished: {}",
        w.state(),
        w.is_finished()
    );

    println!("\n3. close_with(Exit): the body runs its cleanup code and returns");
    let mut w = worker("w3");
    w.start();
    w.send(Ok(()));
    w.send(Ok(()));
    println!("   close_with(Exit)  -> {:?}", w.close_with(Signal::Exit));

    println!("\n4. close_with on a generator that yields instead of returning");
    let mut stubborn = coroutine!(|r: Result<(), Signal>| {
        let _guard = Finally("stubborn");
        let mut r = r;
        loop {
            if let Err(sig) = r {
                println!("      [stubborn] ignoring {sig:?}");
            }
            r = yield "still here";
        }
    });
    stubborn.send(Ok(()));
    println!(
        "   close_with(Exit)  -> {:?}   (Python: generator ignored GeneratorExit)",
        stubborn.close_with(Signal::Exit)
    );
    println!("   state: {:?}", stubborn.state());

    println!("\n5. throw() into a generator that never started: it completes with the error");
    let mut w = worker("w5");
    println!(
        "   throw(Fatal(..))  -> {:?}   (its body never ran, so no cleanup line)",
        w.throw(Signal::Fatal("too early"))
    );
}
