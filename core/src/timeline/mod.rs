//! Timelines of tasks: which task ran in which turn, who slept, who waited, who blocked the
//! loop — drawn as text or as an SVG picture.
//!
//! A [`Timeline`] has a row per task and, on each row, spans of [`Activity`] along one axis:
//! turns (`Timeline<u64>`: a scheduler's turns, a kernel's passes) or time
//! (`Timeline<Duration>`). It is filled from what the schedulers already report:
//!
//! * [`record_step`](Timeline::record_step) takes a [`sched::Step`](crate::sched::Step), one
//!   turn of a [`RoundRobin`](crate::sched::RoundRobin);
//! * [`record_pass`](Timeline::record_pass) takes two kernel
//!   [`Snapshot`](crate::kernel::Snapshot)s, from before and after one
//!   [`Kernel::run_once`](crate::kernel::Kernel::run_once) pass;
//! * [`span`](Timeline::span) takes anything else: an `rt` program can note when each of its
//!   tasks ran and slept (`rt::now()` before and after).
//!
//! Then [`to_svg`](Timeline::to_svg) draws it (a picture with a legend, for a page) and its
//! `Display` writes it as text, a character per turn (for a terminal). The `kernel` example
//! prints its passes this way; it, `hog` and `chess` draw theirs with `--svg FILE`.
//!
//! ```
//! use resumable::prelude::*;
//! use resumable::sched::RoundRobin;
//! use resumable::timeline::Timeline;
//!
//! let mut sched = RoundRobin::new();
//! let ab = sched.spawn("ab", coroutine! { yield 'a'; yield 'b'; });
//! let c = sched.spawn("c", coroutine! { yield 'c'; });
//!
//! let mut timeline = Timeline::new("Two generators, one thread");
//! timeline.task_row(ab, "ab"); // a row per task, in spawn order, before the first turn
//! timeline.task_row(c, "c");
//! while let Some(step) = sched.step() {
//!     timeline.record_step(&step);
//! }
//! assert_eq!(timeline.to_string(), "\
//! Two generators, one thread
//! turn   1   5
//! #1 ab  █·█·✓
//! #2 c   ·█·✓
//! █ ran  ✓ ended  · ready
//! ");
//! let svg = timeline.to_svg();
//! assert!(svg.starts_with("<svg") && svg.contains(">#2 c</text>"));
//! ```

mod axis;
mod record;
mod svg;
mod text;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use crate::sched::TaskId;

pub use axis::Position;

/// What a task was doing during a span of a [`Timeline`].
///
/// ```
/// use resumable::timeline::Activity;
///
/// assert_eq!(Activity::Slept.name(), "slept");
/// assert_eq!(Activity::ALL[0], Activity::Ran); // the legend's order
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activity {
    /// It had the thread: resumed, running to its next yield.
    Ran,
    /// Its last turn: it returned (or was killed, or cancelled and ended).
    Ended,
    /// Ready to run, waiting for its turn: in the run queue, behind the tasks that run.
    Ready,
    /// Asleep on a timer.
    Slept,
    /// Waiting for something other than time: another task to end, a socket, a waker.
    Waited,
    /// Ran without yielding for longer than it should: the whole loop waited for it (what
    /// [`Report::Slow`](crate::kernel::Report::Slow) catches).
    Blocking,
}

impl Activity {
    /// Every activity, in the legend's order.
    pub const ALL: [Activity; 6] = [
        Activity::Ran,
        Activity::Ended,
        Activity::Ready,
        Activity::Slept,
        Activity::Waited,
        Activity::Blocking,
    ];

    /// The words the legends use: "ran", "slept", ….
    ///
    /// ```
    /// use resumable::timeline::Activity;
    ///
    /// assert_eq!(Activity::Blocking.name(), "blocked the loop");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Activity::Ran => "ran",
            Activity::Ended => "ended",
            Activity::Ready => "ready",
            Activity::Slept => "slept",
            Activity::Waited => "waited",
            Activity::Blocking => "blocked the loop",
        }
    }

    /// Which shows where spans overlap in one cell of a drawing: the lowest (so a 2 ms run
    /// is not lost in a second of sleep).
    fn rank(self) -> u8 {
        match self {
            Activity::Blocking => 0,
            Activity::Ended => 1,
            Activity::Ran => 2,
            Activity::Waited => 3,
            Activity::Slept => 4,
            Activity::Ready => 5,
        }
    }
}

