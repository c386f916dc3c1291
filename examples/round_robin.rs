//! `round_robin`: three generators share one thread — cooperative multitasking with nothing but
//! a queue and `resume`.
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
//! Python's version of the same scheduler:
//! ```python
//! ready = deque([("count_up_to", count_up_to(10)), ("fib", fib(8)), ("squares", squares(11))])
//! while ready:
//!     name, task = ready.popleft()
//!     try:
//!         print(f"{name}: {next(task)}")
//!         ready.append((name, task))
//!     except StopIteration as done:
//!         print(f"-- {name} returned {done.value}")
//! ```
//!
//! Run with `cargo run --example round_robin`.
use resumable::prelude::*;
use resumable::sched::{RoundRobin, Step, TaskId};

/// 1, 2, …, `n`; returns their sum.
#[generator(yield = u64)]
fn count_up_to(n: u64) -> u64 {
    let mut sum = 0;
    for i in 1..=n {
        yield_!(i); // the switch point: the other tasks run before this line continues
        sum += i;
    }
    sum
}

/// The first `n` Fibonacci numbers; returns their sum.
#[generator(yield = u64)]
fn fib(n: usize) -> u64 {
    let (mut a, mut b, mut sum) = (0, 1, 0);
    for _ in 0..n {
        yield_!(a);
        sum += a;
        (a, b) = (b, a + b);
    }
    sum
}

/// The squares of 0, 1, …, `n - 1`; returns their sum.
#[generator(yield = u64)]
fn squares(n: u64) -> u64 {
    let mut sum = 0;
    for i in 0..n {
        yield_!(i * i);
        sum += i * i;
    }
    sum
}

/// What happened in one turn: which task ran, and whether that turn ended it.
struct Turn {
    id: TaskId,
    finished: bool,
}

fn main() {
    let mut sched = RoundRobin::new();
    // Calling a generator function runs nothing: it only makes the generator. `spawn` queues it.
    let tasks = [
        (sched.spawn("count_up_to", count_up_to(10)), "count_up_to"),
        (sched.spawn("fib", fib(8)), "fib"),
        (sched.spawn("squares", squares(11)), "squares"),
    ];

    println!("Three generators, one thread. Each turn resumes the task at the front of the queue");
    println!(
        "once: it runs to its next yield_! (printed as `name: value`) and goes to the back.\n"
    );

    // Drive the scheduler turn by turn; `step` also reports the turn in which a task returns.
    // (`for event in &mut sched` or `sched.run(...)` would give just the yields.)
    let mut timeline = Vec::new();
    while let Some(step) = sched.step() {
        match &step {
            Step::Yielded(event) => println!("{}: {}", event.name, event.value),
            Step::Finished { id, name } => println!("-- {name} ({id}) returned and left the queue"),
        }
        timeline.push(Turn {
            id: step.id(),
            finished: step.is_finished(),
        });
    }

    println!(
        "\nTimeline: one row per task, one column per turn ({} turns).",
        sched.turns()
    );
    print_timeline(&tasks, &timeline);
    println!();
    println!("  █ resumed: ran to its next yield   ✓ ran and returned   · waiting in the queue");
    println!(
        "  Every task runs once per pass, in spawn order. When fib returns, squares still gets"
    );
    println!("  the very next turn: a finished task leaves the queue and costs no one a turn.");

    println!("\nReturn values, kept per task (each returns the sum of what it yielded):");
    let width = tasks.iter().map(|(_, name)| name.len()).max().unwrap_or(0);
    for (id, name, sum) in sched.take_returns() {
        let turn = timeline
            .iter()
            .position(|t| t.id == id && t.finished)
            .map_or(0, |i| i + 1);
        println!("  {id} {name:<width$} returned {sum:>3}  (finished in turn {turn})");
    }
}

/// Draws one row per task: `█` where it yielded, `✓` where it returned, `·` while it waited.
fn print_timeline(tasks: &[(TaskId, &str)], timeline: &[Turn]) {
    let labels: Vec<String> = tasks
        .iter()
        .map(|(id, name)| format!("{id} {name}"))
        .collect();
    let width = labels
        .iter()
        .map(|label| label.chars().count())
        .max()
        .unwrap_or(0);
    println!("{:width$}  {}", "turn", ruler(timeline.len()).trim_end());
    for (&(id, _), label) in tasks.iter().zip(&labels) {
        let end = timeline.iter().position(|t| t.id == id && t.finished);
        let row: String = timeline
            .iter()
            .enumerate()
            .map(|(i, turn)| match (turn.id == id, end) {
                (true, Some(end)) if end == i => '✓',
                (true, _) => '█',
                (false, Some(end)) if i > end => ' ',
                (false, _) => '·',
            })
            .collect();
        println!("{label:width$}  {}", row.trim_end());
    }
}

/// A scale for `turns` columns: the turn number above the first turn and every fifth one.
fn ruler(turns: usize) -> String {
    let mut ruler = vec![' '; turns];
    for turn in (1..=turns).filter(|t| *t == 1 || t % 5 == 0) {
        for (column, digit) in (turn - 1..).zip(turn.to_string().chars()) {
            if column < turns {
                ruler[column] = digit;
            }
        }
    }
    ruler.into_iter().collect()
}
