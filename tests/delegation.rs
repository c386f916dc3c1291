//! `yield_from!` (PEP 380): yields go out, sends and throws go in, the return value comes back;
//! to generators of this crate, to hand-written `Generator`s, and to iterators via `from_iter`.

use core::pin::Pin;
use std::cell::RefCell;
use std::rc::Rc;

mod common;
use common::catch;

use resumable::prelude::*;

#[derive(Debug, PartialEq, Clone)]
struct Boom(u32);

// ---------------------------------------------------------------------------------------------
// Yields and return values

#[generator(yield = u64)]
fn inner(n: u64) -> u64 {
    for i in 0..n {
        yield_!(i);
    }
    n * 100
}

#[generator(yield = u64)]
fn middle() -> u64 {
    let a = yield_from!(inner(2));
    yield_!(a);
    let b = yield_from!(inner(1));
    a + b
}

#[generator(yield = u64)]
fn outer() -> u64 {
    yield_!(1000);
    let r = yield_from!(middle());
    r + 1
}

#[test]
fn yields_of_two_levels_come_out_in_order_and_returns_flow_back_up() {
    let mut g = outer();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [1000, 0, 1, 200, 0]);
    assert_eq!(g.take_return(), Some(301));
}

#[test]
fn subgenerator_that_returns_without_yielding_continues_the_same_resume() {
    #[generator(yield = u32)]
    fn empty() -> u32 {
        5
    }
    #[generator(yield = u32)]
    fn uses_empty() -> u32 {
        let a = yield_from!(empty());
        yield_!(a);
        let b = yield_from!(empty());
        a + b
    }
    let mut g = uses_empty();
    assert_eq!(g.send(()), GeneratorState::Yielded(5));
    assert_eq!(g.send(()), GeneratorState::Complete(10));
}

// ---------------------------------------------------------------------------------------------
// Send values are forwarded

#[generator(yield = i32, resume = i32)]
fn acc() -> i32 {
    let mut sum = 0;
    loop {
        let x = yield_!(sum);
        if x == 0 {
            return sum;
        }
        sum += x;
    }
}

#[generator(yield = i32, resume = i32)]
fn acc_middle() -> i32 {
    let r = yield_from!(acc());
    let doubled = yield_!(-r) * 2;
    r + doubled
}

#[generator(yield = i32, resume = i32)]
fn acc_outer() -> i32 {
    let r = yield_from!(acc_middle());
    r * 100
}

#[test]
fn sent_values_are_forwarded_through_two_levels() {
    let mut g = acc_outer();
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(3), GeneratorState::Yielded(3));
    assert_eq!(g.send(4), GeneratorState::Yielded(7));
    assert_eq!(
        g.send(0),
        GeneratorState::Yielded(-7),
        "the middle level yields after the inner returned"
    );
    assert_eq!(g.send(5), GeneratorState::Complete((7 + 10) * 100));
}

// ---------------------------------------------------------------------------------------------
// Throws are forwarded

#[generator(yield = u32, resume = u32, throw = Boom)]
fn catcher() -> Result<u32, Boom> {
    let mut n = 0;
    loop {
        match yield_!(n) {
            Ok(x) => n += x,
            Err(Boom(0)) => return Ok(n),
            Err(Boom(code)) => n += code * 1000, // caught: keep going
        }
    }
}

#[generator(yield = u32, resume = u32, throw = Boom)]
fn catcher_middle() -> Result<u32, Boom> {
    let r = yield_from!(catcher())?;
    Ok(r + 1)
}

#[generator(yield = u32, resume = u32, throw = Boom)]
fn catcher_top() -> Result<u32, Boom> {
    let r = yield_from!(catcher_middle())?;
    Ok(r + 10)
}

#[test]
fn throw_is_forwarded_through_two_levels_and_caught_at_the_bottom() {
    let mut g = catcher_top();
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(Ok(2)), GeneratorState::Yielded(2));
    assert_eq!(
        g.throw(Boom(3)),
        GeneratorState::Yielded(3002),
        "the bottom caught it and continued"
    );
    assert_eq!(g.send(Ok(1)), GeneratorState::Yielded(3003));
    assert_eq!(
        g.throw(Boom(0)),
        GeneratorState::Complete(Ok(3003 + 1 + 10))
    );
}

