//! A timeline as text: a character per turn, or per slice of time.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::{Activity, Line, Position, Timeline};

/// The most columns a drawing takes; a time axis always takes this many.
const COLUMNS: usize = 64;
/// The most columns turns may widen to, to make room for the marks on the axis.
const MARKED_COLUMNS: usize = 80;

/// The character drawn for `activity`.
pub(super) fn glyph(activity: Activity) -> char {
    match activity {
        Activity::Ran => '█',
        Activity::Ended => '✓',
        Activity::Ready => '·',
        Activity::Slept => '─',
        Activity::Waited => '░',
        Activity::Blocking => '▓',
    }
}

/// How the axis maps onto columns: how many, and how much of the axis each covers.
struct Columns {
    count: usize,
    width: f64,
}

impl Columns {
    fn of<P: Position>(timeline: &Timeline<P>) -> Columns {
        let end = timeline.end().value();
        if P::CELLS && end <= COLUMNS as f64 {
            // A character per turn; more if that makes room for the marks on the axis.
            let widest = timeline.marks.iter().map(|(_, l)| l.chars().count() + 1);
            let wanted = widest.max().unwrap_or(1);
            let per_turn = wanted.min(MARKED_COLUMNS / (end as usize).max(1)).max(1);
            return Columns {
                count: end as usize * per_turn,
                width: 1.0 / per_turn as f64,
            };
        }
        Columns {
            count: COLUMNS,
            width: end / COLUMNS as f64,
        }
    }

    /// The column `at` falls in.
    fn at(&self, at: f64) -> usize {
        if self.width <= 0.0 {
            return 0;
        }
        ((at / self.width) as usize).min(self.count.saturating_sub(1))
    }
}

pub(super) fn render<P: Position>(
    timeline: &Timeline<P>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    writeln!(f, "{}", timeline.title)?;
    if timeline.rows.is_empty() {
        return Ok(());
    }
    let columns = Columns::of(timeline);
    let width = timeline
        .rows
        .iter()
        .map(|r| r.label.chars().count())
        .chain([timeline.unit().chars().count()])
        .max()
        .unwrap_or(0);
    let ruler = ruler(timeline, &columns);
    writeln!(f, "{:width$}  {}", timeline.unit(), ruler.trim_end())?;
    for line in &timeline.rows {
        let cells: String = cells(line, &columns).into_iter().collect();
        writeln!(f, "{:width$}  {}", line.label, cells.trim_end())?;
    }
    let legend: Vec<String> = timeline
        .activities()
        .into_iter()
        .map(|a| alloc::format!("{} {}", glyph(a), a.name()))
        .collect();
    writeln!(f, "{}", legend.join("  "))
}

/// A row's characters: in each column, the most important activity of the spans that cover
/// some of it (a span that takes no time covers the column it is in).
fn cells<P: Position>(line: &Line<P>, columns: &Columns) -> Vec<char> {
    let mut best: Vec<Option<Activity>> = vec![None; columns.count];
    for span in &line.spans {
        let (start, end) = (span.start.value(), span.end.value());
        let first = columns.at(start);
        let last = if end > start {
            // The column holding the span's last instant.
            let last = columns.at(end);
            if last > first && (last as f64) * columns.width >= end {
                last - 1
            } else {
                last
            }
        } else {
            first
        };
        for cell in best.iter_mut().take(last + 1).skip(first) {
            if cell.is_none_or(|a| span.activity.rank() < a.rank()) {
                *cell = Some(span.activity);
            }
        }
    }
    // Where a turn takes several columns, an end is a run with a tick at its end: `███✓`.
    let last_of_turn = |i: usize| {
        let turn = |i: usize| (i as f64 * columns.width + 1e-9) as u64;
        i + 1 == columns.count || turn(i + 1) != turn(i)
    };
    let glyphs = best.into_iter().enumerate().map(|(i, a)| match a {
        Some(Activity::Ended) if !last_of_turn(i) => glyph(Activity::Ran),
        a => a.map_or(' ', glyph),
    });
    glyphs.collect()
}

/// The axis: its numbers (or the marks set on it), each at its column where it fits.
fn ruler<P: Position>(timeline: &Timeline<P>, columns: &Columns) -> String {
    let labels: Vec<(f64, String)> = if timeline.marks.is_empty() {
        P::ticks(timeline.end().value(), columns.count / 5)
    } else {
        let marks = timeline.marks.iter();
        marks
            .map(|(at, label)| (at.value(), label.clone()))
            .collect()
    };
    let mut ruler: Vec<char> = Vec::new();
    for (at, label) in labels {
        let column = columns.at(at);
        // One blank between two labels, or the later one is left out.
        let free = ruler.is_empty() || column > ruler.len();
        if !free || column >= columns.count {
            continue;
        }
        ruler.resize(column, ' ');
        ruler.extend(label.chars());
    }
    ruler.into_iter().collect()
}
