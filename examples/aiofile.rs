//! `aiofile`: reading files without blocking the loop — on the blocking pool, with
//! `rt::spawn_blocking`, while a ticker task keeps ticking.
//!
//! Sockets wait in the loop's poller: a read that would block returns "not yet", the task parks,
//! and the poller (epoll here) wakes it when data has arrived. Files cannot do that. To the
//! readiness APIs a regular file is always ready: `select` and `poll` report it readable at
//! once, and `epoll` refuses to watch it at all (`EPERM`, part 0 below). Yet reading it can
//! still wait — for the disk — and that wait happens *inside* `read()`, where no readiness API
//! can see it. Without io_uring (Linux's newer interface, which takes a read and reports when it
//! is done) there is no non-blocking file read. So every event loop reads files the same way:
//! it hands the blocking read to a pool of threads and awaits the result. asyncio's
//! `to_thread` (and the `aiofiles` package, which does the same underneath), tokio's `fs`, and
//! here `rt::spawn_blocking`.
//!
//! Python:
//! ```python
//! async def checksum(path):
//!     data = await asyncio.to_thread(Path(path).read_bytes)    # on a thread of the pool
//!     return fnv1a(data)
//!
//! async def main():
//!     ticker_task = asyncio.create_task(ticker())              # keeps ticking meanwhile
//!     sums = await asyncio.gather(*(checksum(p) for p in paths))
//! ```
//!
//! Run with `cargo run --example aiofile` (about two seconds; it writes three files of 16 MiB to
//! the system's temporary directory and removes them at the end).
use std::cell::RefCell;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use resumable::kernel::{sys, Cancelled, Error, Reply, Syscall};
use resumable::prelude::*;
use resumable::rt::{self, TaskGroup};

/// How often the ticker should tick.
const TICK: Duration = Duration::from_millis(10);
/// The files: name and size in MiB.
const FILES: [(&str, usize); 3] = [("a.bin", 16), ("b.bin", 16), ("c.bin", 16)];

