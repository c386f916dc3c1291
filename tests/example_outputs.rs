//! What every example prints, checked against a snapshot of its stdout in
//! `tests/example_outputs/NAME.stdout`, so that the output the README and the guide show cannot
//! drift from what the code does.
//!
//! The examples print stable text wherever their point allows: a virtual clock where the point
//! is the order of events (`kernel`, `ticker`), whole seconds where it is whole naps (`sleep`,
//! run here with a 100 ms "second"). What no two runs repeat (a port, a time of day, a time or
//! a memory size measured on the real clock, the order in which threads race) is a `[..]` in
//! the snapshot (any text within a line), or a `...` line (any lines).
//!
//! After a deliberate change of an example's output: `SNAPSHOTS=overwrite cargo test --test
//! example_outputs`, then read the diff (overwriting keeps the wildcards that still match).
//!
//! The examples run one at a time: several of them measure the real clock, and would measure
//! each other on a machine with few cores.

#[path = "example_bin/mod.rs"]
mod example_bin;

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use snapbox::cmd::Command;
use snapbox::{Assert, Data};

/// Held while an example runs.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Longer than any example takes (the slowest, `chess`, takes about 3 seconds): a hung example
/// fails its test instead of hanging the suite.
const TIMEOUT: Duration = Duration::from_secs(60);

/// In what order the lines of an example's output must come.
enum Lines {
    /// The snapshot's.
    InOrder,
    /// Any: the example prints from threads that race (tokio's workers, which on a busy
    /// machine wake late enough to reorder lines due 10 ms apart). Every line must still be
    /// there, once.
    AnyOrder,
}

/// Runs the example `name` with `args`; it must succeed and print its snapshot.
fn prints_its_snapshot(name: &str, args: &[&str], lines: Lines) {
    // Taken before building, too: a build beside a running example would slow it down.
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let binary = example_bin::example_binary(name);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/example_outputs")
        .join(format!("{name}.stdout"));
    let snapshot = match lines {
        Lines::InOrder => Data::read_from(&path, None),
        Lines::AnyOrder => Data::read_from(&path, None).unordered(),
    };
    // Text as printed: no `\` -> `/` rewriting (it is meant for paths, and would hide escapes).
    let assert = Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        .normalize_paths(false);
    Command::new(binary)
        .with_assert(assert)
        .args(args)
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout_eq(snapshot);
}

/// One test per example, named after it, run with these arguments, its lines in order unless
/// said otherwise.
macro_rules! examples {
    ($($name:ident $([$($arg:literal),*])? $(($lines:ident))?;)*) => {
        /// The examples tested here.
        const TESTED: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                #[allow(unused_variables)]
                let lines = Lines::InOrder;
                $(let lines = Lines::$lines;)?
                prints_its_snapshot(stringify!($name), &[$($($arg),*)?], lines);
            }
        )*
    };
}

/// Every example in `examples/` has its test here, and every snapshot its example: a new
/// example fails this until it is listed below and its snapshot written.
#[test]
fn every_example_is_tested_and_every_snapshot_has_its_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = |dir: &str, extension: &str| {
        let entries = std::fs::read_dir(root.join(dir)).expect("the directory");
        let mut names: Vec<String> = entries
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == extension))
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let mut tested: Vec<&str> = TESTED.to_vec();
    tested.sort_unstable();
    assert_eq!(names("examples", "rs"), tested);
    assert_eq!(names("tests/example_outputs", "stdout"), tested);
}

examples! {
    aiofile;
    averager;
    chat_server;
    chess;
    delegation;
    echo_server;
    fib;
    frames;
    hog;
    http_client;
    inspect;
    kernel;
    pipeline;
    round_robin;
    sleep ["100"];
    thread_per_core ["--loops", "2", "--seconds", "0.5"];
    threads_vs_async;
    throw_close;
    ticker;
    tokio_interop (AnyOrder);
}
