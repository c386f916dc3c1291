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
mod stream;
mod yield_from;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use crate::body::{Body, Starts};
#[cfg(feature = "alloc")]
pub use crate::boxed::Gen;
#[cfg(feature = "alloc")]
pub use crate::erased::{BoxGen, DynGen, DynGenerator, LocalBoxGen};
pub use crate::pinned::PinnedGen;
pub use crate::state::{Generator, GeneratorState};
pub use crate::status::{CloseError, ResumeError, State};
#[cfg(feature = "alloc")]
pub use crate::stream::AsyncGen;
pub use crate::stream::{Next, PinnedAsyncGen};
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

/// Writes a generator inline, with the native `yield` keyword.
///
/// * `coroutine! { ..body.. }` — a generator with Resume = `()`; Yield and Return are inferred.
/// * `coroutine!(|x: T| { ..body.. })` — the first resume argument binds `x`, and each `yield`
///   evaluates to the next one (Resume = `T`), as in std's `#[coroutine]` closures.
/// * `coroutine!(async { ..body.. })` — an async generator: the body may `.await`, and it is a
///   `Stream` of what it yields.
/// * `coroutine!(pinned ...)` in front of any of them — the zero-allocation, `!Unpin` form.
///
/// All forms capture their environment by move, like `async move`.
///
/// ```
/// use resumable::prelude::*;
///
/// let g = coroutine! { yield 1; yield 2; "done" };
/// assert_eq!(g.collect::<Vec<_>>(), [1, 2]);
///
/// let mut c = coroutine!(|x: i32| { let y = yield x + 1; y * 2 });
/// assert_eq!(c.send(1), GeneratorState::Yielded(2));
/// assert_eq!(c.send(10), GeneratorState::Complete(20));
/// ```
#[macro_export]
macro_rules! coroutine {
    ($($body:tt)*) => {
        $crate::__private::coroutine_impl! { ($crate) $($body)* }
    };
}

/// Suspends the generator, handing `value` out; evaluates to the value it is resumed with.
///
/// Only meaningful inside a `#[generator]` function or a `coroutine!`, which rewrite it;
/// anywhere else it is a compile error. `yield_!()` yields `()`.
#[macro_export]
macro_rules! yield_ {
    ($($value:tt)*) => {
        ::core::compile_error!(
            "`yield_!` can only be used in the body of a `#[generator]` function or a `coroutine!`"
        )
    };
}

/// Delegates to a subgenerator (Python's `yield from`, PEP 380) and evaluates to its return
/// value.
///
/// * Every value `sub` yields goes out to the caller, every value sent (or error thrown) in
///   goes to `sub`, and the macro evaluates to what `sub` returns.
/// * `yield_from!(sub)` starts a `sub` of this crate that has not started without a value, as
///   Python's `yield from` starts it with `next()` (no yield of it waits for one yet, so no
///   `Default` is needed); in a generator resumed with `()` it passes `()` on. Give the first
///   value when `sub` needs one: `yield_from!(sub, first)` for a closure-form
///   `coroutine!(|x| ..)` (it binds `x`), for a `sub` that has already started (its yield
///   waits), or for a generator that is not one of this crate's. What would go wrong is a
///   panic that says which.
/// * In a `throw` generator (resumed with `Result<T, E>`), `sub` may be resumed with plain `T`:
///   an error thrown in then closes `sub` and comes out of the macro, which evaluates to
///   `Result<sub's return value, E>` (PEP 380, for a subiterator without `throw()`).
///
/// Only meaningful inside a `#[generator]` function or a `coroutine!`; anywhere else it is a
/// compile error.
///
/// ```
/// use resumable::prelude::*;
///
/// #[derive(Debug, PartialEq)]
/// struct Cancel;
///
/// #[generator(yield = u32)]
/// fn plain() -> u32 {
///     yield_!(1);
///     yield_!(2);
///     7
/// }
///
/// #[generator(yield = u32, throw = Cancel)]
/// fn careful() -> Result<u32, Cancel> {
///     let r = yield_from!(plain())?; // a plain generator, in a throw generator
///     Ok(r * 10)
/// }
///
/// let mut g = careful();
/// assert_eq!(g.start(), GeneratorState::Yielded(1));
/// assert_eq!(g.send(Ok(())), GeneratorState::Yielded(2));
/// assert_eq!(g.send(Ok(())), GeneratorState::Complete(Ok(70)));
/// let mut h = careful();
/// h.start();
/// assert_eq!(h.throw(Cancel), GeneratorState::Complete(Err(Cancel)));
/// ```
#[macro_export]
macro_rules! yield_from {
    ($($sub:tt)*) => {
        ::core::compile_error!(
            "`yield_from!` can only be used in the body of a `#[generator]` function or a `coroutine!`"
        )
    };
}
