//! Helpers for the `rt` tests: the kernel tests' helpers (`kernel_common`: event log, drop
//! guards, captured reports, pass-by-pass runner, watchdog, loopback pairs), plus a few for
//! futures on the loop's clock.
#![allow(dead_code)]

use std::time::Duration;

use resumable::kernel::Kernel;

#[path = "../common/mod.rs"]
mod common;
#[path = "../kernel_common/mod.rs"]
mod kernel_common;

// Each test binary uses a different subset, as with `dead_code` above.
#[allow(unused_imports)]
pub use common::panic_message;
#[allow(unused_imports)]
pub use kernel_common::{
    capture_reports, entries, loopback_pair, new_log, passes, push, send_and_settle, within, Guard,
    Log,
};

/// `n` milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Logs `NAME@NOW`, with the loop's clock: what a task did, and when.
pub fn stamp(log: &Log, name: &str) {
    push(log, format!("{name}@{:?}", resumable::rt::now()));
}

/// A kernel on the virtual clock: sleeps are instant and `rt::now()` exact.
pub fn virtual_kernel() -> Kernel {
    Kernel::new().with_virtual_clock()
}

/// Runs one pass and returns what it logged.
pub fn one_pass(kernel: &mut Kernel, log: &Log) -> Vec<String> {
    let before = log.borrow().len();
    kernel.run_once();
    let pass = log.borrow()[before..].to_vec();
    pass
}
