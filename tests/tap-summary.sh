#!/usr/bin/env bash
# tap-summary.sh: the closing lines of a test pass from Criterion's TAP output.
#   tap-summary.sh NAME FILE.tap      lists every skipped test with its reason,
#                                     then "NAME: N passed, N failed, N skipped"
#   tap-summary.sh --total FILE...    one plain line "N passed, N failed, N skipped"
#                                     over all the files (the end of `make test`)
# Tests left out by --filter (Criterion: "test was skipped") are not counted.
set -euo pipefail
count() {
  awk '
    /^not ok/ { f++; next }
    /^ok .*# SKIP test was skipped$/ { next }
    /^ok .*# SKIP/ { s++; next }
    /^ok/ { p++ }
    END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$@"
}
if [ "${1:-}" = "--total" ]; then
  shift
  count "$@"
  exit 0
fi
name=$1 file=$2
[ -s "$file" ] || { echo "$name: no TAP output in $file (did the test binary start?)"; exit 0; }
awk -v name="$name" '
  /^ok .*# SKIP test was skipped$/ { next }
  /^ok .*# SKIP/ {
    t = $0; sub(/^ok - /, "", t); r = t
    sub(/ +# SKIP.*/, "", t); sub(/.*# SKIP /, "", r)
    printf "skipped (%s): %s: %s\n", name, t, r
  }
  /^not ok/ { t = $0; sub(/^not ok - /, "", t); printf "FAILED (%s): %s\n", name, t }' "$file"
echo "$name: $(count "$file")"