/// The files' directory, removed (with them) when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the files: deterministic bytes, so the checksums are the same on every run.
fn write_files() -> io::Result<(TempDir, Vec<PathBuf>)> {
    let dir = std::env::temp_dir().join(format!("resumable-aiofile-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let dir = TempDir(dir);
    let mut paths = Vec::new();
    for (i, (name, mib)) in FILES.into_iter().enumerate() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ i as u64;
        let bytes: Vec<u8> = (0..mib << 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let path = dir.0.join(name);
        std::fs::write(&path, bytes)?;
        paths.push(path);
    }
    Ok((dir, paths))
}

/// Reads a whole file and checksums it (64-bit FNV-1a): blocking work, as every file read is.
fn checksum(path: &Path) -> io::Result<(usize, u64)> {
    let data = std::fs::read(path)?;
    let sum = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Ok((data.len(), sum))
}

/// Waits until `file` is readable, as the loop waits for a socket.
#[generator(yield = Syscall, resume = Reply, throw = Cancelled)]
fn wait_readable(file: std::fs::File) -> Result<(), Error> {
    yield_from!(sys::readable(&file))?;
    Ok(())
}

/// Ticks every `TICK` until aborted, noting the loop's clock at each tick.
async fn ticker(ticks: Rc<RefCell<Vec<Duration>>>) {
    let start = rt::now();
    for n in 1.. {
        rt::sleep_until(start + TICK * n).await;
        ticks.borrow_mut().push(rt::now());
    }
}

/// How the files are read: on the loop's thread, or on the blocking pool.
#[derive(Clone, Copy, PartialEq)]
enum Where {
    OnTheLoop,
    OnThePool,
}

/// What one read gave: its length and checksum, and the loop's clock when the reading task had
/// it.
type Read = (io::Result<(usize, u64)>, Duration);

/// Checksums every file in a task of its own, on the loop's thread: the read blocks the thread
/// it runs on, the loop's.
async fn read_on_the_loop(paths: &[PathBuf]) -> Vec<Read> {
    let reads = TaskGroup::new();
    for path in paths {
        let path = path.clone();
        reads.spawn(async move { (checksum(&path), rt::now()) });
    }
    let reads = reads.await;
    reads
        .into_iter()
        .map(|read| read.expect("a read does not panic"))
        .collect()
}

/// Checksums every file in a task of its own, each task awaiting a read on a thread of the
/// blocking pool.
async fn read_on_the_pool(paths: &[PathBuf]) -> Vec<Read> {
    let reads = TaskGroup::new();
    for path in paths {
        let path = path.clone();
        reads.spawn(async move {
            let read = rt::spawn_blocking(move || checksum(&path)).await;
            (read.expect("a read does not panic"), rt::now())
        });
    }
    let reads = reads.await;
    reads
        .into_iter()
        .map(|read| read.expect("a read does not panic"))
        .collect()
}

/// Checksums every file while the ticker runs; prints what each read gave and how the ticker
/// fared while the files were being read.
async fn read_all(paths: &[PathBuf], how: Where) {
    let ticks = Rc::new(RefCell::new(Vec::new()));
    let ticking = rt::spawn(ticker(ticks.clone()));
    rt::yield_now().await; // let the ticker start its clock
    let start = rt::now();
    let reads = match how {
        Where::OnTheLoop => read_on_the_loop(paths).await,
        Where::OnThePool => read_on_the_pool(paths).await,
    };
    let took = rt::now() - start;
    ticking.abort();

    for (path, (result, _)) in paths.iter().zip(&reads) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        match result {
            Ok((len, sum)) => println!("   {name}  {} MiB  checksum {sum:016x}", len >> 20),
            Err(e) => println!("   {name}  failed: {e}"),
        }
    }
    // The ticks that came while files were still being read, and the longest wait between
    // two of them (or from the start, or to the last read's end).
    let reading_until = reads.iter().map(|&(_, at)| at).max().unwrap_or(start);
    let ticks = ticks.borrow();
    let during: Vec<Duration> = ticks
        .iter()
        .copied()
        .filter(|&t| t > start && t <= reading_until)
        .collect();
    let mut longest = Duration::ZERO;
    let mut previous = start;
    for &tick in during.iter().chain([&reading_until]) {
        longest = longest.max(tick - previous);
        previous = tick;
    }
    println!(
        "   took {} ms; the ticker (due every {} ms) ticked {} times meanwhile, its longest \
         gap {} ms:",
        took.as_millis(),
        TICK.as_millis(),
        during.len(),
        longest.as_millis()
    );
    // Blocked: a tick was due while the files were read, and none came until they all were.
    if reading_until - start < TICK {
        println!("   the loop had no tick due yet: the reads took less than one.");
    } else if during.is_empty() {
        println!("   the loop was blocked while a file was read.");
    } else {
        println!("   the loop stayed responsive.");
    }
}

fn main() -> io::Result<()> {
    let total: usize = FILES.iter().map(|(_, mib)| mib).sum();
    println!(
        "Three files ({total} MiB in all) to read and checksum, while a ticker task should tick \
         every {} ms.",
        TICK.as_millis()
    );
    let (_dir, paths) = write_files()?;

    println!("\n0. Ask the loop to wait until a file is readable, as it waits for a socket:");
    let file = std::fs::File::open(&paths[0])?;
    let answer = rt::block_on(async { rt::spawn_generator("wait", wait_readable(file)).await });
    match answer {
        Ok(Err(Error::Io(e))) => {
            println!("   sys::readable(&file) -> the poller refuses it: {e}");
            println!(
                "   (EPERM: epoll does not watch regular files; to it, a file is always ready)"
            );
        }
        other => println!("   sys::readable(&file) -> {other:?}"),
    }

    println!("\n1. Each file read by a task of its own, with std::fs::read, on the loop's thread:");
    rt::block_on(read_all(&paths, Where::OnTheLoop));

    println!("\n2. Each file read on the blocking pool, rt::spawn_blocking(|| std::fs::read(..)):");
    rt::block_on(read_all(&paths, Where::OnThePool));

    println!();
    println!("Same files, same code to read them. In part 1 the reads ran one after another on");
    println!("the loop's own thread, and nothing else could run until each was done: tasks are");
    println!("cooperative, and a blocking call never yields. In part 2 they ran on the pool's");
    println!("threads (side by side, on as many cores as there are), and the loop went on running");
    println!("the ticker, waking each reader task as its result came back. (Part 2 is faster");
    println!("only when there are cores to spare: on a machine whose cores are busy, the pool's");
    println!("threads wait for one, and so may the loop's, which shows as a gap of a few ticks.)");
    Ok(())
}
