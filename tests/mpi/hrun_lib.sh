# hrun_lib.sh - what the hrun tests share (source it): TAP helpers, the
# environment Open MPI needs here, the programs, and the ranks of a
# running hrun. Each test works in its own temp dir $T (removed at exit).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export HUB_CPU_PEAK_FLOPS=1e10 # MFU is not judged here: skip measuring
B=${HUB_BUILDDIR:-$(pwd)}
HRUN="$B/launcher/hrun/hrun"
PROG="$B/benchmarks/bench_recovery_prog"
T=$(mktemp -d "${TMPDIR:-/tmp}/hub-hrun.XXXXXX") || exit 1
trap 'kill_leftovers; rm -rf "$T"' EXIT
n=0

tap() {
    n=$((n + 1))
    echo "$1 $n - $2"
}

# check STATUS DESCRIPTION
check() {
    if [ "$1" = 0 ]; then tap ok "$2"; else tap "not ok" "$2"; fi
}

# record KEY [FILE]: a value of the progress record (default
# $T/job.h5.progress), "" when absent.
record() {
    sed -n "s/^$1=//p" "${2:-$T/job.h5.progress}" 2>/dev/null
}

# ranks HRUN_PID: PIDs of the ranks of hrun's current mpirun.
ranks() {
    for m in $(pgrep -P "$1" -x mpirun); do pgrep -P "$m"; done
}

# wait_until SECONDS COMMAND...: poll every 0.1 s.
wait_until() {
    _end=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -ge "$_end" ] && return 1
        sleep 0.1
    done
}

# at_step R S [FILE]: the record shows run R (or later) at step S or later.
at_step() {
    _r=$(record restarts ${3:-}) _s=$(record step ${3:-})
    [ -n "$_r" ] && [ -n "$_s" ] && [ "$_r" -ge "$1" ] && [ "$_s" -ge "$2" ]
}

HRUN_PIDS=
kill_leftovers() {
    for p in $HRUN_PIDS; do kill -9 "$p" 2>/dev/null; done
}
