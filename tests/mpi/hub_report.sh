#!/bin/sh
# hub_report.sh - hub-report on a real job file: two runs of hubjob_check
# under mpirun (a restart resumed from step 15, with launcher phases),
# then the summary as text and JSON, the PNG plot (when gnuplot is
# installed), no plot and a warning without gnuplot, and an error for a
# file that is not a job file.
. "$HUB_SRCDIR/tests/mpi/hubjob_lib.sh"

R=$B/launcher/hubjob/report/hub-report
run 2 HUB_JOB_ID=9 -- steps 0 19
run 2 HUB_JOB_ID=9 HUB_RESTART_COUNT=1 \
    HUB_LAUNCH_TIMINGS=relaunch=1.5,load=0.25 -- steps 15 24 15

"$R" --png "$T/plot.png" hubjob-9.h5 >"$T/report" 2>"$T/report.err"
check "hub-report exits 0" test $? -eq 0
check "job id" grep -qx 'Job: *9' "$T/report"
check "model" grep -q '^Model: *gpt2-small (' "$T/report"
check "peak of 2 ranks x 1 core" grep -q 'peak 2e+09 FLOP/s' "$T/report"
check "steps and lost steps" grep -qx 'Steps: *30 (5 lost)' "$T/report"
check "MFU line" grep -q '^MFU: *mean .* %, median .* %$' "$T/report"
check "goodput line" grep -q '^Goodput: *[0-9.]* %$' "$T/report"
check "work lost" grep -q '^Work lost: *5 steps, ' "$T/report"
check "one restart" grep -qx 'Restarts: *1' "$T/report"
check "run 1 resumed from step 15 with its phases" grep -q \
    'run 1: steps 15..24 (10), resumed from checkpoint 15, .*; phases: relaunch 1.50 s, load 0.25 s$' \
    "$T/report"

"$R" --json --no-png hubjob-9.h5 >"$T/json"
check "--json: summary steps" grep -q '"summary": *{"steps": *30, *"lost_steps": *5' \
    "$T/json"
check "--json: job id" grep -q '"job_id": *"9"' "$T/json"
check "--json: no plot" grep -q '"png": *null' "$T/json"
check "h5dump agrees on the steps" sh -c \
    "h5dump -a /summary/steps hubjob-9.h5 | grep -q '(0): 30'"

if command -v gnuplot >/dev/null 2>&1; then
    check "the plot is written" test -s "$T/plot.png"
    check "the plot is a PNG" sh -c \
        "head -c 4 '$T/plot.png' | od -An -c | grep -q 'P   N   G'"
    check "the report names the plot" grep -qx "Plot: *$T/plot.png" \
        "$T/report"
else
    ok "# SKIP gnuplot not installed"
fi

HUB_GNUPLOT=/nonexistent "$R" --png "$T/none.png" hubjob-9.h5 \
    >/dev/null 2>"$T/err"
check "without gnuplot it still exits 0" test $? -eq 0
check "without gnuplot it warns" grep -q \
    'hub-report: warning: no plot: gnuplot not found' "$T/err"
check "without gnuplot no plot is written" test ! -e "$T/none.png"

echo "not HDF5" >"$T/bad.h5"
"$R" --no-png "$T/bad.h5" >/dev/null 2>"$T/err"
check "a file that is not a job file is an error" test $? -eq 1
check "with a message" grep -q '^hub-report: error: ' "$T/err"
done_testing
