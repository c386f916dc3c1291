//! # The guide: from a function's frame to an event loop
//!
//! This guide walks the road Python took from `yield` to `asyncio`, one runnable step at a
//! time, with this crate's pieces: a function and its stack frame, then generators, then
//! generators you can send into, throw into and close, then delegation with `yield from`, then
//! a scheduler that takes turns over generators, then a little operating system whose tasks are
//! generators, then an event loop for futures, and what that loop is good for (and not).
//!
//! Every chapter has the same parts:
//!
//! * **the idea**, in a few paragraphs;
//! * **the Python** the tutorials write, beside **the Rust** that does the same here (every Rust
//!   snippet in these pages is compiled by `cargo test`, and run, except the one in chapter 4
//!   that is there to show what does *not* compile);
//! * **the example to run**, `cargo run --example NAME` from a checkout of the repository, and
//!   the output it printed when this page was written;
//! * **one "change this and see" exercise**;
//! * links to the module that does the work, to read next.
//!
//! Read the chapters in order; each one uses what the one before built.
//!
//! | chapter | the step | examples |
//! |---|---|---|
//! | [0. The call stack](ch0_call_stack) | why a function's frame cannot wait, and what a generator keeps instead | `frames` |
//! | [1. Generators](ch1_generators) | `yield`, `next`, a return value | `fib`, `inspect` |
//! | [2. Send, throw, close](ch2_send_throw_close) | values and errors into a suspended generator; ending one early | `averager`, `throw_close` |
//! | [3. Delegation](ch3_yield_from) | `yield from`: a generator calling a generator | `delegation`, `pipeline` |
//! | [4. Round-robin](ch4_round_robin) | a queue of generators taking turns: cooperative multitasking | `round_robin` |
//! | [5. A kernel](ch5_kernel) | tasks that yield system calls: sleeping, joining, waiting for sockets | `kernel`, `echo_server`, `hog` |
//! | [6. The event loop](ch6_event_loop) | futures, tasks, `asyncio.sleep` against `time.sleep`, `sleep(0)` | `sleep`, `ticker` |
//! | [7. A client and a chat server](ch7_network) | real programs on the loop: an HTTP client, a chat room with a bot | `http_client`, `chat_server` |
//! | [8. Threads or async?](ch8_threads_vs_async) | what a waiting thread costs against a waiting task; the chess exhibition | `threads_vs_async`, `chess` |
//! | [9. Reading files](ch9_files) | why files are not sockets, and the thread pool that reads them | `aiofile` |
//!
//! If you know Python's generators already, the [crate's front page](crate) has the API in one
//! table; the guide is for how the pieces grew out of each other.
//!
//! These pages exist only in the documentation (and in `cargo test`, which runs their
//! snippets): the module has no items of its own.

#[doc = include_str!("ch0_call_stack.md")]
pub mod ch0_call_stack {}

#[doc = include_str!("ch1_generators.md")]
pub mod ch1_generators {}

#[doc = include_str!("ch2_send_throw_close.md")]
pub mod ch2_send_throw_close {}

#[doc = include_str!("ch3_yield_from.md")]
pub mod ch3_yield_from {}

// A chapter with pictures is in several Markdown files, with a picture between two of them.
// The pictures are SVG, put in the page as text because rustdoc does not copy local image
// files; the empty line on each side makes each one an HTML block of its own (one cannot start
// inside a paragraph). `tests/timelines.rs` checks that they are what the code draws now
// (`SNAPSHOTS=overwrite cargo test --test timelines` draws them again).
#[doc = include_str!("ch4_round_robin.md")]
#[doc = ""]
#[doc = include_str!("img/round_robin.svg")]
#[doc = ""]
#[doc = include_str!("ch4_round_robin_2.md")]
pub mod ch4_round_robin {}

#[doc = include_str!("ch5_kernel.md")]
#[doc = ""]
#[doc = include_str!("img/kernel.svg")]
#[doc = ""]
#[doc = include_str!("ch5_kernel_2.md")]
#[doc = ""]
#[doc = include_str!("img/hog.svg")]
#[doc = ""]
#[doc = include_str!("ch5_kernel_3.md")]
pub mod ch5_kernel {}

#[doc = include_str!("ch6_event_loop.md")]
#[doc = ""]
#[doc = include_str!("img/rt.svg")]
#[doc = ""]
#[doc = include_str!("ch6_event_loop_2.md")]
pub mod ch6_event_loop {}

#[doc = include_str!("ch7_network.md")]
pub mod ch7_network {}

#[doc = include_str!("ch8_threads_vs_async.md")]
#[doc = ""]
#[doc = include_str!("img/chess.svg")]
#[doc = ""]
#[doc = include_str!("ch8_threads_vs_async_2.md")]
pub mod ch8_threads_vs_async {}

#[doc = include_str!("ch9_files.md")]
pub mod ch9_files {}
