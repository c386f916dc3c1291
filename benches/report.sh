#!/usr/bin/env bash
# Runs the benchmarks (issue 5's W1–W6; W6 with issue 14's multi-threaded servers; issue 16's
# W7 recursion) and prints the BENCHMARKS.md results section: ns per operation, the ratio to the
# hand-written version, round trips per second, and each target met or missed.
#
#   benches/report.sh                  run `cargo bench`, print the section
#   benches/report.sh --write          ... and replace the results section of BENCHMARKS.md
#   benches/report.sh --from FILE      render from a saved `cargo bench` output (no run)
#   benches/report.sh --bench echo     run only that bench (repeatable: generators, switch, echo)
#
# Workloads missing from the output (a `--bench` run, or a FILE of some benches only) keep
# their sections and target rows from the current BENCHMARKS.md, with a line naming the run
# they came from. The raw output of the run is kept in target/bench-output.txt. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."

write=false
from=""
benches=()
while [ $# -gt 0 ]; do
    case "$1" in
        --write) write=true ;;
        --from) from="$2"; shift ;;
        --bench) benches+=(--bench "$2"); shift ;;
        *) echo "usage: $0 [--write] [--from FILE | --bench NAME...]" >&2; exit 2 ;;
    esac
    shift
done
if [ ${#benches[@]} -eq 0 ]; then
    benches=(--bench generators --bench switch --bench echo)
fi

if [ -z "$from" ]; then
    from=target/bench-output.txt
    mkdir -p target
    cargo bench "${benches[@]}" 2>&1 | tee "$from" >&2
fi

BENCH_MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), \
$(free -g | awk '/Mem:/ {print $2}') GiB of memory; $(rustc --version); \
commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- core macros benches || echo ' + uncommitted changes in core/, macros/ or benches/'); $(date +%Y-%m-%d)"
export BENCH_MACHINE

section=$(python3 - "$from" BENCHMARKS.md <<'PY'
import os, re, sys

text = open(sys.argv[1], encoding="utf-8").read()
UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}

# Divan's tree: "├─ name" / "╰─ name"; a leaf (the argument: operations per iteration) carries
# the columns fastest │ slowest │ median │ mean │ samples │ iters.
results = {}  # "group/.../system" -> ns per operation (median / argument) of its last argument
by_arg = {}  # "group/.../system" -> {argument: ns per operation}, for benches with several
path = []
for line in text.splitlines():
    head = re.match(r"^([a-z_0-9]+)\s+fastest\s", line)
    if head:  # a bench binary's header line
        path = [head.group(1)]
        continue
    m = re.search(r"[├╰]─ ", line)
    if not m:
        continue
    depth = m.start() // 3 + 1
    rest = line[m.end():]
    cols = rest.split("│")
    name = cols[0].split()[0]
    path = path[:depth] + [name]
    if len(cols) >= 3 and re.search(r"\d", cols[2]):
        value, unit = cols[2].split()
        ns = float(value) * UNITS[unit]
        ops = int(name)
        results["/".join(path[:-1])] = ns / ops
        by_arg.setdefault("/".join(path[:-1]), {})[ops] = ns / ops

memory = {}
for m in re.finditer(r"^w5-memory (\S+)\s+([\d.]+)\s+([\d.]+)", text, re.M):
    memory[m.group(1)] = (float(m.group(2)), float(m.group(3)))
echo = {}
for m in re.finditer(r"^w6-echo (\S+)\s+(\d+)\s+(\d+)\s+(\d+)", text, re.M):
    echo[m.group(1)] = tuple(int(m.group(i)) for i in (2, 3, 4))
spread = {}  # server -> connections per listener and the run's rate, run by run ("5+3:140000")
for m in re.finditer(r"^w6-spread (\S+) (.*)$", text, re.M):
    runs = []
    for run in m.group(2).split():
        conns, _, rate = run.partition(":")
        runs.append(f"{conns} ({int(rate) // 1000}k)" if rate else conns)
    spread[m.group(1)] = runs

