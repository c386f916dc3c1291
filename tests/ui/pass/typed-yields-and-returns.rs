// What the diagnostics of yields and return types must not refuse: `()` written out, an alias
// of `()`, bodies that end by diverging, delegation whose types are inferred from either side.
#![deny(warnings)]
use resumable::prelude::*;

type Unit = ();

#[generator(yield = u32)]
fn units() -> Unit {
    let () = yield_!(1);
    let _unit: () = yield_!(2);
    let _alias: Unit = yield_!(3);
    let any: _ = yield_!(4);
    let () = any;
    if yield_!(5) == () {
        return;
    }
}

#[generator(yield = u32)]
fn returns_early(n: u32) -> String {
    yield_!(n);
    return String::from("early");
}

#[generator(yield = u32)]
fn exits(n: u32) -> String {
    yield_!(n);
    std::process::exit(0);
}

#[generator(yield = u32)]
fn panics(n: u32) -> String {
    yield_!(n);
    panic!("never returns a value");
}

#[generator(yield = u32)]
fn tail(n: u32) -> u32 {
    let mut total = n;
    yield_!(n);
    total += 1;
    total
}

#[generator(yield = u32, resume = u32)]
fn infers_the_subgenerators_types() -> u32 {
    // The coroutine's resume type is inferred from this generator's, its yield type from `x`.
    let sum = yield_from!(
        coroutine!(|x| {
            let y = yield x;
            x + y
        }),
        1
    );
    sum
}

#[generator(yield = u32)]
fn delegates_to_an_empty_iterator() {
    yield_from!(resumable::from_iter(std::iter::empty()));
}

fn main() {
    assert_eq!(units().collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    let mut g = returns_early(1);
    assert_eq!(g.next(), Some(1));
    assert_eq!(g.next(), None);
    assert_eq!(g.take_return().as_deref(), Some("early"));
    let _ = (exits(1), panics(1));
    assert_eq!(tail(1).count(), 1);
    let mut h = infers_the_subgenerators_types();
    assert_eq!(h.start(), GeneratorState::Yielded(1));
    assert_eq!(h.send(2), GeneratorState::Complete(3));
    assert_eq!(delegates_to_an_empty_iterator().count(), 0);
}
