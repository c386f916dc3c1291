//! The timelines of `resumable::timeline`: what they show, and the pictures the guide embeds
//! (`core/src/guide/img/*.svg`), which are checked to be what the code draws now (regenerate
//! with `SNAPSHOTS=overwrite cargo test --test timelines`) and to be well-formed SVG with a row
//! per task.

#[path = "example_bin/mod.rs"]
mod example_bin;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use resumable::prelude::*;
use resumable::sched::RoundRobin;
use resumable::timeline::{Activity, Timeline};
use snapbox::{assert_data_eq, Data};

/// Where the guide's pictures are.
fn picture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("core/src/guide/img")
        .join(name)
}

/// Parses `svg` as XML and checks it is an SVG picture with a row labelled by each of `rows`,
/// in that order, and a legend.
fn check_svg(svg: &str, rows: &[&str]) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let groups = |class: &str| {
        let groups = root
            .children()
            .filter(|n| n.attribute("class") == Some(class));
        groups.collect::<Vec<_>>()
    };
    let labels: Vec<&str> = groups("row")
        .iter()
        .map(|g| {
            let label = g.children().find(|n| n.has_tag_name("text"));
            label.and_then(|t| t.text()).expect("a row has a label")
        })
        .collect();
    assert_eq!(labels, rows);
    for row in groups("row") {
        assert!(
            row.children().any(|n| n.has_tag_name("rect")),
            "a row has bars"
        );
    }
    let legend = groups("legend");
    assert_eq!(legend.len(), 1);
    assert!(legend[0].children().any(|n| n.has_tag_name("text")));
}

// The tutorial's three generators, as `examples/round_robin.rs` runs them.

#[generator(yield = u64)]
fn count_up_to(n: u64) {
    for i in 0..n {
        yield_!(i);
    }
}

#[generator(yield = u64)]
fn fib(n: usize) {
    let (mut a, mut b) = (0, 1);
    for _ in 0..n {
        yield_!(a);
        (a, b) = (b, a + b);
    }
}

#[generator(yield = u64)]
fn squares(n: u64) {
    for i in 0..n {
        yield_!(i * i);
    }
}

#[test]
fn the_round_robin_picture_is_the_tutorials_program_taking_turns() {
    let mut sched = RoundRobin::new();
    let mut timeline = Timeline::new("Round robin: three generators, one thread, a turn each");
    for (name, task) in [
        ("count_up_to", count_up_to(10).boxed()),
        ("fib", fib(8).boxed()),
        ("squares", squares(11).boxed()),
    ] {
        let id = sched.spawn(name, task);
        timeline.task_row(id, name);
    }
    while let Some(step) = sched.step() {
        timeline.record_step(&step);
    }
    // 10 + 8 + 11 yields, and a last turn each to return.
    assert_eq!(timeline.end(), 32);
    let text = timeline.to_string();
    assert!(
        text.contains("#2 fib          ·█··█··█··█··█··█··█··█··✓"),
        "{text}"
    );
    let svg = timeline.to_svg();
    check_svg(&svg, &["#1 count_up_to", "#2 fib", "#3 squares"]);
    assert_data_eq!(
        svg,
        Data::read_from(&picture("round_robin.svg"), None).raw()
    );
}

/// Runs the example `name` with `--svg FILE`, and returns what it wrote there.
fn drawn_by(name: &str) -> String {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.svg"));
    let _ = std::fs::remove_file(&file);
    let status = Command::new(example_bin::example_binary(name))
        .arg("--svg")
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the example runs");
    assert!(status.success());
    std::fs::read_to_string(&file).expect("the example wrote its picture")
}

#[test]
fn the_kernel_picture_is_what_the_kernel_example_draws() {
    let svg = drawn_by("kernel");
    check_svg(
        &svg,
        &["#1 boss", "#2 a", "#3 b", "#4 forever", "#5 careful"],
    );
    // On the virtual clock every run draws the same picture.
    assert_data_eq!(svg, Data::read_from(&picture("kernel.svg"), None).raw());
}

#[test]
fn the_chess_picture_has_a_row_per_board() {
    let boards: Vec<String> = (1..=10).map(|b| format!("board {b}")).collect();
    let boards: Vec<&str> = boards.iter().map(String::as_str).collect();
    // Measured on the real clock: no two runs draw the same picture, so the guide's is one
    // run's, checked for its shape only.
    check_svg(&drawn_by("chess"), &boards);
    let kept = std::fs::read_to_string(picture("chess.svg")).expect("the guide's chess picture");
    check_svg(&kept, &boards);
}

