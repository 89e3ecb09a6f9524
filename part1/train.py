"""Train a VanillaRNN or LSTM to predict the last digit of a palindrome: python -m part1.train --help."""
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python part1/train.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from common.cli import ArgumentParser, UserError, progress_line, run_main
from common.device import resolve_device, torch_threads
from common.files import append_jsonl, ensure_writable_dir
from part1.bptt import compiled_cells
from part1.dataset import train_and_test_data
from part1.lstm import LSTM
from part1.recurrent import IMPLEMENTATIONS
from part1.step import make_train_step
from part1.vanilla_rnn import VanillaRNN

MODELS = {"RNN": VanillaRNN, "LSTM": LSTM}
CONVERGENCE_WINDOW = 100  # the report's rule compares the loss with the mean of the previous 100 losses


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
    p.add_argument("--max_norm", type=float, default=10.0, help="gradient norm clipping threshold (default: 10.0)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N")
    p.add_argument("--impl", default="fast", choices=list(IMPLEMENTATIONS),
                   help="fast: hand-written backward through time (part1/bptt.py); reference: the plain autograd "
                        "loop. Same maths (default: fast)")
    p.add_argument("--cuda_graph", default="auto", choices=["auto", "off"],
                   help="auto: on CUDA, capture the training step once as a CUDA graph and replay it (default: auto)")
    p.add_argument("--seed", type=int, default=42, help="seed of initialisation, training and test data (default: 42)")
    p.add_argument("--optimizer", default="rmsprop", choices=["rmsprop", "adam"], help="optimizer (default: rmsprop)")
    p.add_argument("--forget_bias", type=float, default=1.0,
                   help="LSTM forget-gate bias at initialisation (default: 1.0)")
    p.add_argument("--min_steps", type=int, default=None,
                   help="steps before the convergence rule may stop training (default: never stop early)")
    p.add_argument("--conv_eps", type=float, default=5e-4,
                   help="stop when |loss - mean of the previous 100 losses| < conv_eps, checked every 100 steps "
                        "from min_steps on (default: 5e-4)")
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
    for name in ("learning_rate", "max_norm"):
        if not getattr(config, name) > 0:
            raise UserError(f"{name} must be positive, got {getattr(config, name)}")


def make_model(config, device):
    """The model named by config.model_type, initialised from the global torch seed."""
    kwargs = dict(seq_length=config.input_length, input_dim=config.input_dim, num_hidden=config.num_hidden,
                  num_classes=config.num_classes, device=device, impl=config.impl)
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
    """The report's rule: from min_steps on, every 100 steps, |current loss - mean of previous 100| < eps."""
    w = CONVERGENCE_WINDOW
    if min_steps is None or step < min_steps or step % w or step <= w:
        return False
    previous = losses[step - 1 - w:step - 1]
    return abs(losses[step - 1] - previous.mean()).item() < eps


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
    if isinstance(config, dict):
        config = default_config(**config)
    check_config(config)
    with torch_threads(config.num_threads):
        return run(config, return_model, progress)


def run(config, return_model, progress):
    """train()'s work, on a checked config."""
    device = resolve_device(config.device)
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    train_data, (test_inputs, test_targets) = train_and_test_data(
        config.input_length, config.seed, config.eval_size, one_hot=config.input_dim == 10, device=device)
    model = make_model(config, device)
    # Load (on first use: build) the C++ cells now, so that saying so does not break into the progress bar.
    cpp_cells = config.impl == "fast" and compiled_cells(test_inputs) is not None
    graphed = uses_cuda_graph(config, device)
    optimizer = make_optimizer(config, model, capturable=graphed)
    train_step = make_train_step(model, optimizer, config.max_norm, graphed)

    losses = torch.zeros(config.train_steps, device=device)  # kept on the device: no sync per step
    converged = False
    bar = tqdm(range(1, config.train_steps + 1), desc=f"{config.model_type} T={config.input_length}",
               leave=False, dynamic_ncols=True, disable=not progress)
    for step in bar:
        step_start = time.perf_counter()
        inputs, targets = train_data.batch(config.batch_size, device)
        loss, logits = train_step(inputs, targets)
        losses[step - 1] = loss

        if config.print_every and (step == 1 or step % config.print_every == 0):
            accuracy = (logits.argmax(dim=1) == targets).float().mean().item()
            examples_per_second = config.batch_size / (time.perf_counter() - step_start)
            bar.write(progress_line(step, config.train_steps, config.batch_size, examples_per_second,
                                    accuracy, loss.item()))
        if has_converged(losses, step, config.min_steps, config.conv_eps):
            converged = True
            break
    bar.close()

    test_loss, test_accuracy = evaluate(model, test_inputs, test_targets)
    last = losses[max(0, step - CONVERGENCE_WINDOW):step]
    record = {
        "model_type": config.model_type,
        "input_length": config.input_length,
        "seed": config.seed,
        "steps": step,
        "converged": converged,
        "train_loss": last.mean().item(),  # mean of the last (up to) 100 training losses
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "wall_seconds": time.perf_counter() - started,
        "device": str(device),
        "cpp_cells": cpp_cells,
        "torch_version": torch.__version__,
        "config": vars(config).copy(),
    }
    return (record, model) if return_model else record


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
