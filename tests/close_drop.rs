//! `close`, `close_with` and dropping: every live local of a suspended body is dropped exactly
//! once, innermost first, whether the generator is closed, dropped, or ends normally.

mod common;

use resumable::prelude::*;

use common::{catch, entries, new_log, Log, Noisy};

#[derive(Debug, PartialEq)]
struct Exit;

// Two levels of delegation, each level holding a guard across its yields.

#[generator(yield = u32)]
fn inner(log: Log) -> u32 {
    let _a = Noisy::new("inner a", &log);
    let _b = Noisy::new("inner b", &log);
    yield_!(1);
    yield_!(2);
    7
}

#[generator(yield = u32)]
fn middle(log: Log) -> u32 {
    let _m = Noisy::new("middle", &log);
    let r = yield_from!(inner(log.clone()));
    yield_!(r);
    r + 1
}

#[generator(yield = u32)]
fn outer(log: Log) -> u32 {
    let _o = Noisy::new("outer", &log);
    let r = yield_from!(middle(log.clone()));
    r + 1
}

#[test]
fn locals_drop_once_in_order_when_the_body_runs_to_the_end() {
    let log = new_log();
    let mut g = outer(log.clone());
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [1, 2, 7]);
    assert_eq!(entries(&log), ["inner b", "inner a", "middle", "outer"]);
    assert_eq!(g.take_return(), Some(9));
    drop(g);
    assert_eq!(entries(&log), ["inner b", "inner a", "middle", "outer"]);
}

#[test]
fn drop_in_the_middle_of_two_level_delegation_drops_inner_locals_first_once_each() {
    let log = new_log();
    let mut g = outer(log.clone());
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert!(entries(&log).is_empty());
    drop(g);
    assert_eq!(entries(&log), ["inner b", "inner a", "middle", "outer"]);
}

#[test]
fn close_in_the_middle_of_two_level_delegation_drops_inner_locals_first_once_each() {
    let log = new_log();
    let mut g = outer(log.clone());
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert_eq!(g.send(()), GeneratorState::Yielded(2));
    g.close();
    assert_eq!(entries(&log), ["inner b", "inner a", "middle", "outer"]);
    assert!(g.is_finished());
    assert_eq!(g.state(), State::Finished);
    g.close();
    drop(g);
    assert_eq!(
        entries(&log),
        ["inner b", "inner a", "middle", "outer"],
        "a local dropped twice"
    );
}

#[test]
fn close_after_the_subgenerator_returned_drops_only_what_is_left() {
    let log = new_log();
    let mut g = outer(log.clone());
    assert_eq!(g.by_ref().take(3).collect::<Vec<_>>(), [1, 2, 7]);
    assert_eq!(
        entries(&log),
        ["inner b", "inner a"],
        "the finished subgenerator dropped its locals"
    );
    g.close();
    assert_eq!(entries(&log), ["inner b", "inner a", "middle", "outer"]);
}

#[test]
fn close_runs_drop_guards_like_finally() {
    let log = new_log();
    let l = log.clone();
    let mut g = coroutine! {
        let _finally = Noisy::new("finally", &l);
        {
            let _scoped = Noisy::new("scoped", &l);
            yield 1;
        }
        loop {
            yield 2;
        }
    };
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert_eq!(g.send(()), GeneratorState::Yielded(2));
    assert_eq!(
        entries(&log),
        ["scoped"],
        "a scope left before the yield dropped its local"
    );
    g.close();
    assert_eq!(entries(&log), ["scoped", "finally"]);
}

#[test]
fn close_of_a_created_generator_drops_its_arguments_and_runs_nothing() {
    #[generator(yield = u32)]
    fn holds(_arg: Noisy, log: Log) {
        let _body = Noisy::new("body", &log);
        yield_!(1);
    }
    let log = new_log();
    let mut g = holds(Noisy::new("arg", &log), log.clone());
    g.close();
    assert_eq!(entries(&log), ["arg"]);
    assert_eq!(g.state(), State::Finished);
    drop(g);
    assert_eq!(entries(&log), ["arg"]);
}

#[test]
fn dropping_a_created_generator_drops_its_arguments_once() {
    #[generator(yield = u32)]
    fn holds(a: Noisy, b: Noisy) {
        let _ = (&a, &b);
        yield_!(1);
    }
    let log = new_log();
    drop(holds(Noisy::new("a", &log), Noisy::new("b", &log)));
    let mut got = entries(&log);
    got.sort_unstable();
    assert_eq!(got, ["a", "b"]);
}

#[test]
fn yielded_values_are_owned_by_the_caller() {
    let log = new_log();
    let l = log.clone();
    let mut g = coroutine! {
        yield Noisy::new("first", &l);
        yield Noisy::new("second", &l);
    };
    let first = g.next().unwrap();
    assert!(entries(&log).is_empty());
    drop(first);
    assert_eq!(entries(&log), ["first"]);
    drop(g);
    assert_eq!(entries(&log), ["first"], "a value not yet yielded was made");
}

