//! Generators you can name: [`BoxGen`] and [`LocalBoxGen`], any generator of this crate
//! behind one pointer, with its whole API, as futures' `BoxFuture` and `LocalBoxFuture` are any
//! future.
//!
//! The type of a generator the macros made names its body, which is an opaque type: it can be
//! returned (`impl Generator<..>`), but not written in a struct field, a `Vec` or a trait.
//! `.boxed()` turns it into a `BoxGen<'a, Y, R, Ret>`, which can; `Box<dyn Generator>` can too,
//! but keeps only `resume`.

use alloc::boxed::Box;
use core::fmt;
use core::iter::FusedIterator;
use core::panic::Location;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::__private::UnitResume;
use crate::generator::body::Body;
use crate::generator::channel::Frame;
use crate::generator::delegate::Shared;
use crate::generator::pinned::{At, Refusal, STARTED};
use crate::{CloseError, Gen, Generator, GeneratorState, PinnedGen, ResumeError, State};

/// The object-safe face of a generator of this crate: what [`BoxGen`] and [`LocalBoxGen`] hold.
/// Implemented by [`PinnedGen`] only (every other generator type of this crate is a handle to
/// one); its methods are the generator's own, documented there.
pub trait DynGenerator: sealed::Sealed {
    /// What the generator yields.
    type Yield;
    /// What it is resumed with.
    type Resume;
    /// What it returns.
    type Return;
    #[doc(hidden)]
    fn dyn_resume(
        self: Pin<&mut Self>,
        arg: Option<Self::Resume>,
    ) -> Result<GeneratorState<Self::Yield, Self::Return>, Refusal>;
    /// An iterator's step: `None` once finished (the return value kept for `take_return`).
    #[doc(hidden)]
    fn dyn_next(self: Pin<&mut Self>, arg: Self::Resume) -> Result<Option<Self::Yield>, Refusal>;
    #[doc(hidden)]
    fn dyn_try_start(self: Pin<&mut Self>) -> Option<GeneratorState<Self::Yield, Self::Return>>;
    #[doc(hidden)]
    fn dyn_check(&self, arg: &Self::Resume) -> Result<(), ResumeError>;
    #[doc(hidden)]
    fn dyn_close(self: Pin<&mut Self>);
    #[doc(hidden)]
    fn dyn_close_with(
        self: Pin<&mut Self>,
        arg: Self::Resume,
    ) -> Result<Self::Return, CloseError<Self::Yield>>;
    #[doc(hidden)]
    fn dyn_state(&self) -> State;
    #[doc(hidden)]
    fn dyn_suspended_at(&self) -> Option<&'static Location<'static>>;
    #[doc(hidden)]
    fn dyn_delegating_at(&self) -> Option<&'static Location<'static>>;
    #[doc(hidden)]
    fn dyn_take_return(self: Pin<&mut Self>) -> Option<Self::Return>;
    #[doc(hidden)]
    fn dyn_keep_return(self: Pin<&mut Self>, value: Self::Return);
    #[doc(hidden)]
    fn dyn_name(&self) -> &'static str;
    #[doc(hidden)]
    fn dyn_step(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Self::Yield, Self::Resume>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Return>;
    #[doc(hidden)]
    fn dyn_begin_delegation(
        self: Pin<&mut Self>,
        first: Option<&Self::Resume>,
        at: &'static Location<'static>,
    );
}

mod sealed {
    pub trait Sealed {}
    impl<Y, R, B: crate::Body<Y, R>> Sealed for crate::PinnedGen<Y, R, B> {}
}

impl<Y, R, B: Body<Y, R>> DynGenerator for PinnedGen<Y, R, B> {
    type Yield = Y;
    type Resume = R;
    type Return = B::Output;
    // No `#[track_caller]` here: called through a vtable, it would name this line. A misuse
    // comes back as a `Refusal`, which the caller turns into a panic at its own line.
    fn dyn_resume(
        self: Pin<&mut Self>,
        arg: Option<R>,
    ) -> Result<GeneratorState<Y, B::Output>, Refusal> {
        self.try_drive(arg)
    }
    fn dyn_next(mut self: Pin<&mut Self>, arg: R) -> Result<Option<Y>, Refusal> {
        if self.state() == State::Finished {
            return Ok(None);
        }
        match self.as_mut().try_drive(Some(arg))? {
            GeneratorState::Yielded(y) => Ok(Some(y)),
            GeneratorState::Complete(r) => {
                self.keep_return(r);
                Ok(None)
            }
        }
    }
    fn dyn_try_start(self: Pin<&mut Self>) -> Option<GeneratorState<Y, B::Output>> {
        match self.state() {
            State::Created | State::Suspended => self.try_start(),
            // It cannot run: the caller's resume says why.
            State::Finished | State::Poisoned => None,
        }
    }
    fn dyn_check(&self, arg: &R) -> Result<(), ResumeError> {
        self.check(arg)
    }
    fn dyn_close(self: Pin<&mut Self>) {
        self.close();
    }
    fn dyn_close_with(self: Pin<&mut Self>, arg: R) -> Result<B::Output, CloseError<Y>> {
        self.close_with_arg(arg)
    }
    fn dyn_state(&self) -> State {
        self.state()
    }
    fn dyn_suspended_at(&self) -> Option<&'static Location<'static>> {
        self.suspended_at()
    }
    fn dyn_delegating_at(&self) -> Option<&'static Location<'static>> {
        self.delegating_at()
    }
    fn dyn_take_return(self: Pin<&mut Self>) -> Option<B::Output> {
        self.take_return()
    }
    fn dyn_keep_return(self: Pin<&mut Self>, value: B::Output) {
        self.keep_return(value);
    }
    fn dyn_name(&self) -> &'static str {
        B::NAME
    }
    fn dyn_step(
        self: Pin<&mut Self>,
        frame: &Frame<'_, Y, R>,
        cx: &mut Context<'_>,
    ) -> Poll<B::Output> {
        self.step(frame, cx)
    }
    fn dyn_begin_delegation(
        self: Pin<&mut Self>,
        first: Option<&R>,
        at: &'static Location<'static>,
    ) {
        self.begin_delegation(first, at);
    }
}

