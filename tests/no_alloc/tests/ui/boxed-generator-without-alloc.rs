// Without the `alloc` feature the default forms, which box the generator's body, are refused
// once each, saying to use the pinned form or enable `alloc`.
use resumable::prelude::*;

#[generator(yield = u32)]
fn numbers() {
    yield_!(1);
}

#[generator(yield = u32)]
async fn stream() {
    yield_!(1);
}

fn main() {
    for x in numbers() {
        println!("{x}");
    }
    let _ = stream();
    let inline = coroutine! { yield 1u32; };
    let _ = inline;
}
