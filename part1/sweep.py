"""The accuracy-vs-input-length sweep: plan -> RunStore -> executor -> summary -> figure.

An executor trains groups of configs and hands each record to save() as the run finishes; LocalExecutor trains on
this machine, part1.launch.SubmititExecutor as SLURM jobs. The sweep's process is the only writer of runs.jsonl.
"""
import math
import multiprocessing

from tqdm import tqdm

from common.cli import UserError
from common.device import resolve_device
from common.files import write_csv
from part1.fast import backend as backends
from part1.plots import plot_accuracy_vs_length
from part1.runs import RunStore
from part1.train import train, train_together


class LocalExecutor:
    """Train here, `jobs` groups at a time in worker processes (1: in this process)."""

    def __init__(self, jobs=1):
        self.jobs = jobs

    def __call__(self, groups, save):
        for group in groups:  # checks each device, and builds the C++ cells here, not in every worker at once
            backends.resolve(group[0].impl, resolve_device(group[0].device))
        if self.jobs == 1 or len(groups) <= 1:
            for group in groups:
                train_group(group, save)
            return
        # Leaving the block (finished, failed or Ctrl-C) terminates the workers at once.
        with multiprocessing.get_context("spawn").Pool(self.jobs) as pool:
            for records in pool.imap_unordered(train_quietly, groups):
                for record in records:
                    save(record)


def train_group(group, save, progress=True):
    """Train one run, or several seeds side by side; save(record) as each finishes; return the records."""
    if len(group) == 1:
        record, _ = train(group[0], progress)
        save(record)
        return [record]
    return [record for record, _ in train_together(group, progress, on_record=save)]


def train_quietly(group):
    """train_group() without progress bar or saving, for worker processes: the records."""
    return train_group(group, lambda record: None, progress=False)


def seed_groups(configs, together=True):
    """The configs in groups that differ only in their seed, in order of first appearance; together=False: a
    group per config."""
    if not together:
        return [[config] for config in configs]
    groups = {}
    for config in configs:
        groups.setdefault(config.replace(seed=0), []).append(config)
    return list(groups.values())


def run_sweep(configs, runs_path, executor, seeds_together=False):
    """Train every config not yet in runs.jsonl with `executor`, saving each record as it finishes; return all
    records in the order of `configs`. seeds_together: the seeds of one (model, length) train side by side."""
    store = RunStore(runs_path)
    todo = store.missing(configs)
    if len(todo) < len(configs):
        tqdm.write(f"{len(configs) - len(todo)} of {len(configs)} runs already in {runs_path}; skipping them")
    bar = tqdm(total=len(todo), desc="sweep", unit="run", dynamic_ncols=True)

    def save(record):
        store.add(record)
        bar.update()
        bar.write(f"{record['model_type']:>4} input length {record['input_length']:>3} seed {record['seed']}: "
                  f"test accuracy {record['test_accuracy']:.3f} after {record['steps']} steps")

    try:
        executor(seed_groups(todo, seeds_together), save)
    finally:
        bar.close()
    return store.records(configs)


def finished_records(configs, runs_path):
    """The records of `configs` already in runs.jsonl (--replot); a UserError when there is none."""
    records = RunStore(runs_path).records(configs)
    if not records:
        raise UserError(f"no finished run of this sweep in '{runs_path}'; run it without --replot first")
    if len(records) < len(configs):
        print(f"{len(configs) - len(records)} of {len(configs)} runs are not finished; plotting the others")
    return records


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


def report(records, out_dir, preset_name, reference=None):
    """Write the summary CSV and the figure of a sweep's records and print the table; reference: the report's
    {(model, input length): (mean, std)}, printed and drawn beside ours."""
    rows = summarize(records)
    summary_path = out_dir / f"{preset_name}_summary.csv"
    figure_path = out_dir / f"{preset_name}_accuracy.png"
    write_csv(summary_path, rows)
    seeds = sorted({r["seed"] for r in records})
    plot_accuracy_vs_length(rows, f"Palindromes, {preset_name} preset, {len(seeds)} seed(s): "
                                  f"{' '.join(map(str, seeds))}", reference, figure_path)
    print(f"{'model':>5} {'input length':>12} {'runs':>4} {'accuracy':>17} {'steps':>7}"
          + (f" {'report':>17}" if reference else ""))
    for r in rows:
        line = (f"{r['model_type']:>5} {r['input_length']:>12} {r['runs']:>4} "
                f"{r['accuracy_mean']:>8.4f} ± {r['accuracy_std']:.4f} {r['steps_mean']:>7.0f}")
        if reference and (r["model_type"], r["input_length"]) in reference:
            mean, std = reference[r["model_type"], r["input_length"]]
            line += f" {mean:>8.4f} ± {std:.4f}"
        print(line)
    print(f"Wrote {summary_path} and {figure_path}; every run is in {out_dir / 'runs.jsonl'}")
    return rows