/// The `<title>`s (tooltips) of the bars on the row labelled `label`.
fn bars(svg: &str, label: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("XML");
    let row = doc.root_element().children().find(|g| {
        g.attribute("class") == Some("row")
            && g.children()
                .any(|t| t.has_tag_name("text") && t.text() == Some(label))
    });
    let row = row.unwrap_or_else(|| panic!("no row {label}"));
    let bars = row.children().filter(|n| n.has_tag_name("rect"));
    let titles = bars.filter_map(|r| r.children().find(|t| t.has_tag_name("title")));
    titles
        .filter_map(|t| t.text())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_hog_picture_shows_who_blocked_the_loop() {
    let svg = drawn_by("hog");
    let rows = ["1. ticker", "1. hog", "2. ticker", "2. polite"];
    check_svg(&svg, &rows);
    // The kernel's Report::Slow (through on_report) drew the hog's slice as blocking; the
    // polite worker's slices are short, so none of them is.
    let blocked = |label| {
        let bars = bars(&svg, label);
        bars.iter()
            .filter(|t| t.contains("blocked the loop"))
            .count()
    };
    assert_eq!(blocked("1. hog"), 1);
    assert_eq!(blocked("2. polite"), 0);
    assert!(
        bars(&svg, "2. polite")
            .iter()
            .filter(|t| t.contains(": ran"))
            .count()
            >= 30
    );
    // Meanwhile the ticker was due and waited: ready for most of the hog's 300 ms.
    let waited_long = bars(&svg, "1. ticker").iter().any(|t| {
        let Some(span) = t.strip_prefix("1. ticker: ready, ") else {
            return false;
        };
        let ms: Vec<u64> = span
            .split(" to ")
            .map(|end| end.trim_end_matches(" ms").parse().expect("a time in ms"))
            .collect();
        ms[1] - ms[0] > 250
    });
    assert!(waited_long, "{svg}");
    check_svg(
        &std::fs::read_to_string(picture("hog.svg")).expect("the guide's hog picture"),
        &rows,
    );
}

/// A time as a tooltip says it (`250 ms`, `3.012 s`), in seconds.
fn seconds(said: &str) -> f64 {
    match said.split_once(' ') {
        Some((n, "ms")) => n.parse::<f64>().expect("a number") / 1000.0,
        Some((n, "s")) => n.parse().expect("a number"),
        _ => panic!("not a time: {said:?}"),
    }
}

/// The (start, end) of the one sleep on the row labelled `label`.
fn slept(svg: &str, label: &str) -> (f64, f64) {
    let bars = bars(svg, label);
    let mut sleeps = bars.iter().filter_map(|t| t.split_once(": slept, "));
    let (_, when) = sleeps
        .next()
        .unwrap_or_else(|| panic!("{label} slept: {bars:?}"));
    assert!(sleeps.next().is_none(), "one sleep each");
    let (start, end) = when.split_once(" to ").expect("from .. to ..");
    (seconds(start), seconds(end))
}

#[test]
fn the_rt_picture_shows_the_naps_one_after_another_then_side_by_side() {
    // A "second" of 50 ms: the picture is drawn in the example's seconds all the same.
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sleep.svg");
    let status = Command::new(example_bin::example_binary("sleep"))
        .args(["50", "--svg"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the example runs");
    assert!(status.success());
    let svg = std::fs::read_to_string(&file).expect("the example wrote its picture");
    let rows = ["1. A", "1. B", "1. C", "2. A", "2. B", "2. C"];
    check_svg(&svg, &rows);
    // A timer never fires early, and may fire late: up to a "second" (50 ms) on a busy machine.
    let close = |a: f64, b: f64| a > b - 0.01 && a < b + 1.0;
    // One after another: each nap starts when the one before ends.
    let (a, b, c) = (
        slept(&svg, "1. A"),
        slept(&svg, "1. B"),
        slept(&svg, "1. C"),
    );
    assert!(close(a.0, 0.0) && close(a.1, 3.0), "{a:?}");
    assert!(b.0 >= a.1 && close(b.1, 5.0), "{b:?}");
    assert!(c.0 >= b.1 && close(c.1, 6.0), "{c:?}");
    // Side by side: all start at once, each ends after its own length.
    for (label, length) in [("2. A", 3.0), ("2. B", 2.0), ("2. C", 1.0)] {
        let (start, end) = slept(&svg, label);
        assert!(
            close(start, 0.0) && close(end, length),
            "{label}: {start}..{end}"
        );
    }
    check_svg(
        &std::fs::read_to_string(picture("rt.svg")).expect("the guide's rt picture"),
        &rows,
    );
}

#[test]
fn a_short_run_shows_over_a_long_sleep_and_a_run_that_took_no_time_shows_too() {
    let ms = Duration::from_millis;
    let mut timeline = Timeline::new("importance");
    let a = timeline.row("a");
    let b = timeline.row("b");
    timeline
        .span(a, Activity::Slept, ms(0)..ms(1000))
        .span(a, Activity::Ran, ms(500)..ms(501))
        .span(b, Activity::Ran, ms(640)..ms(640))
        .span(b, Activity::Ready, ms(0)..ms(1000));
    let text = timeline.to_string();
    // A row's cells: after its label, as wide as the axis's name "time", and two blanks.
    let row = |label: &str| {
        let line = text.lines().find(|l| l.starts_with(label)).unwrap();
        line.chars().skip("time".len() + 2).collect::<String>()
    };
    // 64 columns of 1000/64 ms: the run at 500 ms is in column 32, the one at 640 in 40.
    assert_eq!(row("a").chars().filter(|c| *c == '█').count(), 1, "{text}");
    assert_eq!(row("a").chars().position(|c| c == '█'), Some(32), "{text}");
    assert_eq!(row("b").chars().position(|c| c == '█'), Some(40), "{text}");
    // And in the picture, the run that took no time is a bar of its own, thin but there.
    let svg = timeline.to_svg();
    check_svg(&svg, &["a", "b"]);
    assert!(
        svg.contains("<title>b: ran, 640 ms to 640 ms</title>"),
        "{svg}"
    );
}

#[test]
fn round_robin_turns_mark_every_waiting_task_ready_and_a_finished_one_nothing() {
    let mut sched = RoundRobin::new();
    let mut timeline = Timeline::new("turns");
    for (name, n) in [("one", 1), ("three", 3)] {
        let id = sched.spawn(name, count_up_to(n));
        timeline.task_row(id, name);
    }
    while let Some(step) = sched.step() {
        timeline.record_step(&step);
    }
    // one: yields, ends; three: yields thrice, ends. After one ends it is not drawn at all.
    assert_eq!(
        timeline.to_string(),
        "turns\nturn      1\n#1 one    █·✓\n#2 three  ·█·██✓\n█ ran  ✓ ended  · ready\n"
    );
}
