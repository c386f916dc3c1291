//! W2 out of line: resume with a u64, the generator yields arg + 1; the round trips run in an
//! `#[inline(never)]` driver through a trait object. The hand-written and resumable rows are
//! `benches/out_of_line.rs`'s; here is the nightly one.

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::{Pin, pin};

use resumable_nightly_reference::bodies::nightly_adder;

use crate::Env;
use crate::common::w2::*;

pub const ROWS: &[(&str, crate::common::Row)] = &[
    ("hand_written", hand_written),
    ("resumable_boxed", resumable_boxed),
    ("resumable_pinned", resumable_pinned),
    ("nightly_coroutine", nightly_coroutine),
];

type DynCoroutine<'a> = dyn Coroutine<u64, Yield = u64, Return = ()> + 'a;

#[inline(never)]
fn drive_coroutine(mut c: Pin<&mut DynCoroutine<'_>>, n: u64) -> u64 {
    ping_pong(n, |x| match c.as_mut().resume(x) {
        CoroutineState::Yielded(v) => v,
        CoroutineState::Complete(()) => unreachable!("the adder never returns"),
    })
}

/// Primed as ours are: the first resume binds the closure's parameter and runs to the yield.
fn nightly_coroutine(_: &mut Env, n: u64) -> u64 {
    let mut c = pin!(nightly_adder());
    c.as_mut().resume(0);
    drive_coroutine(black_box(c), n)
}