NAMES = {
    "hand_written": "hand-written",
    "hand_written_dyn": "hand-written, the innermost behind `&mut dyn Iterator`",
    "resumable_boxed": "**resumable** `#[generator]` (boxed)",
    "resumable_pinned": "**resumable** `#[generator(pinned)]`",
    "resumable_yield_from": "**resumable** `yield_from!`",
    "resumable_round_robin": "**resumable** `sched::RoundRobin`",
    "resumable_round_robin_pinned": "**resumable** `sched::RoundRobin` (`pinned` generators)",
    "resumable_kernel": "**resumable** kernel (`sys::yield_now`)",
    "resumable_rt": "**resumable** `rt` (`rt::spawn`)",
    "resumable_rt_named": "**resumable** `rt` (`rt::spawn_named`, shared name)",
    "genawaiter_stack": "genawaiter (stack)",
    "genawaiter_rc": "genawaiter (rc)",
    "next_gen": "next-gen",
    "corosensei": "corosensei",
    "corosensei_reused_stack": "corosensei (one stack, reused)",
    "corosensei_fresh_stack": "corosensei (`Coroutine::new`: fresh stack each)",
    "async_stream": "async-stream",
    "tokio": "tokio current_thread + LocalSet",
    "smol": "smol LocalExecutor",
    "futures_local_pool": "futures LocalPool",
}
PEERS = ("genawaiter", "next_gen", "corosensei", "async_stream")

def group(prefix):
    return {k[len(prefix) + 1:]: v for k, v in results.items() if k.startswith(prefix + "/")}

def fmt(ns):
    return f"{ns:.2f}" if ns < 10 else f"{ns:.1f}" if ns < 100 else f"{ns:.0f}"

def table(prefix, unit, extra=None):
    g = group(prefix)
    if not g:
        return "(no results)\n", g
    base = g.get("hand_written")
    hdr = f"| system | {unit} | × hand-written |" + (" bytes/task | allocs/task |" if extra else "")
    out = [hdr, "|---|--:|--:|" + ("--:|--:|" if extra else "")]
    order = sorted(g, key=lambda k: (k != "hand_written", not k.startswith("resumable"), g[k]))
    for k in order:
        row = f"| {NAMES.get(k, k)} | {fmt(g[k])} | {g[k] / base:.1f}× |" if base else f"| {k} | {fmt(g[k])} | |"
        if extra:
            b, a = extra.get(k, (float("nan"), float("nan")))
            row += f" {b:.0f} | {a:.2f} |"
        out.append(row)
    return "\n".join(out) + "\n", g

def verdict(ok):
    return "**met**" if ok else "**missed**"

def peers(g):
    return {k: v for k, v in g.items() if k.startswith(PEERS)}

targets = []
def target(name, goal, figure, ok):
    targets.append(f"| {name} | {goal} | {figure} | {verdict(ok)} |")

sections = []
t1, w1 = table("generators/w1_iterate", "ns/yield")
sections.append("### W1 iterate: yield 0..10,000 (u64), summed by the consumer\n\n" + t1)
if w1:
    h = w1["hand_written"]
    best_peer = min(peers(w1).items(), key=lambda kv: kv[1])
    for k in ("resumable_boxed", "resumable_pinned"):
        r = w1[k] / h
        target(f"W1 {NAMES[k]}", "≤ 2.5× hand-written", f"{r:.1f}×", r <= 2.5)
        target(f"W1 {NAMES[k]}", "faster than every peer",
               f"{fmt(w1[k])} ns vs {NAMES[best_peer[0]]} {fmt(best_peer[1])} ns", w1[k] < best_peer[1])

t2, w2 = table("generators/w2_ping_pong", "ns/round trip")
sections.append("### W2 ping-pong: resume with a u64, the generator yields arg + 1\n\n"
                "async-stream has no resume argument, so it is not in this one.\n\n" + t2)
if w2:
    h = w2["hand_written"]
    best_peer = min(peers(w2).items(), key=lambda kv: kv[1])
    for k in ("resumable_boxed", "resumable_pinned"):
        r = w2[k] / h
        target(f"W2 {NAMES[k]}", "≤ 1.5× hand-written", f"{r:.1f}×", r <= 1.5)
        target(f"W2 {NAMES[k]}", "faster than every peer",
               f"{fmt(w2[k])} ns vs {NAMES[best_peer[0]]} {fmt(best_peer[1])} ns", w2[k] < best_peer[1])

