//! W2 ping-pong, out of line: the round trips run in an `#[inline(never)]` driver through a
//! trait object. The hand-written and resumable rows are `common/out_of_line.rs`'s; here are
//! `BoxGen` and the peers.

use super::*;
use crate::bodies::adder;
use crate::peers::*;

pub use crate::common::w2::*;

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
    let mut g = adder_genawaiter_rc();
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
    let mut c = coroutine(env, adder_corosensei);
    c.resume(0);
    let x = drive_coro(black_box(&mut c), n);
    assert!(c.resume(u64::MAX).as_return().is_some());
    give_back(env, c);
    x
}
