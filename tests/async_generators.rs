//! Async generators resumed with values, thrown into and closed (PEP 525's `asend`, `athrow`,
//! `aclose`), the `-> Result<(), E>` form whose `?` ends the stream with one `Err`, the inline
//! closure form, and `yield_from!` of an async generator in an async generator.

mod common;

use core::pin::{pin, Pin};
use core::task::{Context, Poll, Waker};
use std::future::Future;

use resumable::prelude::*;
use resumable::{CloseError, FusedStream};

use common::{block_on, catch, entries, new_log, poll_once, Log, Noisy, PanicLocations};

/// Pending on its first poll (after waking the waker it was given), ready on the second.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Really suspends the body once: every step below crosses a `Pending`.
fn pending_once() -> PendingOnce {
    PendingOnce(false)
}

/// Polls `fut` once with a no-op waker.
fn poll<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()))
}

#[derive(Debug, PartialEq, Clone)]
struct Stop(&'static str);

#[generator(yield = f64, resume = f64)]
async fn averager() {
    let (mut sum, mut n) = (0.0, 0.0);
    let mut x = yield_!(0.0);
    loop {
        pending_once().await;
        sum += x;
        n += 1.0;
        x = yield_!(sum / n);
    }
}

#[test]
fn send_resumes_the_body_with_the_value_across_real_awaits() {
    let mut avg = averager();
    let got = block_on(async {
        let first = avg.start().await;
        let a = avg.send(10.0).await;
        let b = avg.send(20.0).await;
        let c = avg.send(60.0).await;
        (first, a, b, c)
    });
    assert_eq!(got, (Some(0.0), Some(10.0), Some(15.0), Some(30.0)));
    assert_eq!(avg.state(), State::Suspended);
}

#[test]
fn a_step_is_pending_while_the_body_awaits_and_the_value_is_not_lost() {
    let mut avg = averager();
    assert_eq!(poll(&mut avg.start()), Poll::Ready(Some(0.0)));
    let mut step = avg.send(4.0);
    assert_eq!(
        poll(&mut step),
        Poll::Pending,
        "the body awaits a pending future"
    );
    assert_eq!(poll(&mut step), Poll::Ready(Some(4.0)));
}

#[test]
fn send_before_start_panics_at_the_callers_line_and_loses_nothing() {
    let mut avg = averager();
    let err = catch(|| drop(avg.send(10.0))).unwrap_err();
    assert!(err.contains("call start().await first"), "{err}");
    // Refused before anything ran: it can still be started.
    assert_eq!(avg.state(), State::Created);
    assert_eq!(block_on(avg.start()), Some(0.0));
    assert_eq!(block_on(avg.send(10.0)), Some(10.0));
}

#[test]
fn sending_to_a_finished_async_generator_resolves_to_none() {
    #[generator(yield = u32, resume = u32)]
    async fn once() {
        let x = yield_!(0);
        yield_!(x + 1);
    }
    let mut g = once();
    assert_eq!(block_on(g.start()), Some(0));
    assert_eq!(block_on(g.send(1)), Some(2));
    assert_eq!(block_on(g.send(2)), None);
    assert!(g.is_finished());
    assert_eq!(block_on(g.send(3)), None, "StopAsyncIteration, again");
}

#[generator(yield = u32, throw = Stop)]
async fn counter(log: Log) -> Result<(), Stop> {
    let _guard = Noisy::new("counter", &log);
    let mut n = 0;
    loop {
        pending_once().await;
        match yield_!(n) {
            Ok(()) => n += 1,
            Err(Stop("reset")) => n = 0,
            Err(other) => return Err(other),
        }
    }
}

#[test]
fn throw_is_handled_by_the_body_or_ends_the_stream_with_its_error() {
    let log = new_log();
    let mut c = counter(log.clone());
    let got = block_on(async {
        let a = c.next().await;
        let b = c.next().await;
        let reset = c.throw(Stop("reset")).await;
        let d = c.next().await;
        let fatal = c.throw(Stop("fatal")).await;
        let after = c.next().await;
        (a, b, reset, d, fatal, after)
    });
    assert_eq!(
        got,
        (
            Some(Ok(0)),
            Some(Ok(1)),
            Some(Ok(0)),
            Some(Ok(1)),
            Some(Err(Stop("fatal"))),
            None
        )
    );
    assert!(c.is_finished());
    assert_eq!(entries(&log), ["counter"]);
}

#[test]
fn throw_before_start_ends_it_with_that_error_before_its_body_runs() {
    let log = new_log();
    let mut c = counter(log.clone());
    assert_eq!(block_on(c.throw(Stop("early"))), Some(Err(Stop("early"))));
    assert!(c.is_finished());
    assert!(entries(&log).is_empty(), "the body never ran");
}

#[test]
fn a_throw_generator_without_resume_is_a_stream_of_results() {
    let log = new_log();
    let mut c = counter(log);
    let mut got = vec![];
    block_on(async {
        while let Some(item) = c.next().await {
            got.push(item);
            if got.len() == 3 {
                break;
            }
        }
    });
    assert_eq!(got, [Ok(0), Ok(1), Ok(2)]);
}

#[test]
fn close_drops_the_body_at_once_and_close_await_does_the_same() {
    let log = new_log();
    let mut c = counter(log.clone());
    assert_eq!(block_on(c.next()), Some(Ok(0)));
    c.close();
    assert_eq!(entries(&log), ["counter"]);
    assert!(c.is_finished() && c.is_terminated());
    assert_eq!(block_on(c.next()), None);

    let log = new_log();
    let mut c = counter(log.clone());
    block_on(async {
        c.next().await;
        c.close().await;
    });
    assert_eq!(entries(&log), ["counter"]);
}

#[test]
fn close_with_lets_the_body_run_async_cleanup_to_its_return() {
    #[generator(yield = u32, throw = Stop)]
    async fn ticker(log: Log) -> Result<(), Stop> {
        let mut n = 0;
        while yield_!(n).is_ok() {
            n += 1;
        }
        pending_once().await; // cleanup that really awaits
        log.borrow_mut().push("cleaned up");
        Ok(())
    }
    let log = new_log();
    let mut t = ticker(log.clone());
    assert_eq!(block_on(t.next()), Some(Ok(0)));
    let mut close = t.close_with(Stop("bye"));
    assert_eq!(poll(&mut close), Poll::Pending, "the cleanup awaits");
    assert!(entries(&log).is_empty());
    assert_eq!(poll(&mut close), Poll::Ready(Ok(Ok(()))));
    drop(close);
    assert_eq!(entries(&log), ["cleaned up"]);
    assert!(t.is_finished());
    assert_eq!(
        block_on(t.close_with(Stop("again"))),
        Err(CloseError::Finished)
    );
}

#[test]
fn close_with_on_a_body_that_yields_instead_drops_it() {
    let log = new_log();
    #[generator(yield = u32, throw = Stop)]
    async fn stubborn(log: Log) -> Result<(), Stop> {
        let _guard = Noisy::new("stubborn", &log);
        loop {
            let _ = yield_!(1);
        }
    }
    let mut s = stubborn(log.clone());
    block_on(s.next());
    assert_eq!(
        block_on(s.close_with(Stop("x"))),
        Err(CloseError::Yielded(1))
    );
    assert_eq!(entries(&log), ["stubborn"]);
    assert!(s.is_finished());
}

#[test]
fn try_form_stream_ends_with_one_err_from_question_mark() {
    #[generator(yield = u32)]
    async fn parse(words: Vec<&'static str>) -> Result<(), std::num::ParseIntError> {
        for w in words {
            pending_once().await;
            yield_!(w.parse()?);
        }
        Ok(())
    }
    let items: Vec<_> = collect(parse(vec!["1", "2", "x", "4"]));
    assert_eq!(items.len(), 3);
    assert_eq!(items[..2], [Ok(1), Ok(2)]);
    assert!(items[2].is_err());

    let items = collect(parse(vec!["7"]));
    assert_eq!(items, [Ok(7)], "returning Ok(()) adds no item");
}

/// Every item of a stream, polled through `Stream::poll_next`.
fn collect<S: Stream + Unpin>(mut s: S) -> Vec<S::Item> {
    block_on(async move {
        let mut out = vec![];
        while let Some(x) = std::future::poll_fn(|cx| Pin::new(&mut s).poll_next(cx)).await {
            out.push(x);
        }
        assert!(
            matches!(
                Pin::new(&mut s).poll_next(&mut Context::from_waker(Waker::noop())),
                Poll::Ready(None)
            ),
            "the stream stays ended"
        );
        out
    })
}

#[test]
fn inline_async_closure_forms_take_values() {
    let mut g = coroutine!(async |x: u32| {
        let y = yield x + 1;
        pending_once().await;
        yield y * 2;
    });
    assert_eq!(block_on(g.send(1)), Some(2));
    assert_eq!(block_on(g.send(5)), Some(10));
    assert_eq!(block_on(g.send(0)), None);

    let offset = 100;
    let mut g = coroutine!(async move |x: u32| {
        let mut x = x;
        loop {
            x = yield x + offset;
        }
    });
    assert_eq!(block_on(g.send(1)), Some(101));
    assert_eq!(block_on(g.send(2)), Some(102));

    let mut p = pin!(coroutine!(pinned async |x: &'static str| {
        let y = yield x.len();
        yield y.len();
    }));
    assert_eq!(block_on(p.as_mut().send("abc")), Some(3));
    assert_eq!(block_on(p.as_mut().send("hello")), Some(5));
}

