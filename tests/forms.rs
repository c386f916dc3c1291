//! Every way of writing a generator in DESIGN.md "Writing generators": the attribute on free
//! fns, methods, generic fns and fns with lifetimes; `coroutine!` in its block, closure and async
//! forms; the `pinned` variants.

mod common;

use core::pin::pin;
use std::fmt::Debug;

use resumable::prelude::*;

use common::{block_on, entries, new_log, Noisy};

// ---------------------------------------------------------------------------------------------
// Free functions

#[generator(yield = u64)]
fn fib(limit: u64) -> &'static str {
    let (mut a, mut b) = (0, 1);
    while a < limit {
        yield_!(a);
        (a, b) = (b, a + b);
    }
    "Done"
}

#[test]
fn fn_form_yields_in_order_and_returns_declared_value() {
    let mut g = fib(10);
    assert_eq!(g.send(()), GeneratorState::Yielded(0));
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [1, 2, 3, 5, 8]);
    assert_eq!(g.take_return(), Some("Done"));
}

#[test]
fn calling_a_generator_fn_runs_none_of_its_body() {
    #[generator(yield = u32)]
    fn marks(flag: std::rc::Rc<std::cell::Cell<u32>>) {
        flag.set(flag.get() + 1);
        yield_!(1);
        flag.set(flag.get() + 1);
    }
    let flag = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut g = marks(flag.clone());
    assert_eq!(flag.get(), 0, "creating the generator ran its body");
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    assert_eq!(
        flag.get(),
        1,
        "the first resume runs exactly to the first yield"
    );
    assert_eq!(g.send(()), GeneratorState::Complete(()));
    assert_eq!(flag.get(), 2);
}

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

#[test]
fn resume_type_makes_yield_evaluate_to_the_sent_value() {
    let mut a = averager();
    assert_eq!(a.start(), GeneratorState::Yielded(0.0));
    assert_eq!(a.send(10.0), GeneratorState::Yielded(10.0));
    assert_eq!(a.send(20.0), GeneratorState::Yielded(15.0));
    assert_eq!(a.send(30.0), GeneratorState::Yielded(20.0));
}

#[generator(yield = u32)]
fn early(stop_at: u32) -> &'static str {
    for i in 0.. {
        if i == stop_at {
            return "early";
        }
        yield_!(i);
    }
    unreachable!()
}

#[test]
fn return_statement_completes_the_generator() {
    let mut g = early(2);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [0, 1]);
    assert_eq!(g.take_return(), Some("early"));
}

#[generator(yield = u32)]
fn parse_all(items: Vec<&'static str>) -> Result<usize, String> {
    let mut n = 0;
    for s in items {
        let v: u32 = s.parse().map_err(|_| format!("bad: {s}"))?;
        n += 1;
        yield_!(v);
    }
    Ok(n)
}

#[test]
fn question_mark_in_body_returns_the_error_as_the_return_value() {
    let mut ok = parse_all(vec!["1", "2"]);
    assert_eq!(ok.by_ref().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(ok.take_return(), Some(Ok(2)));

    let mut bad = parse_all(vec!["1", "x", "3"]);
    assert_eq!(bad.send(()), GeneratorState::Yielded(1));
    assert_eq!(
        bad.send(()),
        GeneratorState::Complete(Err("bad: x".to_owned()))
    );
}

#[test]
fn unit_yield_yields_unit() {
    #[generator(yield = ())]
    fn ticks(n: u32) -> u32 {
        for _ in 0..n {
            yield_!();
        }
        n
    }
    let mut g = ticks(3);
    assert_eq!(g.by_ref().count(), 3);
    assert_eq!(g.take_return(), Some(3));
}

#[test]
fn yield_value_may_itself_yield() {
    #[generator(yield = u32, resume = u32)]
    fn twice() -> u32 {
        yield_!(yield_!(1) + 100)
    }
    let mut g = twice();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(5), GeneratorState::Yielded(105));
    assert_eq!(g.send(7), GeneratorState::Complete(7));
}

#[test]
fn yields_inside_macro_arguments_are_rewritten_in_order() {
    #[generator(yield = u32, resume = u32)]
    fn collect_three() -> (Vec<u32>, String) {
        let v = vec![yield_!(1), yield_!(2)];
        let s = format!("<{}>", yield_!(3));
        assert_eq!(v.len(), 2, "assert! with a message is a macro too");
        (v, s)
    }
    let mut g = collect_three();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(10), GeneratorState::Yielded(2));
    assert_eq!(g.send(20), GeneratorState::Yielded(3));
    assert_eq!(
        g.send(30),
        GeneratorState::Complete((vec![10, 20], "<30>".to_owned()))
    );
}

