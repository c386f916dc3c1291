// A generator cannot be a `const fn` or have an ABI: one error each, and the uses of the
// functions are not reported again.
use resumable::prelude::*;

#[generator(yield = u32)]
const fn numbers() {
    yield_!(1);
}

#[generator(yield = u32)]
extern "C" fn others() {
    yield_!(1);
}

fn main() {
    for x in numbers() {
        println!("{x}");
    }
    for x in others() {
        println!("{x}");
    }
}
