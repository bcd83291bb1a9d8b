#!/bin/bash
#SBATCH --nodes=2
#SBATCH --time=forever
echo never
