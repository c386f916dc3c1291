//! `fib`: the simplest generator — yields values, then returns one.
//!
//! Python:
//! ```python
//! def fib(limit):
//!     a, b = 0, 1
//!     while a < limit:
//!         yield a
//!         a, b = b, a + b
//!     return "Done"          # surfaces as StopIteration("Done").value
//! ```
//!
//! Run with `cargo run --example fib`.
use resumable::prelude::*;

/// The declared return type (`&'static str`) is the generator's Return; `yield = u64` its Yield.
#[generator(yield = u64)]
fn fib(limit: u64) -> &'static str {
    let (mut a, mut b) = (0, 1);
    while a < limit {
        yield_!(a);
        (a, b) = (b, a + b);
    }
    "Done"
}

fn main() {
    println!("Calling fib(100) runs nothing yet: {:?}", fib(100));

    println!("\n1. Driving it by hand with send(()), like Python's next(g):");
    let mut g = fib(100);
    loop {
        match g.send(()) {
            GeneratorState::Yielded(n) => print!("{n} "),
            GeneratorState::Complete(value) => {
                println!(
                    "\n   -> Complete({value:?}): the return value, Python's StopIteration.value"
                );
                break;
            }
        }
    }

    println!("\n2. As an iterator (its resume type is `()`), then take_return():");
    let mut g = fib(20);
    let values: Vec<u64> = g.by_ref().collect();
    println!("   collected {values:?}");
    println!("   take_return() = {:?} (once)", g.take_return());
    println!("   take_return() = {:?} (already taken)", g.take_return());
    println!("   next() after the end = {:?} (fused)", g.next());

    println!("\n3. Resuming it again is a bug, reported without panicking by try_send:");
    println!("   try_send(()) = {:?}", g.try_send(()));
}