#[test]
fn uncaught_throw_propagates_up_through_two_levels() {
    #[generator(yield = u32, throw = Boom)]
    fn bottom() -> Result<(), Boom> {
        loop {
            yield_!(1)?;
        }
    }
    #[generator(yield = u32, throw = Boom)]
    fn mid() -> Result<&'static str, Boom> {
        yield_from!(bottom())?;
        Ok("mid returned")
    }
    #[generator(yield = u32, throw = Boom)]
    fn top() -> Result<&'static str, Boom> {
        match yield_from!(mid()) {
            Ok(s) => Ok(s),
            Err(Boom(n)) => {
                let _ = yield_!(n); // the top level sees the error as `mid`'s return value
                Err(Boom(n + 1))
            }
        }
    }
    let mut g = top();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(Ok(())), GeneratorState::Yielded(1));
    assert_eq!(g.throw(Boom(7)), GeneratorState::Yielded(7));
    assert_eq!(g.send(Ok(())), GeneratorState::Complete(Err(Boom(8))));
}

// ---------------------------------------------------------------------------------------------
// Priming: a subgenerator that has not started is started without a value (as Python's `yield
// from` starts it with `next()`); one that needs a value is given it as the second argument

/// A resume type without `Default`: nothing has to be made up to start the subgenerator.
#[test]
fn a_subgenerator_is_started_without_a_value() {
    #[derive(Debug, PartialEq)]
    enum Tok {
        Word(&'static str),
    }
    #[generator(yield = &'static str, resume = Tok)]
    fn words() -> usize {
        let mut n = 0;
        loop {
            match yield_!("next?") {
                Tok::Word("end") => return n,
                Tok::Word(_) => n += 1,
            }
        }
    }
    #[generator(yield = &'static str, resume = Tok)]
    fn sentence() -> usize {
        let n = yield_from!(words());
        n + yield_from!(words())
    }
    let mut g = sentence();
    assert_eq!(g.start(), GeneratorState::Yielded("next?"));
    assert_eq!(g.send(Tok::Word("a")), GeneratorState::Yielded("next?"));
    assert_eq!(g.send(Tok::Word("end")), GeneratorState::Yielded("next?"));
    assert_eq!(g.send(Tok::Word("b")), GeneratorState::Yielded("next?"));
    assert_eq!(g.send(Tok::Word("end")), GeneratorState::Complete(2));
}

/// A closure-form subgenerator binds its first resume argument: `yield_from!` without one is
/// refused with a message that says what to write.
#[test]
fn a_closure_subgenerator_needs_its_first_value() {
    #[generator(yield = i32, resume = i32)]
    fn primes() -> i32 {
        yield_from!(coroutine!(|first: i32| {
            let next = yield first + 1;
            first + next
        }))
    }
    let mut g = primes();
    let msg = catch(|| g.start()).unwrap_err();
    assert!(msg.contains("yield_from!(sub, first)"), "{msg}");
    assert_eq!(g.state(), State::Poisoned);
}

/// A fn-form subgenerator that has not started would never see a value given to start it:
/// refused, not dropped.
#[test]
fn a_value_given_to_start_a_fn_subgenerator_is_refused() {
    #[generator(yield = i32, resume = i32)]
    fn sub() -> i32 {
        yield_!(1)
    }
    #[generator(yield = i32, resume = i32)]
    fn outer() -> i32 {
        yield_from!(sub(), 5)
    }
    let msg = catch(|| outer().start()).unwrap_err();
    assert!(msg.contains("write `yield_from!(sub)`"), "{msg}");
}

/// A subgenerator that has started waits at a yield for a value: without one, refused.
#[test]
fn a_started_subgenerator_needs_a_value_to_resume_it() {
    let mut sub = acc();
    sub.start();
    {
        let sub = &mut sub;
        let mut g = coroutine!(|_unused: i32| {
            let r = yield_from!(sub);
            r * 2
        });
        let msg = catch(|| g.send(0)).unwrap_err();
        assert!(msg.contains("already started"), "{msg}");
    }
}

#[test]
fn subgenerator_is_primed_with_the_second_argument() {
    #[generator(yield = i32, resume = i32)]
    fn primes_with(v: i32) -> i32 {
        yield_from!(
            coroutine!(|first: i32| {
                let next = yield first * 2;
                first + next
            }),
            v
        )
    }
    let mut g = primes_with(21);
    assert_eq!(g.start(), GeneratorState::Yielded(42));
    assert_eq!(g.send(1), GeneratorState::Complete(22));
}

#[test]
fn throw_generator_primes_a_closure_subgenerator_with_the_second_argument() {
    #[generator(yield = String, resume = i32, throw = Boom)]
    fn show_first() -> Result<(), Boom> {
        yield_from!(
            coroutine!(|first: Result<i32, Boom>| -> Result<(), Boom> {
                let _ = yield format!("{first:?}");
                Ok(())
            }),
            Ok(3)
        )
    }
    let mut g = show_first();
    assert_eq!(g.start(), GeneratorState::Yielded("Ok(3)".to_owned()));
}

#[test]
fn priming_a_started_borrowed_subgenerator_delivers_first_to_its_yield() {
    let mut sub = acc();
    assert_eq!(sub.start(), GeneratorState::Yielded(0));
    assert_eq!(sub.send(10), GeneratorState::Yielded(10));
    {
        let sub = &mut sub;
        let mut g = coroutine!(|_unused: i32| {
            let r = yield_from!(sub, 5);
            r * 2
        });
        assert_eq!(
            g.send(0),
            GeneratorState::Yielded(15),
            "the priming value went to the pending yield"
        );
        assert_eq!(g.send(1), GeneratorState::Yielded(16));
        assert_eq!(g.send(0), GeneratorState::Complete(32));
    }
    assert_eq!(sub.state(), State::Finished);
}

#[test]
fn borrowed_subgenerator_can_be_resumed_directly_after_delegation_returns() {
    let mut sub = coroutine! {
        yield 1;
        yield 2;
        yield 3;
        "sub done"
    };
    let mut g = coroutine! {
        let a = yield_from!(coroutine! { yield 10; "first" });
        if let GeneratorState::Yielded(v) = sub.send(()) {
            yield v * 100; // driven by hand, not delegated
        }
        let b = yield_from!(&mut sub);
        (a, b)
    };
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [10, 100, 2, 3]);
    assert_eq!(g.take_return(), Some(("first", "sub done")));
}

