#!/bin/sh
# hrun_basic.sh - hrun with no scheduler, speaking TAP: a hostfile and a
# --host list, [rank] labels, GPUs per rank, a killed rank restarted from
# its checkpoint, a stopped (SIGSTOP) rank detected as hung within
# --hang-timeout and recovered, a failure loop stopped with its reason,
# --max-restarts, SIGUSR1 as a checkpoint request and SIGTERM ending it.
. "${HUB_SRCDIR:-$(dirname "$0")/../..}/tests/mpi/hrun_lib.sh"
[ -x "$HRUN" ] && [ -x "$PROG" ] || { echo "hrun or $PROG not built" >&2; exit 77; }
cd "$T" || exit 1
export HUB_JOB_FILE="$T/job.h5" HUB_CKPT_DIR="$T/ckpt" HUB_FLUSH_SECONDS=0.2

# --- layouts -----------------------------------------------------------
printf 'localhost slots=4\n' >"$T/hosts"
"$HRUN" -n 4 --hostfile "$T/hosts" "$PROG" --hello >"$T/hello" 2>"$T/err"
[ "$(grep -c '^rank [0-3]/4 ' "$T/hello")" = 4 ]
check $? "hrun -n 4 --hostfile: four ranks of a world of 4"
"$HRUN" -n 3 --host localhost:3 --label "$PROG" --hello >"$T/label" 2>&1
[ "$(grep -cE '^\[([0-2])\] rank \1/3 ' "$T/label")" = 3 ]
check $? "--host localhost:3 --label: each line starts with its [rank]"
"$HRUN" -n 5 --host localhost:4 "$PROG" --hello >/dev/null 2>"$T/err"
[ $? = 2 ] && grep -q 'slots' "$T/err"
check $? "more ranks than slots is refused with a message (exit 2)"
CUDA_VISIBLE_DEVICES=4,5,6,7 "$HRUN" -n 4 --gpus-per-task 1 "$PROG" --hello \
    >"$T/gpus" 2>&1
[ "$(awk '$1 == "rank" { print $4 "=" $6 }' "$T/gpus" | sort | tr '\n' ' ')" = "0=4 1=5 2=6 3=7 " ]
check $? "--gpus-per-task 1: local rank r sees the node's r-th GPU"
CUDA_VISIBLE_DEVICES=0,1,2,3 "$HRUN" -n 2 --gpus-per-task 2 "$PROG" --hello \
    >"$T/gpus2" 2>&1
[ "$(awk '$1 == "rank" { print $4 "=" $6 }' "$T/gpus2" | sort | tr '\n' ' ')" = "0=0,1 1=2,3 " ]
check $? "--gpus-per-task 2: two GPUs each"

# --- a killed rank ------------------------------------------------------
rm -rf "$T/ckpt" "$T/job.h5"*
"$HRUN" -n 4 --timeline "$T/tl" "$PROG" --steps 150 --step-ms 10 \
    --ckpt-every 10 >"$T/kill.out" 2>"$T/kill.err" &
h=$!
HRUN_PIDS="$h"
wait_until 60 at_step 0 30 && kill -9 $(ranks $h | sed -n 3p)
wait $h
rc=$?
grep -q '^state-hash' "$T/kill.out" && [ $rc = 0 ] &&
    [ "$(grep -c '"cause"' "$T/tl")" = 1 ]
check $? "a SIGKILLed rank: the job restarts once and completes"
grep -q '"resume_step":[1-9]' "$T/tl"
check $? "... the restarted run resumed from a checkpoint"
rm -rf "$T/ckpt" "$T/job.h5"*
"$HRUN" -n 4 "$PROG" --steps 150 --step-ms 10 --ckpt-every 10 \
    >"$T/clean.out" 2>/dev/null
[ "$(grep state-hash "$T/clean.out")" = "$(grep state-hash "$T/kill.out")" ]
check $? "... and ends with the state of a run that was never killed"

# --- a hang ---------------------------------------------------------------
rm -rf "$T/ckpt" "$T/job.h5"* "$T/tl"
"$HRUN" -n 4 --hang-timeout 5 --timeline "$T/tl" "$PROG" --steps 400 \
    --step-ms 10 --ckpt-every 10 >"$T/hang.out" 2>"$T/hang.err" &
h=$!
HRUN_PIDS="$h"
wait_until 60 at_step 0 30 && stopped=$(ranks $h | sed -n 2p) &&
    kill -STOP "$stopped" && t0=$(date +%s.%N)
wait $h
rc=$?
kill -CONT "$stopped" 2>/dev/null
grep -q 'hang: no step for' "$T/hang.err" && [ $rc = 0 ] &&
    grep -q '^state-hash' "$T/hang.out"
check $? "a SIGSTOPped rank is detected as hung and the job recovers"
awk -v t0="$t0" -F'"detected":' '/hang/ { split($2, a, ","); d = a[1] - t0;
    printf "# hang detected %.2f s after SIGSTOP\n", d; exit !(d > 4 && d < 8) }' "$T/tl"
check $? "... within the 5 s --hang-timeout (+ 3 s)"
kill -0 "$stopped" 2>/dev/null
check $((!$?)) "... and the stopped rank is gone"

# --- failure loop, max restarts ---------------------------------------------
"$HRUN" -n 2 "$PROG" --fail >/dev/null 2>"$T/loop.err"
rc=$?
grep -q 'giving up: failure loop: 2 runs in a row ended before their first step' \
    "$T/loop.err" && [ $rc = 3 ]
check $? "a program that fails before its first step stops after 2 runs (exit 3)"
rm -rf "$T/ckpt" "$T/job.h5"*
"$HRUN" -n 2 --max-restarts 0 "$PROG" --steps 1000 --step-ms 10 \
    >/dev/null 2>"$T/max.err" &
h=$!
HRUN_PIDS="$h"
wait_until 60 at_step 0 5 && kill -9 $(ranks $h | sed -n 2p)
wait $h
rc=$?
grep -q 'giving up: 0 restarts done (--max-restarts)' "$T/max.err" && [ $rc != 0 ]
check $? "--max-restarts 0: the first failure ends the job"

# --- signals --------------------------------------------------------------
rm -rf "$T/ckpt" "$T/job.h5"*
"$HRUN" -n 2 "$PROG" --steps 100000 --step-ms 10 --ckpt-every 0 \
    >"$T/sig.out" 2>"$T/sig.err" &
h=$!
HRUN_PIDS="$h"
wait_until 60 at_step 0 5 && kill -USR1 $h
wait_until 20 grep -q 'checkpoint on request' "$T/sig.out"
check $? "SIGUSR1 to hrun: the ranks checkpoint at their next step"
kill -TERM $h
wait $h
rc=$?
[ $rc = 143 ] && [ -z "$(ranks $h)" ] && ! grep -q 'restart' "$T/sig.err"
check $? "SIGTERM to hrun: every rank ends, no restart, exit 143"

echo "1..$n"
