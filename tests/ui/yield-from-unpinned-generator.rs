// A pinned generator is delegated to once pinned.
use resumable::prelude::*;

#[generator(yield = u32, pinned)]
fn inner() {
    yield_!(1);
}

#[generator(yield = u32)]
fn outer() {
    let mut sub = inner();
    yield_from!(&mut sub);
}

fn main() {
    let _ = outer();
}
