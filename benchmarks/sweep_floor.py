"""What bounds a finished sweep's time on this machine: its training steps' matmuls at this CPU's SGEMM rate.

Reads the sweep's runs.jsonl (how many steps each run took, at how many threads) and prints, per model and input
length, the seconds its runs took (`wall_seconds`: data, training, test) beside the seconds their training
matmuls alone would take at the SGEMM rate of that many threads, measured here; then both for the whole sweep
with --jobs runs at once. A share near 1 would mean that nothing but faster matmuls could speed the sweep up.

python -m benchmarks.sweep_floor results/part1/runs.jsonl [--jobs 2]
"""
import argparse
from collections import defaultdict
from pathlib import Path

import torch

from uvadl2019.checks import UserError, check_positive
from uvadl2019.cli import run_main
from uvadl2019.files import read_jsonl
from benchmarks.bench_rnn import matmul_flops, sgemm_rate


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", help="a sweep's runs.jsonl")
    p.add_argument("--jobs", type=int, default=2, help="runs at once in the sweep (default 2: two cores)")
    args = p.parse_args()
    check_positive(jobs=args.jobs)
    if not Path(args.runs).is_file():
        raise UserError(f"no file '{args.runs}'; give the runs.jsonl of a finished sweep")
    records = [r for r in read_jsonl(args.runs, required=("model_type", "input_length", "steps", "wall_seconds"))
               if r["device"] == "cpu"]
    threads = {r["config"]["num_threads"] for r in records}
    if len(threads) != 1:
        raise UserError(f"'{args.runs}' holds CPU runs at {sorted(threads) or 'no'} thread counts; give one sweep's "
                        f"runs.jsonl")
    torch.set_num_threads(threads.pop())
    rate = sgemm_rate(torch.device("cpu"))
    print(f"SGEMM at {torch.get_num_threads()} thread(s): {rate / 1e9:.0f} GFLOP/s; {len(records)} runs")
    print(f"{'model':>5} {'T':>4} {'runs':>4} {'steps':>7} {'took s':>8} {'matmuls s':>9} {'share':>6}")
    groups = defaultdict(lambda: [0, 0, 0.0, 0.0])  # runs, steps, seconds taken, seconds of matmuls at the rate
    for r in records:
        group = groups[r["model_type"], r["input_length"]]
        group[0] += 1
        group[1] += r["steps"]
        group[2] += r["wall_seconds"]
        group[3] += r["steps"] * matmul_flops(r["model_type"], r["input_length"]) / rate
    for (model_type, length), (runs, steps, took, floor) in sorted(groups.items()):
        print(f"{model_type:>5} {length:>4} {runs:>4} {steps:>7} {took:>8.0f} {floor:>9.0f} {floor / took:>6.2f}")
    took = sum(g[2] for g in groups.values()) / args.jobs / 3600
    floor = sum(g[3] for g in groups.values()) / args.jobs / 3600
    print(f"all runs, {args.jobs} at a time: {took:.2f} h of training, of which matmuls at the SGEMM rate "
          f"{floor:.2f} h ({floor / took:.2f})")


if __name__ == "__main__":
    run_main(main, "sweep_floor.py")
