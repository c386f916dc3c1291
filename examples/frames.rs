//! `frames`: why the call stack cannot hold a generator — its frame outlives the call that made
//! it — and what the compiler's state machine keeps instead.
//!
//! A function's locals live in a frame on the call stack, pushed when it is called and popped
//! when it returns: last in, first out. A generator breaks that order. Its body stops half-way
//! at a yield, its caller goes on and returns, and later someone else — deeper in the stack,
//! or on another thread — resumes it, and its locals must still be there. So a generator's
//! locals cannot live in a stack frame. Python keeps them in a frame object on the heap
//! (`gen.gi_frame`); Rust's compiler turns the body into a state machine, a value holding exactly
//! the locals that live across a yield, and the generator *is* that value.
//!
//! Python:
//! ```python
//! def count_once():
//!     i = 0
//!     i += 1
//!     return i            # the frame is thrown away: count_once() is 1 every time
//!
//! def ticker():
//!     i = 0
//!     while True:
//!         yield i         # the frame is suspended, kept alive by the generator object
//!         i += 1
//!
//! t = ticker()            # runs nothing: makes a frame, suspended before its first line
//! next(t), next(t)        # (0, 1)
//! t.gi_frame.f_locals     # {'i': 1}
//! ```
//!
//! Run with `cargo run --example frames`.
use std::mem::size_of_val;

use resumable::prelude::*;

/// A function: its local `i` is made fresh by every call and gone when the call returns.
fn count_once() -> u32 {
    let mut i = 0;
    i += 1;
    i
}

/// A generator: its local `i` lives from the first resume to the end, across every yield.
/// It yields `i` and the address `i` lives at.
#[generator(yield = (u32, usize))]
fn ticker() {
    let mut i = 0u32;
    loop {
        yield_!((i, &i as *const u32 as usize));
        i += 1;
    }
}

/// Resumes `t` from `depth` calls further down the stack than its caller.
fn resume_deeper(t: &mut impl Iterator<Item = (u32, usize)>, depth: u32) -> (u32, usize) {
    if depth == 0 {
        return t.next().expect("ticker never ends");
    }
    // Something on this frame, so the calls really stack up.
    let frame = std::hint::black_box([depth; 16]);
    let got = resume_deeper(t, depth - 1);
    std::hint::black_box(frame);
    got
}

/// The address of a local of a plain function, called `depth` calls down.
fn local_address(depth: u32) -> usize {
    let local = std::hint::black_box(0u32);
    if depth == 0 {
        return &local as *const u32 as usize;
    }
    let at = local_address(depth - 1);
    std::hint::black_box(&local);
    at
}

/// Prints when dropped, so we see when a generator's locals go away.
struct Noisy(&'static str);

impl Drop for Noisy {
    fn drop(&mut self) {
        println!("   [drop] {}", self.0);
    }
}

/// Holds a `Noisy` across its yields.
#[generator(yield = &'static str)]
fn keeper() {
    let _local = Noisy("keeper's local `_local` is dropped with the generator");
    yield_!("first");
    yield_!("second");
}

/// `pinned` generators hold their state inline, so `size_of_val` shows what the compiler keeps.
/// This one keeps a 1 KiB buffer alive across its first yield.
#[generator(yield = u32, pinned)]
fn holds_buffer() {
    let buffer = [7u8; 1024];
    yield_!(1);
    yield_!(buffer.len() as u32); // `buffer` is used after a yield: it is kept
}

/// The same buffer, in a block that ends before the first yield: it is not kept. (Without the
/// block it would be: a local that has been borrowed, by `buffer.iter()` here, is kept as long
/// as it is in scope.)
#[generator(yield = u32, pinned)]
fn drops_buffer() {
    let sum: u32 = {
        let buffer = [7u8; 1024];
        buffer.iter().map(|&b| u32::from(b)).sum()
    }; // `buffer`'s scope ends here
    yield_!(1);
    yield_!(sum); // only `sum` (4 bytes) lives across the yield
}

/// A `u32` across the yield, and nothing else.
#[generator(yield = u32, pinned)]
fn counter() {
    let mut i = 0u32;
    loop {
        yield_!(i);
        i += 1;
    }
}

fn main() {
    println!("1. A function starts from scratch on every call: its frame is popped when it");
    println!("   returns, and its locals with it.");
    println!(
        "   count_once() = {}, count_once() = {}",
        count_once(),
        count_once()
    );
    let (shallow, deep) = (local_address(0), local_address(50));
    println!(
        "   Its local sits wherever the stack happens to be: called 50 calls deeper, it is {} \
         bytes\n   further down (how many depends on the build).",
        shallow.abs_diff(deep)
    );

    println!("\n2. A generator's frame outlives the call that made it.");
    let mut t = ticker(); // the call returned; nothing of the body has run yet
    println!("   ticker() returned a generator: {t:?}");
    let (a, at_a) = t.next().expect("ticker never ends");
    let (b, at_b) = resume_deeper(&mut t, 50);
    let (c, at_c) = std::thread::spawn(move || t.next().expect("ticker never ends"))
        .join()
        .expect("the thread does not panic");
    println!("   resumed from main:                 i = {a}");
    println!("   resumed 50 calls deeper:           i = {b}");
    println!("   moved to another thread, resumed:  i = {c}");
    println!(
        "   `i` was at the same address every time: {} (it lives in the generator, not on a stack)",
        at_a == at_b && at_b == at_c
    );

    println!("\n3. Its locals live until the generator is dropped, not until a call returns.");
    let mut k = keeper();
    println!("   keeper() yields {:?}", k.next());
    println!("   keeper() yields {:?}", k.next());
    println!("   dropping the generator while it is suspended at its second yield:");
    drop(k);

    println!("\n4. What the compiler keeps: the locals that live across a yield, no more.");
    println!("   (`pinned` generators hold their state inline; sizes from this compiler.)");
    let sizes = [
        (
            "counter()",
            size_of_val(&counter()),
            "a u32 across the yield",
        ),
        (
            "holds_buffer()",
            size_of_val(&holds_buffer()),
            "a [u8; 1024] used after a yield",
        ),
        (
            "drops_buffer()",
            size_of_val(&drops_buffer()),
            "the same buffer, dead before the first yield",
        ),
    ];
    for (name, size, what) in sizes {
        let call = format!("size_of_val(&{name})");
        println!("   {call:<28} = {size:>4} bytes   {what}");
    }
    let overhead = sizes[0].1;
    println!(
        "   holds_buffer is {} bytes bigger than counter: the buffer. The {overhead} bytes they \
         share",
        sizes[1].1 - overhead
    );
    println!("   are the counter or sum, the state (which yield it waits at) and the generator's");
    println!("   bookkeeping. The default (boxed) form keeps the same state in one allocation:");
    println!(
        "   size_of_val(&ticker()) = {} bytes, a pointer.",
        size_of_val(&ticker())
    );
}
