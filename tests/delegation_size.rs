//! How big a delegating generator is: its own locals plus one subgenerator, in every form, so
//! a chain of `yield_from!` grows by a constant per level (as nightly's coroutines do), never
//! by a factor. And a chain 8 deep runs on a test thread's stack in a debug build.
//!
//! The subgenerator is kept once, in the delegation future the body awaits: not also in the
//! `match` that chose the delegation, nor in the argument of the future's `async fn`.

use core::pin::{pin, Pin};
use core::task::{Context, Poll, Waker};

use futures_core::Stream;

use resumable::prelude::*;

/// The most a level of delegation may add to the generator around it, in bytes: the
/// delegating generator's own state (its argument, the delegation future, its marks).
const PER_LEVEL: usize = 192;

/// `sizes[d]` is the size of a chain `d` levels deep: each level holds the one below and adds
/// at most [`PER_LEVEL`].
#[track_caller]
fn assert_linear(form: &str, sizes: &[usize]) {
    eprintln!("{form}: {sizes:?}");
    for (depth, pair) in sizes.windows(2).enumerate() {
        let grew = pair[1].checked_sub(pair[0]);
        assert!(
            grew.is_some_and(|grew| grew <= PER_LEVEL),
            "{form}: depth {} is {} bytes, depth {} is {} bytes (all: {sizes:?})",
            depth,
            pair[0],
            depth + 1,
            pair[1],
        );
    }
}

/// What a chain `depth` levels deep over a leaf yielding `0..n` yields: the leaf's values, then
/// each level's (what the level below returned), innermost first.
fn expected(n: u64, depth: u64) -> Vec<u64> {
    (0..n).chain(n..n + depth).collect()
}

