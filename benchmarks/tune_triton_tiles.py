"""Milliseconds per CUDA-graphed training step of the fast path for several Triton tiles, against cuDNN.

python -m benchmarks.tune_triton_tiles [--length 100]   (needs a CUDA device; the best tile goes into
part1/fast/cells_triton.py's TILE, one per model; bench_rnn.py --triton_tile tries one)
"""
import argparse
import statistics

import torch

from benchmarks.bench_rnn import B, implementations, make_step, time_steps
from part1.dataset import PalindromeDataset
from part1.fast.cells_triton import Tile
from part1.fast.graphs import WARMUP_STEPS

TILES = [  # rows (hidden units), cols (batch columns), inner chunk, warps
    (16, 16, 16, 4), (16, 16, 32, 4), (16, 16, 64, 4), (16, 16, 128, 4), (16, 16, 64, 2), (16, 16, 128, 2),
    (16, 32, 64, 4), (16, 32, 32, 4), (16, 16, 256, 4)]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--length", type=int, default=100, help="input length T (default: 100)")
    p.add_argument("--models", nargs="+", default=["RNN", "LSTM"], choices=["RNN", "LSTM"])
    p.add_argument("--repeats", type=int, default=5, help="timings per tile (median reported)")
    p.add_argument("--steps", type=int, default=20, help="training steps per timing")
    args = p.parse_args()
    device = torch.device("cuda")
    data = PalindromeDataset(args.length + 1, seed=0, one_hot=True)
    print(f"T {args.length}, batch {B}, {torch.cuda.get_device_name()}")
    for model_type in args.models:
        baseline = make_step(implementations(model_type, device)[f"nn.{model_type}"], data, device, graphed=True)
        time_steps(baseline, device, WARMUP_STEPS + 2)
        for tile in TILES:
            models = implementations(model_type, device, triton_tiles={model_type: Tile(*tile)})["fast"]
            step = make_step(models, data, device, graphed=True)
            time_steps(step, device, WARMUP_STEPS + 2)
            ours, theirs = [], []
            for _ in range(args.repeats):
                ours.append(time_steps(step, device, args.steps))
                theirs.append(time_steps(baseline, device, args.steps))
            ours, theirs = statistics.median(ours), statistics.median(theirs)
            print(f"{model_type:>5} tile {' '.join(map(str, tile)):>13}: {ours:6.3f} ms/step, "
                  f"nn.{model_type} graph {theirs:6.3f}, ratio {ours / theirs:5.2f}", flush=True)


if __name__ == "__main__":
    main()
