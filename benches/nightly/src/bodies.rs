//! The bodies of the project's benchmarks, each written three ways: a nightly coroutine
//! (`#[coroutine] static move |..| { .. }`), where it fits a nightly `gen` block, and a resumable
//! generator (`#[generator]`, boxed, and `#[generator(pinned)]`). Same locals, same yields.
//! W1's, W2's and W4's resumable generators and hand-written iterators are the workspace
//! benches' own (`benches/common/bodies.rs`, included here and re-exported).
//!
//! * W5's task (`benches/switch.rs`, `rr_task`): `yields` yields of `()`.
//! * W1 (`count`): yields `0..n`.
//! * W2 (`adder`): answers each resume `x` with `x + 1`.
//! * W4 (`three`): yields `a`, `a + 1`, `a + 2`.
//! * A delegation chain: the leaf yields `0..n` and returns `n`; each level above delegates to
//!   the one below (`yield_from!`; on nightly, the re-yield loop over the pinned inner
//!   coroutine) and returns what it returned.

use core::ops::{Coroutine, CoroutineState};
use core::pin::pin;

use resumable::prelude::*;

#[path = "../../common/bodies.rs"]
mod shared;

pub use shared::*;

// ---------------------------------------------------------------------------------------------
// W5's task

/// W5's task as a nightly coroutine.
pub fn nightly_rr_task(yields: u32) -> impl Coroutine<(), Yield = (), Return = ()> {
    #[coroutine]
    static move || {
        for _ in 0..yields {
            yield;
        }
    }
}

/// W5's task as a nightly `gen` block.
pub fn gen_rr_task(yields: u32) -> impl Iterator<Item = ()> {
    gen move {
        for _ in 0..yields {
            yield ();
        }
    }
}

/// W5's task as `benches/switch.rs` writes it.
#[generator(yield = ())]
pub fn rr_task(yields: u32) {
    for _ in 0..yields {
        yield_!(());
    }
}

/// W5's task, `pinned`.
#[generator(yield = (), pinned)]
pub fn rr_task_pinned(yields: u32) {
    for _ in 0..yields {
        yield_!(());
    }
}

// ---------------------------------------------------------------------------------------------
// W1

/// W1 as a nightly coroutine.
pub fn nightly_count(n: u64) -> impl Coroutine<(), Yield = u64, Return = ()> {
    #[coroutine]
    static move || {
        for i in 0..n {
            yield i;
        }
    }
}

/// W1 as a nightly `gen` block.
pub fn gen_count(n: u64) -> impl Iterator<Item = u64> {
    gen move {
        for i in 0..n {
            yield i;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// W2

/// W2 as a nightly coroutine. Its first resume argument binds the closure's parameter, which
/// the body ignores, as a `#[generator]`'s first argument is dropped.
pub fn nightly_adder() -> impl Coroutine<u64, Yield = u64, Return = ()> {
    #[coroutine]
    static move |_first: u64| {
        let mut x = 0;
        loop {
            x = yield x + 1;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// W4

/// W4 as a nightly coroutine.
pub fn nightly_three(a: u64) -> impl Coroutine<(), Yield = u64, Return = ()> {
    #[coroutine]
    static move || {
        yield a;
        yield a + 1;
        yield a + 2;
    }
}

/// W4 as a nightly `gen` block.
pub fn gen_three(a: u64) -> impl Iterator<Item = u64> {
    gen move {
        yield a;
        yield a + 1;
        yield a + 2;
    }
}

// ---------------------------------------------------------------------------------------------
// Delegation chains, depth 0 (the leaf) to 3

/// The leaf of the nightly chain.
pub fn nightly_d0(n: u64) -> impl Coroutine<(), Yield = u64, Return = u64> {
    #[coroutine]
    static move || {
        for i in 0..n {
            yield i;
        }
        n
    }
}

/// Defines the levels of the nightly chain: each re-yields what the pinned coroutine below
/// yields, and returns what it returns (what `yield from` does by hand).
macro_rules! nightly_levels {
    ($($name:ident = $below:ident;)*) => {$(
        /// A level of the nightly chain.
        pub fn $name(n: u64) -> impl Coroutine<(), Yield = u64, Return = u64> {
            #[coroutine]
            static move || {
                let mut inner = pin!($below(n));
                loop {
                    match inner.as_mut().resume(()) {
                        CoroutineState::Yielded(v) => yield v,
                        CoroutineState::Complete(r) => break r,
                    }
                }
            }
        }
    )*};
}

nightly_levels! {
    nightly_d1 = nightly_d0;
    nightly_d2 = nightly_d1;
    nightly_d3 = nightly_d2;
}

/// The leaf of the boxed chain.
#[generator(yield = u64)]
pub fn boxed_d0(n: u64) -> u64 {
    for i in 0..n {
        yield_!(i);
    }
    n
}

/// The leaf of the pinned chain.
#[generator(yield = u64, pinned)]
pub fn pinned_d0(n: u64) -> u64 {
    for i in 0..n {
        yield_!(i);
    }
    n
}

/// Defines the levels of a resumable chain: each delegates to the one below, given to
/// `yield_from!` as `$sub` (with the generator bound to `$g`).
macro_rules! levels {
    (#[$form:meta] $($name:ident = $below:ident => |$g:ident| $sub:expr;)*) => {$(
        /// A level of a resumable chain.
        #[$form]
        pub fn $name(n: u64) -> u64 {
            let $g = $below(n);
            yield_from!($sub)
        }
    )*};
}

levels! {
    #[generator(yield = u64)]
    boxed_d1 = boxed_d0 => |g| g;
    boxed_d2 = boxed_d1 => |g| g;
    boxed_d3 = boxed_d2 => |g| g;
}

// A pinned generator is delegated to pinned, as the nightly chain pins its inner coroutine.
levels! {
    #[generator(yield = u64, pinned)]
    pinned_d1 = pinned_d0 => |g| pin!(g);
    pinned_d2 = pinned_d1 => |g| pin!(g);
    pinned_d3 = pinned_d2 => |g| pin!(g);
}
