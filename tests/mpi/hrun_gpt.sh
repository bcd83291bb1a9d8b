#!/bin/sh
# hrun_gpt.sh - the issue's acceptance case, speaking TAP: a 4-rank
# data-parallel gpt-train job (tiny config, checkpoint every 20 steps)
# under hrun, one of its ranks SIGKILLed at 5 random steps, completes
# with bitwise the parameters of an uninterrupted run (--print-param-hash),
# and its job file records every restart's phases in /events. Skips (77)
# where gpt-train was not built (no OpenBLAS).
. "${HUB_SRCDIR:-$(dirname "$0")/../..}/tests/mpi/hrun_lib.sh"
GPT="$B/benchmarks/gpt/gpt-train"
[ -x "$GPT" ] && [ -x "$HRUN" ] || { echo "gpt-train or hrun not built" >&2; exit 77; }
cd "$T" || exit 1
export HUB_FLUSH_SECONDS=0.2
STEPS=600
args="--config tiny --steps $STEPS --ckpt-every 20 --print-param-hash"

# gpt NAME: run the job in T/NAME (job file, checkpoints) in the background.
gpt() {
    mkdir -p "$T/$1"
    HUB_JOB_FILE="$T/$1/job.h5" HUB_CKPT_DIR="$T/$1/ckpt" \
        "$HRUN" -n 4 --timeline "$T/$1/tl" $GPT_HRUN "$GPT" $args \
        >"$T/$1.out" 2>"$T/$1.err" &
    h=$!
    HRUN_PIDS="$HRUN_PIDS $h"
}

gpt full
wait $h
check $? "uninterrupted: 4 ranks of gpt-train under hrun complete"

# Five kill steps, sorted, at least 60 apart, in [40, 560).
targets=$(awk -v seed="$$" 'BEGIN { srand(seed); s = 40;
    for (i = 0; i < 5; i++) { s += int(rand() * 40); print s; s += 60 } }')
echo "# killing a random rank at steps $(echo $targets)"
gpt killed
k=0
for step in $targets; do
    if ! wait_until 120 at_step "$k" "$step" "$T/killed/job.h5.progress"; then
        echo "# run $k did not reach step $step"
        break
    fi
    victim=$(ranks $h | awk -v r=$((RANDOM % 4 + 1)) 'NR == r')
    echo "# run $k at step $(record step "$T/killed/job.h5.progress"): kill -9 $victim"
    kill -9 "$victim"
    k=$((k + 1))
done
wait $h
rc=$?
[ $rc = 0 ] && [ $k = 5 ]
check $? "5 SIGKILLs of a rank: hrun restarts the job 5 times and it completes"
full=$(awk '/^param-hash/ { print $2 }' "$T/full.out")
killed=$(awk '/^param-hash/ { print $2 }' "$T/killed.out" | tail -n 1)
echo "# uninterrupted $full, killed 5 times $killed"
[ -n "$full" ] && [ "$full" = "$killed" ]
check $? "final parameters bitwise identical to the uninterrupted run"
[ "$(grep -c '"resume_step":[1-9]' "$T/killed/tl")" = 5 ]
check $? "every restart resumed from a checkpoint"
sed -n 's/^hrun: *//p' "$T/killed.err" | grep -E 'teardown|goodput' | sed 's/^/# /'
if command -v h5dump >/dev/null; then
    ev=$(h5dump -d /events "$T/killed/job.h5" 2>/dev/null)
    bad=0
    for e in failure_detected teardown_done relaunch_started start resume; do
        c=$(echo "$ev" | grep -c "\"$e\"")
        echo "# /events: $c '$e'"
        [ "$c" -ge 5 ] || bad=1
    done
    check $bad "/events holds every restart's phases (detected, teardown, relaunch, MPI up, checkpoint loaded)"
else
    tap ok "/events # SKIP no h5dump"
fi
grep -q 'goodput' "$T/killed.err"
check $? "hrun reports goodput and work lost at the end"

echo "1..$n"
