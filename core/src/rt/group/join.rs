//! The futures that wait on a group: [`JoinNext`] and [`JoinAll`] (also `.await` on a group).

use alloc::vec::Vec;
use core::fmt;
use core::future::{Future, IntoFuture};
use core::panic::Location;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::TaskGroup;
use crate::kernel::engine::{pending_at, resumed_at};
use crate::rt::JoinError;

/// The line that awaits a group, told to the poll it runs in for the slow-task warning (see
/// [`Report::Slow`](crate::kernel::Report::Slow)): where it stopped, where it resumed.
pub(super) struct AwaitedAt {
    at: &'static Location<'static>,
    /// It was pending once.
    waited: bool,
}

impl AwaitedAt {
    #[track_caller]
    pub(super) fn caller() -> AwaitedAt {
        AwaitedAt {
            at: Location::caller(),
            waited: false,
        }
    }

    fn note<T>(&mut self, poll: &Poll<T>) {
        if poll.is_pending() {
            self.waited = true;
            pending_at(self.at);
        } else if self.waited {
            resumed_at(self.at);
        }
    }
}

/// The future of [`TaskGroup::join_next`].
#[must_use = "futures do nothing unless awaited"]
pub struct JoinNext<'a, T> {
    pub(super) group: &'a mut TaskGroup<T>,
    pub(super) at: AwaitedAt,
}

impl<T: 'static> Future for JoinNext<'_, T> {
    type Output = Option<Result<T, JoinError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let poll = this.group.poll_done(cx);
        this.at.note(&poll);
        poll.map(|done| done.map(|done| done.result))
    }
}

impl<T> fmt::Debug for JoinNext<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinNext")
            .field("group", &self.group)
            .finish()
    }
}

/// The future of [`TaskGroup::join_all`] (and of `.await` on a group): every member's result,
/// in the order they were spawned.
#[must_use = "futures do nothing unless awaited"]
pub struct JoinAll<T> {
    pub(super) group: TaskGroup<T>,
    /// With their spawn index.
    pub(super) results: Vec<(u64, Result<T, JoinError>)>,
    pub(super) at: AwaitedAt,
}

impl<T: 'static> Future for JoinAll<T> {
    type Output = Vec<Result<T, JoinError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while let Poll::Ready(done) = this.group.poll_done(cx) {
            let Some(done) = done else {
                this.at.note(&Poll::Ready(()));
                let mut results = core::mem::take(&mut this.results);
                results.sort_by_key(|&(index, _)| index);
                return Poll::Ready(results.into_iter().map(|(_, r)| r).collect());
            };
            this.results.push((done.index, done.result));
        }
        this.at.note(&Poll::<()>::Pending);
        Poll::Pending
    }
}

/// Nothing in it is pinned: the results are values it only moves.
impl<T> Unpin for JoinAll<T> {}

impl<T> fmt::Debug for JoinAll<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll")
            .field("group", &self.group)
            .field("joined", &self.results.len())
            .finish()
    }
}

/// `group.await` is [`group.join_all().await`](TaskGroup::join_all).
impl<T: 'static> IntoFuture for TaskGroup<T> {
    type Output = Vec<Result<T, JoinError>>;
    type IntoFuture = JoinAll<T>;

    #[track_caller]
    fn into_future(self) -> JoinAll<T> {
        self.join_all()
    }
}
