#!/usr/bin/env bash
# The GPU checks in one go, most wanted first: CUDA tests, step timings against cuDNN at T = 100 (also four seeds'
# steps as one graph), a capped paper-preset sweep, quick sweeps with the seeds alone and together, timings at
# T = 10 and 50, then the Triton tiles and the paper projection. Each step runs even if one before it failed.
# bash benchmarks/gpu_check.sh [output folder] [seconds for the paper preset] [its --jobs]   (needs CUDA)
set -uo pipefail
out=${1:-results/gpu_check}
paper_seconds=${2:-0}
paper_jobs=${3:-1}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/device.txt"
python -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)" \
    | tee -a "$out/device.txt"
python -m pytest -q -p no:cacheprovider -rf --tb=line tests/test_cuda.py tests/test_triton_cells.py \
    tests/test_models.py > "$out/tests.txt" 2>&1
tail -n 30 "$out/tests.txt"
python -m benchmarks.bench_rnn --device cuda --lengths 100 --repeats 7 --steps 20 --together 4 2>&1 \
    | tee "$out/bench.txt"
together=on  # seeds side by side in one graph, unless its test failed
grep -q "FAILED.*seeds_trained_together" "$out/tests.txt" && together=off

if [ "$paper_seconds" -gt 0 ]; then
    start=$(date +%s)
    timeout "$paper_seconds" python start1.py --preset paper --device cuda --jobs "$paper_jobs" \
        --seeds_together "$together" --out_dir "$out/paper" 2>/dev/null | tail -n 22 > "$out/paper.txt"
    runs=$(wc -l < "$out/paper/runs.jsonl")
    echo "paper preset, --jobs $paper_jobs, --seeds_together $together: $runs of 72 runs in" \
        "$(( $(date +%s) - start )) s" | tee -a "$out/paper.txt"
    tail -n 20 "$out/paper.txt"
fi

sweep() {  # name, then start1.py options: wall time and the summary table
    local name=$1; shift
    local start; start=$(date +%s)
    timeout 150 python start1.py --device cuda --out_dir "$out/$name" "$@" 2>/dev/null | tail -n 16 > "$out/$name.txt"
    echo "start1.py --device cuda $*: $(( $(date +%s) - start )) s" | tee -a "$out/$name.txt"
}
sweep quick_alone --seeds_together off
sweep quick_together --seeds_together on
python - "$out" <<'PY'
import json, sys
runs = {}
for name in ("quick_alone", "quick_together"):
    for line in open(f"{sys.argv[1]}/{name}/runs.jsonl"):
        r = json.loads(line)
        runs.setdefault((r["model_type"], r["input_length"], r["seed"]), []).append(
            (r["steps"], r["train_loss"], r["test_accuracy"]))
same = sum(a == b for a, b in runs.values())
print(f"seeds alone and together: {same} of {len(runs)} runs identical")
PY
python -m benchmarks.bench_rnn --device cuda --lengths 10 50 --repeats 5 --steps 20 --together 4 2>&1 \
    | grep -E "graph|model|part 2|Error" | tee "$out/bench_short.txt"
python -m benchmarks.tune_triton_tiles --length 100 --repeats 3 2>&1 | tee "$out/tiles.txt"
python -m benchmarks.bench_rnn --device cuda --project_paper --repeats 2 --steps 10 --together 4 2>&1 | tail -n 3 \
    | tee "$out/bench_paper.txt"
