//! Looking at a generator from outside: `state()`, `is_finished()`, `Debug`, `try_send`, and
//! the `Iterator` + `FusedIterator` + `take_return` view of Resume = `()` generators.

mod common;

use std::iter::FusedIterator;

use resumable::prelude::*;

use common::catch;

#[generator(yield = u32)]
fn two() -> &'static str {
    yield_!(1);
    yield_!(2);
    "ret"
}

#[test]
fn state_goes_created_suspended_finished() {
    let mut g = two();
    assert_eq!(g.state(), State::Created);
    assert!(!g.is_finished());
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert_eq!(g.state(), State::Suspended);
    assert!(!g.is_finished());
    assert_eq!(g.send(()), GeneratorState::Yielded(2));
    assert_eq!(g.state(), State::Suspended);
    assert_eq!(g.send(()), GeneratorState::Complete("ret"));
    assert_eq!(g.state(), State::Finished);
    assert!(g.is_finished());
}

#[test]
fn state_of_closed_generators_is_finished() {
    let mut created = two();
    created.close();
    assert_eq!(created.state(), State::Finished);
    assert!(created.is_finished());

    let mut suspended = two();
    suspended.send(());
    suspended.close();
    assert_eq!(suspended.state(), State::Finished);
}

#[test]
fn state_of_a_panicked_generator_is_poisoned() {
    let mut g = coroutine! {
        yield 1;
        panic!("inside");
    };
    g.send(());
    assert!(catch(|| g.send(())).is_err());
    assert_eq!(g.state(), State::Poisoned);
    assert!(g.is_finished());
}

#[test]
fn state_of_a_pinned_generator() {
    #[generator(yield = u8, pinned)]
    fn one() {
        yield_!(1);
    }
    let mut g = core::pin::pin!(one());
    assert_eq!(g.state(), State::Created);
    g.as_mut().send(());
    assert_eq!(g.state(), State::Suspended);
    assert!(!g.is_finished());
    g.as_mut().send(());
    assert_eq!(g.state(), State::Finished);
    assert!(g.is_finished());
}

#[test]
fn debug_shows_state_and_location() {
    let mut g = two();
    let created = format!("{g:?}");
    assert!(created.contains("Created"), "{created}");

    g.send(());
    let at = g.suspended_at().expect("suspended at a yield");
    let suspended = format!("{g:?}");
    assert!(suspended.contains("Suspended"), "{suspended}");
    let expected = format!("{}:{}:{}", at.file(), at.line(), at.column());
    assert!(
        suspended.contains(&expected),
        "{suspended} lacks {expected}"
    );
    assert!(suspended.contains("inspect.rs"), "{suspended}");

    g.close();
    let finished = format!("{g:?}");
    assert!(finished.contains("Finished"), "{finished}");
    assert!(
        !finished.contains("inspect.rs"),
        "a finished generator has no location: {finished}"
    );
}

#[test]
fn debug_of_pinned_and_async_generators_shows_state() {
    #[generator(yield = u8, pinned)]
    fn one() {
        yield_!(1);
    }
    let g = core::pin::pin!(one());
    assert!(format!("{g:?}").contains("Created"));

    let mut s = coroutine!(async {
        yield 1u8;
    });
    assert_eq!(common::block_on(s.next()), Some(1));
    let dbg = format!("{s:?}");
    assert!(
        dbg.contains("Suspended") && dbg.contains("inspect.rs"),
        "{dbg}"
    );
}

#[test]
fn try_send_and_try_resume_report_instead_of_panicking() {
    let mut g = two();
    assert_eq!(g.try_send(()), Ok(GeneratorState::Yielded(1)));
    assert_eq!(g.try_resume(()), Ok(GeneratorState::Yielded(2)));
    assert_eq!(g.try_send(()), Ok(GeneratorState::Complete("ret")));
    assert_eq!(g.try_send(()), Err(ResumeError::Finished));
    assert_eq!(g.try_resume(()), Err(ResumeError::Finished));

    let mut closed = two();
    closed.close();
    assert_eq!(closed.try_send(()), Err(ResumeError::Finished));
}

// ---------------------------------------------------------------------------------------------
// Iterator

fn assert_fused<I: FusedIterator>(_: &I) {}

#[test]
fn unit_resume_generator_is_a_fused_iterator() {
    let mut g = two();
    assert_fused(&g);
    assert_eq!(g.next(), Some(1));
    assert_eq!(g.next(), Some(2));
    assert_eq!(g.next(), None);
    assert_eq!(g.next(), None);
    assert_eq!(g.next(), None);
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn take_return_gives_the_return_value_once_after_iteration() {
    let mut g = two();
    assert_eq!(g.take_return(), None, "nothing to take before the end");
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(g.take_return(), Some("ret"));
    assert_eq!(g.take_return(), None);
    assert_eq!(g.next(), None);
    assert_eq!(
        g.take_return(),
        None,
        "a fused next() after the end made a new return value"
    );
}

#[test]
fn iteration_can_stop_and_continue() {
    let mut g = coroutine! {
        for i in 0..5 {
            yield i;
        }
    };
    assert_eq!(g.by_ref().take(2).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(g.state(), State::Suspended);
    assert_eq!(g.send(()), GeneratorState::Yielded(2));
    assert_eq!(g.sum::<i32>(), 7);
}

#[test]
fn iterator_adapters_work_on_generators() {
    let evens: Vec<u32> = coroutine! {
        let mut i = 0;
        loop {
            yield i;
            i += 1;
        }
    }
    .filter(|x| x % 2 == 0)
    .take(3)
    .collect();
    assert_eq!(evens, [0, 2, 4]);
}

// ---------------------------------------------------------------------------------------------
// GeneratorState helpers

#[test]
fn generator_state_accessors() {
    let y: GeneratorState<u8, &str> = GeneratorState::Yielded(1);
    let c: GeneratorState<u8, &str> = GeneratorState::Complete("r");
    assert_eq!(y.yielded(), Some(1));
    assert_eq!(y.complete(), None);
    assert!(!y.is_complete());
    assert_eq!(c.yielded(), None);
    assert_eq!(c.complete(), Some("r"));
    assert!(c.is_complete());
    let copy = y; // Copy
    assert_eq!(copy, y);
}

#[test]
fn debug_names_the_generator() {
    #[generator(yield = u64)]
    fn fib() {
        yield_!(0);
    }
    let g = fib();
    let dbg = format!("{g:?}");
    assert!(dbg.contains("name: \"fib\""), "{dbg}");

    let line = line!() + 1;
    let c = coroutine! { yield 1; };
    let dbg = format!("{c:?}");
    let expected = format!("coroutine at {}:{line}:", file!());
    assert!(dbg.contains(&expected), "{dbg} lacks {expected}");
}
