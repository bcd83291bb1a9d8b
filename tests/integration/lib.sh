# lib.sh - shared helpers for the integration tests: TAP output, a
# controller started in a temp dir on a config of our own, polling.
# Source it: . "$HUB_SRCDIR/tests/integration/lib.sh"
# Tests run real daemons on a Unix socket in $T (removed at exit).

set -u
: "${HUB_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${HUB_BUILDDIR:=$HUB_SRCDIR/_build}"
export PATH="$HUB_BUILDDIR/sched/hubctld:$HUB_BUILDDIR/sched/cmd:$PATH"

T=$(mktemp -d /tmp/hubtest.XXXXXX)
chmod 755 "$T"
export HUB_CONF="$T/hub.conf" HUB_SOCKET="$T/ctld.sock"
tap_n=0
tap_failed=0
CTLD_PID=

cleanup() {
    [ -n "$CTLD_PID" ] && kill "$CTLD_PID" 2>/dev/null && wait "$CTLD_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

plan() { tap_planned=$1; echo "1..$1"; }
diag() { echo "# $*"; }
ok() {
    tap_n=$((tap_n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $tap_n - $2"
    else
        echo "not ok $tap_n - $2"
        tap_failed=1
    fi
}
# is GOT WANT NAME
is() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; else
        ok 1 "$3"; diag "got '$1', want '$2'"
    fi
}
# like GOT REGEX NAME
like() {
    if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
        ok 1 "$3"; diag "got '$1', want match of '$2'"
    fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds.
wait_for() {
    _end=$(( $(date +%s) + $1 )); shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$_end" ] && return 1
        sleep 0.1
    done
}

# write_conf [EXTRA LINES]: the one-machine config of etc/hub.conf.local
# with state and socket in $T.
write_conf() {
    {
        echo "ClusterName=test"
        echo "StateSaveLocation=$T/state"
        echo "ControllerSocket=$T/ctld.sock"
        echo "SchedulerInterval=2"
        echo "GpuType=fake PeakTFLOPS_BF16=100 PowerW=300"
        echo "HubName=local Region=here"
        echo "NodeName=node[1-4] Hub=local CPUs=8 RealMemory=16000 Gres=gpu:fake:2"
        echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=1:00:00"
        [ $# -gt 0 ] && printf '%s\n' "$@"
    } > "$HUB_CONF"
}

# start_ctld [hubctld options]: start the controller, wait until it serves.
start_ctld() {
    hubctld -f "$HUB_CONF" -l info "$@" >> "$T/ctld.log" 2>&1 &
    CTLD_PID=$!
    if ! wait_for 10 hqueue -h; then
        diag "hubctld did not start:"; tail -n 40 "$T/ctld.log" | sed 's/^/# /'
        return 1
    fi
}

stop_ctld() {
    [ -n "$CTLD_PID" ] || return 0
    kill "${1:--TERM}" "$CTLD_PID" 2>/dev/null
    wait "$CTLD_PID" 2>/dev/null
    CTLD_PID=
}

# job_state ID: the job's state as hqueue prints it ("" when gone).
job_state() { hqueue -h -j "$1" -o '%T' 2>/dev/null; }

# done_testing: exit 1 if a test failed or the count differs from the plan.
done_testing() {
    if [ -n "${tap_planned:-}" ] && [ "$tap_n" != "$tap_planned" ]; then
        diag "planned $tap_planned tests, ran $tap_n"
        tap_failed=1
    fi
    exit "$tap_failed"
}
