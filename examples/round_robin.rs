//! `round_robin`: three generators share one thread — cooperative multitasking with nothing but
//! a queue and `resume`. The tutorial's own program: `count_up_to(10)`, `fib(8)` and
//! `squares(11)`, as written there.
//!
//! Why this is already multitasking: a generator suspended at `yield_!` keeps its local variables
//! and the point where it stopped inside itself. Resuming it carries on from there. So the
//! scheduler needs no threads and no stacks; it keeps the generators in a queue, resumes the one
//! at the front until it yields, and puts it at the back:
//!
//! * each `yield_!` is a voluntary context switch — the task gives the thread back;
//! * the queue is the ready list, `RoundRobin` the scheduler;
//! * a task is never interrupted between two of its yields (that is the "cooperative"), and a
//!   task that never yielded would keep everyone else waiting (that is its price).
//!
//! The tutorial's program, in Python:
//! ```python
//! def count_up_to(n):
//!     i = 0
//!     while i < n:
//!         yield i
//!         i += 1
//!
//! def fib(n):
//!     a, b = 0, 1
//!     for _ in range(n):
//!         yield a
//!         a, b = b, a + b
//!
//! def squares(n):
//!     for i in range(n):
//!         yield i * i
//!
//! tasks = [count_up_to(10), fib(8), squares(11)]
//! while tasks:
//!     for task in tasks:
//!         try:
//!             print(f"{task.__name__}: {next(task)}")
//!         except StopIteration:
//!             tasks.remove(task)       # removes from the list the for loop is walking
//! ```
//! That loop is not quite fair: removing a task from the list it is iterating over shifts the
//! next task into the slot the loop has just visited, so that task loses its turn in that pass
//! (`squares`, twice). A queue has no such hole:
//! ```python
//! ready = deque([count_up_to(10), fib(8), squares(11)])
//! while ready:
//!     task = ready.popleft()
//!     try:
//!         print(f"{task.__name__}: {next(task)}")
//!     except StopIteration:
//!         continue                     # finished: it is simply not put back
//!     ready.append(task)
//! ```
//! Part 1 runs the queue (`sched::RoundRobin`); part 2 runs the tutorial's loop, written out in
//! Rust, and shows where the two differ.
//!
//! Run with `cargo run --example round_robin` (`-- --svg FILE` also draws the timeline as an
//! SVG picture, the one in the guide's chapter 4).
use resumable::prelude::*;
use resumable::sched::{RoundRobin, Step};
use resumable::timeline::Timeline;
use resumable::LocalBoxGen;

/// 0, 1, …, `n - 1`, like Python's `range(n)`.
#[generator(yield = u64)]
fn count_up_to(n: u64) {
    let mut i = 0;
    while i < n {
        yield_!(i); // the switch point: the other tasks run before this line continues
        i += 1;
    }
}

/// The first `n` Fibonacci numbers.
#[generator(yield = u64)]
fn fib(n: usize) {
    let (mut a, mut b) = (0, 1);
    for _ in 0..n {
        yield_!(a);
        (a, b) = (b, a + b);
    }
}

/// The squares of 0, 1, …, `n - 1`.
#[generator(yield = u64)]
fn squares(n: u64) {
    for i in 0..n {
        yield_!(i * i);
    }
}

