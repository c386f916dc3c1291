use resumable::prelude::*;

#[generator(yield = u32, resume = u32)]
async fn numbers() {
    yield_!(1);
}

fn main() {
    let _ = numbers();
}
