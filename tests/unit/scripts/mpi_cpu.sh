#!/bin/sh
#SBATCH -J lammps
#SBATCH -N 2-4
#SBATCH -n 128
#SBATCH -c 1
#SBATCH --mem-per-cpu=2G
#SBATCH -t 12:00:00
#SBATCH -p cpu
#SBATCH -q normal
#SBATCH --exclusive
#SBATCH --export=NONE
#SBATCH -D /scratch/alice/lj

module load openmpi/4.1
mpirun lmp -in in.lj
