use resumable::prelude::*;

#[generator(yield = u32)]
fn evens(v: Vec<u32>) {
    // Closures and async blocks that do not yield are fine inside a generator.
    let is_even = |x: &&u32| **x % 2 == 0;
    let fut = async { 1 };
    drop(fut);
    for x in v.iter().filter(is_even) {
        yield_!(*x);
    }
}

fn main() {
    assert_eq!(evens(vec![1, 2, 3, 4]).collect::<Vec<_>>(), [2, 4]);
}