#[test]
fn closing_a_finished_generator_does_nothing() {
    let mut g = coroutine! {
        yield 1;
        "ret"
    };
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert_eq!(g.send(()), GeneratorState::Complete("ret"));
    g.close();
    assert_eq!(g.state(), State::Finished);
    let msg = catch(|| g.send(())).unwrap_err();
    assert!(
        msg.contains("finished"),
        "closing a returned generator changed how it reports: {msg}"
    );
}

#[test]
fn closed_generator_is_finished_and_iterates_to_none() {
    let mut g = coroutine! {
        loop {
            yield 1;
        }
    };
    assert_eq!(g.next(), Some(1));
    g.close();
    assert!(g.is_finished());
    assert_eq!(g.next(), None);
    assert_eq!(g.take_return(), None);
}

#[test]
fn closing_the_delegator_closes_an_owned_subgenerator() {
    let log = new_log();
    let l = log.clone();
    let mut g = coroutine! {
        let sub = coroutine! {
            let _sub_local = Noisy::new("sub", &l);
            loop {
                yield 1;
            }
        };
        yield_from!(sub);
    };
    assert_eq!(g.next(), Some(1));
    g.close();
    assert_eq!(entries(&log), ["sub"]);
}

#[generator(yield = i32, resume = i32)]
fn counter(log: Log) -> i32 {
    let _local = Noisy::new("borrowed sub", &log);
    let mut total = 0;
    loop {
        total += yield_!(total);
    }
}

#[test]
fn closing_the_delegator_closes_a_borrowed_subgenerator() {
    let log = new_log();
    let mut sub = counter(log.clone());
    {
        let sub_ref = &mut sub;
        let mut g = coroutine!(|_x: i32| {
            yield_from!(sub_ref);
        });
        assert_eq!(g.send(0), GeneratorState::Yielded(0));
        assert_eq!(g.send(5), GeneratorState::Yielded(5));
        g.close();
    }
    // PEP 380: closing the delegating generator closes the subgenerator it delegates to.
    assert_eq!(sub.state(), State::Finished);
    assert_eq!(entries(&log), ["borrowed sub"]);
}

// ---------------------------------------------------------------------------------------------
// close_with

#[generator(yield = &'static str, throw = Exit)]
fn session(log: Log) -> Result<&'static str, Exit> {
    let _conn = Noisy::new("conn", &log);
    loop {
        if let Err(Exit) = yield_!("working") {
            log.borrow_mut().push("cleanup");
            return Ok("cleaned up");
        }
    }
}

#[test]
fn close_with_returns_the_body_return_value_when_the_body_returns() {
    let log = new_log();
    let mut g = session(log.clone());
    assert_eq!(g.start(), GeneratorState::Yielded("working"));
    assert_eq!(g.close_with(Exit), Ok(Ok("cleaned up")));
    assert_eq!(entries(&log), ["cleanup", "conn"]);
    assert!(g.is_finished());
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn close_with_returns_the_propagated_error_when_the_body_does_not_catch_it() {
    let log = new_log();
    let l = log.clone();
    #[generator(yield = u32, throw = Exit)]
    fn plain(log: Log) -> Result<(), Exit> {
        let _g = Noisy::new("plain", &log);
        loop {
            yield_!(1)?;
        }
    }
    let mut g = plain(l);
    g.start();
    assert_eq!(g.close_with(Exit), Ok(Err(Exit)));
    assert_eq!(entries(&log), ["plain"]);
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn close_with_reports_a_yield_and_still_finishes_and_drops_the_body() {
    #[generator(yield = u32, throw = Exit)]
    fn stubborn(log: Log) -> Result<(), Exit> {
        let _local = Noisy::new("stubborn", &log);
        loop {
            if yield_!(1).is_err() {
                let _ = yield_!(99); // Python: "generator ignored GeneratorExit"
            }
        }
    }
    let log = new_log();
    let mut g = stubborn(log.clone());
    g.start();
    assert_eq!(g.close_with(Exit), Err(CloseError::Yielded(99)));
    assert_eq!(g.state(), State::Finished);
    assert!(g.is_finished());
    assert_eq!(
        entries(&log),
        ["stubborn"],
        "the body's locals were not dropped"
    );
    assert_eq!(g.try_send(Ok(())), Err(ResumeError::Finished));
    let msg = catch(|| g.send(Ok(()))).unwrap_err();
    assert!(msg.contains("closed"), "unexpected message: {msg}");
}

#[test]
fn close_with_on_a_created_generator_completes_it_without_running_the_body() {
    let log = new_log();
    let mut g = session(log.clone());
    assert_eq!(g.close_with(Exit), Ok(Err(Exit)));
    assert!(!entries(&log).contains(&"cleanup"), "the body ran");
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn close_with_on_a_finished_or_poisoned_generator_is_an_error() {
    let log = new_log();
    let mut g = session(log.clone());
    g.start();
    g.close_with(Exit).unwrap().unwrap();
    assert_eq!(g.close_with(Exit), Err(CloseError::Finished));

    #[generator(yield = u32, throw = Exit)]
    fn explodes() -> Result<(), Exit> {
        yield_!(1)?;
        panic!("boom");
    }
    let mut p = explodes();
    p.start();
    assert!(catch(|| p.send(Ok(()))).is_err());
    assert_eq!(p.close_with(Exit), Err(CloseError::Poisoned));
}

/// `close_with` reaches the subgenerator a generator delegates to. When the subgenerator handles
/// it and returns, the delegating generator does not go on past its `yield_from!` (Python
/// raises `GeneratorExit` again there): its body is dropped, with no return value.
#[test]
fn close_with_is_forwarded_through_delegation() {
    #[generator(yield = &'static str, throw = Exit)]
    fn wrapper(log: Log) -> Result<&'static str, Exit> {
        let _w = Noisy::new("wrapper", &log);
        let r = yield_from!(session(log.clone()))?;
        log.borrow_mut().push("wrapper saw return");
        Ok(r)
    }
    let log = new_log();
    let mut g = wrapper(log.clone());
    assert_eq!(g.start(), GeneratorState::Yielded("working"));
    assert_eq!(g.close_with(Exit), Err(CloseError::Delegated));
    assert!(g.is_finished());
    assert_eq!(entries(&log), ["cleanup", "conn", "wrapper"]);
}

/// Through two levels, and through the shortcut that resumes the innermost generator directly.
#[test]
fn close_with_through_nested_delegation_runs_no_code_after_yield_from() {
    #[generator(yield = &'static str, throw = Exit)]
    fn middle(log: Log) -> Result<&'static str, Exit> {
        let _m = Noisy::new("middle", &log);
        let r = yield_from!(session(log.clone()))?;
        log.borrow_mut().push("middle went on");
        Ok(r)
    }
    #[generator(yield = &'static str, throw = Exit)]
    fn top(log: Log) -> Result<&'static str, Exit> {
        let _t = Noisy::new("top", &log);
        let r = yield_from!(middle(log.clone()))?;
        log.borrow_mut().push("top went on");
        Ok(r)
    }
    let log = new_log();
    let mut g = top(log.clone());
    assert_eq!(g.start(), GeneratorState::Yielded("working"));
    // Resumed once more, so the next resume goes through the shortcut.
    assert_eq!(g.send(Ok(())), GeneratorState::Yielded("working"));
    assert_eq!(g.close_with(Exit), Err(CloseError::Delegated));
    assert_eq!(entries(&log), ["cleanup", "conn", "middle", "top"]);
}

