"""Train the two-layer character LSTM that generates text: python -m part2.train --txt_file BOOK.

On several processes: torchrun --standalone --nproc_per_node N -m part2.train --txt_file BOOK
(DistributedDataParallel; NCCL on GPUs, gloo on CPUs; rank 0 writes everything).
"""
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from filelock import FileLock, Timeout
from tqdm import tqdm

from common.cli import UserError, progress_line, run_main
from common.device import resolve_device
from common.evaluation import evaluate as common_evaluate
from common.files import append_line, ensure_writable_dir, keep_lines
from common.memory import check_fits
from common.seeding import derive_seed
from common.tensorboard import summary_writer
from part2 import distributed
from part2.checkpoint import load_checkpoint, save_checkpoint
from part2.config import NOT_RUN_DEFINING, parse_config
from part2.dataset import TextDataset
from part2.model import TextGenerationModel
from part2.plots import plot_training
from part2.sample import training_samples

CHECKPOINT, METRICS, SAMPLES, FIGURE = "checkpoint.pt", "metrics.csv", "samples_over_training.txt", "training.png"
METRIC_FIELDS = ["step", "loss", "accuracy", "learning_rate", "val_loss", "val_accuracy"]
DATA_STREAM, SAMPLE_STREAM, DROPOUT_STREAM = 0, 1, 2


# --- set-up -------------------------------------------------------------------------------------------------------

@dataclass
class Run:
    """What a training run works with, on this process (rank) of `world`."""
    config: object
    rank: int
    world: int
    device: torch.device
    out_dir: Path
    summary_dir: Path
    dataset: TextDataset
    model: TextGenerationModel
    trained: torch.nn.Module  # the model, in DistributedDataParallel with several processes
    optimizer: torch.optim.Optimizer
    scheduler: object
    lock: object  # process 0's claim on out_dir (claim_out_dir), None elsewhere
    board: object = None  # a TensorBoard SummaryWriter on rank 0 with --tensorboard, opened once resumed

    @property
    def is_main(self):
        return self.rank == 0


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


def bytes_needed(config, vocab_size):
    """About how many bytes a run allocates: parameters with gradients and Adam's state, one step's activations,
    and one chunk of the validation windows' logits."""
    n, layers, V = config.lstm_num_hidden, config.lstm_num_layers, vocab_size
    parameters = (layers * 4 * n * (2 * n + 2) + 2 * V * n + V) * 4 * 4
    step = config.batch_size * config.seq_length * (layers * n * 12 + V * 3) * 4
    validation = 512 * config.seq_length * (layers * n * 6 + V * 2) * 4
    return parameters + step + validation


def make_model(config, vocab_size, device):
    return TextGenerationModel(config.batch_size, config.seq_length, vocab_size, config.lstm_num_hidden,
                               config.lstm_num_layers, device=device, dropout=1.0 - config.dropout_keep_prob)


def check_out_dir(config):
    """Before anything is written: --resume needs a checkpoint in --out_dir, and a new run needs none there."""
    path = Path(config.out_dir) / CHECKPOINT
    if config.resume and not path.is_file():
        raise UserError(f"--resume: '{config.out_dir}' holds no {CHECKPOINT} to continue; check --out_dir, or "
                        f"leave out --resume to start a new run")
    if not config.resume and path.exists():
        raise UserError(f"'{config.out_dir}' already holds a run ({CHECKPOINT}); add --resume to continue it "
                        f"or choose another --out_dir")


def claim_out_dir(out_dir):
    """The folder's lock, held while this process trains: a second run into the same folder is refused."""
    lock = FileLock(out_dir / ".training.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UserError(f"another process is training into '{out_dir}'; wait for it to finish or choose another "
                        f"--out_dir") from None
    return lock


def set_up(config):
    """Join torchrun's processes (if any), check the options and read the book, then make the folders (claimed
    by process 0), the model and the optimizer."""
    rank, world, device = distributed.setup(resolve_device(config.device))
    check_out_dir(config)
    dataset = load_dataset(config, rank)
    check_fits(device, bytes_needed(config, dataset.vocab_size), seq_length=config.seq_length,
               lstm_num_hidden=config.lstm_num_hidden, lstm_num_layers=config.lstm_num_layers,
               batch_size=config.batch_size)
    if config.tensorboard:
        ensure_writable_dir(config.tensorboard, "--tensorboard")
    out_dir = ensure_writable_dir(config.out_dir)
    summary_dir = ensure_writable_dir(config.summary_path or config.out_dir,
                                      "--summary_path" if config.summary_path else "--out_dir")
    lock = claim_out_dir(out_dir) if rank == 0 else None
    torch.manual_seed(config.seed)
    model = make_model(config, dataset.vocab_size, device)
    if rank > 0:  # the same initial weights everywhere, but each rank its own dropout masks
        torch.manual_seed(derive_seed(config.seed, (DROPOUT_STREAM, rank)))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.learning_rate_step,
                                                gamma=config.learning_rate_decay)
    return Run(config, rank, world, device, out_dir, summary_dir, dataset, model, distributed.data_parallel(model),
               optimizer, scheduler, lock)


