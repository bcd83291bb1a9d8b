#!/bin/sh
# run.sh - run benchmark programs (full size) and collect their JSON lines
# in bench-results.jsonl; each prints its human-readable line on stderr.
# Usage: run.sh PROGRAM...   (make bench passes them all)
set -eu
out=${HUB_BENCH_OUT:-bench-results.jsonl}
: > "$out"
echo "benchmark      case                                         result" >&2
for prog in "$@"; do
    "./$prog" >> "$out"
done
echo "results: $out" >&2
