// A `coroutine! { .. }` block is resumed with `()`: to receive values, use the closure form.
use resumable::prelude::*;

fn main() {
    let g = coroutine! {
        let mut total = 0;
        loop {
            let x: u32 = yield total;
            total += x;
        }
    };
    let _ = g;
}
