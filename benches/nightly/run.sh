#!/usr/bin/env bash
# The nightly reference for issue 16 (see README.md): builds this crate with `cargo +nightly`
# and prints its tables.
#
#   benches/nightly/run.sh               sizes, bytes per task, instructions per op
#                                        (release, opt-level 1 and 0)
#   benches/nightly/run.sh --sizes       sizes and bytes per task only
#   benches/nightly/run.sh --release     instructions per op at release only (no debug builds)
#
# Instructions per operation are (I(2k) - I(k)) / k for one iteration of a row run under
# `valgrind --tool=callgrind` (`out_of_line --callgrind ROW OPS`), k = 10,000 operations, as
# benches/out_of_line.sh measures them: the process start and the setup cancel out.
set -euo pipefail
cd "$(dirname "$0")"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "No nightly toolchain is installed, so there is nothing to measure here (this crate"
    echo "needs nightly's coroutines and gen blocks). Install one with"
    echo "\`rustup toolchain install nightly\` and run this script again."
    exit 0
fi

sizes=true
profiles=(release o1 o0)
case "${1:-}" in
    "") ;;
    --sizes) profiles=() ;;
    --release) profiles=(release) ;;
    *) echo "usage: $0 [--sizes | --release]" >&2; exit 2 ;;
esac

echo "$(rustc +nightly --version), resumable at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
cargo +nightly build --quiet --release --bin sizes
target/release/sizes

[ ${#profiles[@]} -gt 0 ] || exit 0
if ! command -v valgrind >/dev/null; then
    echo
    echo "valgrind is not installed: no instructions per operation (the sizes above stand)."
    exit 0
fi

K=${K:-10000}
instr() { # binary row ops -> instructions of the whole process
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" --callgrind "$2" "$3" 2>&1 |
        awk '/Collected/ {print $4}'
}
declare -A per_op
rows=()
for profile in "${profiles[@]}"; do
    cargo +nightly build --quiet --profile "$profile" --bin out_of_line
    bin=target/$profile/out_of_line
    "$bin" --check >&2
    for row in $("$bin" --list); do
        # The debug builds measure W1 and W2, as benches/out_of_line.sh does.
        [ "$profile" = release ] || [ "${row%%/*}" != w4_black_boxed ] || continue
        i1=$(instr "$bin" "$row" "$K")
        i2=$(instr "$bin" "$row" $((2 * K)))
        tenths=$(((i2 - i1) * 10 / K))
        per_op[$row/$profile]="$((tenths / 10)).$((tenths % 10))"
        echo "$profile $row ${per_op[$row/$profile]}" >&2
        [[ " ${rows[*]} " == *" $row "* ]] || rows+=("$row")
    done
done

echo
echo "## Instructions per operation, out of line (callgrind, (I(2k) − I(k)) / k, k = $K)"
echo
echo "W1 per yield, W2 per round trip (through a trait object from an \`#[inline(never)]\` driver),"
echo "W4 per generator created and drained (its handle through \`black_box\`). release: opt-level 3,"
echo "LTO, one codegen unit (the workspace's \`bench\` profile); o1 / o0: the \`dev\` profile at"
echo "opt-level 1 / 0."
echo
header="| row |"
rule="|---|"
for profile in "${profiles[@]}"; do header+=" $profile |"; rule+="--:|"; done
echo "$header"
echo "$rule"
for row in "${rows[@]}"; do
    line="| $row |"
    for profile in "${profiles[@]}"; do line+=" ${per_op[$row/$profile]:-—} |"; done
    echo "$line"
done
