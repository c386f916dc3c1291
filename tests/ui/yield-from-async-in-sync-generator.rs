use resumable::prelude::*;

#[generator(yield = u32)]
async fn ticks() {
    yield_!(1);
}

#[generator(yield = u32)]
fn numbers() {
    yield_from!(ticks());
}

fn main() {
    let _ = numbers();
}
