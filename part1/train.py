"""Train a VanillaRNN or LSTM to predict the last digit of a palindrome: python -m part1.train --help."""
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python part1/train.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from common.cli import ArgumentParser, UserError, progress_line, run_main
from common.device import resolve_device, torch_threads
from common.files import append_jsonl, ensure_writable_dir
from part1.bptt import compiled_cells, fused_kernels
from part1.dataset import train_and_test_data
from part1.lstm import LSTM
from part1.recurrent import IMPLEMENTATIONS, INITIALISATIONS
from part1.step import make_train_steps
from part1.vanilla_rnn import VanillaRNN

MODELS = {"RNN": VanillaRNN, "LSTM": LSTM}
CONVERGENCE_WINDOW = 100  # the report's rule compares the loss with the mean of 100 earlier losses


def max_norm_value(text):
    """--max_norm: a positive number, or "off" (None) for no clipping."""
    if text == "off":
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number or 'off', got '{text}'")
    return value


def build_parser():
    """The course's options and defaults, plus seeding, the convergence rule, evaluation and output."""
    p = ArgumentParser(prog="python -m part1.train", description=__doc__.split(":")[0] + ".")
    p.add_argument("--model_type", default="RNN", choices=list(MODELS), help="model type (default: RNN)")
    p.add_argument("--input_length", type=int, default=10,
                   help="number of input digits; the palindrome has input_length + 1 digits (default: 10)")
    p.add_argument("--input_dim", type=int, default=1, choices=[1, 10],
                   help="1: each digit as one number, 10: one-hot digits (default: 1)")
    p.add_argument("--num_classes", type=int, default=10, help="number of output classes (default: 10)")
    p.add_argument("--num_hidden", type=int, default=128, help="number of hidden units (default: 128)")
    p.add_argument("--batch_size", type=int, default=128, help="palindromes per training step (default: 128)")
    p.add_argument("--learning_rate", type=float, default=0.001, help="learning rate (default: 0.001)")
    p.add_argument("--train_steps", type=int, default=10000, help="maximum number of training steps (default: 10000)")
    p.add_argument("--max_norm", type=max_norm_value, default=10.0,
                   help="gradient norm clipping threshold, or off (default: 10.0)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N")
    p.add_argument("--impl", default="fast", choices=list(IMPLEMENTATIONS),
                   help="fast: hand-written backward through time (part1/bptt.py); reference: the plain autograd "
                        "loop. Same maths (default: fast)")
    p.add_argument("--cuda_graph", default="auto", choices=["auto", "off"],
                   help="auto: on CUDA, capture the training step once as a CUDA graph and replay it (default: auto)")
    p.add_argument("--seed", type=int, default=42, help="seed of initialisation, training and test data (default: 42)")
    p.add_argument("--optimizer", default="rmsprop", choices=["rmsprop", "adam"], help="optimizer (default: rmsprop)")
    p.add_argument("--init", default="xavier_normal", choices=list(INITIALISATIONS),
                   help="xavier_normal: weights N(0, 2 / (fan_in + fan_out)), as the report's code; uniform: "
                        "U(-1/sqrt(num_hidden), 1/sqrt(num_hidden)), PyTorch's RNN scheme (default: xavier_normal)")
    p.add_argument("--forget_bias", type=float, default=1.0,
                   help="LSTM forget-gate bias at initialisation (default: 1.0)")
    p.add_argument("--min_steps", type=int, default=None,
                   help="steps before the convergence rule may stop training (default: never stop early)")
    p.add_argument("--conv_eps", type=float, default=5e-4,
                   help="the report's rule: every 100 steps after min_steps, stop when |latest loss - mean of the "
                        "100 losses before the two latest| < conv_eps (default: 5e-4)")
    p.add_argument("--eval_size", type=int, default=8192, help="held-out test palindromes (default: 8192)")
    p.add_argument("--num_threads", type=int, default=0,
                   help="CPU threads for this run, 0: PyTorch's default (default: 0)")
    p.add_argument("--print_every", type=int, default=10,
                   help="print a progress line every N steps, 0: never (default: 10)")
    p.add_argument("--out_dir", default="results/part1/train",
                   help="folder of runs.jsonl (default: results/part1/train)")
    p.add_argument("--dry-run", dest="dry_run", action="store_true",
                   help="train 3 steps, evaluate on 256 palindromes, write nothing")
    return p