fn main() {
    println!("Three generators, one thread: count_up_to(10), fib(8), squares(11).\n");
    println!("1. A fair round-robin: sched::RoundRobin keeps the tasks in a FIFO queue. Each turn");
    println!("   resumes the task at the front once: it runs to its next yield_! (printed as");
    println!("   `name: value`) and goes to the back; a task that returns leaves the queue.\n");

    let mut sched = RoundRobin::new();
    // Calling a generator function runs nothing: it only makes the generator. `spawn` queues it.
    let tasks = [
        (sched.spawn("count_up_to", count_up_to(10)), "count_up_to"),
        (sched.spawn("fib", fib(8)), "fib"),
        (sched.spawn("squares", squares(11)), "squares"),
    ];

    // Drive the scheduler turn by turn; `step` also reports the turn in which a task returns.
    // (`for event in &mut sched` or `sched.run(...)` would give just the yields.)
    let mut fair = Vec::new();
    let mut timeline = Timeline::new("Round robin: three generators, one thread, a turn each");
    for &(id, name) in &tasks {
        timeline.task_row(id, name);
    }
    let mut fib_end = 0;
    while let Some(step) = sched.step() {
        if let Step::Yielded(event) = &step {
            let line = format!("{}: {}", event.name, event.value);
            println!("{line}");
            fair.push(line);
        }
        timeline.record_step(&step);
        if step.id() == tasks[1].0 && step.is_finished() {
            fib_end = sched.turns();
        }
    }

    println!(
        "\nThe same as a timeline: one row per task, one column per turn ({} turns).",
        sched.turns()
    );
    print!("{timeline}");
    println!("  (ran: to its next yield; ended: ran and returned; ready: waiting in the queue)");
    if let Some(path) = svg_file() {
        std::fs::write(&path, timeline.to_svg()).expect("the SVG file can be written");
        println!("  (drawn as an SVG picture in {path})");
    }
    println!("  Every task runs once per pass, in spawn order. When fib returns (turn {fib_end}),");
    println!("  squares still gets the very next turn: a finished task leaves the queue and");
    println!("  costs no one a turn.");

    println!("\n2. The tutorial's loop: `for task in tasks:` with `tasks.remove(task)` inside.");
    let tutorial = tutorial_loop();
    // The lines (numbered from 1) where the two orders differ.
    let differs: Vec<String> = fair
        .iter()
        .zip(&tutorial)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    let first = fair
        .iter()
        .zip(&tutorial)
        .position(|(a, b)| a != b)
        .unwrap_or(fair.len());
    let from = first.saturating_sub(1);
    println!(
        "   The first {first} lines are the same; lines {} differ.",
        differs.join(" and ")
    );
    println!("   From line {} on, side by side:\n", from + 1);
    println!("   fair (part 1)     tutorial's loop");
    for (a, b) in fair[from..].iter().zip(&tutorial[from..]) {
        let mark = if a == b { "" } else { "<- differs" };
        println!("{}", format!("   {a:<17} {b:<17}{mark}").trim_end());
    }
    println!();
    println!("   Both print the same 29 lines, in a different order. When fib ends, the loop");
    println!("   removes it from the list it is walking: squares moves into fib's slot, which");
    println!("   the loop has just visited, so squares is skipped in that pass, and again when");
    println!("   count_up_to ends. A queue has no slot to skip: in part 1 squares runs right");
    println!("   after count_up_to 8, then count_up_to 9 runs.");
}

/// The file `--svg FILE` names, if any: the timeline is also drawn there as a picture.
fn svg_file() -> Option<String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => None,
        (Some("--svg"), Some(path)) => Some(path),
        _ => {
            eprintln!("usage: round_robin [--svg FILE]");
            std::process::exit(2);
        }
    }
}

/// The tutorial's loop, written out: Python's `for` over a list walks it by index, and
/// `tasks.remove(task)` shifts the tasks behind the removed one down a slot. Rust would not
/// compile `for task in &tasks { tasks.remove(..) }` (the list is borrowed by the loop), so
/// the index is spelled out. Returns the lines it printed.
fn tutorial_loop() -> Vec<String> {
    let mut tasks: Vec<(&str, LocalBoxGen<'static, u64>)> = vec![
        ("count_up_to", count_up_to(10).boxed_local()),
        ("fib", fib(8).boxed_local()),
        ("squares", squares(11).boxed_local()),
    ];
    let mut lines = Vec::new();
    while !tasks.is_empty() {
        let mut i = 0; // the `for` loop's position in the list
        while i < tasks.len() {
            let (name, task) = &mut tasks[i];
            match task.next() {
                Some(value) => lines.push(format!("{name}: {value}")),
                None => {
                    tasks.remove(i); // the task behind it moves into slot i...
                }
            }
            i += 1; // ...and the loop moves past slot i all the same
        }
    }
    lines
}
