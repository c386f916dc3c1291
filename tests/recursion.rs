//! Recursive generators: `yield_from!` at every level of a deep chain, values yielded at every
//! level. A resume steps one body of the chain at a time (the innermost delegation directly, a
//! return one level up, a new `yield_from!` one level down), so each value costs the same at
//! any depth and the stack does not grow with the chain, in a debug build too.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

mod common;
use common::{block_on, catch};

use resumable::prelude::*;
use resumable::LocalBoxGen;

/// A binary tree shaped as a spine: each node has the rest of the spine on its left and a leaf
/// on its right, so an in-order walk goes `depth` levels down, then yields at every level on
/// the way back up.
struct Node {
    value: u64,
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
}

impl Node {
    fn leaf(value: u64) -> Box<Node> {
        Box::new(Node {
            value,
            left: None,
            right: None,
        })
    }

    /// A spine `depth` nodes deep (`2 * depth - 1` nodes, in-order values `0, 1, 2, ..`).
    fn spine(depth: u64) -> Box<Node> {
        let mut t = Node::leaf(0);
        for k in 1..depth {
            t = Box::new(Node {
                value: 2 * k - 1,
                left: Some(t),
                right: Some(Node::leaf(2 * k)),
            });
        }
        t
    }
}

/// Dropping a deep tree recursively would take a stack frame per level.
impl Drop for Node {
    fn drop(&mut self) {
        let mut next = self.left.take();
        while let Some(mut node) = next {
            next = node.left.take();
        }
    }
}

/// In-order: the left subtree, the node, the right subtree; returns the number of nodes.
fn walk(t: &Node) -> LocalBoxGen<'_, u64, (), u64> {
    coroutine! {
        let mut n = 1;
        if let Some(left) = &t.left {
            n += yield_from!(walk(left));
        }
        yield t.value;
        if let Some(right) = &t.right {
            n += yield_from!(walk(right));
        }
        n
    }
    .boxed_local()
}

/// A depth that takes a debug build's test thread (2 MiB of stack) far past where a stack
/// frame per level would overflow it; small under Miri, which is slow.
const DEEP: u64 = if cfg!(miri) { 40 } else { 20_000 };

#[test]
fn a_recursive_walk_deeper_than_the_stack_would_allow_yields_every_level_in_order() {
    let tree = Node::spine(DEEP);
    let mut g = walk(&tree);
    let mut expected = 0;
    for v in g.by_ref() {
        assert_eq!(v, expected);
        expected += 1;
    }
    assert_eq!(expected, 2 * DEEP - 1);
    assert_eq!(g.take_return(), Some(2 * DEEP - 1));
}

#[test]
fn a_recursive_walk_dropped_half_way_closes_its_levels() {
    let tree = Node::spine(if cfg!(miri) { 20 } else { 500 });
    let mut g = walk(&tree);
    // Down to the bottom, and back up a few levels.
    assert_eq!(
        g.by_ref().take(10).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    g.close();
    assert!(g.is_finished());
    assert_eq!(g.next(), None);
}

// ---------------------------------------------------------------------------------------------
// Cost: how many times the bodies of a walk are polled

/// A body that counts its polls in `polls`.
struct Counted<F> {
    polls: Rc<Cell<u64>>,
    body: F,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `body` is structurally pinned: never moved out, and `Counted` has no `Drop`.
        let this = unsafe { self.get_unchecked_mut() };
        this.polls.set(this.polls.get() + 1);
        // SAFETY: as above.
        unsafe { Pin::new_unchecked(&mut this.body) }.poll(cx)
    }
}

/// `walk`, with bodies written by hand from the expansion's pieces so that their polls can be
/// counted: what `coroutine!` and `yield_from!` write, `direct` included.
fn counted_walk<'a>(t: &'a Node, polls: &Rc<Cell<u64>>) -> LocalBoxGen<'a, u64, (), u64> {
    use resumable::__private::{Co, SharedTag};
    let polls = Rc::clone(polls);
    resumable::Gen::new(move |mut co: Co<u64, ()>, _: Option<()>| Counted {
        polls: Rc::clone(&polls),
        body: async move {
            let mut n = 1;
            if let Some(left) = &t.left {
                let sub = counted_walk(left, &polls);
                n += SharedTag.delegate(&mut co, sub, Some(()), true).await;
            }
            co.yield_(t.value).await;
            if let Some(right) = &t.right {
                let sub = counted_walk(right, &polls);
                n += SharedTag.delegate(&mut co, sub, Some(()), true).await;
            }
            n
        },
    })
    .boxed_local()
}