/// A generator of this crate behind one pointer, its type erased down to what it yields (`Y`),
/// is resumed with (`R`) and returns (`Ret`): a type you can name in a struct field, a `Vec`
/// or a trait, with the whole API of [`Gen`]. `Send`, like futures' `BoxFuture`; see
/// [`LocalBoxGen`] for generators that are not. Made by [`Gen::boxed`] (no second allocation:
/// the generator's own box is reused) or [`PinnedGen::boxed`].
///
/// It is iterable when `R = ()`, works with `yield_from!` (sharing the exchange, like any
/// generator of this crate), `RoundRobin` and the kernel.
///
/// ```
/// use resumable::prelude::*;
/// use resumable::BoxGen;
///
/// #[generator(yield = u32)]
/// fn count(n: u32) -> &'static str {
///     for i in 0..n {
///         yield_!(i);
///     }
///     "counted"
/// }
///
/// /// A struct holding generators of different bodies.
/// struct Jobs {
///     queue: Vec<BoxGen<'static, u32, (), &'static str>>,
/// }
///
/// let mut jobs = Jobs { queue: vec![count(2).boxed(), coroutine! { yield 7; "seven" }.boxed()] };
/// let mut got = vec![];
/// for job in &mut jobs.queue {
///     got.extend(job.by_ref());
///     got.push(job.take_return().unwrap().len() as u32);
/// }
/// assert_eq!(got, [0, 1, 7, 7, 5]);
/// ```
pub type BoxGen<'a, Y, R = (), Ret = ()> =
    DynGen<dyn DynGenerator<Yield = Y, Resume = R, Return = Ret> + Send + 'a>;

