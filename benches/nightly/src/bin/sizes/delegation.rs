//! The delegation chains: a generator delegating to one delegating to … the leaf, depths 0
//! to 3, and what one level of `yield_from!` holds.

use std::mem::{size_of, size_of_val};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use resumable::__private::{Co, InSync, Probe, ViaShared as _};
use resumable::{Body, Generator, GeneratorState, PinnedGen};
use resumable_nightly_reference::bodies::*;
use resumable_nightly_reference::layout::Breakdown;

use crate::counting::measure;

/// The heap bytes a boxed chain keeps while suspended at its innermost yield: made and
/// resumed once with the counter on.
fn boxed_live<G: Generator<(), Yield = u64, Return = u64> + Unpin>(
    make: impl FnOnce() -> G,
) -> isize {
    let (g, added) = measure(|| {
        let mut g = make();
        assert_eq!(Pin::new(&mut g).resume(()), GeneratorState::Yielded(0));
        g
    });
    drop(g);
    added.bytes
}

/// `size_of_val` of a pinned chain, and checks it runs: `n` values, then `n`.
fn pinned<B: Body<u64, (), Output = u64>>(g: PinnedGen<u64, (), B>) -> usize {
    let size = size_of_val(&g);
    let mut g = pin!(g);
    let mut values = 0;
    while let GeneratorState::Yielded(_) = g.as_mut().resume(()) {
        values += 1;
    }
    assert_eq!(values, 2);
    size
}

/// The future `yield_from!(sub)` awaits for a pinned subgenerator, built as the macro's
/// expansion builds it, in a body written by hand: its size, and its subgenerator handle's.
fn delegation_future() -> (usize, usize) {
    static SIZE: AtomicUsize = AtomicUsize::new(0);
    let g = pin!(PinnedGen::new(
        |mut co: Co<u64, ()>, _: Option<()>| async move {
            let sub = pin!(pinned_d0(1));
            // What `yield_from!(sub)` expands to (see the expansion of `pinned_d1`), not awaited:
            // kept token for token (the borrow picks the delegation's kind by autoref).
            #[allow(clippy::match_single_binding, clippy::needless_borrow)]
            let delegation = match (Probe(sub), Some(())) {
                (sub, first) => (&sub)
                    .__resumable_tag()
                    .within(<InSync>::NEW)
                    .delegate(&mut co, sub.0, first, true),
            };
            SIZE.store(size_of_val(&delegation), Relaxed);
            0u64
        }
    ));
    let mut g = g;
    assert_eq!(g.as_mut().resume(()), GeneratorState::Complete(0));
    (SIZE.load(Relaxed), size_of::<Pin<&mut ()>>())
}

/// Prints the chains' table and what one level holds.
pub fn table() {
    let nightly = [
        size_of_val(&nightly_d0(2)),
        size_of_val(&nightly_d1(2)),
        size_of_val(&nightly_d2(2)),
        size_of_val(&nightly_d3(2)),
    ];
    let pinned = [
        pinned(pinned_d0(2)),
        pinned(pinned_d1(2)),
        pinned(pinned_d2(2)),
        pinned(pinned_d3(2)),
    ];
    // The boxed chain: its handle, the block it boxes, and the heap it keeps once it runs
    // (each level boxes the one below when it starts delegating to it).
    macro_rules! boxed {
        ($make:expr) => {{
            let mut g = $make;
            (
                size_of_val(&g),
                size_of_val(&*g.as_pin_mut()),
                boxed_live(|| $make),
            )
        }};
    }
    let boxed = [
        boxed!(boxed_d0(2)),
        boxed!(boxed_d1(2)),
        boxed!(boxed_d2(2)),
        boxed!(boxed_d3(2)),
    ];
    println!(
        "| delegation depth `d` (`yield_from!` vs re-yield loop) | nightly | **resumable** \
         `pinned` | **resumable** boxed: handle + block | boxed: heap live while running |"
    );
    println!("|---|--:|--:|--:|--:|");
    for d in 0..4 {
        println!(
            "| depth {d} | {} | {} | {} + {} | {} |",
            nightly[d], pinned[d], boxed[d].0, boxed[d].1, boxed[d].2
        );
    }
    let per_level = |s: &[usize; 4]| (s[3] - s[0]) / 3;
    println!(
        "| per level | +{} | +{} | | +{} |",
        per_level(&nightly),
        per_level(&pinned),
        (boxed[3].2 - boxed[0].2) / 3
    );

    let mut d0 = pin!(pinned_d0(2));
    let leaf = Breakdown::of(&d0);
    let mut d1 = pin!(pinned_d1(2));
    let level = Breakdown::of(&d1);
    let (delegation, handle) = delegation_future();
    let _ = (d0.as_mut().resume(()), d1.as_mut().resume(()));
    println!(
        "\nOne level of `pinned` delegation (depth 1 over the leaf, {} − {} = {} bytes): the \
         level's own `PinnedGen` around its body ({} stage tag and padding, {} id, {} \
         marks: `DelegationMarks`, against {} for a body without `yield_from!`), and in its \
         `async` block ({} bytes: the argument `n` and its `Co`, 16, and what it awaits) the \
         future `yield_from!` awaits: {} bytes, of which {} are the subgenerator's handle \
         (`Pin<&mut _>`, the subgenerator itself being pinned in the body beside it) and {} \
         the delegation's own fields (`SharedDelegate`: body id, first argument, parent \
         shortcut, flags, parked return value, location, link). A nightly level adds {}.",
        level.total,
        leaf.total,
        level.total - leaf.total,
        level.stage - level.future,
        level.id,
        level.marks,
        leaf.marks,
        level.future,
        delegation,
        handle,
        delegation - handle,
        per_level(&nightly),
    );
}
