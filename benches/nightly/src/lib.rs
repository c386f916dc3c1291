//! The nightly reference for issue 16: the project's benchmark bodies written twice, as std's
//! nightly coroutines (`#[coroutine]` closures, `gen` blocks) and as resumable generators, so
//! their sizes and their cost per operation can be compared for the same code.
//!
//! * [`bodies`]: the bodies (W5's task, W1, W2, W4, a delegation chain), in both forms.
//! * [`adapter`]: a nightly coroutine as a [`resumable::Generator`], so the same scheduler
//!   runs both.
//! * [`layout`]: the fields of a resumable generator, computed from its types.
//!
//! `src/bin/sizes/` prints the `size_of` tables and the bytes `sched::RoundRobin` keeps per
//! task; `src/bin/out_of_line/` runs the out-of-line rows for callgrind; `run.sh` runs both.
#![feature(coroutines, coroutine_trait, gen_blocks)]

pub mod adapter;
pub mod bodies;
pub mod layout;
