#!/bin/bash
# A small inference server on a quarter of a GPU, near its users.
#HUB --kind=infer
#HUB --gpus=0.25
#HUB --latency-slo=200
#HUB --region=west
#SBATCH --time=UNLIMITED
python serve.py --port 8080
