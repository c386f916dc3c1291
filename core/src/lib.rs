#![doc = include_str!("../../README.md")]
#![no_std]
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
mod macros;
mod async_gen;
mod body;
#[cfg(feature = "alloc")]
mod boxed;
mod channel;
mod delegate;
#[cfg(feature = "alloc")]
mod erased;
#[cfg(feature = "std")]
pub mod kernel;
mod pinned;
#[cfg(all(feature = "std", unix))]
pub mod rt;
#[cfg(feature = "alloc")]
pub mod sched;
mod state;
mod status;
mod yield_from;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "alloc")]
pub use crate::async_gen::AsyncGen;
pub use crate::async_gen::{AsyncReturn, CloseWith, Closed, Next, NextArg, PinnedAsyncGen, Resume};
pub use crate::body::{Body, Starts};
#[cfg(feature = "alloc")]
pub use crate::boxed::Gen;
#[cfg(feature = "alloc")]
pub use crate::erased::{BoxGen, DynGen, DynGenerator, LocalBoxGen};
pub use crate::pinned::PinnedGen;
pub use crate::state::{Generator, GeneratorState};
pub use crate::status::{CloseError, ResumeError, State};
pub use crate::yield_from::{from_iter, FromIter};
pub use futures_core::{FusedStream, Stream};

/// Turns a function into a generator. See the crate documentation for the full guide.
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
