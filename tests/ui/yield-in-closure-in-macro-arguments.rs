// A `yield_!` in a closure among another macro's arguments (ones that are not a plain list of
// expressions, so the rewrite reads them token by token): a closure cannot suspend the generator.
use resumable::prelude::*;

macro_rules! arm {
    (=> $body:block) => {
        $body
    };
}

#[generator(yield = u64)]
fn outer() {
    arm!(=> {
        let f = |x: u64| yield_!(x);
        f(1);
    });
}

fn main() {}
