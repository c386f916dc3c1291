#![cfg_attr(
    all(feature = "rt", unix),
    doc = "*New to generators, coroutines and event loops? [The guide](crate::guide) walks from \
a function's stack frame to an asyncio-style event loop, one runnable chapter at a time.*\n\n"
)]
// The README's examples run the kernel and rt: doc-tested only where those are built.
#![cfg_attr(any(not(doctest), all(feature = "rt", unix)), doc = include_str!("../../README.md"))]
#![doc = include_str!("features.md")]
#![no_std]
// Without `alloc` the boxed forms (`Gen`, `AsyncGen`, `BoxGen`, `sched`) are not built: the docs
// that link to them show those links as plain text.
#![cfg_attr(not(feature = "alloc"), allow(rustdoc::broken_intra_doc_links))]
#![warn(
    missing_docs,
    clippy::undocumented_unsafe_blocks,
    unsafe_op_in_unsafe_fn
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[macro_use]
mod generator;
#[cfg(feature = "kernel")]
// The kernel's engine is also rt's: built without rt, what only rt calls goes unused, and the
// kernel's docs that link to rt show those links as plain text.
#[cfg_attr(
    not(all(feature = "rt", unix)),
    allow(dead_code, unused_imports, rustdoc::broken_intra_doc_links)
)]
pub mod kernel;
#[cfg(all(feature = "rt", unix))]
pub mod rt;
#[cfg(feature = "alloc")]
pub mod sched;
#[cfg(feature = "alloc")]
// Its docs link to the kernel, whose passes it draws: plain text where the kernel is not built.
#[cfg_attr(not(feature = "kernel"), allow(rustdoc::broken_intra_doc_links))]
pub mod timeline;

#[doc(hidden)]
#[path = "generator/private.rs"]
pub mod __private;

#[cfg(feature = "alloc")]
pub use crate::generator::async_gen::AsyncGen;
pub use crate::generator::async_gen::{
    AsyncReturn, CloseWith, Closed, Next, NextArg, PinnedAsyncGen, Resume,
};
pub use crate::generator::body::{Body, Starts};
#[cfg(feature = "alloc")]
pub use crate::generator::boxed::Gen;
#[cfg(feature = "alloc")]
pub use crate::generator::erased::{BoxGen, DynGen, DynGenerator, LocalBoxGen};
pub use crate::generator::pinned::PinnedGen;
pub use crate::generator::state::{Generator, GeneratorState};
pub use crate::generator::status::{CloseError, ResumeError, State};
pub use crate::generator::yield_from::{from_iter, FromIter};
pub use futures_core::{FusedStream, Stream};