#[test]
fn inline_async_closure_declared_result_is_a_try_stream() {
    let s = coroutine!(async || -> Result<(), Stop> {
        yield 1;
        pending_once().await;
        yield 2;
        Err(Stop("done"))?;
        yield 3;
        Ok(())
    });
    assert_eq!(collect(s), [Ok(1), Ok(2), Err(Stop("done"))]);
}

#[test]
fn inline_async_closure_throw_form() {
    let mut g = coroutine!(async |r: Result<u32, Stop>| -> Result<(), Stop> {
        let mut r = r;
        loop {
            let x = r?;
            r = yield x * 10;
        }
    });
    assert_eq!(block_on(g.send(Ok(1))), Some(Ok(10)));
    assert_eq!(block_on(g.send(Ok(2))), Some(Ok(20)));
    assert_eq!(block_on(g.throw(Stop("t"))), Some(Err(Stop("t"))));
    assert_eq!(block_on(g.send(Ok(3))), None);
}

#[test]
fn pinned_async_generator_with_resume_and_throw() {
    #[generator(yield = u32, resume = u32, throw = Stop, pinned)]
    async fn adder() -> Result<(), Stop> {
        let mut total = 0;
        loop {
            pending_once().await;
            total += yield_!(total)?;
        }
    }
    let mut g = pin!(adder());
    block_on(async {
        assert_eq!(g.as_mut().start().await, Some(Ok(0)));
        assert_eq!(g.as_mut().send(Ok(5)).await, Some(Ok(5)));
        assert_eq!(g.as_mut().send(Ok(2)).await, Some(Ok(7)));
        assert_eq!(g.as_mut().throw(Stop("x")).await, Some(Err(Stop("x"))));
    });
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn a_dropped_step_is_carried_on_by_next_and_refuses_a_value() {
    #[generator(yield = u32)]
    async fn slow() {
        yield_!(1);
        pending_once().await;
        yield_!(2);
    }
    let mut s = slow();
    assert_eq!(block_on(s.next()), Some(1));
    assert_eq!(
        poll(&mut s.next()),
        Poll::Pending,
        "dropped while the body awaits"
    );
    assert_eq!(block_on(s.next()), Some(2), "the step goes on");
    assert_eq!(block_on(s.next()), None);

    let mut avg = averager();
    block_on(avg.start());
    assert_eq!(poll(&mut avg.send(1.0)), Poll::Pending);
    let err = catch(|| drop(avg.send(2.0))).unwrap_err();
    assert!(err.contains("in the middle of a step"), "{err}");
    // `next()` is not there for a generator resumed with values; closing still works.
    avg.close();
    assert!(avg.is_finished());
}

#[test]
fn a_panic_in_the_body_poisons_it_and_a_later_send_says_so() {
    #[generator(yield = u32, resume = u32)]
    async fn fragile() {
        let x = yield_!(0);
        if x == 0 {
            panic!("zero");
        }
    }
    let mut g = fragile();
    block_on(g.start());
    let err = catch(|| block_on(g.send(0))).unwrap_err();
    assert_eq!(err, "zero");
    assert_eq!(g.state(), State::Poisoned);
    let err = catch(|| drop(g.send(1))).unwrap_err();
    assert!(err.contains("panicked"), "{err}");
}

#[test]
fn debug_names_the_async_generator() {
    let g = averager();
    let text = format!("{g:?}");
    assert!(
        text.contains("averager") && text.contains("Created"),
        "{text}"
    );
}

#[generator(yield = u32)]
async fn inner(from: u32) -> Result<(), Stop> {
    for i in from..from + 2 {
        pending_once().await;
        yield_!(i);
    }
    if from == 0 {
        return Err(Stop("inner failed"));
    }
    Ok(())
}

#[test]
fn yield_from_an_async_generator_in_an_async_generator() {
    #[generator(yield = u32)]
    async fn outer() -> Result<(), Stop> {
        yield_!(100);
        yield_from!(inner(10))?;
        yield_!(200);
        let mut borrowed = inner(20);
        yield_from!(&mut borrowed)?;
        assert!(borrowed.is_finished());
        yield_from!(inner(0))?;
        yield_!(300); // not reached: the `?` above returns
        Ok(())
    }
    assert_eq!(
        collect(outer()),
        [
            Ok(100),
            Ok(10),
            Ok(11),
            Ok(200),
            Ok(20),
            Ok(21),
            Ok(0),
            Ok(1),
            Err(Stop("inner failed"))
        ]
    );
}

#[test]
fn yield_from_an_async_generator_forwards_sent_values_and_throws() {
    #[generator(yield = u32, resume = u32, throw = Stop)]
    async fn echo(log: Log) -> Result<(), Stop> {
        let _guard = Noisy::new("echo", &log);
        let mut x = yield_!(0)?;
        loop {
            pending_once().await;
            x = yield_!(x * 2)?;
        }
    }
    #[generator(yield = u32, resume = u32, throw = Stop)]
    async fn outer(log: Log) -> Result<(), Stop> {
        let r = yield_from!(echo(log.clone()));
        log.borrow_mut().push("outer saw the return");
        r
    }
    let log = new_log();
    let mut g = outer(log.clone());
    block_on(async {
        assert_eq!(g.start().await, Some(Ok(0)));
        assert_eq!(g.send(Ok(3)).await, Some(Ok(6)));
        assert_eq!(g.send(Ok(4)).await, Some(Ok(8)));
        assert_eq!(g.suspended_at().map(|at| at.file()), Some(file!()));
        assert_eq!(g.throw(Stop("t")).await, Some(Err(Stop("t"))));
    });
    assert_eq!(entries(&log), ["echo", "outer saw the return"]);
}

#[test]
fn close_with_through_an_async_delegation_does_not_run_past_it() {
    #[generator(yield = u32, throw = Stop)]
    async fn sub() -> Result<(), Stop> {
        loop {
            if yield_!(1).is_err() {
                pending_once().await; // async cleanup in the subgenerator
                return Ok(());
            }
        }
    }
    #[generator(yield = u32, throw = Stop)]
    async fn outer(log: Log) -> Result<(), Stop> {
        yield_from!(sub())?;
        log.borrow_mut().push("ran past the yield_from!");
        yield_!(2)?;
        Ok(())
    }
    let log = new_log();
    let mut g = outer(log.clone());
    assert_eq!(block_on(g.next()), Some(Ok(1)));
    assert_eq!(
        block_on(g.close_with(Stop("bye"))),
        Err(CloseError::Delegated)
    );
    assert!(entries(&log).is_empty());
    assert!(g.is_finished());
}

#[test]
fn closing_a_delegating_async_generator_closes_its_subgenerator() {
    #[generator(yield = u32)]
    async fn sub(log: Log) {
        let _guard = Noisy::new("sub", &log);
        loop {
            pending_once().await;
            yield_!(1);
        }
    }
    #[generator(yield = u32)]
    async fn outer(log: Log) {
        let _guard = Noisy::new("outer", &log);
        yield_from!(sub(log.clone()));
    }
    let log = new_log();
    let mut g = outer(log.clone());
    assert_eq!(block_on(g.next()), Some(1));
    // Mid-await in the subgenerator, then closed.
    assert_eq!(poll(&mut g.next()), Poll::Pending);
    g.close();
    assert_eq!(entries(&log), ["sub", "outer"]);
}

#[test]
fn pinned_async_generator_delegated_to_in_place() {
    #[generator(yield = u32, pinned)]
    async fn sub() {
        pending_once().await;
        yield_!(7);
    }
    let s = coroutine!(async {
        let mut p = pin!(sub());
        yield_from!(p.as_mut());
        yield 8;
    });
    assert_eq!(collect(s), [7, 8]);
}

#[test]
fn a_step_polls_with_the_callers_waker() {
    let mut avg = averager();
    block_on(avg.start());
    block_on(async {
        let mut step = pin!(avg.send(2.0));
        // `poll_once` passes this task's context: the body's pending future wakes it.
        assert_eq!(poll_once(step.as_mut()).await, Poll::Pending);
        assert_eq!(step.await, Some(2.0));
    });
}

/// Misuse panics name the caller's line, not one inside the library.
#[test]
fn misuse_panics_point_at_the_callers_line() {
    let watch = PanicLocations::start();
    let mut avg = averager();
    let send_line = line!() + 1;
    let _ = catch(|| drop(avg.send(1.0)));
    block_on(avg.start());
    let start_line = line!() + 1;
    let _ = catch(|| drop(avg.start()));
    assert_eq!(poll(&mut avg.send(1.0)), Poll::Pending);
    let mid_line = line!() + 1;
    let _ = catch(|| drop(avg.send(2.0)));
    let mut c = counter(new_log());
    assert_eq!(poll(&mut c.next()), Poll::Pending);
    let mid_close_line = line!() + 1;
    let _ = catch(|| drop(c.close_with(Stop("x"))));
    let seen = watch.finish();
    let here = file!().to_owned();
    assert_eq!(
        seen,
        [
            (here.clone(), send_line),
            (here.clone(), start_line),
            (here.clone(), mid_line),
            (here, mid_close_line),
        ]
    );
}
