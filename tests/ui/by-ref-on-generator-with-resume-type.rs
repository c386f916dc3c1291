// Iterator methods on a generator with a resume type: rustc names the bound that fails.
use resumable::prelude::*;

#[generator(yield = u32, resume = u32)]
fn running_total() {
    let mut total = 0;
    loop {
        total += yield_!(total);
    }
}

fn main() {
    let mut g = running_total();
    for x in g.by_ref().take(2) {
        println!("{x}");
    }
}