// ---------------------------------------------------------------------------------------------
// Hand-written `Generator` (the re-yield loop path)

/// Yields `n-1, .., 0`, records every resume argument, returns them.
struct Countdown {
    n: u32,
    received: Vec<u32>,
}

impl Generator<u32> for Countdown {
    type Yield = u32;
    type Return = Vec<u32>;

    fn resume(mut self: Pin<&mut Self>, arg: u32) -> GeneratorState<u32, Vec<u32>> {
        self.received.push(arg);
        if self.n == 0 {
            GeneratorState::Complete(std::mem::take(&mut self.received))
        } else {
            self.n -= 1;
            GeneratorState::Yielded(self.n)
        }
    }
}

#[test]
fn delegates_to_a_hand_written_generator_forwarding_sends_and_returning_its_value() {
    #[generator(yield = u32, resume = u32)]
    fn over_hand() -> Vec<u32> {
        let mut got = yield_from!(
            Countdown {
                n: 2,
                received: vec![]
            },
            7
        );
        got.push(yield_!(500));
        got
    }
    let mut g = over_hand();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(8), GeneratorState::Yielded(0));
    assert_eq!(g.send(9), GeneratorState::Yielded(500));
    assert_eq!(g.send(10), GeneratorState::Complete(vec![7, 8, 9, 10]));
}

/// A generator that is not one of this crate's cannot be started without a value.
#[test]
fn a_hand_written_generator_needs_its_first_value() {
    let mut g = coroutine!(|_x: u32| yield_from!(Countdown {
        n: 1,
        received: vec![]
    }));
    let msg = catch(|| g.send(55)).unwrap_err();
    assert!(msg.contains("yield_from!(sub, first)"), "{msg}");
}

/// A hand-written throw generator: counts the errors thrown into it, returns on `Boom(0)`.
struct ErrorCounter(u32);

impl Generator<Result<(), Boom>> for ErrorCounter {
    type Yield = u32;
    type Return = Result<u32, Boom>;

    fn resume(
        mut self: Pin<&mut Self>,
        arg: Result<(), Boom>,
    ) -> GeneratorState<u32, Result<u32, Boom>> {
        match arg {
            Ok(()) => GeneratorState::Yielded(self.0),
            Err(Boom(0)) => GeneratorState::Complete(Ok(self.0)),
            Err(Boom(99)) => GeneratorState::Complete(Err(Boom(99))),
            Err(_) => {
                self.0 += 1;
                GeneratorState::Yielded(self.0)
            }
        }
    }
}

