#!/bin/sh
# comm_nccl.sh - libhubjob's collectives with comm/nccl on device buffers:
# the checks of comm_mpi.sh, one rank per GPU (NCCL refuses two ranks on
# one device), at 2 ranks and at min(GPUs, 4) (1 with one GPU). Exits 77 (skip) when
# comm/nccl was not built or no GPU is usable.
. "$HUB_SRCDIR/tests/mpi/comm_lib.sh"

prog=$B/tests/mpi/comm_check_nccl
if [ ! -x "$prog" ]; then
    echo "comm/nccl not built (configure found no CUDA and NCCL)" >&2
    exit 77
fi
ngpus=$("$prog" --probe) || exit $? # 77: "no GPU: ..." on stderr
ngpus=${ngpus#devices=}

export HUB_COMM=nccl HUB_PLUGIN_PATH="$B/plugins/comm/nccl/.libs"
max=$((ngpus < 4 ? ngpus : 4))
for np in $(printf '2\n%s\n' "$max" | sort -nu); do
    [ "$np" -le "$max" ] || continue
    comm_checks "$np" "$prog" --label "nccl np=$np" --backend nccl
done
tap_done
