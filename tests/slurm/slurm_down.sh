#!/bin/bash
# slurm_down.sh - stop what slurm_up.sh started in SLURM_RUN, by recorded
# PID only (and only a process that still is a slurmd/slurmctld/munged),
# and remove the test's plugstack entry. Jobs are cancelled first:
# slurmstepd outlives slurmd and, with no daemon to report to, ignores
# SIGTERM; slurmd goes before slurmctld, or it retries its controller.
RUN=${SLURM_RUN:?SLURM_RUN must name a state directory}

stop() {
    kill "$1" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$1" 2>/dev/null
}

# stop_if NAME PID...: stop each PID whose command line is NAME's
stop_if() {
    name=$1
    shift
    for p in "$@"; do
        grep -qs "$name" "/proc/$p/cmdline" && stop "$p"
    done
}

if [ -f "$RUN/slurmctld.pid" ] && timeout 5 squeue -h >/dev/null 2>&1; then
    jobs=$(squeue -h -o %i)
    [ -n "$jobs" ] && timeout 10 scancel --full $jobs 2>/dev/null
    for _ in $(seq 1 50); do
        [ -z "$(timeout 5 squeue -h -t PD,CF,R,CG,S 2>/dev/null)" ] && break
        sleep 0.2
    done
fi
# slurmd PID files are rewritten when a slurmd restarts: read both
stop_if slurmd $({ cat "$RUN/slurmd.pids" 2>/dev/null
    cat /run/slurmd*.pid 2>/dev/null; } | sort -u)
[ -f "$RUN/slurmctld.pid" ] && stop_if slurmctld $(cat "$RUN/slurmctld.pid")
[ -f "$RUN/munged.pid" ] && stop_if munged $(cat "$RUN/munged.pid")
rm -f "$RUN/slurmd.pids" "$RUN/slurmctld.pid" "$RUN/munged.pid" \
    /etc/slurm/plugstack.conf.d/hubsched-test.conf
exit 0
