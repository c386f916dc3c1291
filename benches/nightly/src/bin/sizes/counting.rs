//! A counting `#[global_allocator]`, switched on around the code measured: the live bytes
//! and allocations it adds (net of frees), and how many live blocks of each size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::Relaxed};

pub struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

/// Block sizes seen while counting (0: a free slot), and how many of each are live.
const SLOTS: usize = 32;
static SIZES: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static BLOCKS: [AtomicIsize; SLOTS] = [const { AtomicIsize::new(0) }; SLOTS];

/// Adds `delta` blocks of `size` bytes (sizes past the slots are counted in `LIVE` only).
fn count(size: usize, delta: isize) {
    LIVE.fetch_add(size as isize * delta, Relaxed);
    for (slot, blocks) in SIZES.iter().zip(&BLOCKS) {
        let known = match slot.compare_exchange(0, size, Relaxed, Relaxed) {
            Ok(_) => size,
            Err(known) => known,
        };
        if known == size {
            blocks.fetch_add(delta, Relaxed);
            return;
        }
    }
}

// SAFETY: forwards every call to `System` unchanged; only counts on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            count(layout.size(), 1);
            ALLOCS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Relaxed) {
            count(layout.size(), -1);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            count(layout.size(), -1);
            count(new_size, 1);
            ALLOCS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// What the code measured added to the heap and kept.
#[derive(Debug)]
pub struct Added {
    /// Live bytes, net of frees.
    pub bytes: isize,
    /// Allocations made (freed ones included).
    pub allocs: usize,
    /// `(block size, live blocks)` for the sizes with live blocks, most bytes first.
    pub blocks: Vec<(usize, isize)>,
}

/// Runs `f` with the counter on; returns what `f` returned and what it added to the heap.
/// (Not re-entrant: one measurement at a time, on one thread.)
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Added) {
    for (slot, blocks) in SIZES.iter().zip(&BLOCKS) {
        slot.store(0, Relaxed);
        blocks.store(0, Relaxed);
    }
    let (live, allocs) = (LIVE.load(Relaxed), ALLOCS.load(Relaxed));
    COUNTING.store(true, Relaxed);
    let out = f();
    COUNTING.store(false, Relaxed);
    let mut blocks: Vec<(usize, isize)> = SIZES
        .iter()
        .zip(&BLOCKS)
        .map(|(s, b)| (s.load(Relaxed), b.load(Relaxed)))
        .filter(|&(s, b)| s != 0 && b != 0)
        .collect();
    blocks.sort_by_key(|&(s, b)| -(s as isize * b));
    let added = Added {
        bytes: LIVE.load(Relaxed) - live,
        allocs: ALLOCS.load(Relaxed) - allocs,
        blocks,
    };
    (out, added)
}
