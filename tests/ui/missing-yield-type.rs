use resumable::prelude::*;

#[generator(resume = u32)]
fn numbers() {
    yield_!(1);
}

fn main() {
    let _ = numbers();
}
