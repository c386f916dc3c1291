//! The fields of a resumable generator, computed from its types.
//!
//! `PinnedGen { body: BodyCell { stage, id }, marks }` is private to the crate, so this module
//! declares a mirror of it with the same field types (see `core/src/generator/pinned.rs` and
//! `channel.rs`) and checks, on each real value, that the mirror has the real value's size: if
//! the generator's fields change, [`Breakdown::of`] panics instead of printing a stale
//! breakdown. Every figure is then a `size_of` of a type, never an estimate. The same mirror,
//! with one field changed, says what a change to the generator would save ([`Savings`]).

use core::cell::UnsafeCell;
use core::future::Future;
use core::marker::PhantomPinned;
use core::mem::{size_of, size_of_val};
use core::panic::Location;

use resumable::__private::{Co, YieldFuture};
use resumable::{Body, PinnedGen};

/// `Stage` (pinned.rs): the body before it starts, running (or poisoned with its body kept),
/// gone, or its kept return value. Its `repr(u8)` tag is the generator's state, the only one it
/// keeps.
#[allow(dead_code)]
#[repr(u8)]
enum Stage<B, F: Future> {
    Created(B) = 0,
    Suspended(F) = 1,
    Poisoned(F) = 2,
    Broken = 3,
    Returned(Option<F::Output>) = 4,
    Closed = 5,
}

/// `BodyCell` (pinned.rs). The stage is in an `UnsafeCell` (`StageCell`), which hides its
/// niches from the fields around it. `BodyId` is a `u64`.
#[allow(dead_code)]
struct BodyCell<B, F: Future> {
    stage: UnsafeCell<Stage<B, F>>,
    id: u64,
}

/// `PinnedGen` (pinned.rs), with `M` its body's marks.
#[allow(dead_code)]
struct Mirror<B, F: Future, M> {
    body: BodyCell<B, F>,
    marks: M,
    _pinned: PhantomPinned,
}

/// `PinnedGen` without the body's identity.
#[allow(dead_code)]
struct NoId<B, F: Future, M> {
    stage: UnsafeCell<Stage<B, F>>,
    marks: M,
}

/// `PinnedGen` without marks.
#[allow(dead_code)]
struct NoMarks<B, F: Future> {
    stage: UnsafeCell<Stage<B, F>>,
    id: u64,
}

/// `PinnedGen` with no identity and no marks: the stage alone, the running body and one tag,
/// as a nightly coroutine is.
#[allow(dead_code)]
struct StageOnly<B, F: Future> {
    stage: UnsafeCell<Stage<B, F>>,
}

/// What a `PinnedGen` is made of, in bytes.
#[derive(Clone, Copy, Debug)]
pub struct Breakdown {
    /// `size_of_val` of the generator.
    pub total: usize,
    /// The stage: the largest of the three below, and its tag.
    pub stage: usize,
    /// The closure holding the arguments (`Stage::Created`).
    pub closure: usize,
    /// The running `async` block (`Stage::Suspended`, `Stage::Poisoned`): the body's locals,
    /// its `Co`, and the future it awaits at a yield.
    pub future: usize,
    /// The kept return value (`Stage::Returned`).
    pub returned: usize,
    /// `id` (with its padding).
    pub id: usize,
    /// The marks: `YieldMarks` (where it suspended) or `DelegationMarks`.
    pub marks: usize,
    /// `Co<Y, R>`, which the running body holds.
    pub co: usize,
    /// `YieldFuture<Y, R>`, which the running body holds at every yield.
    pub yield_future: usize,
}

impl Breakdown {
    /// The breakdown of `g`, checked against its real size.
    ///
    /// # Panics
    /// When the mirror's size is not the generator's: the generator's fields have changed,
    /// and this module must follow them.
    pub fn of<Y: 'static, R: 'static, B: Body<Y, R>>(g: &PinnedGen<Y, R, B>) -> Breakdown {
        let total = size_of_val(g);
        let mirror = size_of::<Mirror<B, B::Future, B::Marks>>();
        assert_eq!(
            total, mirror,
            "PinnedGen is {total} bytes, its mirror in layout.rs {mirror}: the generator's \
             fields changed"
        );
        let stage = size_of::<Stage<B, B::Future>>();
        Breakdown {
            total,
            stage,
            closure: size_of::<B>(),
            future: size_of::<B::Future>(),
            returned: size_of::<Option<B::Output>>(),
            id: size_of::<BodyCell<B, B::Future>>() - stage,
            marks: size_of::<B::Marks>(),
            co: size_of::<Co<Y, R>>(),
            yield_future: size_of::<YieldFuture<'static, Y, R>>(),
        }
    }
}

/// The size `g` would have with its body's future `f` in place of its own: a replica
/// (see [`replicas`]) with another yield future.
pub fn with_future<Y, R, B: Body<Y, R>, F: Future>(_g: &PinnedGen<Y, R, B>, _f: &F) -> usize {
    size_of::<Mirror<B, F, B::Marks>>()
}

/// The size `g` would have without the locations `suspended_at` reports: no marks, and its
/// body's future `f` (a replica awaiting [`WithoutAt`]) in place of its own.
pub fn no_locations_with<Y, R, B: Body<Y, R>, F: Future>(_g: &PinnedGen<Y, R, B>, _f: &F) -> usize {
    size_of::<NoMarks<B, F>>()
}

