// `!` cannot be a generator's return type on stable Rust.
use resumable::prelude::*;

#[generator(yield = u32)]
fn forever() -> ! {
    let mut n = 0;
    loop {
        yield_!(n);
        n += 1;
    }
}

fn main() {
    let _ = forever();
}
