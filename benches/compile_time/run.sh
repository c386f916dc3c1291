#!/usr/bin/env bash
# Measures what resumable costs a user's build: writes the user crates (generate.sh), then, with
# hyperfine, for each variant: (a) the debug rebuild after a one-line edit (edit.sh), (a') the
# same edit only type-checked (`cargo check`), (b) the clean debug build with dependencies; then
# `cargo llvm-lines` of each crate (the LLVM IR rustc generates for it, by function). Prints
# medians and the IR totals; keeps hyperfine's JSON and the llvm-lines listings in
# OUT_DIR/results/.
#
#   benches/compile_time/run.sh [VARIANT...]     (default: hand resumable resumable-gen async-stream)
#
# Environment: OUT_DIR (target/compile_time), N (200 generators), RESUMABLE (the core crate to
# build against: this checkout's core/ unless given), EDIT_RUNS (10), CLEAN_RUNS (5),
# SKIP_LLVM_LINES=1 to leave llvm-lines out, REPORT_ONLY=1 to print the table of the last run.
# Needs hyperfine (`apt-get install hyperfine`), cargo-llvm-lines (`cargo install
# cargo-llvm-lines`) and python3. Other builds running on the machine at the same time show up
# in the timings: the load average is printed with them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
core=$(cd "${RESUMABLE:-$repo/core}" && pwd)
out=${OUT_DIR:-$repo/target/compile_time}
n=${N:-200}
edit_runs=${EDIT_RUNS:-10}
clean_runs=${CLEAN_RUNS:-5}
variants=("$@")
if [ ${#variants[@]} -eq 0 ]; then
    variants=(hand resumable resumable-gen async-stream)
fi

[ -n "${REPORT_ONLY:-}" ] || "$here/generate.sh" "$out" "$n"
mkdir -p "$out/results"
results=$out/results

times() { # $1: hyperfine's JSON -> "median wall time | mean CPU time (user + system)"
    if [ ! -f "$1" ]; then
        echo "- | -"
        return
    fi
    python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.2f | %.2f" % (r["median"], r["user"] + r["system"]))' "$1"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(rustc --version)"
commit=$(git -C "$core" rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")
if [ "$commit" != "not a git checkout" ] && ! git -C "$core" diff --quiet HEAD -- . ../macros; then
    commit="$commit + uncommitted changes"
fi
echo "resumable: $core ($commit)"
for v in "${variants[@]}"; do
    [ -z "${REPORT_ONLY:-}" ] || break
    dir=$out/$v
    build="cargo build -q --manifest-path $dir/Cargo.toml"
    $build # dependencies fetched, the crate compiles, and the edit starts from a built crate
    [ "$("$dir/target/debug/ct-$v" 5)" = 202000 ] || [ "$n" -ne 200 ] \
        || { echo "ct-$v computed the wrong sum" >&2; exit 1; }
    echo "== $v: load average $(cut -d' ' -f1-3 /proc/loadavg)"
    hyperfine -N --style basic --warmup 1 --runs "$edit_runs" \
        --prepare "bash $here/edit.sh $dir" --export-json "$results/$v-edit.json" "$build" >&2
    # The same edit, type-checked only (`cargo check`: expansion, type and borrow checking, no
    # code generation): what is left of the rebuild is code generation and linking.
    hyperfine -N --style basic --warmup 1 --runs "$edit_runs" \
        --prepare "bash $here/edit.sh $dir" --export-json "$results/$v-check.json" \
        "cargo check -q --manifest-path $dir/Cargo.toml" >&2
    hyperfine -N --style basic --runs "$clean_runs" \
        --prepare "cargo clean -q --manifest-path $dir/Cargo.toml" \
        --export-json "$results/$v-clean.json" "$build" >&2
    if [ -z "${SKIP_LLVM_LINES:-}" ]; then
        (cd "$dir" && cargo llvm-lines -q --bin "ct-$v" >"$results/$v-llvm-lines.txt")
    fi
done

echo
echo "| variant | edit rebuild, wall (s) | edit rebuild, CPU (s) | edit check, wall (s) | edit check, CPU (s) | clean build, wall (s) | clean build, CPU (s) | LLVM IR lines | per generator |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
for v in "${variants[@]}"; do
    lines=-
    per=-
    if [ -f "$results/$v-llvm-lines.txt" ]; then
        lines=$(awk '/\(TOTAL\)/ {print $1; exit}' "$results/$v-llvm-lines.txt")
        per=$((lines / n))
    fi
    echo "| $v | $(times "$results/$v-edit.json") | $(times "$results/$v-check.json") | $(times "$results/$v-clean.json") | $lines | $per |"
done
echo
echo "edit rebuild: a one-line edit (edit.sh), then a debug build; edit check: the same edit, then"
echo "\`cargo check\` (no code generation); clean build: \`cargo clean\`, then a debug build with"
echo "dependencies. Wall: median of $edit_runs edits and $clean_runs clean builds; CPU: mean user + system time"
echo "of the same runs (less disturbed by other work on the machine than wall time)."
echo "llvm-lines listings: $results/*-llvm-lines.txt"