def default_config(**overrides):
    """The command line's defaults as an argparse.Namespace, with `overrides` applied."""
    config = build_parser().parse_args([])
    for key, value in overrides.items():
        if not hasattr(config, key):
            raise TypeError(f"unknown config option '{key}'")
        setattr(config, key, value)
    return config


def check_config(config):
    """Raise a UserError for values that cannot train."""
    if config.model_type not in MODELS:
        raise UserError(f"unknown model type '{config.model_type}'; use RNN or LSTM")
    if config.input_length < 1:
        raise UserError(f"input length must be at least 1, got {config.input_length}")
    if config.input_dim not in (1, 10):
        raise UserError(f"input_dim must be 1 (raw digits) or 10 (one-hot digits), got {config.input_dim}")
    if config.num_classes < 10:
        raise UserError(f"num_classes must be at least 10 (one per digit), got {config.num_classes}")
    if config.num_threads < 0:
        raise UserError(f"num_threads must be 0 or more, got {config.num_threads}")
    for name in ("num_hidden", "batch_size", "train_steps", "eval_size"):
        if getattr(config, name) < 1:
            raise UserError(f"{name} must be at least 1, got {getattr(config, name)}")
    if config.init not in INITIALISATIONS:
        raise UserError(f"unknown init '{config.init}'; use {' or '.join(INITIALISATIONS)}")
    if not config.learning_rate > 0:
        raise UserError(f"learning_rate must be positive, got {config.learning_rate}")
    if config.max_norm is not None and not config.max_norm > 0:
        raise UserError(f"max_norm must be positive or None (no clipping), got {config.max_norm}")


def make_model(config, device):
    """The model named by config.model_type, initialised from the global torch seed."""
    kwargs = dict(seq_length=config.input_length, input_dim=config.input_dim, num_hidden=config.num_hidden,
                  num_classes=config.num_classes, device=device, impl=config.impl, init=config.init)
    if config.model_type == "LSTM":
        kwargs["forget_bias"] = config.forget_bias
    return MODELS[config.model_type](**kwargs)


def uses_cuda_graph(config, device):
    return config.cuda_graph == "auto" and device.type == "cuda"


def make_optimizer(config, model, capturable=False):
    """The configured optimizer; capturable keeps its step count on the device, as a CUDA graph needs.

    foreach: one call updates every parameter (the CPU default is a Python loop over them); same results.
    """
    kind = torch.optim.Adam if config.optimizer == "adam" else torch.optim.RMSprop
    return kind(model.parameters(), lr=config.learning_rate, capturable=capturable, foreach=True)


def has_converged(losses, step, min_steps, eps):
    """The report's rule after `step` steps (losses[step - 1] is the latest): when step is a multiple of 100 and
    exceeds min_steps, stop if |losses[step - 1] - mean(losses[step - 102:step - 2])| < eps, the mean of the
    100 losses before the two latest. min_steps None: never stop early."""
    w = CONVERGENCE_WINDOW
    if min_steps is None or step <= min_steps or step % w or step < w + 2:
        return False
    earlier = losses[step - 2 - w:step - 2]
    return abs(losses[step - 1] - earlier.mean()).item() < eps


@torch.no_grad()
def evaluate(model, inputs, targets, chunk=1024):
    """Mean cross-entropy and accuracy of the last-step prediction, in chunks to bound memory."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(targets), chunk):
        logits = model(inputs[start:start + chunk])
        y = targets[start:start + chunk]
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(dim=1) == y).sum().item()
    model.train()
    return loss_sum / len(targets), correct / len(targets)


def train(config, return_model=False, progress=True):
    """Train one model; return its result record (a dict) with the held-out test accuracy and the config.

    With return_model, return (record, trained model); progress=False hides the progress bar.
    """
    ((record, model),) = train_together([config], progress)
    return (record, model) if return_model else record


def train_together(configs, progress=True, on_record=None):
    """Train runs that differ only in their seed side by side; return [(record, trained model)] in their order.

    Each run keeps its own model, data, optimizer and convergence rule, so its record is the one it gets when
    trained alone (wall_seconds and seeds_together aside). On CUDA their steps are branches of one CUDA graph,
    which the GPU runs at the same time; on the CPU they take turns. on_record(record) is called as each run
    finishes.
    """
    configs = [default_config(**c) if isinstance(c, dict) else c for c in configs]
    for config in configs:
        check_config(config)
    shared = [{k: v for k, v in vars(c).items() if k != "seed"} for c in configs]
    if any(s != shared[0] for s in shared):
        raise ValueError("runs trained together may differ only in their seed")
    with torch_threads(configs[0].num_threads):
        return run(configs, progress, on_record)


class Run:
    """One seed's share of train_together: its data and model, made as a run of its own would make them."""

    def __init__(self, config, device):
        self.config = config
        torch.manual_seed(config.seed)
        self.train_data, (self.test_inputs, self.test_targets) = train_and_test_data(
            config.input_length, config.seed, config.eval_size, one_hot=config.input_dim == 10, device=device)
        self.model = make_model(config, device)
        self.losses = torch.zeros(config.train_steps, device=device)  # kept on the device: no sync per step
        self.record = None

    def finish(self, step, converged, **facts):
        """Evaluate on the held-out set and make the record of this run, stopped after `step` steps; facts
        (wall time, device, ...) go into the record too."""
        config = self.config
        test_loss, test_accuracy = evaluate(self.model, self.test_inputs, self.test_targets)
        self.record = {
            "model_type": config.model_type,
            "input_length": config.input_length,
            "seed": config.seed,
            "steps": step,
            "converged": converged,
            "train_loss": self.losses[max(0, step - CONVERGENCE_WINDOW):step].mean().item(),  # the last <= 100
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
            **facts,
            "config": vars(config).copy(),
        }


