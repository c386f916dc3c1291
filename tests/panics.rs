//! Misuse and panics: a panicking body poisons its generator; resuming a finished, closed or
//! poisoned generator panics with a message saying which (or is an error from `try_send`);
//! `start()` on a started generator panics.

mod common;

use resumable::prelude::*;

use common::{block_on, catch, entries, new_log, Log, Noisy, PanicLocations};

#[generator(yield = u32, resume = u32)]
fn fragile(log: Log) -> u32 {
    let _guard = Noisy::new("fragile local", &log);
    let x = yield_!(1);
    if x == 13 {
        panic!("unlucky {x}");
    }
    x
}

#[test]
fn panic_in_body_propagates_out_of_send_with_its_message() {
    let log = new_log();
    let mut g = fragile(log.clone());
    g.start();
    let msg = catch(|| g.send(13)).unwrap_err();
    assert_eq!(msg, "unlucky 13");
}

#[test]
fn panic_in_body_poisons_the_generator() {
    let log = new_log();
    let mut g = fragile(log.clone());
    g.start();
    assert!(catch(|| g.send(13)).is_err());
    assert_eq!(g.state(), State::Poisoned);
    assert!(g.is_finished());
    assert_eq!(g.suspended_at(), None);

    let msg = catch(|| g.send(1)).unwrap_err();
    assert!(
        msg.contains("panicked"),
        "message does not say it panicked: {msg}"
    );
    assert_eq!(g.try_send(1), Err(ResumeError::Poisoned));
    assert_eq!(g.try_resume(1), Err(ResumeError::Poisoned));
    assert_eq!(
        g.state(),
        State::Poisoned,
        "a failed resume changed the state"
    );
}

#[test]
fn panic_in_body_drops_its_locals_exactly_once() {
    let log = new_log();
    let mut g = fragile(log.clone());
    g.start();
    assert!(catch(|| g.send(13)).is_err());
    assert_eq!(
        entries(&log),
        ["fragile local"],
        "unwinding drops the body's locals"
    );
    g.close();
    drop(g);
    assert_eq!(
        entries(&log),
        ["fragile local"],
        "a local was dropped twice"
    );
}

#[test]
fn panic_on_the_first_resume_poisons() {
    let mut g = coroutine! {
        if true {
            panic!("at once");
        }
        yield 1;
    };
    assert_eq!(catch(|| g.send(())).unwrap_err(), "at once");
    assert_eq!(g.state(), State::Poisoned);
    assert_eq!(g.try_send(()), Err(ResumeError::Poisoned));
}

#[test]
fn closing_a_poisoned_generator_keeps_it_poisoned() {
    let mut g = coroutine! {
        yield 1;
        panic!("boom");
    };
    g.send(());
    assert!(catch(|| g.send(())).is_err());
    g.close();
    assert_eq!(g.state(), State::Poisoned);
    assert_eq!(g.try_send(()), Err(ResumeError::Poisoned));
}

#[test]
fn panic_in_a_delegated_subgenerator_poisons_the_delegator_and_unwinds_inner_first() {
    #[generator(yield = u32)]
    fn bottom(log: Log) {
        let _b = Noisy::new("bottom", &log);
        yield_!(1);
        panic!("deep");
    }
    #[generator(yield = u32)]
    fn mid(log: Log) {
        let _m = Noisy::new("mid", &log);
        yield_from!(bottom(log.clone()));
    }
    #[generator(yield = u32)]
    fn top(log: Log) {
        let _t = Noisy::new("top", &log);
        yield_from!(mid(log.clone()));
    }
    let log = new_log();
    let mut g = top(log.clone());
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert_eq!(catch(|| g.send(())).unwrap_err(), "deep");
    assert_eq!(g.state(), State::Poisoned);
    assert_eq!(entries(&log), ["bottom", "mid", "top"]);
    drop(g);
    assert_eq!(entries(&log), ["bottom", "mid", "top"]);
}

