//! The outputs the guide quotes (`core/src/guide/*.md`) are what the examples print: every
//! quoted block marked `<!-- output of: NAME -->` must match the snapshot of that example's
//! stdout that `tests/example_outputs.rs` checks against a real run. So a change to an example
//! that would make a chapter lie fails here, naming the chapter and the line.
//!
//! A block matches when its lines appear in the snapshot in the same order (a chapter may
//! quote a part, and may leave lines out with a `...` line). In the snapshot, `[..]` stands for
//! whatever a run prints there (a port, a time): the chapter's line may have anything in its
//! place.

use std::fs;
use std::path::Path;

/// One quoted output: where it is, which example, its lines.
struct Quote {
    chapter: String,
    line: usize,
    example: String,
    lines: Vec<String>,
}

/// The quoted outputs of a chapter.
fn quotes(chapter: &str, text: &str) -> Vec<Quote> {
    let mut quotes = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(example) = line
            .trim()
            .strip_prefix("<!-- output of:")
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let opening = lines.next().map(|(_, l)| l.trim_end());
        assert_eq!(
            opening,
            Some("```text"),
            "{chapter}:{}: an output marker must be followed by a ```text block",
            n + 1
        );
        let block = lines
            .by_ref()
            .map(|(_, l)| l.trim_end().to_string())
            .take_while(|l| l != "```")
            .collect();
        quotes.push(Quote {
            chapter: chapter.to_string(),
            line: n + 2,
            example: example.trim().to_string(),
            lines: block,
        });
    }
    quotes
}

/// Whether `line` is what the snapshot's `pattern` allows (`[..]`: anything).
fn matches(pattern: &str, line: &str) -> bool {
    let pieces: Vec<&str> = pattern.split("[..]").collect();
    if pieces.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The first line of the quote not found, in order, in the snapshot.
fn first_missing<'q>(quote: &'q [String], snapshot: &str) -> Option<&'q str> {
    let mut snapshot = snapshot.lines().map(str::trim_end).filter(|l| *l != "...");
    for line in quote {
        if line == "..." || line == "…" {
            continue;
        }
        if !snapshot.by_ref().any(|pattern| matches(pattern, line)) {
            return Some(line);
        }
    }
    None
}

#[test]
fn every_output_the_guide_quotes_is_what_its_example_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = root.join("core/src/guide");
    let mut chapters: Vec<_> = fs::read_dir(&guide)
        .expect("core/src/guide")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for path in &chapters {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(path).expect("a chapter");
        for quote in quotes(&name, &text) {
            let snapshot = root.join(format!("tests/example_outputs/{}.stdout", quote.example));
            let snapshot = fs::read_to_string(&snapshot).unwrap_or_else(|e| {
                panic!(
                    "{}:{}: no snapshot for example {:?} ({e})",
                    quote.chapter, quote.line, quote.example
                )
            });
            if let Some(line) = first_missing(&quote.lines, &snapshot) {
                wrong.push(format!(
                    "{}:{} quotes `{}`, and its line {line:?} is not what it prints now \
                     (tests/example_outputs/{}.stdout)",
                    quote.chapter, quote.line, quote.example, quote.example
                ));
            }
            checked += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "the guide quotes outputs the examples no longer print:\n  {}",
        wrong.join("\n  ")
    );
    assert!(
        checked >= 15,
        "only {checked} quoted outputs found: are the markers gone?"
    );
}

#[test]
fn a_snapshot_wildcard_stands_for_anything_and_nothing_else() {
    assert!(matches("port [..] open", "port 4567 open"));
    assert!(matches("[..] ms", "12.5 ms"));
    assert!(!matches("port [..] open", "port 4567 closed"));
    assert!(!matches("exact", "exactly"));
    let quote = ["a".to_string(), "...".to_string(), "c 9".to_string()];
    assert_eq!(first_missing(&quote, "a\nb\nc [..]\n"), None);
    assert_eq!(
        first_missing(&quote, "c [..]\na\n"),
        Some("c 9"),
        "order matters"
    );
}
