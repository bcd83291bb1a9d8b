#!/bin/bash
# ctld_basic.sh - hubctld driven by the user commands: submission forms,
# hqueue's fields and filters, a job's life to hacct, cancel, hold and
# release, hbatch --wait and --test-only, hinfo, hcontrol show/update,
# draining a node.
. "$HUB_SRCDIR/tests/integration/lib.sh"

plan 70
write_conf
start_ctld --virtual-nodes || exit 1

# ---- submission --------------------------------------------------------

out=$(hbatch --hold --wrap true 2>&1)
like "$out" '^Submitted batch job [0-9]+$' "hbatch --wrap says Submitted batch job N"
id_wrap=${out##* }

printf '#!/bin/sh\necho plain\n' > "$T/plain.sh"
id=$(hbatch --parsable --hold -J plain "$T/plain.sh" 2>&1)
like "$id" '^[0-9]+$' "hbatch --parsable prints a number only"
is "$(hqueue -h -j "$id" -o '%j')" plain "a plain script file is queued"

cat > "$T/job.sh" <<'EOF'
#!/bin/sh
#SBATCH -J directed
#SBATCH --time=7:00
#SBATCH -c 2
#SBATCH --hold
echo hello
EOF
id_dir=$(hbatch --parsable "$T/job.sh")
is "$(hqueue -h -j "$id_dir" -o '%j|%l|%C|%r')" "directed|7:00|2|JobHeldUser" \
    "#SBATCH directives set name, time, cpus and hold"
cli=$(hbatch --parsable -J cli "$T/job.sh")
is "$(hqueue -h -j "$cli" -o '%j|%l')" "cli|7:00" \
    "the command line wins over a directive"
hcancel "$cli"

# ---- hqueue ------------------------------------------------------------

is "$(hqueue -h -j "$id" -o '%i|%P|%u|%T|%t|%r|%D|%l')" \
    "$id|debug|root|PENDING|PD|JobHeldUser|1|1:00:00" \
    "hqueue -o prints id, partition, user, state, reason, nodes, limit"
is "$(hqueue -h -j "$id" -o '%.6i|%-6j|')" "$(printf '%6s|%-6s|' "$id" plain)" \
    "hqueue widths pad right- and left-justified"
is "$(hqueue -j "$id" -o '%i %T' | head -1)" "JOBID STATE" "hqueue header line"
is "$(hqueue -h -u root -o '%i' | grep -c .)" 3 "hqueue -u root lists root's 3 jobs"
is "$(hqueue -h -u nobody -o '%i' | grep -c .)" 0 "hqueue -u nobody lists none"
is "$(hqueue -h -t R -o '%i' | grep -c .)" 0 "hqueue -t R: nothing runs"
is "$(hqueue -h -t pending -o '%i' | sort -n | tr '\n' ' ')" \
    "$id_wrap $id $id_dir " "hqueue -t pending lists the held jobs"
is "$(hqueue -h -j "$id,$id_dir" -o '%i' | sort -n | tr '\n' ' ')" \
    "$id $id_dir " "hqueue -j takes a list"
json=$(hqueue --json -j "$id")
if command -v python3 >/dev/null 2>&1; then
    got=$(printf '%s' "$json" | python3 -c \
        'import json,sys; print(*[j["id"] for j in json.load(sys.stdin)["jobs"]])')
else
    got=$(printf '%s' "$json" | grep -Eo '^    "id": [0-9]+' | grep -Eo '[0-9]+')
fi
is "$got" "$id" "hqueue --json parses and names the job"
hqueue -o '%z' >/dev/null 2>"$T/err"
is $? 2 "hqueue refuses an unknown field (usage error)"
like "$(cat "$T/err")" "invalid field '%z'" "... naming it"

# ---- a job runs and completes ------------------------------------------

run=$(HUB_VIRTUAL_RUNTIME=1.5 hbatch --parsable -J short --wrap true)
wait_for 10 sh -c "[ \"\$(hqueue -h -j $run -o %T)\" = RUNNING ]"
ok $? "a virtual job runs"
like "$(hqueue -h -j "$run" -o '%N')" '^node[1-4]$' "... on a node"
wait_for 10 sh -c "[ \"\$(hqueue -h -j $run -o %T)\" = COMPLETED ]"
ok $? "... and completes after its virtual runtime"
is "$(hacct -n -P -j "$run" -o jobid,jobname,state,exitcode)" \
    "$run|short|COMPLETED|0:0" "hacct shows it COMPLETED with exit code 0:0"
is "$(hqueue -h -o '%i' | grep -cx "$run")" 0 \
    "hqueue without -t no longer lists it"
is "$(hqueue -h -t CD -o '%i' | grep -cx "$run")" 1 "hqueue -t CD does"

# ---- cancel ------------------------------------------------------------

hcancel "$id_wrap"
ok $? "hcancel of a pending job succeeds"
is "$(job_state "$id_wrap")" CANCELLED "... and it is CANCELLED"
long=$(HUB_VIRTUAL_RUNTIME=60 hbatch --parsable --wrap true)
wait_for 10 sh -c "[ \"\$(hqueue -h -j $long -o %T)\" = RUNNING ]"
ok $? "a long job runs"
hcancel "$long"
ok $? "hcancel of a running job succeeds"
is "$(job_state "$long")" CANCELLED "... and it is CANCELLED"
is "$(hacct -n -P -j "$long" -o state)" CANCELLED "hacct agrees"
err=$(hcancel "$long" 2>&1)
is $? 1 "hcancel of an ended job exits 1"
like "$err" "job id $long" "... naming the job"
err=$(hcancel 999999 2>&1)
is $? 1 "hcancel of an unknown job exits 1"
like "$err" "Invalid job id" "... Invalid job id specified"
hcancel >/dev/null 2>&1
is $? 2 "hcancel without ids is a usage error"

# ---- hold and release --------------------------------------------------

h=$(HUB_VIRTUAL_RUNTIME=60 hbatch --parsable --begin=now+1hour --wrap true)
is "$(job_state "$h")" PENDING "a job with --begin in an hour pends"
hcontrol hold "$h"
ok $? "hcontrol hold"
is "$(hqueue -h -j "$h" -o '%r')" JobHeldUser "... reason JobHeldUser"
hcontrol release "$h"
ok $? "hcontrol release"
isnt_held=$(hqueue -h -j "$h" -o '%r')
[ "$isnt_held" != JobHeldUser ]
ok $? "... no longer held (reason $isnt_held)"
hcancel "$h"
hcontrol release "$id"
wait_for 10 sh -c "[ \"\$(hqueue -h -j $id -o %T)\" = COMPLETED ]"
ok $? "a job held at submission runs once released"
err=$(hcontrol hold "$id" 2>&1)
is $? 1 "hcontrol hold of an ended job exits 1"
like "$err" "Hold job error on job id $id" "... with scontrol's message"

# ---- hbatch --wait and --test-only ---------------------------------------

HUB_VIRTUAL_RUNTIME=0.3 hbatch --wait --wrap true >"$T/wait.out" 2>&1
is $? 0 "hbatch --wait exits 0 for a job that completed"
like "$(cat "$T/wait.out")" "COMPLETED" "... reporting COMPLETED"
HUB_VIRTUAL_RUNTIME=60 hbatch --wait -J waited --wrap true >"$T/wait2.out" 2>&1 &
wpid=$!
wait_for 10 sh -c "[ \"\$(hqueue -h -n waited -o %T)\" = RUNNING ]"
hcancel -n waited
wait "$wpid"
is $? 1 "hbatch --wait exits 1 for a cancelled job"
before=$(hqueue -h -t all -o '%i' | sort -n | tail -1)
out=$(hbatch --test-only --wrap true 2>&1)
like "$out" "to start at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8} .*on nodes node[0-9]" \
    "hbatch --test-only prints a start time and nodes"
is "$(hqueue -h -t all -o '%i' | sort -n | tail -1)" "$before" \
    "... and creates no job"
next=$(hbatch --parsable --hold --wrap true)
is "$next" "$((before + 1))" "... nor uses up an id"

# ---- hinfo and hcontrol show -------------------------------------------

like "$(hinfo)" "debug\*.* up .*1:00:00 .*local .*4 .*idle .*node\[1-4\]" \
    "hinfo: the partition with 4 idle nodes"
is "$(hinfo -N | grep -c '^node')" 4 \
    "hinfo -N lists 4 nodes"
like "$(hinfo -N | grep '^node3')" "node3 +local +idle +8/8 .*fake:2 +2" \
    "hinfo -N: a node's hub, state, cpus and gpus"
show=$(hcontrol show job "$next")
like "$show" "JobId=$next JobName=wrap" "hcontrol show job: id and name"
like "$show" "UserId=root\(0\)" "... user"
like "$show" "JobState=PENDING Reason=JobHeldUser" "... state and reason"
like "$show" "Partition=debug" "... partition"
like "$show" "TimeLimit=1:00:00" "... time limit"
like "$(hcontrol show node node2 | tr '\n' ' ')" \
    "NodeName=node2 Hub=local State=IDLE.*CPUTot=8.*RealMemory=16000.*Gres=gpu:fake:2" \
    "hcontrol show node"
like "$(hcontrol show partition debug | tr '\n' ' ')" \
    "PartitionName=debug.*Default=YES.*MaxTime=1:00:00.*Nodes=node\[1-4\]" \
    "hcontrol show partition"

# ---- hcontrol update ---------------------------------------------------

hcontrol update job "$next" TimeLimit=10:00
ok $? "hcontrol update job TimeLimit"
is "$(hqueue -h -j "$next" -o '%l')" 10:00 "... the new limit shows"
hcontrol update JobId="$next" TimeLimit=20
is "$(hqueue -h -j "$next" -o '%l')" 20:00 "update JobId=ID form, minutes"
err=$(hcontrol update job "$next" TimeLimit=2:00:00 2>&1)
is $? 1 "a limit over the partition's MaxTime is refused"
like "$err" "MaxTime" "... saying why"
is "$(hqueue -h -j "$next" -o '%l')" 20:00 "... the limit is unchanged"

# An unknown node used to leave the request unanswered (its name was
# freed before the error message quoted it).
err=$(timeout 10 hcontrol update node nosuch State=DRAIN Reason=x 2>&1)
is $? 1 "draining an unknown node fails at once"
like "$err" "node 'nosuch': no such node" "... naming it"

# ---- drain and resume --------------------------------------------------

hcontrol update node 'node[1-3]' State=DRAIN Reason="integration test"
ok $? "drain node[1-3]"
like "$(hinfo -N | grep '^node2')" "drain .*integration test" \
    "hinfo -N shows the drain and its reason"
ids=
for i in 1 2 3; do
    ids="$ids $(HUB_VIRTUAL_RUNTIME=60 hbatch --parsable --wrap true)"
done
for j in $ids; do
    wait_for 10 sh -c "[ \"\$(hqueue -h -j $j -o %T)\" = RUNNING ]"
done
is "$(for j in $ids; do hqueue -h -j "$j" -o '%T %N'; done | sort -u)" \
    "RUNNING node4" "jobs started while drained all run on node4"
hcontrol update node 'node[1-3]' State=RESUME
ok $? "resume node[1-3]"
r=$(HUB_VIRTUAL_RUNTIME=60 hbatch --parsable -c 8 --wrap true)
wait_for 10 sh -c "[ \"\$(hqueue -h -j $r -o %T)\" = RUNNING ]"
like "$(hqueue -h -j "$r" -o '%N')" "^node[1-3]$" "a resumed node takes jobs again"
hcancel $ids "$r"

done_testing
