#!/usr/bin/env bash
# Issue 16's "not inlined" rows (benches/out_of_line.rs): ns per operation from divan next to
# callgrind instructions per operation, for resumable and every peer, with the targets marked.
#
#   benches/out_of_line.sh                      release (the bench profile): W1, W2, W4
#   benches/out_of_line.sh --profile bench-o1   debug build at opt-level 1: W1, W2
#   benches/out_of_line.sh --profile bench-o0   debug build at opt-level 0 (`cargo test`'s)
#   benches/out_of_line.sh --from FILE          ns from a saved `cargo bench` output (no run)
#   benches/out_of_line.sh --no-ns              callgrind only
#
# Instructions per operation are (I(2k) - I(k)) / k for one iteration of a row run under
# `valgrind --tool=callgrind` (`out_of_line --callgrind ROW OPS`), k = 10,000 operations: the
# setup, the process start and the divan harness cancel out, so the figure repeats to a fraction
# of an instruction on a busy machine, where ns do not. Needs valgrind and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=bench
from=""
ns=true
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) profile="$2"; shift ;;
        --from) from="$2"; shift ;;
        --no-ns) ns=false ;;
        *) echo "usage: $0 [--profile bench|bench-o0|bench-o1] [--from FILE | --no-ns]" >&2; exit 2 ;;
    esac
    shift
done
if [ "$profile" = bench ]; then groups=(w1_out_of_line w2_out_of_line w4_black_boxed)
else groups=(w1_out_of_line w2_out_of_line); fi
K=${K:-10000}

bin=$(cargo bench --bench out_of_line --profile "$profile" --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\))$/\1/p')
[ -x "$bin" ] || { echo "no bench binary for profile $profile" >&2; exit 1; }
"$bin" --check >&2

if $ns && [ -z "$from" ]; then
    from=target/out_of_line-$profile.txt
    cargo bench --bench out_of_line --profile "$profile" -- "${groups[@]}" 2>&1 | tee "$from" >&2
fi

instr() { # row ops -> instructions of the whole process
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --callgrind "$1" "$2" 2>&1 |
        awk '/Collected/ {print $4}'
}
counts=target/out_of_line-$profile-instr.txt
: >"$counts"
for row in $("$bin" --list); do
    case " ${groups[*]} " in *" ${row%%/*} "*) ;; *) continue ;; esac
    i1=$(instr "$row" "$K")
    i2=$(instr "$row" $((2 * K)))
    echo "$row $(((i2 - i1) * 10 / K))" | tee -a "$counts" >&2 # tenths of an instruction
done

python3 - "$profile" "${from:-}" "$counts" <<'PY'
import re, sys

profile, ns_file, counts_file = sys.argv[1:4]
UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}

ns = {}  # "group/row" -> ns per operation (divan's median / the operations per iteration)
if ns_file:
    path = []
    for line in open(ns_file, encoding="utf-8"):
        m = re.search(r"[├╰]─ ", line)
        if not m:
            continue
        depth = m.start() // 3
        cols = line[m.end():].split("│")
        name = cols[0].split()[0]
        path = path[:depth] + [name]
        if len(cols) >= 3 and re.search(r"\d", cols[2]):
            value, unit = cols[2].split()
            ns["/".join(path[:-1])] = float(value) * UNITS[unit] / int(name)
instr = {}
for line in open(counts_file):
    row, tenths = line.split()
    instr[row] = int(tenths) / 10

NAMES = {
    "hand_written": "hand-written",
    "resumable_boxed": "**resumable** `#[generator]` (boxed)",
    "resumable_boxed_iter": "**resumable** `#[generator]` (boxed) as `&mut dyn Iterator`",
    "resumable_pinned": "**resumable** `#[generator(pinned)]`",
    "resumable_boxgen": "**resumable** `BoxGen` (`.boxed()`)",
    "genawaiter_stack": "genawaiter (stack)",
    "genawaiter_rc": "genawaiter (rc)",
    "next_gen": "next-gen",
    "corosensei": "corosensei",
    "corosensei_reused_stack": "corosensei (one stack, reused)",
    "async_stream": "async-stream",
}
PEERS = ("genawaiter", "next_gen", "corosensei", "async_stream")
TITLES = {
    "w1_out_of_line": ("W1 out of line: yield 0..10,000 (u64), summed by an `#[inline(never)]` "
                       "driver holding the generator as a trait object", "yield"),
    "w2_out_of_line": ("W2 out of line: resume with a u64, the generator yields arg + 1; the round "
                       "trips in an `#[inline(never)]` driver through a trait object", "round trip"),
    "w4_black_boxed": ("W4 with the allocation kept: create + drain 100,000 generators of 3 yields, "
                       "the generator's handle through `black_box`", "generator"),
}
LEVEL = {"bench": "release (`bench` profile: opt-level 3, LTO)",
         "bench-o0": "debug, opt-level 0 (`bench-o0`: the `dev` profile `cargo test` uses)",
         "bench-o1": "debug, opt-level 1 (`bench-o1`: the `dev` profile at opt-level 1)"}

