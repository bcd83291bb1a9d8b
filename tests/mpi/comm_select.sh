#!/bin/sh
# comm_select.sh - how hub_job_init chooses the collective backend:
# HUB_COMM=mpi, a bad HUB_COMM, HUB_COMM=nccl without a usable GPU (a
# clear error, not a crash or a hang), and the default with and without
# GPUs in CUDA_VISIBLE_DEVICES.
. "$HUB_SRCDIR/tests/mpi/comm_lib.sh"

prog=$B/tests/mpi/comm_check
nccl_prog=$B/tests/mpi/comm_check_nccl
export HUB_PLUGIN_PATH="$B/plugins/comm/nccl/.libs"

# expect_init DESCRIPTION PATTERN [VAR=VALUE...]: run --init-only at $np
# ranks with those variables set; PATTERN must match its output (stdout
# and stderr).
np=2
expect_init() {
    desc=$1
    pattern=$2
    shift 2
    out=$(env "$@" mpirun --oversubscribe --timeout 120 -np "$np" "$prog" \
        --init-only 2>&1)
    if printf '%s\n' "$out" | grep -Eq "$pattern"; then
        tap ok "$desc"
    else
        tap "not ok" "$desc"
        printf '%s\n' "$out" | sed 's/^/# /' | head -20
    fi
}

unset CUDA_VISIBLE_DEVICES HUB_GPUS
expect_init "HUB_COMM=mpi chooses comm/mpi" '^backend=mpi$' HUB_COMM=mpi
expect_init "an unknown HUB_COMM is refused by name" \
    'HUB_COMM=tcp: unknown backend \(use mpi or nccl\)' HUB_COMM=tcp
expect_init "without GPUs the default is comm/mpi" '^backend=mpi$'

# With a GPU, one rank per device: NCCL refuses two ranks on one device.
gpu=no
if [ -x "$nccl_prog" ] && "$nccl_prog" --probe >/dev/null 2>&1; then
    gpu=yes
    np=1
fi
if [ -x "$nccl_prog" ] && [ $gpu = no ]; then
    expect_init "HUB_COMM=nccl without a GPU says why" \
        'HUB_COMM=nccl: no CUDA device visible \(cudaGetDeviceCount: ' \
        HUB_COMM=nccl
elif [ $gpu = no ]; then
    expect_init "HUB_COMM=nccl without comm/nccl says why" \
        'HUB_COMM=nccl: no comm_nccl.so along HUB_PLUGIN_PATH' HUB_COMM=nccl
else
    expect_init "HUB_COMM=nccl with a GPU chooses comm/nccl" \
        '^backend=nccl$' HUB_COMM=nccl
fi
want=mpi
[ $gpu = yes ] && want=nccl
expect_init "with a GPU allocated the default is comm/$want" \
    "^backend=$want\$" CUDA_VISIBLE_DEVICES=0
tap_done
