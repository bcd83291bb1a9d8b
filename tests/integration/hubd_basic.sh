#!/bin/bash
# hubd_basic.sh - hubctld and one node agent: a job's output file and exit
# code, the environment a script sees (Slurm's variables, HUB_*, an array
# task's, a GPU job's), the job's private TMPDIR, an unmodified #SBATCH script, and the end of a
# job's whole process tree (a double-forked daemon in its own session
# included) on cancel and at the time limit, with cgroups and without;
# --signal=B:SIG@SECS before the limit.
. "$HUB_SRCDIR/tests/integration/lib.sh"

plan 45
write_agent_conf 1
start_ctld --port=0 || exit 1
start_hubd node1 || exit 1
mkdir -p "$T/sub"

# ---- output and exit codes ---------------------------------------------

id=$(cd "$T/sub" && hbatch --parsable -o out.%j --wrap 'echo hello; echo to-err >&2')
is "$(wait_job "$id")" COMPLETED "a job runs on the agent and completes"
is "$(cat "$T/sub/out.$id")" "$(printf 'hello\nto-err')" \
    "... its output file (relative to the submit dir) holds stdout and stderr"
is "$(hacct -n -P -j "$id" -o state,exitcode)" "COMPLETED|0:0" \
    "... hacct ExitCode 0:0"
id3=$(hbatch --parsable -o /dev/null --wrap 'exit 3')
is "$(wait_job "$id3")" FAILED "a script exiting 3 ends FAILED"
is "$(hacct -n -P -j "$id3" -o exitcode)" "3:0" "... hacct ExitCode 3:0"

# ---- the environment ---------------------------------------------------

envjob=$(cd "$T/sub" && hbatch --parsable -J envjob -n 2 -c 2 \
    -o "$T/env.%j" --wrap 'env | sort')
is "$(wait_job "$envjob")" COMPLETED "a job printing its environment completes"
envof() { sed -n "s/^$2=//p" "$T/env.$1"; }
is "$(envof "$envjob" SLURM_JOB_ID)" "$envjob" "SLURM_JOB_ID"
is "$(envof "$envjob" SLURM_JOB_NODELIST)" node1 "SLURM_JOB_NODELIST"
is "$(envof "$envjob" SLURM_NNODES)" 1 "SLURM_NNODES"
is "$(envof "$envjob" SLURM_NTASKS)" 2 "SLURM_NTASKS (-n 2)"
is "$(envof "$envjob" SLURM_CPUS_PER_TASK)" 2 "SLURM_CPUS_PER_TASK (-c 2)"
is "$(envof "$envjob" SLURM_SUBMIT_DIR)" "$T/sub" "SLURM_SUBMIT_DIR"
is "$(envof "$envjob" SLURM_JOB_NAME)" envjob "SLURM_JOB_NAME"
is "$(envof "$envjob" SLURM_RESTART_COUNT)" 0 "SLURM_RESTART_COUNT"
is "$(envof "$envjob" HUB_JOB_ID)|$(envof "$envjob" HUB_NODE)|$(envof "$envjob" HUB_NNODES)|$(envof "$envjob" HUB_CLUSTER)" \
    "$envjob|node1|1|test" "HUB_JOB_ID, HUB_NODE, HUB_NNODES, HUB_CLUSTER"
is "$(grep -c '^CUDA_VISIBLE_DEVICES=$' "$T/env.$envjob")" 1 \
    "a job without GPUs sees CUDA_VISIBLE_DEVICES empty"
like "$(envof "$envjob" OMPI_MCA_plm_rsh_agent)" '/hub-exec$' \
    "Open MPI's launch agent is hub-exec"

# ---- the job's TMPDIR ----------------------------------------------------

tj=$(TMPDIR=/submitters/tmp hbatch --parsable -o "$T/tmp.%j" --wrap \
    'echo "$TMPDIR"; stat -c "%a %U" "$TMPDIR"; mkdir "$TMPDIR/d" && touch "$TMPDIR/d/f" && echo wrote')
