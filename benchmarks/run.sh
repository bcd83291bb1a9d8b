#!/bin/sh
# run.sh - run benchmark programs (full size) and collect their JSON lines
# in bench-results.jsonl; each prints its human-readable line on stderr.
# Usage: run.sh PROGRAM...   (make bench passes them all); bench_gpt_mfu
# runs a second time with --device=gpu where nvidia-smi lists a GPU.
set -eu
out=${HUB_BENCH_OUT:-bench-results.jsonl}
: > "$out"
echo "benchmark      case                                         result" >&2
for prog in "$@"; do
    "./$prog" >> "$out"
    # the GPU's MFU too where a GPU is present and the GPU path was built
    case $prog in
    */bench_gpt_mfu)
        if nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
            "./$prog" --device=gpu >> "$out"
        fi ;;
    esac
done
echo "results: $out" >&2
