// `return;` in a generator declared to return a `String`.
use resumable::prelude::*;

#[generator(yield = u32)]
fn greeting(n: u32) -> String {
    if n == 0 {
        return;
    }
    yield_!(n);
    String::from("done")
}

fn main() {
    let _ = greeting(1);
}
