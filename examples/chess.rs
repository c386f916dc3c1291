//! `chess`: why one thread of cooperative tasks is fast when the work is mostly waiting —
//! a simultaneous chess exhibition, on the real clock.
//!
//! The story (popularised by Miguel Grinberg's PyCon 2017 asyncio talk): Judit Polgár plays
//! 24 opponents. She needs 5 seconds per move, each opponent 55 seconds, and a game lasts 30
//! move pairs: 30 minutes. One game after the other, the exhibition takes 12 hours. Walking
//! from board to board — moving, then letting that opponent think while she plays the next —
//! it takes about one hour. She is one player (one thread); what she stops doing is *waiting*.
//!
//! Here, scaled down: a master plays `OPPONENTS` opponents, `MOVES` move pairs a game. The
//! master's move is CPU work (a busy loop of `MASTER_MOVE`: it holds the thread, as real
//! computation would); the opponent's move is waiting (`rt::sleep(OPPONENT_MOVE)`: the loop
//! parks the task and runs the others). The *same* `game` coroutine is run two ways: awaited
//! one game after the other, and as a task per board in a [`TaskGroup`](rt::TaskGroup), awaited
//! together (asyncio's `TaskGroup`, or `gather`). The rt loop is the kernel of
//! `examples/kernel.rs` running futures; the generator version of this exhibition is that
//! kernel's `Task`s delegating with `yield_from!`, and takes the same time.
//!
//! Python:
//! ```python
//! async def game(board):
//!     began = loop.time()
//!     for move in range(MOVES):
//!         busy(MASTER_MOVE)                    # the master thinks: nobody else runs
//!         await asyncio.sleep(OPPONENT_MOVE)   # the opponent thinks: the master moves on
//!     return began, loop.time()
//!
//! async def sequential():
//!     return [await game(board) for board in range(OPPONENTS)]
//!
//! async def simultaneous():
//!     async with asyncio.TaskGroup() as boards:
//!         games = [boards.create_task(game(board)) for board in range(OPPONENTS)]
//!     return [g.result() for g in games]
//! ```
//!
//! Run with `cargo run --example chess` (about 2.5 seconds); `-- --svg FILE` also draws the
//! simultaneous exhibition, move by move, as an SVG picture in FILE.
use std::hint::black_box;
use std::time::{Duration, Instant};

use resumable::rt::{self, TaskGroup};
use resumable::timeline::{Activity, Timeline};

const OPPONENTS: usize = 10;
const MOVES: u32 = 10;
const MASTER_MOVE: Duration = Duration::from_millis(2);
const OPPONENT_MOVE: Duration = Duration::from_millis(20);

/// When a game began and ended, on the kernel's clock.
type Span = (Duration, Duration);

/// One move pair, on the kernel's clock: when the master began to think, when he moved (and
/// the opponent began to think), and when the game went on after the opponent's move.
type Move = (Duration, Duration, Duration);

/// When a game of these moves began and ended.
fn span(moves: &[Move]) -> Span {
    (moves[0].0, moves[moves.len() - 1].2)
}

/// The master thinks: CPU work that holds the thread for `d`, with no yield in it.
fn think(d: Duration) -> u64 {
    let started = Instant::now();
    let mut positions = 0u64;
    while started.elapsed() < d {
        positions = black_box(positions.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    positions
}

/// One game: `MOVES` times, the master moves (busy), then the opponent thinks (a sleep).
/// Returns when each move was made.
async fn game() -> Vec<Move> {
    let mut moves = Vec::new();
    for _ in 0..MOVES {
        let thinks = rt::now();
        think(MASTER_MOVE);
        let moved = rt::now();
        rt::sleep(OPPONENT_MOVE).await;
        moves.push((thinks, moved, rt::now()));
    }
    moves
}

/// One game after the other: each game is awaited before the next one starts.
async fn sequential() -> Vec<Vec<Move>> {
    let mut spans = Vec::new();
    for _ in 0..OPPONENTS {
        spans.push(game().await);
    }
    spans
}

/// All games at once: a task per board, in a group, awaited together.
async fn simultaneous() -> Vec<Vec<Move>> {
    let boards = TaskGroup::new();
    for board in 1..=OPPONENTS {
        boards.spawn_named(format!("board {board}"), game());
    }
    let games = boards.await; // in the order the boards were spawned
    games
        .into_iter()
        .map(|game| game.expect("a game always ends"))
        .collect()
}

/// Runs one exhibition on a fresh loop (real clock); returns the games' moves and the
/// wall-clock time it took.
fn exhibition(
    play: impl std::future::Future<Output = Vec<Vec<Move>>>,
) -> (Vec<Vec<Move>>, Duration) {
    let started = Instant::now();
    let games = rt::block_on(play);
    (games, started.elapsed())
}

/// The exhibition as a picture: a row per board; the master's moves (he had the thread), the
/// opponent's thinking (the task slept), and the time a board's move was due but the master
/// was busy at another board (the task was ready, waiting for its turn).
fn timeline(title: &str, games: &[Vec<Move>]) -> Timeline<Duration> {
    let mut timeline = Timeline::new(title);
    for (board, moves) in games.iter().enumerate() {
        let row = timeline.row(format!("board {}", board + 1));
        let mut ready = Duration::ZERO; // a task is ready from when it is spawned
        for &(thinks, moved, went_on) in moves {
            let due = moved + OPPONENT_MOVE;
            timeline
                .span(row, Activity::Ready, ready..thinks)
                .span(row, Activity::Ran, thinks..moved)
                .span(row, Activity::Slept, moved..due.min(went_on));
            ready = due.min(went_on);
        }
    }
    timeline
}

/// The file `--svg FILE` names, if any.
fn svg_file() -> Option<String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => None,
        (Some("--svg"), Some(path)) => Some(path),
        _ => {
            eprintln!("usage: chess [--svg FILE]");
            std::process::exit(2);
        }
    }
}

