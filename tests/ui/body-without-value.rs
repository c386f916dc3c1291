// A generator declared to return a `String` whose body ends without one.
use resumable::prelude::*;

#[generator(yield = u32)]
fn greeting(n: u32) -> String {
    yield_!(n);
    let _done = String::from("done");
}

fn main() {
    let _ = greeting(1);
}
