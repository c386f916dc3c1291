//! A timeline as an SVG picture, written by hand: a `<rect>` per span, a `<text>` per label.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::{Activity, Line, Position, Span, Timeline};

/// The width of the plot, where the bars are, in pixels.
const PLOT: f64 = 720.0;
/// The height of a row, and of the bar in it.
const ROW: f64 = 22.0;
const BAR: f64 = 14.0;
/// Roughly how wide a character of the 12 px font is.
const CHAR: f64 = 7.0;
/// Where the rows start: below the title and the axis.
const TOP: f64 = 56.0;
/// The thinnest bar drawn: a run that took no time still shows.
const THINNEST: f64 = 1.5;

/// The fill of `activity`'s bars.
fn color(activity: Activity) -> &'static str {
    match activity {
        Activity::Ran => "#4c78a8",
        Activity::Ended => "#54a24b",
        Activity::Ready => "#d9d9d9",
        Activity::Slept => "#9ecae9",
        Activity::Waited => "#f2cf5b",
        Activity::Blocking => "#e45756",
    }
}

/// What a legend says of `activity`.
fn meaning(activity: Activity) -> &'static str {
    match activity {
        Activity::Ran => "ran (had the thread)",
        Activity::Ended => "ran, and ended",
        Activity::Ready => "ready (waiting for its turn)",
        Activity::Slept => "slept (on a timer)",
        Activity::Waited => "waited (a task, a socket)",
        Activity::Blocking => "blocked the loop",
    }
}

/// `text` with the characters XML reserves escaped.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Where positions go, in pixels.
struct Scale {
    left: f64,
    end: f64,
}

impl Scale {
    fn x(&self, at: f64) -> f64 {
        if self.end <= 0.0 {
            return self.left;
        }
        self.left + at / self.end * PLOT
    }
}

/// Whether touching spans of `activity` are one state going on (drawn as one bar), rather
/// than separate runs.
fn lasts(activity: Activity) -> bool {
    matches!(
        activity,
        Activity::Ready | Activity::Slept | Activity::Waited
    )
}

/// The spans of `line`, each run of touching spans of one lasting activity made one.
fn merged<P: Position>(line: &Line<P>) -> Vec<Span<P>> {
    let mut spans: Vec<Span<P>> = Vec::new();
    for span in &line.spans {
        match spans.last_mut() {
            Some(last)
                if last.activity == span.activity
                    && lasts(span.activity)
                    && last.end == span.start =>
            {
                last.end = span.end;
            }
            _ => spans.push(span.clone()),
        }
    }
    spans
}

/// When a span was, in words: `turn 3`, `turns 3 to 5` (or what the axis counts), `10 ms
/// to 30 ms`.
fn when<P: Position>(span: &Span<P>, unit: &str) -> String {
    if P::CELLS {
        let (first, last) = (span.start.value() as u64 + 1, span.end.value() as u64);
        if last <= first {
            return format!("{unit} {first}");
        }
        return format!("{unit}s {first} to {last}");
    }
    format!("{} to {}", span.start.describe(), span.end.describe())
}

