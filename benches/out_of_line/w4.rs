//! W4 create + drain, the handle through `black_box` so the allocation and the state stay.

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
