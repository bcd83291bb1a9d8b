#!/bin/bash
# PyTorch DDP pre-training on 4 nodes x 8 H100, one task per GPU.
#SBATCH --job-name=gpt-ddp
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=8
#SBATCH --cpus-per-task=12
#SBATCH --gres=gpu:h100:8
#SBATCH --mem=480G
#SBATCH --time=2-00:00:00
#SBATCH --partition=gpu
#SBATCH --account=llm-pretrain
#SBATCH --output=logs/%x-%j.out
#SBATCH --error=logs/%x-%j.err
#SBATCH --requeue

#HUB --kind=train
#HUB --spare-nodes=1

export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MASTER_PORT=29500
#SBATCH --time=5
srun torchrun --nnodes="$SLURM_NNODES" --nproc_per_node=8 \
    --rdzv_backend=c10d --rdzv_endpoint="$MASTER_ADDR:$MASTER_PORT" \
    train.py --config configs/gpt-1.3b.yaml
