#!/bin/sh
# ckpt_save.sh - checkpoints at 2 and 4 ranks (oversubscribed): save then
# restore bit for bit (every dtype and shard kind, sync and async),
# keep-K pruning, and a truncated rank file, a flipped byte and a missing
# COMPLETE marker each falling back to the previous checkpoint with the
# warning. The program is tests/mpi/ckpt_prog.c.
. "$HUB_SRCDIR/tests/mpi/comm_lib.sh"
. "$HUB_SRCDIR/tests/mpi/ckpt_lib.sh"

for np in 2 4; do
    export HUB_CKPT_DIR="$T/ck$np"
    last=$((np - 1))
    ck_run "np=$np save step 1 (sync)" "$np" save 1
    ck_run "np=$np save step 2 (async)" "$np" save 2 async
    ck_run "np=$np restore step 2 bit for bit" "$np" restore 2
    ck_run "np=$np save step 3 (sync)" "$np" save 3
    if [ ! -d "$HUB_CKPT_DIR/step-1" ] && [ -d "$HUB_CKPT_DIR/step-2" ]; then
        tap ok "np=$np keeps the last 2 checkpoints"
    else
        tap "not ok" "np=$np keeps the last 2 checkpoints"
    fi
    cp -a "$HUB_CKPT_DIR" "$T/pristine"

    f="$HUB_CKPT_DIR/step-3/rank-$last.h5"
    truncate -s 50000 "$f"
    ck_fallback "np=$np truncated rank-$last.h5" "$np" 2 \
        "checkpoint step-3 is truncated (rank-$last.h5: 50000 of"

    ck_reset
    size=$(stat -c %s "$f")
    printf '\377' | dd of="$f" bs=1 seek=$((size - 100)) conv=notrunc \
        2>/dev/null
    ck_fallback "np=$np flipped byte in rank-$last.h5" "$np" 2 \
        "checkpoint step-3 is corrupt (rank-$last.h5, tensor 'big': checksum mismatch)"

    ck_reset
    rm "$HUB_CKPT_DIR/step-3/COMPLETE"
    ck_fallback "np=$np missing COMPLETE marker" "$np" 2 \
        "checkpoint step-3 is incomplete (no COMPLETE marker): using step-2"
    rm -rf "$T/pristine"
done
tap_done
