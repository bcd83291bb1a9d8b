#!/bin/bash
# slurm_up.sh - start a localhost Slurm 22.05 cluster for the tests (root):
# munged as user munge, slurmctld and one slurmd per emulated node, config
# written to /etc/slurm. Prints the reason and exits 77 when Slurm cannot
# start here. Stop it with slurm_down.sh (by recorded PID only).
#
# Environment: SLURM_RUN (state dir for PIDs, required), MODE=single|multi,
# NNODES (multi), FAKE_GPUS (per node, 0 = none), GPU_TYPE (gres type of
# the fake GPUs, empty = untyped), PLUGSTACK (a plugstack.conf line to
# register before the daemons start, empty = none).
#
# Facts this relies on (measured; ../shared/recipes/README.md): munged
# refuses to run as root; SlurmctldHost must be `hostname -s`; 22.05 drops
# GPUs without File= (char devices cloned from /dev/null work); emulated
# nodes need per-node TmpFS for mpi/pmix; cred_expire=30 keeps a requeue
# from waiting ~125 s.
set -u
RUN=${SLURM_RUN:?SLURM_RUN must name a state directory}
MODE=${MODE:-single}
NNODES=${NNODES:-4}
FAKE_GPUS=${FAKE_GPUS:-0}
GPU_TYPE=${GPU_TYPE:-}
PLUGSTACK=${PLUGSTACK:-}
CONF=/etc/slurm
HOST=$(hostname -s)
NCPU=${CPUS_PER_NODE:-$(nproc)}
MEM_MB=$(($(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 * 9 / 10))

skip() {
    echo "slurm_up: $*" >&2
    exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (writes /etc/slurm, starts daemons)"
for p in slurmctld slurmd munged sbatch scontrol; do
    command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] ||
        skip "$p not installed (apt-get install slurmctld slurmd munge)"
done
# never disturb a cluster this test did not start
pgrep -x slurmctld >/dev/null && skip "a slurmctld is already running here"
pgrep -x slurmd >/dev/null && skip "a slurmd is already running here"
mkdir -p "$RUN" /var/log/slurm /var/spool/slurmctld /var/spool/slurmd "$CONF"
getent hosts "$HOST" >/dev/null || echo "127.0.0.1 $HOST" >>/etc/hosts

# --- munge (as its own user; Debian's postinst made the key) ---
if [ ! -s /etc/munge/munge.key ]; then
    install -d -o munge -g munge -m 0700 /etc/munge
    runuser -u munge -- mungekey -c || skip "cannot create a munge key"
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged || skip "munged does not start"
    cp /run/munge/munged.pid "$RUN/munged.pid"
fi
munge -n | unmunge >/dev/null 2>&1 || skip "munge credentials do not verify"

# --- slurm.conf ---
if [ "$MODE" = multi ]; then
    NODES="n[1-$NNODES]"
    NODELINE="NodeName=$NODES NodeHostname=$HOST NodeAddr=127.0.0.1"
    NODELINE="$NODELINE Port=[17001-$((17000 + NNODES))] CPUs=$NCPU"
    NODELINE="$NODELINE RealMemory=$((MEM_MB / NNODES))"
    SPOOL="/var/spool/slurmd/%n" DPID="/run/slurmd-%n.pid"
    DLOG="/var/log/slurm/slurmd-%n.log" TMPFS="/tmp/slurm-tmp/%n"
    for i in $(seq 1 "$NNODES"); do
        mkdir -p "/var/spool/slurmd/n$i" "/tmp/slurm-tmp/n$i"
        chmod 1777 "/tmp/slurm-tmp/n$i"
    done
else
    NODES=$HOST
    NODELINE="NodeName=$HOST CPUs=$NCPU RealMemory=$MEM_MB"
    SPOOL=/var/spool/slurmd DPID=/run/slurmd.pid
    DLOG=/var/log/slurm/slurmd.log TMPFS=/tmp
fi
GRES_LINE=
rm -f "$CONF/gres.conf"
if [ "$FAKE_GPUS" -gt 0 ]; then
    GRES_LINE="GresTypes=gpu"
    NODELINE="$NODELINE Gres=gpu:${GPU_TYPE:+$GPU_TYPE:}$FAKE_GPUS"
    mkdir -p /run/fakegpu
    for g in $(seq 0 $((FAKE_GPUS - 1))); do
        [ -e "/run/fakegpu/gpu$g" ] || mknod "/run/fakegpu/gpu$g" c 1 3
    done
    echo "NodeName=$NODES Name=gpu ${GPU_TYPE:+Type=$GPU_TYPE }File=/run/fakegpu/gpu[0-$((FAKE_GPUS - 1))]" \
        >"$CONF/gres.conf"
fi
cat >"$CONF/slurm.conf" <<CONFEOF
ClusterName=hubci
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
AuthInfo=cred_expire=30
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=$SPOOL
TmpFS=$TMPFS
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=$DPID
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=$DLOG
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=pmix
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=1
SlurmdTimeout=20
MinJobAge=600
SlurmdParameters=config_overrides
$GRES_LINE
$NODELINE State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONFEOF

# --- SPANK: register before slurmd starts (it reads plugstack.conf once) ---
mkdir -p "$CONF/plugstack.conf.d"
grep -qs plugstack.conf.d "$CONF/plugstack.conf" ||
    echo "include $CONF/plugstack.conf.d/*.conf" >>"$CONF/plugstack.conf"
rm -f "$CONF/plugstack.conf.d/hubsched-test.conf"
[ -n "$PLUGSTACK" ] &&
    echo "$PLUGSTACK" >"$CONF/plugstack.conf.d/hubsched-test.conf"

# --- daemons (they daemonize; -i: fresh state) ---
rm -rf /var/spool/slurmctld/* 2>/dev/null
slurmctld -i || skip "slurmctld does not start: $(tail -3 /var/log/slurm/slurmctld.log)"
sleep 0.3
pid=$(cat /run/slurmctld.pid 2>/dev/null)
kill -0 "$pid" 2>/dev/null ||
    skip "slurmctld died: $(tail -3 /var/log/slurm/slurmctld.log)"
echo "$pid" >"$RUN/slurmctld.pid"
if [ "$MODE" = multi ]; then
    for i in $(seq 1 "$NNODES"); do slurmd -N "n$i"; done
else
    slurmd
fi
sleep 0.2
cat /run/slurmd*.pid >"$RUN/slurmd.pids" 2>/dev/null
for _ in $(seq 1 100); do
    if [ "$(timeout 5 sinfo -h -o '%t' 2>/dev/null | sort -u)" = idle ]; then
        exit 0
    fi
    sleep 0.2
done
skip "nodes not idle after 20 s: $(sinfo -h -R 2>&1 | head -3)"
