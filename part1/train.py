"""Train a VanillaRNN or LSTM to predict the last digit of a palindrome: python -m part1.train --help."""
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from uvadl2019 import evaluation
from uvadl2019.cli import run_main
from uvadl2019.device import resolve_device, torch_threads
from uvadl2019.environment import environment
from uvadl2019.files import output_folders
from uvadl2019.memory import check_fits
from uvadl2019.progress import progress, progress_line
from uvadl2019.tensorboard import summary_writer
from part1.config import parse_config
from part1.dataset import train_and_test_data
from part1.fast.graphs import GraphedTrainSteps, TrainSteps
from part1.lstm import LSTM
from part1.records import RunStore
from part1.vanilla_rnn import VanillaRNN

MODELS = {"RNN": VanillaRNN, "LSTM": LSTM}
CONVERGENCE_WINDOW = 100  # the report's rule compares the loss with the mean of 100 earlier losses
BOARD_EVERY = 100  # TensorBoard's interval where print_every is 0


class TrainStep:
    """step(inputs, targets) -> (loss, logits), both detached; max_norm None: no gradient clipping."""

    def __init__(self, model, optimizer, max_norm):
        self.model, self.optimizer, self.max_norm = model, optimizer, max_norm

    def __call__(self, inputs, targets):
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.model(inputs)
        loss = F.cross_entropy(logits, targets)
        loss.backward()
        if self.max_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=self.max_norm)
        self.optimizer.step()
        return loss.detach(), logits.detach()


def make_train_step(model, optimizer, max_norm, graphed):
    """The training step of one model: step(inputs, targets) -> (loss, logits); as a CUDA graph when graphed."""
    step = TrainStep(model, optimizer, max_norm)
    if not graphed:
        return step
    graph = GraphedTrainSteps([step])
    return lambda inputs, targets: graph([(inputs, targets)])[0]


def make_train_steps(models, optimizers, max_norm, graphed):
    """One training step for each (model, optimizer), taken together: as one CUDA graph when graphed."""
    steps = [TrainStep(model, optimizer, max_norm) for model, optimizer in zip(models, optimizers)]
    return (GraphedTrainSteps if graphed else TrainSteps)(steps)


def make_model(config, device):
    """The model named by config.model_type, initialised from the global torch seed."""
    kwargs = dict(seq_length=config.input_length, input_dim=config.input_dim, num_hidden=config.num_hidden,
                  num_classes=config.num_classes, device=device, impl=config.impl, init=config.init)
    if config.model_type == "LSTM":
        kwargs["forget_bias"] = config.forget_bias
    return MODELS[config.model_type](**kwargs)


def bytes_needed(config):
    """About how many bytes a run allocates: test set, one step's activations and gradients, parameters with
    their optimizer state, and the loss of every step (kept on the device and in the record)."""
    T, B, n, d = config.input_length, config.batch_size, config.num_hidden, config.input_dim
    gates = 4 if config.model_type == "LSTM" else 1
    test_set = config.eval_size * T * max(d, 2) * 4 + min(config.eval_size, 1024) * T * gates * n * 4
    step = B * T * (d + (3 * gates + 2) * n) * 4
    parameters = 4 * (gates * n * (n + d + 1) + config.num_classes * (n + 1)) * 4
    return test_set + step + parameters + config.train_steps * 40


SIZES = ("input_length", "num_hidden", "batch_size", "eval_size", "train_steps")  # what bytes_needed() grows with


def check_memory(config, device, options=None):
    """A UserError naming the size options when the run would not fit in the device's memory. options: {size:
    its option on this command} for the sizes the command has (default: part1.train's, all of them)."""
    options = options or dict(zip(SIZES, SIZES))
    check_fits(device, bytes_needed(config), **{option: getattr(config, size) for size, option in options.items()})


def prepared_device(*configs, options=None):
    """The configs' device (the first one's), resolved once, after checking each run against its memory
    (options: as check_memory's)."""
    device = resolve_device(configs[0].device)
    for config in configs:
        check_memory(config, device, options)
    return device


def make_optimizer(config, model, capturable=False):
    """The configured optimizer; capturable keeps its step count on the device, as a CUDA graph needs.

    foreach: one call updates every parameter (the CPU default is a Python loop over them); same results.
    """
    kind = torch.optim.Adam if config.optimizer == "adam" else torch.optim.RMSprop
    return kind(model.parameters(), lr=config.learning_rate, capturable=capturable, foreach=True)


def uses_cuda_graph(config, device):
    return config.cuda_graph == "auto" and device.type == "cuda"


def has_converged(losses, step, min_steps, eps):
    """The report's rule after `step` steps (losses[step - 1] is the latest): when step is a multiple of 100 and
    exceeds min_steps, stop if |losses[step - 1] - mean(losses[step - 102:step - 2])| < eps, the mean of the
    100 losses before the two latest. min_steps None: never stop early."""
    w = CONVERGENCE_WINDOW
    if min_steps is None or step <= min_steps or step % w or step < w + 2:
        return False
    earlier = losses[step - 2 - w:step - 2]
    return abs(losses[step - 1] - earlier.mean()).item() < eps


def evaluate(model, inputs, targets, chunk=1024):
    """Mean cross-entropy and accuracy of the last-step prediction on a held-out set."""
    return evaluation.evaluate(model, model, inputs, targets, chunk)


