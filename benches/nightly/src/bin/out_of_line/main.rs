//! Issue 16's out-of-line rows (`benches/out_of_line.rs`) with a nightly coroutine beside
//! ours, built by one compiler: W1 and W2 through a trait object from an `#[inline(never)]`
//! driver, W4 with each generator's handle through `black_box` so its allocation stays.
//!
//! Run by `run.sh` under callgrind: `out_of_line --callgrind GROUP/ROW OPS` performs one
//! iteration of that row with `OPS` operations and prints its result; instructions per
//! operation are (I(2k) − I(k)) / k, so the process start and the setup cancel out. `--list`
//! prints the rows; `--check` checks every row computes what its group's hand-written row does.
//!
//! The hand-written and resumable rows, and this command line, are `benches/out_of_line.rs`'s
//! own (`benches/common/out_of_line.rs`, included here); `w1`, `w2` and `w4` add the nightly
//! rows.
#![feature(coroutine_trait)]

/// The bodies, where `common` looks for them (`crate::bodies`).
use resumable_nightly_reference::bodies;

#[path = "../../../../common/out_of_line.rs"]
mod common;

mod w1;
mod w2;
mod w4;

/// What a row keeps between iterations: nothing here (`benches/out_of_line.rs` keeps
/// corosensei's stack).
struct Env;

impl Env {
    fn new() -> Env {
        Env
    }
}

fn main() {
    let groups: &common::Groups = &[
        ("w1_out_of_line", w1::ROWS),
        ("w2_out_of_line", w2::ROWS),
        ("w4_black_boxed", w4::ROWS),
    ];
    common::main(groups, || {
        eprintln!("usage: out_of_line --list | --check | --callgrind GROUP/ROW OPS");
    });
}
