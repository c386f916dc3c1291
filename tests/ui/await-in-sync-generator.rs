use resumable::prelude::*;

#[generator(yield = u32)]
fn numbers() {
    std::future::ready(()).await;
    yield_!(1);
}

fn main() {
    let _ = numbers();
}
