"""Train the two-layer character LSTM that generates text: python -m part2.train --txt_file BOOK.

On several processes: torchrun --standalone --nproc_per_node N -m part2.train --txt_file BOOK
(DistributedDataParallel; NCCL on GPUs, gloo on CPUs; rank 0 writes everything).
"""
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python part2/train.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os
import tempfile
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from common.cli import ArgumentParser, UserError, progress_line, run_main
from common.device import resolve_device
from common.files import append_line, ensure_writable_dir, keep_lines
from common.seeding import derive_seed
from part2 import distributed
from part2.checkpoint import load_checkpoint, save_checkpoint
from part2.dataset import TextDataset
from part2.model import TextGenerationModel
from part2.plots import plot_training
from part2.sample import training_samples

CHECKPOINT, METRICS, SAMPLES, FIGURE = "checkpoint.pt", "metrics.csv", "samples_over_training.txt", "training.png"
METRIC_FIELDS = ["step", "loss", "accuracy", "learning_rate", "val_loss", "val_accuracy"]
DATA_STREAM, SAMPLE_STREAM, DROPOUT_STREAM = 0, 1, 2
# Options that change where or how often a run reports, not what it computes: free to change on --resume.
NOT_RUN_DEFINING = {"train_steps", "device", "out_dir", "summary_path", "resume", "print_every", "sample_every",
                    "eval_every", "checkpoint_every", "dry_run"}


def build_parser():
    """The course's options and defaults, plus device, seed, output, resuming and a smoke test."""
    p = ArgumentParser(prog="python -m part2.train", description=__doc__.split(":")[0] + ".")
    p.add_argument("--txt_file", required=True, help="path to the text to train on")
    p.add_argument("--seq_length", type=int, default=30, help="characters per training window (default: 30)")
    p.add_argument("--lstm_num_hidden", type=int, default=128, help="hidden units per LSTM layer (default: 128)")
    p.add_argument("--lstm_num_layers", type=int, default=2, help="LSTM layers (default: 2)")
    p.add_argument("--batch_size", type=int, default=64, help="windows per step (default: 64)")
    p.add_argument("--learning_rate", type=float, default=2e-3, help="Adam learning rate (default: 2e-3)")
    p.add_argument("--learning_rate_decay", type=float, default=0.96,
                   help="learning rate factor every --learning_rate_step steps (default: 0.96)")
    p.add_argument("--learning_rate_step", type=int, default=5000, help="steps between decays (default: 5000)")
    p.add_argument("--dropout_keep_prob", type=float, default=1.0,
                   help="keep probability of dropout between LSTM layers (default: 1.0, no dropout)")
    p.add_argument("--train_steps", type=int, default=1_000_000, help="training steps (default: 1000000)")
    p.add_argument("--max_norm", type=float, default=5.0, help="gradient norm clipping threshold (default: 5.0)")
    p.add_argument("--summary_path", default=None,
                   help="folder of metrics.csv and training.png (default: --out_dir)")
    p.add_argument("--print_every", type=int, default=5,
                   help="progress line and metrics row every N steps (default: 5)")
    p.add_argument("--sample_every", type=int, default=100,
                   help="append samples to samples_over_training.txt every N steps (default: 100)")
    p.add_argument("--eval_every", type=int, default=1000,
                   help="validation loss and accuracy every N steps, 0: never (default: 1000)")
    p.add_argument("--checkpoint_every", type=int, default=1000, help="checkpoint every N steps (default: 1000)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N")
    p.add_argument("--seed", type=int, default=42,
                   help="seed of initialisation, batches, dropout and samples (default: 42)")
    p.add_argument("--out_dir", default="results/part2", help="folder of checkpoint, samples and metrics "
                                                               "(default: results/part2)")
    p.add_argument("--resume", action="store_true", help="continue the run whose checkpoint.pt is in --out_dir")
    p.add_argument("--dry-run", dest="dry_run", action="store_true",
                   help="train 3 steps and sample into a temporary folder, then delete it")
    return p


def check_config(config):
    for name in ("seq_length", "lstm_num_hidden", "lstm_num_layers", "batch_size", "learning_rate_step",
                 "train_steps", "print_every", "sample_every", "checkpoint_every"):
        if getattr(config, name) < 1:
            raise UserError(f"--{name} must be at least 1, got {getattr(config, name)}")
    if config.eval_every < 0:
        raise UserError(f"--eval_every must be 0 or more, got {config.eval_every}")
    if not 0 < config.dropout_keep_prob <= 1:
        raise UserError(f"--dropout_keep_prob must be in (0, 1], got {config.dropout_keep_prob}")
    for name in ("learning_rate", "learning_rate_decay", "max_norm"):
        if not getattr(config, name) > 0:
            raise UserError(f"--{name} must be positive, got {getattr(config, name)}")


