//! `resumable` without its `alloc` feature: the pinned forms, delegation between them and the
//! trait-free driving code compile warning-free in a `no_std` crate (`.ci/run` builds this crate
//! alone, so the feature is really off, with warnings denied); `tests/ui` holds what a boxed
//! form says there.
#![no_std]
#![forbid(unsafe_code)]

use core::pin::pin;

use resumable::prelude::*;

/// Counts up to `n`, then returns how many it yielded.
#[generator(yield = u32, pinned)]
pub fn count(n: u32) -> u32 {
    for i in 0..n {
        yield_!(i);
    }
    n
}

/// Delegates to [`count`] twice (a pinned subgenerator, pinned in place).
#[generator(yield = u32, pinned)]
pub fn twice(n: u32) -> u32 {
    let a = yield_from!(pin!(count(n)));
    let b = yield_from!(pin!(count(n)));
    a + b
}

/// Sums what a pinned generator yields, and its return value.
pub fn sum(n: u32) -> u32 {
    let mut g = pin!(twice(n));
    let mut total = 0;
    loop {
        match g.as_mut().resume(()) {
            GeneratorState::Yielded(v) => total += v,
            GeneratorState::Complete(r) => return total + r,
        }
    }
}

/// A pinned inline generator with a resume value.
pub fn doubled(x: u32) -> u32 {
    let mut g = pin!(coroutine!(pinned |x: u32| {
        let y = yield x * 2;
        y + 1
    }));
    match g.as_mut().resume(x) {
        GeneratorState::Yielded(v) => v,
        GeneratorState::Complete(v) => v,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pinned_generators_run_without_alloc() {
        // 0+1+2 twice, and 3 + 3 returned.
        assert_eq!(super::sum(3), 12);
        assert_eq!(super::doubled(4), 8);
    }
}
