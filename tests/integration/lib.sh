# lib.sh - shared helpers for the integration tests: TAP output, a
# controller started in a temp dir on a config of our own, polling.
# Source it: . "$HUB_SRCDIR/tests/integration/lib.sh"
# Tests run real daemons on a Unix socket in $T (removed at exit).

set -u
: "${HUB_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${HUB_BUILDDIR:=$HUB_SRCDIR/_build}"
export PATH="$HUB_BUILDDIR/sched/hubctld:$HUB_BUILDDIR/sched/cmd:\
$HUB_BUILDDIR/launcher/hubd:$HUB_BUILDDIR/launcher:$PATH"

T=$(mktemp -d /tmp/hubtest.XXXXXX)
chmod 755 "$T"
export HUB_CONF="$T/hub.conf" HUB_SOCKET="$T/ctld.sock"
tap_n=0
tap_failed=0
CTLD_PID=

HUBD_PIDS=

cleanup() {
    stop_all_hubd
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
    hubctld -f "$HUB_CONF" -l info "$@" >> "$T/ctld.log" 2>&1 9>&- &
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

# ---- node agents (hubd) --------------------------------------------------
# Several hubd on this machine, each a node of the config with its own
# port and spool dir in $T. Only agents started here are stopped, by the
# PIDs recorded when they were started.

# agents_exclusive: wait (up to 10 minutes) until no other test with
# agents runs on this machine, and hold that until exit. Tests name
# their nodes node1..node4 and number jobs from 1, and an agent starting
# up kills what it finds of its node's jobs (stale cgroups, processes
# whose environment names the node and a job), so two of them must not
# run at once (make -j, or two build trees).
agents_exclusive() {
    command -v flock >/dev/null 2>&1 || return 0
    exec 9>> /tmp/hubsched-agent-tests.lock
    flock -w 600 9
}

# free_ports N: N distinct TCP ports nothing listens on (or is connected
# from) now, picked at random from 20000-49999.
free_ports() {
    _want=$1 _got=
    while [ "$(echo $_got | wc -w)" -lt "$_want" ]; do
        _p=$((20000 + RANDOM % 30000))
        case " $_got " in *" $_p "*) continue ;; esac
        [ -z "$(ss -Htan "( sport = :$_p )" 2>/dev/null)" ] || continue
        _got="$_got $_p"
    done
    echo $_got
}

# write_agent_conf NNODES [EXTRA LINES]: node1..nodeN served by agents,
# each on a free port at $AGENT_ADDR (default 127.0.0.1; a hostlist of
# NNODES addresses gives one per node). The controller's TCP port is
# CTLD_PORT. NodeTimeout 3 s and KillWait 1 s keep failure tests short.
write_agent_conf() {
    _nn=$1; shift
    agents_exclusive
    _ports=$(free_ports $((_nn + 1)))
    CTLD_PORT=${_ports%% *}
    NODE_PORTS=${_ports#* }
    {
        echo "ClusterName=test"
        echo "StateSaveLocation=$T/state"
        echo "ControllerSocket=$T/ctld.sock"
        echo "ControllerPort=$CTLD_PORT"
        echo "SchedulerInterval=2"
        echo "NodeTimeout=3"
        echo "KillWait=1"
        echo "GpuType=fake PeakTFLOPS_BF16=100 PowerW=300"
        echo "HubName=local Region=here"
        echo "NodeName=node[1-$_nn] Hub=local CPUs=8 RealMemory=16000" \
            "Gres=gpu:fake:2 NodeAddr=${AGENT_ADDR:-127.0.0.1}" \
            "Port=[$(echo $NODE_PORTS | tr ' ' ,)]"
        echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=1:00:00"
        [ $# -gt 0 ] && printf '%s\n' "$@"
    } > "$HUB_CONF"
}

# registered_count NODE: how often NODE's agent registered (its log).
registered_count() {
    grep -c 'registered with the controller' "$T/hubd-$1.log" 2>/dev/null
}

# wait_registered NODE COUNT [SECONDS]: until NODE's agent registered
# COUNT times in all.
wait_registered() {
    wait_for "${3:-10}" sh -c \
        "[ \$(grep -c 'registered with the controller' '$T/hubd-$1.log') -ge $2 ]"
}

# start_hubd NODE [hubd options]: start NODE's agent (hub.conf's resources
# with fake GPUs, spool in $T), prefixed by $HUBD_WRAP when set (e.g. "ip
# netns exec NS"), and wait until it registered. Its PID is in
# HUBD_PID_<NODE>.
start_hubd() {
    _node=$1; shift
    _before=$(registered_count "$_node")
    ${HUBD_WRAP:-} hubd -f "$HUB_CONF" -N "$_node" --spool="$T/spool-$_node" \
        --fake-gpus --conf-resources -l info "$@" >> "$T/hubd-$_node.log" 2>&1 9>&- &
    eval "HUBD_PID_$_node=$!"
    HUBD_PIDS="$HUBD_PIDS $!"
    if ! wait_registered "$_node" $((${_before:-0} + 1)); then
        diag "hubd $_node did not register:"
        tail -n 20 "$T/hubd-$_node.log" | sed 's/^/# /'
        return 1
    fi
}

# hubd_pid NODE: the PID start_hubd recorded for NODE ("" when none).
hubd_pid() { eval "echo \${HUBD_PID_$1:-}"; }

# stop_hubd NODE [SIGNAL]: stop NODE's agent (SIGTERM: it kills its jobs;
# SIGKILL: a crash, its jobs go on) and reap it.
stop_hubd() {
    _pid=$(hubd_pid "$1")
    [ -n "$_pid" ] || return 0
    kill "${2:--TERM}" "$_pid" 2>/dev/null
    wait "$_pid" 2>/dev/null
    eval "HUBD_PID_$1="
    HUBD_PIDS=$(echo " $HUBD_PIDS " | sed "s/ $_pid / /")
}

stop_all_hubd() {
    for _pid in $HUBD_PIDS; do kill "$_pid" 2>/dev/null; done
    for _pid in $HUBD_PIDS; do wait "$_pid" 2>/dev/null; done
    HUBD_PIDS=
}

# node_state NODE: its state as hinfo -N prints it (idle, down, unk...).
node_state() { hinfo -N -h | awk -v n="$1" '$1 == n { print $3 }'; }

# job_ended ID: true when the job is in a final state.
job_ended() {
    case "$(job_state "$1")" in
    "" | PENDING | RUNNING | COMPLETING | CONFIGURING | SUSPENDED) return 1 ;;
    esac
}

# wait_job ID [SECONDS]: wait until the job ended; prints its state.
wait_job() {
    wait_for "${2:-20}" job_ended "$1"
    job_state "$1"
}

# need_munge: true when munged answers, starting it (as root, as user
# munge) when it does not; prints why not on stderr otherwise.
need_munge() {
    command -v munge >/dev/null 2>&1 || { echo "no munge" >&2; return 1; }
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "munged not usable and not root to start it" >&2
        return 1
    fi
    install -d -o munge -g munge -m 0755 /run/munge &&
        runuser -u munge -- /usr/sbin/munged || return 1
    wait_for 5 sh -c 'munge -n | unmunge'
}

# mpi_env: what Open MPI needs in a job on this machine (root, the
# emulated nodes reach each other over TCP).
mpi_env() {
    echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
    echo "export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_vader_single_copy_mechanism=none"
}
