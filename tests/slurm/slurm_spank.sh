#!/bin/bash
# slurm_spank.sh - the SPANK plugin spank_hub in a real single-node Slurm
# with two fake h100 GPUs, speaking TAP: bad option values are refused
# by sbatch with the reason; every option reaches the batch step and srun
# steps as its variable; GPU peaks come from the gpu_conf table (typed
# request, explicit type); a plain #SBATCH script sees exactly the
# environment it sees without the plugin; a job that used libhubjob ends
# with the summary line in its output and its comment. Skips (77) when
# not root, without Slurm, or when Slurm cannot start here.
. "$(dirname "$0")/slurm_lib.sh"

cat >"$T/gpus.conf" <<'CONF'
GpuType=h100 PeakTFLOPS_BF16=989.4 PeakTFLOPS_TF32=494.7 PeakTFLOPS_FP32=66.9
GpuType=a100 PeakTFLOPS_BF16=312 PeakTFLOPS_FP32=19.5
CONF
LINE="required $PLUGIN gpu_conf=$T/gpus.conf comment=yes"
LINE="$LINE summary_prog=$SUMMARY_PROG"
MODE=single FAKE_GPUS=2 GPU_TYPE=h100 PLUGSTACK=$LINE slurm_start
cd "$T" || exit 1

# --- options are listed and bad values refused ------------------------------
check "sbatch --help lists --hub-ckpt" sh -c 'sbatch --help | grep -q -- --hub-ckpt='
# refused VALUE MESSAGE: sbatch refuses VALUE and says MESSAGE
refused() {
    sbatch --wrap true "$1" >/dev/null 2>"$T/refused.err"
    rc=$?
    if [ "$rc" -ne 0 ] && grep -q -- "$2" "$T/refused.err"; then
        ok "sbatch $1 is refused: $2"
    else
        not_ok "sbatch $1 is refused: $2 (rc $rc)"
        sed 's/^/# /' "$T/refused.err"
    fi
}
refused --hub-restarts=abc "hub-restarts=abc: not a whole number"
refused --hub-restarts=1001 "from 0 to 1000"
refused --hub-hang-timeout=-5 "hub-hang-timeout=-5: not a whole number"
refused --hub-precision=fp7 "not one of bf16, fp16, tf32, fp32, fp64"
refused --hub-spares=x "hub-spares=x"
refused --hub-gpu-type=v100 "hub-gpu-type=v100: not a GpuType of"

# --- options reach the batch step and srun steps ----------------------------
job --hub-ckpt="$T/ck" --hub-restarts=3 --hub-hang-timeout=30 \
    --hub-metrics="$T/m.h5" --hub-precision=tf32 --hub-spares=1 \
    --gpus-per-node=h100:1 \
    --wrap 'env | grep ^HUB_; srun -n1 env | grep ^HUB_ | sed s/^/step:/'
for v in HUB_CKPT_DIR="$T/ck" HUB_MAX_RESTARTS=3 HUB_HANG_TIMEOUT=30 \
    HUB_JOB_FILE="$T/m.h5" HUB_PRECISION=tf32 HUB_SPARE_NODES=1 \
    HUB_GPU_TYPE=h100 HUB_GPU_PEAK_TFLOPS_BF16=989.4 \
    HUB_GPU_PEAK_TFLOPS_TF32=494.7; do
    check "batch step and srun step get $v" \
        sh -c "grep -qx '$v' '$T/$j.out' && grep -qx 'step:$v' '$T/$j.out'"
done
check "no peak variable for a precision the table lacks" \
    sh -c "! grep -q HUB_GPU_PEAK_TFLOPS_FP16 '$T/$j.out'"

job --gres=gpu:1 --hub-gpu-type=a100 --wrap 'env | grep ^HUB_'
check "--hub-gpu-type=a100 gives a100's peak over the node's h100" \
    grep -qx HUB_GPU_PEAK_TFLOPS_BF16=312 "$T/$j.out"
job --gres=gpu:1 --hub --wrap 'env | grep ^HUB_GPU || true'
shows "--hub with an untyped request and two types: no guessed peak" \
    "$T/$j.out" test ! -s "$T/$j.out"

# --- a plain #SBATCH script: same environment as without the plugin --------
cat >"$T/plain.sh" <<'SCRIPT'
#!/bin/sh
#SBATCH -J plain
#SBATCH -n 1
#SBATCH --gres=gpu:1
env | grep -v -e '^SLURM_JOBID=' -e '^SLURM_JOB_ID=' -e '^SLURM_TASK_PID=' | sort
srun -n1 sh -c "env | grep ^HUB_ | wc -l"
SCRIPT
job "$T/plain.sh"
j1=$j
rc1=$job_rc
mv /etc/slurm/plugstack.conf.d/hubsched-test.conf "$T/plugstack.saved"
job "$T/plain.sh"
j2=$j
rc2=$job_rc
mv "$T/plugstack.saved" /etc/slurm/plugstack.conf.d/hubsched-test.conf
shows "a plain #SBATCH script runs with the plugin loaded (exit $rc1, $rc2)" \
    "$T/$j1.out" test "$rc1" = 0 -a "$rc2" = 0 -a -s "$T/$j1.out"
if diff "$T/$j2.out" "$T/$j1.out" >"$T/plain.diff"; then
    ok "its environment equals a run without the plugin (job ids aside)"
else
    not_ok "its environment equals a run without the plugin (job ids aside)"
    sed 's/^/# /' "$T/plain.diff"
fi

# --- the summary line and the comment ---------------------------------------
GPT=$B/benchmarks/gpt/gpt-train
if [ -x "$GPT" ]; then
    job -n2 --hub-metrics="$T/gpt.h5" --hub-ckpt="$T/gptck" \
        --wrap "HUB_CPU_PEAK_FLOPS=1e10 mpirun -np 2 $GPT --config tiny --steps 10"
    line=$(tail -n 1 "$T/$j.out")
    echo "# last line: $line"
    case $line in
    "hubsched: MFU "*"% goodput "*"% restarts 0") ok "the job's output ends with the summary" ;;
    *) not_ok "the job's output ends with the summary" ;;
    esac
    check "the job's comment is the summary" \
        sh -c "scontrol show job $j | grep -qF 'Comment=$line'"
else
    ok "# SKIP gpt-train not built (no OpenBLAS): no summary check"
fi
done_testing
