//! W2 out of line: resume with a u64, the generator yields arg + 1; the round trips run in an
//! `#[inline(never)]` driver through a trait object.

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::{Pin, pin};

use resumable::prelude::*;
use resumable_nightly_reference::bodies::{adder, adder_pinned, nightly_adder};

pub const ROWS: &[(&str, crate::Row)] = &[
    ("hand_written", hand_written),
    ("resumable_boxed", resumable_boxed),
    ("resumable_pinned", resumable_pinned),
    ("nightly_coroutine", nightly_coroutine),
];

/// Hand-written: a state machine that answers `arg + 1`, behind the same trait object as ours.
struct Adder;

impl Generator<u64> for Adder {
    type Yield = u64;
    type Return = ();
    #[inline]
    fn resume(self: Pin<&mut Self>, arg: u64) -> GeneratorState<u64, ()> {
        GeneratorState::Yielded(arg + 1)
    }
}

/// `n` round trips through `resume`, each sending the last answer; the generator has been
/// primed.
#[inline(always)]
fn ping_pong(n: u64, mut resume: impl FnMut(u64) -> u64) -> u64 {
    let mut x = 0;
    for _ in 0..n {
        x = black_box(resume(x));
    }
    assert_eq!(x, n);
    x
}

type DynGen<'a> = dyn Generator<u64, Yield = u64, Return = ()> + 'a;

#[inline(never)]
fn drive_gen(mut g: Pin<&mut DynGen<'_>>, n: u64) -> u64 {
    ping_pong(n, |x| match g.as_mut().resume(x) {
        GeneratorState::Yielded(v) => v,
        GeneratorState::Complete(()) => unreachable!("the adder never returns"),
    })
}

type DynCoroutine<'a> = dyn Coroutine<u64, Yield = u64, Return = ()> + 'a;

#[inline(never)]
fn drive_coroutine(mut c: Pin<&mut DynCoroutine<'_>>, n: u64) -> u64 {
    ping_pong(n, |x| match c.as_mut().resume(x) {
        CoroutineState::Yielded(v) => v,
        CoroutineState::Complete(()) => unreachable!("the adder never returns"),
    })
}

fn hand_written(n: u64) -> u64 {
    let mut g = Adder;
    let g = Pin::new(&mut g);
    let g: Pin<&mut DynGen> = g;
    drive_gen(black_box(g), n)
}

fn resumable_boxed(n: u64) -> u64 {
    let mut g = adder();
    g.start();
    let g = Pin::new(&mut g);
    let g: Pin<&mut DynGen> = g;
    drive_gen(black_box(g), n)
}

fn resumable_pinned(n: u64) -> u64 {
    let mut g = pin!(adder_pinned());
    g.as_mut().start();
    drive_gen(black_box(g), n)
}

/// Primed as ours are: the first resume binds the closure's parameter and runs to the yield.
fn nightly_coroutine(n: u64) -> u64 {
    let mut c = pin!(nightly_adder());
    c.as_mut().resume(0);
    drive_coroutine(black_box(c), n)
}
