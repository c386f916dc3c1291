//! W1 iterate, out of line: `0..N` summed by an `#[inline(never)]` driver that holds the
//! generator as a trait object. The hand-written and resumable rows are
//! `common/out_of_line.rs`'s; here are the boxed generator as an iterator, `BoxGen` and the
//! peers.

use super::*;
use crate::bodies::count;
use crate::peers::*;

pub use crate::common::w1::*;

/// Drains the stream out of line, through the trait object.
#[inline(never)]
fn drain_dyn_stream(s: Pin<&mut dyn Stream<Item = u64>>) -> u64 {
    drain_stream(s)
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

/// The boxed generator as users iterate it: `Iterator::next` through `&mut dyn Iterator`.
pub fn resumable_boxed_iter(_: &mut Env, n: u64) -> u64 {
    let mut g = count(n);
    drain_iter(black_box(&mut g))
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
    let mut g = count_genawaiter_rc(n);
    let g = Pin::new(&mut g);
    let g: Pin<&mut GaGen> = g;
    drain_genawaiter(black_box(g))
}

pub fn next_gen(_: &mut Env, n: u64) -> u64 {
    next_gen::mk_gen!(let g = count_next_gen(n));
    drain_next_gen(black_box(g))
}

pub fn corosensei(env: &mut Env, n: u64) -> u64 {
    let mut c = coroutine(env, move |y, ()| count_corosensei(y, n));
    let sum = drain_coro(black_box(&mut c));
    give_back(env, c);
    sum
}

pub fn async_stream(_: &mut Env, n: u64) -> u64 {
    let s = pin!(count_async_stream(n));
    drain_dyn_stream(black_box(s))
}