def run(configs, progress, on_record):
    """train_together()'s work, on checked configs."""
    config = configs[0]  # what the runs share
    device = resolve_device(config.device)
    started = time.perf_counter()
    runs = [Run(c, device) for c in configs]
    # Load (on first use: build) the C++ cells now, so that saying so does not break into the progress bar.
    cpp_cells = config.impl == "fast" and compiled_cells(runs[0].test_inputs) is not None
    triton_kernels = config.impl == "fast" and fused_kernels(runs[0].test_inputs) is not None
    facts = {"seeds_together": len(runs), "device": str(device), "cpp_cells": cpp_cells,
             "triton_kernels": triton_kernels, "torch_version": torch.__version__}

    def finish(r, step, converged):
        r.finish(step, converged, wall_seconds=time.perf_counter() - started, **facts)
        if on_record is not None:
            on_record(r.record)

    graphed = uses_cuda_graph(config, device)
    models = [r.model for r in runs]
    train_steps = make_train_steps(models, [make_optimizer(config, m, capturable=graphed) for m in models],
                                   config.max_norm, graphed)

    label = f"{config.model_type} T={config.input_length}"
    if len(runs) > 1:
        label += " seeds " + " ".join(str(r.config.seed) for r in runs)
    bar = tqdm(range(1, config.train_steps + 1), desc=label, leave=False, dynamic_ncols=True, disable=not progress)
    for step in bar:
        step_start = time.perf_counter()
        batches = [None if r.record else r.train_data.batch(config.batch_size, device) for r in runs]
        outs = train_steps(batches)
        active = [(r, batch, out) for r, batch, out in zip(runs, batches, outs) if batch is not None]
        for r, (_, targets), (loss, logits) in active:
            r.losses[step - 1] = loss
            if config.print_every and (step == 1 or step % config.print_every == 0):
                accuracy = (logits.argmax(dim=1) == targets).float().mean().item()
                examples_per_second = config.batch_size * len(active) / (time.perf_counter() - step_start)
                line = progress_line(step, config.train_steps, config.batch_size, examples_per_second,
                                     accuracy, loss.item())
                bar.write(line if len(runs) == 1 else f"seed {r.config.seed}: {line}")
            if has_converged(r.losses, step, config.min_steps, config.conv_eps):
                finish(r, step, True)
        if all(r.record for r in runs):
            break
    bar.close()
    for r in runs:
        if not r.record:
            finish(r, step, False)
    return [(r.record, r.model) for r in runs]


def main(argv=None):
    config = build_parser().parse_args(argv)
    if config.dry_run:
        config.train_steps, config.eval_size = min(config.train_steps, 3), min(config.eval_size, 256)
    check_config(config)
    resolve_device(config.device)
    out_dir = None if config.dry_run else ensure_writable_dir(config.out_dir)
    record = train(config)
    print(f"Done training. {record['model_type']}, input length {record['input_length']}, seed {record['seed']}: "
          f"test accuracy {record['test_accuracy']:.4f} after {record['steps']} steps "
          f"(converged: {'yes' if record['converged'] else 'no'}), {record['wall_seconds']:.1f} s")
    if out_dir is not None:
        append_jsonl(out_dir / "runs.jsonl", record)
        print(f"Result appended to {out_dir / 'runs.jsonl'}")


if __name__ == "__main__":
    run_main(main, "part1.train")