/// Each node's body is polled a constant number of times, however deep it lies: a value
/// yielded by a level after its child returned does not poll the levels above it again.
#[test]
fn each_level_of_a_walk_is_polled_a_constant_number_of_times() {
    let depth = if cfg!(miri) { 30 } else { 400 };
    let tree = Node::spine(depth);
    let polls = Rc::new(Cell::new(0));
    let mut g = counted_walk(&tree, &polls);
    assert_eq!(g.by_ref().count() as u64, 2 * depth - 1);
    assert_eq!(g.take_return(), Some(2 * depth - 1));
    // Each body: its start, its resume after its yield, after each child returns (a leaf two,
    // a node of the spine four).
    let nodes = 2 * depth - 1;
    assert!(
        polls.get() <= 3 * nodes,
        "{} polls for {nodes} nodes {depth} deep",
        polls.get()
    );
}

// ---------------------------------------------------------------------------------------------
// Where a deep chain is suspended

#[generator(yield = u32)]
fn innermost() {
    yield_!(line!());
}

#[generator(yield = u32)]
fn middle() {
    yield_!(line!());
    yield_from!(innermost());
    yield_!(line!());
}

/// The line of `outermost`'s `yield_from!`.
const DELEGATES_AT: u32 = line!() + 4;

#[generator(yield = u32)]
fn outermost() {
    yield_from!(middle());
    yield_!(line!());
}

/// `suspended_at` names the innermost yield, `delegating_at` the `yield_from!` of the
/// outermost body, however the chain moved to get there: `middle` entered `innermost` in a
/// step of the chain, and came back from it in another.
#[test]
fn a_chain_reports_its_innermost_yield_and_outermost_delegation_as_it_moves() {
    let mut g = outermost();
    let mut delegating = vec![];
    while let GeneratorState::Yielded(line) = g.send(()) {
        assert_eq!(g.suspended_at().map(|at| at.line()), Some(line));
        delegating.push(g.delegating_at().map(|at| at.line()));
    }
    let d = Some(DELEGATES_AT);
    assert_eq!(delegating, [d, d, d, None]);
}

// ---------------------------------------------------------------------------------------------
// Throws, panics and closes at depth

#[derive(Debug, PartialEq)]
struct Stop(u32);

/// Goes `depth` levels down, yields there until thrown into; each level adds one to the error
/// on its way out.
#[generator(yield = u32, throw = Stop)]
fn descend(depth: u32, log: Rc<RefCell<Vec<u32>>>) -> Result<u32, Stop> {
    let _level = Logged(depth, Rc::clone(&log));
    if depth == 0 {
        loop {
            yield_!(0)?;
        }
    }
    match yield_from!(descend(depth - 1, log).boxed_local()) {
        Ok(n) => Ok(n),
        Err(Stop(n)) => Err(Stop(n + 1)),
    }
}

struct Logged(u32, Rc<RefCell<Vec<u32>>>);

impl Drop for Logged {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

#[test]
fn an_error_thrown_into_a_deep_chain_comes_out_of_every_level() {
    let depth = if cfg!(miri) { 20 } else { 5_000 };
    let log = Rc::default();
    let mut g = descend(depth, Rc::clone(&log));
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert_eq!(g.send(Ok(())), GeneratorState::Yielded(0));
    assert_eq!(g.throw(Stop(0)), GeneratorState::Complete(Err(Stop(depth))));
    // Innermost first, as each level returned.
    assert_eq!(*log.borrow(), (0..=depth).collect::<Vec<_>>());
}

#[test]
fn closing_a_chain_closes_its_levels_innermost_first() {
    let log = Rc::default();
    let mut g = descend(30, Rc::clone(&log));
    g.start();
    g.close();
    assert_eq!(*log.borrow(), (0..=30).collect::<Vec<_>>());
}

/// Closing or dropping a chain far deeper than a stack frame per level would allow: the
/// levels are closed innermost first, one at a time.
#[test]
fn a_chain_deeper_than_the_stack_would_allow_closes_and_drops_innermost_first() {
    let depth = if cfg!(miri) { 20 } else { DEEP as u32 };
    let log = Rc::default();
    let mut g = descend(depth, Rc::clone(&log));
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    g.close();
    assert_eq!(*log.borrow(), (0..=depth).collect::<Vec<_>>());
    assert!(g.is_finished());

    let log = Rc::default();
    let mut g = descend(depth, Rc::clone(&log));
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    drop(g);
    assert_eq!(*log.borrow(), (0..=depth).collect::<Vec<_>>());
}

/// The same walk with each subtree's generator boxed once more (`Box::new`): delegated to like
/// the generator in the box, one level at a time.
fn walk_boxed(t: &Node) -> LocalBoxGen<'_, u64, (), u64> {
    coroutine! {
        let mut n = 1;
        if let Some(left) = &t.left {
            n += yield_from!(Box::new(walk_boxed(left)));
        }
        yield t.value;
        if let Some(right) = &t.right {
            n += yield_from!(Box::new(walk_boxed(right)));
        }
        n
    }
    .boxed_local()
}

