//! W1 out of line: `0..N` summed by an `#[inline(never)]` driver that holds the generator as
//! a trait object (itself through `black_box`, so no constant vtable reaches the driver). The
//! hand-written and resumable rows are `benches/out_of_line.rs`'s; here are the nightly ones.

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::{Pin, pin};

use resumable_nightly_reference::bodies::{gen_count, nightly_count};

use crate::Env;
use crate::common::w1::*;

pub const ROWS: &[(&str, crate::common::Row)] = &[
    ("hand_written", hand_written),
    ("resumable_boxed", resumable_boxed),
    ("resumable_pinned", resumable_pinned),
    ("nightly_coroutine", nightly_coroutine),
    ("nightly_gen", nightly_gen),
];

type DynCoroutine<'a> = dyn Coroutine<(), Yield = u64, Return = ()> + 'a;

#[inline(never)]
fn drain_coroutine(mut c: Pin<&mut DynCoroutine<'_>>) -> u64 {
    let mut sum = 0u64;
    while let CoroutineState::Yielded(v) = c.as_mut().resume(()) {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

fn nightly_coroutine(_: &mut Env, n: u64) -> u64 {
    let c: Pin<&mut DynCoroutine> = pin!(nightly_count(n));
    drain_coroutine(black_box(c))
}

/// A `gen` block is an iterator: through `&mut dyn Iterator`, as the hand-written one.
fn nightly_gen(_: &mut Env, n: u64) -> u64 {
    let mut g = gen_count(n);
    drain_iter(black_box(&mut g))
}
