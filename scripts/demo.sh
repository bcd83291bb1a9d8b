#!/bin/sh
# demo.sh - set up a fresh Debian 12 machine (packages, build), then show
# hubsched at work on this machine: a controller and four node agents
# (hubd) on the four-node, one-hub configuration of etc/hub.conf.local,
# in a temp dir with free ports; a few jobs of the kinds AI users submit
# (a 2-node, 4-rank data-parallel GPT training job run by hrun, whose
# mpirun reaches its second node through hub-exec, an array of
# quarter-GPU inference tasks, an evaluation that waits for the
# training), the queue and the nodes as the jobs move, one training rank
# killed and hrun restarting the run from its last checkpoint, what the
# jobs printed, the training's job file (hub-report: MFU, goodput, the
# restart's phases) and the accounting records. The GPUs are fake (each
# agent declares hub.conf's two), so any machine will do. Stops
# everything it started. Takes about half a minute once built.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
build=${HUB_BUILD:-$top/_build}
export PATH="$build/sched/hubctld:$build/sched/cmd:$build/launcher/hubd:$build/launcher:$build/launcher/hrun:$build/launcher/hubjob/report:$PATH"

dir=$(mktemp -d /tmp/hubdemo.XXXXXX)
chmod 755 "$dir"
pids=
stop() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# n TCP ports nothing uses now (hub.conf.local's 17000-17004 may be taken).
free_ports() {
    got=
    while [ "$(echo $got | wc -w)" -lt "$1" ]; do
        p=$(shuf -i 20000-49999 -n 1)
        case " $got " in *" $p "*) continue ;; esac
        [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ] && got="$got $p"
    done
    echo $got
}

# The integration tests use the same node names: wait while one runs
# (an agent starting up kills what it finds of its node's old jobs).
if command -v flock >/dev/null 2>&1; then
    exec 9>> /tmp/hubsched-agent-tests.lock
    flock -w 120 9 || echo "demo: an integration test with agents is running"
fi

# mpirun reaches the job's other node through hub-exec, whose requests
# carry a MUNGE credential.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        install -d -o munge -g munge -m 0755 /run/munge
        runuser -u munge -- /usr/sbin/munged
        sleep 1
    else
        echo "demo: munged is not running: the 2-node job's mpirun will fail"
    fi
fi

set -- $(free_ports 5)
ctl_port=$1; shift
sed -e "s|^ControllerSocket=.*|ControllerSocket=$dir/ctld.sock|" \
    -e "s|^StateSaveLocation=.*|StateSaveLocation=$dir/state|" \
    -e "s|^ControllerPort=.*|ControllerPort=$ctl_port|" \
    -e "s|Port=\[17001-17004\]|Port=[$1,$2,$3,$4]|" \
    "$top/etc/hub.conf.local" > "$dir/hub.conf"
export HUB_CONF="$dir/hub.conf" HUB_SOCKET="$dir/ctld.sock"

say "starting hubctld on $HUB_CONF"
hubctld -f "$HUB_CONF" --port=0 -l info > "$dir/ctld.log" 2>&1 9>&- &
pids="$pids $!"
for _ in $(seq 100); do hqueue -h >/dev/null 2>&1 && break; sleep 0.1; done
hinfo -N

say "starting four node agents (hubd), two fake GPUs each"
for n in 1 2 3 4; do
    hubd -f "$HUB_CONF" -N "node$n" --spool="$dir/spool-node$n" --fake-gpus \
        --conf-resources -l info > "$dir/hubd-node$n.log" 2>&1 9>&- &
    pids="$pids $!"
done
for _ in $(seq 100); do
    [ "$(hinfo -N -h | awk '$3 == "idle"' | wc -l)" = 4 ] && break
    sleep 0.1
done
hinfo -N

say "submitting: a 2-node training job, an array of 0.25-GPU inference tasks, a dependent evaluation"
started=$(date +%Y-%m-%dT%H:%M:%S)
mkdir "$dir/out"
cd "$dir/out"
# The training job: hrun starts 4 ranks of the GPT trainer (2 a node)
# through mpirun and hub-exec and restarts them from the newest checkpoint
# when one fails; checkpoints and the job file (hubjob-<id>.h5) go to
# the temp dir. The GPUs are fake: the ranks train on the CPUs
# (CUDA_VISIBLE_DEVICES=-1: no GPU), so that libhubjob's MFU is against the CPU peak.
sed "s|@GPT@|$build/benchmarks/gpt/gpt-train|" > train.sh <<'EOF'
#!/bin/bash
#SBATCH -J train-gpt -N 2 --ntasks-per-node=2 --gres=gpu:fake:2 -t 10:00
#SBATCH -o %x-%j.out
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,tcp
export HUB_CKPT_DIR=$PWD/ckpt-$SLURM_JOB_ID HUB_TOTAL_STEPS=60
export HUB_FLUSH_SECONDS=0.2
echo "job $SLURM_JOB_ID on $SLURM_JOB_NODELIST ($SLURM_NTASKS tasks)"
exec hrun -n 4 env CUDA_VISIBLE_DEVICES=-1 @GPT@ --config tiny --steps 60 --ckpt-every 10 --batch 128
EOF
train=$(hbatch --parsable --kind=train train.sh)
echo "training job $train"
infer=$(hbatch --parsable -J infer --array=0-7%4 --gpus=0.25 -t 2:00 \
    --kind=infer -o '%x-%A_%a.out' --wrap \
    'echo "task $SLURM_ARRAY_TASK_ID on $HUB_NODE: CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"; sleep 2')
