#!/bin/sh
# hsim_alibaba.sh - hsim on Alibaba's GPU trace v2023: a replay of the
# first pods under select/random, bestfit and fgd, and the inflation
# experiment, where fragmentation-aware placement allocates the most.
. "$HUB_SRCDIR/tests/integration/lib.sh"
export PATH="$HUB_BUILDDIR/sched/hsim:$PATH"

DATA=${HUB_ALIBABA_DIR:-$HUB_SRCDIR/../shared/data/alibaba-gpu-v2023}
[ -r "$DATA/openb_pod_list_default.csv" ] || skip_all "no Alibaba trace in $DATA"

jget() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"*\([^,\"}]*\).*/\1/p"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

plan 7

out=$(hsim --alibaba "$DATA" -n 2000 --json 2>"$T/err")
ok $? "hsim replays the first 2000 pods"
for p in random bestfit fgd; do
    line=$(printf '%s\n' "$out" | grep "\"policy\":\"$p\"")
    le 1 "$(jget "$line" jobs_done)"
    ok $? "$p ran pods ($(jget "$line" jobs_done) done, GPU allocation $(jget "$line" gpu_alloc))"
done

out=$(hsim --alibaba "$DATA" --inflate 100 --json -o "$T/infl" 2>"$T/err")
ok $? "the inflation experiment runs to 100 %"
r=$(jget "$(printf '%s\n' "$out" | grep '"policy":"random"')" alloc_at_100)
b=$(jget "$(printf '%s\n' "$out" | grep '"policy":"bestfit"')" alloc_at_100)
f=$(jget "$(printf '%s\n' "$out" | grep '"policy":"fgd"')" alloc_at_100)
diag "allocation at 100 % arrived: random $r, bestfit $b, fgd $f"
le "$r" "$b"
ok $? "bestfit allocates at least as much as random"
le "$b" "$f"
ok $? "fgd allocates at least as much as bestfit"
done_testing
