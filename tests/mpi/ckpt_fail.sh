#!/bin/sh
# ckpt_fail.sh - checkpoints and failures at 2 and 4 ranks: a rank killed
# (SIGKILL) while it writes its file leaves the previous checkpoint valid
# and the next run restores it; a checkpoint requested by kill -USR1 to
# one rank is taken by all ranks at the next step boundary.
. "$HUB_SRCDIR/tests/mpi/comm_lib.sh"
. "$HUB_SRCDIR/tests/mpi/ckpt_lib.sh"

# A killed rank takes mpirun down at once (see doc/hubjob.md).
export OMPI_MCA_odls_base_sigkill_timeout=0

for np in 2 4; do
    export HUB_CKPT_DIR="$T/ck$np"
    last=$((np - 1))
    ck_run "np=$np save step 1" "$np" save 1
    for mode in sync async; do
        step=2
        [ "$mode" = async ] && step=3 && arg=async || arg=
        if comm_mpirun "$np" "$P" save "$step" $arg kill="$last" \
            big=4000000 >"$T/out" 2>"$T/err"; then
            tap "not ok" "np=$np rank $last killed during a $mode save: mpirun fails"
        else
            tap ok "np=$np rank $last killed during a $mode save: mpirun fails"
        fi
        if [ -e "$HUB_CKPT_DIR/step-$step/COMPLETE" ]; then
            tap "not ok" "np=$np $mode: the killed save is not marked complete"
        else
            tap ok "np=$np $mode: the killed save is not marked complete"
        fi
        ck_fallback "np=$np after the killed $mode save" "$np" 1 \
            "checkpoint step-$step is incomplete (no COMPLETE marker): using step-1"
    done

    comm_mpirun "$np" "$P" request >"$T/req.out" 2>"$T/req.err" &
    pid=$!
    i=0
    while [ ! -s "$HUB_CKPT_DIR/pid-$last" ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -USR1 "$(cat "$HUB_CKPT_DIR/pid-$last")"
    if wait "$pid" && grep -q '^requested at step ' "$T/req.out"; then
        tap ok "np=$np kill -USR1 to rank $last: every rank checkpoints"
        step=$(sed -n 's/^requested at step //p' "$T/req.out")
        ck_run "np=$np the requested checkpoint restores" "$np" restore \
            "$step"
    else
        tap "not ok" "np=$np kill -USR1 to rank $last: every rank checkpoints"
        sed 's/^/# /' "$T/req.err" | head -20
    fi
done
tap_done