/// [`BoxGen`] for generators that are not `Send` (holding an `Rc`, say), as futures'
/// `LocalBoxFuture`. Made by [`Gen::boxed_local`] or [`PinnedGen::boxed_local`].
///
/// ```
/// use std::rc::Rc;
/// use resumable::prelude::*;
/// use resumable::LocalBoxGen;
///
/// trait Source {
///     fn items(&self) -> LocalBoxGen<'_, Rc<str>>;
/// }
///
/// struct Names(Vec<Rc<str>>);
///
/// impl Source for Names {
///     fn items(&self) -> LocalBoxGen<'_, Rc<str>> {
///         let names = &self.0;
///         coroutine! {
///             for name in names {
///                 yield Rc::clone(name);
///             }
///         }
///         .boxed_local()
///     }
/// }
///
/// let names = Names(vec!["a".into(), "b".into()]);
/// assert_eq!(names.items().collect::<Vec<_>>(), ["a".into(), "b".into()] as [Rc<str>; 2]);
/// ```
pub type LocalBoxGen<'a, Y, R = (), Ret = ()> =
    DynGen<dyn DynGenerator<Yield = Y, Resume = R, Return = Ret> + 'a>;

/// A generator of this crate behind one pointer: what [`BoxGen`] and [`LocalBoxGen`] are
/// (`D` is the erased generator). Its methods are [`Gen`]'s.
pub struct DynGen<D: ?Sized + DynGenerator> {
    inner: Pin<Box<D>>,
}

impl<Y, R, B: Body<Y, R>> Gen<Y, R, B> {
    /// This generator as a [`BoxGen`]: a type you can name (in a struct field, a `Vec`, a
    /// trait), with the whole API. Reuses the generator's own allocation.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::BoxGen;
    ///
    /// let gens: Vec<BoxGen<'static, u8>> = vec![
    ///     coroutine! { yield 1; }.boxed(),
    ///     coroutine! { yield 2; yield 3; }.boxed(),
    /// ];
    /// assert_eq!(gens.into_iter().flatten().collect::<Vec<_>>(), [1, 2, 3]);
    /// ```
    pub fn boxed<'a>(self) -> BoxGen<'a, Y, R, B::Output>
    where
        PinnedGen<Y, R, B>: Send + 'a,
    {
        DynGen {
            inner: self.into_pinned_box(),
        }
    }

    /// This generator as a [`LocalBoxGen`], for generators that are not `Send`. Reuses the
    /// generator's own allocation.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use resumable::prelude::*;
    /// use resumable::LocalBoxGen;
    ///
    /// let shared = Rc::new(5);
    /// let mut g: LocalBoxGen<'_, Rc<u8>> = coroutine! { yield shared; }.boxed_local();
    /// assert_eq!(*g.next().unwrap(), 5);
    /// ```
    pub fn boxed_local<'a>(self) -> LocalBoxGen<'a, Y, R, B::Output>
    where
        PinnedGen<Y, R, B>: 'a,
    {
        DynGen {
            inner: self.into_pinned_box(),
        }
    }
}

impl<Y, R, B: Body<Y, R>> PinnedGen<Y, R, B> {
    /// This generator, boxed, as a [`BoxGen`] (one allocation, the generator's own).
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine!(pinned { yield 'p'; }).boxed();
    /// assert_eq!(g.next(), Some('p'));
    /// ```
    pub fn boxed<'a>(self) -> BoxGen<'a, Y, R, B::Output>
    where
        Self: Send + 'a,
    {
        DynGen {
            inner: Box::pin(self),
        }
    }

