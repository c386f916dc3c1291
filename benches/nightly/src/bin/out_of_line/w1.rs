//! W1 out of line: `0..N` summed by an `#[inline(never)]` driver that holds the generator as
//! a trait object (itself through `black_box`, so no constant vtable reaches the driver).

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::{Pin, pin};

use resumable::prelude::*;
use resumable_nightly_reference::bodies::{count, count_pinned, gen_count, nightly_count};

pub const ROWS: &[(&str, crate::Row)] = &[
    ("hand_written", hand_written),
    ("resumable_boxed", resumable_boxed),
    ("resumable_pinned", resumable_pinned),
    ("nightly_coroutine", nightly_coroutine),
    ("nightly_gen", nightly_gen),
];

/// Hand-written: the least a value costs through an indirect call.
struct Count {
    i: u64,
    n: u64,
}

impl Iterator for Count {
    type Item = u64;
    #[inline]
    fn next(&mut self) -> Option<u64> {
        if self.i < self.n {
            self.i += 1;
            Some(self.i - 1)
        } else {
            None
        }
    }
}

#[inline(never)]
fn drain_iter(it: &mut dyn Iterator<Item = u64>) -> u64 {
    let mut sum = 0u64;
    for v in it {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

type DynGen<'a> = dyn Generator<(), Yield = u64, Return = ()> + 'a;

#[inline(never)]
fn drain_gen(mut g: Pin<&mut DynGen<'_>>) -> u64 {
    let mut sum = 0u64;
    while let GeneratorState::Yielded(v) = g.as_mut().resume(()) {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

type DynCoroutine<'a> = dyn Coroutine<(), Yield = u64, Return = ()> + 'a;

#[inline(never)]
fn drain_coroutine(mut c: Pin<&mut DynCoroutine<'_>>) -> u64 {
    let mut sum = 0u64;
    while let CoroutineState::Yielded(v) = c.as_mut().resume(()) {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

fn hand_written(n: u64) -> u64 {
    let mut it = Count { i: 0, n };
    drain_iter(black_box(&mut it))
}

fn resumable_boxed(n: u64) -> u64 {
    let mut g = count(n);
    let g = Pin::new(&mut g);
    let g: Pin<&mut DynGen> = g;
    drain_gen(black_box(g))
}

fn resumable_pinned(n: u64) -> u64 {
    let g: Pin<&mut DynGen> = pin!(count_pinned(n));
    drain_gen(black_box(g))
}

fn nightly_coroutine(n: u64) -> u64 {
    let c: Pin<&mut DynCoroutine> = pin!(nightly_count(n));
    drain_coroutine(black_box(c))
}

/// A `gen` block is an iterator: through `&mut dyn Iterator`, as the hand-written one.
fn nightly_gen(n: u64) -> u64 {
    let mut g = gen_count(n);
    drain_iter(black_box(&mut g))
}
