//! Issue 5, workloads W1–W4, and issue 16's W7: resumable's generators side by side with the
//! peers, on the same work, with a hand-written `Iterator` / state machine as the physical
//! limit.
//!
//! `cargo bench --bench generators` (or `benches/report.sh` for the BENCHMARKS.md tables).
//!
//! Every benchmark takes one argument, the number of operations one iteration performs (yields,
//! round trips, values delivered, generators), so `median / argument` is the ns per operation
//! that BENCHMARKS.md reports. The consumer passes every value through `black_box`, so no system
//! can have its loop folded into a closed form (that store is most of the hand-written 0.4 ns).
//!
//! * W1 iterate: yield `0..N` (u64), summed by the consumer; ns per yield.
//! * W2 ping-pong: resume with a u64, the generator yields arg + 1; ns per round trip.
//! * W3 delegation: 1 and 8 levels of delegation over an inner generator yielding `0..N`; ns per
//!   value at the top. resumable uses `yield_from!`; the peers, which have no delegation, a
//!   re-yield loop per level (what `yield from` does by hand); hand-written: nested iterators.
//! * W4 create + drain: 1,000,000 generators of 3 yields each; ns per generator.
//! * W7 recursion: an in-order walk of a binary tree shaped as a spine (each node: the rest of
//!   the spine on the left, a leaf on the right), 100 to 100,000 levels deep, values at every
//!   level; ns per value. resumable: a recursive generator, `yield_from!` at each subtree;
//!   the peers: the same recursion, re-yielding at every level; hand-written: an iterator with
//!   an explicit stack.
//!
//! The generator is made inside the timed loop (it is part of the work: one allocation for the
//! boxed forms, nothing for the stack-pinned ones), except corosensei's stack, which is
//! `mmap`ed once outside the timed loop and reused (`Coroutine::with_stack(&mut stack, ..)`),
//! as anyone who cares about its speed does; W4 shows the cost of a fresh stack separately.
#![allow(clippy::unit_arg)]

use std::hint::black_box;
use std::pin::{pin, Pin};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use divan::Bencher;
use futures_core::Stream;
use resumable::prelude::*;
use resumable::LocalBoxGen;

fn main() {
    divan::main();
}

/// Values per iteration in W1, W2 and W3.
const N: u64 = 10_000;
/// Generators per iteration in W4.
const GENS: u64 = 1_000_000;
/// Generators per iteration in W4 for corosensei with a fresh 1 MiB stack each (an `mmap` and a
/// `munmap` per generator: a million of them would take seconds per sample).
const FRESH_STACK_GENS: u64 = 10_000;
/// Stack size for corosensei: small, the bodies are tiny.
const STACK: usize = 16 * 1024;

fn stack() -> DefaultStack {
    DefaultStack::new(STACK).expect("mmap a coroutine stack")
}

