// The cases of tests/trait_methods.rs, `include!`d there (edition 2021) and by
// tests/edition2024 (edition 2024, where opaque return types capture every lifetime in scope):
// a trait declares `fn walk(&self) -> impl Generator<..>` the idiomatic way, with elided
// lifetimes, and `#[generator]` implements it with the same signature.

use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use resumable::prelude::*;

/// Resumes `g` with `()` until it completes: all that code generic over the trait can do.
fn drain<G: Generator<Yield = u32> + Unpin>(mut g: G) -> (Vec<u32>, G::Return) {
    let mut out = Vec::new();
    loop {
        match Pin::new(&mut g).resume(()) {
            GeneratorState::Yielded(y) => out.push(y),
            GeneratorState::Complete(r) => return (out, r),
        }
    }
}

#[derive(Debug, PartialEq)]
struct Stop;

/// Borrows `&[u32]` with an elided lifetime, in an argument's path.
struct Window<'a>(&'a [u32]);

/// One method per shape of signature: every elided lifetime is the trait's, as written.
trait Walk {
    fn walk(&self) -> impl Generator<Yield = u32, Return = ()> + Unpin;
    fn bump(&mut self) -> impl Generator<Yield = u32, Return = usize> + Unpin;
    fn offset(&self, by: &u32) -> impl Generator<Yield = u32, Return = ()> + Unpin;
    fn words(&self) -> impl Generator<Yield = &str, Return = ()> + Unpin;
    fn window(&self, w: Window<'_>) -> impl Generator<Yield = u32, Return = ()> + Unpin;
    fn pair(&self, a: &u32, b: &u32) -> impl Generator<Yield = u32, Return = ()> + Unpin;
    fn mapped<F: Fn(u32) -> u32>(&self, f: F) -> impl Generator<Yield = u32, Return = ()> + Unpin;
    fn into_walk(self) -> impl Generator<Yield = u32, Return = ()> + Unpin
    where
        Self: Sized;
    fn boxed_walk(self: Box<Self>) -> impl Generator<Yield = u32, Return = ()> + Unpin;
    fn pinned_refs(self: Pin<&mut Self>) -> impl Generator<Yield = &u32, Return = ()> + Unpin;
    fn named<'a>(&'a self) -> impl Generator<Yield = &'a u32, Return = ()> + Unpin + 'a;
    fn unnamed(&self) -> impl Generator<Yield = &u32, Return = ()> + Unpin + '_;
    fn sum(&self) -> impl Generator<u32, Yield = u32, Return = u32> + Unpin + Send;
    fn guarded(&self) -> impl Generator<Result<(), Stop>, Yield = u32, Return = Result<(), Stop>>;
    fn on_stack(&self) -> impl Generator<Yield = u32, Return = ()>;
    fn stream(&self) -> impl Stream<Item = u32> + Unpin;
}

struct Numbers {
    items: Vec<u32>,
    text: String,
}

impl Walk for Numbers {
    #[generator(yield = u32)]
    fn walk(&self) {
        for x in &self.items {
            yield_!(*x);
        }
    }

    #[generator(yield = u32)]
    fn bump(&mut self) -> usize {
        for x in &mut self.items {
            *x += 1;
            yield_!(*x);
        }
        self.items.len()
    }

    #[generator(yield = u32)]
    fn offset(&self, by: &u32) {
        for x in &self.items {
            yield_!(x + by);
        }
    }

    #[generator(yield = &str)]
    fn words(&self) {
        for w in self.text.split(' ') {
            yield_!(w);
        }
    }

    #[generator(yield = u32)]
    fn window(&self, w: Window<'_>) {
        for x in w.0.iter().chain(&self.items) {
            yield_!(*x);
        }
    }

    #[generator(yield = u32)]
    fn pair(&self, a: &u32, b: &u32) {
        yield_!(*a);
        yield_!(*b);
    }

    #[generator(yield = u32)]
    fn mapped<F: Fn(u32) -> u32>(&self, f: F) {
        for x in &self.items {
            yield_!(f(*x));
        }
    }

    #[generator(yield = u32)]
    fn into_walk(self) {
        for x in self.items {
            yield_!(x);
        }
    }

    #[generator(yield = u32)]
    fn boxed_walk(self: Box<Self>) {
        for x in self.items {
            yield_!(x);
        }
    }

    #[generator(yield = &u32)]
    fn pinned_refs(self: Pin<&mut Self>) {
        for x in &self.get_mut().items {
            yield_!(x);
        }
    }

