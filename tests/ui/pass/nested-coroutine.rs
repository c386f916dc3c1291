use resumable::prelude::*;

#[generator(yield = u32)]
fn outer() -> u32 {
    // The inner generator's `yield` belongs to it, not to `outer`.
    let inner = coroutine! {
        yield 10;
        yield 20;
    };
    let mut sum = 0;
    for v in inner {
        sum += v;
        yield_!(v + 1);
    }
    let doubler = coroutine!(|x: u32| {
        let y = yield x * 2;
        y
    });
    drop(doubler);
    sum
}

fn main() {
    let mut g = outer();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [11, 21]);
    assert_eq!(g.take_return(), Some(30));
}