#[test]
fn nested_items_and_non_yielding_closures_are_left_alone() {
    #[generator(yield = u32)]
    fn squares(n: u32) {
        fn square(x: u32) -> u32 {
            x * x
        }
        let keep = |x: &u32| x % 2 == 0;
        for i in (0..n).filter(keep) {
            yield_!(square(i));
        }
    }
    assert_eq!(squares(6).collect::<Vec<_>>(), [0, 4, 16]);
}

#[test]
fn yield_in_match_arms_and_loops_with_break_values() {
    #[generator(yield = &'static str, resume = u8)]
    fn machine() -> u32 {
        let mut steps = 0;
        let last = loop {
            steps += 1;
            match yield_!("waiting") {
                0 => continue,
                1 => {
                    yield_!("one");
                }
                n => break n,
            }
        };
        steps * 100 + u32::from(last)
    }
    let mut g = machine();
    assert_eq!(g.start(), GeneratorState::Yielded("waiting"));
    assert_eq!(g.send(0), GeneratorState::Yielded("waiting"));
    assert_eq!(g.send(1), GeneratorState::Yielded("one"));
    assert_eq!(g.send(99), GeneratorState::Yielded("waiting"));
    assert_eq!(g.send(7), GeneratorState::Complete(307));
}

// ---------------------------------------------------------------------------------------------
// Borrowing a local across a yield

#[generator(yield = u32)]
fn borrow_local() -> usize {
    let v = [1, 2, 3];
    let r = &v;
    let mut n = 0;
    for x in r {
        n += 1;
        yield_!(*x);
    }
    n + r.len()
}

#[test]
fn body_may_borrow_its_own_local_across_yields() {
    let mut g = borrow_local();
    assert_eq!(g.send(()), GeneratorState::Yielded(1));
    // The generator is a handle to a boxed body: moving it keeps the borrow valid.
    let mut moved = [g];
    let g = &mut moved[0];
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [2, 3]);
    assert_eq!(g.take_return(), Some(6));
}

// ---------------------------------------------------------------------------------------------
// Methods

struct Stack {
    items: Vec<String>,
}

impl Stack {
    #[generator(yield = &str)]
    fn iter(&self) -> usize {
        for s in &self.items {
            yield_!(s.as_str());
        }
        self.items.len()
    }

    #[generator(yield = usize)]
    fn push_each(&mut self, new: Vec<&'static str>) {
        for s in new {
            self.items.push(s.to_owned());
            yield_!(self.items.len());
        }
    }

    #[generator(yield = String)]
    fn drain(mut self) -> &'static str {
        while let Some(s) = self.items.pop() {
            yield_!(s);
        }
        "empty"
    }
}

#[test]
fn method_generator_over_shared_self() {
    let s = Stack {
        items: vec!["a".into(), "b".into()],
    };
    let mut g = s.iter();
    let mut g2 = s.iter(); // a shared borrow: two at once
    assert_eq!(g.by_ref().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(g.take_return(), Some(2));
    assert_eq!(g2.next(), Some("a"));
}

#[test]
fn method_generator_over_mut_self_mutates_the_receiver() {
    let mut s = Stack { items: vec![] };
    assert_eq!(s.push_each(vec!["x", "y"]).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(s.items, ["x", "y"]);
}

#[test]
fn method_generator_taking_self_by_value() {
    let s = Stack {
        items: vec!["a".into(), "b".into()],
    };
    let mut g = s.drain();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), ["b", "a"]);
    assert_eq!(g.take_return(), Some("empty"));
}

struct Ring<T> {
    items: Vec<T>,
}

impl<T: Clone> Ring<T> {
    #[generator(yield = T)]
    fn cycle(&self, times: usize) -> usize {
        let mut n = 0;
        for _ in 0..times {
            for x in &self.items {
                n += 1;
                yield_!(x.clone());
            }
        }
        n
    }
}

#[test]
fn method_generator_in_generic_impl_block() {
    let r = Ring {
        items: vec!['a', 'b'],
    };
    let mut g = r.cycle(2);
    assert_eq!(g.by_ref().collect::<String>(), "abab");
    assert_eq!(g.take_return(), Some(4));
}

// ---------------------------------------------------------------------------------------------
// Generics, lifetimes, where clauses, impl Trait

#[generator(yield = T)]
fn twice<T>(x: T) -> usize
where
    T: Clone + Debug,
{
    yield_!(x.clone());
    yield_!(x);
    2
}

#[test]
fn generic_fn_with_where_clause() {
    let mut g = twice(String::from("q"));
    assert_eq!(g.by_ref().collect::<Vec<_>>(), ["q", "q"]);
    assert_eq!(g.take_return(), Some(2));
    assert_eq!(twice(7u8).collect::<Vec<_>>(), [7, 7]);
}

