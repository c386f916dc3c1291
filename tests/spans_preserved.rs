//! `suspended_at()` names the `yield_!` / `yield` in the user's source: spans survive the
//! rewrite. Each yield hands out its own `line!()`/`column!()`, so the expected location is
//! computed where the yield is written.

mod common;

use core::panic::Location;

use resumable::prelude::*;

/// In `yield_!((line!(), column!()))`, how far `column!()` sits right of `yield_`.
const YIELD_MACRO_OFFSET: u32 = "yield_!((line!(), ".len() as u32;
/// In `yield (line!(), column!())`, how far `column!()` sits right of `yield`.
const YIELD_KEYWORD_OFFSET: u32 = "yield (line!(), ".len() as u32;

fn assert_at(at: Option<&'static Location<'static>>, (line, column): (u32, u32), offset: u32) {
    let at = at.expect("a suspended generator knows where it is");
    assert!(
        at.file().ends_with("spans_preserved.rs"),
        "wrong file: {}",
        at.file()
    );
    assert_eq!((at.line(), at.column()), (line, column - offset), "at {at}");
}

#[generator(yield = (u32, u32))]
fn here() {
    yield_!((line!(), column!()));
    yield_!((line!(), column!())); // indented differently
    let _ = 0;
    yield_!((line!(), column!()));
}

#[test]
fn fn_form_reports_the_line_and_column_of_each_yield() {
    let mut g = here();
    assert_eq!(
        g.suspended_at(),
        None,
        "a created generator is not at a yield"
    );
    for _ in 0..3 {
        let GeneratorState::Yielded(pos) = g.send(()) else {
            panic!("expected a yield")
        };
        assert_at(g.suspended_at(), pos, YIELD_MACRO_OFFSET);
    }
    assert_eq!(g.send(()), GeneratorState::Complete(()));
    assert_eq!(
        g.suspended_at(),
        None,
        "a finished generator is not at a yield"
    );
}

#[test]
fn coroutine_block_form_reports_the_native_yield() {
    let mut g = coroutine! {
        yield (line!(), column!());
        for _ in 0..2 {
            yield (line!(), column!());
        }
    };
    for _ in 0..3 {
        let GeneratorState::Yielded(pos) = g.send(()) else {
            panic!("expected a yield")
        };
        assert_at(g.suspended_at(), pos, YIELD_KEYWORD_OFFSET);
    }
}

#[test]
fn coroutine_closure_form_reports_the_native_yield() {
    let mut g = coroutine!(|x: u32| {
        let y = yield (line!(), column!() + x);
        yield (line!(), column!() + y);
    });
    let GeneratorState::Yielded(pos) = g.send(0) else {
        panic!()
    };
    assert_at(g.suspended_at(), pos, YIELD_KEYWORD_OFFSET);
    let GeneratorState::Yielded(pos) = g.send(0) else {
        panic!()
    };
    assert_at(g.suspended_at(), pos, YIELD_KEYWORD_OFFSET);
}

#[test]
fn closed_or_panicked_generator_has_no_location() {
    let mut g = here();
    g.send(());
    assert!(g.suspended_at().is_some());
    g.close();
    assert_eq!(g.suspended_at(), None);

    let mut p = coroutine! {
        yield 1;
        panic!("boom");
    };
    p.send(());
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.send(())));
    assert_eq!(p.suspended_at(), None);
}

// Delegation: the innermost yield.

#[generator(yield = (u32, u32))]
fn innermost() {
    yield_!((line!(), column!()));
    yield_!((line!(), column!()));
}

#[generator(yield = (u32, u32))]
fn between() {
    yield_from!(innermost());
    yield_!((line!(), column!()));
}

#[generator(yield = (u32, u32))]
fn outermost() {
    yield_from!(between());
    yield_!((line!(), column!()));
}

#[test]
fn while_delegating_the_location_is_the_innermost_yield() {
    let mut g = outermost();
    let mut seen = 0;
    while let GeneratorState::Yielded(pos) = g.send(()) {
        assert_at(g.suspended_at(), pos, YIELD_MACRO_OFFSET);
        let dbg = format!("{g:?}");
        assert!(
            dbg.contains(&format!(":{}:", pos.0)),
            "Debug lacks line {}: {dbg}",
            pos.0
        );
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn delegating_to_an_iterator_reports_the_yield_from() {
    let mut g = coroutine! {
        let here = (line!(), column!()); yield_from!(resumable::from_iter([0, 1]));
        here
    };
    assert_eq!(g.send(()), GeneratorState::Yielded(0));
    let at = g.suspended_at().expect("suspended while delegating");
    assert_eq!(at.line(), line!() - 5);
    // The location is the `yield_from!`, which starts after the `let` on the same line.
    let yield_from_column = {
        let src = include_str!("spans_preserved.rs");
        let line = src.lines().nth(at.line() as usize - 1).unwrap();
        line.find("yield_from!").unwrap() as u32 + 1
    };
    assert_eq!(at.column(), yield_from_column);
    g.by_ref().count();
    let (line, _) = g.take_return().unwrap();
    assert_eq!(line, at.line());
}

#[test]
fn async_generator_reports_its_yield() {
    let mut s = coroutine!(async {
        std::future::ready(()).await;
        yield (line!(), column!());
    });
    let pos = common::block_on(s.next()).unwrap();
    assert_at(s.suspended_at(), pos, YIELD_KEYWORD_OFFSET);
}
