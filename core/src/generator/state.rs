//! The [`Generator`] trait and the [`GeneratorState`] it reports.
//!
//! Both mirror `core::ops::Coroutine` and `core::ops::CoroutineState` from nightly Rust, so code
//! written against them can move to std once coroutines are stable.

use core::ops::DerefMut;
use core::pin::Pin;

/// What a generator did when it was resumed: it yielded a value, or it returned.
///
/// Python's `send()` either returns the next yielded value or raises `StopIteration(value)`;
/// here both outcomes are values of this enum.
///
/// ```
/// use resumable::prelude::*;
///
/// let mut g = coroutine! { yield 1; "done" };
/// assert_eq!(g.send(()), GeneratorState::Yielded(1));
/// assert_eq!(g.send(()), GeneratorState::Complete("done"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeneratorState<Y, R> {
    /// The generator suspended at a yield and handed out this value.
    Yielded(Y),
    /// The generator finished and returned this value.
    Complete(R),
}

impl<Y, R> GeneratorState<Y, R> {
    /// The yielded value, if the generator yielded.
    ///
    /// ```
    /// use resumable::GeneratorState;
    ///
    /// assert_eq!(GeneratorState::<u8, &str>::Yielded(1).yielded(), Some(1));
    /// assert_eq!(GeneratorState::<u8, &str>::Complete("end").yielded(), None);
    /// ```
    pub fn yielded(self) -> Option<Y> {
        match self {
            GeneratorState::Yielded(y) => Some(y),
            GeneratorState::Complete(_) => None,
        }
    }

    /// The returned value, if the generator completed.
    ///
    /// ```
    /// use resumable::GeneratorState;
    ///
    /// assert_eq!(GeneratorState::<u8, &str>::Complete("end").complete(), Some("end"));
    /// ```
    pub fn complete(self) -> Option<R> {
        match self {
            GeneratorState::Yielded(_) => None,
            GeneratorState::Complete(r) => Some(r),
        }
    }

    /// Whether the generator completed.
    ///
    /// ```
    /// use resumable::GeneratorState;
    ///
    /// assert!(GeneratorState::<u8, ()>::Complete(()).is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        matches!(self, GeneratorState::Complete(_))
    }
}

/// A computation that can be suspended and resumed, handing values out and taking values in.
///
/// `R` is the type of the value passed in on each resume (Python's `send(value)`);
/// [`Yield`](Generator::Yield) is the type handed out at each suspension, and
/// [`Return`](Generator::Return) the type of the final value.
///
/// The `#[generator]` attribute and the `coroutine!` macro write implementations of this trait
/// for you; it can also be implemented by hand, and anything that implements it can be driven by
/// the schedulers of this crate or delegated to with `yield_from!`.
///
/// ```
/// use core::pin::Pin;
/// use resumable::{Generator, GeneratorState};
///
/// /// The hand-written form of `coroutine!(|start: u32| { yield start; yield start + 1; })`.
/// struct TwoFrom(Option<u32>, u8);
///
/// impl Generator<u32> for TwoFrom {
///     type Yield = u32;
///     type Return = ();
///     fn resume(mut self: Pin<&mut Self>, arg: u32) -> GeneratorState<u32, ()> {
///         let start = *self.0.get_or_insert(arg);
///         self.1 += 1;
///         match self.1 {
///             1 => GeneratorState::Yielded(start),
///             2 => GeneratorState::Yielded(start + 1),
///             _ => GeneratorState::Complete(()),
///         }
///     }
/// }
///
/// let mut g = TwoFrom(None, 0);
/// assert_eq!(Pin::new(&mut g).resume(7), GeneratorState::Yielded(7));
/// assert_eq!(Pin::new(&mut g).resume(0), GeneratorState::Yielded(8));
/// assert_eq!(Pin::new(&mut g).resume(0), GeneratorState::Complete(()));
/// ```
#[must_use = "generators do nothing unless resumed"]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a generator resumed with `{R}`",
    label = "not a `Generator<{R}>`",
    note = "generators are made by `#[generator]` and `coroutine!`; an iterator becomes one \
            (resumed with `()`) with `resumable::from_iter(..)`"
)]
pub trait Generator<R = ()> {
    /// The type of value this generator yields.
    type Yield;
    /// The type of value this generator returns when it completes.
    type Return;

    /// Resumes the generator with `arg`, running it until it yields or returns.
    ///
    /// # Return value
    /// [`GeneratorState::Yielded`] with the value of the yield the generator stopped at, or
    /// [`GeneratorState::Complete`] with its return value.
    ///
    /// # Panics
    /// Implementations may panic when resumed after they completed. The generators written by
    /// this crate's macros panic with a message saying whether the generator had finished, had
    /// been closed or had panicked earlier; `try_resume` reports the same as an error instead.
    /// Misuse is never undefined behaviour.
    fn resume(self: Pin<&mut Self>, arg: R) -> GeneratorState<Self::Yield, Self::Return>;

