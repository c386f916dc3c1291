use resumable::prelude::*;

#[generator(yield = u32)]
fn numbers() {
    yield 1;
}

fn main() {
    let _ = numbers();
}
