//! `pipeline`: generators as the stages of a data pipeline, after David Beazley's "Generator
//! Tricks for Systems Programmers" — first pulled (each stage iterates the one before it), then
//! pushed (each stage is sent lines and sends them on).
//!
//! The stages are chosen at run time from a list, so the pipeline cannot know their types: a
//! stage takes "some generator of lines" and returns another. `BoxGen` is that type. It keeps
//! the whole generator API (`take_return`, `state`, `send`, `close`), so the pipeline can still
//! ask each stage what it counted, and fits in a struct field, a `Vec` and a trait method.
//!
//! Run with `cargo run --example pipeline`.
use resumable::prelude::*;
use resumable::BoxGen;

const LOG: &str = "\
10.0.0.1 GET /index.html 200
10.0.0.2 GET /missing 404
# a comment the pipeline skips
10.0.0.1 POST /login 200
10.0.0.3 GET /missing 404
10.0.0.1 GET /index.html 200
10.0.0.2 GET /admin 403";

/// A generator of lines that returns how many lines it handed on.
type Lines<'a> = BoxGen<'a, &'a str, (), usize>;

/// The source: every line of `text`.
#[generator(yield = &'a str)]
fn lines<'a>(text: &'a str) -> usize {
    let mut n = 0;
    for line in text.lines() {
        n += 1;
        yield_!(line);
    }
    n
}

/// Passes on the lines `keep` accepts.
#[generator(yield = &'a str)]
fn filter<'a>(mut input: Lines<'a>, keep: Box<dyn Fn(&str) -> bool + Send + 'a>) -> usize {
    let mut n = 0;
    for line in input.by_ref() {
        if keep(line) {
            n += 1;
            yield_!(line);
        }
    }
    n
}

/// Passes on the `index`th field of each line (fields split by spaces).
#[generator(yield = &'a str)]
fn field<'a>(mut input: Lines<'a>, index: usize) -> usize {
    let mut n = 0;
    for line in input.by_ref() {
        if let Some(f) = line.split(' ').nth(index) {
            n += 1;
            yield_!(f);
        }
    }
    n
}

/// Passes on each line the first time it is seen: state kept across yields.
#[generator(yield = &'a str)]
fn dedupe<'a>(mut input: Lines<'a>) -> usize {
    let mut seen = std::collections::HashSet::new();
    for line in input.by_ref() {
        if seen.insert(line) {
            yield_!(line);
        }
    }
    seen.len()
}

/// One stage of a pipeline: wraps the generator before it in its own.
trait Stage {
    fn describe(&self) -> String;
    fn apply<'a>(&'a self, input: Lines<'a>) -> Lines<'a>;
}

struct Grep(&'static str);
struct SkipComments;
struct Field(usize);
struct Dedupe;

impl Stage for Grep {
    fn describe(&self) -> String {
        format!("grep {:?}", self.0)
    }
    fn apply<'a>(&'a self, input: Lines<'a>) -> Lines<'a> {
        let pattern = self.0;
        filter(input, Box::new(move |l| l.contains(pattern))).boxed()
    }
}

impl Stage for SkipComments {
    fn describe(&self) -> String {
        "skip comments".into()
    }
    fn apply<'a>(&'a self, input: Lines<'a>) -> Lines<'a> {
        filter(input, Box::new(|l| !l.starts_with('#'))).boxed()
    }
}

impl Stage for Field {
    fn describe(&self) -> String {
        format!("field {}", self.0)
    }
    fn apply<'a>(&'a self, input: Lines<'a>) -> Lines<'a> {
        field(input, self.0).boxed()
    }
}

impl Stage for Dedupe {
    fn describe(&self) -> String {
        "dedupe".into()
    }
    fn apply<'a>(&'a self, input: Lines<'a>) -> Lines<'a> {
        dedupe(input).boxed()
    }
}

/// A pipeline put together at run time.
struct Pipeline {
    stages: Vec<Box<dyn Stage>>,
}

impl Pipeline {
    fn run<'a>(&'a self, text: &'a str) -> Lines<'a> {
        let mut g = lines(text).boxed();
        for stage in &self.stages {
            g = stage.apply(g);
        }
        g
    }
}

/// A push stage (a coroutine, in Beazley's sense): sent lines, then `None` at the end of the
/// input, when it returns what it kept.
type Sink<'a> = BoxGen<'a, (), Option<&'a str>, Vec<&'a str>>;

/// Keeps the lines that contain `pattern`.
#[generator(yield = (), resume = Option<&'a str>)]
fn collect_matching<'a>(pattern: &'static str) -> Vec<&'a str> {
    let mut kept = Vec::new();
    while let Some(line) = yield_!(()) {
        if line.contains(pattern) {
            kept.push(line);
        }
    }
    kept
}

/// Sends every line of `text` to every sink, then the end of the input; returns what each
/// sink kept.
fn broadcast<'a>(text: &'a str, mut sinks: Vec<Sink<'a>>) -> Vec<Vec<&'a str>> {
    for sink in &mut sinks {
        sink.start(); // to its first yield: the priming rule
    }
    for line in text.lines() {
        for sink in &mut sinks {
            sink.send(Some(line));
        }
    }
    sinks
        .iter_mut()
        .map(|sink| match sink.send(None) {
            GeneratorState::Complete(kept) => kept,
            GeneratorState::Yielded(()) => unreachable!("a sink returns at the end of the input"),
        })
        .collect()
}

fn main() {
    println!("pulled: each stage iterates the one before it\n");
    let pipeline = Pipeline {
        stages: vec![
            Box::new(SkipComments),
            Box::new(Grep(" 404")),
            Box::new(Field(2)),
            Box::new(Dedupe),
        ],
    };
    let plan: Vec<String> = pipeline.stages.iter().map(|s| s.describe()).collect();
    println!("stages: lines | {}", plan.join(" | "));
    let mut out = pipeline.run(LOG);
    println!("before running: {out:?}");
    for path in out.by_ref() {
        println!("  missing page: {path}");
    }
    println!(
        "distinct lines the last stage passed on: {}; it is now {:?}",
        out.take_return().expect("it returned"),
        out.state()
    );

    let hosts_only = Pipeline {
        stages: vec![Box::new(SkipComments), Box::new(Field(0)), Box::new(Dedupe)],
    };
    let hosts: Vec<&str> = hosts_only.run(LOG).collect();
    println!("  every host: {}", hosts.join(", "));

    println!("\npushed: lines are sent to several sinks kept in a Vec\n");
    let sinks: Vec<Sink<'_>> = vec![
        collect_matching(" 200").boxed(),
        collect_matching("/missing").boxed(),
        collect_matching("POST").boxed(),
    ];
    for (kept, name) in broadcast(LOG, sinks).iter().zip(["ok", "missing", "posts"]) {
        println!("  {name:<8} {} lines: {kept:?}", kept.len());
    }
}
