// The resume twin of async-stream #107: a generator resumed with `&'a str` may not keep what it
// receives as a `&'static str`.
use resumable::prelude::*;

#[generator(yield = (), resume = &'a str)]
fn keeper<'a>() -> &'static str {
    yield_!(())
}

fn main() {
    let kept = {
        let s = String::from("freed before it is read");
        let mut g = keeper();
        g.start();
        match g.send(&s) {
            GeneratorState::Complete(kept) => kept,
            GeneratorState::Yielded(()) => unreachable!(),
        }
    };
    println!("{kept}");
}
