//! W4 create + drain, each generator's handle through `black_box` so its allocation and its
//! state cannot be elided. The hand-written and resumable rows are `benches/out_of_line.rs`'s;
//! here are the nightly ones.

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::{Pin, pin};

use resumable_nightly_reference::bodies::{gen_three, nightly_three};

use crate::Env;
use crate::common::w4::*;

pub const ROWS: &[(&str, crate::common::Row)] = &[
    ("hand_written", hand_written),
    ("resumable_boxed", resumable_boxed),
    ("resumable_pinned", resumable_pinned),
    ("nightly_boxed", nightly_boxed),
    ("nightly_pinned", nightly_pinned),
    ("nightly_boxed_gen", nightly_boxed_gen),
];

/// Drains a coroutine, summing.
#[inline(always)]
fn sum_coroutine<C: Coroutine<(), Yield = u64, Return = ()> + ?Sized>(mut c: Pin<&mut C>) -> u64 {
    let mut sum = 0u64;
    while let CoroutineState::Yielded(v) = c.as_mut().resume(()) {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

/// The coroutine boxed (`Box::pin`), the box through `black_box`: the allocation is kept.
fn nightly_boxed(_: &mut Env, gens: u64) -> u64 {
    create_drain(gens, |a| {
        let mut c = black_box(Box::pin(nightly_three(a)));
        sum_coroutine(c.as_mut())
    })
}

/// The coroutine pinned on the stack, the `Pin<&mut _>` through `black_box` (as ours pinned).
fn nightly_pinned(_: &mut Env, gens: u64) -> u64 {
    create_drain(gens, |a| {
        let c = pin!(nightly_three(a));
        sum_coroutine(black_box(c))
    })
}

/// A boxed `gen` block through `black_box` (the "nightly boxed `gen`").
fn nightly_boxed_gen(_: &mut Env, gens: u64) -> u64 {
    create_drain(gens, |a| sum(black_box(Box::new(gen_three(a)))))
}
