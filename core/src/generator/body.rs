//! What a generator runs: its [`Body`], and what the macros know of a body they wrote (see
//! [`Marked`]): whether it can take its first resume argument, its name, whether it delegates.

use core::future::Future;
use core::marker::PhantomData;

use crate::generator::channel::{Co, DelegationMarks, Marks, YieldMarks};

/// The body of a generator before it starts: the closure the macros build around your code,
/// which makes the `async` block rustc turns into the state machine.
///
/// You never implement it; you name it to write code generic over generators the macros made
/// (their body type is opaque, `impl Body<Y, R, Output = T>`):
///
/// ```
/// use resumable::prelude::*;
/// use resumable::{Body, Gen};
///
/// fn drain<B: Body<u32, ()>>(g: Gen<u32, (), B>) -> u32 {
///     g.sum()
/// }
///
/// assert_eq!(drain(coroutine! { yield 1; yield 2; }), 3);
/// ```
pub trait Body<Y, R> {
    /// What the body returns: the generator's `Return` type.
    type Output;
    /// The body once started: an `async` block, lowered by rustc into a state machine.
    type Future: Future<Output = Self::Output>;
    /// Whether the body binds its first resume argument (a closure-form `coroutine!`), so it
    /// cannot be started without one.
    const BINDS_FIRST: bool = false;
    /// The generator's name, for `Debug`: the function's for `#[generator]`, where it is for
    /// `coroutine!`.
    const NAME: &'static str = "generator";
    /// What the generator keeps between resumes (see `Marks`). A body that cannot delegate
    /// with `yield_from!` keeps less, and is resumed without looking for a delegation shortcut
    /// (see `Shortcut`), so the compiler can see the whole resume. The macros choose the
    /// smaller marks when the body has no `yield_from!`.
    #[doc(hidden)]
    type Marks: Marks<Y, R>;
    /// Whether `first`, as the first resume argument, would be lost: the body does not bind
    /// it, and it carries a value (a generator declared with `resume = T` that is sent a value
    /// before `start()`). Such a first resume is refused, never dropped silently.
    #[doc(hidden)]
    #[inline]
    fn loses_first(first: &R) -> bool {
        let _ = first;
        false
    }
    /// Starts the body with its handle and the first resume argument (`None` for `start()`).
    fn start(self, co: Co<Y, R>, first: Option<R>) -> Self::Future;
}

/// What becomes of a body's first resume argument. Not public API: the macros choose one of
/// [`DropsFirst`], [`RefusesFirst`], [`ThrowsFirst`], [`BindsFirst`].
pub trait First<R> {
    /// The body binds it (a closure-form `coroutine!`).
    const BINDS: bool = false;
    /// It would be lost (see [`Body::loses_first`]).
    fn loses(first: &R) -> bool;
}

/// A generator with no `resume` key: its first resume argument is `()` (or `Ok(())`), nothing
/// to lose.
pub struct DropsFirst;
/// A generator declared with `resume = T`: a value sent before `start()` would be lost.
pub struct RefusesFirst;
/// A generator declared with `resume = T` and `throw = E`: an `Err` thrown in before it starts
/// completes it with that error; an `Ok` value would be lost.
pub struct ThrowsFirst;
/// A closure-form `coroutine!(|x| ..)`: its first resume argument binds `x`.
pub struct BindsFirst;

impl<R> First<R> for DropsFirst {
    #[inline]
    fn loses(_: &R) -> bool {
        false
    }
}

impl<R> First<R> for RefusesFirst {
    #[inline]
    fn loses(_: &R) -> bool {
        true
    }
}

impl<T, E> First<Result<T, E>> for ThrowsFirst {
    #[inline]
    fn loses(first: &Result<T, E>) -> bool {
        first.is_ok()
    }
}

impl<R> First<R> for BindsFirst {
    const BINDS: bool = true;
    #[inline]
    fn loses(_: &R) -> bool {
        false
    }
}

