use resumable::prelude::*;

struct Stop;

#[generator(yield = u32, throw = Stop)]
async fn numbers() {
    yield_!(1);
}

fn main() {
    let _ = numbers();
}
