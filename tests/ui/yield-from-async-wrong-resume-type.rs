use resumable::prelude::*;

#[generator(yield = u32, resume = String)]
async fn named() {
    let _ = yield_!(1);
}

#[generator(yield = u32, resume = u32)]
async fn numbers() {
    yield_from!(named());
}

fn main() {
    let _ = numbers();
}
