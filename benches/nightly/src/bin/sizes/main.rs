//! `size_of` of resumable's generators next to nightly's coroutines for the same bodies, what
//! makes the difference (field by field, from the types), what a change would save, and the
//! bytes `sched::RoundRobin` keeps per task for each. Prints Markdown tables; `run.sh` runs it.

mod counting;
mod delegation;
mod tasks;

use std::mem::size_of_val;

use resumable_nightly_reference::bodies::*;
use resumable_nightly_reference::layout::{
    AsItIs, Breakdown, Minimal, NoAt, Savings, no_locations_with, replicas, stage_only_with,
    with_future,
};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// One body's figures for the tables.
struct Row {
    name: &'static str,
    nightly: usize,
    gen_block: Option<usize>,
    pinned: Breakdown,
    savings: Savings,
    /// The boxed form: its handle and the `PinnedGen` it boxes.
    boxed: (usize, usize),
    /// The replicas of the body's future with `AsItIs`, `NoAt` and `Minimal` yield futures,
    /// and the generator sizes with the latter two.
    replica: usize,
    no_at: usize,
    minimal: usize,
    /// No marks and no `at` in the yield future.
    no_locations: usize,
    /// No identity, no marks, and a yield future holding only its value: the stage alone.
    all: usize,
}

/// Measures a body: `$nightly` and `$gen` its nightly forms, `$pinned` and `$boxed` ours,
/// `$replica` its `async` block as the macros write it (see `layout::replicas`).
macro_rules! row {
    ($name:literal, $nightly:expr, $gen:expr, $pinned:expr, $boxed:expr, |$k:ident| $replica:expr) => {{
        let nightly = $nightly;
        let pinned = $pinned;
        let mut boxed = $boxed;
        let as_is = {
            type $k = AsItIs;
            $replica
        };
        let no_at = {
            type $k = NoAt;
            $replica
        };
        let minimal = {
            type $k = Minimal;
            $replica
        };
        Row {
            name: $name,
            nightly: size_of_val(&nightly),
            gen_block: $gen.map(|g| size_of_val(&g)),
            pinned: Breakdown::of(&pinned),
            savings: Savings::of(&pinned),
            boxed: (size_of_val(&boxed), size_of_val(&*boxed.as_pin_mut())),
            replica: size_of_val(&as_is),
            no_at: with_future(&pinned, &no_at),
            minimal: with_future(&pinned, &minimal),
            no_locations: no_locations_with(&pinned, &no_at),
            all: stage_only_with(&pinned, &minimal),
        }
    }};
}

fn rows() -> Vec<Row> {
    vec![
        row!(
            "W5 task (`rr_task`)",
            nightly_rr_task(100),
            Some(gen_rr_task(100)),
            rr_task_pinned(100),
            rr_task(100),
            |K| replicas::rr_task::<K>(100)
        ),
        row!(
            "W1 (`count`)",
            nightly_count(10),
            Some(gen_count(10)),
            count_pinned(10),
            count(10),
            |K| replicas::count::<K>(10)
        ),
        row!(
            "W2 (`adder`)",
            nightly_adder(),
            None::<()>,
            adder_pinned(),
            adder(),
            |K| replicas::adder::<K>()
        ),
        row!(
            "W4 (`three`)",
            nightly_three(1),
            Some(gen_three(1)),
            three_pinned(1),
            three(1),
            |K| replicas::three::<K>(1)
        ),
    ]
}

fn main() {
    let rows = rows();
    println!("## size_of: resumable generators and nightly coroutines, same bodies\n");
    println!("Bytes. Boxed: the handle + its heap block (the `PinnedGen`).\n");
    println!(
        "| body | nightly `#[coroutine]` | nightly `gen` | **resumable** `pinned` | \
         **resumable** boxed | pinned − nightly |"
    );
    println!("|---|--:|--:|--:|--:|--:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} + {} | +{} |",
            r.name,
            r.nightly,
            r.gen_block.map_or("—".into(), |g| g.to_string()),
            r.pinned.total,
            r.boxed.0,
            r.boxed.1,
            r.pinned.total - r.nightly
        );
    }
    println!("\n## size_of: delegation chains\n");
    delegation::table();

    println!("\n## Where the bytes go: `PinnedGen {{ body: BodyCell {{ stage, id }}, marks }}`\n");
    println!(
        "From the types (`layout.rs` mirrors them and checks the mirror's size against each \
         value). stage = the largest of closure (`Created`), future (`Suspended`, \
         `Poisoned`) and kept return value (`Returned`), plus its `repr(u8)` tag, which is \
         the generator's state (there is no status field). The future is the `async` block: the body's \
         locals, as in the nightly coroutine, plus its `Co` and the `YieldFuture` it awaits \
         at every yield (value: `Option<Y>`, `at: &Location`, `body: BodyId`).\n"
    );
    println!(
        "| body | nightly | **PinnedGen** | stage | id | marks | closure / future / returned \
         | future − nightly | `Co` | `YieldFuture` | replica of the future |"
    );
    println!("|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|");
    for r in &rows {
        let b = r.pinned;
        assert_eq!(
            r.boxed.1, b.total,
            "{}: the boxed form boxes a PinnedGen as big",
            r.name
        );
        println!(
            "| {} | {} | **{}** | {} | {} | {} | {} / {} / {} | +{} | {} | {} | {}{} |",
            r.name,
            r.nightly,
            b.total,
            b.stage,
            b.id,
            b.marks,
            b.closure,
            b.future,
            b.returned,
            b.future as isize - r.nightly as isize,
            b.co,
            b.yield_future,
            r.replica,
            if r.replica == b.future {
                " (= future)"
            } else {
                " (≠ future!)"
            },
        );
    }

    println!(
        "\n## What a change to the generator would save (size of the `pinned` generator with it)\n"
    );
    println!(
        "Each column is the mirror with the change; where the change is to the yield future \
         (no `at`; the value alone, with no `Co`), the body's future is the replica of its \
         `async` block awaiting that smaller future (the replica's size checked equal to the \
         real future's above when it awaits one laid out as `YieldFuture`). The status is \
         already the stage's tag (one tag, no status field beside it), so \"as is\" has that \
         saving; the last column but one is the floor: the stage alone, holding a body that \
         awaits its bare value, as a nightly coroutine holds its locals and one tag.\n"
    );
    println!(
        "| body | as is | no `id` | no marks | `YieldFuture` without `at` | no locations (no \
         marks, no `at`) | yield future = its value, no `Co` | floor: all of these | nightly |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for r in &rows {
        let s = r.savings;
        let t = r.pinned.total;
        let d = |v: usize| format!("{v} ({:+})", v as isize - t as isize);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            t,
            d(s.no_id),
            d(s.no_marks),
            d(r.no_at),
            d(r.no_locations),
            d(r.minimal),
            d(r.all),
            r.nightly
        );
    }
    tasks::table();
}
