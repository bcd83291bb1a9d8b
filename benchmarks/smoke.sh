#!/bin/sh
# smoke.sh - run every benchmark at tiny size (--smoke) so that none rots;
# one TAP line each. Correctness checks inside the benchmarks still apply.
progs="bench_sched_pass bench_submit bench_queue bench_restart bench_step bench_ckpt"
progs="$progs bench_launch bench_throughput"
progs="$progs bench_recovery"
progs="$progs bench_hsim"
# the GPT benchmark is built only where configure found OpenBLAS
[ -x "$HUB_BUILDDIR/benchmarks/gpt/bench_gpt_mfu" ] &&
    progs="$progs gpt/bench_gpt_mfu gpt/bench_gpt_ckpt"
set -- $progs
echo "1..$(($# + 1))" # + bench_slurm_recovery.sh, below
n=0
fail=0
for p in $progs; do
    n=$((n + 1))
    if HUB_BUILDDIR="$HUB_BUILDDIR" "$HUB_BUILDDIR/benchmarks/$p" --smoke \
        >"$HUB_BUILDDIR/benchmarks/$p.smoke.json" 2>&1; then
        echo "ok $n - $p --smoke"
    else
        echo "not ok $n - $p --smoke"
        sed 's/^/# /' "$HUB_BUILDDIR/benchmarks/$p.smoke.json"
        fail=1
    fi
done
# Slurm recovery beside hrun outside Slurm: a script that starts its own
# Slurm (root only); 77 means it cannot run here, a skip.
n=$((n + 1))
out=$HUB_BUILDDIR/benchmarks/bench_slurm_recovery.smoke.json
HUB_BUILDDIR="$HUB_BUILDDIR" bash "$HUB_SRCDIR/benchmarks/bench_slurm_recovery.sh" \
    --smoke >"$out" 2>&1
case $? in
0) echo "ok $n - bench_slurm_recovery.sh --smoke" ;;
77) echo "ok $n - bench_slurm_recovery.sh --smoke # SKIP $(tail -n 1 "$out")" ;;
*)
    echo "not ok $n - bench_slurm_recovery.sh --smoke"
    sed 's/^/# /' "$out"
    fail=1
    ;;
esac
exit $fail