is "$(wait_job "$tj")" COMPLETED "a job using its TMPDIR completes"
is "$(sed -n 1p "$T/tmp.$tj")" "/tmp/hubjob.$tj.node1" \
    "TMPDIR is the job's own directory on the node, not the submitter's"
is "$(sed -n 2,3p "$T/tmp.$tj" | tr '\n' ' ')" "700 $(id -un) wrote " \
    "... mode 700, the job user's, writable"
wait_for 10 sh -c "[ ! -e /tmp/hubjob.$tj.node1 ]"
is "$([ -e "/tmp/hubjob.$tj.node1" ] && echo left || echo gone)" gone \
    "... removed with its contents when the job ends"

arr=$(hbatch --parsable --array=0-1 -o "$T/arr.%A_%a" --wrap 'env | sort')
wait_for 20 sh -c "[ -s $T/arr.${arr}_0 ] && [ -s $T/arr.${arr}_1 ]"
wait_for 20 sh -c "[ -z \"\$(hqueue -h -j $arr -o %T | grep -v COMPLETED)\" ]"
got=$(for t in 0 1; do
    sed -n 's/^SLURM_ARRAY_\(JOB\|TASK\)_ID=//p' "$T/arr.${arr}_$t" | tr '\n' ' '
done)
is "$got" "$arr 0 $arr 1 " "array tasks see SLURM_ARRAY_JOB_ID and _TASK_ID"

gpu=$(hbatch --parsable --gres=gpu:1 -o "$T/env.%j" --wrap 'env | sort')
is "$(wait_job "$gpu")" COMPLETED "a one-GPU job completes"
like "$(envof "$gpu" CUDA_VISIBLE_DEVICES)" '^[01]$' \
    "... CUDA_VISIBLE_DEVICES names one of the node's two GPUs"
is "$(envof "$gpu" HUB_GPU_TYPE)|$(envof "$gpu" HUB_PEAK_FLOPS_BF16)" \
    "fake|100000000000000" "... HUB_GPU_TYPE and HUB_PEAK_FLOPS_BF16"

# ---- a script written for sbatch -----------------------------------------

cat > "$T/sub/slurm.sh" <<'EOF'
#!/bin/bash
#SBATCH -J train-small
#SBATCH -o logs/%x-%j.out
#SBATCH -e logs/%x-%j.err
#SBATCH -t 00:10:00
#SBATCH -N 1
#SBATCH -n 2
#SBATCH --gres=gpu:1
echo "job $SLURM_JOB_ID ($SLURM_JOB_NAME) on $SLURM_JOB_NODELIST:" \
    "$SLURM_NTASKS tasks, GPU $CUDA_VISIBLE_DEVICES"
echo "warning: nothing to train" >&2
EOF
mkdir -p "$T/sub/logs"
sb=$(cd "$T/sub" && hbatch slurm.sh | awk '{print $NF}')
is "$(wait_job "$sb")" COMPLETED "an unmodified #SBATCH script completes"
like "$(cat "$T/sub/logs/train-small-$sb.out" 2>&1)" \
    "^job $sb \(train-small\) on node1: 2 tasks, GPU [01]$" \
    "... its -o file (%x-%j) has what it printed"
is "$(cat "$T/sub/logs/train-small-$sb.err" 2>&1)" "warning: nothing to train" \
    "... its -e file the error"
is "$(hacct -n -P -j "$sb" -o jobname,state,exitcode)" \
    "train-small|COMPLETED|0:0" "... hacct records it under its -J name"

# ---- cancel and time limit end the whole tree --------------------------

