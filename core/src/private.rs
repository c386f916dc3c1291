//! Not public API: everything the macros' expansions name, reached only as
//! `::resumable::__private::…`. Nothing here is covered by semver, and none of it should be
//! used directly.

pub use crate::channel::{binds_first, Body, ChooseMarks, Co, Delegates, Marked, YieldFuture};
pub use crate::delegate::{Delegable, LoopTag, Probe, Shared, SharedTag, ViaLoop, ViaShared};
pub use crate::state::Headed;
#[cfg(feature = "alloc")]
pub use crate::state::HeadedBox;
pub use crate::PinnedAsyncGen;
pub use crate::PinnedGen;
#[cfg(feature = "alloc")]
pub use crate::{AsyncGen, Gen};
pub use core;
pub use resumable_macros::coroutine_impl;

/// Names lifetimes in an opaque return type so it may capture them (`impl Body<..> +
/// Captures<(&'a (), ..)>`), in every edition.
pub trait Captures<T: ?Sized> {}
impl<T: ?Sized, U: ?Sized> Captures<T> for U {}

/// Makes a boxed generator (not named `gen`: a keyword in edition 2024), fixing the body's return type so `?` and coercions in the body
/// know their target.
#[cfg(feature = "alloc")]
#[inline]
pub fn boxed<Y, R, T, M, F, const DELEGATES: bool>(
    body: M,
) -> Gen<Y, R, Marked<M, false, DELEGATES>>
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: core::future::Future<Output = T>,
    Delegates<DELEGATES>: ChooseMarks<Y, R>,
{
    Gen::new(Marked::new(body))
}

/// As [`boxed`], for `pinned` generators.
#[inline]
pub const fn pinned<Y, R, T, M, F, const DELEGATES: bool>(
    body: M,
) -> PinnedGen<Y, R, Marked<M, false, DELEGATES>>
where
    M: FnOnce(Co<Y, R>, Option<R>) -> F,
    F: core::future::Future<Output = T>,
    Delegates<DELEGATES>: ChooseMarks<Y, R>,
{
    PinnedGen::new(Marked::new(body))
}

/// As [`boxed`], for async generators.
#[cfg(feature = "alloc")]
#[inline]
pub fn boxed_async<Y, M, F, const DELEGATES: bool>(
    body: M,
) -> AsyncGen<Y, Marked<M, false, DELEGATES>>
where
    M: FnOnce(Co<Y, ()>, Option<()>) -> F,
    F: core::future::Future<Output = ()>,
    Delegates<DELEGATES>: ChooseMarks<Y, ()>,
{
    AsyncGen::new(Marked::new(body))
}

/// As [`boxed`], for `pinned` async generators.
#[inline]
pub const fn pinned_async<Y, M, F, const DELEGATES: bool>(
    body: M,
) -> PinnedAsyncGen<Y, Marked<M, false, DELEGATES>>
where
    M: FnOnce(Co<Y, ()>, Option<()>) -> F,
    F: core::future::Future<Output = ()>,
    Delegates<DELEGATES>: ChooseMarks<Y, ()>,
{
    PinnedAsyncGen::new(Marked::new(body))
}

/// The first resume argument of a closure-form `coroutine!`.
#[track_caller]
#[inline]
pub fn first_arg<R>(first: Option<R>) -> R {
    match first {
        Some(arg) => arg,
        None => panic!(
            "this coroutine binds its first resume argument, so it cannot be start()ed: \
             start it with send(arg)"
        ),
    }
}

/// The identity, at the declared return type: `return value` and the body's tail go through it
/// so they coerce (`Box<T>` to `Box<dyn Trait>`, say), as they would in a plain function.
#[inline(always)]
pub fn ret<T>(value: T) -> T {
    value
}
