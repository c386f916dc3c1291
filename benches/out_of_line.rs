//! Issue 16: what users get when nothing is inlined. W1, W2 and W4 of `benches/generators.rs`
//! again, for resumable and every peer, with the generator where real programs keep it: behind
//! a trait object (`&mut dyn Iterator`, `Pin<&mut dyn Generator>`, each system's own resume
//! trait) driven by an `#[inline(never)]` function, so no consumer loop can absorb the body.
//!
//! * W1 out-of-line: yield `0..N` (u64), summed by an `#[inline(never)]` driver that holds the
//!   generator as a trait object; ns per yield.
//! * W2 out-of-line: resume with a u64, the generator yields arg + 1; the round trips run in an
//!   `#[inline(never)]` driver through a trait object; ns per round trip.
//! * W4 black-boxed: create + drain generators of 3 yields, the handle (the generator for the
//!   boxed forms, the `Pin<&mut _>` for the stack-pinned ones) passed through `black_box` so its
//!   allocation and its state cannot be elided; ns per generator.
//!
//! The trait object itself also goes through `black_box`, so link-time optimisation cannot
//! propagate a constant vtable into a driver called from one place and devirtualise the call.
//!
//! `cargo bench --bench out_of_line` for ns; `benches/out_of_line.sh` for the table with
//! callgrind instructions per operation next to the ns. That script runs this binary as
//! `out_of_line --callgrind GROUP/ROW OPS`, which performs one iteration of that row with `OPS`
//! operations and prints its result (no divan); `--list`, which prints the rows; and `--check`,
//! which checks every row computes what its group's hand-written row does.
//!
//! The hand-written and resumable rows and that command line are shared with the nightly
//! reference (`benches/nightly`): `common/out_of_line.rs`. The bodies are `benches/generators.rs`'s
//! (`common/bodies.rs`, `common/peers.rs`); `out_of_line/w*.rs` add the peers' rows.
//!
//! Debug builds (what `cargo test` runs): the `bench-o0` and `bench-o1` profiles are the `dev`
//! profile at opt-level 0 and 1, so `cargo bench --bench out_of_line --profile bench-o1 -- w1 w2`.
#![allow(clippy::unit_arg)]

use std::hint::black_box;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use divan::Bencher;
use futures_core::Stream;
use resumable::BoxGen;

/// Values per iteration in W1 and W2.
const N: u64 = 10_000;
/// Generators per iteration in W4.
const GENS: u64 = 100_000;
/// Stack size for corosensei: small, the bodies are tiny.
const STACK: usize = 16 * 1024;

/// What a row keeps between iterations: corosensei's stack, `mmap`ed once and reused (as in
/// `benches/generators.rs`), so its rows time switches, not `mmap`.
struct Env {
    stack: Option<DefaultStack>,
}

impl Env {
    fn new() -> Env {
        Env {
            stack: Some(DefaultStack::new(STACK).expect("mmap a coroutine stack")),
        }
    }
}

/// Declares a group twice: as divan benchmarks (module `$group`) and as the list of rows the
/// callgrind mode runs (`$group::ROWS`), both calling the row functions of module `$rows`.
macro_rules! group {
    ($group:ident = $rows:ident, ops = $ops:expr, samples = $samples:literal, [$($row:ident),* $(,)?]) => {
        #[divan::bench_group(sample_count = $samples)]
        mod $group {
            use super::*;

            pub const ROWS: &[(&str, common::Row)] = &[$((stringify!($row), $rows::$row)),*];

            $(
                #[divan::bench(args = [$ops])]
                fn $row(b: Bencher, ops: u64) {
                    let mut env = Env::new();
                    b.bench_local(|| $rows::$row(&mut env, black_box(ops)));
                }
            )*
        }
    };
}

#[path = "common/bodies.rs"]
mod bodies;
#[path = "common/out_of_line.rs"]
mod common;
#[path = "common/peers.rs"]
mod peers;

#[path = "out_of_line/w1.rs"]
mod w1;
#[path = "out_of_line/w2.rs"]
mod w2;
#[path = "out_of_line/w4.rs"]
mod w4;

group!(
    w1_out_of_line = w1,
    ops = N,
    samples = 500,
    [
        hand_written,
        resumable_boxed,
        resumable_boxed_iter,
        resumable_pinned,
        resumable_boxgen,
        genawaiter_stack,
        genawaiter_rc,
        next_gen,
        corosensei,
        async_stream,
    ]
);

group!(
    w2_out_of_line = w2,
    ops = N,
    samples = 500,
    [
        hand_written,
        resumable_boxed,
        resumable_pinned,
        resumable_boxgen,
        genawaiter_stack,
        genawaiter_rc,
        next_gen,
        corosensei,
    ]
);

group!(
    w4_black_boxed = w4,
    ops = GENS,
    samples = 100,
    [
        hand_written,
        resumable_boxed,
        resumable_pinned,
        genawaiter_stack,
        genawaiter_rc,
        next_gen,
        corosensei_reused_stack,
        async_stream,
    ]
);

fn main() {
    let groups: &common::Groups = &[
        ("w1_out_of_line", w1_out_of_line::ROWS),
        ("w2_out_of_line", w2_out_of_line::ROWS),
        ("w4_black_boxed", w4_black_boxed::ROWS),
    ];
    common::main(groups, divan::main);
}

// ---------------------------------------------------------------------------------------------
// Shared by the workloads: corosensei's reused stack
// ---------------------------------------------------------------------------------------------

/// Makes a corosensei coroutine on the row's reused stack.
fn coroutine<I: 'static, Y: 'static, R: 'static>(
    env: &mut Env,
    body: impl FnOnce(&Yielder<I, Y>, I) -> R + 'static,
) -> Coroutine<I, Y, R, DefaultStack> {
    Coroutine::with_stack(env.stack.take().expect("the row's stack"), body)
}

/// Gives a finished coroutine's stack back to the row.
fn give_back<I, Y, R>(env: &mut Env, c: Coroutine<I, Y, R, DefaultStack>) {
    env.stack = Some(c.into_stack());
}
