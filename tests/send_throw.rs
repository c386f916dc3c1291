//! `send`, `start` and `throw` (PEP 342): what goes into a generator, and when.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use resumable::prelude::*;

use common::{entries, new_log, Noisy};

#[derive(Debug, PartialEq, Clone)]
struct Boom(u32);

#[generator(yield = i32, resume = i32)]
fn summer() -> i32 {
    let mut total = 0;
    loop {
        let x = yield_!(total);
        if x < 0 {
            return total;
        }
        total += x;
    }
}

#[test]
fn sent_values_arrive_at_the_waiting_yield() {
    let mut g = summer();
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(5), GeneratorState::Yielded(5));
    assert_eq!(g.send(3), GeneratorState::Yielded(8));
    assert_eq!(g.send(-1), GeneratorState::Complete(8));
}

#[test]
fn first_send_argument_of_fn_form_is_refused_not_dropped() {
    let mut g = summer();
    // No yield is waiting for a first value: it would be lost, so it is refused, and the
    // generator can still be started.
    assert_eq!(g.try_send(100), Err(ResumeError::NotStarted));
    assert_eq!(g.state(), State::Created);
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(1), GeneratorState::Yielded(1));
}

#[test]
fn a_refused_first_value_is_given_back_by_try_send_and_dropped_once() {
    #[generator(yield = u32, resume = Noisy)]
    fn takes() {
        let _second = yield_!(1);
        yield_!(2);
    }
    let log = new_log();
    let mut g = takes();
    assert_eq!(
        g.try_send(Noisy::new("first", &log)).map(|_| ()),
        Err(ResumeError::NotStarted)
    );
    assert_eq!(entries(&log), ["first"], "refused and dropped, once");
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(
        g.send(Noisy::new("second", &log)),
        GeneratorState::Yielded(2)
    );
    assert_eq!(
        entries(&log),
        ["first"],
        "the second argument is held by the body"
    );
    drop(g);
    assert_eq!(entries(&log), ["first", "second"]);
}

#[test]
fn start_runs_exactly_to_the_first_yield() {
    #[generator(yield = &'static str, resume = u32)]
    fn steps(progress: Rc<Cell<u32>>) {
        progress.set(1);
        let x = yield_!("first");
        progress.set(x);
        yield_!("second");
        progress.set(99);
    }
    let progress = Rc::new(Cell::new(0));
    let mut g = steps(progress.clone());
    assert_eq!(g.start(), GeneratorState::Yielded("first"));
    assert_eq!(progress.get(), 1);
    assert_eq!(g.send(7), GeneratorState::Yielded("second"));
    assert_eq!(progress.get(), 7);
}

#[test]
fn start_of_a_body_without_yields_completes() {
    #[generator(yield = u8)]
    fn nothing() -> &'static str {
        "empty"
    }
    let mut g = nothing();
    assert_eq!(g.start(), GeneratorState::Complete("empty"));
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn unit_resume_generator_send_is_next() {
    let mut g = coroutine! {
        yield 1;
        yield 2;
    };
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert_eq!(g.next(), Some(2));
    assert_eq!(g.send(()), GeneratorState::Complete(()));
}

// ---------------------------------------------------------------------------------------------
// throw

#[generator(yield = u32, resume = u32, throw = Boom)]
fn careful() -> Result<u32, Boom> {
    let x = yield_!(1)?;
    let y = yield_!(x + 1)?;
    Ok(x + y)
}

#[test]
fn throw_generator_receives_ok_values_from_send() {
    let mut g = careful();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(Ok(5)), GeneratorState::Yielded(6));
    assert_eq!(g.send(Ok(1)), GeneratorState::Complete(Ok(6)));
}