#[generator(yield = [u8; N])]
fn chunks<const N: usize>(data: Vec<u8>) -> usize {
    let mut n = 0;
    for c in data.chunks_exact(N) {
        n += 1;
        yield_!(c.try_into().unwrap());
    }
    n
}

#[test]
fn const_generic_fn() {
    let mut g = chunks::<2>(vec![1, 2, 3, 4, 5]);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [[1, 2], [3, 4]]);
    assert_eq!(g.take_return(), Some(2));
}

#[generator(yield = &'a T)]
fn labelled<'a, 'b, T>(items: &'a [T], label: &'b str) -> &'b str
where
    T: PartialOrd + 'a,
    'b: 'a,
{
    for item in items {
        yield_!(item);
    }
    label
}

#[test]
fn fn_with_lifetimes_and_where_clause() {
    let v = vec![3, 1];
    let label = String::from("end");
    let mut g = labelled(&v, &label);
    assert_eq!(g.by_ref().copied().collect::<Vec<_>>(), [3, 1]);
    assert_eq!(g.take_return(), Some("end"));
}

#[generator(yield = &str)]
fn words(s: &str) -> &str {
    let mut rest = s;
    while let Some((w, tail)) = rest.split_once(' ') {
        yield_!(w);
        rest = tail;
    }
    rest
}

#[test]
fn elided_lifetimes_in_yield_and_return_types() {
    let text = String::from("a bc d");
    let mut g = words(&text);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), ["a", "bc"]);
    assert_eq!(g.take_return(), Some("d"));
}

#[generator(yield = u32)]
fn doubled(xs: impl IntoIterator<Item = u32>) -> impl Debug {
    let mut n = 0;
    for x in xs {
        n += 1;
        yield_!(x * 2);
    }
    format!("{n} items")
}

#[test]
fn impl_trait_in_argument_and_return_position() {
    let mut g = doubled([1, 2, 3]);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [2, 4, 6]);
    assert_eq!(format!("{:?}", g.take_return().unwrap()), "\"3 items\"");
}

// ---------------------------------------------------------------------------------------------
// Attributes, docs and visibility are kept

mod shapes {
    use resumable::prelude::*;

    /// Counts down from `n`. The doc comment and the `pub` survive the rewrite.
    #[must_use]
    #[inline]
    #[allow(clippy::needless_range_loop)]
    #[generator(yield = u32)]
    pub fn countdown(n: u32) -> &'static str {
        for i in (1..=n).rev() {
            yield_!(i);
        }
        "liftoff"
    }

    pub struct Counter(pub u32);

    impl Counter {
        #[inline(always)]
        #[generator(yield = u32)]
        pub fn upto(&self) {
            for i in 0..self.0 {
                yield_!(i);
            }
        }

        #[cfg(any())]
        #[generator(yield = u32)]
        pub fn compiled_out(&self) {
            this_does_not_exist!();
        }
    }

    #[generator(yield = u32)]
    pub(crate) fn crate_visible() {
        yield_!(42);
    }
}

#[test]
fn pub_generator_in_module_is_usable_from_outside_with_attributes_kept() {
    let mut g = shapes::countdown(3);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(g.take_return(), Some("liftoff"));
    assert_eq!(shapes::Counter(2).upto().collect::<Vec<_>>(), [0, 1]);
    assert_eq!(shapes::crate_visible().collect::<Vec<_>>(), [42]);
}

// ---------------------------------------------------------------------------------------------
// coroutine!

#[test]
fn coroutine_block_form_uses_native_yield_and_returns_last_expression() {
    let base = 10;
    let mut g = coroutine! {
        yield base + 1;
        yield base + 2;
        "done"
    };
    assert_eq!(g.send(()), GeneratorState::Yielded(11));
    assert_eq!(g.send(()), GeneratorState::Yielded(12));
    assert_eq!(g.send(()), GeneratorState::Complete("done"));
}

#[test]
fn coroutine_block_form_captures_its_environment_by_move() {
    let log = new_log();
    let guard = Noisy::new("captured", &log);
    let data = vec![1, 2, 3];
    let g = coroutine! {
        let _keep = &guard;
        for x in data {
            yield x * 10;
        }
    };
    // `data` and `guard` were moved into the generator.
    assert!(entries(&log).is_empty());
    assert_eq!(g.collect::<Vec<_>>(), [10, 20, 30]);
    assert_eq!(entries(&log), ["captured"]);
}

#[test]
fn coroutine_closure_form_binds_first_arg_then_yield_evaluates_to_later_args() {
    let mut c = coroutine!(|x: i32| {
        let y = yield x + 1;
        let z = yield y * 10;
        x + y + z
    });
    assert_eq!(c.send(1), GeneratorState::Yielded(2));
    assert_eq!(c.send(5), GeneratorState::Yielded(50));
    assert_eq!(c.send(100), GeneratorState::Complete(106));
}

