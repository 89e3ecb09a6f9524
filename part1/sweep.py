"""The accuracy-vs-input-length experiment: presets, resumable runs in runs.jsonl, and the summary."""
import csv
import io
import json
import math
import multiprocessing
from dataclasses import dataclass

from tqdm import tqdm

from common.device import resolve_device
from common.files import append_jsonl, atomic_write_text, read_jsonl
from part1 import cpp_cells
from part1.train import default_config, train_together

# Options that change how a run is executed or reported, not what it computes.
NOT_IN_RUN_KEY = {"device", "out_dir", "print_every", "dry_run"}


@dataclass(frozen=True)
class Preset:
    """A grid of input lengths and seeds, with the learning rate and convergence rule for each run."""
    lengths: tuple
    seeds: tuple
    train_steps: int
    min_steps: dict  # model type -> [(largest input length, min steps), ...] in increasing length
    lr_switch_length: int  # learning rate 1e-3 up to this input length, 1e-4 above it
    models: tuple = ("RNN", "LSTM")

    def learning_rate(self, length):
        return 1e-3 if length <= self.lr_switch_length else 1e-4

    def min_steps_for(self, model_type, length):
        return next(steps for largest, steps in self.min_steps[model_type] if length <= largest)


PRESETS = {
    # The report's experiment.
    "paper": Preset(
        lengths=(5, 10, 15, 20, 25, 30, 50, 100, 150), seeds=(42, 43, 44, 45), train_steps=10000,
        min_steps={"RNN": [(15, 1000), (29, 3000), (math.inf, 6500)],
                   "LSTM": [(15, 1500), (29, 5000), (math.inf, 6500)]},
        lr_switch_length=15),
    # Minutes on a 2-core CPU, with the report's picture: both models perfect at short lengths, the RNN failing
    # where the LSTM learns. A learning rate of 1e-3 throughout, so that 3000 steps suffice. Length 100 would take
    # the preset to 12 minutes, and there one LSTM seed ended at test accuracy 0.0 (test loss 3.1).
    "quick": Preset(
        lengths=(5, 10, 20, 30, 50), seeds=(42, 43), train_steps=3000,
        min_steps={"RNN": [(math.inf, 1000)], "LSTM": [(math.inf, 1000)]},
        lr_switch_length=math.inf),
}


def plan(preset_name, models=None, lengths=None, seeds=None, steps=None, device="auto", threads_per_run=1,
         impl="fast", init="xavier_normal", max_norm=None):
    """The training configs of a sweep: the preset's grid, with any of models, lengths, seeds, steps overridden.

    max_norm None: no gradient clipping. The report's code called its clipping before backward(), so it never
    clipped; both presets follow what it did.

    Every run uses threads_per_run CPU threads, so its result does not depend on how many run at once.
    """
    preset = PRESETS[preset_name]
    configs = []
    for model_type in models or preset.models:
        for length in lengths or preset.lengths:
            for seed in seeds or preset.seeds:
                configs.append(default_config(
                    model_type=model_type, input_length=length, seed=seed, input_dim=10, num_hidden=128,
                    batch_size=128, optimizer="rmsprop", learning_rate=preset.learning_rate(length),
                    train_steps=steps or preset.train_steps, min_steps=preset.min_steps_for(model_type, length),
                    max_norm=max_norm, init=init, forget_bias=1.0, eval_size=8192, print_every=0, device=device,
                    num_threads=threads_per_run, impl=impl))
    return configs


def run_key(config):
    """What identifies a run: every option that changes its result."""
    return json.dumps({k: v for k, v in config.items() if k not in NOT_IN_RUN_KEY}, sort_keys=True)


def finished_runs(runs_path):
    """Finished records in runs.jsonl by run key (a corrupt line is a UserError)."""
    return {run_key(record["config"]): record for record in read_jsonl(runs_path)
            if isinstance(record.get("config"), dict)}


def run_sweep(configs, runs_path, jobs=1, seeds_together=False):
    """Train every config not yet in runs.jsonl, `jobs` at a time in worker processes, appending each record
    as it finishes (this process is the only writer); return all records in the order of `configs`.

    seeds_together: the seeds of one (model, length) train side by side (part1.train.train_together), same results.
    """
    done = finished_runs(runs_path)
    todo = [c for c in configs if run_key(vars(c)) not in done]
    if len(todo) < len(configs):
        tqdm.write(f"{len(configs) - len(todo)} of {len(configs)} runs already in {runs_path}; skipping them")
    if any(config.impl == "fast" and resolve_device(config.device).type == "cpu" for config in todo):
        cpp_cells.load()  # built once here, before the progress bar, not by every worker at the same time
    bar = tqdm(total=len(todo), desc="sweep", unit="run", dynamic_ncols=True)

    def save(record):
        append_jsonl(runs_path, record)
        done[run_key(record["config"])] = record
        bar.update()
        bar.write(f"{record['model_type']:>4} input length {record['input_length']:>3} seed {record['seed']}: "
                  f"test accuracy {record['test_accuracy']:.3f} after {record['steps']} steps")

    groups = seed_groups(todo, seeds_together)
    if jobs == 1 or len(groups) <= 1:
        for group in groups:
            train_together(group, on_record=save)
    else:
        # Leaving the block (finished, failed or Ctrl-C) terminates the workers at once.
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            for records in pool.imap_unordered(train_quietly, groups):
                for record in records:
                    save(record)
    bar.close()
    return [done[run_key(vars(c))] for c in configs]


def seed_groups(configs, together=True):
    """The configs in groups that differ only in their seed, in order of first appearance; together=False: a
    group per config."""
    if not together:
        return [[config] for config in configs]
    groups = {}
    for config in configs:
        groups.setdefault(json.dumps({**vars(config), "seed": None}, sort_keys=True), []).append(config)
    return list(groups.values())


def train_quietly(configs):
    """train_together() without its progress bar, for worker processes: the records."""
    return [record for record, _ in train_together(configs, progress=False)]


def summarize(records):
    """One row per (model, input length): runs, mean and std (ddof=1) of test accuracy, mean steps."""
    groups = {}
    for r in records:
        groups.setdefault((r["model_type"], r["input_length"]), []).append(r)
    rows = []
    for (model_type, length), runs in sorted(groups.items()):
        accuracies = [r["test_accuracy"] for r in runs]
        mean = sum(accuracies) / len(accuracies)
        var = sum((a - mean) ** 2 for a in accuracies) / (len(accuracies) - 1) if len(accuracies) > 1 else 0.0
        rows.append({"model_type": model_type, "input_length": length, "runs": len(runs),
                     "seeds": " ".join(str(r["seed"]) for r in runs),
                     "accuracy_mean": mean, "accuracy_std": math.sqrt(var),
                     "steps_mean": sum(r["steps"] for r in runs) / len(runs),
                     "converged": sum(bool(r["converged"]) for r in runs)})
    return rows


def write_summary_csv(rows, path):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())
