#!/bin/sh
# demo.sh - set up a fresh Debian 12 machine (packages, build), then show
# hubsched at work on this machine: a controller on a four-node, one-hub
# configuration (etc/hub.conf.local) in a temp dir, a few jobs of the kinds
# AI users submit (a multi-node training job, an array of quarter-GPU
# inference tasks, a job that waits for another), the queue as it moves,
# the cluster, and the accounting records. Stops everything it started.
#
# The node agent (hubd) is not written yet: the controller runs with
# --virtual-nodes, so jobs "run" for HUB_VIRTUAL_RUNTIME seconds without
# processes. This demo says so as it runs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
build=${HUB_BUILD:-$top/_build}
export PATH="$build/sched/hubctld:$build/sched/cmd:$PATH"

dir=$(mktemp -d /tmp/hubdemo.XXXXXX)
chmod 755 "$dir"
sed -e "s|^ControllerSocket=.*|ControllerSocket=$dir/ctld.sock|" \
    -e "s|^StateSaveLocation=.*|StateSaveLocation=$dir/state|" \
    "$top/etc/hub.conf.local" > "$dir/hub.conf"
export HUB_CONF="$dir/hub.conf" HUB_SOCKET="$dir/ctld.sock"
pid=
stop() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap stop EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "starting hubctld on $HUB_CONF (virtual nodes: no hubd yet)"
hubctld -f "$HUB_CONF" --virtual-nodes -l info > "$dir/ctld.log" 2>&1 &
pid=$!
for _ in $(seq 50); do hqueue -h >/dev/null 2>&1 && break; sleep 0.1; done
hinfo

say "submitting: a 2-node training job, an array of 0.25-GPU inference tasks, a dependent evaluation"
train=$(HUB_VIRTUAL_RUNTIME=6 hbatch --parsable -J train-gpt -N 2 \
    --gres=gpu:fake:2 --ntasks-per-node=2 -t 10:00 --kind=train \
    --wrap "hrun ./gpt --config small")
echo "training job $train"
infer=$(HUB_VIRTUAL_RUNTIME=2 hbatch --parsable -J infer --array=0-7%4 \
    --gpus=0.25 -t 2:00 --kind=infer --wrap "./serve --batch")
echo "inference array $infer (8 tasks, at most 4 at once)"
evalj=$(HUB_VIRTUAL_RUNTIME=1 hbatch --parsable -J eval \
    --dependency=afterok:"$train" --gpus=1 -t 5:00 --wrap "./eval")
echo "evaluation job $evalj (afterok:$train)"
hbatch --test-only -N 4 --gpus-per-node=2 -t 30:00 --wrap true || true

for i in 1 2 3 4; do
    say "queue after ${i}x2 s"
    hqueue
    hinfo -N
    sleep 2
done

say "accounting (hacct)"
hacct
say "done; controller log:"
tail -n 5 "$dir/ctld.log"
