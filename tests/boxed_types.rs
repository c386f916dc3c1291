//! `BoxGen` and `LocalBoxGen`: generators you can name (a struct field, a `Vec`, a trait's return
//! type) with the whole API, iterable when resumed with `()`, usable with `yield_from!`,
//! `RoundRobin` and the kernel.

mod common;

use std::rc::Rc;

use common::{catch, entries, new_log, Log, Noisy, PanicLocations};
use resumable::kernel::{sys, Cancelled, Kernel, Reply, Syscall};
use resumable::prelude::*;
use resumable::sched::RoundRobin;
use resumable::{BoxGen, LocalBoxGen};

#[generator(yield = u32)]
fn count(n: u32) -> &'static str {
    for i in 0..n {
        yield_!(i);
    }
    "counted"
}

#[derive(Debug, PartialEq)]
struct Stop;

#[generator(yield = u32, resume = u32, throw = Stop)]
fn doubler(log: Log) -> Result<u32, Stop> {
    let _guard = Noisy::new("doubler", &log);
    let mut x = yield_!(0)?;
    loop {
        match yield_!(x * 2) {
            Ok(next) => x = next,
            Err(Stop) => return Ok(x),
        }
    }
}

/// A struct field and a `Vec` of generators with different bodies.
struct Pipeline {
    stages: Vec<BoxGen<'static, u32, (), &'static str>>,
}

#[test]
fn boxed_generators_go_in_fields_and_vecs_and_keep_their_return_values() {
    let mut p = Pipeline {
        stages: vec![count(2).boxed(), coroutine! { yield 9; "nine" }.boxed()],
    };
    let mut got = vec![];
    let mut returns = vec![];
    for stage in &mut p.stages {
        got.extend(stage.by_ref());
        returns.push(stage.take_return());
    }
    assert_eq!(got, [0, 1, 9]);
    assert_eq!(returns, [Some("counted"), Some("nine")]);
    assert!(p.stages.iter().all(|s| s.is_finished()));
}

#[test]
fn a_boxed_generator_keeps_send_throw_close_with_state_and_location() {
    let log = new_log();
    let mut g: LocalBoxGen<'static, u32, Result<u32, Stop>, Result<u32, Stop>> =
        doubler(log.clone()).boxed_local();
    assert_eq!(g.state(), State::Created);
    assert_eq!(g.try_send(Ok(1)), Err(ResumeError::NotStarted));
    assert_eq!(g.start(), GeneratorState::Yielded(0));
    assert!(g.suspended_at().is_some());
    assert_eq!(g.send(Ok(4)), GeneratorState::Yielded(8));
    let dbg = format!("{g:?}");
    assert!(
        dbg.contains("doubler") && dbg.contains("Suspended"),
        "{dbg}"
    );
    assert_eq!(g.close_with(Stop), Ok(Ok(4)));
    assert!(g.is_finished());
    assert_eq!(entries(&log), ["doubler"]);

    let mut h = doubler(log.clone()).boxed_local();
    h.start();
    assert_eq!(h.throw(Stop), GeneratorState::Complete(Err(Stop)));
    let mut i = doubler(log.clone()).boxed_local();
    i.start();
    i.close();
    assert_eq!(i.state(), State::Finished);
    assert_eq!(i.try_send(Ok(1)), Err(ResumeError::Finished));
}

/// A closure-form coroutine binds its first argument: its type no longer says so once boxed,
/// so `start()` panics, saying to `send`.
#[test]
fn start_on_a_boxed_closure_coroutine_panics() {
    let mut g = coroutine!(|x: u32| {
        yield x;
    })
    .boxed();
    let msg = catch(|| g.start()).unwrap_err();
    assert!(msg.contains("send(arg)"), "{msg}");
    assert_eq!(g.send(3), GeneratorState::Yielded(3));
}

/// A trait method returning a named generator type: no `impl Trait`, no lifetime rules to
/// learn, recursion through the box works.
trait Tree {
    fn children(&self) -> &[Self]
    where
        Self: Sized;
    fn value(&self) -> u32;

    fn walk(&self) -> LocalBoxGen<'_, u32>
    where
        Self: Sized,
    {
        coroutine! {
            yield self.value();
            for child in self.children() {
                yield_from!(child.walk());
            }
        }
        .boxed_local()
    }
}

