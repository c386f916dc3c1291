//! Not public API: everything the macros' expansions name, reached only as
//! `::resumable::__private::…`. Nothing here is covered by semver, and none of it should be
//! used directly.

pub use crate::async_gen::{AsyncSub, IntoAsyncSub};
pub use crate::body::{
    body, BindsFirst, Body, ChooseMarks, Delegates, DropsFirst, First, Marked, Name, RefusesFirst,
    ThrowsFirst,
};
pub use crate::channel::{Co, YieldFuture};
pub use crate::delegate::Shared;
pub use crate::state::Headed;
#[cfg(feature = "alloc")]
pub use crate::state::HeadedBox;
pub use crate::yield_from::{
    AsyncTag, AwaitsIn, InAsync, InSync, LoopIn, LoopTag, Plain, Probe, Same, SharedIn, SharedTag,
    ViaAsync, ViaLoop, ViaShared,
};
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