#[test]
fn coroutine_closure_form_with_return_type_tuple_pattern_and_move() {
    let offset = 1000;
    let mut c = coroutine!(move |(a, b): (i32, i32)| -> i64 {
        let (c, d) = yield a * b;
        i64::from(a + b + c + d + offset)
    });
    assert_eq!(c.send((3, 4)), GeneratorState::Yielded(12));
    assert_eq!(c.send((1, 2)), GeneratorState::Complete(1010));
}

#[test]
fn coroutine_closure_without_argument_has_unit_resume() {
    let mut c = coroutine!(|| {
        yield 'a';
        yield 'b';
        3u8
    });
    assert_eq!(c.by_ref().collect::<String>(), "ab");
    assert_eq!(c.take_return(), Some(3));
}

#[test]
fn coroutine_closure_with_inferred_argument_type() {
    let mut c = coroutine!(|x| {
        let y: u16 = yield x;
        y
    });
    assert_eq!(c.send(7u16), GeneratorState::Yielded(7));
    assert_eq!(c.send(9), GeneratorState::Complete(9));
}

#[test]
fn coroutine_async_block_form_is_a_stream() {
    let words = vec!["a", "b"];
    let mut s = coroutine!(async move {
        for w in words {
            std::future::ready(()).await;
            yield w;
        }
    });
    let got = block_on(async {
        let mut got = vec![];
        while let Some(w) = s.next().await {
            got.push(w);
        }
        got
    });
    assert_eq!(got, ["a", "b"]);
}

// ---------------------------------------------------------------------------------------------
// Pinned forms

#[generator(yield = u32, pinned)]
fn pinned_count(n: u32) -> u32 {
    let v: Vec<u32> = (0..n).collect();
    let r = &v; // a self-borrow, held across yields, in a `!Unpin` body
    for x in r {
        yield_!(*x);
    }
    r.iter().sum()
}

#[test]
fn pinned_fn_form_on_the_stack_with_pin_macro() {
    let mut g = pin!(pinned_count(3));
    assert_eq!(g.state(), State::Created);
    assert_eq!(g.as_mut().send(()), GeneratorState::Yielded(0));
    // Reading where it is, through `&`, between resumes leaves the body's borrow of its own
    // local alone (Miri checks this test under both aliasing models).
    assert_eq!(g.state(), State::Suspended);
    assert!(g.suspended_at().is_some());
    assert_eq!(g.as_mut().send(()), GeneratorState::Yielded(1));
    assert!(!g.is_finished());
    assert_eq!(g.as_mut().send(()), GeneratorState::Yielded(2));
    assert_eq!(g.as_mut().send(()), GeneratorState::Complete(3));
    assert_eq!(g.state(), State::Finished);
}

#[test]
fn pinned_fn_form_boxed_with_box_pin() {
    let mut g = Box::pin(pinned_count(2));
    assert_eq!(g.as_mut().send(()), GeneratorState::Yielded(0));
    let mut moved = g; // the box moves, the generator does not
    assert_eq!(moved.as_mut().send(()), GeneratorState::Yielded(1));
    assert_eq!(moved.as_mut().send(()), GeneratorState::Complete(1));
}

#[test]
fn pinned_resume_generator_with_start_and_try_send() {
    #[generator(yield = i32, resume = i32, pinned)]
    fn adder() -> i32 {
        let a = yield_!(0);
        let b = yield_!(a);
        a + b
    }
    let mut g = pin!(adder());
    assert_eq!(g.as_mut().start(), GeneratorState::Yielded(0));
    assert_eq!(g.as_mut().send(2), GeneratorState::Yielded(2));
    assert_eq!(g.as_mut().try_send(3), Ok(GeneratorState::Complete(5)));
    assert_eq!(g.as_mut().try_send(4), Err(ResumeError::Finished));
}

#[test]
fn pinned_coroutine_block_form() {
    let mut g = pin!(coroutine!(pinned {
        let s = String::from("xy");
        for c in s.chars() {
            yield c;
        }
        s.len()
    }));
    assert_eq!(g.as_mut().send(()), GeneratorState::Yielded('x'));
    assert_eq!(g.as_mut().send(()), GeneratorState::Yielded('y'));
    assert_eq!(g.as_mut().send(()), GeneratorState::Complete(2));
}

#[test]
fn pinned_coroutine_closure_form() {
    let mut g = pin!(coroutine!(pinned |x: u32| {
        let y = yield x * 2;
        x + y
    }));
    assert_eq!(g.as_mut().send(4), GeneratorState::Yielded(8));
    assert_eq!(g.as_mut().send(1), GeneratorState::Complete(5));
}
