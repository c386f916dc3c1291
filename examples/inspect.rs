//! `inspect`: watching a generator's life with `state()` and `suspended_at()` —
//! Python's `inspect.getgeneratorstate(g)` and `g.gi_frame.f_lineno`.
//!
//! Run with `cargo run --example inspect`.
use resumable::prelude::*;

#[generator(yield = &'static str)]
fn steps() -> u32 {
    yield_!("first");
    for _ in 0..2 {
        yield_!("in the loop");
    }
    yield_from!(inner());
    7
}

#[generator(yield = &'static str)]
fn inner() {
    yield_!("inside a subgenerator");
}

fn show<G: std::fmt::Debug>(what: &str, g: &G) {
    println!("{what:<32} {g:?}");
}

fn main() {
    let mut g = steps();
    show("made:", &g);
    while let GeneratorState::Yielded(value) = g.send(()) {
        let at = g
            .suspended_at()
            .expect("a suspended generator knows where it is");
        println!(
            "yielded {value:<22} state={:?} at line {} col {}",
            g.state(),
            at.line(),
            at.column()
        );
    }
    show("returned:", &g);

    let mut poisoned = coroutine! {
        yield 1;
        panic!("the body failed");
    };
    poisoned.send(());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poisoned.send(())));
    std::panic::set_hook(hook);
    println!(
        "\na body that panics: resume panicked = {}",
        caught.is_err()
    );
    show("after the panic:", &poisoned);
    println!("try_send(()) now -> {:?}", poisoned.try_send(()));
}