t3a, w3a = table("generators/w3_delegation/depth_1", "ns/value")
t3b, w3b = table("generators/w3_delegation/depth_8", "ns/value")
sections.append("### W3 delegation: an inner generator yields 0..10,000 through 1 or 8 levels\n\n"
                "resumable: a chain of `#[generator]` fns, each `yield_from!` the next; the peers "
                "have no delegation, so each level is a re-yield loop over the level below; "
                "hand-written: nested iterators forwarding `next`, which the compiler inlines into one "
                "loop; and the same with the innermost behind a `&mut dyn Iterator` it cannot see "
                "through, the least a value costs when the chain is not inlined.\n\n"
                "8 levels:\n\n" + t3b + "\n1 level:\n\n" + t3a)
if w3b and w1:
    ours = w3b["resumable_yield_from"]
    r = ours / w1["resumable_boxed"]
    floor = w3b.get("hand_written_dyn")
    bound = f" (one indirect call per value: {fmt(floor)} ns)" if floor else ""
    target("W3 8 levels", "≤ 2× our own W1 (boxed)",
           f"{fmt(ours)} ns = {r:.1f}× W1's {fmt(w1['resumable_boxed'])} ns{bound}", r <= 2)
    p = peers(w3b)
    worst = min(p.items(), key=lambda kv: kv[1])
    target("W3 8 levels", "10× faster than every peer",
           f"best peer {NAMES[worst[0]]} {fmt(worst[1])} ns = {worst[1] / ours:.1f}× ours", worst[1] >= 10 * ours)

t4, w4 = table("generators/w4_create_drain", "ns/generator")
sections.append("### W4 create + drain: 1,000,000 generators of 3 yields each\n\n"
                "(corosensei with a fresh stack: 10,000 generators per iteration, an `mmap` + "
                "`munmap` each.)\n\n" + t4)
if w4:
    h = w4["hand_written"]
    r = w4["resumable_pinned"] / h
    target(f"W4 {NAMES['resumable_pinned']}", "≤ 6× hand-written", f"{r:.1f}×", r <= 6)
    r = w4["resumable_boxed"] / h
    target(f"W4 {NAMES['resumable_boxed']}", "≤ 20× hand-written", f"{r:.1f}×", r <= 20)

t5, w5 = table("switch/w5_switch", "ns/switch", extra=memory)
sections.append("### W5 switch: 10,000 tasks × 100 yields, one thread\n\n"
                "ns per switch (spawning and joining included); bytes/task: heap bytes live "
                "after the 10,000 spawns, per task (counting `#[global_allocator]`).\n\n" + t5)
if w5:
    h = w5["hand_written"]
    r = w5["resumable_round_robin"] / h
    target("W5 RoundRobin", "≤ 2× hand-written boxed loop", f"{r:.1f}×", r <= 2)
    if "resumable_round_robin_pinned" in w5:
        r = w5["resumable_round_robin_pinned"] / h
        target("W5 RoundRobin (`pinned` generators)", "≤ 2× hand-written boxed loop",
               f"{r:.1f}×", r <= 2)
    for peer in ("tokio", "smol", "futures_local_pool"):
        target("W5 rt per switch", f"faster than {NAMES[peer]}",
               f"{fmt(w5['resumable_rt'])} vs {fmt(w5[peer])} ns", w5["resumable_rt"] < w5[peer])
    if "resumable_rt" in memory and "tokio" in memory:
        target("W5 rt bytes/task", "≤ tokio's",
               f"{memory['resumable_rt'][0]:.0f} vs {memory['tokio'][0]:.0f}",
               memory["resumable_rt"][0] <= memory["tokio"][0])
    # Issue 16's bounds on the bytes each task keeps live (the W5 body).
    for k, name, bound, why in (
            ("resumable_round_robin", "W5 RoundRobin bytes/task", 64, ""),
            ("resumable_round_robin_pinned", "W5 RoundRobin (`pinned` generators) bytes/task", 64, ""),
            ("resumable_rt", "W5 rt bytes/task", 160, " (smol's, in issue 16)"),
            ("resumable_kernel", "W5 kernel bytes/task", 256, "")):
        if k in memory:
            figure = f"{memory[k][0]:.0f}"
            if k == "resumable_rt" and "smol" in memory:
                figure += f" (smol here: {memory['smol'][0]:.0f})"
            target(name, f"≤ {bound}{why}", figure, memory[k][0] <= bound)
    if "resumable_kernel" in w5 and "resumable_rt" in w5:
        r = w5["resumable_kernel"] / w5["resumable_rt"]
        target("W5 kernel per switch", "≤ 2× rt's (the same engine)",
               f"{fmt(w5['resumable_kernel'])} vs {fmt(w5['resumable_rt'])} ns = {r:.1f}×", r <= 2)

