"""Milliseconds per part 1 training step of the from-scratch models, against PyTorch's built-in layers.

Also the part 2 text model's training step and characters per second.

A training step is what part1.train does: draw a batch, forward, last-step cross-entropy, backward,
gradient clipping, RMSprop. Implementations are timed in turns in one process, so the ratio column is
robust to a noisy machine. On CUDA every implementation is also timed as a CUDA graph of its whole step
("graph" rows, ratio against the built-in layer's graph), and with --together 4 the "fast x4 graph" row times four
models' steps taken together as one graph, as `start1.py --seeds_together on` trains four seeds (ms for all four).
--project_paper multiplies the measured times by the paper preset's grid. The "floor" column is the time the
step's matmuls would take at this device's SGEMM rate, measured on a large matmul in the same run, as a fraction
of the step's time: 1.0 would be a step made of nothing but matmuls at the device's peak.

python -m benchmarks.bench_rnn [--lengths 10 50 100] [--device cpu] [--threads 1]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from uvadl2019.device import resolve_device
from part1.dataset import PalindromeDataset
from part1.fast import backend
from part1.fast.graphs import WARMUP_STEPS
from part1.lstm import LSTM
from part1.presets import PRESETS
from part1.train import make_train_steps
from part1.vanilla_rnn import VanillaRNN
from part2.model import TextGenerationModel

B, D, N, C = 128, 10, 128, 10  # batch, one-hot input, hidden units, classes


class BuiltIn(nn.Module):
    """nn.RNN or nn.LSTM with a linear head on the last step: the baseline."""

    def __init__(self, layer):
        super().__init__()
        self.layer, self.head = layer, nn.Linear(N, C)

    def forward(self, x):
        return self.head(self.layer(x)[0][:, -1])


def implementations(model_type, device, graphed=False, together=1, triton_tiles=None):
    """Name -> the models trained together in one step: the from-scratch models with impl="fast" (the device's
    fastest cells), impl="torch" where that is another back end, and impl="reference", and the built-in layer; as
    CUDA graphs also `together` fast models at once ("fast xN"). triton_tiles: the fast models' Triton tiles."""
    cls, layer = (VanillaRNN, nn.RNN) if model_type == "RNN" else (LSTM, nn.LSTM)

    def fast(impl="fast"):
        return cls(0, D, N, C, device=device, impl=impl, triton_tiles=triton_tiles)
    models = {"fast": [fast()]}
    if backend.resolve("fast", device) != "torch":
        models["torch"] = [fast("torch")]
    if graphed and together > 1:
        models[f"fast x{together}"] = [fast() for _ in range(together)]
    models["reference"] = [cls(0, D, N, C, device=device, impl="reference")]
    models[f"nn.{model_type}"] = [BuiltIn(layer(D, N, batch_first=True)).to(device)]
    return models


def make_step(models, data, device, graphed):
    """The models' training steps as part1.train takes them."""
    optimizers = [torch.optim.RMSprop(model.parameters(), lr=1e-3, capturable=graphed, foreach=True)
                  for model in models]
    train_steps = make_train_steps(models, optimizers, max_norm=10.0, graphed=graphed)

    def step():
        train_steps([data.batch(B, device) for _ in models])
    return step


def time_steps(step, device, steps):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / steps * 1000


