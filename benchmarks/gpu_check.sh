#!/usr/bin/env bash
# The GPU checks in one go: CUDA tests, step timings against cuDNN, and the quick preset's wall time.
# bash benchmarks/gpu_check.sh [output folder]   (needs a CUDA device; writes logs into the folder)
set -uo pipefail
out=${1:-results/gpu_check}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/device.txt"
python -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)" | tee -a "$out/device.txt"
python -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_triton_cells.py tests/test_models.py 2>&1 \
    | tail -n 30 | tee "$out/tests.txt"
python benchmarks/bench_rnn.py --device cuda --lengths 50 100 --repeats 7 --steps 20 2>&1 | tee "$out/bench.txt"
python benchmarks/bench_rnn.py --device cuda --project_paper --repeats 3 --steps 20 2>&1 | tee "$out/bench_paper.txt"
start=$(date +%s)
python start1.py --device cuda --out_dir "$out/quick" 2>/dev/null | tail -n 16 | tee "$out/quick.txt"
echo "start1.py --device cuda (quick preset): $(( $(date +%s) - start )) s" | tee -a "$out/quick.txt"
