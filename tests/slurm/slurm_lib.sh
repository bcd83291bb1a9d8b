# slurm_lib.sh - sourced by the tests/slurm/*.sh tests: the plugin under
# test, a temp dir, one Slurm test at a time on this host (flock; make
# check -j would otherwise start two clusters on the same /etc/slurm), a
# cluster started by slurm_up.sh and always stopped on exit, TAP helpers
# (plan last).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
B=${HUB_BUILDDIR:-$(pwd)}
SLURM_TESTS=${HUB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/slurm
PLUGIN=$B/plugins/slurm/.libs/spank_hub.so
SUMMARY_PROG=$B/plugins/slurm/hub-jobsummary
n=0

skip_all() {
    echo "$(basename "$0"): $*" >&2
    exit 77
}

[ "$(id -u)" = 0 ] || skip_all "needs root (starts Slurm daemons)"
[ -f "$PLUGIN" ] || skip_all "$PLUGIN not built (no slurm/spank.h)"
command -v sbatch >/dev/null 2>&1 || skip_all "Slurm is not installed"
command -v flock >/dev/null 2>&1 || skip_all "flock is not installed"
T=$(mktemp -d /tmp/hub-slurm.XXXXXX) || exit 1
chmod 755 "$T"
export SLURM_RUN=$T/run
exec 9>/tmp/hubsched-slurm-tests.lock
flock -w 300 9 || skip_all "another Slurm test held the lock for 300 s"

cleanup() {
    bash "$SLURM_TESTS/slurm_down.sh"
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# slurm_start: start the cluster described by MODE, NNODES, FAKE_GPUS,
# GPU_TYPE and PLUGSTACK (slurm_up.sh); exit 77 with its reason if it
# cannot start here.
slurm_start() {
    bash "$SLURM_TESTS/slurm_up.sh" >"$T/up.log" 2>&1
    rc=$?
    [ "$rc" = 0 ] && return 0
    cat "$T/up.log" >&2
    exit 77
}

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

# job ARGS...: submit, wait for the end (polling every 0.1 s: sbatch
# --wait polls every 2 s and more); output in $T/<id>.out; prints the job
# job id in $j and its exit status in $job_rc (255 if it never ended).
# Not for $(...): the results are variables of this shell.
job() {
    j=$(sbatch --parsable -o "$T/%j.out" "$@" 2>"$T/sbatch.err")
    job_rc=255
    [ -n "$j" ] || return 1
    for _ in $(seq 1 1800); do
        state=$(scontrol show job "$j" 2>/dev/null |
            sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')
        case $state in
        PENDING | RUNNING | CONFIGURING | COMPLETING | "") sleep 0.1 ;;
        *) break ;;
        esac
    done
    code=$(scontrol show job "$j" | sed -n 's/.* ExitCode=\([0-9]*\):.*/\1/p')
    [ "$state" = COMPLETED ] || [ "$state" = FAILED ] && job_rc=${code:-255}
}

# shows DESCRIPTION FILE COMMAND...: check, and on failure show FILE.
shows() {
    what=$1 file=$2
    shift 2
    if "$@" >/dev/null 2>&1; then
        ok "$what"
    else
        not_ok "$what"
        sed 's/^/# /' "$file" | head -40
    fi
}

done_testing() {
    echo "1..$n"
    exit 0
}
