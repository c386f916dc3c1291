//! The bodies W1, W2 and W4 run in resumable's rows and the hand-written iterators they are
//! measured against, written once for every bench that runs them: `benches/generators.rs`,
//! `benches/out_of_line.rs` and the nightly reference (`benches/nightly`, which builds them with
//! the nightly compiler next to its coroutines). Each includes this file with
//! `#[path = ...] mod ...;`. Nothing here names a peer, so the nightly crate, which has none of
//! the workspace's dev-dependencies, can include it; the peers' forms of the same bodies are in
//! `peers.rs`.
//!
//! * W1 (`count`): yields `0..n`.
//! * W2 (`adder`): answers each resume `x` with `x + 1`.
//! * W4 (`three`): yields `a`, `a + 1`, `a + 2`.

use resumable::prelude::*;

// ---------------------------------------------------------------------------------------------
// W1

/// Hand-written W1: the least a yield can cost.
pub struct Count {
    pub i: u64,
    pub n: u64,
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

/// W1, boxed.
#[generator(yield = u64)]
pub fn count(n: u64) {
    for i in 0..n {
        yield_!(i);
    }
}

/// W1, `pinned`.
#[generator(yield = u64, pinned)]
pub fn count_pinned(n: u64) {
    for i in 0..n {
        yield_!(i);
    }
}

// ---------------------------------------------------------------------------------------------
// W2

/// W2, boxed.
#[generator(yield = u64, resume = u64)]
pub fn adder() {
    let mut x = 0;
    loop {
        x = yield_!(x + 1);
    }
}

/// W2, `pinned`.
#[generator(yield = u64, resume = u64, pinned)]
pub fn adder_pinned() {
    let mut x = 0;
    loop {
        x = yield_!(x + 1);
    }
}

// ---------------------------------------------------------------------------------------------
// W4

/// Hand-written W4: three values from `a`.
pub struct Three {
    pub a: u64,
    pub i: u64,
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

/// W4, boxed.
#[generator(yield = u64)]
pub fn three(a: u64) {
    yield_!(a);
    yield_!(a + 1);
    yield_!(a + 2);
}

/// W4, `pinned`.
#[generator(yield = u64, pinned)]
pub fn three_pinned(a: u64) {
    yield_!(a);
    yield_!(a + 1);
    yield_!(a + 2);
}