/// A row of a [`Timeline`], as [`row`](Timeline::row) and [`task_row`](Timeline::task_row)
/// return it.
///
/// ```
/// use resumable::timeline::Timeline;
///
/// let mut timeline = Timeline::<u64>::new("rows");
/// let a = timeline.row("a");
/// assert_eq!(timeline.row("a"), a); // the same label is the same row
/// assert_ne!(timeline.row("b"), a);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Row(usize);

/// One span of a row: what the task did from `start` to `end`.
#[derive(Debug, Clone, PartialEq)]
struct Span<P> {
    activity: Activity,
    start: P,
    end: P,
}

/// One row: a task, or whatever the label says.
#[derive(Debug, Clone)]
struct Line<P> {
    label: String,
    task: Option<TaskId>,
    spans: Vec<Span<P>>,
}

impl<P> Line<P> {
    /// Whether the task's last turn is on the row.
    fn ended(&self) -> bool {
        self.spans.iter().any(|s| s.activity == Activity::Ended)
    }
}

/// Rows of tasks and what each did along one axis: turns (`P = u64`, the default) or time
/// (`P = Duration`). Drawn by [`to_svg`](Timeline::to_svg), and by `Display` as text.
///
/// On a time axis, spans are given by their start and end:
///
/// ```
/// use std::time::Duration;
/// use resumable::timeline::{Activity, Timeline};
///
/// let ms = Duration::from_millis;
/// let mut naps = Timeline::new("Two naps at once");
/// let a = naps.row("A");
/// let b = naps.row("B");
/// naps.span(a, Activity::Slept, ms(0)..ms(30));
/// naps.span(b, Activity::Slept, ms(0)..ms(20));
/// assert_eq!(naps.end(), ms(30));
/// let text = naps.to_string(); // a column per 1/64 of the axis
/// assert!(text.lines().any(|l| l.starts_with("A") && l.ends_with("──────")), "{text}");
/// assert!(naps.to_svg().contains("<title>A: slept, 0 ms to 30 ms</title>"));
/// ```
#[derive(Debug, Clone)]
pub struct Timeline<P = u64> {
    title: String,
    /// What the axis counts, if not what `P` says (`turn`, `time`).
    unit: Option<String>,
    rows: Vec<Line<P>>,
    /// Labels set on the axis, by position (a kernel pass's clock).
    marks: Vec<(P, String)>,
}

impl<P: Position> Timeline<P> {
    /// An empty timeline with this title.
    ///
    /// ```
    /// use resumable::timeline::Timeline;
    ///
    /// let timeline = Timeline::<u64>::new("Nothing yet");
    /// assert_eq!(timeline.to_string(), "Nothing yet\n");
    /// ```
    pub fn new(title: impl Into<String>) -> Timeline<P> {
        Timeline {
            title: title.into(),
            unit: None,
            rows: Vec::new(),
            marks: Vec::new(),
        }
    }

    /// The row labelled `label`, added below the others if there is none yet.
    ///
    /// ```
    /// use resumable::timeline::{Activity, Timeline};
    ///
    /// let mut timeline = Timeline::new("one row");
    /// let row = timeline.row("worker");
    /// timeline.span(row, Activity::Ran, 0..2);
    /// assert!(timeline.to_string().contains("worker  ██"));
    /// ```
    pub fn row(&mut self, label: impl Into<String>) -> Row {
        let label = label.into();
        match self.rows.iter().position(|r| r.label == label) {
            Some(i) => Row(i),
            None => self.push(label, None),
        }
    }

    /// The row of task `id`, added (labelled `#id name`) if there is none yet. Adding the
    /// rows of tasks before anything is recorded puts them in that order.
    ///
    /// ```
    /// use resumable::prelude::*;
    /// use resumable::sched::RoundRobin;
    /// use resumable::timeline::Timeline;
    ///
    /// let mut sched = RoundRobin::new();
    /// let id = sched.spawn("job", coroutine! { yield 1; });
    /// let mut timeline = Timeline::<u64>::new("jobs");
    /// let row = timeline.task_row(id, "job");
    /// assert_eq!(timeline.row("#1 job"), row);
    /// ```
    pub fn task_row(&mut self, id: TaskId, name: &str) -> Row {
        match self.rows.iter().position(|r| r.task == Some(id)) {
            Some(i) => Row(i),
            None => self.push(alloc::format!("{id} {name}"), Some(id)),
        }
    }

    fn push(&mut self, label: String, task: Option<TaskId>) -> Row {
        self.rows.push(Line {
            label,
            task,
            spans: Vec::new(),
        });
        Row(self.rows.len() - 1)
    }