    // The impl leaves out what the trait names, and the next one names what the trait elides.
    #[generator(yield = &u32)]
    fn named(&self) {
        for x in &self.items {
            yield_!(x);
        }
    }

    #[generator(yield = &'a u32)]
    fn unnamed<'a>(&'a self) {
        for x in &self.items {
            yield_!(x);
        }
    }

    #[generator(yield = u32, resume = u32)]
    fn sum(&self) -> u32 {
        let mut total = 0;
        for x in &self.items {
            total += yield_!(*x);
        }
        total
    }

    #[generator(yield = u32, throw = Stop)]
    fn guarded(&self) -> Result<(), Stop> {
        for x in &self.items {
            yield_!(*x)?;
        }
        Ok(())
    }

    #[generator(yield = u32, pinned)]
    fn on_stack(&self) {
        for x in &self.items {
            yield_!(*x);
        }
    }

    #[generator(yield = u32)]
    async fn stream(&self) {
        for x in &self.items {
            yield_!(*x);
        }
    }
}

fn numbers() -> Numbers {
    Numbers {
        items: vec![1, 2, 3],
        text: "to be".to_string(),
    }
}

#[test]
fn elided_self_method_implements_a_trait_method_returning_impl_generator() {
    let n = numbers();
    fn through_the_trait<W: Walk>(w: &W) -> Vec<u32> {
        drain(w.walk()).0
    }
    assert_eq!(through_the_trait(&n), [1, 2, 3]);
    // Called on the concrete type, the method keeps the whole generator API.
    let mut g = n.walk();
    assert_eq!(g.next(), Some(1));
    assert_eq!(g.state(), State::Suspended);
    g.close();
    assert!(g.is_finished());
}

#[test]
fn mut_self_and_by_value_receivers() {
    let mut n = numbers();
    assert_eq!(drain(n.bump()), (vec![2, 3, 4], 3));
    assert_eq!(n.items, [2, 3, 4]);
    assert_eq!(drain(n.into_walk()).0, [2, 3, 4]);
    assert_eq!(drain(Box::new(numbers()).boxed_walk()).0, [1, 2, 3]);
}

#[test]
fn elided_lifetimes_in_arguments_and_in_the_yield_type() {
    let n = numbers();
    assert_eq!(drain(n.offset(&10)).0, [11, 12, 13]);
    assert_eq!(drain(n.window(Window(&[7, 8]))).0, [7, 8, 1, 2, 3]);
    assert_eq!(drain(n.pair(&4, &5)).0, [4, 5]);
    assert_eq!(drain(n.mapped(|x| x * x)).0, [1, 4, 9]);
    assert_eq!(n.words().collect::<Vec<_>>(), ["to", "be"]);
    // The yielded references borrow `n`, not the generator.
    let refs: Vec<&u32> = n.named().collect();
    assert_eq!(refs, [&1, &2, &3]);
    assert_eq!(n.unnamed().copied().sum::<u32>(), 6);
    let mut m = numbers();
    let refs: Vec<&u32> = Pin::new(&mut m).pinned_refs().collect();
    assert_eq!(refs, [&1, &2, &3]);
}

#[test]
fn resume_and_throw_generators_implement_trait_methods() {
    let n = numbers();
    fn total<W: Walk>(w: &W) -> u32 {
        let mut g = w.sum();
        // Started without a value: no yield waits for one yet.
        let mut state = Pin::new(&mut g).try_start().expect("a #[generator] starts so");
        loop {
            match state {
                GeneratorState::Yielded(x) => state = Pin::new(&mut g).resume(x * 10),
                GeneratorState::Complete(total) => return total,
            }
        }
    }
    assert_eq!(total(&n), 60);
    fn is_send<T: Send>(_: T) {}
    is_send(n.sum());

    let mut g = n.guarded();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.throw(Stop), GeneratorState::Complete(Err(Stop)));
}

#[test]
fn pinned_and_async_generators_implement_trait_methods() {
    let n = numbers();
    let mut g = core::pin::pin!(n.on_stack());
    let mut out = Vec::new();
    while let GeneratorState::Yielded(x) = g.as_mut().resume(()) {
        out.push(x);
    }
    assert_eq!(out, [1, 2, 3]);

    let mut s = n.stream();
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::new();
    while let Poll::Ready(Some(x)) = Pin::new(&mut s).poll_next(&mut cx) {
        out.push(x);
    }
    assert_eq!(out, [1, 2, 3]);
}

/// A trait generic over its item, with a generic impl.
trait Source<T> {
    fn items(&self) -> impl Generator<Yield = T, Return = usize> + Unpin;
}