# --- resuming -----------------------------------------------------------------------------------------------------

def rng_state(dataset, device):
    """The random states a resumed run needs: the CPU's, the data's, and the GPU's (its dropout masks)."""
    gpu = {"cuda": lambda: torch.cuda.get_rng_state(device), "mps": torch.mps.get_rng_state}.get(device.type)
    return {"torch": torch.get_rng_state(), "data": dataset.generator(device).get_state(),
            "device_type": device.type, "device": gpu() if gpu else None}


def set_rng_state(rng, dataset, device):
    torch.set_rng_state(rng["torch"].cpu())
    dataset.generator(device).set_state(rng["data"].cpu())
    if rng["device"] is not None:  # check_resumable made sure that it is this device type's
        if device.type == "cuda":
            torch.cuda.set_rng_state(rng["device"].cpu(), device)
        elif device.type == "mps":
            torch.mps.set_rng_state(rng["device"].cpu())


def check_resumable(state, config, dataset, world, device):
    """The checkpoint must come from the same book, the same run-defining options, as many processes and the
    same kind of device (whose random states it holds)."""
    if len(state["rng"]) != world:
        raise UserError(f"the checkpoint in '{config.out_dir}' was written by a run on {len(state['rng'])} "
                        f"process(es); resume it on as many (torchrun --nproc_per_node)")
    saved = state["rng"][0].get("device_type")
    if saved != device.type:
        raise UserError(f"the checkpoint in '{config.out_dir}' holds the random states of a run on {saved}, "
                        f"not {device.type}; resume with --device {saved}")
    if state["vocabulary"] != dataset.vocabulary:
        raise UserError(f"the checkpoint in '{config.out_dir}' was trained on another vocabulary than "
                        f"'{config.txt_file}'; resume with the same --txt_file or choose another --out_dir")
    for key, value in config.to_dict().items():
        if key not in NOT_RUN_DEFINING and state["config"].get(key) != value:
            raise UserError(f"--{key} is {value} but the checkpoint's run used {state['config'].get(key)}; "
                            f"resume with the same options or choose another --out_dir")


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


def resume(run):
    """Load the checkpoint of --resume and return its step, or 0 for a fresh run; make the logs match."""
    config, path = run.config, run.out_dir / CHECKPOINT
    step = 0
    if config.resume:  # check_out_dir() made sure that the checkpoint is there
        state = load_checkpoint(path, run.device)
        check_resumable(state, config, run.dataset, run.world, run.device)
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"][run.rank], run.dataset, run.device)
        step = state["step"]
    if run.is_main and config.tensorboard:  # what the interrupted run logged after its checkpoint is dropped
        run.board = summary_writer(config.tensorboard, purge_step=step + 1 if step else None)
    if run.is_main:
        truncate_logs(run.out_dir, run.summary_dir, step)  # a run interrupted before its first checkpoint: 0
        if step:
            tqdm.write(f"Resuming from step {step} of {path}")
        if not (run.summary_dir / METRICS).exists():
            append_line(run.summary_dir / METRICS, ",".join(METRIC_FIELDS))
    return step


# --- one step, evaluation, reports --------------------------------------------------------------------------------

def train_step(run, inputs, targets):
    """Forward, loss, backward, clipping (none if max_norm is None), Adam and the learning-rate schedule: (loss,
    logits, learning rate)."""
    logits, _ = run.trained(inputs)  # (B, T, V)
    loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())  # mean over all steps (report eq. 13)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()  # with several processes, this also averages the gradients across them
    if run.config.max_norm is not None:
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), max_norm=run.config.max_norm)
    learning_rate = run.optimizer.param_groups[0]["lr"]
    run.optimizer.step()
    run.scheduler.step()
    return loss, logits, learning_rate


def evaluate(model, inputs, targets, device, chunk=512):
    """Mean cross-entropy and accuracy over every character of the held-out windows."""
    return common_evaluate(model, lambda x: model(x.to(device))[0], inputs, targets, chunk)


def metrics_row(run, step, loss, logits, targets, learning_rate, validation=None):
    """Append the step's metrics to metrics.csv (validation: held-out windows to evaluate too); the row."""
    accuracy = (logits.argmax(-1) == targets).float().mean().item()
    row = {"step": step, "loss": loss.item(), "accuracy": accuracy, "learning_rate": learning_rate,
           "val_loss": "", "val_accuracy": ""}
    if validation is not None:
        row["val_loss"], row["val_accuracy"] = evaluate(run.model, *validation, run.device)
    append_line(run.summary_dir / METRICS, ",".join(str(row[k]) for k in METRIC_FIELDS))
    if run.board is not None:
        for key in METRIC_FIELDS[1:]:
            if row[key] != "":
                group, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
                run.board.add_scalar(f"{group}/{tag}", row[key], step)
    return row