def sgemm_rate(device, size=2048, repeats=5):
    """FLOP/s of a large float32 matmul on `device` (best of `repeats`), with the current thread count."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    a @ b
    best = min(time_steps(lambda: a @ b, device, 1) for _ in range(repeats))
    return 2 * size ** 3 / (best / 1000)


def matmul_flops(model_type, length):
    """FLOPs of a training step's matmuls, as the fast path arranges them: per step W [h; x; 1] forward, its
    weight gradient, and dL/dh_{t-1} = W_h^T dz_t."""
    rows = (4 if model_type == "LSTM" else 1) * N
    return 2 * rows * B * ((N + D + 1) * length * 2 + N * (length - 1))


def measure(model_type, length, device, repeats, steps, together, triton_tiles=None):
    """Median and spread (min-max) of ms per step for each implementation, timed in turns."""
    data = PalindromeDataset(length + 1, seed=0, one_hot=True)
    step_fns = {}
    for graphed in [False, True] if device.type == "cuda" else [False]:
        for name, models in implementations(model_type, device, graphed, together, triton_tiles).items():
            step_fns[name + (" graph" if graphed else "")] = make_step(models, data, device, graphed)
    for step in step_fns.values():
        time_steps(step, device, WARMUP_STEPS + 2)  # warm-up, and the capture of the graphed steps
    times = {name: [] for name in step_fns}
    for _ in range(repeats):
        for name, step in step_fns.items():
            times[name].append(time_steps(step, device, steps))
    return {name: (statistics.median(t), min(t), max(t)) for name, t in times.items()}


def measure_text_model(device, repeats, steps, vocabulary_size=83):
    """ms per part 2 training step (the quick preset's model and batch) and characters per second."""
    B2, T2 = 64, 30
    model = TextGenerationModel(B2, T2, vocabulary_size, lstm_num_hidden=128, lstm_num_layers=2, device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    generator = torch.Generator(device=device).manual_seed(0)

    def step():
        x = torch.randint(0, vocabulary_size, (B2, T2 + 1), generator=generator, device=device)
        logits, _ = model(x[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), x[:, 1:].flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
    time_steps(step, device, 3)
    median = statistics.median(time_steps(step, device, steps) for _ in range(repeats))
    return median, B2 * T2 / (median / 1000)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", nargs="+", type=int, default=[10, 50, 100], help="input lengths T")
    p.add_argument("--models", nargs="+", default=["RNN", "LSTM"], choices=["RNN", "LSTM"])
    p.add_argument("--device", default="auto")
    p.add_argument("--repeats", type=int, default=7, help="timings per implementation (median reported)")
    p.add_argument("--steps", type=int, default=10, help="training steps per timing")
    p.add_argument("--triton_tile", nargs=4, type=int, metavar=("ROWS", "COLS", "INNER", "WARPS"),
                   help="on CUDA, the fast path's Triton tile for both models "
                        "(default: part1/fast/cells_triton.py's TILE)")
    p.add_argument("--together", type=int, default=1,
                   help="on CUDA, also time this many fast models' steps as one graph (row 'fast xN graph'; "
                        "default 1: no such row)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads (default: PyTorch's, one per core; the sweeps train each run at one thread)")
    p.add_argument("--project_paper", action="store_true",
                   help="time the paper preset's lengths and project its worst-case wall time (every run 10,000 steps)")
    args = p.parse_args()
    if args.threads is not None and args.threads < 1:
        p.error(f"--threads {args.threads}: give 1 or more")
    return args


def print_rows(model_type, length, results, floor, together):
    """One table row per implementation; returns {fast row: ms per seed} for the projection."""
    fast_ms = {}
    for name, (median, low, high) in results.items():
        baseline = results[f"nn.{model_type}" + (" graph" if name.endswith("graph") else "")][0]
        seeds_per_step = together if name.startswith(f"fast x{together}") else 1
        print(f"{model_type:>5} {length:>4} {name:>16} {median:>8.2f} {low:>6.2f}-{high:<6.2f} "
              f"{median / baseline:>6.2f} {floor * seeds_per_step / median:>6.2f}")
        if name.startswith("fast"):
            fast_ms[name] = median / seeds_per_step
    return fast_ms


def main():
    args = parse_args()
    device = resolve_device(args.device)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    triton_tiles = None
    if args.triton_tile:
        from part1.fast.cells_triton import Tile
        triton_tiles = dict.fromkeys(["RNN", "LSTM"], Tile(*args.triton_tile))
    torch.manual_seed(0)
    paper = PRESETS["paper"]
    lengths = paper.lengths if args.project_paper else args.lengths

    rate = sgemm_rate(device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, batch {B}, hidden {N}, "
          f"SGEMM {rate / 1e9:.0f} GFLOP/s")
    print(f"{'model':>5} {'T':>4} {'implementation':>16} {'ms/step':>8} {'min-max':>13} {'ratio':>6} {'floor':>6}")
    projected = {}  # fast row -> hours for the paper preset, one run (or group of seeds) at a time
    for model_type in args.models:
        for length in lengths:
            results = measure(model_type, length, device, args.repeats, args.steps, args.together, triton_tiles)
            floor = matmul_flops(model_type, length) / rate * 1000  # ms
            for name, ms in print_rows(model_type, length, results, floor, args.together).items():
                if name.endswith("graph") == (device.type == "cuda"):
                    hours = ms / 1000 * paper.train_steps * len(paper.seeds) / 3600
                    projected[name] = projected.get(name, 0.0) + hours
    median, chars_per_second = measure_text_model(device, args.repeats, args.steps)
    print(f"part 2 model (batch 64, T 30, hidden 128, 2 layers): {median:.2f} ms/step, "
          f"{chars_per_second:,.0f} characters/s")
    if args.project_paper:
        print(f"paper preset, every run at {paper.train_steps} steps (the convergence rule stops many runs earlier): "
              + "; ".join(f"{name} {hours:.2f} h" for name, hours in projected.items()))


if __name__ == "__main__":
    main()