/// Drains a corosensei coroutine (resume input `()`), summing.
fn drain_coro<S: corosensei::stack::Stack>(c: &mut Coroutine<(), u64, (), S>) -> u64 {
    let mut sum = 0u64;
    while let CoroutineResult::Yield(v) = c.resume(()) {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

/// Drains an iterator with `next()`, summing.
#[inline(always)]
fn drain_iter(it: impl Iterator<Item = u64>) -> u64 {
    let mut sum = 0u64;
    for v in it {
        sum = sum.wrapping_add(black_box(v));
    }
    sum
}

// ---------------------------------------------------------------------------------------------
// The generators under test
// ---------------------------------------------------------------------------------------------

#[path = "common/bodies.rs"]
mod bodies;
#[path = "common/peers.rs"]
mod peers;

use bodies::*;
use peers::*;

// ---------------------------------------------------------------------------------------------
// W1 iterate
// ---------------------------------------------------------------------------------------------

#[divan::bench_group(sample_count = 500)]
mod w1_iterate {
    use super::*;

    #[divan::bench(args = [N])]
    fn hand_written(b: Bencher, n: u64) {
        b.bench_local(|| {
            drain_iter(Count {
                i: 0,
                n: black_box(n),
            })
        });
    }

    #[divan::bench(args = [N])]
    fn resumable_boxed(b: Bencher, n: u64) {
        b.bench_local(|| drain_iter(count(black_box(n))));
    }

    #[divan::bench(args = [N])]
    fn resumable_pinned(b: Bencher, n: u64) {
        b.bench_local(|| {
            let mut g = pin!(count_pinned(black_box(n)));
            let mut sum = 0u64;
            while let GeneratorState::Yielded(v) = g.as_mut().resume(()) {
                sum = sum.wrapping_add(black_box(v));
            }
            sum
        });
    }

    #[divan::bench(args = [N])]
    fn genawaiter_stack(b: Bencher, n: u64) {
        b.bench_local(|| {
            let n = black_box(n);
            genawaiter::stack::let_gen_using!(g, |co| count_genawaiter_stack(n, co));
            drain_iter(g.into_iter())
        });
    }

    #[divan::bench(args = [N])]
    fn genawaiter_rc(b: Bencher, n: u64) {
        b.bench_local(|| drain_iter(count_genawaiter_rc(black_box(n)).into_iter()));
    }

    #[divan::bench(args = [N])]
    fn next_gen(b: Bencher, n: u64) {
        b.bench_local(|| {
            let n = black_box(n);
            next_gen::mk_gen!(let g = count_next_gen(n));
            drain_iter(g)
        });
    }

    #[divan::bench(args = [N])]
    fn corosensei(b: Bencher, n: u64) {
        let mut slot = Some(stack());
        b.bench_local(|| {
            let n = black_box(n);
            let mut c =
                Coroutine::with_stack(slot.take().unwrap(), move |y, ()| count_corosensei(y, n));
            let sum = drain_coro(&mut c);
            slot = Some(c.into_stack());
            sum
        });
    }

    #[divan::bench(args = [N])]
    fn async_stream(b: Bencher, n: u64) {
        b.bench_local(|| drain_stream(pin!(count_async_stream(black_box(n)))));
    }
}

// ---------------------------------------------------------------------------------------------
// W2 ping-pong
// ---------------------------------------------------------------------------------------------

/// Hand-written: a state machine that answers `arg + 1`.
struct Adder {
    started: bool,
}

impl Adder {
    #[inline]
    fn resume(&mut self, arg: u64) -> GeneratorState<u64, ()> {
        if !self.started {
            self.started = true;
            return GeneratorState::Yielded(1); // the priming resume: its argument is dropped
        }
        GeneratorState::Yielded(arg + 1)
    }
}

/// `n` round trips: each sends the last value and gets it back plus one. The generator has been
/// primed already; `resume` is one round trip.
#[inline(always)]
fn ping_pong(n: u64, mut resume: impl FnMut(u64) -> u64) -> u64 {
    let mut x = 0;
    for _ in 0..n {
        x = black_box(resume(x));
    }
    assert_eq!(x, n);
    x
}

fn yielded<Y, R>(s: GeneratorState<Y, R>) -> Y {
    match s {
        GeneratorState::Yielded(y) => y,
        GeneratorState::Complete(_) => unreachable!("the adder never returns"),
    }
}

fn yielded_ga<Y, R>(s: genawaiter::GeneratorState<Y, R>) -> Y {
    match s {
        genawaiter::GeneratorState::Yielded(y) => y,
        genawaiter::GeneratorState::Complete(_) => unreachable!("the adder never returns"),
    }
}

fn yielded_ng<Y, R>(s: next_gen::generator::GeneratorState<Y, R>) -> Y {
    match s {
        next_gen::generator::GeneratorState::Yielded(y) => y,
        next_gen::generator::GeneratorState::Returned(_) => unreachable!("never returns"),
    }
}

#[divan::bench_group(sample_count = 500)]
mod w2_ping_pong {
    use super::*;

    #[divan::bench(args = [N])]
    fn hand_written(b: Bencher, n: u64) {
        b.bench_local(|| {
            let mut g = Adder { started: false };
            g.resume(0);
            ping_pong(black_box(n), |x| yielded(g.resume(x)))
        });
    }

    #[divan::bench(args = [N])]
    fn resumable_boxed(b: Bencher, n: u64) {
        b.bench_local(|| {
            let mut g = adder();
            g.start();
            ping_pong(black_box(n), |x| yielded(g.send(x)))
        });
    }

    #[divan::bench(args = [N])]
    fn resumable_pinned(b: Bencher, n: u64) {
        b.bench_local(|| {
            let mut g = pin!(adder_pinned());
            g.as_mut().start();
            ping_pong(black_box(n), |x| yielded(g.as_mut().send(x)))
        });
    }

    #[divan::bench(args = [N])]
    fn genawaiter_stack(b: Bencher, n: u64) {
        b.bench_local(|| {
            genawaiter::stack::let_gen_using!(g, adder_genawaiter_stack);
            g.resume_with(0);
            ping_pong(black_box(n), |x| yielded_ga(g.resume_with(x)))
        });
    }

    #[divan::bench(args = [N])]
    fn genawaiter_rc(b: Bencher, n: u64) {
        b.bench_local(|| {
            let mut g = adder_genawaiter_rc();
            g.resume_with(0);
            ping_pong(black_box(n), |x| yielded_ga(g.resume_with(x)))
        });
    }

    #[divan::bench(args = [N])]
    fn next_gen(b: Bencher, n: u64) {
        b.bench_local(|| {
            next_gen::mk_gen!(let mut g = adder_next_gen());
            g.as_mut().resume(0);
            ping_pong(black_box(n), |x| yielded_ng(g.as_mut().resume(x)))
        });
    }

    #[divan::bench(args = [N])]
    fn corosensei(b: Bencher, n: u64) {
        let mut slot = Some(stack());
        b.bench_local(|| {
            let mut c = Coroutine::with_stack(slot.take().unwrap(), adder_corosensei);
            c.resume(0);
            let x = ping_pong(black_box(n), |x| match c.resume(x) {
                CoroutineResult::Yield(v) => v,
                CoroutineResult::Return(()) => unreachable!("the adder never returns"),
            });
            assert!(c.resume(u64::MAX).as_return().is_some());
            slot = Some(c.into_stack());
            x
        });
    }
}

// ---------------------------------------------------------------------------------------------
// W3 delegation
// ---------------------------------------------------------------------------------------------

/// Hand-written: one level of delegation is an iterator that forwards `next`.
struct Level<I>(I);

impl<I: Iterator<Item = u64>> Iterator for Level<I> {
    type Item = u64;
    #[inline]
    fn next(&mut self) -> Option<u64> {
        self.0.next()
    }
}

// resumable: a chain of generator functions, each `yield_from!` the one below.
#[generator(yield = u64)]
fn d1(n: u64) {
    yield_from!(count(n));
}
#[generator(yield = u64)]
fn d2(n: u64) {
    yield_from!(d1(n));
}
#[generator(yield = u64)]
fn d3(n: u64) {
    yield_from!(d2(n));
}
#[generator(yield = u64)]
fn d4(n: u64) {
    yield_from!(d3(n));
}
#[generator(yield = u64)]
fn d5(n: u64) {
    yield_from!(d4(n));
}
#[generator(yield = u64)]
fn d6(n: u64) {
    yield_from!(d5(n));
}
#[generator(yield = u64)]
fn d7(n: u64) {
    yield_from!(d6(n));
}
#[generator(yield = u64)]
fn d8(n: u64) {
    yield_from!(d7(n));
}

/// genawaiter (rc): a re-yield loop over the level below.
fn reyield_genawaiter_rc(inner: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    genawaiter::rc::Gen::new(move |co| async move {
        for v in inner {
            co.yield_(v).await;
        }
    })
    .into_iter()
}

type NextGenBox = Pin<Box<dyn next_gen::generator::Generator<(), Yield = u64, Return = ()>>>;

#[next_gen::generator(yield(u64))]
fn reyield_next_gen_body(inner: NextGenBox) {
    let mut inner = inner;
    while let next_gen::generator::GeneratorState::Yielded(v) = inner.as_mut().resume(()) {
        yield_!(v);
    }
}

/// next-gen: a re-yield loop over the level below, boxed (a stack-pinned generator cannot be
/// returned from a function).
fn reyield_next_gen(inner: NextGenBox) -> NextGenBox {
    next_gen::mk_gen!(let g = box reyield_next_gen_body(inner));
    g
}

fn count_next_gen_boxed(n: u64) -> NextGenBox {
    next_gen::mk_gen!(let g = box count_next_gen(n));
    g
}

/// A corosensei coroutine as an iterator of what it yields. Every level returns the stacks of
/// the levels below it and its own, so one iteration hands them all back for the next.
struct CoroIter {
    coroutine: Coroutine<(), u64, Vec<DefaultStack>>,
    below: Option<Vec<DefaultStack>>,
}

impl CoroIter {
    fn new(
        stack: DefaultStack,
        body: impl FnOnce(&Yielder<(), u64>, ()) -> Vec<DefaultStack> + 'static,
    ) -> CoroIter {
        CoroIter {
            coroutine: Coroutine::with_stack(stack, body),
            below: None,
        }
    }

    /// The stacks of this (finished) coroutine and of every level below it.
    fn into_stacks(self) -> Vec<DefaultStack> {
        let mut stacks = self.below.expect("a finished coroutine");
        stacks.push(self.coroutine.into_stack());
        stacks
    }
}

impl Iterator for CoroIter {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        match self.coroutine.resume(()) {
            CoroutineResult::Yield(v) => Some(v),
            CoroutineResult::Return(below) => {
                self.below = Some(below);
                None
            }
        }
    }
}

/// corosensei: a coroutine (on its own stack) running a re-yield loop over the level below.
fn reyield_corosensei(stack: DefaultStack, mut inner: CoroIter) -> CoroIter {
    CoroIter::new(stack, move |y, ()| {
        for v in &mut inner {
            y.suspend(v);
        }
        inner.into_stacks()
    })
}

/// async-stream: a re-yield loop (`for await`) over the level below.
fn reyield_async_stream(inner: impl Stream<Item = u64>) -> impl Stream<Item = u64> {
    async_stream::stream! {
        for await v in inner {
            yield v;
        }
    }
}

/// Applies `$level` `$depth` times (1 or 8) around `$inner`.
macro_rules! nest {
    (1, $level:expr, $inner:expr) => {{
        let g = $inner;
        $level(g)
    }};
    (8, $level:expr, $inner:expr) => {{
        let g = $inner;
        let g = $level(g);
        let g = $level(g);
        let g = $level(g);
        let g = $level(g);
        let g = $level(g);
        let g = $level(g);
        let g = $level(g);
        $level(g)
    }};
}

#[divan::bench_group(sample_count = 500)]
mod w3_delegation {
    macro_rules! depths {
        ($($name:ident: $depth:tt, $d:ident;)*) => {$(
            pub mod $name {
                use super::super::*;

                #[divan::bench(args = [N])]
                fn hand_written(b: Bencher, n: u64) {
                    b.bench_local(|| drain_iter(nest!($depth, Level, Count { i: 0, n: black_box(n) })));
                }

                /// The least a delegation that does not inline the whole chain can cost: the
                /// same nested iterators, the innermost reached through a `&mut dyn Iterator` the
                /// compiler cannot see through, so every value is one indirect call into a state
                /// kept in memory.
                #[divan::bench(args = [N])]
                fn hand_written_dyn(b: Bencher, n: u64) {
                    b.bench_local(|| {
                        let mut count = Count { i: 0, n: black_box(n) };
                        let inner: &mut dyn Iterator<Item = u64> = black_box(&mut count);
                        drain_iter(nest!($depth, Level, inner))
                    });
                }

                #[divan::bench(args = [N])]
                fn resumable_yield_from(b: Bencher, n: u64) {
                    b.bench_local(|| drain_iter($d(black_box(n))));
                }

                #[divan::bench(args = [N])]
                fn genawaiter_rc(b: Bencher, n: u64) {
                    b.bench_local(|| {
                        let inner = count_genawaiter_rc(black_box(n)).into_iter();
                        drain_iter(nest!($depth, reyield_genawaiter_rc, inner))
                    });
                }

                #[divan::bench(args = [N])]
                fn next_gen(b: Bencher, n: u64) {
                    b.bench_local(|| {
                        let inner = count_next_gen_boxed(black_box(n));
                        let mut g = nest!($depth, reyield_next_gen, inner);
                        let mut sum = 0u64;
                        while let next_gen::generator::GeneratorState::Yielded(v) =
                            g.as_mut().resume(())
                        {
                            sum = sum.wrapping_add(black_box(v));
                        }
                        sum
                    });
                }

                #[divan::bench(args = [N])]
                fn corosensei(b: Bencher, n: u64) {
                    // One stack per level, plus the innermost generator's.
                    let mut pool: Vec<DefaultStack> = (0..=$depth).map(|_| stack()).collect();
                    b.bench_local(|| {
                        let n = black_box(n);
                        let inner = CoroIter::new(pool.pop().unwrap(), move |y, ()| {
                            count_corosensei(y, n);
                            Vec::with_capacity($depth + 1)
                        });
                        let mut level = |inner| reyield_corosensei(pool.pop().unwrap(), inner);
                        let mut top = nest!($depth, level, inner);
                        let sum = drain_iter(&mut top);
                        pool = top.into_stacks();
                        sum
                    });
                }

                #[divan::bench(args = [N])]
                fn async_stream(b: Bencher, n: u64) {
                    b.bench_local(|| {
                        let inner = count_async_stream(black_box(n));
                        drain_stream(pin!(nest!($depth, reyield_async_stream, inner)))
                    });
                }
            }
        )*};
    }

    depths! {
        depth_1: 1, d1;
        depth_8: 8, d8;
    }
}

// ---------------------------------------------------------------------------------------------
// W4 create + drain
// ---------------------------------------------------------------------------------------------

/// Makes and drains `gens` generators with `one(a)`, which returns the sum of what the generator
/// made from `a` yielded.
#[inline(always)]
fn create_drain(gens: u64, mut one: impl FnMut(u64) -> u64) -> u64 {
    let mut sum = 0u64;
    for a in 0..gens {
        sum = sum.wrapping_add(one(black_box(a)));
    }
    sum
}

#[divan::bench_group(sample_count = 20)]
mod w4_create_drain {
    use super::*;

    #[divan::bench(args = [GENS])]
    fn hand_written(b: Bencher, gens: u64) {
        b.bench_local(|| create_drain(gens, |a| drain_iter(Three { a, i: 0 })));
    }

    #[divan::bench(args = [GENS])]
    fn resumable_boxed(b: Bencher, gens: u64) {
        b.bench_local(|| create_drain(gens, |a| drain_iter(three(a))));
    }

    #[divan::bench(args = [GENS])]
    fn resumable_pinned(b: Bencher, gens: u64) {
        b.bench_local(|| {
            create_drain(gens, |a| {
                let mut g = pin!(three_pinned(a));
                let mut sum = 0u64;
                while let GeneratorState::Yielded(v) = g.as_mut().resume(()) {
                    sum = sum.wrapping_add(black_box(v));
                }
                sum
            })
        });
    }

    #[divan::bench(args = [GENS])]
    fn genawaiter_stack(b: Bencher, gens: u64) {
        b.bench_local(|| {
            create_drain(gens, |a| {
                genawaiter::stack::let_gen_using!(g, |co| three_genawaiter_stack(a, co));
                drain_iter(g.into_iter())
            })
        });
    }

    #[divan::bench(args = [GENS])]
    fn genawaiter_rc(b: Bencher, gens: u64) {
        b.bench_local(|| create_drain(gens, |a| drain_iter(three_genawaiter_rc(a).into_iter())));
    }

    #[divan::bench(args = [GENS])]
    fn next_gen(b: Bencher, gens: u64) {
        b.bench_local(|| {
            create_drain(gens, |a| {
                next_gen::mk_gen!(let g = three_next_gen(a));
                drain_iter(g)
            })
        });
    }

    /// corosensei with one stack reused by every generator (a stack pool of one).
    #[divan::bench(args = [GENS])]
    fn corosensei_reused_stack(b: Bencher, gens: u64) {
        let mut slot = Some(stack());
        b.bench_local(|| {
            create_drain(gens, |a| {
                let mut c = Coroutine::with_stack(slot.take().unwrap(), move |y, ()| {
                    three_corosensei(y, a)
                });
                let sum = drain_coro(&mut c);
                slot = Some(c.into_stack());
                sum
            })
        });
    }

    /// corosensei's default: `Coroutine::new`, a fresh 1 MiB `mmap`ed stack per generator.
    #[divan::bench(args = [FRESH_STACK_GENS])]
    fn corosensei_fresh_stack(b: Bencher, gens: u64) {
        b.bench_local(|| {
            create_drain(gens, |a| {
                let mut c = Coroutine::new(move |y, ()| three_corosensei(y, a));
                drain_coro(&mut c)
            })
        });
    }

    #[divan::bench(args = [GENS])]
    fn async_stream(b: Bencher, gens: u64) {
        b.bench_local(|| create_drain(gens, |a| drain_stream(pin!(three_async_stream(a)))));
    }
}

// ---------------------------------------------------------------------------------------------
// W7 recursion
// ---------------------------------------------------------------------------------------------

/// A binary tree shaped as a spine: each node has the rest of the spine on its left and a leaf
/// on its right, so an in-order walk goes all the way down first, then yields at every level
/// on the way back up: half of the values come from the middle of a chain as deep as the tree.
struct Node {
    value: u64,
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
}

impl Node {
    /// A spine with `values` nodes (odd): `(values + 1) / 2` levels deep.
    fn spine(values: u64) -> Box<Node> {
        let leaf = |value| {
            Box::new(Node {
                value,
                left: None,
                right: None,
            })
        };
        let mut t = leaf(0);
        for k in 1..values.div_ceil(2) {
            t = Box::new(Node {
                value: 2 * k - 1,
                left: Some(t),
                right: Some(leaf(2 * k)),
            });
        }
        t
    }
}

/// Dropped level by level: the recursive drop of a deep tree would take a frame per level.
impl Drop for Node {
    fn drop(&mut self) {
        let mut next = self.left.take();
        while let Some(mut node) = next {
            next = node.left.take();
        }
    }
}

/// Hand-written: an in-order iterator with an explicit stack of the nodes to come back to.
struct InOrder<'a> {
    stack: Vec<&'a Node>,
    next: Option<&'a Node>,
}

