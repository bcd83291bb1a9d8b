#!/bin/sh
# hubjob_env.sh - libhubjob's job context at 2 and 4 ranks: rank, world
# and local rank agree with Open MPI; job id, restart count and paths come
# from HUB_* before SLURM_*; the job's peak FLOP/s is summed over the
# ranks (GPUs shared by the ranks of a node counted once, a node total
# from the controller taken as is, CPU cores capped at the node's).
. "$HUB_SRCDIR/tests/mpi/hubjob_lib.sh"

run 2 -- facts
fact world 2 "world from MPI"
fact job_id "" "no job id outside a job"
fact job_file ./hubjob.h5 "default job file"

run 4 SLURM_JOB_ID=77 SLURM_RESTART_COUNT=2 -- facts
fact job_id 77 "job id from SLURM_JOB_ID"
fact restart 2 "restart count from SLURM_RESTART_COUNT"
fact job_file ./hubjob-77.h5 "job file named after the job"
fact ckpt_dir ./ckpt-77 "checkpoint directory named after the job"

run 4 HUB_JOB_ID=5 SLURM_JOB_ID=78 HUB_CKPT_DIR=/scratch/ck -- facts
fact job_id 5 "HUB_JOB_ID wins over SLURM_JOB_ID"
fact ckpt_dir /scratch/ck "HUB_CKPT_DIR"

run 4 CUDA_VISIBLE_DEVICES=0,1 HUB_GPU_PEAK_TFLOPS_BF16=100 \
    HUB_GPU_TYPE=A100 -- facts
fact gpus 2 "4 ranks sharing 2 GPUs count 2"
fact peak_flops 2e+14 "peak = 2 x 100 TFLOP/s"
fact devices "2 x A100" "devices described"

run 2 CUDA_VISIBLE_DEVICES=0 HUB_PEAK_FLOPS_BF16=5e13 \
    HUB_GPU_PEAK_TFLOPS_BF16=100 -- facts
fact peak_flops 5e+13 "the controller's node total wins (GPU fraction)"

online=$(getconf _NPROCESSORS_ONLN)
cores=$((online < 4 ? online : 4))
run 4 OMP_NUM_THREADS=1 -- facts
fact cores "$cores" "4 one-core ranks on $online CPUs"
fact peak_flops "${cores}e+09" "CPU peak = cores x HUB_CPU_PEAK_FLOPS"

done_testing