#[test]
fn thrown_error_propagates_with_question_mark() {
    let mut g = careful();
    g.start();
    assert_eq!(g.send(Ok(5)), GeneratorState::Yielded(6));
    assert_eq!(g.throw(Boom(3)), GeneratorState::Complete(Err(Boom(3))));
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn thrown_error_can_be_caught_and_the_body_continues() {
    #[generator(yield = u32, throw = Boom)]
    fn resilient() -> Result<Vec<u32>, Boom> {
        let mut caught = vec![];
        loop {
            match yield_!(caught.len() as u32) {
                Ok(()) => {}
                Err(Boom(0)) => return Ok(caught),
                Err(Boom(code)) => caught.push(code),
            }
        }
    }
    let mut g = resilient();
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.throw(Boom(4)), GeneratorState::Yielded(1));
    assert_eq!(g.send(Ok(())), GeneratorState::Yielded(1));
    assert_eq!(g.throw(Boom(9)), GeneratorState::Yielded(2));
    assert_eq!(g.throw(Boom(0)), GeneratorState::Complete(Ok(vec![4, 9])));
}

#[test]
fn error_thrown_into_a_created_generator_completes_it_before_the_body_runs() {
    #[generator(yield = u32, throw = Boom)]
    fn flagged(ran: Rc<Cell<bool>>) -> Result<(), Boom> {
        ran.set(true);
        yield_!(1)?;
        Ok(())
    }
    let ran = Rc::new(Cell::new(false));
    let mut g = flagged(ran.clone());
    assert_eq!(g.throw(Boom(1)), GeneratorState::Complete(Err(Boom(1))));
    assert!(
        !ran.get(),
        "the body ran although the error was thrown before it started"
    );
    assert_eq!(g.state(), State::Finished);
    assert_eq!(g.try_send(Ok(())), Err(ResumeError::Finished));
    assert_eq!(Rc::strong_count(&ran), 1, "the arguments were dropped");
}

#[test]
fn error_thrown_into_a_created_generator_is_converted_with_from() {
    #[derive(Debug, PartialEq)]
    enum Wide {
        Boom(u32),
    }
    impl From<Boom> for Wide {
        fn from(b: Boom) -> Self {
            Wide::Boom(b.0)
        }
    }
    #[generator(yield = u32, throw = Boom)]
    fn wide() -> Result<(), Wide> {
        yield_!(1)?;
        Ok(())
    }
    assert_eq!(
        wide().throw(Boom(2)),
        GeneratorState::Complete(Err(Wide::Boom(2)))
    );
    let mut g = wide();
    g.start();
    assert_eq!(
        g.throw(Boom(3)),
        GeneratorState::Complete(Err(Wide::Boom(3)))
    );
}

#[test]
fn ok_sent_into_a_created_throw_generator_is_refused() {
    let mut g = careful();
    assert_eq!(g.try_send(Ok(123)), Err(ResumeError::NotStarted));
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(Ok(2)), GeneratorState::Yielded(3));
}

#[test]
fn throw_into_a_coroutine_closure_with_result_argument() {
    let mut c = coroutine!(|first: Result<i32, Boom>| -> Result<i32, Boom> {
        let a = first?;
        let resumed = yield a;
        let b = match resumed {
            Ok(b) => b,
            Err(Boom(code)) => -(code as i32),
        };
        let c = (yield a + b)?;
        Ok(a + b + c)
    });
    assert_eq!(c.send(Ok(10)), GeneratorState::Yielded(10));
    assert_eq!(c.throw(Boom(3)), GeneratorState::Yielded(7));
    assert_eq!(c.throw(Boom(5)), GeneratorState::Complete(Err(Boom(5))));

    let mut c2 = coroutine!(|first: Result<i32, Boom>| -> Result<i32, Boom> {
        let a = first?;
        let _ = yield a;
        Ok(a)
    });
    assert_eq!(c2.throw(Boom(1)), GeneratorState::Complete(Err(Boom(1))));
}

#[test]
fn throw_into_a_pinned_generator() {
    #[generator(yield = u32, throw = Boom, pinned)]
    fn pinned_careful() -> Result<u32, Boom> {
        match yield_!(1) {
            Ok(()) => Ok(0),
            Err(Boom(n)) => Ok(n * 2),
        }
    }
    let mut g = core::pin::pin!(pinned_careful());
    g.as_mut().start();
    assert_eq!(g.as_mut().throw(Boom(21)), GeneratorState::Complete(Ok(42)));
}