def load_dataset(config, rank=0):
    """The book as a TextDataset drawing this rank's batches; an unreadable, empty or too short file is a UserError."""
    stream = DATA_STREAM if rank == 0 else (DATA_STREAM, rank)  # rank 0 draws what a single process draws
    try:
        return TextDataset(config.txt_file, config.seq_length, seed=derive_seed(config.seed, stream))
    except FileNotFoundError:
        raise UserError(f"text file '{config.txt_file}' not found; give a book with --txt_file "
                        f"(python -m assets.download fetches the course's books)") from None
    except (OSError, ValueError) as e:
        raise UserError(str(e)) from None


def make_model(config, vocab_size, device):
    return TextGenerationModel(config.batch_size, config.seq_length, vocab_size, config.lstm_num_hidden,
                               config.lstm_num_layers, device=device, dropout=1.0 - config.dropout_keep_prob)


def rng_state(dataset, device):
    return {"torch": torch.get_rng_state(), "data": dataset.generator(device).get_state(),
            "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}


def set_rng_state(rng, dataset, device):
    torch.set_rng_state(rng["torch"].cpu())
    dataset.generator(device).set_state(rng["data"].cpu())
    if device.type == "cuda" and rng["cuda"] is not None:
        torch.cuda.set_rng_state(rng["cuda"].cpu(), device)


def check_resumable(state, config, dataset, world):
    """The checkpoint must come from the same book, the same run-defining options and as many processes."""
    if len(state["rng"]) != world:
        raise UserError(f"the checkpoint in '{config.out_dir}' was written by a run on {len(state['rng'])} "
                        f"process(es); resume it on as many (torchrun --nproc_per_node)")
    if state["vocabulary"] != dataset.vocabulary:
        raise UserError(f"the checkpoint in '{config.out_dir}' was trained on another vocabulary than "
                        f"'{config.txt_file}'; resume with the same --txt_file or choose another --out_dir")
    for key, value in vars(config).items():
        if key not in NOT_RUN_DEFINING and state["config"].get(key) != value:
            raise UserError(f"--{key} is {value} but the checkpoint's run used {state['config'].get(key)}; "
                            f"resume with the same options or choose another --out_dir")


@torch.no_grad()
def evaluate(model, inputs, targets, device, chunk=512):
    """Mean cross-entropy and accuracy over every character of the held-out windows."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(inputs), chunk):
        x, y = inputs[start:start + chunk].to(device), targets[start:start + chunk].to(device)
        logits, _ = model(x)
        loss_sum += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
    model.train()
    return loss_sum / targets.numel(), correct / targets.numel()


def write_samples(path, model, vocabulary, step, seed, device, lengths):
    """Append the samples of the report's tables 5-7 for this step."""
    generator = torch.Generator(device=device).manual_seed(derive_seed(seed, (SAMPLE_STREAM, step)))
    append_line(path, f"=== step {step} ===")
    for length, mode, text in training_samples(model, vocabulary, generator, lengths):
        append_line(path, f"[{mode}, {length}] " + text.replace("\n", "\\n"))


def step_of_metrics_line(line):
    try:
        return int(line.split(",")[0]) if line.count(",") == len(METRIC_FIELDS) - 1 else None
    except ValueError:
        return None


def truncate_logs(out_dir, summary_dir, step):
    """Drop what an interrupted run logged after its last checkpoint (and any line it cut short)."""
    keep_lines(summary_dir / METRICS, lambda line: line.startswith("step,")
               or (step_of_metrics_line(line) is not None and step_of_metrics_line(line) <= step))
    keep_lines(out_dir / SAMPLES, lambda line: not line.startswith("=== step ")
               or int(line.split()[2]) <= step)


def train(config):
    """Train (or resume) a run in config.out_dir; return the last metrics row (None on ranks other than 0)."""
    check_config(config)
    rank, world, device = distributed.setup(resolve_device(config.device))
    is_main = rank == 0
    out_dir = ensure_writable_dir(config.out_dir)
    summary_dir = ensure_writable_dir(config.summary_path or config.out_dir)
    dataset = load_dataset(config, rank)
    torch.manual_seed(config.seed)
    model = make_model(config, dataset.vocab_size, device)
    if rank > 0:  # the same initial weights everywhere, but each rank its own dropout masks
        torch.manual_seed(derive_seed(config.seed, (DROPOUT_STREAM, rank)))
    trained = distributed.data_parallel(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.learning_rate_step,
                                                gamma=config.learning_rate_decay)
    val_inputs, val_targets = dataset.validation_windows()

    step = 0
    checkpoint_path = out_dir / CHECKPOINT
    if checkpoint_path.exists() and not config.resume:
        raise UserError(f"'{out_dir}' already holds a run ({CHECKPOINT}); add --resume to continue it "
                        f"or choose another --out_dir")
    if config.resume and checkpoint_path.exists():
        state = load_checkpoint(checkpoint_path, device)
        check_resumable(state, config, dataset, world)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"][rank], dataset, device)
        step = state["step"]
        if is_main:
            truncate_logs(out_dir, summary_dir, step)
            tqdm.write(f"Resuming from step {step} of {checkpoint_path}")
    elif is_main:
        truncate_logs(out_dir, summary_dir, 0)  # a run interrupted before its first checkpoint starts over
    if is_main and not (summary_dir / METRICS).exists():
        append_line(summary_dir / METRICS, ",".join(METRIC_FIELDS))

    def save(step):
        rng = distributed.gather(rng_state(dataset, device))  # every rank's generators, for an exact resume
        replicas = distributed.check_in_sync(model)
        if is_main:
            save_checkpoint(checkpoint_path, model=model.state_dict(), optimizer=optimizer.state_dict(),
                            scheduler=scheduler.state_dict(), step=step, vocabulary=dataset.vocabulary,
                            config=vars(config).copy(), rng=rng)
            plot_training(summary_dir / METRICS, summary_dir / FIGURE)
            if replicas > 1:
                tqdm.write(f"step {step}: parameters identical on all {replicas} processes")

    row = None
    sample_lengths = (15, 30) if config.dry_run else (15, 30, 50, 100)
    bar = tqdm(range(step + 1, config.train_steps + 1), initial=step, total=config.train_steps,
               desc="part2", dynamic_ncols=True, disable=not is_main)
    for step in bar:
        step_start = time.perf_counter()
        inputs, targets = dataset.batch(config.batch_size, device)  # (B, T) each
        logits, _ = trained(inputs)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())  # mean over all steps (report eq. 13)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # with several processes, this also averages the gradients across them
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=config.max_norm)
        learning_rate = optimizer.param_groups[0]["lr"]
        optimizer.step()
        scheduler.step()
        step_seconds = time.perf_counter() - step_start

        evaluate_now = config.eval_every and step % config.eval_every == 0 and dataset.has_validation
        if is_main and (step % config.print_every == 0 or evaluate_now):
            accuracy = (logits.argmax(-1) == targets).float().mean().item()
            row = {"step": step, "loss": loss.item(), "accuracy": accuracy, "learning_rate": learning_rate,
                   "val_loss": "", "val_accuracy": ""}
            if evaluate_now:
                row["val_loss"], row["val_accuracy"] = evaluate(model, val_inputs, val_targets, device)
            append_line(summary_dir / METRICS, ",".join(str(row[k]) for k in METRIC_FIELDS))
            if step % config.print_every == 0:
                bar.write(progress_line(step, config.train_steps, config.batch_size, config.batch_size / step_seconds,
                                        accuracy, row["loss"]))
        if is_main and step % config.sample_every == 0:
            write_samples(out_dir / SAMPLES, model, dataset.vocabulary, step, config.seed, device, sample_lengths)
        if step % config.checkpoint_every == 0 or step == config.train_steps:
            save(step)
    bar.close()
    return row


def dry_run(config):
    """Train 3 steps and sample into a temporary folder that is deleted afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        config.out_dir, config.summary_path, config.resume = tmp, None, False
        config.train_steps = config.print_every = config.sample_every = min(config.train_steps, 3)
        train(config)
        samples = Path(tmp, SAMPLES)
        if samples.exists():  # written by rank 0 only
            print(samples.read_text(encoding="utf-8"))
    print("Dry run done; nothing was kept.")


def main(argv=None):
    config = build_parser().parse_args(argv)
    check_config(config)
    try:
        if config.dry_run:
            dry_run(config)
            return
        row = train(config)
    finally:
        distributed.teardown()
    if int(os.environ.get("RANK", "0")) > 0:
        return
    if row is None:
        print(f"Nothing to do: the run in {config.out_dir} has already trained {config.train_steps} steps.")
    else:
        print(f"Done training. Last metrics: {row}. Results in {config.out_dir}")


if __name__ == "__main__":
    run_main(main, "part2.train")
