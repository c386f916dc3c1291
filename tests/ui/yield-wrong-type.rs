use resumable::prelude::*;

#[generator(yield = u32)]
fn numbers() {
    yield_!("one");
}

fn main() {
    let _ = numbers();
}
