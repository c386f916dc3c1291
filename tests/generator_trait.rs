//! The `Generator` trait (mirroring std's `Coroutine`): generic code drives any generator, and
//! the forwarding impls for `&mut G`, `Pin<P>` and `Box<G>` resume the generator they point to.

use core::pin::Pin;

use resumable::prelude::*;

/// Resumes `g` with `()` until it completes: generic over every kind of generator.
fn drain<G: Generator<Yield = u32> + Unpin>(mut g: G) -> (Vec<u32>, G::Return) {
    let mut out = vec![];
    loop {
        match Pin::new(&mut g).resume(()) {
            GeneratorState::Yielded(y) => out.push(y),
            GeneratorState::Complete(r) => return (out, r),
        }
    }
}

#[generator(yield = u32)]
fn three() -> &'static str {
    yield_!(1);
    yield_!(2);
    yield_!(3);
    "end"
}

#[generator(yield = u32, pinned)]
fn pinned_three() -> &'static str {
    yield_!(1);
    yield_!(2);
    yield_!(3);
    "end"
}

#[test]
fn generic_code_drives_a_generator_by_value() {
    assert_eq!(drain(three()), (vec![1, 2, 3], "end"));
}

#[test]
fn mut_reference_forwards_to_the_generator() {
    let mut g = three();
    assert_eq!(g.next(), Some(1));
    assert_eq!(drain(&mut g), (vec![2, 3], "end"));
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn box_forwards_to_the_generator() {
    assert_eq!(drain(Box::new(three())), (vec![1, 2, 3], "end"));
    let boxed: Box<dyn Generator<Yield = u32, Return = &'static str> + Unpin> = Box::new(three());
    assert_eq!(drain(boxed), (vec![1, 2, 3], "end"));
}

#[test]
fn pin_forwards_to_a_pinned_generator() {
    assert_eq!(drain(Box::pin(pinned_three())), (vec![1, 2, 3], "end"));
    let g = core::pin::pin!(pinned_three());
    assert_eq!(drain(g), (vec![1, 2, 3], "end"));
}

#[test]
fn resume_through_the_trait_delivers_arguments_like_send() {
    #[generator(yield = i32, resume = i32)]
    fn add() -> i32 {
        let a = yield_!(0);
        let b = yield_!(a);
        a + b
    }
    let mut g = add();
    // No yield waits for a first value: started without one (a value would be refused).
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(Pin::new(&mut g).resume(4), GeneratorState::Yielded(4));
    assert_eq!(Pin::new(&mut g).resume(5), GeneratorState::Complete(9));
}

#[test]
fn iterator_generator_and_trait_agree_on_values() {
    let via_iter: Vec<u32> = three().collect();
    let (via_trait, _) = drain(three());
    assert_eq!(via_iter, via_trait);
}