echo "inference array $infer (8 tasks, at most 4 at once)"
evalj=$(hbatch --parsable -J eval --dependency=afterok:"$train" --gpus=1 \
    -t 5:00 -o '%x-%j.out' --wrap \
    "echo \"evaluating the model of job $train on \$HUB_NODE, GPU \$CUDA_VISIBLE_DEVICES\"; sleep 1")
echo "evaluation job $evalj (afterok:$train)"
hbatch --test-only -N 4 --gpus-per-node=2 -t 30:00 --wrap true || true

# key=value from the training's progress record (libhubjob's rank 0
# rewrites it at each flush, checkpoint and resume).
rec="$dir/out/hubjob-$train.h5.progress"
progress() { sed -n "s/^$1=//p" "$rec" 2>/dev/null; }
# Seconds since the Epoch, with milliseconds; seconds since $1.
now() { date +%s.%3N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# Whether more than $2 seconds passed since $1.
past() { awk -v a="$1" -v b="$(now)" -v s="$2" 'BEGIN { exit !(b - a > s) }'; }
# The training job's ranks, "PID RANK NODE" a line: gpt-train processes
# whose environment has the job's HUB_JOB_ID (hubd sets it) and an MPI
# rank. Nothing else is killed.
ours() {
    for p in $(pgrep -f gpt-train); do
        tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | awk -v p="$p" \
            -v id="HUB_JOB_ID=$train" -F= '
            $0 == id { ok = 1 }
            $1 == "OMPI_COMM_WORLD_RANK" { r = $2 }
            $1 == "HUB_NODE" { n = $2 }
            END { if (ok && r != "") print p, r, n }'
    done
}
ranks() { ours | sort -k2n | awk '{ printf "%s%s (pid %s, %s)", (NR > 1 ? ", " : ""), $2, $1, $3 }'; }

say "queue after submission"
hqueue || true

# Once the training has a checkpoint at step 20 or later, and some steps
# since the last one (so that the kill loses work): kill one rank.
t0=$(now)
until [ "$(progress ckpt_step)" -ge 20 ] 2>/dev/null &&
    { [ $(($(progress step) % 10)) -ge 2 ] && [ $(($(progress step) % 10)) -le 6 ] ||
        [ "$(progress step)" -ge 45 ]; }; do
    if past "$t0" 60; then
        echo "demo: the training job reached no checkpoint at step 20 in 60 s" >&2
        tail -n 20 "$dir/out"/train-gpt-*.out >&2 || true
        exit 1
    fi
    sleep 0.05
done
say "training at step $(progress step), checkpoint $(progress ckpt_step): killing one rank"
echo "ranks of job $train: $(ranks)"
# Rank 3, on the job's second node; else rank 0, whose pid the record has.
set -- $(ours | awk '$2 == 3')
if [ $# = 0 ]; then
    set -- $(ours | awk -v p="$(progress pid)" '$1 == p')
fi
[ $# -ge 2 ] || { echo "demo: no rank of job $train found" >&2; exit 1; }
echo "kill -KILL $1 (rank $2 on ${3:-its node})"
runs=$(progress restarts)
kill -KILL "$1"
killed=$(now)
# hrun tears the run down and starts it again: the record then shows the
# new run (restarts one more) and, once it has stepped, a step past the
# checkpoint it resumed from.
until [ "$(progress restarts)" -gt "$runs" ] 2>/dev/null &&
    [ "$(progress step)" -gt "$(progress ckpt_step)" ] 2>/dev/null; do
    if past "$killed" 30; then
        echo "demo: hrun did not restart the training in 30 s" >&2
        tail -n 20 "$dir/out"/train-gpt-*.out >&2 || true
        exit 1
    fi
    sleep 0.05
done
echo "hrun restarted the ranks: run $(progress restarts) at step $(progress step) (resumed from checkpoint $(progress ckpt_step)), $(since "$killed") s after the kill"
echo "ranks of job $train now: $(ranks)"
hqueue || true

# Until the ten jobs (1 + 8 + 1) are in accounting, or a minute passed.
i=0
while [ "$(hacct -S "$started" -n -P -o jobid | wc -l)" -lt 10 ] &&
    [ $i -lt 30 ]; do
    say "queue after $(since "$t0") s"
    hqueue || true
    hinfo -N
    sleep 2
    i=$((i + 1))
done

say "what the jobs printed ($dir/out)"
for f in *.out; do
    echo "--- $f"
    case $f in
    train-gpt-*)
        # Of each run of step lines, the first and last two; of Open MPI's
        # boxed messages, the line that names the failed rank.
        awk 'function flush() {
                 if (n > 4) print "  ..."
                 if (n > 3) print l2
                 if (n > 2) print l1
                 n = 0
             }
             /^-----+$/ { box = !box; next }
             box { if (/noticed/) { flush(); print }; next }
             /^step +[0-9]+ loss/ { if (++n <= 2) print; else { l2 = l1; l1 = $0 }; next }
             { flush(); print }
             END { flush() }' "$f" ;;
    *) cat "$f" ;;
    esac
done

say "the training's job file (hub-report hubjob-$train.h5)"
hub-report --no-png "hubjob-$train.h5"

say "accounting (hacct)"
hacct -S "$started"
say "done; the controller's last lines:"
tail -n 5 "$dir/ctld.log"
