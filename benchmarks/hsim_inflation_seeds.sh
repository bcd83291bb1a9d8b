#!/bin/sh
# hsim_inflation_seeds.sh - the Alibaba v2023 inflation experiment over
# several seeds: GPU allocation at PCT % (130) of the GPUs requested, mean,
# min and max per policy, every policy run in the same hsim invocation.
# Usage: benchmarks/hsim_inflation_seeds.sh [HSIM [DIR [PCT [SEEDS...]]]]
#   HSIM   the hsim binary (_build/sched/hsim/hsim)
#   DIR    the trace (../shared/data/alibaba-gpu-v2023)
#   SEEDS  42 ... 51, those of the FGD artifact's expected results
# POLICIES (environment): "random bestfit fgd fgdx" unless set.
# Runs under nice -n 19, one hsim at a time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
hsim=${1:-$top/_build/sched/hsim/hsim}
dir=${2:-$top/../shared/data/alibaba-gpu-v2023}
pct=${3:-130}
[ "$#" -gt 3 ] && shift 3 || set -- 42 43 44 45 46 47 48 49 50 51
policies=${POLICIES:-random bestfit fgd fgdx}
popts=""
for p in $policies; do popts="$popts -p $p"; done
for seed in "$@"; do
    # shellcheck disable=SC2086
    nice -n 19 "$hsim" --alibaba "$dir" --inflate "$pct" --seed "$seed" \
        $popts --json | sed "s/^{/{\"seed\":$seed,/"
done | tee "${OUT:-/dev/null}" | awk -v pct="$pct" '
{
    match($0, /"policy":"[^"]*"/)
    p = substr($0, RSTART + 10, RLENGTH - 11)
    key = "\"alloc_at_" pct "\":"
    i = index($0, key)
    v = 100 * substr($0, i + length(key)) + 0
    if (!(p in n)) { order[++np] = p; min[p] = v; max[p] = v }
    n[p]++; sum[p] += v; all[p] = all[p] sprintf(" %.2f", v)
    if (v < min[p]) min[p] = v
    if (v > max[p]) max[p] = v
}
END {
    printf "GPU allocation (%%) at %s %% requested\n", pct
    printf "%-10s %5s %7s %7s %7s  per seed\n", "policy", "seeds", "mean",
        "min", "max"
    for (k = 1; k <= np; k++) {
        p = order[k]
        printf "%-10s %5d %7.2f %7.2f %7.2f %s\n", p, n[p], sum[p] / n[p],
            min[p], max[p], all[p]
    }
}'
