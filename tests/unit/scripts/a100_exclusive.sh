#!/bin/bash
#SBATCH --nodes=2
#SBATCH --gpus-per-node=a100:4
#SBATCH -C nvlink
#SBATCH --exclusive
#SBATCH --ntasks-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --mem-per-cpu=8G
#HUB --hub=gansu --data-hub=shanghai   # data lives in shanghai
#HUB --region=east

srun python finetune.py
