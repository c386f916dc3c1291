// A `throw` generator must return a `Result`, so a thrown error can propagate with `?`.
use resumable::prelude::*;

#[derive(Debug)]
struct MyError;

#[generator(yield = u32, resume = u32, throw = MyError)]
fn careful() -> u32 {
    let x = yield_!(1)?;
    x
}

fn main() {
    let _ = careful();
}
