// A `yield_from!` in an `async` block in a `select!` arm: the block is a separate future, as
// it is outside any macro.
use resumable::prelude::*;

#[generator(yield = u64)]
fn inner() {
    yield_!(1);
}

#[generator(yield = u64)]
async fn outer() {
    tokio::select! {
        biased;
        _ = async { yield_from!(inner()) } => {}
        _ = std::future::ready(()) => {}
    }
}

fn main() {}