def write_samples(path, model, vocabulary, step, seed, device, lengths):
    """Append the samples of the report's tables 5-7 for this step; the lines written, without the header."""
    generator = torch.Generator(device=device).manual_seed(derive_seed(seed, (SAMPLE_STREAM, step)))
    append_line(path, f"=== step {step} ===")
    lines = [f"[{mode}, {length}] " + text.replace("\n", "\\n")
             for length, mode, text in training_samples(model, vocabulary, generator, lengths)]
    for line in lines:
        append_line(path, line)
    return lines


def save(run, step):
    """Checkpoint with every rank's random generators (for an exact resume), and redraw the figure."""
    rng = distributed.gather(rng_state(run.dataset, run.device))
    replicas = distributed.check_in_sync(run.model)
    if run.is_main:
        save_checkpoint(run.out_dir / CHECKPOINT, model=run.model.state_dict(), optimizer=run.optimizer.state_dict(),
                        scheduler=run.scheduler.state_dict(), step=step, vocabulary=run.dataset.vocabulary,
                        config=run.config.to_dict(), rng=rng)
        plot_training(run.summary_dir / METRICS, run.summary_dir / FIGURE)
        if replicas > 1:
            tqdm.write(f"step {step}: parameters identical on all {replicas} processes")


# --- the loop -----------------------------------------------------------------------------------------------------

def train(config):
    """Train (or resume) a run in config.out_dir; return (rank, last metrics row or None)."""
    run = set_up(config)
    start = resume(run)
    validation = run.dataset.validation_windows() if run.dataset.has_validation else None
    sample_lengths = (15, 30) if config.dry_run else (15, 30, 50, 100)
    row = None
    bar = tqdm(range(start + 1, config.train_steps + 1), initial=start, total=config.train_steps,
               desc="part2", dynamic_ncols=True, disable=not run.is_main)
    for step in bar:
        step_start = time.perf_counter()
        inputs, targets = run.dataset.batch(config.batch_size, run.device)  # (B, T) each
        loss, logits, learning_rate = train_step(run, inputs, targets)
        step_seconds = time.perf_counter() - step_start
        evaluate_now = validation is not None and config.eval_every and step % config.eval_every == 0
        if run.is_main and (step % config.print_every == 0 or evaluate_now):
            row = metrics_row(run, step, loss, logits, targets, learning_rate, validation if evaluate_now else None)
            if step % config.print_every == 0:
                bar.write(progress_line(step, config.train_steps, config.batch_size, config.batch_size / step_seconds,
                                        row["accuracy"], row["loss"]))
        if run.is_main and step % config.sample_every == 0:
            lines = write_samples(run.out_dir / SAMPLES, run.model, run.dataset.vocabulary, step, config.seed,
                                  run.device, sample_lengths)
            if run.board is not None:  # Markdown: two spaces end a line
                run.board.add_text("samples", "  \n".join(lines), step)
        if step % config.checkpoint_every == 0 or step == config.train_steps:
            save(run, step)
    bar.close()
    if run.board is not None:
        run.board.close()
    return run.rank, row


def dry_run(config):
    """Train 3 steps and sample into a temporary folder that is deleted afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        steps = min(config.train_steps, 3)
        train(config.replace(out_dir=tmp, summary_path=None, resume=False, train_steps=steps, print_every=steps,
                             sample_every=steps, tensorboard=None))
        samples = Path(tmp, SAMPLES)
        if samples.exists():  # written by rank 0 only
            print(samples.read_text(encoding="utf-8"))
    print("Dry run done; nothing was kept.")


def left_after_interruption(config):
    """What an interrupted run leaves, and how to go on from it."""
    if config.dry_run:
        return "nothing was kept"
    if (Path(config.out_dir) / CHECKPOINT).is_file():
        return f"the last checkpoint in '{config.out_dir}' is kept; add --resume to continue from it"
    return "no checkpoint was written yet; run the same command again to start over"


def main(argv=None, config=None):
    """Train the run of the command line `argv`, or of `config` (a part2.config.TrainConfig) when given."""
    config = config or parse_config(argv)
    try:
        if config.dry_run:
            return dry_run(config)
        rank, row = train(config)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(left_after_interruption(config)) from None
    finally:
        distributed.teardown()
    if rank > 0:
        return
    if row is None:
        print(f"Nothing to do: the run in {config.out_dir} has already trained {config.train_steps} steps.")
    else:
        print(f"Done training. Last metrics: {row}. Results in {config.out_dir}")


if __name__ == "__main__":
    run_main(main, "part2.train")
