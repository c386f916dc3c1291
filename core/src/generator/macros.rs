//! The function-like macros: `coroutine!`, and the `yield_!` / `yield_from!` that only the
//! rewrite gives a meaning to. (Kept apart from `lib.rs`, so the line numbers compile errors
//! quote from here do not move when the crate's docs do.)

/// Writes a generator inline, with the native `yield` keyword.
///
/// * `coroutine! { ..body.. }` — a generator with Resume = `()`; Yield and Return are inferred.
/// * `coroutine!(|x: T| { ..body.. })` — the first resume argument binds `x`, and each `yield`
///   evaluates to the next one (Resume = `T`), as in std's `#[coroutine]` closures.
/// * `coroutine!(async { ..body.. })` — an async generator: the body may `.await`, and it is a
///   `Stream` of what it yields. It returns `()`.
/// * `coroutine!(async |x: T| { ..body.. })` — an async generator resumed with values
///   (`send(x).await`; `Result<T, E>` for one that can be thrown into), and
///   `coroutine!(async || -> Result<(), E> { ..body.. })` one whose `?` ends its stream with one
///   `Err` (see [`AsyncGen`](crate::AsyncGen)).
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
/// * In an async generator, `sub` may be another async generator with the same Yield and
///   Resume types (its `.await`s are the delegating generator's); in a plain generator that is
///   a compile error.
/// * `sub` is taken by value or borrowed (`&mut sub`); a `pinned` generator pinned
///   (`pin!(sub)`, `Box::pin(sub)`) or by value, when the delegation keeps it inside the
///   delegating generator's own state, allocating nothing:
///
/// ```
/// use resumable::prelude::*;
///
/// #[generator(yield = u8, pinned)]
/// fn inner() -> u8 {
///     yield_!(1);
///     2
/// }
///
/// #[generator(yield = u8)]
/// fn outer() -> u8 {
///     yield_from!(inner()) + 1
/// }
///
/// let mut g = outer();
/// assert_eq!(g.by_ref().collect::<Vec<_>>(), [1]);
/// assert_eq!(g.take_return(), Some(3));
/// ```
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