    /// Starts the generator without a resume argument, if it can be: Python's priming
    /// `next(gen)`, for code generic over generators (a generator of this crate also has an
    /// inherent [`start`](crate::Gen::start)).
    ///
    /// # Return value
    /// `Some` with what the generator did, if it could be started so: a generator of this crate
    /// that has not started (its first resume argument would be dropped anyway: a generator
    /// declared with `resume = T` refuses one, see [`send`](crate::Gen::send)). `None` if it
    /// needs an argument: it has started (a yield waits for a value), its body binds its
    /// first argument (a closure-form `coroutine!(|x| ..)`), or it is not one of this crate's
    /// (the default: nothing is known of it).
    ///
    /// # Panics
    /// As `resume`, for a generator of this crate that finished, was closed or panicked.
    ///
    /// ```
    /// use core::pin::Pin;
    /// use resumable::prelude::*;
    ///
    /// #[generator(yield = u32, resume = u32)]
    /// fn doubler() {
    ///     let mut x = yield_!(0);
    ///     loop {
    ///         x = yield_!(x * 2);
    ///     }
    /// }
    ///
    /// fn drive<G: Generator<u32, Yield = u32> + Unpin>(mut g: G) -> Vec<u32> {
    ///     let mut got = vec![];
    ///     let mut state = Pin::new(&mut g).try_start().expect("can start without a value");
    ///     for x in 1..=3 {
    ///         if let GeneratorState::Yielded(y) = state {
    ///             got.push(y);
    ///         }
    ///         state = Pin::new(&mut g).resume(x);
    ///     }
    ///     got
    /// }
    ///
    /// assert_eq!(drive(doubler()), [0, 2, 4]);
    /// ```
    #[track_caller]
    fn try_start(self: Pin<&mut Self>) -> Option<GeneratorState<Self::Yield, Self::Return>> {
        None
    }

    /// Boxes the generator behind `header`, in one allocation. A generator of this crate that
    /// is itself a box and has not started moves its content into the new box instead, so it
    /// is reached through one pointer, not two. Not public API: what `RoundRobin` spawns.
    #[cfg(feature = "alloc")]
    #[doc(hidden)]
    fn __boxed_with<'a, H>(self, header: H) -> HeadedBox<'a, H, R, Self::Yield, Self::Return>
    where
        Self: Sized + 'a,
        H: 'a,
    {
        alloc::boxed::Box::pin(Headed {
            header,
            generator: self,
        })
    }
}

/// A generator with a header in front of it, boxed as one: see `Generator::__boxed_with`.
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub type HeadedBox<'a, H, R, Y, T> =
    Pin<alloc::boxed::Box<dyn HeadedGenerator<H, R, Yield = Y, Return = T> + 'a>>;

/// A generator with a header in front of it. Not public API.
///
/// Boxed, it is used as a [`HeadedGenerator`] rather than as a `Headed<H, dyn Generator>`: the
/// generator's place behind the header then depends on its alignment, which code reaching it
/// through `dyn Generator` reads from the vtable and rounds up to on every resume. Behind
/// `dyn HeadedGenerator`, the resume is compiled for the generator's own type and finds it at a
/// fixed place.
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub struct Headed<H, G> {
    /// Never pinned.
    pub header: H,
    /// Structurally pinned: never moved out, and `Headed` has no `Drop` of its own.
    pub(crate) generator: G,
}

/// A boxed generator with a header, type-erased: what `RoundRobin` queues. Not public API.
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub trait HeadedGenerator<H, R> {
    /// The generator's `Yield`.
    type Yield;
    /// The generator's `Return`.
    type Return;
    /// The header.
    fn header(&self) -> &H;
    /// Resumes the generator, and hands back the header with what it did: one call through the
    /// vtable for both.
    fn resume_headed(
        self: Pin<&mut Self>,
        arg: R,
    ) -> (GeneratorState<Self::Yield, Self::Return>, &H);
}

#[cfg(feature = "alloc")]
impl<H, R, G: Generator<R>> HeadedGenerator<H, R> for Headed<H, G> {
    type Yield = G::Yield;
    type Return = G::Return;

    #[inline]
    fn header(&self) -> &H {
        &self.header
    }

    #[inline]
    fn resume_headed(self: Pin<&mut Self>, arg: R) -> (GeneratorState<G::Yield, G::Return>, &H) {
        // SAFETY: `generator` is structurally pinned (see the field), and `header` never is.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above: the generator is not moved out of the pinned `Headed`.
        let state = unsafe { Pin::new_unchecked(&mut this.generator) }.resume(arg);
        (state, &this.header)
    }
}

impl<G: ?Sized + Generator<R> + Unpin, R> Generator<R> for &mut G {
    type Yield = G::Yield;
    type Return = G::Return;

    fn resume(mut self: Pin<&mut Self>, arg: R) -> GeneratorState<Self::Yield, Self::Return> {
        G::resume(Pin::new(&mut **self), arg)
    }

    fn try_start(mut self: Pin<&mut Self>) -> Option<GeneratorState<Self::Yield, Self::Return>> {
        G::try_start(Pin::new(&mut **self))
    }
}

impl<P, R> Generator<R> for Pin<P>
where
    P: DerefMut<Target: Generator<R>>,
{
    type Yield = <P::Target as Generator<R>>::Yield;
    type Return = <P::Target as Generator<R>>::Return;

    fn resume(self: Pin<&mut Self>, arg: R) -> GeneratorState<Self::Yield, Self::Return> {
        <P::Target as Generator<R>>::resume(self.as_deref_mut(), arg)
    }

    fn try_start(self: Pin<&mut Self>) -> Option<GeneratorState<Self::Yield, Self::Return>> {
        <P::Target as Generator<R>>::try_start(self.as_deref_mut())
    }
}

#[cfg(feature = "alloc")]
impl<G: ?Sized + Generator<R> + Unpin, R> Generator<R> for alloc::boxed::Box<G> {
    type Yield = G::Yield;
    type Return = G::Return;

    fn resume(mut self: Pin<&mut Self>, arg: R) -> GeneratorState<Self::Yield, Self::Return> {
        G::resume(Pin::new(&mut **self), arg)
    }

    fn try_start(mut self: Pin<&mut Self>) -> Option<GeneratorState<Self::Yield, Self::Return>> {
        G::try_start(Pin::new(&mut **self))
    }
}