#[test]
fn throw_is_forwarded_to_a_hand_written_generator_through_two_levels() {
    #[generator(yield = u32, throw = Boom)]
    fn mid() -> Result<u32, Boom> {
        let r = yield_from!(ErrorCounter(0))?;
        Ok(r * 10)
    }
    #[generator(yield = u32, throw = Boom)]
    fn top() -> Result<u32, Boom> {
        let r = yield_from!(mid())?;
        Ok(r + 1)
    }
    let mut g = top();
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.throw(Boom(4)), GeneratorState::Yielded(1));
    assert_eq!(g.throw(Boom(4)), GeneratorState::Yielded(2));
    assert_eq!(g.send(Ok(())), GeneratorState::Yielded(2));
    assert_eq!(g.throw(Boom(0)), GeneratorState::Complete(Ok(21)));

    let mut g = top();
    g.start();
    assert_eq!(g.throw(Boom(99)), GeneratorState::Complete(Err(Boom(99))));
}

#[test]
fn delegates_through_a_generic_mut_reference_with_the_loop() {
    #[generator(yield = i32, resume = i32)]
    fn via_generic<G>(sub: &mut G) -> i32
    where
        G: Generator<i32, Yield = i32, Return = i32> + Unpin,
    {
        let r = yield_from!(sub);
        r + 1
    }
    let mut sub = acc();
    let mut g = via_generic(&mut sub);
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(4), GeneratorState::Yielded(4));
    assert_eq!(g.send(0), GeneratorState::Complete(5));
    drop(g);
    assert_eq!(sub.state(), State::Finished);
}

// ---------------------------------------------------------------------------------------------
// from_iter

#[test]
fn delegates_to_any_iterator_with_from_iter() {
    #[generator(yield = u64)]
    fn mixed() -> &'static str {
        yield_from!(resumable::from_iter(vec![7u64, 8]));
        yield_!(9);
        let unit: () = yield_from!(resumable::from_iter(1..=2));
        let () = unit;
        yield_from!(resumable::from_iter(std::iter::empty()));
        "end"
    }
    let mut g = mixed();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [7, 8, 9, 1, 2]);
    assert_eq!(g.take_return(), Some("end"));
}

#[test]
fn from_iter_is_a_generator_that_completes_again_after_exhaustion() {
    let mut g = resumable::from_iter("ab".chars());
    let mut g = Pin::new(&mut g);
    assert_eq!(g.as_mut().resume(()), GeneratorState::Yielded('a'));
    assert_eq!(g.as_mut().resume(()), GeneratorState::Yielded('b'));
    assert_eq!(g.as_mut().resume(()), GeneratorState::Complete(()));
    assert_eq!(g.as_mut().resume(()), GeneratorState::Complete(()));
    assert_eq!(
        resumable::from_iter([1, 2])
            .map(|x| x * 2)
            .collect::<Vec<_>>(),
        [2, 4]
    );
}

#[test]
fn coroutine_block_form_delegates_with_yield_from() {
    let g = coroutine! {
        yield 1;
        yield_from!(resumable::from_iter([2, 3]));
        let r = yield_from!(coroutine! { yield 4; 5 });
        yield r;
    };
    assert_eq!(g.collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
}

// ---------------------------------------------------------------------------------------------
// Pinned subgenerators

#[generator(yield = u32, pinned)]
fn pinned_inner(n: u32) -> u32 {
    for i in 0..n {
        yield_!(i);
    }
    n
}

#[test]
fn pinned_generator_delegates_to_a_pinned_subgenerator_on_its_own_stack() {
    #[generator(yield = u32, pinned)]
    fn pinned_outer() -> u32 {
        let sub = core::pin::pin!(pinned_inner(2));
        let a = yield_from!(sub);
        let b = yield_from!(Box::pin(pinned_inner(1)));
        a + b
    }
    let mut g = core::pin::pin!(pinned_outer());
    let mut got = vec![];
    let ret = loop {
        match g.as_mut().send(()) {
            GeneratorState::Yielded(v) => got.push(v),
            GeneratorState::Complete(r) => break r,
        }
    };
    assert_eq!(got, [0, 1, 0]);
    assert_eq!(ret, 3);
}

#[test]
fn boxed_generator_delegates_to_a_pinned_subgenerator() {
    let g = coroutine! {
        let sub = core::pin::pin!(pinned_inner(3));
        yield_from!(sub)
    };
    assert_eq!(g.collect::<Vec<_>>(), [0, 1, 2]);
}

// ---------------------------------------------------------------------------------------------
// Recursion

struct Tree {
    value: u32,
    children: Vec<Tree>,
}

type BoxedWalk<'a> = Box<dyn Generator<(), Yield = u32, Return = usize> + Unpin + 'a>;

fn walk(t: &Tree) -> BoxedWalk<'_> {
    Box::new(coroutine! {
        yield t.value;
        let mut count = 1;
        for c in &t.children {
            count += yield_from!(walk(c));
        }
        count
    })
}

