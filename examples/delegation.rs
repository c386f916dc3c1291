//! `delegation`: `yield_from!` (PEP 380) — a generator hands its caller over to a subgenerator.
//!
//! Every value the subgenerator yields goes out to the caller, every value sent or thrown in goes
//! to the subgenerator, and `yield_from!` evaluates to the subgenerator's return value.
//!
//! Run with `cargo run --example delegation`.
use resumable::prelude::*;

/// Accumulates the numbers sent in until `None`, then returns their sum.
#[generator(yield = &'static str, resume = Option<i64>)]
fn summer() -> i64 {
    let mut total = 0;
    while let Some(n) = yield_!("summer: send me a number, or None to finish") {
        total += n;
    }
    total
}

/// Delegates to a `summer` per group and collects the totals: the subgenerators do the talking.
#[generator(yield = &'static str, resume = Option<i64>)]
fn grouper(groups: usize) -> Vec<i64> {
    let mut totals = Vec::new();
    for _ in 0..groups {
        // Starts the subgenerator without a value, as Python's `yield from` starts it with
        // `next()`: no yield of it is waiting for one yet.
        let total = yield_from!(summer());
        totals.push(total);
    }
    totals
}

/// `yield_from!` also takes any iterator through `resumable::from_iter`, as Python's
/// `yield from` takes any iterable.
#[generator(yield = char)]
fn spelled(words: Vec<&'static str>) -> usize {
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            yield_!(' ');
        }
        yield_from!(resumable::from_iter(w.chars()));
    }
    words.len()
}

#[derive(Debug, PartialEq)]
struct Cancel;

#[generator(yield = u32, throw = Cancel)]
fn leaf() -> Result<&'static str, Cancel> {
    let mut i = 0;
    loop {
        match yield_!(i) {
            Ok(()) => i += 1,
            Err(Cancel) => return Ok("leaf caught Cancel and returned"),
        }
    }
}

#[generator(yield = u32, throw = Cancel)]
fn branch() -> Result<String, Cancel> {
    let from_leaf = yield_from!(leaf())?;
    Ok(format!("branch got {from_leaf:?}"))
}

fn main() {
    println!("1. Sending through a delegating generator:");
    let mut g = grouper(2);
    println!("   start() -> {:?}", g.start());
    for n in [Some(1), Some(2), None, Some(10), Some(20)] {
        println!("   send({n:?}) -> {:?}", g.send(n));
    }
    println!("   send(None) -> {:?}", g.send(None));

    println!("\n2. Delegating to an iterator:");
    let mut s = spelled(vec!["yield", "from"]);
    let text: String = s.by_ref().collect();
    println!("   {text:?}, return value {:?}", s.take_return());

    println!(
        "\n3. A throw goes through branch down into leaf, is caught there, and the value comes back up:"
    );
    let mut b = branch();
    b.start();
    b.send(Ok(()));
    println!(
        "   suspended at {} (the innermost yield)",
        b.suspended_at().expect("suspended")
    );
    println!("   throw(Cancel) -> {:?}", b.throw(Cancel));
}
