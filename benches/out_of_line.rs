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
use resumable::prelude::*;
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

/// One iteration of a row: `ops` operations, returning what the consumer computed.
type Row = fn(&mut Env, u64) -> u64;

/// Declares a group twice: as divan benchmarks (module `$group`) and as the list of rows the
/// callgrind mode runs (`$group::ROWS`), both calling the row functions of module `$rows`.
macro_rules! group {
    ($group:ident = $rows:ident, ops = $ops:expr, samples = $samples:literal, [$($row:ident),* $(,)?]) => {
        #[divan::bench_group(sample_count = $samples)]
        mod $group {
            use super::*;

            pub const ROWS: &[(&str, Row)] = &[$((stringify!($row), $rows::$row)),*];

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

/// Every row, named `group/row` as divan names them.
fn rows() -> impl Iterator<Item = (String, Row)> {
    [
        ("w1_out_of_line", w1_out_of_line::ROWS),
        ("w2_out_of_line", w2_out_of_line::ROWS),
        ("w4_black_boxed", w4_black_boxed::ROWS),
    ]
    .into_iter()
    .flat_map(|(group, rows)| {
        rows.iter()
            .map(move |&(row, f)| (format!("{group}/{row}"), f))
    })
}

/// Runs every row with a few operations and checks it computes what its group's hand-written
/// row computes (so no row measures less work than the others).
fn check() {
    let mut expected = std::collections::HashMap::new();
    for (name, row) in rows() {
        let (group, _) = name.split_once('/').expect("group/row");
        let got = row(&mut Env::new(), 1000);
        let want = *expected.entry(group.to_owned()).or_insert(got);
        assert_eq!(
            got, want,
            "{name} computes {got}, the hand-written row {want}"
        );
    }
    println!("every row computes its group's hand-written result");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--list") => rows().for_each(|(name, _)| println!("{name}")),
        Some("--check") => check(),
        Some("--callgrind") => {
            let [_, name, ops] = &args[..] else {
                panic!("usage: out_of_line --callgrind GROUP/ROW OPS");
            };
            let ops: u64 = ops.parse().expect("OPS is a number");
            let (_, row) = rows()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no row {name:?} (see --list)"));
            let mut env = Env::new();
            println!("{}", row(&mut env, ops));
        }
        _ => divan::main(),
    }
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
