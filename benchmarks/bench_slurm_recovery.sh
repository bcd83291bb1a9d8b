#!/bin/bash
# bench_slurm_recovery.sh - one question: how long does hrun take to
# recover from a killed rank inside a Slurm allocation, beside the same
# job launched by hrun outside Slurm (as under hubsched: mpirun on this
# host's slots, bench_recovery's setting)?
#
# The job: the tiny GPT trainer on 4 ranks (4 emulated Slurm nodes with a
# fake GPU each, sbatch -N4 -n4 with the SPANK plugin; outside Slurm, 4
# slots of this host), a checkpoint every 10 steps, rank 0 SIGKILLed (pid
# from the progress record) once checkpoint 20 is durable. Phases from
# hrun's --timeline, seconds after the kill: detection, teardown,
# relaunch, MPI up, checkpoint loaded, first step (the total).
# Correctness before timing: each job ends with exit 0, one recovery that
# resumed a checkpoint, and the uninterrupted run's parameter hash.
#
# Usage: bench_slurm_recovery.sh [--smoke]   (root; starts and stops its
# own Slurm with tests/slurm/slurm_up.sh). One JSON line per case on
# stdout, a table on stderr; exits 77 (skip) where Slurm cannot run.
REPEATS=3
[ "${1:-}" = --smoke ] && REPEATS=1 SMOKE=true || SMOKE=false
HUB_SRCDIR=${HUB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
export HUB_SRCDIR
. "$HUB_SRCDIR/tests/slurm/slurm_lib.sh"
HRUN=$B/launcher/hrun/hrun
GPT=$B/benchmarks/gpt/gpt-train
[ -x "$HRUN" ] || skip_all "$HRUN not built"
[ -x "$GPT" ] || skip_all "$GPT not built (no OpenBLAS)"
ARGS="--config tiny --steps 60 --ckpt-every 10 --print-param-hash"
export HUB_CPU_PEAK_FLOPS=1e10

fail() {
    echo "bench_slurm_recovery: FAILED correctness check: $*" >&2
    exit 1
}

echo "GpuType=h100 PeakTFLOPS_BF16=989.4" >"$T/gpus.conf"
MODE=multi NNODES=4 FAKE_GPUS=1 GPU_TYPE=h100 \
    PLUGSTACK="required $PLUGIN gpu_conf=$T/gpus.conf summary=no" slurm_start
cd "$T" || exit 1
HUB_JOB_FILE=$T/ref.h5 HUB_CKPT_DIR=$T/refck \
    mpirun --oversubscribe -np 4 "$GPT" $ARGS >"$T/ref.out" 2>&1
ref=$(awk '/^param-hash/ { print $2 }' "$T/ref.out")
[ -n "$ref" ] || fail "the uninterrupted run printed no parameter hash"

# kill_when_ready DIR: SIGKILL rank 0 (pid from DIR's progress record)
# once DIR/ck/step-20 is complete; prints the time of the kill. Gives up
# (status 1) after 60 s.
kill_when_ready() {
    for _ in $(seq 1 3000); do
        if [ -f "$1/ck/step-20/COMPLETE" ]; then
            pid=$(sed -n 's/^pid=//p' "$1/job.h5.progress")
            [ -n "$pid" ] && kill -9 "$pid" && date +%s.%N && return 0
        fi
        sleep 0.02
    done
    return 1
}

# one_run KIND R: one job (KIND slurm or local) in $T/KIND-R; appends
# "total detection teardown relaunch mpi ckpt" to $T/KIND.phases.
one_run() {
    d=$T/$1-$2
    mkdir -p "$d"
    export HUB_CKPT_DIR=$d/ck HUB_JOB_FILE=$d/job.h5
    if [ "$1" = slurm ]; then
        j=$(OMPI_MCA_btl=self,tcp sbatch --parsable -N4 -n4 --gres=gpu:1 \
            --hub-restarts=3 --hub-ckpt="$d/ck" --hub-metrics="$d/job.h5" \
            -o "$d/out" --wrap "$HRUN --timeline=$d/tl.json $GPT $ARGS")
        t_kill=$(kill_when_ready "$d")
        while [ -n "$(squeue -h -j "$j")" ]; do sleep 0.1; done
        rc=$(scontrol show job "$j" | sed -n 's/.* ExitCode=\([0-9]*\):.*/\1/p')
    else
        "$HRUN" -n 4 --host "$(hostname -s):4" --oversubscribe \
            --timeline="$d/tl.json" "$GPT" $ARGS >"$d/out" 2>&1 &
        hp=$!
        t_kill=$(kill_when_ready "$d")
        wait "$hp"
        rc=$?
    fi
    unset HUB_CKPT_DIR HUB_JOB_FILE
    [ "$rc" = 0 ] && [ -n "$t_kill" ] || fail "$1 run $2: exit ${rc:-?}"
    [ "$(awk '/^param-hash/ { print $2 }' "$d/out" | tail -n 1)" = "$ref" ] ||
        fail "$1 run $2: final parameters differ from the uninterrupted run"
    grep '"cause"' "$d/tl.json" | awk -v k="$t_kill" '
        function v(key,   m) {
            if (!match($0, "\"" key "\": *[-0-9.e+]+")) return -1
            m = substr($0, RSTART, RLENGTH); sub(/^[^:]*: */, "", m)
            return m + 0
        }
        { if (v("resume_step") < 0 || v("first_step") <= 0) exit 1
          printf "%.6f %.6f %.6f %.6f %.6f %.6f\n", v("first_step") - k,
              v("detected") - k, v("teardown_done") - v("detected"),
              v("relaunch_started") - v("teardown_done"),
              v("mpi_init") - v("relaunch_started"),
              v("ckpt_loaded") - v("mpi_init") }' >>"$T/$1.phases" ||
        fail "$1 run $2: no recovery that resumed a checkpoint"
}

for r in $(seq 1 "$REPEATS"); do
    one_run slurm "$r"
    one_run local "$r"
done

# report COLUMN NAME: one case, Slurm against outside Slurm (baseline).
report() {
    paste "$T/slurm.phases" "$T/local.phases" | awk -v c="$1" \
        -v name="$2" -v smoke="$SMOKE" -v n="$REPEATS" '
        # p05 and p95 are min and max: n is 1 to 3 here
        function stats(a, k,   i, j, t, s) {
            for (i = 1; i <= k; i++)
                for (j = i + 1; j <= k; j++)
                    if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            for (i = 1; i <= k; i++) s += a[i]
            med = k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
            return sprintf("{\"n\":%d,\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,\"p05\":%.6g,\"p95\":%.6g,\"mean\":%.6g}",
                k, med, a[1], a[k], a[1], a[k], s / k)
        }
        { s[NR] = $c; l[NR] = $(c + 6) }
        END {
            js = stats(s, NR); ms = med; jl = stats(l, NR); ml = med
            printf "{\"bench\":\"slurm_recovery\",\"case\":\"%s\",\"unit\":\"s\",\"higher_better\":false,\"smoke\":%s,\"result\":%s,\"baseline_name\":\"hrun outside Slurm\",\"baseline\":%s,\"ratio\":%.4g}\n",
                name, smoke, js, jl, (ms > 0 ? ml / ms : 0)
            printf "%-14s %-44s median %8.3f s | outside Slurm %8.3f s [n=%d]\n",
                "slurm_recovery", name, ms, ml, n > "/dev/stderr"
        }'
}
report 1 "SIGKILL of 1 of 4 ranks: to first step"
report 2 "detection"
report 3 "teardown"
report 4 "relaunch"
report 5 "MPI up"
report 6 "checkpoint loaded"