/// Drives a pinned generator to its end.
fn drain<G: Generator<(), Yield = u64, Return = u64>>(mut g: Pin<&mut G>) -> (Vec<u64>, u64) {
    let mut got = vec![];
    loop {
        match g.as_mut().resume(()) {
            GeneratorState::Yielded(v) => got.push(v),
            GeneratorState::Complete(r) => return (got, r),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The chains: each level delegates to the one below, then yields what it returned.

/// Defines a chain's levels: `$name` delegates to `$below` written as `$sub` (`$below` bound
/// to the generator), in generators of the given form.
macro_rules! levels {
    (#[$form:meta] $(fn $name:ident = $below:ident => |$g:ident| $sub:expr;)*) => {$(
        #[$form]
        fn $name(n: u64) -> u64 {
            let $g = $below(n);
            let r = yield_from!($sub);
            yield_!(r);
            r + 1
        }
    )*};
}

#[generator(yield = u64, pinned)]
fn pinned_leaf(n: u64) -> u64 {
    for i in 0..n {
        yield_!(i);
    }
    n
}

levels! {
    #[generator(yield = u64, pinned)]
    fn pinned_1 = pinned_leaf => |g| pin!(g);
    fn pinned_2 = pinned_1 => |g| pin!(g);
    fn pinned_3 = pinned_2 => |g| pin!(g);
    fn pinned_4 = pinned_3 => |g| pin!(g);
    fn pinned_5 = pinned_4 => |g| pin!(g);
    fn pinned_6 = pinned_5 => |g| pin!(g);
    fn pinned_7 = pinned_6 => |g| pin!(g);
    fn pinned_8 = pinned_7 => |g| pin!(g);
}

/// A generator written by hand that holds another by value and forwards to it: delegated to
/// by value, by the re-yield loop. (An adapter a user might write, such as a `map`.)
struct ByValue<G>(G);

impl<G: Generator<()>> Generator<()> for ByValue<G> {
    type Yield = G::Yield;
    type Return = G::Return;
    fn resume(self: Pin<&mut Self>, arg: ()) -> GeneratorState<G::Yield, G::Return> {
        // SAFETY: the field is pinned whenever `self` is: it is never moved out, and `ByValue`
        // has no `Drop` and is `Unpin` only if `G` is.
        unsafe { self.map_unchecked_mut(|s| &mut s.0) }.resume(arg)
    }
}

levels! {
    #[generator(yield = u64, pinned)]
    fn by_value_1 = pinned_leaf => |g| ByValue(g);
    fn by_value_2 = by_value_1 => |g| ByValue(g);
    fn by_value_3 = by_value_2 => |g| ByValue(g);
    fn by_value_4 = by_value_3 => |g| ByValue(g);
    fn by_value_5 = by_value_4 => |g| ByValue(g);
    fn by_value_6 = by_value_5 => |g| ByValue(g);
    fn by_value_7 = by_value_6 => |g| ByValue(g);
    fn by_value_8 = by_value_7 => |g| ByValue(g);
}

#[generator(yield = u64)]
fn boxed_leaf(n: u64) -> u64 {
    for i in 0..n {
        yield_!(i);
    }
    n
}

levels! {
    #[generator(yield = u64)]
    fn boxed_1 = boxed_leaf => |g| g;
    fn boxed_2 = boxed_1 => |g| g;
    fn boxed_3 = boxed_2 => |g| g;
    fn boxed_4 = boxed_3 => |g| g;
    fn boxed_5 = boxed_4 => |g| g;
    fn boxed_6 = boxed_5 => |g| g;
    fn boxed_7 = boxed_6 => |g| g;
    fn boxed_8 = boxed_7 => |g| g;
}

#[generator(yield = u64, pinned)]
async fn async_leaf(n: u64) {
    for i in 0..n {
        yield_!(i);
    }
}

/// Async generators return `()`: each level yields `n` once the level below has ended.
macro_rules! async_levels {
    ($(fn $name:ident = $below:ident;)*) => {$(
        #[generator(yield = u64, pinned)]
        async fn $name(n: u64) {
            yield_from!(pin!($below(n)));
            yield_!(n);
        }
    )*};
}

async_levels! {
    fn async_1 = async_leaf;
    fn async_2 = async_1;
    fn async_3 = async_2;
    fn async_4 = async_3;
    fn async_5 = async_4;
    fn async_6 = async_5;
    fn async_7 = async_6;
    fn async_8 = async_7;
}

// ---------------------------------------------------------------------------------------------
// Sizes

#[test]
fn a_chain_of_pinned_generators_grows_by_a_constant_per_level() {
    let sizes = [
        size_of_val(&pinned_leaf(1)),
        size_of_val(&pinned_1(1)),
        size_of_val(&pinned_2(1)),
        size_of_val(&pinned_3(1)),
        size_of_val(&pinned_4(1)),
        size_of_val(&pinned_5(1)),
        size_of_val(&pinned_6(1)),
        size_of_val(&pinned_7(1)),
        size_of_val(&pinned_8(1)),
    ];
    assert_linear("pinned, yield_from!(pin!(sub))", &sizes);
}

#[test]
fn a_chain_of_generators_delegated_to_by_value_grows_by_a_constant_per_level() {
    let sizes = [
        size_of_val(&pinned_leaf(1)),
        size_of_val(&by_value_1(1)),
        size_of_val(&by_value_2(1)),
        size_of_val(&by_value_3(1)),
        size_of_val(&by_value_4(1)),
        size_of_val(&by_value_5(1)),
        size_of_val(&by_value_6(1)),
        size_of_val(&by_value_7(1)),
        size_of_val(&by_value_8(1)),
    ];
    assert_linear("pinned, yield_from!(ByValue(sub))", &sizes);
}

#[test]
fn a_chain_of_async_generators_grows_by_a_constant_per_level() {
    let sizes = [
        size_of_val(&async_leaf(1)),
        size_of_val(&async_1(1)),
        size_of_val(&async_2(1)),
        size_of_val(&async_3(1)),
        size_of_val(&async_4(1)),
        size_of_val(&async_5(1)),
        size_of_val(&async_6(1)),
        size_of_val(&async_7(1)),
        size_of_val(&async_8(1)),
    ];
    assert_linear("pinned async, yield_from!(pin!(sub))", &sizes);
}

/// A subgenerator of `N` bytes, written by hand, delegated to by value.
struct Big<const N: usize>([u8; N]);

impl<const N: usize> Generator<()> for Big<N> {
    type Yield = u64;
    type Return = usize;
    fn resume(self: Pin<&mut Self>, (): ()) -> GeneratorState<u64, usize> {
        GeneratorState::Complete(self.0.len())
    }
}

#[derive(Debug, PartialEq)]
struct Stop;

#[test]
fn a_subgenerator_or_iterator_delegated_to_by_value_is_kept_once() {
    #[generator(yield = u64, pinned)]
    fn loop_form() -> usize {
        yield_from!(Big([1; 4096]))
    }
    #[generator(yield = u64, pinned)]
    fn iterator_form() {
        yield_from!(resumable::from_iter([7; 512]));
    }
    // Resumed with `Result<(), Stop>`: the subgenerator, resumed with `()`, is driven by the
    // loop that closes it when an error is thrown in.
    #[generator(yield = u64, throw = Stop, pinned)]
    fn throwing_form() -> Result<usize, Stop> {
        yield_from!(Big([1; 4096]))
    }
    // The same, in a boxed generator: the box holds the subgenerator once.
    #[generator(yield = u64)]
    fn boxed_form() -> usize {
        yield_from!(Big([1; 4096]))
    }
    let forms = [
        ("loop", size_of_val(&loop_form()), 4096),
        ("iterator", size_of_val(&iterator_form()), 512 * 8),
        ("throwing loop", size_of_val(&throwing_form()), 4096),
    ];
    for (form, size, sub) in forms {
        assert!(
            size <= sub + PER_LEVEL,
            "{form}: a generator delegating to {sub} bytes by value is {size} bytes"
        );
    }
    // And they run.
    assert_eq!(drain_pinned_usize(pin!(loop_form())), 4096);
    assert_eq!(
        resumable::Generator::resume(pin!(throwing_form()), Ok(())),
        GeneratorState::Complete(Ok(4096))
    );
    assert_eq!(boxed_form().take_return(), None);
    let mut g = boxed_form();
    assert_eq!(g.by_ref().count(), 0);
    assert_eq!(g.take_return(), Some(4096));
    let mut it = pin!(iterator_form());
    assert_eq!(it.as_mut().send(()), GeneratorState::Yielded(7));
}

fn drain_pinned_usize<G: Generator<(), Yield = u64, Return = usize>>(mut g: Pin<&mut G>) -> usize {
    loop {
        if let GeneratorState::Complete(r) = g.as_mut().resume(()) {
            return r;
        }
    }
}

/// Bytes allocated on this thread, counted by the test binary's allocator while `COUNTING`.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    std::thread_local! {
        static COUNTING: Cell<bool> = const { Cell::new(false) };
        static BYTES: Cell<usize> = const { Cell::new(0) };
    }

    // SAFETY: forwards to the system allocator; the count is a side record.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if COUNTING.with(Cell::get) {
                BYTES.with(|b| b.set(b.get() + layout.size()));
            }
            // SAFETY: the caller's contract is `GlobalAlloc::alloc`'s.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: as above.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// The bytes `f` allocates on this thread.
    pub fn allocated(f: impl FnOnce()) -> usize {
        BYTES.with(|b| b.set(0));
        COUNTING.with(|c| c.set(true));
        f();
        COUNTING.with(|c| c.set(false));
        BYTES.with(Cell::get)
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

#[test]
fn a_chain_of_boxed_generators_allocates_a_constant_per_level() {
    // What one resume to the leaf's first value allocates: one box per level.
    fn first<G: Iterator<Item = u64>>(mut g: G) {
        assert_eq!(g.next(), Some(0));
    }
    let sizes = [
        counting::allocated(|| first(boxed_leaf(1))),
        counting::allocated(|| first(boxed_1(1))),
        counting::allocated(|| first(boxed_2(1))),
        counting::allocated(|| first(boxed_3(1))),
        counting::allocated(|| first(boxed_4(1))),
        counting::allocated(|| first(boxed_5(1))),
        counting::allocated(|| first(boxed_6(1))),
        counting::allocated(|| first(boxed_7(1))),
        counting::allocated(|| first(boxed_8(1))),
    ];
    assert_linear("boxed, yield_from!(sub)", &sizes);
}

// ---------------------------------------------------------------------------------------------
// Depth 8 runs on a test thread (2 MiB of stack), in a debug build too.

#[test]
fn a_chain_eight_deep_runs_on_a_test_thread() {
    let n = 3;
    assert_eq!(drain(pin!(pinned_8(n))), (expected(n, 8), n + 8));
    assert_eq!(drain(pin!(by_value_8(n))), (expected(n, 8), n + 8));
    let mut g = boxed_8(n);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), expected(n, 8));
    assert_eq!(g.take_return(), Some(n + 8));
    // An async generator is a stream; nothing in these ones waits.
    let mut a = pin!(async_8(n));
    let mut cx = Context::from_waker(Waker::noop());
    let mut got = vec![];
    while let Poll::Ready(Some(v)) = a.as_mut().poll_next(&mut cx) {
        got.push(v);
    }
    assert_eq!(got, [0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3]);
}
