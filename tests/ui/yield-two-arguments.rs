use resumable::prelude::*;

#[generator(yield = u32)]
fn numbers() {
    yield_!(1, 2);
}

fn main() {
    let _ = numbers();
}
