//! Helpers shared by the integration tests: a drop log, panic capture, a tiny executor, and
//! a generator that counts forever.
#![allow(dead_code)]

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use resumable::prelude::*;

/// The order in which [`Noisy`] values were dropped.
pub type Log = Rc<RefCell<Vec<&'static str>>>;

pub fn new_log() -> Log {
    Rc::default()
}

pub fn entries(log: &Log) -> Vec<&'static str> {
    log.borrow().clone()
}

/// Writes its name into a [`Log`] when dropped: a drop counter that also records order.
pub struct Noisy {
    name: &'static str,
    log: Log,
}

impl Noisy {
    pub fn new(name: &'static str, log: &Log) -> Self {
        Noisy {
            name,
            log: log.clone(),
        }
    }
}

impl Drop for Noisy {
    fn drop(&mut self) {
        self.log.borrow_mut().push(self.name);
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "<non-string panic payload>".to_owned(),
        },
    }
}

/// Runs `f`, turning a panic into `Err(message)`.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(panic_message)
}

/// Polls `fut` to completion with a no-op waker (every future in these tests makes progress
/// when polled again).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Polls `fut` once with the context of the poll it is awaited in.
pub async fn poll_once<F: Future + ?Sized>(fut: Pin<&mut F>) -> Poll<F::Output> {
    let mut fut = Some(fut);
    std::future::poll_fn(|cx| Poll::Ready(fut.take().expect("polled once").poll(cx))).await
}

/// Yields 0, 1, 2, ... forever; logs `"counting"` when its body is dropped.
#[generator(yield = u64)]
pub fn counting(log: Log) {
    let _guard = Noisy::new("counting", &log);
    let mut n = 0;
    loop {
        yield_!(n);
        n += 1;
    }
}

/// Records where panics on this thread happen (file and line, as the panic hook sees them),
/// from [`start`](PanicLocations::start) to [`finish`](PanicLocations::finish): for checking
/// that a misuse panic names the caller's line. Panics on other threads (other tests) are
/// left out.
pub struct PanicLocations {
    seen: std::sync::Arc<std::sync::Mutex<Vec<(String, u32)>>>,
    previous: Box<dyn Fn(&panic::PanicHookInfo<'_>) + Sync + Send + 'static>,
}

impl PanicLocations {
    /// Starts recording, in place of the panic hook.
    pub fn start() -> Self {
        let seen = std::sync::Arc::<std::sync::Mutex<Vec<(String, u32)>>>::default();
        let hook_seen = std::sync::Arc::clone(&seen);
        let this_test = std::thread::current().id();
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() != this_test {
                return;
            }
            if let Some(at) = info.location() {
                hook_seen
                    .lock()
                    .unwrap()
                    .push((at.file().to_owned(), at.line()));
            }
        }));
        PanicLocations { seen, previous }
    }

    /// Puts the panic hook back; returns where the panics were.
    pub fn finish(self) -> Vec<(String, u32)> {
        panic::set_hook(self.previous);
        let seen = self.seen.lock().unwrap().clone();
        seen
    }
}
