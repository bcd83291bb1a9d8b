#!/bin/sh
# hubjob_file.sh - the job file and the progress record under mpirun:
# h5dump reads /metrics (a row per step, the loss), the attributes and
# /summary; a restart appends to the same file with a "resume" event and
# counts the steps done again; the progress record says where it stands.
. "$HUB_SRCDIR/tests/mpi/hubjob_lib.sh"

if ! command -v h5dump >/dev/null 2>&1; then
    echo "h5dump not found: apt-get install hdf5-tools" >&2
    exit 77
fi

run 2 HUB_JOB_ID=9 -- steps 0 19
h5dump -d /metrics hubjob-9.h5 >"$T/metrics" 2>&1
check "h5dump reads the job file" test $? -eq 0
check "h5dump shows /metrics" grep -q 'DATASET "/metrics"' "$T/metrics"
check "/metrics has a row per step" grep -q '( 20 ) / ( H5S_UNLIMITED )' \
    "$T/metrics"
check "/metrics holds the loss" grep -q '2.5,' "$T/metrics"
h5dump -A hubjob-9.h5 >"$T/attrs" 2>&1
check "schema version attribute" grep -A6 'ATTRIBUTE "schema_version"' \
    "$T/attrs"
check "model name attribute" grep -q '"gpt2-small"' "$T/attrs"
check "/summary has goodput" grep -q 'ATTRIBUTE "goodput"' "$T/attrs"
check "progress record finished" grep -qx 'state=finished' \
    hubjob-9.h5.progress
check "progress record at step 19" grep -qx 'step=19' hubjob-9.h5.progress

run 2 HUB_JOB_ID=9 HUB_RESTART_COUNT=1 -- steps 15 24 15
h5dump -d /events hubjob-9.h5 >"$T/events" 2>&1
check "restart appends: /metrics has 30 rows" sh -c \
    "h5dump -H -d /metrics hubjob-9.h5 | grep -q '( 30 ) / ( H5S_UNLIMITED )'"
check "resume event recorded" grep -q '"resume"' "$T/events"
check "resume event counts the steps redone" grep -q \
    'restart=1 previous_last_step=19 redo_steps=5' "$T/events"
check "/summary counts them lost" sh -c \
    "h5dump -a /summary/lost_steps hubjob-9.h5 | grep -q '(0): 5'"
check "progress record says restarts=1" grep -qx 'restarts=1' \
    hubjob-9.h5.progress
check "progress record at step 24" grep -qx 'step=24' hubjob-9.h5.progress
check "progress record knows the checkpoint" grep -qx 'ckpt_step=15' \
    hubjob-9.h5.progress

done_testing
