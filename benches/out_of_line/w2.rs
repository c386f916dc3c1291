//! W2 ping-pong, out of line: the round trips run in an `#[inline(never)]` driver through a
//! trait object.

use super::*;

/// Hand-written: a state machine that answers `arg + 1`, behind the same trait object as
/// ours.
struct Adder;

impl Generator<u64> for Adder {
    type Yield = u64;
    type Return = ();
    #[inline]
    fn resume(self: Pin<&mut Self>, arg: u64) -> GeneratorState<u64, ()> {
        GeneratorState::Yielded(arg + 1)
    }
}

#[generator(yield = u64, resume = u64)]
fn adder() {
    let mut x = 0;
    loop {
        x = yield_!(x + 1);
    }
}

#[generator(yield = u64, resume = u64, pinned)]
fn adder_pinned() {
    let mut x = 0;
    loop {
        x = yield_!(x + 1);
    }
}

async fn adder_genawaiter_stack(co: genawaiter::stack::Co<'_, u64, u64>) {
    let mut x = 0;
    loop {
        x = co.yield_(x + 1).await;
    }
}

#[next_gen::generator(yield(u64), resume(u64))]
fn adder_next_gen() {
    let mut x = 0;
    loop {
        x = yield_!(x + 1);
    }
}

fn yielded<Y, R>(s: GeneratorState<Y, R>) -> Y {
    match s {
        GeneratorState::Yielded(y) => y,
        GeneratorState::Complete(_) => unreachable!("the adder never returns"),
    }
}

/// `n` round trips through `resume`, each sending the last answer; the generator has been
/// primed.
#[inline(always)]
fn ping_pong(n: u64, mut resume: impl FnMut(u64) -> u64) -> u64 {
    let mut x = 0;
    for _ in 0..n {
        x = black_box(resume(x));
    }
    assert_eq!(x, n);
    x
}

type DynGen<'a> = dyn Generator<u64, Yield = u64, Return = ()> + 'a;

#[inline(never)]
fn drive_gen(g: Pin<&mut DynGen<'_>>, n: u64) -> u64 {
    let mut g = g;
    ping_pong(n, |x| yielded(g.as_mut().resume(x)))
}

#[inline(never)]
fn drive_boxgen(g: &mut BoxGen<'_, u64, u64>, n: u64) -> u64 {
    ping_pong(n, |x| yielded(g.send(x)))
}

type GaCo<'a> = dyn genawaiter::Coroutine<Yield = u64, Resume = u64, Return = ()> + 'a;

#[inline(never)]
fn drive_genawaiter(g: Pin<&mut GaCo<'_>>, n: u64) -> u64 {
    let mut g = g;
    ping_pong(n, |x| match g.as_mut().resume_with(x) {
        genawaiter::GeneratorState::Yielded(v) => v,
        genawaiter::GeneratorState::Complete(()) => unreachable!("the adder never returns"),
    })
}

type NgGen<'a> = dyn next_gen::generator::Generator<u64, Yield = u64, Return = ()> + 'a;

#[inline(never)]
fn drive_next_gen(g: Pin<&mut NgGen<'_>>, n: u64) -> u64 {
    let mut g = g;
    ping_pong(n, |x| match g.as_mut().resume(x) {
        next_gen::generator::GeneratorState::Yielded(v) => v,
        next_gen::generator::GeneratorState::Returned(()) => unreachable!("never returns"),
    })
}

#[inline(never)]
fn drive_coro(c: &mut Coroutine<u64, u64, (), DefaultStack>, n: u64) -> u64 {
    ping_pong(n, |x| match c.resume(x) {
        CoroutineResult::Yield(v) => v,
        CoroutineResult::Return(()) => unreachable!("the adder never returns"),
    })
}

pub fn hand_written(_: &mut Env, n: u64) -> u64 {
    let mut g = Adder;
    let g = Pin::new(&mut g);
    let g: Pin<&mut DynGen> = g;
    drive_gen(black_box(g), n)
}

pub fn resumable_boxed(_: &mut Env, n: u64) -> u64 {
    let mut g = adder();
    g.start();
    let g = Pin::new(&mut g);
    let g: Pin<&mut DynGen> = g;
    drive_gen(black_box(g), n)
}

pub fn resumable_pinned(_: &mut Env, n: u64) -> u64 {
    let mut g = pin!(adder_pinned());
    g.as_mut().start();
    drive_gen(black_box(g), n)
}

pub fn resumable_boxgen(_: &mut Env, n: u64) -> u64 {
    let mut g = adder().boxed();
    g.start();
    drive_boxgen(black_box(&mut g), n)
}

pub fn genawaiter_stack(_: &mut Env, n: u64) -> u64 {
    genawaiter::stack::let_gen_using!(g, adder_genawaiter_stack);
    g.resume_with(0);
    let g = Pin::new(g);
    let g: Pin<&mut GaCo> = g;
    drive_genawaiter(black_box(g), n)
}

pub fn genawaiter_rc(_: &mut Env, n: u64) -> u64 {
    let mut g = genawaiter::rc::Gen::new(|co: genawaiter::rc::Co<u64, u64>| async move {
        let mut x = 0;
        loop {
            x = co.yield_(x + 1).await;
        }
    });
    g.resume_with(0);
    let g = Pin::new(&mut g);
    let g: Pin<&mut GaCo> = g;
    drive_genawaiter(black_box(g), n)
}

pub fn next_gen(_: &mut Env, n: u64) -> u64 {
    next_gen::mk_gen!(let mut g = adder_next_gen());
    g.as_mut().resume(0);
    drive_next_gen(black_box(g), n)
}

pub fn corosensei(env: &mut Env, n: u64) -> u64 {
    let mut c = coroutine(env, |y: &Yielder<u64, u64>, mut x: u64| {
        // `u64::MAX` ends it, so its stack can be reused without unwinding it.
        while x != u64::MAX {
            x = y.suspend(x + 1);
        }
    });
    c.resume(0);
    let x = drive_coro(black_box(&mut c), n);
    assert!(c.resume(u64::MAX).as_return().is_some());
    give_back(env, c);
    x
}
