// A `#[generator]` function's types are part of its signature: they cannot be inferred.
use resumable::prelude::*;

#[generator(yield = Vec<_>)]
fn lists() {
    yield_!(vec![1u32]);
}

fn main() {
    let _ = lists();
}
