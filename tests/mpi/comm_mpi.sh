#!/bin/sh
# comm_mpi.sh - libhubjob's collectives with comm/mpi at 2 and 4 ranks
# (oversubscribed): every collective x dtype x operator against a
# reference (tests/mpi/comm_check.c).
. "$HUB_SRCDIR/tests/mpi/comm_lib.sh"

export HUB_COMM=mpi
for np in 2 4; do
    comm_checks "$np" "$B/tests/mpi/comm_check" --label "mpi np=$np" \
        --backend mpi
done
tap_done
