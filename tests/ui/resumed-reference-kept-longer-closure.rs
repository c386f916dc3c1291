// The resume twin of async-stream #107 in the closure form: what `yield` evaluates to lives as
// long as the resume type says, no longer.
use resumable::prelude::*;

fn main() {
    let kept = {
        let s = String::from("freed before it is read");
        let mut g = coroutine!(|first: &str| -> &'static str {
            let _ = first;
            let later: &'static str = yield ();
            later
        });
        g.send("first");
        match g.send(&s) {
            GeneratorState::Complete(kept) => kept,
            GeneratorState::Yielded(()) => unreachable!(),
        }
    };
    println!("{kept}");
}