/// A body that can be started without a resume argument ([`start`](crate::Gen::start)):
/// every generator's but a closure-form `coroutine!(|x| ..)`'s, whose body binds its first
/// argument (start it with `send(x)`).
///
/// ```compile_fail
/// use resumable::prelude::*;
///
/// let mut g = coroutine!(|x: u32| { yield x; });
/// g.start(); // error: this coroutine binds its first resume argument
/// ```
#[diagnostic::on_unimplemented(
    message = "this coroutine binds its first resume argument, so it cannot be started without one",
    label = "start it with `send(arg)`",
    note = "a closure-form `coroutine!(|x| ..)` is started by its first `send`, whose argument binds `x`"
)]
pub trait Starts<Y, R>: Body<Y, R> {}

impl<Y, R, M, P, N, const DELEGATES: bool> Starts<Y, R> for Marked<M, P, N, DELEGATES>
where
    Self: Body<Y, R>,
    P: StartsWithout,
{
}

impl<Y, R, M, F> Starts<Y, R> for M
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future,
{
}

/// The [`First`] policies of bodies that can be started without an argument. Not public API.
pub trait StartsWithout {}
impl StartsWithout for DropsFirst {}
impl StartsWithout for RefusesFirst {}
impl StartsWithout for ThrowsFirst {}

/// A generator's name, carried by a type the macros define beside the body, so it costs
/// nothing at run time. Not public API.
pub trait Name {
    /// The name.
    const NAME: &'static str;
}

/// Chooses the marks of a body the macros made by whether it delegates. Not public API.
pub struct Delegates<const DELEGATES: bool>;

/// See [`Delegates`]. Not public API.
pub trait ChooseMarks<Y, R> {
    /// The marks for such a body.
    type Marks: Marks<Y, R>;
}

impl<Y, R> ChooseMarks<Y, R> for Delegates<true> {
    type Marks = DelegationMarks<Y, R>;
}

impl<Y, R> ChooseMarks<Y, R> for Delegates<false> {
    type Marks = YieldMarks;
}

/// A body the macros made, with what they know of it: what becomes of its first resume
/// argument (`P`, a [`First`]), its name (`N`, a [`Name`]), and whether it delegates. Not
/// public API.
pub struct Marked<M, P, N, const DELEGATES: bool> {
    body: M,
    _known: PhantomData<fn() -> (P, N)>,
}

/// Marks `body`, fixing its return type (so `?` and coercions in the body know their target).
/// What the expansions build every generator from. Not public API.
#[inline]
pub const fn body<Y, R, T, M, F, P, N, const DELEGATES: bool>(body: M) -> Marked<M, P, N, DELEGATES>
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future<Output = T>,
    P: First<R>,
    N: Name,
    Delegates<DELEGATES>: ChooseMarks<Y, R>,
{
    Marked {
        body,
        _known: PhantomData,
    }
}

impl<Y, R, M, F, P, N, const DELEGATES: bool> Body<Y, R> for Marked<M, P, N, DELEGATES>
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future,
    P: First<R>,
    N: Name,
    Delegates<DELEGATES>: ChooseMarks<Y, R>,
{
    type Output = F::Output;
    type Future = F;
    const BINDS_FIRST: bool = P::BINDS;
    const NAME: &'static str = N::NAME;
    type Marks = <Delegates<DELEGATES> as ChooseMarks<Y, R>>::Marks;

    #[inline]
    fn loses_first(first: &R) -> bool {
        P::loses(first)
    }

    #[inline]
    fn start(self, co: Co<Y, R>, first: Option<R>) -> F {
        (self.body)(co, first)
    }
}

/// A body written by hand: a closure taking the handle and the first resume argument.
impl<Y, R, M, F> Body<Y, R> for M
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: Future,
{
    type Output = F::Output;
    type Future = F;
    type Marks = DelegationMarks<Y, R>;

    #[inline]
    fn start(self, co: Co<Y, R>, first: Option<R>) -> F {
        self(co, first)
    }
}