#[test]
fn recursive_delegation_through_boxed_dyn_generators() {
    let t = Tree {
        value: 1,
        children: vec![
            Tree {
                value: 2,
                children: vec![Tree {
                    value: 3,
                    children: vec![],
                }],
            },
            Tree {
                value: 4,
                children: vec![],
            },
        ],
    };
    let mut g = walk(&t);
    let mut got = vec![];
    let count = loop {
        match Pin::new(&mut g).resume(()) {
            GeneratorState::Yielded(v) => got.push(v),
            GeneratorState::Complete(n) => break n,
        }
    };
    assert_eq!(got, [1, 2, 3, 4]);
    assert_eq!(count, 4);
}

// ---------------------------------------------------------------------------------------------
// A throw generator delegating to a generator resumed with plain values

#[derive(Debug, PartialEq)]
struct Stop;

#[generator(yield = u32, resume = u32)]
fn doubles(log: Rc<RefCell<Vec<&'static str>>>) -> u32 {
    let _guard = Logged("doubles closed", log);
    let mut x = yield_!(0);
    loop {
        if x == 0 {
            return 99;
        }
        x = yield_!(x * 2);
    }
}

struct Logged(&'static str, Rc<RefCell<Vec<&'static str>>>);

impl Drop for Logged {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

#[generator(yield = u32, resume = u32, throw = Stop)]
fn careful(log: Rc<RefCell<Vec<&'static str>>>) -> Result<u32, Stop> {
    let r = yield_from!(doubles(log.clone()))?;
    log.borrow_mut().push("careful went on");
    Ok(r + 1)
}

/// Sends reach the plain subgenerator; its return value comes out as `Ok`.
#[test]
fn a_throw_generator_delegates_to_a_plain_generator() {
    let log = Rc::default();
    let mut g = careful(Rc::clone(&log));
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(Ok(4)), GeneratorState::Yielded(8));
    assert_eq!(g.send(Ok(0)), GeneratorState::Complete(Ok(100)));
    assert_eq!(*log.borrow(), ["doubles closed", "careful went on"]);
}

/// A throw cannot reach the plain subgenerator: it is closed, and the error comes out of the
/// `yield_from!` in the delegating generator (PEP 380, for a subiterator without `throw()`).
#[test]
fn a_throw_closes_the_plain_subgenerator_and_raises_at_yield_from() {
    let log = Rc::default();
    let mut g = careful(Rc::clone(&log));
    g.start();
    assert_eq!(g.send(Ok(4)), GeneratorState::Yielded(8));
    assert_eq!(g.throw(Stop), GeneratorState::Complete(Err(Stop)));
    assert_eq!(*log.borrow(), ["doubles closed"]);
}

/// The same with a generator that is not one of this crate's, and an iterator.
#[test]
fn a_throw_generator_delegates_to_a_hand_written_generator_and_an_iterator() {
    #[generator(yield = u32, resume = u32, throw = Stop)]
    fn over_hand() -> Result<Vec<u32>, Stop> {
        let got = yield_from!(
            Countdown {
                n: 2,
                received: vec![]
            },
            Ok(7)
        )?;
        Ok(got)
    }
    let mut g = over_hand();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(Ok(8)), GeneratorState::Yielded(0));
    assert_eq!(g.send(Ok(9)), GeneratorState::Complete(Ok(vec![7, 8, 9])));
    let mut h = over_hand();
    h.start();
    assert_eq!(h.throw(Stop), GeneratorState::Complete(Err(Stop)));

    #[generator(yield = char, throw = Stop)]
    fn spell() -> Result<(), Stop> {
        yield_from!(resumable::from_iter("ab".chars()))?;
        yield_!('!')?;
        Ok(())
    }
    let mut s = spell();
    assert_eq!(s.start(), GeneratorState::Yielded('a'));
    assert_eq!(s.send(Ok(())), GeneratorState::Yielded('b'));
    assert_eq!(s.send(Ok(())), GeneratorState::Yielded('!'));
    let mut t = spell();
    t.start();
    assert_eq!(t.throw(Stop), GeneratorState::Complete(Err(Stop)));
}

