"""Milliseconds per CUDA-graphed training step of the fast path for several Triton tiles, against cuDNN.

python benchmarks/tune_triton_tiles.py [--length 100]   (needs a CUDA device; the best tiles go into
part1/triton_cells.py's STEP_TILE and LOOP_TILE; bench_rnn.py --triton_tile and --loop_tile try one)
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from benchmarks.bench_rnn import CUDA_VARIANTS, B, implementations, make_step, time_steps  # noqa: E402
from part1 import triton_cells  # noqa: E402
from part1.dataset import PalindromeDataset  # noqa: E402
from part1.step import WARMUP_STEPS  # noqa: E402

STEP_TILES = [  # rows, cols, inner, warps: one program per tile and step
    (16, 16, 32, 4), (16, 16, 64, 4), (16, 16, 128, 4), (16, 16, 64, 2), (16, 16, 128, 2), (16, 32, 64, 4),
    (16, 32, 32, 4), (16, 16, 256, 4)]
LOOP_TILES = [  # one program per batch tile walks every step
    (32, 16, 32, 4), (64, 16, 32, 4), (64, 16, 32, 8), (128, 16, 32, 8), (64, 16, 64, 8), (128, 16, 16, 16),
    (64, 32, 32, 8), (32, 16, 64, 4)]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--length", type=int, default=100, help="input length T (default: 100)")
    p.add_argument("--repeats", type=int, default=5, help="timings per variant (median reported)")
    p.add_argument("--steps", type=int, default=20, help="training steps per timing")
    p.add_argument("--precision", default="ieee", choices=["ieee", "tf32x3"], help="the matmuls' products")
    p.add_argument("--arrangements", nargs="+", default=["per_step", "loop"], choices=["per_step", "loop"],
                   help="a launch per step (STEP_TILES), the time loop inside the kernel (LOOP_TILES), or both")
    args = p.parse_args()
    tiles_of = {"per_step": (False, STEP_TILES), "loop": (True, LOOP_TILES)}  # (loop in kernel, tiles)
    device = torch.device("cuda")
    data = PalindromeDataset(args.length + 1, seed=0, one_hot=True)
    print(f"T {args.length}, batch {B}, {torch.cuda.get_device_name()}")
    for model_type in ("RNN", "LSTM"):
        baseline = make_step(implementations(model_type, device)[f"nn.{model_type}"], data, device, graphed=True)
        time_steps(baseline, device, WARMUP_STEPS + 2)
        for loop, tiles in (tiles_of[name] for name in args.arrangements):
            variant = next(name for name, kernels in CUDA_VARIANTS.items() if kernels == (loop, args.precision))
            for tile in tiles:
                if loop:
                    triton_cells.LOOP_TILE = triton_cells.Tile(*tile)
                else:
                    triton_cells.STEP_TILE = triton_cells.Tile(*tile)
                step = make_step(implementations(model_type, device)[variant], data, device, True, variant)
                time_steps(step, device, WARMUP_STEPS + 2)
                ours, theirs = [], []
                for _ in range(args.repeats):
                    ours.append(time_steps(step, device, args.steps))
                    theirs.append(time_steps(baseline, device, args.steps))
                ours, theirs = statistics.median(ours), statistics.median(theirs)
                print(f"{model_type:>5} {variant:>18} tile {' '.join(map(str, tile)):>13}: {ours:6.3f} ms/step, "
                      f"nn.{model_type} graph {theirs:6.3f}, ratio {ours / theirs:5.2f}", flush=True)


if __name__ == "__main__":
    main()
