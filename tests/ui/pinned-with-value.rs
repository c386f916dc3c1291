use resumable::prelude::*;

#[generator(yield = u32, pinned = true)]
fn numbers() {
    yield_!(1);
}

fn main() {
    let _ = numbers();
}
