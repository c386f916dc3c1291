//! The generator core: the first room of the lineage, before `sched` (generators resumed in
//! turn), `kernel` (generators that yield system calls) and `rt` (futures on an event loop).
//!
//! Everything here is reached through the crate root (`resumable::Generator`,
//! `resumable::Gen`, …); this folder only groups the files. Read them in this order:
//!
//! 1. `state` — the [`Generator`](crate::Generator) trait and the
//!    [`GeneratorState`](crate::GeneratorState) a resume reports: what a generator is.
//! 2. `status` — where a generator is in its life ([`State`](crate::State)), and the errors of
//!    resuming or closing one at the wrong time.
//! 3. `body` — what a generator runs: the `async` block the macros write around your code,
//!    which rustc lowers into the state machine that keeps the suspended frame.
//! 4. `channel` — how a yield works: a resume hands the body a frame through the waker, the
//!    body leaves its value there and suspends.
//! 5. `pinned` — [`PinnedGen`](crate::PinnedGen), the generator itself, kept in place:
//!    `resume`, `start`, `throw`, `close`.
//! 6. `boxed` — [`Gen`](crate::Gen), the default form: a `PinnedGen` boxed once, so it is
//!    `Unpin`.
//! 7. `erased` — [`BoxGen`](crate::BoxGen) and [`LocalBoxGen`](crate::LocalBoxGen), generators
//!    you can name.
//! 8. `yield_from` — what `yield_from!` (PEP 380) becomes, chosen by what is delegated to;
//!    `delegate`, delegation to a generator of this crate, polled in place; and `chain`, the
//!    handles a suspended chain of delegations keeps, so a resume steps one body of it at a
//!    time.
//! 9. `async_gen` — async generators (PEP 525): bodies that `.await`, driven as streams.
//! 10. `macros` — `coroutine!`, `yield_!`, `yield_from!`; and `private`, everything the macros'
//!     expansions name (mounted at the crate root as `__private`).

#[macro_use]
mod macros;
pub(crate) mod async_gen;
pub(crate) mod body;
#[cfg(feature = "alloc")]
pub(crate) mod boxed;
pub(crate) mod chain;
pub(crate) mod channel;
pub(crate) mod delegate;
#[cfg(feature = "alloc")]
pub(crate) mod erased;
pub(crate) mod pinned;
pub(crate) mod state;
pub(crate) mod status;
pub(crate) mod yield_from;
