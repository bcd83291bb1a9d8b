#!/bin/bash
# ctld_sched.sh - what hubctld decides: job arrays and their running
# limit, dependencies, requests refused at submission with a message that
# names the culprit, --strict, and hcontrol reconfigure keeping the jobs.
. "$HUB_SRCDIR/tests/integration/lib.sh"

plan 47
write_conf
start_ctld --virtual-nodes || exit 1

# running_tasks ARRAY: how many of its tasks run now.
running_tasks() { hqueue -h -j "$1" -t R -o '%i' | grep -c .; }
# state_is ID STATE: for wait_for.
state_is() { [ "$(job_state "$1")" = "$2" ]; }

# ---- arrays ------------------------------------------------------------

# Held until the checks of its listing are done (a loaded machine may
# take longer than a task runs).
a=$(HUB_VIRTUAL_RUNTIME=0.8 hbatch --parsable --hold --array=0-5%2 --wrap true)
like "$a" '^[0-9]+$' "an array is submitted"
is "$(hqueue -h -j "$a" -t all -o '%i' | sort | tr '\n' ' ')" \
    "${a}_0 ${a}_1 ${a}_2 ${a}_3 ${a}_4 ${a}_5 " "hqueue shows its tasks as A_T"
is "$(hqueue -h -j "${a}_3" -o '%A %K')" "$a 3" "%A and %K: array id, task id"
hcancel "${a}_4"
ok $? "hcancel A_T"
is "$(job_state "${a}_4")" CANCELLED "... cancels that task"
is "$(hqueue -h -j "${a}_5" -o '%T %r')" "PENDING JobHeldUser" \
    "... and not its neighbour"
hcontrol release "$a"
ok $? "hcontrol release A releases the array"
# Sample the number of running tasks until every task has ended.
max=0 samples=0 end=$(( $(date +%s) + 20 ))
while [ "$(date +%s)" -lt "$end" ]; do
    n=$(running_tasks "$a")
    [ "$n" -gt "$max" ] && max=$n
    samples=$((samples + 1))
    [ "$(hqueue -h -j "$a" -t PD,R -o '%i' | grep -c .)" = 0 ] && break
    sleep 0.05
done
is "$max" 2 "%2: at most 2 tasks ran at once, and 2 did ($samples samples)"
is "$(hqueue -h -j "$a" -t all -o '%K %T' | sort | tr '\n' ' ')" \
    "0 COMPLETED 1 COMPLETED 2 COMPLETED 3 COMPLETED 4 CANCELLED 5 COMPLETED " \
    "every other task completed"
is "$(hacct -n -P -j "$a" -o jobid,state | sort | tr '\n' ' ')" \
    "${a}_0|COMPLETED ${a}_1|COMPLETED ${a}_2|COMPLETED ${a}_3|COMPLETED ${a}_4|CANCELLED ${a}_5|COMPLETED " \
    "hacct lists the tasks as A_T"
b=$(hbatch --parsable --hold --array=1-3 --wrap true)
hcancel "${b}_1"
hcancel "$b"
is $? 0 "hcancel A on an array with an ended task succeeds"
is "$(hqueue -h -j "$b" -t all -o '%T' | sort -u)" CANCELLED \
    "... and cancels the rest"
hcancel "$b" 2>/dev/null
is $? 1 "hcancel A once every task ended fails"

# ---- dependencies ------------------------------------------------------

x=$(HUB_VIRTUAL_RUNTIME=0.5 hbatch --parsable --hold --wrap true)
d=$(hbatch --parsable -d "afterok:$x" --wrap true)
is "$(hqueue -h -j "$d" -o '%T %r')" "PENDING Dependency" \
    "afterok on a pending job: pending, reason Dependency"
hcontrol release "$x"
wait_for 15 state_is "$d" COMPLETED
ok $? "... runs and completes after its dependency completed"
start_d=$(hacct -n -P -j "$d" -o start)
end_x=$(hacct -n -P -j "$x" -o end)
[ -n "$start_d" ] && [ ! "$start_d" \< "$end_x" ]
ok $? "... and started no earlier than it ended ($start_d >= $end_x)"

