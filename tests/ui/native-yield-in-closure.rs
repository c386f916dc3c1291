use resumable::prelude::*;

fn main() {
    let _ = coroutine! {
        let f = |x: u32| {
            yield x;
        };
        f(1);
    };
}