/// A subgenerator that passes the error on ends its delegator the same way (Python: the
/// `GeneratorExit` it raises again propagates through the `yield from`).
#[test]
fn close_with_passed_on_by_the_subgenerator_ends_the_delegator_too() {
    #[generator(yield = u8, throw = Exit)]
    fn sub() -> Result<(), Exit> {
        loop {
            yield_!(1)?;
        }
    }
    #[generator(yield = u8, throw = Exit)]
    fn outer() -> Result<(), Exit> {
        yield_from!(sub())?;
        yield_!(2)?;
        Ok(())
    }
    let mut g = outer();
    g.start();
    assert_eq!(g.close_with(Exit), Err(CloseError::Delegated));
    assert!(g.is_finished());
}

#[test]
fn async_generator_close_drops_its_locals_and_ends_the_stream() {
    use resumable::FusedStream;
    let log = new_log();
    let l = log.clone();
    let mut s = coroutine!(async move {
        let _held = Noisy::new("async local", &l);
        loop {
            yield 1;
        }
    });
    assert_eq!(common::block_on(s.next()), Some(1));
    s.close();
    assert_eq!(entries(&log), ["async local"]);
    assert!(s.is_terminated());
    assert_eq!(common::block_on(s.next()), None);
}

#[test]
fn close_drops_a_hand_written_subgenerator_delegated_with_the_loop() {
    use core::pin::Pin;
    struct Forever {
        _guard: Noisy,
    }
    impl Generator for Forever {
        type Yield = u32;
        type Return = ();
        fn resume(self: Pin<&mut Self>, (): ()) -> GeneratorState<u32, ()> {
            GeneratorState::Yielded(1)
        }
    }
    let log = new_log();
    let sub = Forever {
        _guard: Noisy::new("hand-written", &log),
    };
    let l = log.clone();
    let mut g = coroutine! {
        let _outer = Noisy::new("outer", &l);
        yield_from!(sub);
    };
    assert_eq!(g.next(), Some(1));
    assert_eq!(g.next(), Some(1));
    g.close();
    assert_eq!(entries(&log), ["hand-written", "outer"]);
}

#[test]
fn close_of_a_pinned_generator_drops_its_locals_in_place() {
    #[generator(yield = u32, pinned)]
    fn pinned_guarded(log: Log) {
        let _first = Noisy::new("first", &log);
        let _second = Noisy::new("second", &log);
        yield_!(1);
    }
    let log = new_log();
    let mut g = core::pin::pin!(pinned_guarded(log.clone()));
    g.as_mut().send(());
    g.as_mut().close();
    assert_eq!(entries(&log), ["second", "first"]);
    assert_eq!(g.state(), State::Finished);
}
