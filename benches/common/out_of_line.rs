//! The out-of-line rows both `benches/out_of_line.rs` and the nightly reference
//! (`benches/nightly`, `src/bin/out_of_line/`) run: the hand-written and resumable rows of W1,
//! W2 and W4 with their drivers, and the command line that `benches/out_of_line.sh` and
//! `benches/nightly/run.sh` run a binary with. Each includes this file with
//! `#[path = ...] mod ...;` and adds its own rows (the peers; nightly's coroutines) to each
//! group; the bodies and the hand-written iterators come from `crate::bodies` (`bodies.rs`).
//!
//! A row takes what it keeps between iterations, the includer's `crate::Env` (corosensei's
//! stack in `benches/out_of_line.rs`, nothing in the nightly crate), made by `Env::new()`. The
//! rows are not generic over it: a generic row is inlined differently (W4's resumable rows took
//! 10% more instructions), and these must be the same code in both binaries.

use crate::Env;

/// One iteration of a row: `ops` operations, returning what the consumer computed.
pub type Row = fn(&mut Env, u64) -> u64;

/// Every group's rows: `(group, [(row, function)])`, named as divan names them.
pub type Groups<'a> = [(&'a str, &'a [(&'a str, Row)])];

/// Every row, named `group/row`.
fn rows<'a>(groups: &'a Groups<'a>) -> impl Iterator<Item = (String, Row)> + 'a {
    groups.iter().flat_map(|&(group, rows)| {
        rows.iter()
            .map(move |&(row, f)| (format!("{group}/{row}"), f))
    })
}

/// Runs every row with a few operations and checks it computes what its group's hand-written
/// row computes (so no row measures less work than the others).
fn check(groups: &Groups) {
    let mut expected = std::collections::HashMap::new();
    for (name, row) in rows(groups) {
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

/// The command line: `--list` prints the rows; `--check` checks every row computes what its
/// group's hand-written row does; `--callgrind GROUP/ROW OPS` performs one iteration of that row
/// with `OPS` operations and prints its result. Anything else runs `otherwise`.
pub fn main(groups: &Groups, otherwise: impl FnOnce()) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--list") => rows(groups).for_each(|(name, _)| println!("{name}")),
        Some("--check") => check(groups),
        Some("--callgrind") => {
            let [_, name, ops] = &args[..] else {
                panic!("usage: out_of_line --callgrind GROUP/ROW OPS");
            };
            let ops: u64 = ops.parse().expect("OPS is a number");
            let (_, row) = rows(groups)
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no row {name:?} (see --list)"));
            let mut env = Env::new();
            println!("{}", row(&mut env, ops));
        }
        _ => otherwise(),
    }
}

/// W1 out of line: `0..N` summed by an `#[inline(never)]` driver that holds the generator as a
/// trait object.
pub mod w1 {
    use std::hint::black_box;
    use std::pin::Pin;

    use crate::bodies::Count;
    use crate::bodies::{count, count_pinned};
    use resumable::prelude::*;

    use super::Env;

