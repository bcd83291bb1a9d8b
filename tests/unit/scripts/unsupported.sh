#!/bin/bash
#SBATCH --mail-type=END,FAIL
#SBATCH --mail-user=alice@example.org
#SBATCH --gres=gpu:2,nvme:1
#SBATCH -t 10
echo hello