#[test]
fn a_borrowed_subgenerator_that_panics_mid_delegation_is_poisoned_and_so_is_its_delegator() {
    #[generator(yield = u32)]
    fn flaky(log: Log) {
        let _f = Noisy::new("flaky", &log);
        yield_!(1);
        yield_!(2);
        panic!("flaky");
    }
    #[generator(yield = u32)]
    fn over<B: resumable::Body<u32, ()>>(sub: &mut resumable::Gen<u32, (), B>) {
        yield_from!(sub);
    }
    let log = new_log();
    let mut sub = flaky(log.clone());
    let mut g = over(&mut sub);
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    // Resumed from here on straight at the subgenerator, past the delegator's body.
    assert_eq!(g.send(()), GeneratorState::Yielded(2));
    assert_eq!(catch(|| g.send(())).unwrap_err(), "flaky");
    assert_eq!(g.state(), State::Poisoned);
    drop(g);
    assert_eq!(sub.state(), State::Poisoned);
    assert_eq!(sub.try_send(()), Err(ResumeError::Poisoned));
    assert_eq!(entries(&log), ["flaky"]);
    drop(sub);
    assert_eq!(entries(&log), ["flaky"]);
}

#[test]
fn iterating_a_poisoned_generator_panics_again() {
    let mut g = coroutine! {
        yield 1;
        panic!("boom");
    };
    assert_eq!(g.next(), Some(1));
    assert!(catch(|| g.next()).is_err());
    let msg = catch(|| g.next()).unwrap_err();
    assert!(msg.contains("panicked"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Resuming a generator that cannot run

#[test]
fn resuming_a_finished_generator_panics_saying_it_finished() {
    let mut g = coroutine! {
        yield 1;
    };
    g.send(());
    assert_eq!(g.send(()), GeneratorState::Complete(()));
    let msg = catch(|| g.send(())).unwrap_err();
    assert!(
        msg.contains("finished"),
        "message does not say it finished: {msg}"
    );
    assert_eq!(g.try_send(()), Err(ResumeError::Finished));
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn resuming_a_closed_generator_panics_saying_it_was_closed() {
    let mut g = coroutine! {
        yield 1;
    };
    g.send(());
    g.close();
    let msg = catch(|| g.send(())).unwrap_err();
    assert!(
        msg.contains("closed"),
        "message does not say it was closed: {msg}"
    );
    assert_eq!(g.try_send(()), Err(ResumeError::Finished));

    let mut never_started = coroutine! {
        yield 1;
    };
    never_started.close();
    let msg = catch(|| never_started.send(())).unwrap_err();
    assert!(msg.contains("closed"), "{msg}");
}

#[test]
fn throwing_into_a_finished_generator_panics_saying_it_finished() {
    #[derive(Debug)]
    struct E;
    #[generator(yield = u8, throw = E)]
    fn once() -> Result<(), E> {
        yield_!(1)?;
        Ok(())
    }
    let mut g = once();
    g.start();
    g.send(Ok(()));
    let msg = catch(|| g.throw(E)).unwrap_err();
    assert!(msg.contains("finished"), "{msg}");
}

#[test]
fn resuming_a_pinned_generator_after_it_finished_panics() {
    #[generator(yield = u8, pinned)]
    fn one() {
        yield_!(1);
    }
    let mut g = core::pin::pin!(one());
    g.as_mut().send(());
    g.as_mut().send(());
    let msg = catch(|| g.as_mut().send(())).unwrap_err();
    assert!(msg.contains("finished"), "{msg}");
    assert_eq!(g.as_mut().try_send(()), Err(ResumeError::Finished));
}

#[test]
fn resume_through_the_generator_trait_panics_the_same_way() {
    use core::pin::Pin;
    let mut g = coroutine! {
        yield 1;
    };
    Pin::new(&mut g).resume(());
    Pin::new(&mut g).resume(());
    let msg = catch(|| Pin::new(&mut g).resume(())).unwrap_err();
    assert!(msg.contains("finished"), "{msg}");
}

#[test]
fn delegating_to_a_finished_subgenerator_panics_and_poisons_the_delegator() {
    let mut sub = coroutine! {
        yield 1;
    };
    sub.by_ref().count();
    let mut g = coroutine! {
        yield_from!(&mut sub);
    };
    let msg = catch(|| g.send(())).unwrap_err();
    assert!(msg.contains("finished"), "{msg}");
    assert_eq!(g.state(), State::Poisoned);
}

// ---------------------------------------------------------------------------------------------
// start()

#[test]
fn start_on_a_started_generator_panics_clearly() {
    let mut g = coroutine! {
        yield 1;
        yield 2;
    };
    g.start();
    let msg = catch(|| g.start()).unwrap_err();
    assert!(msg.contains("already started"), "{msg}");
    assert_eq!(
        g.state(),
        State::Suspended,
        "the failed start() changed the generator"
    );
    assert_eq!(g.send(()), GeneratorState::Yielded(2));
}

#[test]
fn start_after_send_or_on_a_finished_generator_panics() {
    let mut g = coroutine! {
        yield 1;
    };
    g.send(());
    assert!(catch(|| g.start()).unwrap_err().contains("already started"));
    g.send(());
    assert!(catch(|| g.start()).is_err());
}

// `start()` on a closure-form coroutine is a compile error: tests/ui/start-on-closure-coroutine.rs.

/// A value sent to a generator declared with `resume = T` before it started would be lost (no
/// yield waits for it): refused, as Python's "can't send non-None value to a just-started
/// generator", and the generator can still be started.
#[test]
fn a_value_sent_before_start_is_refused_not_lost() {
    #[generator(yield = f64, resume = f64)]
    fn averager() {
        let (mut total, mut n, mut avg) = (0.0, 0.0, 0.0);
        loop {
            let term = yield_!(avg);
            total += term;
            n += 1.0;
            avg = total / n;
        }
    }
    let mut g = averager();
    let msg = catch(|| g.send(10.0)).unwrap_err();
    assert!(msg.contains("call start() first"), "{msg}");
    assert_eq!(g.state(), State::Created);
    assert_eq!(g.try_send(10.0), Err(ResumeError::NotStarted));
    assert_eq!(g.state(), State::Created);
    assert_eq!(g.start(), GeneratorState::Yielded(0.0));
    assert_eq!(g.send(10.0), GeneratorState::Yielded(10.0));
}

/// A generator without a `resume` key takes `()` first, as before: nothing is lost.
#[test]
fn a_unit_send_before_start_starts_the_generator() {
    let mut g = coroutine! { yield 1; };
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
}

/// In a `throw` generator with a `resume` key, an `Ok` sent first is refused; an `Err` thrown
/// first completes it before its body runs.
#[test]
fn a_throw_generator_refuses_a_first_ok_but_takes_a_first_err() {
    #[derive(Debug, PartialEq)]
    struct Stop;
    #[generator(yield = u32, resume = u32, throw = Stop)]
    fn doubler() -> Result<(), Stop> {
        let mut x = yield_!(0)?;
        loop {
            x = yield_!(x * 2)?;
        }
    }
    let mut g = doubler();
    assert_eq!(g.try_send(Ok(1)), Err(ResumeError::NotStarted));
    assert_eq!(g.throw(Stop), GeneratorState::Complete(Err(Stop)));
    let mut h = doubler();
    assert!(catch(|| h.send(Ok(1))).is_err());
    assert_eq!(h.start(), GeneratorState::Yielded(0));
    assert_eq!(h.send(Ok(21)), GeneratorState::Yielded(42));
}

/// Misuse panics name the caller's line, not a line inside the library.
#[test]
fn misuse_panics_point_at_the_callers_line() {
    let watch = PanicLocations::start();
    let mut g = coroutine! { yield 1u8; };
    g.send(());
    g.send(());
    let line = line!() + 1;
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.send(())));
    let mut h = coroutine! { yield 1u8; };
    h.start();
    let start_line = line!() + 1;
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.start()));
    let mut i = coroutine! { yield 1u8; };
    let next_line = line!() + 1;
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        i.by_ref().for_each(drop);
        i.send(())
    }));
    let seen = watch.finish();
    let here = file!().to_owned();
    assert_eq!(
        seen,
        [
            (here.clone(), line),
            (here.clone(), start_line),
            (here, next_line + 2)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Async generators

#[test]
fn panic_in_an_async_generator_propagates_and_poisons() {
    let mut s = coroutine!(async {
        yield 1;
        panic!("async boom");
    });
    assert_eq!(block_on(s.next()), Some(1));
    assert_eq!(catch(|| block_on(s.next())).unwrap_err(), "async boom");
    assert_eq!(s.state(), State::Poisoned);
    let msg = catch(|| block_on(s.next())).unwrap_err();
    assert!(msg.contains("panicked"), "{msg}");
}