/// The size `g` would have with no identity and no marks, and its body's future `f` in place
/// of its own.
pub fn stage_only_with<Y, R, B: Body<Y, R>, F: Future>(_g: &PinnedGen<Y, R, B>, _f: &F) -> usize {
    size_of::<StageOnly<B, F>>()
}

/// What `PinnedGen` would be with one change, in bytes (its size with the change).
#[derive(Clone, Copy, Debug)]
pub struct Savings {
    /// No `id` in the generator.
    pub no_id: usize,
    /// No marks (the location `suspended_at` reports kept elsewhere, or not at all).
    pub no_marks: usize,
}

impl Savings {
    /// The sizes `g` would have.
    pub fn of<Y, R, B: Body<Y, R>>(_g: &PinnedGen<Y, R, B>) -> Savings {
        Savings {
            no_id: size_of::<NoId<B, B::Future, B::Marks>>(),
            no_marks: size_of::<NoMarks<B, B::Future>>(),
        }
    }
}

/// Which yield future a [`replica`](self#replicas) of a body awaits, and what handle it keeps.
pub trait YieldKind<Y, R> {
    /// What the body keeps for its yields (the `Co`: a `u64` identity, or nothing).
    type Co: Default;
    /// What a yield awaits.
    type Fut: Future<Output = R>;
    /// The future for `yield value`.
    fn make(value: Y) -> Self::Fut;
}

/// Pending once (handing its value out), then ready with a default resume argument: enough to
/// be a real future; the replicas are only measured, never run.
macro_rules! yield_future {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $t:ty = $init:expr),* }) => {
        $(#[$doc])*
        #[allow(dead_code)]
        pub struct $name<Y, R> {
            value: Option<Y>,
            $($field: $t,)*
            _resume: core::marker::PhantomData<fn() -> R>,
        }

        // No field is pinned.
        impl<Y, R> Unpin for $name<Y, R> {}

        impl<Y, R: Default> Future for $name<Y, R> {
            type Output = R;
            fn poll(
                self: core::pin::Pin<&mut Self>,
                _: &mut core::task::Context<'_>,
            ) -> core::task::Poll<R> {
                match self.get_mut().value.take() {
                    Some(_) => core::task::Poll::Pending,
                    None => core::task::Poll::Ready(R::default()),
                }
            }
        }

        impl<Y, R> $name<Y, R> {
            /// The future for `yield value`.
            #[track_caller]
            pub fn new(value: Y) -> Self {
                $name { value: Some(value), $($field: $init,)* _resume: core::marker::PhantomData }
            }
        }
    };
}

yield_future! {
    /// `YieldFuture`'s fields: the value, the yield's location and the body's identity.
    AsYieldFuture { at: &'static Location<'static> = Location::caller(), body: u64 = 0 }
}
yield_future! {
    /// Without the location.
    WithoutAt { body: u64 = 0 }
}
yield_future! {
    /// The value alone.
    ValueOnly {}
}

/// The body's handle and yield future as they are: `Co` (a `u64`) and [`AsYieldFuture`].
pub struct AsItIs;
/// The yield future without its location ([`WithoutAt`]).
pub struct NoAt;
/// No handle, and a yield future holding only its value ([`ValueOnly`]).
pub struct Minimal;

impl<Y, R: Default> YieldKind<Y, R> for AsItIs {
    type Co = u64;
    type Fut = AsYieldFuture<Y, R>;
    fn make(value: Y) -> Self::Fut {
        AsYieldFuture::new(value)
    }
}

impl<Y, R: Default> YieldKind<Y, R> for NoAt {
    type Co = u64;
    type Fut = WithoutAt<Y, R>;
    fn make(value: Y) -> Self::Fut {
        WithoutAt::new(value)
    }
}

impl<Y, R: Default> YieldKind<Y, R> for Minimal {
    type Co = ();
    type Fut = ValueOnly<Y, R>;
    fn make(value: Y) -> Self::Fut {
        ValueOnly::new(value)
    }
}

/// # Replicas
///
/// The `async` blocks the macros write for the benchmark bodies (see the expansion of
/// `#[generator]`: `move |mut __co, _| async move { let _ = &mut __co; .. __co.yield_(v).await .. }`),
/// with the yield future chosen by `K`. With [`AsItIs`] a replica must be exactly as big as the
/// real body's future (the sizes binary checks it); with the others, it says what the change
/// would save.
pub mod replicas {
    use super::YieldKind;
    use core::future::Future;

    /// W5's task.
    pub fn rr_task<K: YieldKind<(), ()>>(yields: u32) -> impl Future<Output = ()> {
        let mut co = K::Co::default();
        async move {
            let _ = &mut co;
            for _ in 0..yields {
                K::make(()).await;
            }
        }
    }

    /// W1.
    pub fn count<K: YieldKind<u64, ()>>(n: u64) -> impl Future<Output = ()> {
        let mut co = K::Co::default();
        async move {
            let _ = &mut co;
            for i in 0..n {
                K::make(i).await;
            }
        }
    }

    /// W2.
    pub fn adder<K: YieldKind<u64, u64>>() -> impl Future<Output = ()> {
        let mut co = K::Co::default();
        async move {
            let _ = &mut co;
            let mut x = 0;
            loop {
                x = K::make(x + 1).await;
            }
        }
    }

    /// W4.
    pub fn three<K: YieldKind<u64, ()>>(a: u64) -> impl Future<Output = ()> {
        let mut co = K::Co::default();
        async move {
            let _ = &mut co;
            K::make(a).await;
            K::make(a + 1).await;
            K::make(a + 2).await;
        }
    }
}