    /// This generator, boxed, as a [`LocalBoxGen`].
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// let mut g = coroutine!(pinned { yield std::rc::Rc::new('p'); }).boxed_local();
    /// assert_eq!(g.next().as_deref(), Some(&'p'));
    /// ```
    pub fn boxed_local<'a>(self) -> LocalBoxGen<'a, Y, R, B::Output>
    where
        Self: 'a,
    {
        DynGen {
            inner: Box::pin(self),
        }
    }
}

impl<D: ?Sized + DynGenerator> DynGen<D> {
    fn inner(&mut self) -> Pin<&mut D> {
        self.inner.as_mut()
    }

    /// Resumes the generator with `arg`: see [`Gen::send`].
    ///
    /// # Panics
    /// As [`Gen::send`].
    #[inline]
    #[track_caller]
    pub fn send(&mut self, arg: D::Resume) -> GeneratorState<D::Yield, D::Return> {
        match self.inner().dyn_resume(Some(arg)) {
            Ok(state) => state,
            Err(refusal) => refusal.panic(),
        }
    }

    /// Like [`send`](Self::send), but a generator that cannot take `arg` is an error: see
    /// [`Gen::try_send`].
    pub fn try_send(
        &mut self,
        arg: D::Resume,
    ) -> Result<GeneratorState<D::Yield, D::Return>, ResumeError> {
        self.inner.dyn_check(&arg)?;
        Ok(self.send(arg))
    }

    /// The same as [`try_send`](Self::try_send), named after [`Generator::resume`].
    pub fn try_resume(
        &mut self,
        arg: D::Resume,
    ) -> Result<GeneratorState<D::Yield, D::Return>, ResumeError> {
        self.try_send(arg)
    }

    /// Runs the generator to its first yield without a resume argument: see [`Gen::start`].
    ///
    /// # Panics
    /// If the generator has started, or binds its first resume argument (a closure-form
    /// `coroutine!`: start it with `send(arg)`), which its type no longer says.
    #[track_caller]
    pub fn start(&mut self) -> GeneratorState<D::Yield, D::Return> {
        match self.state() {
            State::Created => {}
            State::Suspended => panic!("{STARTED}"),
            // It cannot run: say why, at the caller's line.
            State::Finished | State::Poisoned => match self.inner().dyn_resume(None) {
                Err(refusal) => refusal.panic(),
                Ok(_) => unreachable!("a finished generator ran"),
            },
        }
        match self.inner().dyn_try_start() {
            Some(state) => state,
            None => panic!(
                "this coroutine binds its first resume argument, so it cannot be started without \
                 one: start it with send(arg)"
            ),
        }
    }

    /// Drops the suspended body in place: see [`Gen::close`].
    pub fn close(&mut self) {
        self.inner().dyn_close();
    }

    /// Python's `inspect.getgeneratorstate`: see [`Gen::state`].
    pub fn state(&self) -> State {
        self.inner.dyn_state()
    }

    /// Whether the generator will never run again: see [`Gen::is_finished`].
    pub fn is_finished(&self) -> bool {
        matches!(self.state(), State::Finished | State::Poisoned)
    }

    /// Where the generator is suspended: see [`Gen::suspended_at`].
    pub fn suspended_at(&self) -> Option<&'static Location<'static>> {
        self.inner.dyn_suspended_at()
    }

    /// Where the generator's own body delegates: see [`Gen::delegating_at`].
    pub fn delegating_at(&self) -> Option<&'static Location<'static>> {
        self.inner.dyn_delegating_at()
    }

    /// The return value, once, after iterating: see [`Gen::take_return`].
    pub fn take_return(&mut self) -> Option<D::Return> {
        self.inner().dyn_take_return()
    }
}

