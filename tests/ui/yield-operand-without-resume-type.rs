// A yield used as a number in a generator without a resume type: it evaluates to `()`.
use resumable::prelude::*;

#[generator(yield = f64)]
fn running_total() {
    let mut total = 0.0;
    loop {
        total += yield_!(total);
    }
}

fn main() {
    let _ = running_total();
}
