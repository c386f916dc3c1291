// A subgenerator resumed with `String`, delegated to from a generator resumed with `u32`.
use resumable::prelude::*;

#[generator(yield = u32, resume = String)]
fn named() {
    let _name = yield_!(1);
}

#[generator(yield = u32, resume = u32)]
fn numbered() {
    yield_from!(named());
}

fn main() {
    let _ = numbered();
}
