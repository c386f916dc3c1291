// An iterator is resumed with `()`: it cannot take the values sent into this generator.
use resumable::prelude::*;

#[generator(yield = u32, resume = u32)]
fn summing() {
    yield_from!(resumable::from_iter(0..3));
}

fn main() {
    let _ = summing();
}