if echo:
    threads = re.search(r"multi-threaded servers run (\d+) server threads", text)
    threads = threads.group(1) if threads else "?"
    multi = {"resumable_rt_per_core", "tokio_multi_thread"}
    echo_names = {"resumable_kernel": "**resumable** kernel (`sys::read`/`sys::write_all`)",
                  "resumable_rt": "**resumable** `rt` (`rt::net`)",
                  "tokio": "tokio current_thread (`tokio::net`)",
                  "resumable_rt_per_core": "**resumable** `rt` thread-per-core (a loop and an "
                                           "`SO_REUSEPORT` listener per thread)",
                  "tokio_multi_thread": "tokio multi-thread (`tokio::net`, work stealing)"}
    def ratio(med, base):
        return f"{med / echo[base][0]:.2f}×" if base in echo else ""
    rows = ["| server | server threads | round trips/s (median) | min | max | × tokio current_thread "
            "| × tokio multi-thread |", "|---|--:|--:|--:|--:|--:|--:|"]
    for k, (med, lo, hi) in echo.items():
        rows.append(f"| {echo_names.get(k, k)} | {threads if k in multi else 1} | {med:,} | {lo:,} "
                    f"| {hi:,} | {ratio(med, 'tokio')} | {ratio(med, 'tokio_multi_thread')} |")
    head = re.search(r"^W6 echo: (.*)$", text, re.M)
    out = "### W6 echo: " + (head.group(1) if head else "") + "\n\n" + "\n".join(rows) + "\n"
    if "resumable_rt_per_core" in spread:
        out += ("\nConnections each loop of the thread-per-core server accepted, run by run (the "
                "kernel spreads them over the listeners by a hash of their ports)"
                + (", with that run's round trips per second"
                   if "(" in spread["resumable_rt_per_core"][0] else "") + ": "
                + ", ".join(spread["resumable_rt_per_core"]) + ".\n")
    sections.append(out)
    if "resumable_rt" in echo and "tokio" in echo:
        r = echo["resumable_rt"][0] / echo["tokio"][0]
        target("W6 rt", "≥ 0.8× tokio's round trips/s", f"{r:.2f}×", r >= 0.8)