def fmt(v):
    if v is None:
        return "—"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"

groups = sorted({r.split("/")[0] for r in instr})
print(f"Profile: {LEVEL.get(profile, profile)}.\n")
for g in groups:
    title, unit = TITLES[g]
    rows = [r.split("/")[1] for r in instr if r.startswith(g + "/")]
    rows.sort(key=lambda k: (k != "hand_written", not k.startswith("resumable"), instr[f"{g}/{k}"]))
    print(f"### {title}\n")
    print(f"| system | ns/{unit} | instructions/{unit} |\n|---|--:|--:|")
    for k in rows:
        print(f"| {NAMES.get(k, k)} | {fmt(ns.get(f'{g}/{k}'))} | {fmt(instr[f'{g}/{k}'])} |")
    print()

targets = []
def faster(g, ours, rivals, what, strict=True):
    """ours against the best of rivals, in ns and in instructions (`strict`: faster, else no
    slower)."""
    beats = (lambda a, b: a < b) if strict else (lambda a, b: a <= b)
    o = f"{g}/{ours}"
    best_i = min(rivals, key=lambda k: instr[f"{g}/{k}"])
    parts, ok = [], True
    if ns:
        best_n = min(rivals, key=lambda k: ns.get(f"{g}/{k}", float("inf")))
        parts.append(f"{fmt(ns.get(o))} ns vs {NAMES[best_n]} {fmt(ns.get(f'{g}/{best_n}'))}")
        ok &= beats(ns.get(o, float("inf")), ns.get(f"{g}/{best_n}", float("inf")))
    parts.append(f"{fmt(instr[o])} instr vs {NAMES[best_i]} {fmt(instr[f'{g}/{best_i}'])}")
    ok &= beats(instr[o], instr[f"{g}/{best_i}"])
    targets.append((f"{TITLES[g][0].split(':')[0]} {NAMES[ours]}", what, "; ".join(parts), ok))

def at_most(g, ours, limit, unit):
    v = instr[f"{g}/{ours}"]
    targets.append((f"{TITLES[g][0].split(':')[0]} {NAMES[ours]}", f"≤ {limit} instructions/{unit}",
                    fmt(v), v <= limit))

def peers(g):
    return [r.split("/")[1] for r in instr if r.startswith(g + "/") and r.split("/")[1].startswith(PEERS)]

if profile == "bench":
    for k in ("resumable_boxed", "resumable_pinned"):
        at_most("w2_out_of_line", k, 20, "round trip")
        faster("w2_out_of_line", k, peers("w2_out_of_line"), "faster than every peer")
    at_most("w4_black_boxed", "resumable_boxed", 120, "generator")
    faster("w4_black_boxed", "resumable_boxed", ["genawaiter_rc"], "faster than genawaiter's heap form")
    faster("w4_black_boxed", "resumable_boxed", peers("w4_black_boxed"), "faster than every peer")
    at_most("w4_black_boxed", "resumable_pinned", 120, "generator")
    faster("w4_black_boxed", "resumable_pinned", ["genawaiter_stack"], "faster than genawaiter's stack form")
    faster("w4_black_boxed", "resumable_pinned", peers("w4_black_boxed"), "faster than every peer")
else:
    for g in groups:
        for k in ("resumable_boxed", "resumable_pinned"):
            faster(g, k, peers(g), f"no worse than the best peer at {profile}",
                   strict=False)
if targets:
    print("### Targets\n\n| row | target | ours | |\n|---|---|---|---|")
    for row, goal, figure, ok in targets:
        print(f"| {row} | {goal} | {figure} | {'**met**' if ok else '**missed**'} |")
PY
