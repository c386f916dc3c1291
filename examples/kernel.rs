//! `kernel`: generators become tasks of a tiny operating system — spawn, join, kill, cancel and
//! sleep, narrated as they happen; then the same sub-routine written with a trampoline and with
//! `yield_from!`, to show what `yield from` replaced.
//!
//! A kernel task is a generator that yields a [`Syscall`] ("sleep 10 ms", "spawn this",
//! "wait for task #3") and is resumed with the [`Reply`]. While it waits, the kernel runs the
//! others. That is all an operating system does for its processes, minus the hardware.
//!
//! Python, after David Beazley's "A Curious Course on Coroutines and Concurrency" (2009):
//! ```python
//! def worker(name, ticks):
//!     for i in range(ticks):
//!         yield Sleep(0.010)           # a system call: the scheduler resumes us later
//!     return ticks * 10
//!
//! def main():
//!     a = yield NewTask(worker("a", 3))
//!     result = yield WaitTask(a)       # join: sleep until `a` returns, get its value
//!     yield KillTask(forever)          # close(): its `finally` blocks run
//! ```
//! Here the system calls come wrapped as generators in [`sys`], called with `yield_from!`:
//! `yield_from!(sys::sleep(d))?`, `yield_from!(sys::join::<T>(id))?`, and so on.
//!
//! The kernel runs on a virtual clock, so the trace below takes no real time and is the same on
//! every run: time stands still while tasks run and jumps to the next deadline when all sleep.
//!
//! Run with `cargo run --example kernel`; `-- --svg FILE` also draws part 1's timeline as an
//! SVG picture in FILE.
use std::pin::Pin;
use std::time::Duration;

use resumable::kernel::{sys, Cancelled, JoinError, Kernel, Reply, Syscall, Task, TaskState};
use resumable::prelude::*;
use resumable::timeline::Timeline;
use resumable::LocalBoxGen;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Prints one line of the trace: the kernel's clock, the caller's id and name, and `what`.
///
/// A sub-routine of the tasks, itself made of two system calls: delegating to it with
/// `yield_from!` is a function call that may wait.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn say(name: &'static str, what: String) -> Result<(), Cancelled> {
    let now = yield_from!(sys::now())?;
    let me = yield_from!(sys::get_id())?;
    println!("{:>6}  {:<3} {name:<8} {what}", stamp(now), me.to_string());
    Ok(())
}

fn stamp(t: Duration) -> String {
    format!("{} ms", t.as_millis())
}

/// Ticks `ticks` times, every `every`; returns how long it slept in all.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn worker(name: &'static str, ticks: u64, every: Duration) -> Result<Duration, Cancelled> {
    for i in 1..=ticks {
        yield_from!(sys::sleep(every))?;
        yield_from!(say(name, format!("tick {i}/{ticks}")))?;
    }
    Ok(every * ticks as u32)
}

/// Sleeps once, then returns a message.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn napper(name: &'static str, nap: Duration) -> Result<&'static str, Cancelled> {
    yield_from!(say(name, format!("napping for {} ms", nap.as_millis())))?;
    yield_from!(sys::sleep(nap))?;
    yield_from!(say(name, "woke up".to_string()))?;
    Ok("well rested")
}

/// Prints when it is dropped: destructors are how a killed task cleans up (Python's `finally`,
/// run by `close()`).
struct Guard(&'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        println!(
            "{:>6}  {:<3} {:<8} Guard dropped: its destructor ran as the task was closed",
            "", "", self.0
        );
    }
}

/// Ticks forever; only a kill stops it.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn forever(name: &'static str) -> Result<(), Cancelled> {
    let _guard = Guard(name);
    for i in 1.. {
        yield_from!(sys::sleep(ms(15)))?;
        yield_from!(say(name, format!("tick {i}, and on and on")))?;
    }
    Ok(())
}

