#!/bin/bash
# slurm_hrun.sh - hrun under Slurm with the SPANK plugin, speaking TAP: 4
# emulated nodes with a fake h100 each; `sbatch -N4 -n4 --hub-restarts=3
# --hub-ckpt=DIR` of the tiny GPT trainer launched by hrun inside the
# allocation; rank 0 is killed (its pid from the progress record) once a
# checkpoint is durable. The job completes, its HDF5 file records the
# restart with its phase timings and the GPU peak the plugin passed, the
# job's output ends with the summary, and the final parameters are
# bitwise those of an uninterrupted run. Skips (77) without root, Slurm,
# hrun or gpt-train, or when Slurm cannot start here.
. "$(dirname "$0")/slurm_lib.sh"

HRUN=$B/launcher/hrun/hrun
GPT=$B/benchmarks/gpt/gpt-train
[ -x "$HRUN" ] || skip_all "$HRUN not built"
[ -x "$GPT" ] || skip_all "$GPT not built (no OpenBLAS)"
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump not installed"
ARGS="--config tiny --steps 60 --ckpt-every 10 --print-param-hash"
export HUB_CPU_PEAK_FLOPS=1e10 OMPI_MCA_btl=self,tcp

echo "GpuType=h100 PeakTFLOPS_BF16=989.4 PeakTFLOPS_FP32=66.9" >"$T/gpus.conf"
LINE="required $PLUGIN gpu_conf=$T/gpus.conf summary_prog=$SUMMARY_PROG"
MODE=multi NNODES=4 FAKE_GPUS=1 GPU_TYPE=h100 PLUGSTACK=$LINE slurm_start
cd "$T" || exit 1

# the reference: the same training, uninterrupted, outside Slurm
(cd "$T" && env -u OMPI_MCA_btl HUB_JOB_FILE="$T/ref.h5" HUB_CKPT_DIR="$T/refck" \
    mpirun --oversubscribe -np 4 "$GPT" $ARGS >"$T/ref.out" 2>&1)
ref=$(awk '/^param-hash/ { print $2 }' "$T/ref.out")

# the job, and rank 0 killed once checkpoint 20 is durable
j=$(sbatch --parsable -N4 -n4 --gres=gpu:1 --hub-restarts=3 \
    --hub-ckpt="$T/ck" --hub-metrics="$T/job.h5" -o "$T/job.out" \
    --wrap "$HRUN $GPT $ARGS")
killed=
for _ in $(seq 1 1200); do
    [ -z "$(squeue -h -j "$j" 2>/dev/null)" ] && break
    if [ -z "$killed" ] && [ -f "$T/ck/step-20/COMPLETE" ]; then
        killed=$(sed -n 's/^pid=//p' "$T/job.h5.progress")
        [ -n "$killed" ] && kill -9 "$killed"
    fi
    sleep 0.1
done
state=$(scontrol show job "$j" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')
shows "the job completes after rank 0 (pid ${killed:-none}) was killed" \
    "$T/job.out" test "$state" = COMPLETED -a -n "$killed"
h5dump -d /events "$T/job.h5" >"$T/events.txt" 2>&1
for ev in failure_detected teardown_done relaunch_started resume; do
    shows "the job file records the restart's $ev event" "$T/events.txt" \
        grep -q "\"$ev\"" "$T/events.txt"
done
shows "the restarted run is recorded with the h100 peak the plugin passed" \
    "$T/events.txt" grep -q '"restart=1 ranks=4 devices=4 x h100 peak_flops=[1-9]' \
    "$T/events.txt"
hash=$(awk '/^param-hash/ { print $2 }' "$T/job.out" | tail -n 1)
echo "# uninterrupted $ref, killed and restarted $hash"
check "the final parameters equal the uninterrupted run's" \
    test -n "$ref" -a "$ref" = "$hash"
line=$(tail -n 1 "$T/job.out")
echo "# last line: $line"
case $line in
"hubsched: MFU "*"% goodput "*"% restarts 1") ok "the output ends with the summary: 1 restart" ;;
*) not_ok "the output ends with the summary: 1 restart" ;;
esac
done_testing
