//! W4 create + drain, the handle through `black_box` so the allocation and the state stay. The
//! hand-written and resumable rows are `common/out_of_line.rs`'s; here are the peers.

use super::*;
use crate::peers::*;

pub use crate::common::w4::*;

pub fn genawaiter_stack(_: &mut Env, gens: u64) -> u64 {
    create_drain(gens, |a| {
        genawaiter::stack::let_gen_using!(g, |co| three_genawaiter_stack(a, co));
        sum(black_box(g).into_iter())
    })
}

pub fn genawaiter_rc(_: &mut Env, gens: u64) -> u64 {
    create_drain(gens, |a| {
        let g = three_genawaiter_rc(a);
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
        let c = coroutine(env, move |y, ()| three_corosensei(y, a));
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
        let s = pin!(three_async_stream(a));
        let mut s = black_box(s);
        let mut cx = Context::from_waker(Waker::noop());
        let mut sum = 0u64;
        while let Poll::Ready(Some(v)) = s.as_mut().poll_next(&mut cx) {
            sum = sum.wrapping_add(black_box(v));
        }
        sum
    })
}
