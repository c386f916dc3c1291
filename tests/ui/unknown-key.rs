use resumable::prelude::*;

#[generator(yield = u32, output = u32)]
fn numbers() {
    yield_!(1);
}

fn main() {
    let _ = numbers();
}
