#!/usr/bin/env bash
# The GPU checks in one go, most wanted first: CUDA tests, step timings against cuDNN for every variant of the
# Triton kernels at T = 100, a capped paper-preset sweep with the fastest variant, quick sweeps with the seeds
# alone and together, timings at T = 10, 50, 100 with four seeds' steps as one graph, then the Triton tiles and
# the paper projection. Each step runs even if one before it failed.
# bash benchmarks/gpu_check.sh [output folder] [seconds for the paper preset] [its --jobs]   (needs CUDA)
set -uo pipefail
out=${1:-results/gpu_check}
paper_seconds=${2:-0}
paper_jobs=${3:-1}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
export PART1_CPP_CELLS=0  # the CPU cells are not what is measured here; do not spend device time building them
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/device.txt"
python -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)" \
    | tee -a "$out/device.txt"
python -m pytest -q -p no:cacheprovider -rf --tb=line tests/test_cuda.py tests/test_triton_cells.py \
    tests/test_models.py > "$out/tests.txt" 2>&1
tail -n 30 "$out/tests.txt"
python benchmarks/bench_rnn.py --device cuda --lengths 100 --repeats 7 --steps 20 2>&1 | tee "$out/bench.txt"

# The variant of the Triton kernels with the fastest LSTM graph step at T = 100 among those whose CUDA tests
# passed, as environment settings.
best=$(python - "$out/bench.txt" "$out/tests.txt" <<'PY'
import re, sys
test_ids = {"fast, per step": "per step", "fast, loop": "loop in kernel", "fast, tf32x3": "per step, tf32x3",
            "fast, loop, tf32x3": "loop in kernel, tf32x3"}
failed = [line for line in open(sys.argv[2]) if line.startswith("FAILED")]
rows = re.findall(r"^\s*LSTM\s+100\s+(fast.*?) graph\s+([\d.]+)\s", open(sys.argv[1]).read(), re.M)
rows = [row for row in rows if row[0] in test_ids and not any(f"[{test_ids[row[0]]}-" in line for line in failed)]
name = min(rows, key=lambda row: float(row[1]))[0] if rows else "fast, per step"
print(f"PART1_LOOP_IN_KERNEL={int('loop' in name)} PART1_DOT_PRECISION={'tf32x3' if 'tf32x3' in name else 'ieee'}")
PY
)
best=${best:-PART1_LOOP_IN_KERNEL=0 PART1_DOT_PRECISION=ieee}  # the default, if the bench failed
echo "fastest variant: $best" | tee "$out/best.txt"
export $best
together=on  # seeds side by side in one graph, unless its test failed
grep -q "FAILED.*seeds_trained_together" "$out/tests.txt" && together=off

if [ "$paper_seconds" -gt 0 ]; then
    start=$(date +%s)
    timeout "$paper_seconds" python start1.py --preset paper --device cuda --jobs "$paper_jobs" \
        --seeds_together "$together" --out_dir "$out/paper" 2>/dev/null | tail -n 22 > "$out/paper.txt"
    runs=$(wc -l < "$out/paper/runs.jsonl")
    echo "paper preset, --jobs $paper_jobs, --seeds_together $together, $best:" \
        "$runs of 72 runs in $(( $(date +%s) - start )) s" | tee -a "$out/paper.txt"
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
if [ "$best" != "PART1_LOOP_IN_KERNEL=0 PART1_DOT_PRECISION=ieee" ]; then
    PART1_LOOP_IN_KERNEL=0 PART1_DOT_PRECISION=ieee sweep quick_per_step --seeds_together off
fi
python benchmarks/bench_rnn.py --device cuda --lengths 10 50 100 --repeats 5 --steps 20 --together 4 2>&1 \
    | grep -E "graph|model|fast x|part 2|Error" | tee "$out/bench_together.txt"
arrangement=$([ "$PART1_LOOP_IN_KERNEL" = 1 ] && echo loop || echo per_step)
python benchmarks/tune_triton_tiles.py --length 100 --repeats 3 --precision "$PART1_DOT_PRECISION" \
    --arrangements "$arrangement" 2>&1 | tee "$out/tiles.txt"
python benchmarks/bench_rnn.py --device cuda --project_paper --repeats 2 --steps 10 --together 4 2>&1 | tail -n 3 \
    | tee "$out/bench_paper.txt"
