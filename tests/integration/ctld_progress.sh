#!/bin/bash
# ctld_progress.sh - hrun's reports to hubctld (job_progress, job_report)
# sent as raw frames for a running virtual job, shown by hqueue (%I %Y %X,
# -l, --json) and, once the job ended, by hacct; hbatch --spare-nodes
# holding the extra nodes.
. "$HUB_SRCDIR/tests/integration/lib.sh"

RAWSEND=$HUB_BUILDDIR/tests/integration/rawsend
[ -x "$RAWSEND" ] || { echo "rawsend not built: $RAWSEND" >&2; exit 77; }

plan 10
write_conf
start_ctld --virtual-nodes || exit 1

# send OP JSON-FIELDS: one request, its answer on stdout.
send() {
    "$RAWSEND" "$HUB_SOCKET" "frame:{\"op\":\"$1\",\"seq\":1,$2}" shut |
        grep -v '^EOF$'
}

id=$(hbatch --parsable -t 30:00 --wrap true)
wait_for 10 sh -c "[ \"\$(hqueue -h -j $id -o '%t')\" = R ]"
is "$(hqueue -h -j "$id" -o '%I|%Y|%X')" "N/A|N/A|0" \
    "before any report: no step, no MFU, no restarts"

out=$(send job_progress "\"id\":$id,\"step\":420,\"mfu\":0.412,\"restarts\":2")
like "$out" '"rc": *0' "job_progress is answered rc 0"
is "$(hqueue -h -j "$id" -o '%I|%Y|%X')" "420|41.2%|2" \
    "hqueue shows step, MFU and restarts"
like "$(hqueue -l -j "$id")" 'STEP +MFU +RESTARTS' "hqueue -l has the columns"
like "$(hqueue --json -j "$id")" '"hrun_step": *420' "hqueue --json has hrun_step"

out=$(send job_progress "\"id\":$id,\"mfu\":\"high\"")
like "$out" '"rc": *-22' "a bad field is refused"
out=$(send job_progress "\"id\":999999,\"step\":1")
like "$out" '"rc": *-2' "an unknown job is refused"

out=$(send job_report "\"id\":$id,\"goodput\":0.95,\"work_lost_s\":12.5,\"restarts\":3,\"mfu\":0.4,\"step\":500")
like "$out" '"rc": *0' "job_report is answered rc 0"
hcancel "$id" 2>/dev/null
wait_for 10 sh -c "hacct -n -P -j $id -o restarts | grep -q ."
is "$(hacct -n -P -j "$id" -o jobid,restarts | head -n 1)" "$id|3" \
    "hacct shows hrun's restarts from the stored report"

spare=$(hbatch --parsable -N 2 --spare-nodes=1 -t 10:00 --hold --wrap true)
is "$(hqueue -h -j "$spare" -o '%D')" 3 "--spare-nodes=1 with -N 2 asks for 3 nodes"

done_testing