/// `1234 ms`: one unit throughout, so the numbers compare at a glance.
fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let svg = svg_file();
    let pair = MASTER_MOVE + OPPONENT_MOVE;
    let per_game = pair * MOVES;
    let boards = OPPONENTS as u32;
    println!(
        "A master plays {OPPONENTS} opponents, {MOVES} move pairs a game. The master needs {} of \
         CPU work",
        ms(MASTER_MOVE)
    );
    println!(
        "per move; each opponent thinks {} (a sleep). One game alone: {MOVES} x ({} + {}) = {}.\n",
        ms(OPPONENT_MOVE),
        ms(MASTER_MOVE),
        ms(OPPONENT_MOVE),
        ms(per_game)
    );

    println!("1. Sequential: game after game (game().await in a loop).");
    let (seq_games, seq_wall) = exhibition(sequential());
    let seq_spans: Vec<Span> = seq_games.iter().map(|moves| span(moves)).collect();
    let seq_expected = per_game * boards;
    println!(
        "   measured wall-clock: {}   (expected: {OPPONENTS} games x {} = {})",
        ms(seq_wall),
        ms(per_game),
        ms(seq_expected)
    );

    println!("\n2. Simultaneous: a task per board in a TaskGroup, all on the same one thread.");
    let (sim_games, sim_wall) = exhibition(simultaneous());
    let sim_spans: Vec<Span> = sim_games.iter().map(|moves| span(moves)).collect();
    // A round of moves lasts the longer of one lap of the boards and one move pair; the last
    // board starts (OPPONENTS - 1) master moves after the first.
    let round = (MASTER_MOVE * boards).max(pair);
    let sim_expected = round * MOVES + MASTER_MOVE * (boards - 1);
    println!(
        "   measured wall-clock: {}   (expected: {MOVES} rounds x {} + {} = {})",
        ms(sim_wall),
        ms(round),
        ms(MASTER_MOVE * (boards - 1)),
        ms(sim_expected)
    );

    let scale = seq_wall.max(sim_wall).as_secs_f64() / 48.0;
    println!(
        "\nWhen each game was played (one row per board, one column = {}):",
        ms(Duration::from_secs_f64(scale))
    );
    chart("sequential", &seq_spans, scale);
    chart("simultaneous", &sim_spans, scale);

    let speedup = seq_wall.as_secs_f64() / sim_wall.as_secs_f64();
    let master_cpu = MASTER_MOVE * MOVES * boards;
    println!("\nSpeedup: {speedup:.1}x, with the same one thread and the same game code.");
    println!("* Sequential: while an opponent thinks, the master stands at that board and waits;");
    println!(
        "  {} of the {} is waiting.",
        ms(seq_expected - master_cpu),
        ms(seq_expected)
    );
    println!("* Simultaneous: while an opponent thinks, the loop parks that game's task and the");
    println!(
        "  master moves on to the next board. A round lasts the longer of one lap of the boards"
    );
    println!(
        "  ({OPPONENTS} x {}) and one move pair ({}): {}.",
        ms(MASTER_MOVE),
        ms(pair),
        ms(round)
    );
    println!(
        "* The master's own CPU time, {}, cannot overlap with itself: it is the floor, and a",
        ms(master_cpu)
    );
    println!(
        "  slower master (or more boards) makes it the bottleneck. The sleeps overlap; the busy"
    );
    println!("  loops never do: concurrency, not parallelism.");

    if let Some(path) = svg {
        let title =
            format!("The simultaneous exhibition: {OPPONENTS} boards, one master, one thread");
        let picture = timeline(&title, &sim_games).to_svg();
        std::fs::write(&path, picture).expect("the SVG file can be written");
        println!("\n(The simultaneous exhibition, move by move, is drawn in {path}.)");
    }
}

/// Draws a row per board: `█` while its game was on, `·` before it began.
fn chart(title: &str, spans: &[Span], scale: f64) {
    println!("  {title}:");
    for (board, (began, ended)) in spans.iter().enumerate() {
        let from = (began.as_secs_f64() / scale).round() as usize;
        let to = ((ended.as_secs_f64() / scale).round() as usize).max(from + 1);
        let bar = format!("{}{}", "·".repeat(from), "█".repeat(to - from));
        println!(
            "    board {:>2} {bar:<50} {:>7} .. {}",
            board + 1,
            ms(*began),
            ms(*ended)
        );
    }
}
