#!/usr/bin/env bash
# Class-balanced v2 runs side by side, one thread each (resumable: rerun this script after a stop).
cd "$(dirname "$0")/../.."
run() {  # name seed strength
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nohup .venv/bin/python -m training.distill.recipe \
    --labels runs/v2/labels/labels.json --out runs/v2/$1 --model-out runs/v2/$1/student.onnx \
    --seed $2 --class-balance $3 --resume > runs/v2/$1.log 2>&1 &
}
run cb05_seed_1 1 0.5
run cb05_seed_2 2 0.5
run cb025_seed_0 0 0.25
wait