#[test]
fn a_recursive_walk_through_boxed_generators_is_as_deep_as_one_without() {
    let tree = Node::spine(DEEP);
    let mut g = walk_boxed(&tree);
    let mut expected = 0;
    for v in g.by_ref() {
        assert_eq!(v, expected);
        expected += 1;
    }
    assert_eq!(expected, 2 * DEEP - 1);
    assert_eq!(g.take_return(), Some(2 * DEEP - 1));
}

/// A walk dropped at the bottom of a deep tree, and half-way back up.
#[test]
fn a_deep_walk_dropped_half_way_takes_no_stack_per_level() {
    let tree = Node::spine(DEEP);
    let mut g = walk(&tree);
    assert_eq!(g.next(), Some(0));
    drop(g);
    let mut g = walk(&tree);
    let half = usize::try_from(DEEP).unwrap();
    assert_eq!(g.by_ref().take(half).count(), half);
    drop(g);
}

#[generator(yield = u32)]
fn panics_at(depth: u32, log: Rc<RefCell<Vec<u32>>>) {
    let _level = Logged(depth, Rc::clone(&log));
    yield_!(depth);
    if depth == 0 {
        panic!("at the bottom");
    }
    yield_from!(panics_at(depth - 1, log).boxed_local());
}

#[test]
fn a_panic_at_the_bottom_of_a_chain_poisons_it_and_drops_every_level() {
    let log = Rc::default();
    let mut g = panics_at(10, Rc::clone(&log));
    let values: Vec<u32> = (0..11).map(|_| g.next().unwrap()).collect();
    assert_eq!(values, (0..=10).rev().collect::<Vec<_>>());
    let err = catch(|| g.next()).unwrap_err();
    assert_eq!(err, "at the bottom");
    assert_eq!(g.state(), State::Poisoned);
    assert_eq!(*log.borrow(), (0..=10).collect::<Vec<_>>());
    assert!(catch(|| g.send(())).unwrap_err().contains("panicked"));
}

/// The same, far deeper than a stack frame per level would allow.
#[test]
fn a_panic_at_the_bottom_of_a_deep_chain_drops_every_level_innermost_first() {
    let depth = if cfg!(miri) { 20 } else { DEEP as u32 };
    let log = Rc::default();
    let mut g = panics_at(depth, Rc::clone(&log));
    assert_eq!(
        g.by_ref().take(depth as usize + 1).count(),
        depth as usize + 1
    );
    let err = catch(|| g.next()).unwrap_err();
    assert_eq!(err, "at the bottom");
    assert_eq!(g.state(), State::Poisoned);
    assert_eq!(*log.borrow(), (0..=depth).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------------
// Async generators

/// Pending once, then ready: a real `.await` in the middle of a chain.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[generator(yield = u64)]
async fn count_down(depth: u64) {
    if depth > 0 {
        yield_from!(count_down(depth - 1));
    }
    YieldNow(false).await;
    yield_!(depth);
}

#[test]
fn a_deep_chain_of_async_generators_awaits_and_yields_at_every_level() {
    use futures_core::Stream;
    let depth = if cfg!(miri) { 20 } else { 5_000 };
    let mut s = count_down(depth);
    let got = block_on(async {
        let mut got = vec![];
        while let Some(v) = std::future::poll_fn(|cx| Pin::new(&mut s).poll_next(cx)).await {
            got.push(v);
        }
        got
    });
    assert_eq!(got, (0..=depth).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------------
// Where the chain cannot step

macro_rules! same {
    ($e:expr) => {
        $e
    };
}

/// `walk`, with each `yield_from!` inside another macro's arguments: such a delegation is
/// polled inside the one around it (a macro like `select!` may poll it beside other futures),
/// so each level is a native call.
fn walk_in_macros(t: &Node) -> LocalBoxGen<'_, u64, (), u64> {
    coroutine! {
        let mut n = 1;
        if let Some(left) = &t.left {
            n += same!(yield_from!(walk_in_macros(left)));
        }
        yield t.value;
        if let Some(right) = &t.right {
            n += same!(yield_from!(walk_in_macros(right)));
        }
        n
    }
    .boxed_local()
}

#[test]
fn delegations_nested_too_deep_for_the_stack_panic_with_a_message_instead() {
    let tree = Node::spine(if cfg!(miri) { 60 } else { 3_000 });
    // A shallow one works.
    let shallow = Node::spine(20);
    assert_eq!(walk_in_macros(&shallow).count(), 39);
    if cfg!(miri) {
        return;
    }
    let mut g = walk_in_macros(&tree);
    let err = catch(|| g.next()).unwrap_err();
    assert!(err.starts_with("delegation deeper than"), "{err}");
    assert_eq!(g.state(), State::Poisoned);
}