y=$(HUB_VIRTUAL_RUNTIME=60 hbatch --parsable --wrap true)
e=$(hbatch --parsable -d "afterok:$y" --wrap true)
wait_for 10 state_is "$y" RUNNING
hcancel "$y"
wait_for 10 sh -c "[ \"\$(hqueue -h -j $e -o %r)\" = DependencyNeverSatisfied ]"
ok $? "afterok on a cancelled job: DependencyNeverSatisfied"
is "$(job_state "$e")" PENDING "... and the job stays pending"
hcancel "$e"

z=$(HUB_VIRTUAL_RUNTIME=60 hbatch --parsable --wrap true)
f=$(hbatch --parsable -d "afterany:$z" --wrap true)
wait_for 10 state_is "$z" RUNNING
hcancel "$z"
wait_for 10 state_is "$f" COMPLETED
ok $? "afterany runs after a cancelled job"

before=$(hqueue -h -t all -o '%i' | wc -l)
err=$(hbatch -d afterok:99999 --wrap true 2>&1)
is $? 1 "--dependency on a missing job is refused"
like "$err" "99999" "... naming the job"
like "$err" "dependency" "... and the option"
is "$(hqueue -h -t all -o '%i' | wc -l)" "$before" "... and nothing is queued"

# ---- bad requests ------------------------------------------------------

err=$(hbatch --gpus=100 --wrap true 2>&1)
is $? 1 "too many GPUs: refused"
like "$err" "gpus=100" "... naming --gpus"
err=$(hbatch --gpus-per-node=3 --wrap true 2>&1)
is $? 1 "more GPUs per node than any node has: refused"
like "$err" "gpus-per-node" "... naming --gpus-per-node"
err=$(hbatch -t 3:00:00 --wrap true 2>&1)
is $? 1 "a time over the partition's MaxTime: refused"
like "$err" "time.*MaxTime" "... naming --time and MaxTime"
err=$(hbatch -p nosuch --wrap true 2>&1)
is $? 1 "an unknown partition: refused"
like "$err" "partition=nosuch" "... naming it"
printf '#!/bin/sh\n#SBATCH -J ok\n#SBATCH --time=banana\necho hi\n' > "$T/bad.sh"
err=$(hbatch "$T/bad.sh" 2>&1)
is $? 1 "a malformed directive: refused"
like "$err" "bad.sh:3: --time" "... naming file:line and the option"
err=$(hbatch --bogus --wrap true 2>&1)
is $? 2 "an unknown option: usage error"
like "$err" "unrecognized option '--bogus'" "... naming it"
is "$(hqueue -h -t all -o '%i' | wc -l)" "$before" "none of them was queued"

# ---- --strict ----------------------------------------------------------

printf '#!/bin/sh\n#SBATCH --mail-type=ALL\necho hi\n' > "$T/mail.sh"
err=$(hbatch --parsable --hold "$T/mail.sh" 2>&1)
is $? 0 "an unsupported sbatch option is accepted"
like "$err" "mail.sh:2: --mail-type: not supported" "... with a warning naming it"
err=$(hbatch --strict --hold "$T/mail.sh" 2>&1)
is $? 1 "--strict: the same script is refused"
like "$err" "mail.sh:2: --mail-type" "... naming the line"
hbatch --strict --mail-type=ALL --wrap true >/dev/null 2>&1
is $? 1 "--strict refuses it on the command line too"

# ---- reconfigure -------------------------------------------------------

held=$(hbatch --parsable --hold --wrap true)
run=$(HUB_VIRTUAL_RUNTIME=2 hbatch --parsable --wrap true)
wait_for 10 state_is "$run" RUNNING
node=$(hqueue -h -j "$run" -o '%N')
write_conf "PartitionName=extra Nodes=node[3-4] MaxTime=10:00"
hcontrol reconfigure
ok $? "hcontrol reconfigure"
like "$(hinfo)" "extra .*node\[3-4\]" "... the new partition shows"
is "$(hqueue -h -j "$held" -o '%T %r')" "PENDING JobHeldUser" \
    "... a held job is kept"
is "$(hqueue -h -j "$run" -o '%T %N')" "RUNNING $node" \
    "... a running job is kept on its node"
wait_for 10 state_is "$run" COMPLETED
ok $? "... and completes"
p=$(hbatch --parsable -p extra -t 5:00 --wrap true)
wait_for 10 state_is "$p" COMPLETED
like "$(hacct -n -P -j "$p" -o partition,nodelist)" '^extra\|node[34]$' \
    "a job in the new partition runs on its nodes"

done_testing
