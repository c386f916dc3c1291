//! A nightly coroutine as a [`resumable::Generator`], so that `sched::RoundRobin` runs it as it
//! runs ours: what the scheduler keeps per task then differs only by the generator.

use core::ops::{Coroutine, CoroutineState};
use core::pin::Pin;

use resumable::{Generator, GeneratorState};

/// A nightly coroutine, held inline (the scheduler's box holds it in place).
///
/// ```
/// #![feature(coroutines, stmt_expr_attributes)]
/// use resumable::sched::RoundRobin;
/// use resumable_nightly_reference::adapter::Nightly;
///
/// let mut sched = RoundRobin::new();
/// sched.spawn("a", Nightly(#[coroutine] static || { yield 1; yield 2; }));
/// assert_eq!(sched.map(|e| e.value).collect::<Vec<_>>(), [1, 2]);
/// ```
pub struct Nightly<C>(pub C);

impl<R, C: Coroutine<R>> Generator<R> for Nightly<C> {
    type Yield = C::Yield;
    type Return = C::Return;

    #[inline]
    fn resume(self: Pin<&mut Self>, arg: R) -> GeneratorState<C::Yield, C::Return> {
        // SAFETY: the coroutine is structurally pinned: `Nightly` never moves it out, has no
        // `Drop` of its own and is `Unpin` only when the coroutine is.
        let coroutine = unsafe { self.map_unchecked_mut(|n| &mut n.0) };
        match coroutine.resume(arg) {
            CoroutineState::Yielded(y) => GeneratorState::Yielded(y),
            CoroutineState::Complete(r) => GeneratorState::Complete(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Nightly;
    use resumable::sched::RoundRobin;

    /// A `static` coroutine that borrows its own local across its yields (so it is `!Unpin`
    /// and must not move once resumed), run to its end by the scheduler beside another: the
    /// adapter's pin projection, checked under Miri (`cargo +nightly miri test`).
    #[test]
    fn a_self_borrowing_coroutine_runs_on_round_robin() {
        let mut sched = RoundRobin::new();
        sched.spawn(
            "borrows",
            Nightly(
                #[coroutine]
                static || {
                    let values = [10, 20, 30];
                    for v in &values {
                        yield *v;
                    }
                },
            ),
        );
        sched.spawn(
            "plain",
            Nightly(
                #[coroutine]
                || {
                    yield 1;
                    yield 2;
                },
            ),
        );
        let got: Vec<(String, i32)> = sched.map(|e| (e.name.to_string(), e.value)).collect();
        let want = [
            ("borrows", 10),
            ("plain", 1),
            ("borrows", 20),
            ("plain", 2),
            ("borrows", 30),
        ];
        assert_eq!(got, want.map(|(n, v)| (n.to_owned(), v)));
    }
}
