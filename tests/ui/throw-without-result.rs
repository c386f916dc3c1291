use resumable::prelude::*;

#[derive(Debug)]
struct MyError;

#[generator(yield = u32, resume = u32, throw = MyError)]
fn careful() {
    yield_!(1);
}

fn main() {
    let _ = careful();
}