impl<'a> InOrder<'a> {
    fn new(t: &'a Node) -> Self {
        InOrder {
            stack: Vec::new(),
            next: Some(t),
        }
    }
}

impl Iterator for InOrder<'_> {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        while let Some(node) = self.next {
            self.stack.push(node);
            self.next = node.left.as_deref();
        }
        let node = self.stack.pop()?;
        self.next = node.right.as_deref();
        Some(node.value)
    }
}

/// resumable: `yield_from!` the walk of each subtree (boxed: a recursive generator's type
/// would contain itself).
fn walk(t: &Node) -> LocalBoxGen<'_, u64> {
    coroutine! {
        if let Some(left) = &t.left {
            yield_from!(walk(left));
        }
        yield t.value;
        if let Some(right) = &t.right {
            yield_from!(walk(right));
        }
    }
    .boxed_local()
}

/// genawaiter (rc): each level re-yields what the walk of each subtree yields, boxed.
fn walk_genawaiter_rc(t: &Node) -> Box<dyn Iterator<Item = u64> + '_> {
    Box::new(
        genawaiter::rc::Gen::new(move |co| async move {
            if let Some(left) = &t.left {
                for v in walk_genawaiter_rc(left) {
                    co.yield_(v).await;
                }
            }
            co.yield_(t.value).await;
            if let Some(right) = &t.right {
                for v in walk_genawaiter_rc(right) {
                    co.yield_(v).await;
                }
            }
        })
        .into_iter(),
    )
}

