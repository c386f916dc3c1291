use resumable::prelude::*;

#[generator(yield = u32)]
async fn numbers() -> u32 {
    yield_!(1);
}

fn main() {
    let _ = numbers();
}