impl<T: PartialOrd + Clone> Source<T> for Vec<T> {
    #[generator(yield = T)]
    fn items(&self) -> usize {
        let mut skipped = 0;
        for (i, x) in self.iter().enumerate() {
            if i > 0 && *x < self[i - 1] {
                skipped += 1;
                continue;
            }
            yield_!(x.clone());
        }
        skipped
    }
}

#[test]
fn generic_trait_implemented_in_a_generic_impl() {
    let v = vec!["a", "c", "b", "d"];
    let mut g = v.items();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), ["a", "c", "d"]);
    assert_eq!(g.take_return(), Some(1));
}

// ---------------------------------------------------------------------------------------------
// Default methods

/// A default method may itself be a generator; implementors keep or replace it.
trait Countdown {
    fn start(&self) -> u32;

    #[generator(yield = u32)]
    fn countdown(&self) -> &'static str {
        for i in (0..self.start()).rev() {
            yield_!(i);
        }
        "liftoff"
    }

    /// Calls the other default method: not recursion, so it may stay in the trait.
    #[generator(yield = u32)]
    fn twice(&self) {
        yield_from!(self.countdown());
        yield_from!(self.countdown());
    }
}

struct Three;
impl Countdown for Three {
    fn start(&self) -> u32 {
        3
    }
}

struct Evens;
impl Countdown for Evens {
    fn start(&self) -> u32 {
        6
    }

    #[generator(yield = u32)]
    fn countdown(&self) -> &'static str {
        for i in (0..self.start()).rev().filter(|i| i % 2 == 0) {
            yield_!(i);
        }
        "even liftoff"
    }
}

#[test]
fn default_method_generator_is_kept_or_overridden() {
    let mut g = Three.countdown();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [2, 1, 0]);
    assert_eq!(g.take_return(), Some("liftoff"));
    assert_eq!(drain(Evens.countdown()), (vec![4, 2, 0], "even liftoff"));
    assert_eq!(Three.twice().collect::<Vec<_>>(), [2, 1, 0, 2, 1, 0]);
    assert_eq!(Evens.twice().collect::<Vec<_>>(), [4, 2, 0, 4, 2, 0]);
}

/// A tree walked by a default method that recurses. Inside the trait's own default body, a
/// call of the method being defined fails to compile (rustc E0792, `Box` or not), so the
/// default body calls a free generic generator that recurses through the trait.
trait Tree: Sized {
    fn value(&self) -> u32;
    fn children(&self) -> &[Self];

    /// Every value, depth first.
    fn walk(&self) -> impl Generator<Yield = u32, Return = usize> + Unpin {
        walk_tree(self)
    }
}

/// Yields `node`'s value, then delegates to each child's `walk()`: an implementor's override
/// is used for its children too. Returns how many values it yielded.
#[generator(yield = u32)]
fn walk_tree<T: Tree>(node: &T) -> usize {
    yield_!(node.value());
    let mut count = 1;
    for child in node.children() {
        count += yield_from!(Box::new(child.walk()));
    }
    count
}

struct Node(u32, Vec<Node>);

impl Tree for Node {
    fn value(&self) -> u32 {
        self.0
    }
    fn children(&self) -> &[Self] {
        &self.1
    }
}

/// Overrides the default walk with a `#[generator]` that recurses directly: an implementor's
/// method is not the trait's default body, and a boxed generator's body is already on the heap,
/// so no `Box` is needed.
struct OddOnly(u32, Vec<OddOnly>);

impl Tree for OddOnly {
    fn value(&self) -> u32 {
        self.0
    }
    fn children(&self) -> &[Self] {
        &self.1
    }

    #[generator(yield = u32)]
    fn walk(&self) -> usize {
        let mut count = 0;
        if self.0 % 2 == 1 {
            yield_!(self.0);
            count += 1;
        }
        for child in &self.1 {
            count += yield_from!(child.walk());
        }
        count
    }
}

#[test]
fn default_method_recursing_through_box_walks_the_whole_tree() {
    let tree = Node(1, vec![Node(2, vec![Node(3, vec![])]), Node(4, vec![])]);
    assert_eq!(drain(tree.walk()), (vec![1, 2, 3, 4], 4));

    let deep = (0..200).rev().fold(Node(200, vec![]), |child, v| Node(v, vec![child]));
    assert_eq!(drain(deep.walk()).0, (0..=200).collect::<Vec<_>>());

    let odd = OddOnly(1, vec![OddOnly(2, vec![OddOnly(3, vec![])]), OddOnly(5, vec![])]);
    assert_eq!(drain(odd.walk()), (vec![1, 3, 5], 3));
}