type NextGenWalk<'a> =
    Pin<Box<dyn next_gen::generator::Generator<(), Yield = u64, Return = ()> + 'a>>;

#[next_gen::generator(yield(u64))]
fn walk_next_gen_body(t: &Node) {
    if let Some(left) = &t.left {
        let mut sub = walk_next_gen(left);
        while let next_gen::generator::GeneratorState::Yielded(v) = sub.as_mut().resume(()) {
            yield_!(v);
        }
    }
    yield_!(t.value);
    if let Some(right) = &t.right {
        let mut sub = walk_next_gen(right);
        while let next_gen::generator::GeneratorState::Yielded(v) = sub.as_mut().resume(()) {
            yield_!(v);
        }
    }
}

/// next-gen: each level re-yields what the walk of each subtree yields, boxed.
fn walk_next_gen(t: &Node) -> NextGenWalk<'_> {
    next_gen::mk_gen!(let g = box walk_next_gen_body(t));
    g
}

/// W7: a recursive in-order walk of a spine `(values + 1) / 2` deep; ns per value. The peers,
/// which have no delegation, re-yield at every level, so a value costs them its depth; the
/// deepest trees are walked by the hand-written iterator and resumable only.
#[divan::bench_group(sample_count = 20)]
mod w7_recursion {
    use super::*;

    #[divan::bench(args = [199, 1_999, 19_999, 199_999])]
    fn hand_written(b: Bencher, values: u64) {
        let tree = Node::spine(values);
        b.bench_local(|| drain_iter(InOrder::new(black_box(&tree))));
    }

    #[divan::bench(args = [199, 1_999, 19_999, 199_999])]
    fn resumable_yield_from(b: Bencher, values: u64) {
        let tree = Node::spine(values);
        b.bench_local(|| drain_iter(walk(black_box(&tree))));
    }

    #[divan::bench(args = [199, 1_999])]
    fn genawaiter_rc(b: Bencher, values: u64) {
        let tree = Node::spine(values);
        b.bench_local(|| drain_iter(walk_genawaiter_rc(black_box(&tree))));
    }

    #[divan::bench(args = [199, 1_999])]
    fn next_gen(b: Bencher, values: u64) {
        let tree = Node::spine(values);
        b.bench_local(|| {
            let mut g = walk_next_gen(black_box(&tree));
            let mut sum = 0u64;
            while let next_gen::generator::GeneratorState::Yielded(v) = g.as_mut().resume(()) {
                sum = sum.wrapping_add(black_box(v));
            }
            sum
        });
    }
}
