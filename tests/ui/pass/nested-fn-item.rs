use resumable::prelude::*;

#[generator(yield = u32)]
fn squares(n: u32) {
    // A nested item is a function of its own, left as written.
    fn square(x: u32) -> u32 {
        x * x
    }
    const LIMIT: u32 = 100;
    for i in 0..n {
        let s = square(i);
        if s < LIMIT {
            yield_!(s);
        }
    }
}

fn main() {
    assert_eq!(squares(4).collect::<Vec<_>>(), [0, 1, 4, 9]);
}
