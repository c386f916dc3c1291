//! The peers' forms of W1, W2 and W4 (`bodies.rs` has resumable's and the hand-written ones),
//! written once for `benches/generators.rs` and `benches/out_of_line.rs`, which include this file
//! with `#[path = ...] mod peers;`: genawaiter (stack and rc), next-gen, corosensei and
//! async-stream, each with the same locals and yields as `bodies.rs`.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use corosensei::Yielder;
use futures_core::Stream;

/// Polls a stream to its end with a no-op waker (the stream never waits), summing: how the
/// async-stream rows drain theirs.
#[inline(always)]
pub fn drain_stream<S: Stream<Item = u64> + ?Sized>(s: Pin<&mut S>) -> u64 {
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

// ---------------------------------------------------------------------------------------------
// W1: yields `0..n`

pub async fn count_genawaiter_stack(n: u64, co: genawaiter::stack::Co<'_, u64>) {
    for i in 0..n {
        co.yield_(i).await;
    }
}

pub fn count_genawaiter_rc(n: u64) -> genawaiter::rc::Gen<u64, (), impl Future<Output = ()>> {
    genawaiter::rc::Gen::new(move |co| async move {
        for i in 0..n {
            co.yield_(i).await;
        }
    })
}

#[next_gen::generator(yield(u64))]
pub fn count_next_gen(n: u64) {
    for i in 0..n {
        yield_!(i);
    }
}

/// The body of a corosensei coroutine (`move |y, ()| count_corosensei(y, n)`).
pub fn count_corosensei(y: &Yielder<(), u64>, n: u64) {
    for i in 0..n {
        y.suspend(i);
    }
}

pub fn count_async_stream(n: u64) -> impl Stream<Item = u64> {
    async_stream::stream! {
        for i in 0..n {
            yield i;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// W2: answers each resume `x` with `x + 1`

pub async fn adder_genawaiter_stack(co: genawaiter::stack::Co<'_, u64, u64>) {
    let mut x = 0;
    loop {
        x = co.yield_(x + 1).await;
    }
}

pub fn adder_genawaiter_rc() -> genawaiter::rc::Gen<u64, u64, impl Future<Output = ()>> {
    genawaiter::rc::Gen::new(|co: genawaiter::rc::Co<u64, u64>| async move {
        let mut x = 0;
        loop {
            x = co.yield_(x + 1).await;
        }
    })
}

#[next_gen::generator(yield(u64), resume(u64))]
pub fn adder_next_gen() {
    let mut x = 0;
    loop {
        x = yield_!(x + 1);
    }
}

/// The body of a corosensei coroutine, `x` its first resume argument. `u64::MAX` ends it, so
/// its stack can be reused without unwinding it.
pub fn adder_corosensei(y: &Yielder<u64, u64>, mut x: u64) {
    while x != u64::MAX {
        x = y.suspend(x + 1);
    }
}

// ---------------------------------------------------------------------------------------------
// W4: yields `a`, `a + 1`, `a + 2`

pub async fn three_genawaiter_stack(a: u64, co: genawaiter::stack::Co<'_, u64>) {
    co.yield_(a).await;
    co.yield_(a + 1).await;
    co.yield_(a + 2).await;
}

pub fn three_genawaiter_rc(a: u64) -> genawaiter::rc::Gen<u64, (), impl Future<Output = ()>> {
    genawaiter::rc::Gen::new(move |co| async move {
        co.yield_(a).await;
        co.yield_(a + 1).await;
        co.yield_(a + 2).await;
    })
}

#[next_gen::generator(yield(u64))]
pub fn three_next_gen(a: u64) {
    yield_!(a);
    yield_!(a + 1);
    yield_!(a + 2);
}

/// The body of a corosensei coroutine (`move |y, ()| three_corosensei(y, a)`).
pub fn three_corosensei(y: &Yielder<(), u64>, a: u64) {
    y.suspend(a);
    y.suspend(a + 1);
    y.suspend(a + 2);
}

pub fn three_async_stream(a: u64) -> impl Stream<Item = u64> {
    async_stream::stream! {
        yield a;
        yield a + 1;
        yield a + 2;
    }
}
