#!/bin/sh
# gpt_train.sh - gpt-train end to end on the tiny config, speaking TAP:
# the loss falls over 50 steps and a validation loss is reported; a run
# stopped after a checkpoint and then resumed ends with bitwise the
# parameters of a run that never stopped (--print-param-hash); 2 ranks
# give the loss curve of 1 rank with the same global batch (within float
# tolerance: the sums are split differently). Skips (77) where gpt-train
# was not built (no OpenBLAS).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export HUB_CPU_PEAK_FLOPS=1e10 # MFU is not judged here: skip measuring
B=${HUB_BUILDDIR:-$(pwd)}
P="$B/benchmarks/gpt/gpt-train"
if [ ! -x "$P" ]; then
    echo "gpt_train.sh: $P not built (configure found no OpenBLAS)" >&2
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/hub-gpt.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
n=0

tap() {
    n=$((n + 1))
    echo "$1 $n - $2"
}

# run NAME NP ARGS...: gpt-train on NP ranks in directory T/NAME (its
# checkpoints and job file there); stdout in T/NAME.out.
run() {
    name=$1 np=$2
    shift 2
    mkdir -p "$T/$name"
    (cd "$T/$name" && HUB_CKPT_DIR="$T/$name/ckpt" \
        HUB_JOB_FILE="$T/$name/job.h5" mpirun --oversubscribe --timeout 300 \
        -np "$np" "$P" --config tiny "$@") >>"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    [ "$rc" -eq 0 ] || { echo "# $name exited $rc"; sed 's/^/# /' "$T/$name.err" | head -20; }
    return $rc
}

# check OK DESCRIPTION
check() {
    if [ "$1" = 0 ]; then tap ok "$2"; else tap "not ok" "$2"; fi
}

# --- the loss falls -----------------------------------------------------
run learn 1 --steps 50
rc=$?
awk '/^train loss/ { first = $3; last = $5 }
     /^val loss/ { val = $3 }
     END { exit !(first - last > 1.0 && val > 0 && val < first) }' \
    "$T/learn.out"
check $((rc + $?)) "tiny: 50 steps lower the training loss by > 1 nat, validation loss reported"
grep -E '^(train|val) loss' "$T/learn.out" | sed 's/^/# /'

# --- resume is bitwise ----------------------------------------------------
hash() { awk '/^param-hash/ { print $2 }' "$T/$1.out"; }
run full 1 --steps 40 --print-param-hash
run resumed 1 --steps 40 --ckpt-every 10 --stop-after 25 --print-param-hash
run resumed 1 --steps 40 --ckpt-every 10 --print-param-hash
grep -q '^resumed  *from checkpoint 20' "$T/resumed.out"
check $? "a run stopped at step 25 resumes from its checkpoint at step 20"
full=$(hash full)
resumed=$(hash resumed | tail -n 1)
echo "# uninterrupted $full, resumed $resumed"
[ -n "$full" ] && [ "$full" = "$resumed" ]
check $? "resumed run ends with bitwise the uninterrupted run's parameters"

# --- data parallel: 2 ranks = 1 rank --------------------------------------
losses() { awk '/^step .* loss/ && !/val/ { print $2, $4 }' "$T/$1.out"; }
run dp1 1 --steps 20 --batch 8
run dp2 2 --steps 20 --batch 8
losses dp1 >"$T/dp1.loss"
losses dp2 >"$T/dp2.loss"
join "$T/dp1.loss" "$T/dp2.loss" | awk '
    { d = $2 - $3; d = d < 0 ? -d : d; if (d > max) max = d; k++ }
    END { printf "# %d steps, largest loss difference %.3g\n", k, max;
          exit !(k == 20 && max < 1e-4) }'
check $? "2 ranks x 4 sequences give 1 rank x 8's loss curve (|diff| < 1e-4)"

echo "1..$n"
