#!/bin/sh
# smoke.sh - run every benchmark at tiny size (--smoke) so that none rots;
# one TAP line each. Correctness checks inside the benchmarks still apply.
progs="bench_sched_pass bench_submit bench_queue bench_restart bench_step bench_ckpt"
# the GPT benchmark is built only where configure found OpenBLAS
[ -x "$HUB_BUILDDIR/benchmarks/gpt/bench_gpt_mfu" ] &&
    progs="$progs gpt/bench_gpt_mfu"
set -- $progs
echo "1..$#"
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
exit $fail
