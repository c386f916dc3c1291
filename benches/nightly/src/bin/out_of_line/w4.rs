//! W4 create + drain, each generator's handle through `black_box` so its allocation and its
//! state cannot be elided.

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::pin;

use resumable::prelude::*;
use resumable_nightly_reference::bodies::{gen_three, nightly_three, three, three_pinned};

pub const ROWS: &[(&str, crate::Row)] = &[
    ("hand_written", hand_written),
    ("resumable_boxed", resumable_boxed),
    ("resumable_pinned", resumable_pinned),
    ("nightly_boxed", nightly_boxed),
    ("nightly_pinned", nightly_pinned),
    ("nightly_boxed_gen", nightly_boxed_gen),
];

/// Hand-written: three values from `a`.
struct Three {
    a: u64,
    i: u64,
}

impl Iterator for Three {
    type Item = u64;
    #[inline]
    fn next(&mut self) -> Option<u64> {
        if self.i < 3 {
            self.i += 1;
            Some(self.a + self.i - 1)
        } else {
            None
        }
    }
}

/// Drains an iterator, summing (inlined: only the allocation is kept from the optimiser).
#[inline(always)]
fn sum(it: impl Iterator<Item = u64>) -> u64 {
    let mut sum = 0u64;
    for v in it {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

/// Drains a coroutine, summing.
#[inline(always)]
fn sum_coroutine<C: Coroutine<(), Yield = u64, Return = ()> + ?Sized>(
    mut c: std::pin::Pin<&mut C>,
) -> u64 {
    let mut sum = 0u64;
    while let CoroutineState::Yielded(v) = c.as_mut().resume(()) {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

/// Makes and drains `gens` generators with `one(a)`, which returns the sum of what the
/// generator made from `a` yielded.
#[inline(always)]
fn create_drain(gens: u64, mut one: impl FnMut(u64) -> u64) -> u64 {
    let mut total = 0u64;
    for a in 0..gens {
        total = total.wrapping_add(one(black_box(a)));
    }
    total
}

fn hand_written(gens: u64) -> u64 {
    create_drain(gens, |a| sum(black_box(Three { a, i: 0 })))
}

fn resumable_boxed(gens: u64) -> u64 {
    create_drain(gens, |a| sum(black_box(three(a))))
}

fn resumable_pinned(gens: u64) -> u64 {
    create_drain(gens, |a| {
        let g = pin!(three_pinned(a));
        let mut g = black_box(g);
        let mut sum = 0u64;
        while let GeneratorState::Yielded(v) = g.as_mut().resume(()) {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    })
}

/// The coroutine boxed (`Box::pin`), the box through `black_box`: the allocation is kept.
fn nightly_boxed(gens: u64) -> u64 {
    create_drain(gens, |a| {
        let mut c = black_box(Box::pin(nightly_three(a)));
        sum_coroutine(c.as_mut())
    })
}

/// The coroutine pinned on the stack, the `Pin<&mut _>` through `black_box` (as ours pinned).
fn nightly_pinned(gens: u64) -> u64 {
    create_drain(gens, |a| {
        let c = pin!(nightly_three(a));
        sum_coroutine(black_box(c))
    })
}

/// A boxed `gen` block through `black_box` (the "nightly boxed `gen`").
fn nightly_boxed_gen(gens: u64) -> u64 {
    create_drain(gens, |a| sum(black_box(Box::new(gen_three(a)))))
}