    /// Notes that the task of `row` was doing `activity` over `range`. An empty or reversed
    /// range is drawn as the thinnest span there is (a run that took no time, on a virtual
    /// clock, still shows).
    ///
    /// ```
    /// use resumable::timeline::{Activity, Timeline};
    ///
    /// let mut timeline = Timeline::new("spans");
    /// let row = timeline.row("t");
    /// timeline.span(row, Activity::Ran, 0..1).span(row, Activity::Slept, 1..3);
    /// assert_eq!(timeline.end(), 3);
    /// ```
    ///
    /// # Panics
    /// If `row` is not a row of this timeline.
    pub fn span(&mut self, row: Row, activity: Activity, range: Range<P>) -> &mut Self {
        self.rows[row.0].spans.push(Span {
            activity,
            start: range.start,
            end: range.end,
        });
        self
    }

    /// Labels the axis at `at` with `label`, in place of the axis's own numbers (a kernel
    /// pass's clock reading, say). Labels that would overlap are left out of the drawing.
    ///
    /// ```
    /// use resumable::timeline::{Activity, Timeline};
    ///
    /// let mut timeline = Timeline::new("passes");
    /// let row = timeline.row("t");
    /// timeline.span(row, Activity::Ran, 0..4);
    /// timeline.mark(0, "0 ms").mark(2, "10 ms");
    /// assert!(timeline.to_string().contains("0 ms"));
    /// ```
    pub fn mark(&mut self, at: P, label: impl Into<String>) -> &mut Self {
        self.marks.push((at, label.into()));
        self
    }

    /// Names the axis: `turn` for turns and `time` for time unless said otherwise.
    ///
    /// ```
    /// use resumable::timeline::{Activity, Timeline};
    ///
    /// let mut timeline = Timeline::new("named");
    /// let row = timeline.row("t");
    /// timeline.span(row, Activity::Ran, 0..1).axis("step");
    /// assert!(timeline.to_string().contains("step  1"));
    /// ```
    pub fn axis(&mut self, name: impl Into<String>) -> &mut Self {
        self.unit = Some(name.into());
        self
    }

    /// What the axis is called.
    fn unit(&self) -> &str {
        self.unit.as_deref().unwrap_or(P::UNIT)
    }

    /// Where the last span ends: the length of the axis.
    ///
    /// ```
    /// use resumable::timeline::Timeline;
    ///
    /// assert_eq!(Timeline::<u64>::new("empty").end(), 0);
    /// ```
    #[must_use]
    pub fn end(&self) -> P {
        let ends = self.rows.iter().flat_map(|r| &r.spans).map(|s| s.end);
        ends.fold(P::ZERO, |a, b| if b > a { b } else { a })
    }

    /// The activities that occur, in the legend's order: what a legend lists.
    ///
    /// ```
    /// use resumable::timeline::{Activity, Timeline};
    ///
    /// let mut timeline = Timeline::new("used");
    /// let row = timeline.row("t");
    /// timeline.span(row, Activity::Slept, 0..2).span(row, Activity::Ran, 2..3);
    /// assert_eq!(timeline.activities(), [Activity::Ran, Activity::Slept]);
    /// ```
    #[must_use]
    pub fn activities(&self) -> Vec<Activity> {
        let used = |a: &Activity| {
            self.rows
                .iter()
                .flat_map(|r| &r.spans)
                .any(|s| s.activity == *a)
        };
        Activity::ALL.into_iter().filter(used).collect()
    }

    /// The picture: an SVG document, a row per task with a label, the axis above, a colored
    /// bar per span (its tooltip says what and when) and a legend below. Self-contained, for a
    /// page or an `<img>`.
    ///
    /// ```
    /// use resumable::timeline::{Activity, Timeline};
    ///
    /// let mut timeline = Timeline::new("A & B");
    /// let row = timeline.row("<a>");
    /// timeline.span(row, Activity::Ran, 0..1);
    /// let svg = timeline.to_svg();
    /// assert!(svg.contains("A &amp; B") && svg.contains("&lt;a&gt;"));
    /// assert!(svg.trim_end().ends_with("</svg>"));
    /// ```
    #[must_use]
    pub fn to_svg(&self) -> String {
        svg::render(self)
    }
}

/// The timeline as text: the title, the axis, a row per task with a character per column
/// (a turn, or a slice of time: the most important activity in it shows), and a legend.
impl<P: Position> fmt::Display for Timeline<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::render(self, f)
    }
}
