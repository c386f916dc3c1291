//! Fibonacci as a generator that returns "Done", like Python's `StopIteration("Done").value`.
use resumable::prelude::*;

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
    let mut g = fib(100);
    while let GeneratorState::Yielded(v) = g.send(()) {
        println!("{v}");
    }
    println!("{:?}", g);
}