W7 = "generators/w7_recursion/"
w7 = {k[len(W7):]: v for k, v in by_arg.items() if k.startswith(W7)}  # system -> {levels: ns}
w7 = {k: {(values + 1) // 2: ns for values, ns in v.items()} for k, v in w7.items()}
if w7:
    levels = sorted({d for v in w7.values() for d in v})
    peer_levels = sorted({d for k, v in w7.items() if k.startswith(PEERS) for d in v})
    order = sorted(w7, key=lambda k: (k != "hand_written", not k.startswith("resumable"),
                                      w7[k][min(w7[k])]))
    rows = ["| system | " + " | ".join(f"{d:,} levels" for d in levels) + " |",
            "|---|" + "--:|" * len(levels)]
    for k in order:
        rows.append(f"| {NAMES.get(k, k)} | "
                    + " | ".join(fmt(w7[k][d]) if d in w7[k] else "—" for d in levels) + " |")
    sections.append(
        f"### W7 recursion: an in-order walk of a binary tree {levels[0]:,} to {levels[-1]:,} "
        "levels deep, values at every level\n\n"
        "The tree is a spine: each node has the rest of the spine on its left and a leaf on its "
        "right, so the walk goes all the way down first, then yields at every level on the way "
        "back up, and half of the values come from the middle of a chain as deep as the tree. "
        "resumable: a recursive (boxed) generator, `yield_from!` at each subtree; the peers, "
        "which have no delegation, re-yield every value at every level above it, so a value "
        "costs them its depth" + (
            ", and they run at " + " and ".join(f"{d:,}" for d in peer_levels) + " levels only"
            if peer_levels and peer_levels != levels else "")
        + "; hand-written: an in-order iterator with an explicit stack. ns per value; — where a "
        "system was not run.\n\n" + "\n".join(rows) + "\n")
    ours = w7.get("resumable_yield_from", {})
    if len(ours) >= 2:
        lo, hi = min(ours), max(ours)
        r = ours[hi] / ours[lo]
        target(f"W7 {NAMES['resumable_yield_from']}",
               f"cost per value flat in depth: {hi:,} levels ≤ 2× {lo:,} levels",
               " / ".join(fmt(ours[d]) for d in sorted(ours)) + " ns at "
               + " / ".join(f"{d:,}" for d in sorted(ours)) + f" levels ({r:.1f}×)", r <= 2)
    figures, ok = [], bool(ours)
    for d in levels:
        p = {k: v[d] for k, v in w7.items() if k.startswith(PEERS) and d in v}
        if not p or d not in ours:
            continue
        best = min(p.items(), key=lambda kv: kv[1])
        figures.append(f"{d:,} levels: {fmt(ours[d])} vs {NAMES.get(best[0], best[0])} "
                       f"{fmt(best[1])} ns")
        ok = ok and ours[d] < best[1]
    if figures:
        target(f"W7 {NAMES['resumable_yield_from']}", "faster than every peer, at each depth",
               "; ".join(figures), ok)

machine = os.environ.get("BENCH_MACHINE", "?")

# A run of some of the benches (`--bench NAME`) leaves the other workloads as the current
# BENCHMARKS.md has them: their sections and target rows, and where they were measured.
present = {"W1": bool(w1), "W2": bool(w2), "W3": bool(w3a or w3b), "W4": bool(w4),
           "W5": bool(w5), "W6": bool(echo), "W7": bool(w7)}
old = re.search(r"<!-- results:begin.*?<!-- results:end -->",
                open(sys.argv[2], encoding="utf-8").read() if os.path.exists(sys.argv[2]) else "", re.S)
old = old.group(0) if old else ""
old_origin = {}  # workload -> the machine line of the run that measured it
m = re.search(r"^Machine: (.*)\.$", old, re.M)
for k in present:
    old_origin[k] = m.group(1) if m else "?"
for m in re.finditer(r"^(W\d(?:, W\d)*): kept from an earlier run: (.*)\.$", old, re.M):
    for k in m.group(1).split(", "):
        old_origin[k] = m.group(2)
old_sections = {re.match(r"### (W\d)", b).group(1): b.rstrip("\n") + "\n"
                for b in re.split(r"^(?=### W\d)", old.split("<!-- results:end")[0], flags=re.M)
                if re.match(r"### W\d", b)}
old_targets = [line for line in old.splitlines() if re.match(r"\| W\d ", line)]
kept = [k for k in present if not present[k] and k in old_sections]

def key(block):
    return re.match(r"(?:### |\| )(W\d)", block).group(1)

sections = [b for b in sections if present[key(b)]] + [old_sections[k] for k in kept]
sections.sort(key=key)
targets = [t for t in targets if present[key(t)]] + [t for t in old_targets if key(t) in kept]
targets.sort(key=key)  # stable: each workload's rows keep their order

print("<!-- results:begin (generated by benches/report.sh; do not edit by hand) -->")
print(f"Machine: {machine}.\n")
origins = {}
for k in kept:
    origins.setdefault(old_origin[k], []).append(k)
for origin, ks in origins.items():
    print(f"{', '.join(ks)}: kept from an earlier run: {origin}.\n")
print("## Targets\n")
print("| workload | target | ours | |\n|---|---|---|---|")
print("\n".join(targets))
print("\n## Results\n")
print("\n".join(sections))
print("<!-- results:end -->")
PY
)

if $write; then
    python3 - "$section" <<'PY'
import sys, re
path = "BENCHMARKS.md"
text = open(path, encoding="utf-8").read()
new = sys.argv[1]
pattern = re.compile(r"<!-- results:begin.*?<!-- results:end -->", re.S)
if not pattern.search(text):
    sys.exit("BENCHMARKS.md has no results:begin/results:end markers")
open(path, "w", encoding="utf-8").write(pattern.sub(lambda _: new, text))
print("BENCHMARKS.md updated", file=sys.stderr)
PY
else
    printf '%s\n' "$section"
fi
