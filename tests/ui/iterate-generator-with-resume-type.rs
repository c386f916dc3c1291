// Only generators resumed with `()` are iterators.
use resumable::prelude::*;

#[generator(yield = u32, resume = u32)]
fn running_total() {
    let mut total = 0;
    loop {
        total += yield_!(total);
    }
}

fn main() {
    for x in running_total() {
        println!("{x}");
    }
}
