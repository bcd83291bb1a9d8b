#!/bin/sh
# demo.sh - set up a fresh Debian 12 machine (packages, build), then show
# hubsched at work on this machine: a controller and four node agents
# (hubd) on the four-node, one-hub configuration of etc/hub.conf.local,
# in a temp dir with free ports; a few jobs of the kinds AI users submit
# (a 2-node training job whose mpirun reaches its second node through
# hub-exec, an array of quarter-GPU inference tasks, an evaluation that
# waits for the training), the queue and the nodes as the jobs move, what
# the jobs printed, and the accounting records. The GPUs are fake (each
# agent declares hub.conf's two), so any machine will do. Stops
# everything it started. Takes about fifteen seconds once built.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
build=${HUB_BUILD:-$top/_build}
export PATH="$build/sched/hubctld:$build/sched/cmd:$build/launcher/hubd:$build/launcher:$PATH"

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
# The training job. Once hrun and the GPT trainer exist (issues #6 and
# #7), its body becomes `hrun gpt-train --config small`; until then it
# shows what a job gets: one process per node through mpirun and
# hub-exec, each seeing its node and GPUs.
cat > train.sh <<'EOF'
#!/bin/bash
#SBATCH -J train-gpt -N 2 --ntasks-per-node=2 --gres=gpu:fake:2 -t 10:00
#SBATCH -o %x-%j.out
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,tcp
echo "job $SLURM_JOB_ID on $SLURM_JOB_NODELIST ($SLURM_NTASKS tasks)"
mpirun -np 2 --map-by node sh -c \
    'echo "  $(hostname) as $HUB_NODE: GPUs $CUDA_VISIBLE_DEVICES"'
sleep 6
echo "training done"
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

# Until the ten jobs (1 + 8 + 1) are in accounting, or a minute passed.
i=0
while [ "$(hacct -S "$started" -n -P -o jobid | wc -l)" -lt 10 ] &&
    [ $i -lt 30 ]; do
    say "queue after $((i * 2)) s"
    hqueue || true
    hinfo -N
    sleep 2
    i=$((i + 1))
done

say "what the jobs printed ($dir/out)"
for f in *.out; do
    echo "--- $f"
    cat "$f"
done

say "accounting (hacct)"
hacct -S "$started"
say "done; the controller's last lines:"
tail -n 5 "$dir/ctld.log"
