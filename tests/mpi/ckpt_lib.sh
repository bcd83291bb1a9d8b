# ckpt_lib.sh - sourced by the ckpt_*.sh tests after comm_lib.sh: runs of
# tests/mpi/ckpt_prog as TAP lines. HUB_CKPT_DIR names the checkpoint
# directory; $T/pristine, when there, is a copy to reset it from.
P="$B/tests/mpi/ckpt_prog"

# ck_run DESCRIPTION NP ARGS...: one TAP line, ok when ckpt_prog exits 0.
ck_run() {
    d=$1
    np=$2
    shift 2
    if comm_mpirun "$np" "$P" "$@" >"$T/out" 2>"$T/err"; then
        tap ok "$d"
    else
        tap "not ok" "$d"
        sed 's/^/# /' "$T/err" | head -20
    fi
}

# ck_fallback DESCRIPTION NP STEP WARNING: restore must pick STEP and
# rank 0 must have printed WARNING (a fixed string) on stderr.
ck_fallback() {
    ck_run "$1: restores step-$3" "$2" restore "$3"
    if grep -qF "hubjob: warning: $4" "$T/err"; then
        tap ok "$1: warns"
    else
        tap "not ok" "$1: warns"
        sed 's/^/# /' "$T/err" | head -20
    fi
}

# Put HUB_CKPT_DIR back as $T/pristine has it.
ck_reset() {
    rm -rf "$HUB_CKPT_DIR"
    cp -a "$T/pristine" "$HUB_CKPT_DIR"
}
