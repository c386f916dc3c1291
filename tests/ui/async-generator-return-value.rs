use resumable::prelude::*;

#[generator(yield = u32)]
async fn numbers(n: u32) {
    if n == 0 {
        return 5;
    }
    yield_!(n);
}

fn main() {
    let _ = numbers(1);
}
