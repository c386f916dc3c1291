// The `kernel::sys` helpers are `throw = Cancelled` generators: a task delegating to them must
// be one too.
use std::time::Duration;

use resumable::kernel::{sys, Kernel, Reply, Syscall};
use resumable::prelude::*;

#[generator(yield = Syscall, resume = Reply)]
fn worker() -> u64 {
    yield_from!(sys::sleep(Duration::from_millis(5)));
    1
}

fn main() {
    let mut kernel = Kernel::new();
    kernel.spawn("worker", worker());
}
