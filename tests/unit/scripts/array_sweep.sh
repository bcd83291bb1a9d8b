#!/bin/bash
#SBATCH --job-name=sweep
#SBATCH --array=0-99%10
#SBATCH --output=sweep/%A_%a.out
#SBATCH --gpus-per-node=1
#SBATCH --time=30
#SBATCH --mem=16000

python sweep.py --trial "$SLURM_ARRAY_TASK_ID"