// ---------------------------------------------------------------------------------------------
// A pinned generator delegated to by value: kept in place in the delegation, no allocation.

#[generator(yield = u32, resume = u32, throw = &'static str, pinned)]
fn pinned_acc(log: Rc<RefCell<Vec<&'static str>>>) -> Result<u32, &'static str> {
    let _guard = common::Noisy::new("pinned_acc", &log);
    let mut sum = 0;
    loop {
        match yield_!(sum) {
            Ok(0) => return Ok(sum),
            Ok(n) => sum += n,
            Err(e) => return Err(e),
        }
    }
}

#[generator(yield = u32, resume = u32, throw = &'static str, pinned)]
fn by_value(log: Rc<RefCell<Vec<&'static str>>>) -> Result<u32, &'static str> {
    // No `pin!`, no box: the subgenerator lives in this generator's own state.
    let total = yield_from!(pinned_acc(log))?;
    Ok(total * 10)
}

#[test]
fn a_pinned_generator_is_delegated_to_by_value_with_sends_and_returns() {
    let log = Rc::default();
    let mut g = core::pin::pin!(by_value(Rc::clone(&log)));
    assert_eq!(g.as_mut().start(), GeneratorState::Yielded(0));
    assert_eq!(g.as_mut().send(Ok(2)), GeneratorState::Yielded(2));
    assert_eq!(g.as_mut().send(Ok(3)), GeneratorState::Yielded(5));
    assert!(g.suspended_at().is_some());
    assert_eq!(g.as_mut().send(Ok(0)), GeneratorState::Complete(Ok(50)));
    assert_eq!(*log.borrow(), ["pinned_acc"]);
}

#[test]
fn a_pinned_generator_delegated_to_by_value_takes_throws_and_is_closed_with_its_delegator() {
    let log = Rc::default();
    let mut g = core::pin::pin!(by_value(Rc::clone(&log)));
    g.as_mut().start();
    assert_eq!(
        g.as_mut().throw("stop"),
        GeneratorState::Complete(Err("stop"))
    );
    assert_eq!(*log.borrow(), ["pinned_acc"]);

    let log = Rc::default();
    let mut g = Box::pin(by_value(Rc::clone(&log)));
    g.as_mut().start();
    g.as_mut().send(Ok(4));
    let mut moved = g; // the box moves; the subgenerator inside it does not
    assert_eq!(moved.as_mut().send(Ok(1)), GeneratorState::Yielded(5));
    moved.as_mut().close();
    assert_eq!(*log.borrow(), ["pinned_acc"]);
    assert_eq!(moved.state(), State::Finished);
}

#[test]
fn a_pinned_generator_delegated_to_by_value_is_inside_its_delegator() {
    // The subgenerator is part of the delegating generator's state: no box behind it.
    let log: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let sub = core::mem::size_of_val(&pinned_acc(Rc::clone(&log)));
    let outer = core::mem::size_of_val(&by_value(log));
    assert!(
        outer > sub,
        "{outer} bytes around a {sub}-byte subgenerator"
    );
}

#[generator(yield = u32)]
fn boxed_around_pinned() -> u32 {
    #[generator(yield = u32, pinned)]
    fn two() -> u32 {
        yield_!(1);
        yield_!(2);
        3
    }
    let a = yield_from!(two());
    let b = yield_from!(two());
    a + b
}

#[test]
fn a_boxed_generator_delegates_to_pinned_ones_by_value_one_after_the_other() {
    let mut g = boxed_around_pinned();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [1, 2, 1, 2]);
    assert_eq!(g.take_return(), Some(6));
}

// ---------------------------------------------------------------------------------------------
// A boxed generator of this crate is delegated to like the generator in the box.

#[generator(yield = u64)]
fn through_boxes() -> u64 {
    let a = yield_from!(Box::new(inner(2)));
    let b = yield_from!(Box::new(middle()));
    let c = yield_from!(Box::new(inner(1).boxed()));
    a + b + c
}

#[test]
fn boxed_generators_of_this_crate_share_the_exchange() {
    let mut g = through_boxes();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [0, 1, 0, 1, 200, 0, 0]);
    assert_eq!(g.take_return(), Some(200 + 300 + 100));
    // Stepped through the delegation chain, not re-yielded: the innermost yield is reported,
    // below the `yield_from!` the generator waits at.
    let mut g = through_boxes();
    g.next();
    let (yielded, delegating) = (g.suspended_at().unwrap(), g.delegating_at().unwrap());
    assert_ne!(yielded.line(), delegating.line());
}
