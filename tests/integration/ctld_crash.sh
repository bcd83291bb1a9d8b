#!/bin/bash
# ctld_crash.sh - hubctld's durability and robustness: kill -9 during a
# submission storm loses no acknowledged job and reuses no id; a running
# job survives a restart, and so does fair-share usage; a garbage frame
# closes only its connection.
. "$HUB_SRCDIR/tests/integration/lib.sh"

RAWSEND=$HUB_BUILDDIR/tests/integration/rawsend
[ -x "$RAWSEND" ] || { echo "rawsend not built: $RAWSEND" >&2; exit 77; }

plan 26
write_conf
start_ctld --virtual-nodes || exit 1

state_is() { [ "$(job_state "$1")" = "$2" ]; }
# lines FILE...: how many lines the files hold together.
lines() { cat "$@" 2>/dev/null | grep -c .; }

# ---- kill -9 during a submission storm ---------------------------------

LOOPS=6
pids=
for i in $(seq "$LOOPS"); do
    (
        # An id is written only once hbatch printed it: acknowledged.
        while id=$(hbatch --parsable --hold --wrap true 2>/dev/null); do
            echo "$id" >> "$T/acked.$i"
        done
    ) &
    pids="$pids $!"
done
# Kill once the storm is well under way (or after 10 s on a slow machine).
wait_for 10 sh -c "[ \$(cat $T/acked.* 2>/dev/null | wc -l) -ge 150 ]"
stop_ctld -KILL
for p in $pids; do wait "$p"; done
acked=$(lines "$T"/acked.*)
diag "$acked jobs acknowledged before kill -9"
[ "$acked" -gt 0 ]
ok $? "the storm had jobs acknowledged before the kill"

start_ctld --virtual-nodes
ok $? "hubctld restarts on the state it left"
sort -n "$T"/acked.* > "$T/acked"
hqueue -h -t all -o '%i' | sort -n > "$T/queued"
missing=$(comm -23 "$T/acked" "$T/queued" | wc -l)
is "$missing" 0 "every acknowledged job is in the queue after the restart"
is "$(sort -n "$T/acked" | uniq -d | wc -l)" 0 "no id was acknowledged twice"
extra=$(comm -13 "$T/acked" "$T/queued" | wc -l)
[ "$extra" -le "$LOOPS" ]
ok $? "at most one unacknowledged job per client ($extra)"
is "$(hqueue -h -o '%T %r' | sort -u)" "PENDING JobHeldUser" \
    "the held jobs are still pending and held"
maxold=$(tail -1 "$T/queued")
new=$(hbatch --parsable --hold --wrap true)
[ "$new" -gt "$maxold" ]
ok $? "a new submission gets a new id ($new > $maxold)"
hcancel -u root -t PD
is "$(hqueue -h -t PD -o '%i' | wc -l)" 0 "the storm's jobs cancel"

# ---- a running job survives a restart ----------------------------------

run=$(HUB_VIRTUAL_RUNTIME=4 hbatch --parsable -J survivor --wrap true)
wait_for 10 state_is "$run" RUNNING
ok $? "a job runs"
node=$(hqueue -h -j "$run" -o '%N')
stop_ctld -KILL
start_ctld --virtual-nodes
is "$(hqueue -h -j "$run" -o '%T %N')" "RUNNING $node" \
    "after kill -9 and restart it still runs on its node"
wait_for 15 state_is "$run" COMPLETED
ok $? "... and completes"
is "$(hacct -n -P -j "$run" -o jobname,state,exitcode)" \
    "survivor|COMPLETED|0:0" "hacct records it COMPLETED"
# A clean stop keeps a held job too.
held=$(hbatch --parsable --hold --wrap true)
stop_ctld
start_ctld --virtual-nodes
is "$(hqueue -h -j "$held" -o '%T %r')" "PENDING JobHeldUser" \
    "a held job survives a clean stop and start"

# ---- fair-share usage survives a restart --------------------------------

# fairshare JOB: the job's fair-share factor as hcontrol show job prints it.
fairshare() {
    hcontrol show job "$1" |
        sed -n 's/.*PriorityFactors:.* fairshare=\([^ ]*\).*/\1/p'
}
write_conf PriorityType=priority/multifactor PriorityWeightFairshare=1000
stop_ctld
start_ctld --virtual-nodes
is "$(fairshare "$held")" 1 "multifactor: no usage yet, fair-share factor 1"
used=$(HUB_VIRTUAL_RUNTIME=2 hbatch --parsable --wrap true)
wait_for 15 state_is "$used" COMPLETED
# One user and one account: all the usage is its own, 2^-1.
is "$(fairshare "$held")" 0.5 "a job of the same user ran: factor 0.5"
stop_ctld
start_ctld --virtual-nodes
is "$(fairshare "$held")" 0.5 "the factor is the same after a restart"

# ---- garbage closes its connection only --------------------------------

# A second connection sends half a valid frame, waits while the garbage
# arrives on other connections, then finishes the frame.
"$RAWSEND" "$HUB_SOCKET" len:21 'raw:{"op":' sleep:1500 \
    'raw:"ping","seq":7}' shut > "$T/slow.out" 2>&1 &
slow=$!
out=$("$RAWSEND" "$HUB_SOCKET" 'raw:xxxx garbage')
is "$out" EOF "a garbage header: the controller closes the connection"
out=$("$RAWSEND" "$HUB_SOCKET" len:1073741824 raw:abcdefgh)
is "$out" EOF "a header claiming 1 GiB: closed"
out=$("$RAWSEND" "$HUB_SOCKET" 'frame:this is not json')
is "$out" EOF "a frame that is not JSON: closed"
out=$("$RAWSEND" "$HUB_SOCKET" 'frame:[1,2,3]' 'frame:{"op":"ping","seq":2}' shut)
like "$out" "EOF" "a frame that is not an object: closed"
out=$("$RAWSEND" "$HUB_SOCKET" 'frame:{"op":"nosuch","seq":5}' \
    'frame:{"op":"ping","seq":6}' shut)
like "$(echo "$out" | head -1)" '"seq":5' "an unknown op is answered..."
like "$(echo "$out" | head -1)" 'unknown op' "... with an error"
like "$(echo "$out" | sed -n 2p)" '"rc":0.*"seq":6|"seq":6.*"rc":0' \
    "... and the connection serves the next request"
hqueue -h >/dev/null
ok $? "the controller serves other clients"
wait "$slow"
is $? 0 "the half-sent frame's connection saw its answer and EOF"
like "$(cat "$T/slow.out")" '"seq":7' "... answered after the garbage"

done_testing