/// Works in a loop until cancelled, then cleans up — with more system calls: the `Cancelled`
/// thrown in is an ordinary error it may handle (Python's `except CancelledError:`).
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn careful(name: &'static str) -> Result<&'static str, Cancelled> {
    let mut batches = 0;
    loop {
        // The throw arrives at the innermost yield (inside sys::sleep) and comes out here.
        if let Err(Cancelled) = yield_from!(sys::sleep(ms(20))) {
            break;
        }
        batches += 1;
        yield_from!(say(name, format!("wrote batch {batches}")))?;
    }
    yield_from!(say(
        name,
        "Cancelled came out of its sleep; flushing for 5 ms (cleanup may yield)".to_string()
    ))?;
    yield_from!(sys::sleep(ms(5)))?;
    yield_from!(say(name, "flushed; returning".to_string()))?;
    Ok("cancelled, cleaned up")
}

/// The parent: starts the others, waits for, kills and cancels them, and reports each answer.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn boss() -> Result<(), Cancelled> {
    const ME: &str = "boss";
    let me = yield_from!(sys::get_id())?;
    yield_from!(say(ME, format!("started; get_id() says I am {me}")))?;

    let a = yield_from!(sys::spawn(Task::new("a", worker("a", 3, ms(10)))))?;
    let b = yield_from!(sys::spawn(Task::new("b", napper("b", ms(50)))))?;
    let f = yield_from!(sys::spawn(Task::new("forever", forever("forever"))))?;
    let c = yield_from!(sys::spawn(Task::new("careful", careful("careful"))))?;
    yield_from!(say(
        ME,
        format!("spawned a={a} b={b} forever={f} careful={c}; now join(a)")
    ))?;

    // join: parked until `a` returns; the reply carries its return value.
    let ret = yield_from!(sys::join::<Result<Duration, Cancelled>>(a))?;
    yield_from!(say(ME, format!("join(a) -> {ret:?}")))?;

    yield_from!(say(ME, "kill(forever)".to_string()))?;
    let alive = yield_from!(sys::kill(f))?;
    yield_from!(say(ME, format!("kill(forever) -> was alive: {alive}")))?;
    let ret = yield_from!(sys::join::<Result<(), Cancelled>>(f))?;
    yield_from!(say(
        ME,
        format!("join(forever) -> {ret:?}: a killed task returns nothing")
    ))?;

    yield_from!(say(ME, "cancel(careful)".to_string()))?;
    let alive = yield_from!(sys::cancel(c))?;
    yield_from!(say(
        ME,
        format!("cancel(careful) -> was alive: {alive}; join(careful)")
    ))?;
    let ret = yield_from!(sys::join::<Result<&str, Cancelled>>(c))?;
    yield_from!(say(ME, format!("join(careful) -> {ret:?}")))?;

    yield_from!(say(ME, "join(b)".to_string()))?;
    let ret = yield_from!(sys::join::<Result<&str, Cancelled>>(b))?;
    yield_from!(say(ME, format!("join(b) -> {ret:?}; all done")))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Part 2: the same sub-routine, with a trampoline and with `yield_from!`.
// ---------------------------------------------------------------------------------------------

/// What a trampolined generator yields: a system call for the kernel, or a sub-routine to call.
enum Trap {
    Sys(Syscall),
    Call(&'static str, Sub),
}

/// What it is resumed with: the kernel's reply, or the return value of the sub-routine it called.
enum Back {
    Reply(Reply),
    Value(u64),
}

/// A sub-routine: any generator yielding `Trap`s, resumed with `Back` and returning a `u64`,
/// boxed so the trampoline can keep different ones on one stack.
type Sub = LocalBoxGen<'static, Trap, Back, u64>;

/// Looks `key` up, slowly: a sleep (a raw system call, its reply matched by hand), then a value.
#[generator(yield = Trap, resume = Back)]
fn lookup_trampolined(key: &'static str) -> u64 {
    match yield_!(Trap::Sys(Syscall::Sleep(ms(10)))) {
        Back::Reply(Reply::Done) => {}
        _ => unreachable!("the kernel answers Sleep with Done"),
    }
    key.len() as u64
}

/// Calls `lookup_trampolined` twice. It cannot call it like a function (a plain call cannot
/// wait), so it yields the generator to the trampoline and is resumed with its return value.
#[generator(yield = Trap, resume = Back)]
fn total_trampolined() -> u64 {
    let Back::Value(a) = yield_!(Trap::Call(
        "lookup(\"spam\")",
        lookup_trampolined("spam").boxed_local()
    )) else {
        unreachable!("a call is answered with the callee's return value")
    };
    let Back::Value(b) = yield_!(Trap::Call(
        "lookup(\"eggs\")",
        lookup_trampolined("eggs").boxed_local()
    )) else {
        unreachable!("a call is answered with the callee's return value")
    };
    a + b
}

/// The trampoline: a stack of generators per task. The top one runs; a `Call` pushes the
/// callee, a return pops it and sends its value into the caller, a `Sys` goes out to the kernel.
struct Trampoline {
    stack: Vec<(&'static str, Sub)>,
}

impl Trampoline {
    /// The stack, outermost first: `total() > lookup("spam")`.
    fn names(&self) -> String {
        let names: Vec<&str> = self.stack.iter().map(|(name, _)| *name).collect();
        names.join(" > ")
    }
}

impl Trampoline {
    /// Runs the top generator with `input` until something must go out to the kernel.
    /// `None`: the top generator has not started, and is started without a value (Python's
    /// priming `next(gen)`: no yield of it waits for one yet).
    fn run(&mut self, mut input: Option<Back>) -> GeneratorState<Syscall, u64> {
        loop {
            let (_, top) = self.stack.last_mut().expect("resumed after it returned");
            let state = match input.take() {
                Some(input) => top.send(input),
                None => top.start(),
            };
            match state {
                GeneratorState::Yielded(Trap::Sys(call)) => {
                    println!("   [{}] yields {call:?} out to the kernel", self.names());
                    return GeneratorState::Yielded(call);
                }
                GeneratorState::Yielded(Trap::Call(name, callee)) => {
                    self.stack.push((name, callee));
                    println!("   [{}] push: the caller yielded a call", self.names());
                }
                GeneratorState::Complete(value) => {
                    println!("   [{}] returns {value}: pop", self.names());
                    self.stack.pop();
                    if self.stack.is_empty() {
                        return GeneratorState::Complete(value);
                    }
                    input = Some(Back::Value(value));
                }
            }
        }
    }
}

impl Generator<Reply> for Trampoline {
    type Yield = Syscall;
    type Return = u64;

    fn resume(mut self: Pin<&mut Self>, reply: Reply) -> GeneratorState<Syscall, u64> {
        self.run(Some(Back::Reply(reply)))
    }

    /// The kernel starts a task without a value when it can: the trampoline starts its first
    /// generator.
    fn try_start(mut self: Pin<&mut Self>) -> Option<GeneratorState<Syscall, u64>> {
        Some(self.run(None))
    }
}

/// The same lookup with delegation: the sleep is a sub-routine call, so is this.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn lookup(key: &'static str) -> Result<u64, Cancelled> {
    yield_from!(sys::sleep(ms(10)))?;
    Ok(key.len() as u64)
}

#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn total() -> Result<u64, Cancelled> {
    let a = yield_from!(lookup("spam"))?;
    println!("   total() got lookup(\"spam\") = {a}");
    let b = yield_from!(lookup("eggs"))?;
    println!("   total() got lookup(\"eggs\") = {b}");
    Ok(a + b)
}

/// The file `--svg FILE` names, if any.
fn svg_file() -> Option<String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => None,
        (Some("--svg"), Some(path)) => Some(path),
        _ => {
            eprintln!("usage: kernel [--svg FILE]");
            std::process::exit(2);
        }
    }
}

