//! Issue 16's out-of-line rows (`benches/out_of_line.rs`) with a nightly coroutine beside
//! ours, built by one compiler: W1 and W2 through a trait object from an `#[inline(never)]`
//! driver, W4 with each generator's handle through `black_box` so its allocation stays.
//!
//! Run by `run.sh` under callgrind: `out_of_line --callgrind GROUP/ROW OPS` performs one
//! iteration of that row with `OPS` operations and prints its result; instructions per
//! operation are (I(2k) − I(k)) / k, so the process start and the setup cancel out. `--list`
//! prints the rows; `--check` checks every row computes what its group's hand-written row does.
#![feature(coroutine_trait)]

mod w1;
mod w2;
mod w4;

/// One iteration of a row: `ops` operations, returning what the consumer computed.
type Row = fn(u64) -> u64;

/// Every row, named `group/row` as in `benches/out_of_line.rs`.
fn rows() -> Vec<(String, Row)> {
    [
        ("w1_out_of_line", w1::ROWS),
        ("w2_out_of_line", w2::ROWS),
        ("w4_black_boxed", w4::ROWS),
    ]
    .into_iter()
    .flat_map(|(group, rows)| {
        rows.iter()
            .map(move |&(row, f)| (format!("{group}/{row}"), f))
    })
    .collect()
}

/// Runs every row with a few operations and checks it computes what its group's hand-written
/// row computes (so no row measures less work than the others).
fn check() {
    let mut expected = std::collections::HashMap::new();
    for (name, row) in rows() {
        let (group, _) = name.split_once('/').expect("group/row");
        let got = row(1000);
        let want = *expected.entry(group.to_owned()).or_insert(got);
        assert_eq!(
            got, want,
            "{name} computes {got}, the hand-written row {want}"
        );
    }
    println!("every row computes its group's hand-written result");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--list") => rows().iter().for_each(|(name, _)| println!("{name}")),
        Some("--check") => check(),
        Some("--callgrind") => {
            let [_, name, ops] = &args[..] else {
                panic!("usage: out_of_line --callgrind GROUP/ROW OPS");
            };
            let ops: u64 = ops.parse().expect("OPS is a number");
            let (_, row) = rows()
                .into_iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no row {name:?} (see --list)"));
            println!("{}", row(ops));
        }
        _ => eprintln!("usage: out_of_line --list | --check | --callgrind GROUP/ROW OPS"),
    }
}
