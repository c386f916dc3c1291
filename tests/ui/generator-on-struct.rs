use resumable::prelude::*;

#[generator(yield = u32)]
struct Numbers {
    n: u32,
}

fn main() {
    let _ = Numbers { n: 1 };
}
