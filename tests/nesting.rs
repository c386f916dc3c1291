//! Generators that create and drive other generators (not delegation): each value goes to the
//! generator it was meant for, however they are nested or interleaved.

use resumable::prelude::*;

#[generator(yield = i32, resume = i32)]
fn doubler() {
    let mut x = yield_!(0);
    loop {
        x = yield_!(x * 2);
    }
}

#[generator(yield = String, resume = i32)]
fn drives_a_private_generator() -> i32 {
    // The inner generator is resumed by hand; its yields come back here, not to our caller.
    let mut helper = doubler();
    helper.start();
    let mut last = 0;
    loop {
        let x = yield_!(format!("last={last}"));
        if x < 0 {
            return last;
        }
        last = helper.send(x).yielded().expect("the helper never returns");
    }
}

#[test]
fn body_drives_its_own_generator_and_values_never_cross() {
    let mut g = drives_a_private_generator();
    assert_eq!(g.start(), GeneratorState::Yielded("last=0".to_owned()));
    assert_eq!(g.send(5), GeneratorState::Yielded("last=10".to_owned()));
    assert_eq!(g.send(21), GeneratorState::Yielded("last=42".to_owned()));
    assert_eq!(g.send(-1), GeneratorState::Complete(42));
}

#[test]
fn coroutine_inside_coroutine_keeps_its_own_yields() {
    let mut outer = coroutine! {
        let inner = coroutine! {
            yield 10;
            yield 20;
            "inner done"
        };
        let mut inner = inner;
        let mut sum = 0;
        for v in inner.by_ref() {
            sum += v;
            yield v + 1;
        }
        (sum, inner.take_return())
    };
    assert_eq!(outer.by_ref().collect::<Vec<_>>(), [11, 21]);
    assert_eq!(outer.take_return(), Some((30, Some("inner done"))));
}

#[test]
fn closure_coroutine_inside_fn_generator_receives_its_own_sends() {
    #[generator(yield = u32, resume = u32)]
    fn relay() -> u32 {
        let mut inner = coroutine!(|x: u32| {
            let y = yield x * 100;
            x + y
        });
        let a = yield_!(1); // from our caller
        let first = inner.send(a).yielded().unwrap(); // to the inner coroutine
        let b = yield_!(first);
        inner.send(b).complete().unwrap()
    }
    let mut g = relay();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(3), GeneratorState::Yielded(300));
    assert_eq!(g.send(4), GeneratorState::Complete(7));
}

#[test]
fn hand_driven_generator_inside_a_delegated_subgenerator() {
    #[generator(yield = i32, resume = i32)]
    fn middle() -> i32 {
        let mut helper = doubler();
        helper.start();
        let x = yield_!(-1);
        let doubled = helper.send(x).yielded().unwrap();
        let y = yield_!(doubled);
        x + y
    }
    #[generator(yield = i32, resume = i32)]
    fn top() -> i32 {
        let r = yield_from!(middle());
        r * 10
    }
    let mut g = top();
    assert_eq!(g.start(), GeneratorState::Yielded(-1));
    assert_eq!(g.send(4), GeneratorState::Yielded(8));
    assert_eq!(g.send(1), GeneratorState::Complete(50));
}

#[test]
fn interleaved_generators_keep_their_own_state() {
    let mut a = doubler();
    let mut b = doubler();
    a.start();
    b.start();
    assert_eq!(a.send(1), GeneratorState::Yielded(2));
    assert_eq!(b.send(100), GeneratorState::Yielded(200));
    assert_eq!(a.send(3), GeneratorState::Yielded(6));
    assert_eq!(b.send(5), GeneratorState::Yielded(10));
}

#[test]
fn generator_yielding_generators_that_the_caller_drives() {
    #[generator(yield = u32)]
    fn counter(from: u32) {
        for i in from..from + 2 {
            yield_!(i);
        }
    }
    let mut outer = coroutine! {
        yield counter(0);
        yield counter(10);
    };
    let mut first = outer.next().unwrap();
    let mut second = outer.next().unwrap();
    assert_eq!(first.next(), Some(0));
    assert_eq!(second.next(), Some(10));
    assert_eq!(first.next(), Some(1));
    assert_eq!(outer.next().map(|_| ()), None);
    assert_eq!(second.next(), Some(11));
    assert_eq!(second.next(), None);
}

#[test]
fn nested_generator_resumed_from_inside_a_pinned_generator() {
    #[generator(yield = i32, resume = i32, pinned)]
    fn pinned_relay() -> i32 {
        let mut helper = core::pin::pin!(coroutine!(pinned |x: i32| {
            let y = yield x + 1;
            y + 1
        }));
        let a = yield_!(0);
        let b = helper.as_mut().send(a).yielded().unwrap();
        let c = yield_!(b);
        helper.as_mut().send(c).complete().unwrap()
    }
    let mut g = core::pin::pin!(pinned_relay());
    assert_eq!(g.as_mut().start(), GeneratorState::Yielded(0));
    assert_eq!(g.as_mut().send(10), GeneratorState::Yielded(11));
    assert_eq!(g.as_mut().send(20), GeneratorState::Complete(21));
}

/// Passes its tokens through untouched; they do not parse as a list of expressions (as a
/// `select!` arm does not), so the rewrite walks them token by token.
macro_rules! arm {
    (=> $body:block) => {
        $body
    };
}

#[test]
fn a_generator_fn_item_inside_another_macros_arguments_keeps_its_own_yields() {
    #[generator(yield = u64)]
    fn outer() {
        let inner_sum: u8 = arm!(=> {
            #[generator(yield = u8)]
            fn inner() {
                yield_!(1);
                yield_!(2);
            }
            inner().sum()
        });
        yield_!(u64::from(inner_sum));
        yield_!(7);
    }
    assert_eq!(outer().collect::<Vec<_>>(), [3, 7]);
}

#[test]
fn a_coroutine_inside_another_macros_arguments_keeps_its_own_yields() {
    #[generator(yield = u64)]
    fn outer() {
        let strings: Vec<String> = arm!(=> {
            coroutine! {
                yield_!(String::from("a"));
                yield String::from("b");
            }
            .collect()
        });
        yield_!(strings.len() as u64);
    }
    assert_eq!(outer().collect::<Vec<_>>(), [2]);
}

#[test]
fn a_closure_coroutine_inside_tokio_select_keeps_its_own_sends() {
    #[generator(yield = u64)]
    async fn outer() {
        let got = tokio::select! {
            biased;
            got = std::future::ready(coroutine!(|x: u64| {
                let y = yield_!(x + 1);
                y * 10
            })) => {
                let mut inner = got;
                let first = inner.send(1).yielded().unwrap();
                let last = inner.send(5).complete().unwrap();
                first + last
            }
            _ = std::future::pending::<()>() => unreachable!(),
        };
        yield_!(got);
    }
    let mut s = outer();
    let got = futures::executor::block_on(s.next());
    assert_eq!(got, Some(2 + 50));
}