pub(super) fn render<P: Position>(timeline: &Timeline<P>) -> String {
    let label_chars = timeline.rows.iter().map(|r| r.label.chars().count()).max();
    let left = 16.0 + CHAR * label_chars.unwrap_or(0).max(4) as f64;
    let scale = Scale {
        left,
        end: timeline.end().value(),
    };
    let rows_end = TOP + ROW * timeline.rows.len() as f64;
    let width = left + PLOT + 24.0;
    // The legend: an entry per activity shown, in lines as wide as the picture.
    let mut legend = Vec::new();
    let (mut x, mut y) = (8.0, rows_end + 20.0);
    for activity in timeline.activities() {
        let text = meaning(activity);
        let wide = 16.0 + CHAR * text.len() as f64 + 16.0;
        if x > 8.0 && x + wide > width {
            (x, y) = (8.0, y + 18.0);
        }
        legend.push((activity, text, x, y));
        x += wide;
    }
    let height = y + 14.0;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(svg, "  <title>{}</title>", escape(&timeline.title));
    let _ = writeln!(
        svg,
        "  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        svg,
        "  <text x=\"8\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        escape(&timeline.title)
    );
    axis(&mut svg, timeline, &scale, rows_end);
    for (i, line) in timeline.rows.iter().enumerate() {
        row(
            &mut svg,
            line,
            &scale,
            TOP + ROW * i as f64,
            &escape(timeline.unit()),
        );
    }
    let _ = writeln!(svg, "  <g class=\"legend\">");
    for (activity, text, x, y) in legend {
        let _ = writeln!(
            svg,
            "    <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/>",
            y - 10.0,
            color(activity)
        );
        let _ = writeln!(
            svg,
            "    <text x=\"{:.1}\" y=\"{y:.1}\">{text}</text>",
            x + 16.0
        );
    }
    let _ = writeln!(svg, "  </g>");
    svg.push_str("</svg>\n");
    svg
}

/// The axis: its numbers (or the marks set on it) above the rows, with a faint line down
/// through them at each.
fn axis<P: Position>(svg: &mut String, timeline: &Timeline<P>, scale: &Scale, rows_end: f64) {
    let labels: Vec<(f64, String)> = if timeline.marks.is_empty() {
        P::ticks(scale.end, 12)
    } else {
        let marks = timeline.marks.iter();
        marks
            .map(|(at, label)| (at.value(), label.clone()))
            .collect()
    };
    let _ = writeln!(svg, "  <g class=\"axis\" fill=\"#555555\">");
    let _ = writeln!(
        svg,
        "    <text x=\"8\" y=\"{:.1}\">{}</text>",
        TOP - 10.0,
        escape(timeline.unit())
    );
    let mut free_from = 8.0 + CHAR * (timeline.unit().chars().count() + 1) as f64;
    for (at, label) in labels {
        // A turn is a cell: the line goes at its start, its number in its middle.
        let line = scale.x(at);
        let x = scale.x(if P::CELLS { at + 0.5 } else { at });
        let half = CHAR * label.chars().count() as f64 / 2.0;
        // Centred on its place; or starting there, if only that clears the one before.
        let (anchor, right) = if x - half >= free_from {
            ("middle", x + half)
        } else if x >= free_from {
            ("start", x + 2.0 * half)
        } else {
            continue; // it would overlap the one before
        };
        free_from = right + CHAR;
        let _ = writeln!(
            svg,
            "    <line x1=\"{line:.1}\" y1=\"{:.1}\" x2=\"{line:.1}\" y2=\"{rows_end:.1}\" \
             stroke=\"#dddddd\"/>",
            TOP - 6.0
        );
        let _ = writeln!(
            svg,
            "    <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            TOP - 10.0,
            escape(&label)
        );
    }
    let _ = writeln!(svg, "  </g>");
}

/// One row: its label, then a bar per span (merged where one activity goes on).
fn row<P: Position>(svg: &mut String, line: &Line<P>, scale: &Scale, top: f64, unit: &str) {
    let label = escape(&line.label);
    let _ = writeln!(svg, "  <g class=\"row\">");
    let _ = writeln!(
        svg,
        "    <text x=\"8\" y=\"{:.1}\">{label}</text>",
        top + ROW / 2.0 + 4.0
    );
    for span in merged(line) {
        let mut x = scale.x(span.start.value());
        let mut width = (scale.x(span.end.value()) - x).max(THINNEST);
        if !lasts(span.activity) && width > 4.0 {
            // A hair of white between two runs in a row.
            x += 0.5;
            width -= 1.0;
        }
        let _ = writeln!(
            svg,
            "    <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{BAR}\" fill=\"{}\">\
             <title>{label}: {}, {}</title></rect>",
            top + (ROW - BAR) / 2.0,
            color(span.activity),
            span.activity.name(),
            when(&span, unit)
        );
    }
    let _ = writeln!(svg, "  </g>");
}
