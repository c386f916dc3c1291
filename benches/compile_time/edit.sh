#!/usr/bin/env bash
# The one-line edit of the rebuild measurement: changes the first generator's step in a crate
# written by generate.sh between 1 and 2, so each edit changes what that line compiles to (an
# edit rustc could prove changes nothing, such as a comment, would let incremental compilation
# skip code generation).
#
#   benches/compile_time/edit.sh CRATE_DIR
set -euo pipefail
f=${1:?usage: edit.sh CRATE_DIR}/src/gens.rs
if grep -q 'let step: u64 = 1; // EDIT' "$f"; then
    sed -i 's|let step: u64 = 1; // EDIT|let step: u64 = 2; // EDIT|' "$f"
else
    sed -i 's|let step: u64 = 2; // EDIT|let step: u64 = 1; // EDIT|' "$f"
fi
grep -q '// EDIT' "$f" || { echo "edit.sh: no EDIT line in $f" >&2; exit 1; }
