"""Train the two-layer character LSTM that generates text: python -m part2.train --txt_file BOOK.

On several processes: torchrun --standalone --nproc_per_node N -m part2.train --txt_file BOOK
(DistributedDataParallel; NCCL on GPUs, gloo on CPUs; rank 0 writes everything).
"""
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import torch
import torch.nn.functional as F

from uvadl2019.checks import UserError
from uvadl2019.cli import run_main, stop_now, stop_requests
from uvadl2019.device import resolve_device
from uvadl2019.files import WRITE_ERRORS, output_folders, write_failure
from uvadl2019.memory import check_fits
from uvadl2019.progress import progress, show_step
from uvadl2019.seeding import derive_seed
from part2.config import parse_config
from part2.longrun import distributed
from part2.longrun.checkpoint import CHECKPOINT, left_after_interruption
from part2.longrun.folders import prepare_folders
from part2.longrun.logs import SAMPLES, metrics_row, write_samples
from part2.longrun.resume import resume, save
from part2.longrun.run import DROPOUT_STREAM, SAMPLE_STREAM, TextRun, bytes_needed, load_dataset
from part2.model import TextGenerationModel

# --- set-up -------------------------------------------------------------------------------------------------------

def make_model(config, vocab_size, device):
    """The text generator that config describes, for a vocabulary of vocab_size characters."""
    return TextGenerationModel(config.batch_size, config.seq_length, vocab_size, config.lstm_num_hidden,
                               config.lstm_num_layers, device=device, dropout=1.0 - config.dropout_keep_prob)


def set_up(config, out_dir, summary_dir, board_dir, held):
    """Join torchrun's processes (if any), read the book and check that the run fits in memory; then claim the
    folders (process 0, until `held` closes) and check them under their locks; then make the model and the
    optimizer."""
    rank, world, device = distributed.setup(resolve_device(config.device))
    dataset = load_dataset(config, rank)
    check_fits(device, bytes_needed(config, dataset.vocab_size), seq_length=config.seq_length,
               lstm_num_hidden=config.lstm_num_hidden, lstm_num_layers=config.lstm_num_layers,
               batch_size=config.batch_size)
    prepare_folders(config, out_dir, summary_dir, board_dir, rank, held)
    torch.manual_seed(config.seed)
    model = make_model(config, dataset.vocab_size, device)
    if rank > 0:  # the same initial weights everywhere, but each rank its own dropout masks
        torch.manual_seed(derive_seed(config.seed, (DROPOUT_STREAM, rank)))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.learning_rate_step,
                                                gamma=config.learning_rate_decay)
    validation = dataset.validation_windows() if dataset.has_validation else None
    return TextRun(config, rank, world, device, out_dir, summary_dir, dataset, validation, model,
                   distributed.data_parallel(model), optimizer, scheduler)


# --- one step ---------------------------------------------------------------------------------------------------------

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


# --- the loop -----------------------------------------------------------------------------------------------------

def train(config):
    """Train (or resume) a run in config.out_dir; return (rank, last metrics row or None)."""
    with output_folders((config.out_dir, "--out_dir"), (config.summary_path, "--summary_path"),
                        (config.tensorboard, "--tensorboard")) as (out_dir, summary_dir, board_dir), \
            ExitStack() as held:  # the folders' claims, let go however the run ends
        run = set_up(config, out_dir, summary_dir or out_dir, board_dir, held)
        return run.rank, train_loop(run)


def train_loop(run):
    """Train from the checkpoint of --resume, or from step 0, to --train_steps; the last metrics row or None.
    Ctrl-C or SIGTERM stops it at the end of a step, with a checkpoint of that step (one process only)."""
    config = run.config
    start = resume(run)
    sample_lengths = (15, 30) if config.dry_run else (15, 30, 50, 100)
    row = None
    bar = progress(range(start + 1, config.train_steps + 1), quiet=config.quiet or not run.is_main, initial=start,
                   total=config.train_steps, desc="part2", dynamic_ncols=True)
    with stop_requests(run.world == 1) as stop:
        for step in bar:
            row = train_and_log(run, step, sample_lengths, bar) or row
            if step % config.checkpoint_every == 0 or step == config.train_steps or stop:
                save(run, step)
            if stop:
                break
    bar.close()
    if start >= config.train_steps and run.is_main:
        print(f"Nothing to do: the checkpoint in {run.out_dir} is at step {start}, --train_steps is "
              f"{config.train_steps}.")
    if run.board is not None:
        run.board.close()
    if stop:
        stop_now(stop[0], f"a checkpoint of step {step} is in '{run.out_dir}'; add --resume to continue")
    return row


def train_and_log(run, step, sample_lengths, bar):
    """One training step, with its metrics row (every --print_every steps, at validations and at the last step;
    None otherwise), shown in the bar or as a line, and samples (every --sample_every steps)."""
    config = run.config
    step_start = time.perf_counter()
    inputs, targets = run.dataset.batch(config.batch_size, run.device)  # (B, T) each
    loss, logits, learning_rate = train_step(run, inputs, targets)
    step_seconds = time.perf_counter() - step_start
    last = step == config.train_steps
    validation = run.validation
    evaluate_now = validation is not None and ((config.eval_every and step % config.eval_every == 0) or last)
    row = None
    if run.is_main and (step % config.print_every == 0 or evaluate_now or last):
        row = metrics_row(run, step, loss, logits, targets, learning_rate, validation if evaluate_now else None)
        if step % config.print_every == 0 or last:
            show_step(bar, step, config.train_steps, config.batch_size, step_seconds, row["accuracy"], row["loss"])
    if run.is_main and step % config.sample_every == 0:
        generator = torch.Generator(run.device).manual_seed(derive_seed(config.seed, (SAMPLE_STREAM, step)))
        lines = write_samples(run.out_dir / SAMPLES, run.model, run.dataset.vocabulary, step, generator,
                              sample_lengths)
        if run.board is not None:  # Markdown: two spaces end a line
            run.board.add_text("samples", "  \n".join(lines), step)
    return row


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


def main(argv=None, config=None):
    """Train the run of the command line `argv`, or of `config` (a part2.config.TextTrainConfig) when given."""
    config = config or parse_config(argv)
    try:
        if config.dry_run:
            return dry_run(config)
        rank, row = train(config)
    except KeyboardInterrupt as e:
        raise KeyboardInterrupt(str(e) or left_after_interruption(config)) from None
    except OSError as e:
        if e.errno not in WRITE_ERRORS:
            raise
        raise UserError(write_failure(e, left_after_interruption(config))) from None
    finally:
        distributed.teardown()
    if rank > 0:
        return
    checkpoint = Path(config.out_dir) / CHECKPOINT
    if row is not None:
        held_out = (f"; held-out loss {row['val_loss']:.3f}, accuracy {row['val_accuracy']:.3f}"
                    if row["val_loss"] != "" else "")
        print(f"Done training: step {row['step']}, training batch loss {row['loss']:.3f}, accuracy "
              f"{row['accuracy']:.3f}{held_out}.")
        print(f"Checkpoint: {checkpoint}; metrics and figure in {config.summary_path or config.out_dir}.")
    print(f"Next: python -m part2.generate --checkpoint {checkpoint} --prompt \"The people \"")


if __name__ == "__main__":
    run_main(main, "part2.train")