/// Turns a function into a generator: calling it runs nothing, and returns a generator whose
/// body is the function's.
///
/// ```text
/// #[generator(yield = Y, resume = R, throw = E, pinned, crate = path)]
/// [async] fn name<generics>(args) [-> Ret] { .. yield_!(value) .. yield_from!(sub) .. }
/// ```
///
/// # Keys
///
/// | key | meaning | default |
/// |---|---|---|
/// | `yield = Y` | the type of every `yield_!(value)` | required |
/// | `resume = R` | what `send` passes in: each `yield_!` evaluates to an `R` | `()` |
/// | `throw = E` | errors can be thrown in: the resume type is `Result<R, E>`, and the function returns a `Result` | none |
/// | `pinned` | allocate nothing: the generator is `!Unpin` | boxed once |
/// | `crate = path` | where this crate is, if it was renamed in `Cargo.toml` | `::resumable` |
///
/// Keys may come in any order; each at most once. A missing `yield`, an unknown key or a
/// repeated one is a compile error on the attribute.
///
/// # What it returns
///
/// | written | returns | driven by |
/// |---|---|---|
/// | `fn` | [`Gen<Y, R, _>`](Gen) | `send`, `start`, `throw`, `close`, `close_with`; an `Iterator` when `R = ()` |
/// | `fn` with `pinned` | [`PinnedGen<Y, R, _>`](PinnedGen) | the same, through `Pin<&mut Self>` |
/// | `async fn` | [`AsyncGen<Y, _, R>`](AsyncGen) | a [`Stream`] when `R = ()`; `send(v).await`, `start()`, `throw(e).await`, `close()`, `close_with(e).await` |
/// | `async fn` with `pinned` | [`PinnedAsyncGen<Y, _, R>`](PinnedAsyncGen) | the same, through `Pin<&mut Self>` |
///
/// The body type `_` is opaque; `.boxed()` makes a nameable [`BoxGen`] of a plain generator.
/// The function's declared return type is the generator's `Return`: what `send` reports as
/// [`GeneratorState::Complete`], and what `take_return()` hands back after iteration.
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = u64)]
/// fn fib(limit: u64) -> &'static str {
///     let (mut a, mut b) = (0, 1);
///     while a < limit {
///         yield_!(a);
///         (a, b) = (b, a + b);
///     }
///     "Done"
/// }
///
/// let mut g = fib(10);
/// assert_eq!(g.by_ref().collect::<Vec<_>>(), [0, 1, 1, 2, 3, 5, 8]);
/// assert_eq!(g.take_return(), Some("Done"));
/// ```
///
/// # The body
///
/// * `yield_!(value)` suspends the generator, handing `value` out, and evaluates to what the
///   next resume passes in (`R`, or `Result<R, E>` with `throw`). `yield_!()` yields `()`.
/// * `yield_from!(sub)` delegates to another generator until it returns (Python's `yield
///   from`, see [`yield_from!`]) and evaluates to its return value.
/// * `return`, `?`, loops, borrows of locals held across a yield: everything a function body
///   may do. Only an `async fn` generator may `.await`.
/// * The generator captures the arguments by move, as an `async fn` does; lifetimes of borrowed
///   arguments become the generator's.
///
/// The first resume starts the body, and no yield is waiting for its argument (the priming
/// rule): start a generator with [`start()`](Gen::start), Python's priming `next(gen)`. A
/// generator declared with `resume = R` refuses a value before that (`send` panics, saying to
/// call `start()` first; `try_send` returns [`ResumeError::NotStarted`]), so nothing sent is
/// ever lost; one without a `resume` key can also be started with `send(())` or `next()`.
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = f64, resume = f64)]
/// fn averager() {
///     let (mut total, mut n) = (0.0, 0.0);
///     let mut avg = 0.0;
///     loop {
///         total += yield_!(avg);
///         n += 1.0;
///         avg = total / n;
///     }
/// }
///
/// let mut avg = averager();
/// assert_eq!(avg.try_send(10.0), Err(ResumeError::NotStarted)); // not lost: refused
/// assert_eq!(avg.start(), GeneratorState::Yielded(0.0));
/// assert_eq!(avg.send(10.0), GeneratorState::Yielded(10.0));
/// assert_eq!(avg.send(20.0), GeneratorState::Yielded(15.0));
/// ```
///
/// # `throw = E`
///
/// Each `yield_!` evaluates to `Result<R, E>`: `Ok(value)` from `send(Ok(value))`, `Err(e)`
/// from `throw(e)`. The function must return `Result<T, F>` with `F: From<E>`, so a thrown
/// error propagates with `?` (converted as any error is), and an error thrown in before the
/// body started ends the generator with `Err(F::from(e))` before its body runs.
/// [`close_with(e)`](Gen::close_with) is Python's `close()` for such a generator: it throws `e`
/// in so the body can run cleanup code, then ends it.
///
/// ```
/// use resumable::prelude::*;
///
/// #[derive(Debug, PartialEq)]
/// struct Cancelled;
///
/// #[derive(Debug, PartialEq)]
/// enum JobError { Cancelled, Failed(&'static str) }
///
/// impl From<Cancelled> for JobError {
///     fn from(_: Cancelled) -> Self { JobError::Cancelled }
/// }
///
/// #[generator(yield = u32, throw = Cancelled)]
/// fn job() -> Result<&'static str, JobError> {
///     for step in 0..3 {
///         yield_!(step)?; // a thrown Cancelled becomes JobError::Cancelled
///     }
///     Err(JobError::Failed("out of steps"))
/// }
///
/// let mut j = job();
/// assert_eq!(j.start(), GeneratorState::Yielded(0));
/// assert_eq!(j.throw(Cancelled), GeneratorState::Complete(Err(JobError::Cancelled)));
/// assert_eq!(job().throw(Cancelled), GeneratorState::Complete(Err(JobError::Cancelled)));
/// ```
///
/// # `pinned`
///
/// The generator is the body's state itself, on the stack or wherever it is put: it allocates
/// nothing (this is the form for `no_std` without `alloc`), and must be pinned before it is
/// resumed.
///
/// ```
/// use core::pin::pin;
/// use resumable::prelude::*;
///
/// #[generator(yield = u8, pinned)]
/// fn two() {
///     yield_!(1);
///     yield_!(2);
/// }
///
/// let mut g = pin!(two());
/// assert_eq!(g.as_mut().send(()), GeneratorState::Yielded(1));
/// assert_eq!(g.as_mut().send(()), GeneratorState::Yielded(2));
/// ```
///
/// # `async fn`
///
/// An async generator (PEP 525): its body may `.await`, and each step runs it to its next
/// yield, awaiting on the way (see [`AsyncGen`]). It returns `()`, or `Result<(), E>`: then it
/// is a stream of `Result<Y, E>` whose `?` (or `return Err(e)`) ends it with one last item
/// `Err(e)` (async-stream's `try_stream!`; see [`AsyncReturn`]). With `throw = E` it must
/// return `Result<(), F>`. `yield_from!` in an async generator may delegate to another async
/// generator.
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = u32)]
/// async fn parse(words: Vec<&'static str>) -> Result<(), core::num::ParseIntError> {
///     for w in words {
///         core::future::ready(()).await;
///         yield_!(w.parse()?);
///     }
///     Ok(())
/// }
///
/// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
/// # }
/// let mut s = parse(vec!["1", "x"]);
/// assert_eq!(block_on(s.next()), Some(Ok(1)));
/// assert!(matches!(block_on(s.next()), Some(Err(_))));
/// assert_eq!(block_on(s.next()), None);
/// ```
///
/// # Methods, generics, lifetimes
///
/// The attribute works on free functions, inherent and trait methods (`&self`, `&mut self`,
/// `self`), generic functions and functions with lifetimes, elided or named; a generator that
/// borrows its arguments borrows them for as long as it lives.
///
/// ```
/// use resumable::prelude::*;
///
/// struct Words(String);
///
/// impl Words {
///     #[generator(yield = &str)]
///     fn each(&self) {
///         for w in self.0.split(' ') {
///             yield_!(w);
///         }
///     }
/// }
///
/// #[generator(yield = T)]
/// fn twice<T: Clone>(x: T) {
///     yield_!(x.clone());
///     yield_!(x);
/// }
///
/// let words = Words("a b".into());
/// assert_eq!(words.each().collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(twice('z').collect::<String>(), "zz");
/// ```
///
/// # Trait methods
///
/// A trait method returning `impl Generator<R, Yield = T, Return = U>` (`R` the `resume` type,
/// left out when it is `()`, or `Result<R, E>` with `throw = E`; `+ Unpin` unless `pinned`) is
/// implemented with `#[generator]` over the same signature, elided lifetimes included. The
/// implementation's own type (here a [`Gen`]) is what callers that know the type get; code
/// generic over the trait sees what the trait promises.
///
/// ```
/// use resumable::prelude::*;
///
/// trait Walk {
///     fn walk(&self) -> impl Generator<Yield = u32, Return = ()> + Unpin;
/// }
///
/// struct Numbers(Vec<u32>);
///
/// impl Walk for Numbers {
///     #[generator(yield = u32)]
///     fn walk(&self) {
///         for x in &self.0 {
///             yield_!(*x);
///         }
///     }
/// }
///
/// let numbers = Numbers(vec![1, 2]);
/// let mut g = numbers.walk();
/// assert_eq!(g.next(), Some(1));
/// assert_eq!(g.state(), State::Suspended);
/// ```
///
/// A default method may be a `#[generator]`, but not one that calls itself: rustc rejects a
/// call of the method being defined inside its own default body (E0792, boxed or not). Return
/// a free generic `#[generator]` function from the default method instead; it may recurse
/// through the trait.
///
/// ```
/// use resumable::prelude::*;
///
/// trait Tree: Sized {
///     fn value(&self) -> u32;
///     fn children(&self) -> &[Self];
///
///     fn walk(&self) -> impl Generator<Yield = u32, Return = ()> + Iterator<Item = u32> + Unpin {
///         walk_tree(self)
///     }
/// }
///
/// #[generator(yield = u32)]
/// fn walk_tree<T: Tree>(node: &T) {
///     yield_!(node.value());
///     for child in node.children() {
///         yield_from!(child.walk());
///     }
/// }
///
/// struct Node(u32, Vec<Node>);
///
/// impl Tree for Node {
///     fn value(&self) -> u32 { self.0 }
///     fn children(&self) -> &[Self] { &self.1 }
/// }
///
/// let tree = Node(1, vec![Node(2, vec![Node(3, vec![])]), Node(4, vec![])]);
/// assert_eq!(tree.walk().collect::<Vec<_>>(), [1, 2, 3, 4]);
/// ```
///
/// The same recursion written inside the default body does not compile:
///
/// ```compile_fail,E0792
/// use resumable::prelude::*;
///
/// trait Tree: Sized {
///     fn value(&self) -> u32;
///     fn children(&self) -> &[Self];
///
///     #[generator(yield = u32)]
///     fn walk(&self) {
///         yield_!(self.value());
///         for child in self.children() {
///             yield_from!(Box::new(child.walk()));
///         }
///     }
/// }
/// ```
pub use resumable_macros::generator;

/// Everything needed to write and drive generators: `use resumable::prelude::*;`.
pub mod prelude {
    pub use crate::{coroutine, generator, yield_, yield_from};
    pub use crate::{CloseError, Generator, GeneratorState, ResumeError, State};
    pub use futures_core::Stream;
}

// The guide: Markdown chapters, only in the documentation and in doc tests (which run every
// snippet). It walks through `sched`, `kernel` and `rt`, so it needs the `rt` feature (and Unix).
#[cfg(all(any(doc, doctest), feature = "rt", unix))]
pub mod guide;
