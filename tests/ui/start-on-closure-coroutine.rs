// A closure-form coroutine binds its first resume argument, so it cannot be started without
// one: start it with `send(arg)`.
use resumable::prelude::*;

fn main() {
    let mut g = coroutine!(|x: u32| {
        yield x;
    });
    g.start();
}
