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
// Out-of-line drivers, one per resume trait (shared by W1 and W2)
// ---------------------------------------------------------------------------------------------

fn yielded<Y, R>(s: GeneratorState<Y, R>) -> Y {
    match s {
        GeneratorState::Yielded(y) => y,
        GeneratorState::Complete(_) => unreachable!("the adder never returns"),
    }
}

/// Polls a stream to its end with a no-op waker (the stream never waits), summing.
#[inline(never)]
fn drain_stream(s: Pin<&mut dyn Stream<Item = u64>>) -> u64 {
    let mut s = s;
    let mut cx = Context::from_waker(Waker::noop());
    let mut sum = 0u64;
    loop {
        match s.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(v)) => sum = sum.wrapping_add(black_box(v)),
            Poll::Ready(None) => return sum,
            Poll::Pending => unreachable!("a synchronous stream never waits"),
        }
    }
}

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

/// A corosensei coroutine's values, summed; the switch itself is never inlined (it is a stack
/// switch in assembly), the driver is kept out of line like the others.
#[inline(never)]
fn drain_coro(c: &mut Coroutine<(), u64, (), DefaultStack>) -> u64 {
    let mut sum = 0u64;
    while let CoroutineResult::Yield(v) = c.resume(()) {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

// ---------------------------------------------------------------------------------------------
// W1 iterate, out of line
// ---------------------------------------------------------------------------------------------

mod w1 {
    use super::*;

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

    #[generator(yield = u64)]
    fn count(n: u64) {
        for i in 0..n {
            yield_!(i);
        }
    }

    #[generator(yield = u64, pinned)]
    fn count_pinned(n: u64) {
        for i in 0..n {
            yield_!(i);
        }
    }

    async fn count_genawaiter_stack(n: u64, co: genawaiter::stack::Co<'_, u64>) {
        for i in 0..n {
            co.yield_(i).await;
        }
    }

    #[next_gen::generator(yield(u64))]
    fn count_next_gen(n: u64) {
        for i in 0..n {
            yield_!(i);
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
    fn drain_gen(g: Pin<&mut DynGen<'_>>) -> u64 {
        let mut g = g;
        let mut sum = 0u64;
        while let GeneratorState::Yielded(v) = g.as_mut().resume(()) {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    }

    /// A [`BoxGen`] is already type-erased: the driver takes it as users name it.
    #[inline(never)]
    fn drain_boxgen(g: &mut BoxGen<'_, u64>) -> u64 {
        let mut sum = 0u64;
        for v in g {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    }

    type GaGen<'a> = dyn genawaiter::Generator<Yield = u64, Return = ()> + 'a;

    #[inline(never)]
    fn drain_genawaiter(g: Pin<&mut GaGen<'_>>) -> u64 {
        let mut g = g;
        let mut sum = 0u64;
        while let genawaiter::GeneratorState::Yielded(v) = g.as_mut().resume() {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    }

    type NgGen<'a> = dyn next_gen::generator::Generator<(), Yield = u64, Return = ()> + 'a;

    #[inline(never)]
    fn drain_next_gen(g: Pin<&mut NgGen<'_>>) -> u64 {
        let mut g = g;
        let mut sum = 0u64;
        while let next_gen::generator::GeneratorState::Yielded(v) = g.as_mut().resume(()) {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    }

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

    /// The boxed generator as users iterate it: `Iterator::next` through `&mut dyn Iterator`.
    pub fn resumable_boxed_iter(_: &mut Env, n: u64) -> u64 {
        let mut g = count(n);
        drain_iter(black_box(&mut g))
    }

    pub fn resumable_pinned(_: &mut Env, n: u64) -> u64 {
        let g = pin!(count_pinned(n));
        drain_gen(black_box(g))
    }

    pub fn resumable_boxgen(_: &mut Env, n: u64) -> u64 {
        let mut g = count(n).boxed();
        drain_boxgen(black_box(&mut g))
    }

    pub fn genawaiter_stack(_: &mut Env, n: u64) -> u64 {
        genawaiter::stack::let_gen_using!(g, |co| count_genawaiter_stack(n, co));
        let g = Pin::new(g);
        let g: Pin<&mut GaGen> = g;
        drain_genawaiter(black_box(g))
    }

    pub fn genawaiter_rc(_: &mut Env, n: u64) -> u64 {
        let mut g = genawaiter::rc::Gen::new(move |co| async move {
            for i in 0..n {
                co.yield_(i).await;
            }
        });
        let g = Pin::new(&mut g);
        let g: Pin<&mut GaGen> = g;
        drain_genawaiter(black_box(g))
    }

    pub fn next_gen(_: &mut Env, n: u64) -> u64 {
        next_gen::mk_gen!(let g = count_next_gen(n));
        drain_next_gen(black_box(g))
    }

    pub fn corosensei(env: &mut Env, n: u64) -> u64 {
        let mut c = coroutine(env, move |y: &Yielder<(), u64>, ()| {
            for i in 0..n {
                y.suspend(i);
            }
        });
        let sum = drain_coro(black_box(&mut c));
        give_back(env, c);
        sum
    }

    pub fn async_stream(_: &mut Env, n: u64) -> u64 {
        let s = pin!(async_stream::stream! {
            for i in 0..n {
                yield i;
            }
        });
        drain_stream(black_box(s))
    }
}

// ---------------------------------------------------------------------------------------------
// W2 ping-pong, out of line
// ---------------------------------------------------------------------------------------------

mod w2 {
    use super::*;

    /// Hand-written: a state machine that answers `arg + 1`, behind the same trait object as
    /// ours.
    struct Adder;

    impl Generator<u64> for Adder {
        type Yield = u64;
        type Return = ();
        #[inline]
        fn resume(self: Pin<&mut Self>, arg: u64) -> GeneratorState<u64, ()> {
            GeneratorState::Yielded(arg + 1)
        }
    }

    #[generator(yield = u64, resume = u64)]
    fn adder() {
        let mut x = 0;
        loop {
            x = yield_!(x + 1);
        }
    }

    #[generator(yield = u64, resume = u64, pinned)]
    fn adder_pinned() {
        let mut x = 0;
        loop {
            x = yield_!(x + 1);
        }
    }

    async fn adder_genawaiter_stack(co: genawaiter::stack::Co<'_, u64, u64>) {
        let mut x = 0;
        loop {
            x = co.yield_(x + 1).await;
        }
    }

    #[next_gen::generator(yield(u64), resume(u64))]
    fn adder_next_gen() {
        let mut x = 0;
        loop {
            x = yield_!(x + 1);
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
    fn drive_gen(g: Pin<&mut DynGen<'_>>, n: u64) -> u64 {
        let mut g = g;
        ping_pong(n, |x| yielded(g.as_mut().resume(x)))
    }

    #[inline(never)]
    fn drive_boxgen(g: &mut BoxGen<'_, u64, u64>, n: u64) -> u64 {
        ping_pong(n, |x| yielded(g.send(x)))
    }

    type GaCo<'a> = dyn genawaiter::Coroutine<Yield = u64, Resume = u64, Return = ()> + 'a;

    #[inline(never)]
    fn drive_genawaiter(g: Pin<&mut GaCo<'_>>, n: u64) -> u64 {
        let mut g = g;
        ping_pong(n, |x| match g.as_mut().resume_with(x) {
            genawaiter::GeneratorState::Yielded(v) => v,
            genawaiter::GeneratorState::Complete(()) => unreachable!("the adder never returns"),
        })
    }

    type NgGen<'a> = dyn next_gen::generator::Generator<u64, Yield = u64, Return = ()> + 'a;

    #[inline(never)]
    fn drive_next_gen(g: Pin<&mut NgGen<'_>>, n: u64) -> u64 {
        let mut g = g;
        ping_pong(n, |x| match g.as_mut().resume(x) {
            next_gen::generator::GeneratorState::Yielded(v) => v,
            next_gen::generator::GeneratorState::Returned(()) => unreachable!("never returns"),
        })
    }

    #[inline(never)]
    fn drive_coro(c: &mut Coroutine<u64, u64, (), DefaultStack>, n: u64) -> u64 {
        ping_pong(n, |x| match c.resume(x) {
            CoroutineResult::Yield(v) => v,
            CoroutineResult::Return(()) => unreachable!("the adder never returns"),
        })
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
        let mut g = pin!(adder_pinned());
        g.as_mut().start();
        drive_gen(black_box(g), n)
    }

    pub fn resumable_boxgen(_: &mut Env, n: u64) -> u64 {
        let mut g = adder().boxed();
        g.start();
        drive_boxgen(black_box(&mut g), n)
    }

    pub fn genawaiter_stack(_: &mut Env, n: u64) -> u64 {
        genawaiter::stack::let_gen_using!(g, adder_genawaiter_stack);
        g.resume_with(0);
        let g = Pin::new(g);
        let g: Pin<&mut GaCo> = g;
        drive_genawaiter(black_box(g), n)
    }

    pub fn genawaiter_rc(_: &mut Env, n: u64) -> u64 {
        let mut g = genawaiter::rc::Gen::new(|co: genawaiter::rc::Co<u64, u64>| async move {
            let mut x = 0;
            loop {
                x = co.yield_(x + 1).await;
            }
        });
        g.resume_with(0);
        let g = Pin::new(&mut g);
        let g: Pin<&mut GaCo> = g;
        drive_genawaiter(black_box(g), n)
    }

    pub fn next_gen(_: &mut Env, n: u64) -> u64 {
        next_gen::mk_gen!(let mut g = adder_next_gen());
        g.as_mut().resume(0);
        drive_next_gen(black_box(g), n)
    }

    pub fn corosensei(env: &mut Env, n: u64) -> u64 {
        let mut c = coroutine(env, |y: &Yielder<u64, u64>, mut x: u64| {
            // `u64::MAX` ends it, so its stack can be reused without unwinding it.
            while x != u64::MAX {
                x = y.suspend(x + 1);
            }
        });
        c.resume(0);
        let x = drive_coro(black_box(&mut c), n);
        assert!(c.resume(u64::MAX).as_return().is_some());
        give_back(env, c);
        x
    }
}

// ---------------------------------------------------------------------------------------------
// W4 create + drain, the handle through `black_box`
// ---------------------------------------------------------------------------------------------

mod w4 {
    use super::*;

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

    #[generator(yield = u64)]
    fn three(a: u64) {
        yield_!(a);
        yield_!(a + 1);
        yield_!(a + 2);
    }

    #[generator(yield = u64, pinned)]
    fn three_pinned(a: u64) {
        yield_!(a);
        yield_!(a + 1);
        yield_!(a + 2);
    }

    async fn three_genawaiter_stack(a: u64, co: genawaiter::stack::Co<'_, u64>) {
        co.yield_(a).await;
        co.yield_(a + 1).await;
        co.yield_(a + 2).await;
    }

    #[next_gen::generator(yield(u64))]
    fn three_next_gen(a: u64) {
        yield_!(a);
        yield_!(a + 1);
        yield_!(a + 2);
    }

    /// Drains an iterator, summing (inlined: here only the allocation is kept from the
    /// optimiser, as in the measurement).
    #[inline(always)]
    fn sum(it: impl Iterator<Item = u64>) -> u64 {
        let mut sum = 0u64;
        for v in it {
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

    pub fn hand_written(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| sum(black_box(Three { a, i: 0 })))
    }

    pub fn resumable_boxed(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| sum(black_box(three(a))))
    }

    pub fn resumable_pinned(_: &mut Env, gens: u64) -> u64 {
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

    pub fn genawaiter_stack(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| {
            genawaiter::stack::let_gen_using!(g, |co| three_genawaiter_stack(a, co));
            sum(black_box(g).into_iter())
        })
    }

    pub fn genawaiter_rc(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| {
            let g = genawaiter::rc::Gen::new(move |co| async move {
                co.yield_(a).await;
                co.yield_(a + 1).await;
                co.yield_(a + 2).await;
            });
            sum(black_box(g).into_iter())
        })
    }

    pub fn next_gen(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| {
            next_gen::mk_gen!(let g = three_next_gen(a));
            sum(black_box(g))
        })
    }

    /// corosensei with one stack reused by every generator (a stack pool of one).
    pub fn corosensei_reused_stack(env: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| {
            let c = coroutine(env, move |y: &Yielder<(), u64>, ()| {
                y.suspend(a);
                y.suspend(a + 1);
                y.suspend(a + 2);
            });
            let mut c = black_box(c);
            let mut sum = 0u64;
            while let CoroutineResult::Yield(v) = c.resume(()) {
                sum = sum.wrapping_add(black_box(v));
            }
            give_back(env, c);
            sum
        })
    }

    pub fn async_stream(_: &mut Env, gens: u64) -> u64 {
        create_drain(gens, |a| {
            let s = pin!(async_stream::stream! {
                yield a;
                yield a + 1;
                yield a + 2;
            });
            let mut s = black_box(s);
            let mut cx = Context::from_waker(Waker::noop());
            let mut sum = 0u64;
            while let Poll::Ready(Some(v)) = s.as_mut().poll_next(&mut cx) {
                sum = sum.wrapping_add(black_box(v));
            }
            sum
        })
    }
}
