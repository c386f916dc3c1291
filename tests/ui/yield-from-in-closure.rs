use resumable::prelude::*;

#[generator(yield = u32)]
fn inner() {
    yield_!(1);
}

#[generator(yield = u32)]
fn outer() {
    let run = || yield_from!(inner());
    run();
}

fn main() {
    let _ = outer();
}