impl<Y, T, E, Ret, D> DynGen<D>
where
    D: ?Sized + DynGenerator<Yield = Y, Resume = Result<T, E>, Return = Ret>,
{
    /// Throws `err` in at the yield the generator waits at: see [`Gen::throw`].
    ///
    /// ```
    /// use resumable::prelude::*;
    ///
    /// #[derive(Debug, PartialEq)]
    /// struct Stop;
    ///
    /// #[generator(yield = u8, throw = Stop)]
    /// fn ticks() -> Result<(), Stop> {
    ///     loop {
    ///         yield_!(1)?;
    ///     }
    /// }
    ///
    /// let mut g = ticks().boxed();
    /// g.start();
    /// assert_eq!(g.throw(Stop), GeneratorState::Complete(Err(Stop)));
    /// ```
    ///
    /// # Panics
    /// As [`send`](Self::send).
    #[track_caller]
    pub fn throw(&mut self, err: E) -> GeneratorState<Y, Ret> {
        self.send(Err(err))
    }

    /// Python's `gen.close()`: see [`Gen::close_with`].
    pub fn close_with(&mut self, err: E) -> Result<Ret, CloseError<Y>> {
        self.inner().dyn_close_with(Err(err))
    }
}

impl<D: ?Sized + DynGenerator> Generator<D::Resume> for DynGen<D> {
    type Yield = D::Yield;
    type Return = D::Return;

    #[inline]
    #[track_caller]
    fn resume(self: Pin<&mut Self>, arg: D::Resume) -> GeneratorState<D::Yield, D::Return> {
        self.get_mut().send(arg)
    }

    #[track_caller]
    fn try_start(self: Pin<&mut Self>) -> Option<GeneratorState<D::Yield, D::Return>> {
        let this = self.get_mut();
        match this.inner().dyn_try_start() {
            Some(state) => Some(state),
            // A generator that cannot run: say why, at the caller's line.
            None if this.is_finished() => match this.inner().dyn_resume(None) {
                Err(refusal) => refusal.panic(),
                Ok(_) => unreachable!("a finished generator ran"),
            },
            None => None,
        }
    }
}

/// With `R = ()` it is an iterator over what it yields; then
/// [`take_return`](DynGen::take_return) hands back the return value.
impl<D: ?Sized + DynGenerator> Iterator for DynGen<D>
where
    D::Resume: UnitResume,
{
    type Item = D::Yield;

    #[inline]
    #[track_caller]
    fn next(&mut self) -> Option<D::Yield> {
        match self.inner().dyn_next(D::Resume::UNIT) {
            Ok(next) => next,
            Err(refusal) => refusal.panic(),
        }
    }
}

impl<D: ?Sized + DynGenerator> FusedIterator for DynGen<D> where D::Resume: UnitResume {}

/// A boxed generator is delegated to like any generator of this crate (`yield_from!` shares
/// its exchange): what reaches it through the box costs one call.
impl<D: ?Sized + DynGenerator> Shared<D::Yield, D::Resume> for DynGen<D> {
    type Output = D::Return;
    #[inline]
    fn step_shared(
        self: Pin<&mut Self>,
        frame: &Frame<'_, D::Yield, D::Resume>,
        cx: &mut Context<'_>,
    ) -> Poll<D::Return> {
        self.get_mut().inner().dyn_step(frame, cx)
    }
    #[inline]
    #[track_caller]
    fn resume_shared(
        self: Pin<&mut Self>,
        arg: Option<D::Resume>,
    ) -> GeneratorState<D::Yield, D::Return> {
        match self.get_mut().inner().dyn_resume(arg) {
            Ok(state) => state,
            Err(refusal) => refusal.panic(),
        }
    }
    #[inline]
    fn begin_shared(
        self: Pin<&mut Self>,
        first: Option<&D::Resume>,
        at: &'static Location<'static>,
    ) {
        self.get_mut().inner().dyn_begin_delegation(first, at);
    }
    #[inline]
    fn close_shared(self: Pin<&mut Self>) {
        self.get_mut().close();
    }
}

impl<D: ?Sized + DynGenerator> fmt::Debug for DynGen<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("name", &self.inner.dyn_name())
            .field("state", &self.state())
            .field("suspended_at", &At(self.suspended_at()))
            .finish()
    }
}
