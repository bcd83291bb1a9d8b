# hubjob_lib.sh - sourced by the hubjob_*.sh tests: Open MPI settings for
# CI (root, more ranks than cores), a temp dir to run in, a configured CPU
# peak (no microbenchmark per test), and TAP helpers (plan last).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export HUB_CPU_PEAK_FLOPS=1e9 HUB_COMM=mpi
unset HUB_JOB_ID SLURM_JOB_ID HUB_RESTART_COUNT SLURM_RESTART_COUNT \
    CUDA_VISIBLE_DEVICES HUB_GPUS HUB_JOB_FILE HUB_METRICS_FILE
B=${HUB_BUILDDIR:-$(pwd)}
CHECK=$B/tests/mpi/hubjob_check
T=$(mktemp -d "${TMPDIR:-/tmp}/hub-hubjob.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
n=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

not_ok() {
    n=$((n + 1))
    echo "not ok $n - $1"
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
    what=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else not_ok "$what"; fi
}

# run NP [VAR=VALUE...] -- ARGS...: hubjob_check under mpirun with the
# variables set in the ranks' environment only (Open MPI itself must not
# see SLURM_*); stdout in $T/out. Its ok/not ok lines become TAP lines.
run() {
    np=$1
    shift
    vars=
    while [ "$1" != "--" ]; do
        vars="$vars $1"
        shift
    done
    shift
    # shellcheck disable=SC2086
    mpirun --oversubscribe --timeout 120 -np "$np" env $vars "$CHECK" "$@" \
        >"$T/out" 2>"$T/err"
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok - "*) ok "np=$np ${line#ok - }" ;;
        "not ok - "*) not_ok "np=$np ${line#not ok - }" ;;
        esac
    done <"$T/out"
    if [ "$rc" -ne 0 ]; then
        not_ok "np=$np hubjob_check $* exited $rc"
        sed 's/^/# /' "$T/err" | head -20
    fi
}

# fact KEY VALUE DESCRIPTION: the last run printed "fact KEY=VALUE".
fact() {
    check "$3 ($1=$2)" grep -qx "fact $1=$2" "$T/out"
}

done_testing() {
    echo "1..$n"
    exit 0
}
