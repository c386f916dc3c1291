//! The two axes a timeline can have: turns (`u64`) and time (`Duration`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

/// A position on a [`Timeline`](super::Timeline)'s axis: a turn (`u64`, counted from 0: the
/// first turn is `0..1`, drawn as turn 1) or a time (`Duration`, since the start).
///
/// Sealed: these two are the axes there are.
///
/// ```
/// use std::time::Duration;
/// use resumable::timeline::{Activity, Timeline};
///
/// let mut turns = Timeline::<u64>::new("by turn");
/// let mut time = Timeline::<Duration>::new("by time");
/// let (a, b) = (turns.row("a"), time.row("b"));
/// turns.span(a, Activity::Ran, 0..1);
/// time.span(b, Activity::Ran, Duration::ZERO..Duration::from_millis(5));
/// ```
pub trait Position: Copy + PartialOrd + sealed::Sealed {
    /// The start of the axis.
    const ZERO: Self;
    /// Whether a position is a cell (a turn, numbered from 1) rather than a point in time.
    #[doc(hidden)]
    const CELLS: bool;
    /// The position as a number: turns, or seconds.
    #[doc(hidden)]
    fn value(self) -> f64;
    /// Where to put numbers on an axis `end` long, at most about `most` of them: each a
    /// position (as from `value`) and its label.
    #[doc(hidden)]
    fn ticks(end: f64, most: usize) -> Vec<(f64, String)>;
    /// The position in words, for a tooltip: `turn 3`, `250 ms`.
    #[doc(hidden)]
    fn describe(self) -> String;
    /// What the axis counts, written before its numbers in the text drawing.
    #[doc(hidden)]
    const UNIT: &'static str;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u64 {}
    impl Sealed for core::time::Duration {}
}

/// The smallest step of 1, 2 or 5 times a power of ten (times `base`) that puts at most
/// `most` steps in `end`.
fn step(end: f64, most: usize, base: f64) -> f64 {
    let most = most.max(1) as f64;
    let mut scale = base;
    loop {
        for factor in [1.0, 2.0, 5.0] {
            let step = scale * factor;
            if end / step <= most {
                return step;
            }
        }
        scale *= 10.0;
    }
}

impl Position for u64 {
    const ZERO: u64 = 0;
    const CELLS: bool = true;
    const UNIT: &'static str = "turn";

    fn value(self) -> f64 {
        self as f64
    }

    /// Turn 1, then every multiple of the step: `1 5 10 15` (cells are numbered from 1).
    fn ticks(end: f64, most: usize) -> Vec<(f64, String)> {
        let turns = end as u64;
        if turns == 0 {
            return Vec::new();
        }
        let step = step(end, most, 1.0) as u64;
        let numbers = (1..=turns).filter(|n| *n == 1 || n % step == 0);
        let numbers = numbers.filter(|n| !(*n == 1 && step == 2)); // 1 and 2 would touch
        let numbers = numbers.map(|n| ((n - 1) as f64, format!("{n}")));
        numbers.collect()
    }

    fn describe(self) -> String {
        format!("turn {}", self + 1)
    }
}

impl Position for Duration {
    const ZERO: Duration = Duration::ZERO;
    const CELLS: bool = false;
    const UNIT: &'static str = "time";

    fn value(self) -> f64 {
        self.as_secs_f64()
    }

    /// 0 and every multiple of a round step: `0 ms 100 ms 200 ms`, `0 s 1 s 2 s`.
    fn ticks(end: f64, most: usize) -> Vec<(f64, String)> {
        if end <= 0.0 {
            return Vec::new();
        }
        let step = step(end, most, 0.001);
        let mut ticks = Vec::new();
        let mut k = 0u32;
        loop {
            let at = step * f64::from(k);
            if at > end * 1.000_001 {
                return ticks;
            }
            ticks.push((at, label(at, step, end)));
            k += 1;
        }
    }

    fn describe(self) -> String {
        if self < Duration::from_secs(1) {
            format!("{} ms", (self.as_secs_f64() * 1000.0 + 0.5) as u64)
        } else {
            format!("{:.3} s", self.as_secs_f64())
        }
    }
}

/// `at` seconds as a label on an axis `end` long with ticks `step` apart: whole milliseconds
/// on an axis shorter than a second (`250 ms`), else seconds with the decimals the step needs
/// (`1.5 s`).
fn label(at: f64, step: f64, end: f64) -> String {
    if end < 1.0 {
        return format!("{} ms", (at * 1000.0 + 0.5) as u64);
    }
    let decimals = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else if step >= 0.01 {
        2
    } else {
        3
    };
    format!("{at:.decimals$} s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_ticks_start_at_one_and_step_by_round_numbers() {
        let labels = |end: u64, most| {
            let ticks = <u64 as Position>::ticks(end as f64, most);
            ticks.into_iter().map(|(_, l)| l).collect::<Vec<_>>()
        };
        assert_eq!(labels(32, 7), ["1", "5", "10", "15", "20", "25", "30"]);
        assert_eq!(labels(3, 10), ["1", "2", "3"]);
        assert_eq!(labels(0, 10), Vec::<String>::new());
    }

    #[test]
    fn time_ticks_are_round_and_say_their_unit() {
        let labels = |end: f64, most| {
            let ticks = <Duration as Position>::ticks(end, most);
            ticks.into_iter().map(|(_, l)| l).collect::<Vec<_>>()
        };
        assert_eq!(
            labels(0.25, 5),
            ["0 ms", "50 ms", "100 ms", "150 ms", "200 ms", "250 ms"]
        );
        assert_eq!(
            labels(6.0, 6),
            ["0 s", "1 s", "2 s", "3 s", "4 s", "5 s", "6 s"]
        );
        assert_eq!(
            labels(2.4, 6),
            ["0.0 s", "0.5 s", "1.0 s", "1.5 s", "2.0 s"]
        );
    }
}
