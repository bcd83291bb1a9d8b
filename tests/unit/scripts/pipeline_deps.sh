#!/bin/bash
#SBATCH -J eval
#SBATCH --dependency=afterok:1001:1002,afterany:1003
#SBATCH --signal=B:USR1@120
#SBATCH --time=4:00:00
#SBATCH --nice=50
#SBATCH --comment="nightly eval run"
#SBATCH --begin=now+1hour
#SBATCH --no-requeue
#SBATCH --hold

trap 'echo checkpointing; touch ckpt.flag' USR1
python eval.py &
wait