# tree_job FILE [hbatch options]: a job that starts a child and a
# double-forked daemon in its own session, writes the daemon's pid to
# FILE, and then waits; its USR1 trap appends a line to FILE.usr1.
tree_job() {
    _f=$1; shift
    hbatch --parsable -o "$_f.out" "$@" --wrap "
        trap 'echo usr1 \$(date +%s.%N) >> $_f.usr1' USR1
        echo start \$(date +%s.%N) > $_f.usr1
        sleep 300 &
        ( setsid sh -c 'echo \$\$ > $_f.tmp; mv $_f.tmp $_f; exec sleep 300' & )
        while :; do sleep 0.2; done"
}
gone() { ! kill -0 "$1" 2>/dev/null; }

c=$(tree_job "$T/daemon1")
wait_for 15 test -s "$T/daemon1"
dpid=$(cat "$T/daemon1")
kill -0 "$dpid" 2>/dev/null
ok $? "a job's double-forked daemon runs (pid $dpid)"
hcancel "$c"
is "$(wait_job "$c")" CANCELLED "hcancel ends the job CANCELLED"
wait_for 5 gone "$dpid"
ok $? "... and its daemon is gone (cgroup tracking)"

t0=$(date +%s.%N)
tl=$(tree_job "$T/daemon2" -t 0:06 --signal=B:USR1@3)
wait_for 15 test -s "$T/daemon2"
dpid=$(cat "$T/daemon2")
is "$(wait_job "$tl" 20)" TIMEOUT "a job over its 6 s limit ends TIMEOUT"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
diag "submit to TIMEOUT: $took s"
wait_for 5 gone "$dpid"
ok $? "... its daemon is gone"
is "$(hacct -n -P -j "$tl" -o state,exitcode)" "TIMEOUT|0:15" \
    "... hacct: TIMEOUT, killed by SIGTERM"
start=$(awk '$1 == "start" {print $2}' "$T/daemon2.usr1")
usr1=$(awk '$1 == "usr1" {print $2; exit}' "$T/daemon2.usr1")
if [ -n "$usr1" ]; then
    early=$(awk -v a="$start" -v b="$usr1" 'BEGIN {printf "%.2f", b - a}')
    diag "USR1 $early s after the script started"
    awk -v e="$early" 'BEGIN {exit !(e > 2 && e < 5)}'
    ok $? "--signal=B:USR1@3 reached the batch shell 3 s before the limit"
else
    ok 1 "--signal=B:USR1@3 reached the batch shell 3 s before the limit"
fi
is "$(grep -c usr1 "$T/daemon2.usr1")" 1 "... once"

# ---- the same without cgroups (process group and /proc scan) -------------

stop_hubd node1
start_hubd node1 --no-cgroups || exit 1
wait_for 10 sh -c '[ "$(hinfo -N -h | awk "{print \$3}")" = idle ]'
ok $? "the agent restarted with --no-cgroups is idle again"
c=$(tree_job "$T/daemon3")
wait_for 15 test -s "$T/daemon3"
dpid=$(cat "$T/daemon3")
hcancel "$c"
is "$(wait_job "$c")" CANCELLED "without cgroups: hcancel ends the job"
wait_for 5 gone "$dpid"
ok $? "... and the daemon that left its session (found by /proc scan)"
tl=$(tree_job "$T/daemon4" -t 0:03)
wait_for 15 test -s "$T/daemon4"
dpid=$(cat "$T/daemon4")
is "$(wait_job "$tl" 15)" TIMEOUT "without cgroups: the time limit ends the job"
wait_for 5 gone "$dpid"
ok $? "... and its daemon"

# ---- stopping the agent stops its jobs -----------------------------------

c=$(tree_job "$T/daemon5")
wait_for 15 test -s "$T/daemon5"
dpid=$(cat "$T/daemon5")
stop_hubd node1
wait_for 5 gone "$dpid"
ok $? "SIGTERM to hubd kills its jobs' processes"
start_hubd node1 || exit 1
st=$(wait_job "$c" 15)
like "$st" '^(NODE_FAIL|CANCELLED|FAILED)$' \
    "... the job does not stay RUNNING once the agent is back ($st)"
is "$(hacct -n -P -j "$c" -o jobid | grep -c .)" 1 "... and is recorded once"

done_testing
