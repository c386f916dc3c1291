use resumable::prelude::*;

#[generator(yield = u32, resume = u32)]
async fn doubler() {
    let mut x = yield_!(0);
    loop {
        x = yield_!(x * 2);
    }
}

fn main() {
    let mut g = doubler();
    let _ = g.next();
}