struct Node(u32, Vec<Node>);

impl Tree for Node {
    fn children(&self) -> &[Node] {
        &self.1
    }
    fn value(&self) -> u32 {
        self.0
    }
}

#[test]
fn a_trait_default_method_returns_a_boxed_generator_and_recurses() {
    let tree = Node(1, vec![Node(2, vec![Node(3, vec![])]), Node(4, vec![])]);
    assert_eq!(tree.walk().collect::<Vec<_>>(), [1, 2, 3, 4]);
}

/// `yield_from!` shares the exchange with a boxed generator, owned or borrowed: sends go
/// straight to it.
#[test]
fn yield_from_delegates_to_boxed_generators() {
    let log = new_log();
    let mut borrowed = doubler(log.clone()).boxed_local();
    let owned = doubler(log.clone()).boxed_local();
    {
        let borrowed = &mut borrowed;
        let mut g = coroutine!(|first: Result<u32, Stop>| -> Result<u32, Stop> {
            let _ = first;
            let a = yield_from!(owned)?;
            let b = yield_from!(&mut *borrowed)?;
            Ok(a + b)
        });
        assert_eq!(g.send(Ok(0)), GeneratorState::Yielded(0));
        assert_eq!(g.send(Ok(5)), GeneratorState::Yielded(10));
        assert_eq!(g.throw(Stop), GeneratorState::Yielded(0));
        assert_eq!(g.send(Ok(2)), GeneratorState::Yielded(4));
        assert_eq!(g.throw(Stop), GeneratorState::Complete(Ok(7)));
    }
    assert!(borrowed.is_finished());
    assert_eq!(entries(&log), ["doubler", "doubler"]);
}

#[test]
fn round_robin_runs_boxed_generators() {
    let mut sched = RoundRobin::new();
    sched.spawn("a", count(2).boxed());
    sched.spawn("b", coroutine! { yield 7; "b" }.boxed_local());
    let got: Vec<u32> = sched.map(|e| e.value).collect();
    assert_eq!(got, [0, 7, 1]);
}

#[test]
#[cfg_attr(miri, ignore = "the kernel waits in epoll")]
fn the_kernel_runs_boxed_generators() {
    #[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
    fn task(n: u8) -> Result<u8, Cancelled> {
        yield_from!(sys::yield_now())?;
        Ok(n)
    }
    let mut kernel = Kernel::new().with_virtual_clock();
    let a = kernel.spawn("a", task(1).boxed_local());
    let b = kernel.spawn("b", task(2));
    kernel.run();
    assert_eq!(kernel.take_return::<Result<u8, Cancelled>>(a), Ok(Ok(1)));
    assert_eq!(kernel.take_return::<Result<u8, Cancelled>>(b), Ok(Ok(2)));
}

#[test]
fn boxed_generators_are_send_and_local_ones_need_not_be() {
    fn assert_send<T: Send>(_: &T) {}
    let g: BoxGen<'static, u32, (), &str> = count(1).boxed();
    assert_send(&g);
    let shared = Rc::new(1u32);
    let local: LocalBoxGen<'_, u32> = coroutine! { yield *shared; }.boxed_local();
    assert_eq!(local.count(), 1);
}

/// Misuse of a boxed generator panics at the caller's line, although the generator is reached
/// through a vtable, with the message a plain generator gives.
#[test]
fn boxed_misuse_panics_point_at_the_callers_line() {
    let watch = PanicLocations::start();
    let mut g: BoxGen<'_, u32, (), &str> = count(1).boxed();
    g.by_ref().for_each(drop);
    let send_line = line!() + 1;
    let finished = catch(|| g.send(()));
    let mut d = doubler(new_log()).boxed_local();
    let not_started_line = line!() + 1;
    let not_started = catch(|| d.send(Ok(1)));
    d.close();
    let closed_line = line!() + 1;
    let closed = catch(|| d.start());
    let seen = watch.finish();
    assert!(finished.unwrap_err().contains("after it finished"));
    assert!(not_started.unwrap_err().contains("call start() first"));
    assert!(closed.unwrap_err().contains("after it was closed"));
    let here = file!().to_owned();
    assert_eq!(
        seen,
        [
            (here.clone(), send_line),
            (here.clone(), not_started_line),
            (here, closed_line),
        ]
    );
}