    #[inline(never)]
    pub fn drain_iter(it: &mut dyn Iterator<Item = u64>) -> u64 {
        let mut sum = 0u64;
        for v in it {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    }

    pub type DynGen<'a> = dyn Generator<(), Yield = u64, Return = ()> + 'a;

    #[inline(never)]
    pub fn drain_gen(g: Pin<&mut DynGen<'_>>) -> u64 {
        let mut g = g;
        let mut sum = 0u64;
        while let GeneratorState::Yielded(v) = g.as_mut().resume(()) {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    }

    /// The least a value costs through an indirect call.
    pub fn hand_written(_: &mut Env, n: u64) -> u64 {
        let mut it = Count { i: 0, n };
        drain_iter(black_box(&mut it))
    }

    pub fn resumable_boxed(_: &mut Env, n: u64) -> u64 {
        let mut g = count(n);
        let g = Pin::new(&mut g);
        let g: Pin<&mut DynGen> = g;
        drain_gen(black_box(g))
    }

    pub fn resumable_pinned(_: &mut Env, n: u64) -> u64 {
        let g = std::pin::pin!(count_pinned(n));
        drain_gen(black_box(g))
    }
}

/// W2 out of line: resume with a u64, the generator yields arg + 1; the round trips run in an
/// `#[inline(never)]` driver through a trait object.
pub mod w2 {
    use std::hint::black_box;
    use std::pin::Pin;

    use crate::bodies::{adder, adder_pinned};
    use resumable::prelude::*;

    use super::Env;

    /// Hand-written: a state machine that answers `arg + 1`, behind the same trait object as
    /// ours.
    pub struct Adder;

    impl Generator<u64> for Adder {
        type Yield = u64;
        type Return = ();
        #[inline]
        fn resume(self: Pin<&mut Self>, arg: u64) -> GeneratorState<u64, ()> {
            GeneratorState::Yielded(arg + 1)
        }
    }

    pub fn yielded<Y, R>(s: GeneratorState<Y, R>) -> Y {
        match s {
            GeneratorState::Yielded(y) => y,
            GeneratorState::Complete(_) => unreachable!("the adder never returns"),
        }
    }

    /// `n` round trips through `resume`, each sending the last answer; the generator has been
    /// primed.
    #[inline(always)]
    pub fn ping_pong(n: u64, mut resume: impl FnMut(u64) -> u64) -> u64 {
        let mut x = 0;
        for _ in 0..n {
            x = black_box(resume(x));
        }
        assert_eq!(x, n);
        x
    }

    pub type DynGen<'a> = dyn Generator<u64, Yield = u64, Return = ()> + 'a;

    #[inline(never)]
    pub fn drive_gen(g: Pin<&mut DynGen<'_>>, n: u64) -> u64 {
        let mut g = g;
        ping_pong(n, |x| yielded(g.as_mut().resume(x)))
    }

    pub fn hand_written(_: &mut Env, n: u64) -> u64 {
        let mut g = Adder;
        let g = Pin::new(&mut g);
        let g: Pin<&mut DynGen> = g;
        drive_gen(black_box(g), n)
    }

    pub fn resumable_boxed(_: &mut Env, n: u64) -> u64 {
        let mut g = adder();
        g.start();
        let g = Pin::new(&mut g);
        let g: Pin<&mut DynGen> = g;
        drive_gen(black_box(g), n)
    }

    pub fn resumable_pinned(_: &mut Env, n: u64) -> u64 {
        let mut g = std::pin::pin!(adder_pinned());
        g.as_mut().start();
        drive_gen(black_box(g), n)
    }
}

/// W4 create + drain, the handle through `black_box` so the allocation and the state stay.
pub mod w4 {
    use std::hint::black_box;

    use crate::bodies::Three;
    use crate::bodies::{three, three_pinned};
    use resumable::prelude::*;

    use super::Env;

    /// Drains an iterator, summing (inlined: here only the allocation is kept from the
    /// optimiser, as in the measurement).
    #[inline(always)]
    pub fn sum(it: impl Iterator<Item = u64>) -> u64 {
        let mut sum = 0u64;
        for v in it {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    }

    /// Makes and drains `gens` generators with `one(a)`, which returns the sum of what the
    /// generator made from `a` yielded.
    #[inline(always)]
    pub fn create_drain(gens: u64, mut one: impl FnMut(u64) -> u64) -> u64 {
        let mut total = 0u64;
        for a in 0..gens {
            total = total.wrapping_add(one(black_box(a)));
        }
        total
    }

    pub fn hand_written(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| sum(black_box(Three { a, i: 0 })))
    }

    pub fn resumable_boxed(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| sum(black_box(three(a))))
    }

    pub fn resumable_pinned(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| {
            let g = std::pin::pin!(three_pinned(a));
            let mut g = black_box(g);
            let mut sum = 0u64;
            while let GeneratorState::Yielded(v) = g.as_mut().resume(()) {
                sum = sum.wrapping_add(black_box(v));
            }
            sum
        })
    }
}