fn main() {
    println!("Part 1: spawn, join, kill, cancel and sleep. Every line is printed by a task,");
    println!("stamped with the kernel's (virtual) clock, its id and its name.\n");
    println!("{:>6}  {:<3} {:<8} what happened", "clock", "id", "task");

    let svg = svg_file();
    let mut kernel = Kernel::new().with_virtual_clock();
    let boss_id = kernel.spawn("boss", boss());
    // `run()` would do; stepping pass by pass lets us stop and look in the middle, and draw
    // what each task did in each pass from the snapshots before and after it.
    let mut timeline = Timeline::new("The kernel example, pass by pass");
    let mut before = kernel.snapshot();
    let mut shown = false;
    while kernel.run_once() {
        let snapshot = kernel.snapshot();
        timeline.record_pass(&before, &snapshot);
        before = snapshot.clone();
        let parked = snapshot.tasks.iter().all(|t| t.state != TaskState::Ready);
        if !shown && kernel.now() >= ms(20) && parked {
            shown = true;
            println!("\n  --- kernel.snapshot(), between two passes, as every task waits ---");
            for line in snapshot.to_string().lines() {
                println!("  {line}");
            }
            println!("  (steps: how often each was resumed; busy: real time it ran)\n");
        }
    }
    println!(
        "\nThe kernel ran out of tasks at {} of virtual time: {} live, boss returned {:?}.",
        stamp(kernel.now()),
        kernel.len(),
        kernel.take_return::<Result<(), Cancelled>>(boss_id)
    );
    println!("kill closed `forever` at once (its Guard's destructor ran; join got Err(Killed));");
    println!("cancel threw Cancelled into `careful` at its sleep, and it cleaned up and returned.");

    println!("\nWhat each task did in each pass (a column per pass; the clock where it moved):\n");
    for line in timeline.to_string().lines().skip(1) {
        println!("  {line}");
    }
    println!("  Many passes happen at one instant: the clock moves only when every task waits.");
    if let Some(path) = svg {
        std::fs::write(&path, timeline.to_svg()).expect("the SVG file can be written");
        println!("  (drawn in {path})");
    }

    println!("\nPart 2: a sub-routine that waits, two ways.\n");
    println!("a) Trampoline (Python before 3.3, Beazley's pyos): a generator cannot call another");
    println!("   one that yields, so it yields the callee to a stack-keeping trampoline, and raw");
    println!("   system calls have their replies matched by hand. The trampoline's stack,");
    println!("   outermost first, as it goes:");
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn_task(Task::from_generator::<Reply, _>(
        "trampolined",
        Trampoline {
            stack: vec![("total()", total_trampolined().boxed_local())],
        },
    ));
    kernel.run();
    let trampolined: Result<u64, JoinError> = kernel.take_return(id);
    println!(
        "   -> {trampolined:?} after {} of kernel time",
        stamp(kernel.now())
    );

    println!(
        "\nb) yield_from! (PEP 380): `let a = yield_from!(lookup(\"spam\"))?;` is the whole call."
    );
    let mut kernel = Kernel::new().with_virtual_clock();
    let id = kernel.spawn("delegating", total());
    kernel.run();
    let delegated: Result<Result<u64, Cancelled>, JoinError> = kernel.take_return(id);
    println!(
        "   -> {delegated:?} after {} of kernel time",
        stamp(kernel.now())
    );

    println!("\nSame answer, same time. What yield_from! replaced:");
    println!(
        "  * the trampoline's stack: the chain of yield_from! calls is the stack, kept inside"
    );
    println!("    the generators themselves (and resumed straight at the innermost one);");
    println!("  * the Call/Value protocol: a callee's return value is the value of yield_from!;");
    println!("  * matching replies by hand: sys::sleep does it once, for every caller;");
    println!("  * and a thrown Cancelled reaches the innermost generator, which a hand-made");
    println!("    trampoline would have to forward itself.");
}
