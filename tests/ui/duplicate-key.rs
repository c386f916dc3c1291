use resumable::prelude::*;

#[generator(yield = u32, yield = u64)]
fn numbers() {
    yield_!(1);
}

fn main() {
    let _ = numbers();
}