class Run:
    """What one run trains with: data, model and optimizer made from its seed, and its losses so far."""

    def __init__(self, config, device, capturable=False):
        self.config = config
        torch.manual_seed(config.seed)
        self.train_data, (self.test_inputs, self.test_targets) = train_and_test_data(
            config.input_length, config.seed, config.eval_size, one_hot=config.input_dim == 10, device=device)
        self.model = make_model(config, device)
        # Resolved now, before any progress bar: on first use this builds the C++ cells and says so.
        self.backend = self.model.backend
        self.optimizer = make_optimizer(config, self.model, capturable)
        self.losses = torch.zeros(config.train_steps, device=device)  # kept on the device: no sync per step
        self.device = device
        self.board = summary_writer(Path(config.tensorboard) / run_name(config)) if config.tensorboard else None
        self.started = time.perf_counter()

    def log(self, step, loss, logits, targets, examples_per_second, write, prefix=""):
        """Keep the step's loss; every print_every steps, write the course's progress line (and TensorBoard's)."""
        self.losses[step - 1] = loss
        every = self.config.print_every
        printing = every and (step == 1 or step % every == 0)
        boarding = self.board is not None and (step == 1 or step % (every or BOARD_EVERY) == 0)
        if not (printing or boarding):
            return
        accuracy = (logits.argmax(dim=1) == targets).float().mean().item()
        if printing:
            write(prefix + progress_line(step, self.config.train_steps, self.config.batch_size, examples_per_second,
                                         accuracy, loss.item()))
        if boarding:
            for tag, value in (("loss", loss.item()), ("accuracy", accuracy),
                               ("learning_rate", self.optimizer.param_groups[0]["lr"])):
                self.board.add_scalar(f"train/{tag}", value, step)

    def converged(self, step):
        return has_converged(self.losses, step, self.config.min_steps, self.config.conv_eps)

    def after_step(self, step, loss, logits, targets, examples_per_second, write, prefix=""):
        """Log the step (log()) and say whether the run has converged, as train() and train_together() do."""
        self.log(step, loss, logits, targets, examples_per_second, write, prefix)
        return self.converged(step)

    def record(self, step, converged, seeds_together=1):
        """The run's result after `step` steps: held-out loss and accuracy, what ran, and the config."""
        test_loss, test_accuracy = evaluate(self.model, self.test_inputs, self.test_targets)
        if self.board is not None:
            self.board.add_scalar("test/loss", test_loss, step)
            self.board.add_scalar("test/accuracy", test_accuracy, step)
            self.board.close()
        return {
            "model_type": self.config.model_type,
            "input_length": self.config.input_length,
            "seed": self.config.seed,
            "steps": step,
            "converged": converged,
            "train_loss": self.losses[max(0, step - CONVERGENCE_WINDOW):step].mean().item(),  # the last <= 100
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
            "wall_seconds": time.perf_counter() - self.started,
            "seeds_together": seeds_together,
            "device": str(self.device),
            "backend": self.backend,
            "environment": environment(),  # versions, platform and code revision
            "config": self.config.to_dict(),
            "losses": self.losses[:step].tolist(),  # the training loss of every step; a sweep keeps it in a CSV
        }


def run_name(config):
    """The run's folder name under --tensorboard."""
    return f"{config.model_type}_T{config.input_length}_seed{config.seed}"


def progress_bar(config, label, shown):
    return progress(range(1, config.train_steps + 1), quiet=not shown, desc=label, leave=False, dynamic_ncols=True)


def train(config, progress=True, device=None):
    """Train one model until it converges or runs out of steps; return (record, trained model).

    device: the run's device as prepared_device() gave it; None: prepared here."""
    device = device or prepared_device(config)
    with torch_threads(config.num_threads):
        graphed = uses_cuda_graph(config, device)
        run = Run(config, device, capturable=graphed)
        train_step = make_train_step(run.model, run.optimizer, config.max_norm, graphed)
        bar = progress_bar(config, f"{config.model_type} T={config.input_length}", progress)
        converged = False
        for step in bar:
            step_start = time.perf_counter()
            inputs, targets = run.train_data.batch(config.batch_size, device)
            loss, logits = train_step(inputs, targets)
            speed = config.batch_size / (time.perf_counter() - step_start)
            if run.after_step(step, loss, logits, targets, speed, bar.write):
                converged = True
                break
        bar.close()
        return run.record(step, converged), run.model


def main(argv=None):
    config = parse_config(argv)
    if config.dry_run:
        config = config.replace(train_steps=min(config.train_steps, 3), eval_size=min(config.eval_size, 256),
                                tensorboard=None)
    device = prepared_device(config)
    if config.dry_run:
        record, _ = train(config, not config.quiet, device)
        return say_done(record)
    # Made before training, so that a folder that cannot be made costs no training; removed again if still empty
    # when the run fails or is interrupted.
    with output_folders((config.out_dir, "--out_dir"), (config.tensorboard, "--tensorboard")) as (out_dir, _):
        store = RunStore(out_dir / "runs.jsonl")  # reads runs.jsonl: a damaged one is refused before training
        record, _ = train(config, not config.quiet, device)
        say_done(record)
        stored = store.add(record)
    print(f"Result appended to {store.path}, its loss curve is {store.path.parent / stored['loss_curve']}")


def say_done(record):
    print(f"Done training. {record['model_type']}, input length {record['input_length']}, seed {record['seed']}: "
          f"test accuracy {record['test_accuracy']:.4f} after {record['steps']} steps "
          f"(converged: {'yes' if record['converged'] else 'no'}), {record['wall_seconds']:.1f} s")


if __name__ == "__main__":
    run_main(main, "part1.train", "nothing was written: a run is recorded when it finishes")
