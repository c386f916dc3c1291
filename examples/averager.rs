//! `averager`: a generator you *send* values into (PEP 342).
//!
//! Python:
//! ```python
//! def averager():
//!     total, n, avg = 0.0, 0, None
//!     while True:
//!         term = yield avg       # yield hands avg out, and evaluates to what is sent in
//!         total += term; n += 1; avg = total / n
//! ```
//!
//! Run with `cargo run --example averager`.
use resumable::prelude::*;

/// `resume = f64`: each `yield_!` evaluates to the `f64` passed to the next `send`.
#[generator(yield = f64, resume = f64)]
fn averager() {
    let (mut total, mut n, mut avg) = (0.0, 0.0, 0.0);
    loop {
        let term = yield_!(avg);
        total += term;
        n += 1.0;
        avg = total / n;
    }
}

fn main() {
    let mut avg = averager();
    println!("state before anything runs: {:?}", avg.state());

    // The body has not reached a yield yet, so nothing could receive a value: start() runs it
    // to the first `yield_!` (Python's priming `next(avg)`).
    println!(
        "start()     -> {:?}   (primed: suspended at its first yield)",
        avg.start()
    );

    for term in [10.0, 30.0, 5.0, 15.0] {
        match avg.send(term) {
            GeneratorState::Yielded(mean) => println!("send({term:>4}) -> running average {mean}"),
            GeneratorState::Complete(()) => unreachable!("averager never returns"),
        }
    }
    println!(
        "state: {:?}, suspended at {}",
        avg.state(),
        avg.suspended_at().expect("suspended")
    );

    // The generator holds its running total between sends: state that a closure would have to
    // keep in captured variables lives here in ordinary locals.
    avg.close();
    println!("after close(): {:?}", avg.state());
}
