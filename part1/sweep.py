"""The accuracy-vs-input-length sweep (start1.py): SweepConfig -> plan -> RunStore -> executor -> summary -> figure.

An executor trains groups of configs and hands each record to save() as the run finishes: part1.executors'
LocalExecutor on this machine, part1.launch's SubmititExecutor as SLURM jobs. The sweep's process is the only
writer of runs.jsonl.
"""
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path

from tqdm import tqdm

from common.cli import UserError, check_at_least, check_distinct, check_seeds, max_norm_value, option
from common.device import DEVICE_HELP, resolve_device
from common.files import ensure_writable_dir, write_csv
from part1.config import IMPLEMENTATIONS, INITIALISATIONS, MODEL_TYPES, key_of
from part1.executors import LocalExecutor
from part1.train import check_memory
from part1.plots import plot_accuracy_vs_length, plot_loss_curves
from part1.presets import PRESETS, plan
from part1.report import REPORT_ACCURACY
from part1.runs import CURVES, Claims, RunStore, read_losses


@dataclass(frozen=True)
class SweepConfig:
    """What start1.py sweeps, where, and how. Constructing it checks it."""
    preset: str = option("quick", "quick: 5 lengths x 2 seeds, at most 3000 steps (default); paper: the report's "
                                  "grid", choices=tuple(PRESETS))
    models: tuple = option(None, "models to train (default: RNN LSTM)", nargs="+", choices=MODEL_TYPES, type=str)
    lengths: tuple = option(None, "input lengths (number of input digits; the palindrome has one more)", nargs="+",
                            type=int)
    seeds: tuple = option(None, "seeds, one run each", nargs="+", type=int)
    steps: int = option(None, "maximum training steps per run", type=int)
    init: str = option("xavier_normal", "weight initialisation: xavier_normal as the report's code, or uniform, "
                                        "PyTorch's RNN scheme (default: xavier_normal)", choices=INITIALISATIONS)
    max_norm: float = option(None, "clip the gradient norm at this value, or off: the report's code in effect "
                                   "never clipped (default: off)", type=max_norm_value)
    device: str = option("auto", DEVICE_HELP)
    impl: str = option("fast", "fast: hand-written backward through time with the device's fastest cells; "
                               "reference: the plain autograd loop; torch, cpp, triton: by name (default: fast)",
                       choices=IMPLEMENTATIONS)
    out_dir: str = option("results/part1", "folder of runs.jsonl, summary and figures (default: results/part1)")
    jobs: int = option(None, "runs trained at once, in worker processes (default: CPU cores / --threads_per_run "
                             "on a CPU, 1 on a GPU)", type=int)
    threads_per_run: int = option(1, "CPU threads of each run; results depend on it, not on --jobs (default: 1)")
    seeds_together: str = option("auto", "train the seeds of one model and length side by side, in one process (or "
                                         "SLURM job); on CUDA their steps are branches of one CUDA graph that the "
                                         "GPU runs at once. Same results either way. auto: on with CUDA (with slurm: "
                                         "with --slurm_gpus > 0), off on a CPU, where the seeds would only take "
                                         "turns (default: auto)", choices=("off", "on", "auto"))
    tensorboard: str = option(None, "also write each run's TensorBoard scalars into a folder of its own under DIR "
                                    "(default: off)", type=str, metavar="DIR")
    replot: bool = option(False, "redraw summary and figure from runs.jsonl, train nothing")
    launcher: str = option("local", "local: train on this machine, --jobs at a time (default); slurm: one SLURM "
                                    "job per run, submitted as a job array through submitit",
                           choices=("local", "slurm"))
    slurm_partition: str = option(None, "SLURM partition (default: the cluster's default)", type=str)
    slurm_time: int = option(60, "time limit per job in minutes (default: 60)")
    slurm_gpus: int = option(0, "GPUs per job (default: 0)")
    slurm_array_limit: int = option(16, "at most this many jobs of the array at once (default: 16)")
    dry_run: bool = option(False, "smoke test: each model 3 steps at one length and seed, here, into a temporary "
                                  "folder that is deleted afterwards", flag="--dry-run")

    def __post_init__(self):
        check_at_least(1, steps=self.steps, jobs=self.jobs, threads_per_run=self.threads_per_run,
                       slurm_time=self.slurm_time, slurm_array_limit=self.slurm_array_limit)
        check_at_least(0, slurm_gpus=self.slurm_gpus)
        check_seeds("seeds", self.seeds)
        check_distinct("models", self.models)
        check_distinct("lengths", self.lengths)
        if self.replot and self.dry_run:
            raise UserError("--replot redraws from runs.jsonl and --dry-run trains in a temporary folder; "
                            "give one of them")
        for f in fields(self):  # the command line's choices, also for configs made in code
            value, choices = getattr(self, f.name), f.metadata.get("choices")
            values = [] if value is None else value if f.metadata.get("nargs") else [value]
            if choices and any(v not in choices for v in values):
                raise UserError(f"--{f.name}: unknown value in {value!r}; use {', '.join(choices)}")

    def replace(self, **changes):
        return replace(self, **changes)

    def plan(self):
        """The TrainConfigs of the sweep."""
        return plan(self.preset, self.models, self.lengths, self.seeds, self.steps, self.device,
                    self.threads_per_run, self.impl, self.init, self.max_norm, self.tensorboard)


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
    records in the order of `configs`. seeds_together: the seeds of one (model, length) train side by side.

    Each run is claimed before it is trained: runs that another process (the same sweep started twice) is
    training are waited for, and trained here only if that process dies first.
    """
    store, claims = RunStore(runs_path), Claims(runs_path.parent)
    todo = store.missing(configs)
    if len(todo) < len(configs):
        tqdm.write(f"{len(configs) - len(todo)} of {len(configs)} runs already in {runs_path}; skipping them")
    bar = tqdm(total=len(todo), desc="sweep", unit="run", dynamic_ncols=True)

    def save(record):
        store.add(record)
        claims.release(key_of(record["config"]))
        bar.update()
        bar.write(f"{record['model_type']:>4} input length {record['input_length']:>3} seed {record['seed']}: "
                  f"test accuracy {record['test_accuracy']:.3f} after {record['steps']} steps")

    try:
        while todo:
            mine = [c for c in todo if claims.take(c)]
            store.reload()  # what another process finished before we claimed it is not trained again
            for c in mine:
                if c in store:
                    claims.release(c.key())
            mine = store.missing(mine)
            if mine:
                executor(seed_groups(mine, seeds_together), save)
            elif store.missing(todo):  # all claimed elsewhere: wait for the first, then look again
                bar.write(f"{len(store.missing(todo))} run(s) are being trained by another process; waiting")
                claims.take(store.missing(todo)[0], wait=True)
                claims.release_all()
                store.reload()
            todo = store.missing(todo)
            bar.n = bar.total - len(todo)  # with the runs that another process finished
            bar.refresh()
    finally:
        claims.release_all()
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


def report(records, out_dir, preset_name, reference=None, kept=True):
    """Write the summary CSV and the figures of a sweep's records and print the table; reference: the report's
    {(model, input length): (mean, std)}, printed and drawn beside ours; kept: say where the files are."""
    rows = summarize(records)
    summary_path = out_dir / f"{preset_name}_summary.csv"
    figure_path = out_dir / f"{preset_name}_accuracy.png"
    write_csv(summary_path, rows)
    seeds = sorted({r["seed"] for r in records})
    title = f"Palindromes, {preset_name} preset, {len(seeds)} seed(s): {' '.join(map(str, seeds))}"
    plot_accuracy_vs_length(rows, title, reference, figure_path)
    loss_path = plot_losses(records, out_dir, out_dir / f"{preset_name}_loss.png",
                            f"Palindromes, {preset_name} preset: training loss")
    print(f"{'model':>5} {'input length':>12} {'runs':>4} {'accuracy':>17} {'steps':>7}"
          + (f" {'report':>17}" if reference else ""))
    for r in rows:
        line = (f"{r['model_type']:>5} {r['input_length']:>12} {r['runs']:>4} "
                f"{r['accuracy_mean']:>8.4f} ± {r['accuracy_std']:.4f} {r['steps_mean']:>7.0f}")
        if reference and (r["model_type"], r["input_length"]) in reference:
            mean, std = reference[r["model_type"], r["input_length"]]
            line += f" {mean:>8.4f} ± {std:.4f}"
        print(line)
    if kept:
        print(f"Wrote {summary_path}, {figure_path}" + (f" and {loss_path}" if loss_path else "")
              + f"; every run is in {out_dir / 'runs.jsonl'}, its loss curve in {out_dir / CURVES}")
    return rows


def plot_losses(records, out_dir, path, title):
    """Draw the loss curves of the records that have one on disk; the figure's path, or None when none has."""
    curves, missing = {}, 0
    for r in sorted(records, key=lambda r: r["seed"]):
        losses = read_losses(out_dir, r)
        if losses is None:
            missing += 1
        else:
            curves.setdefault((r["model_type"], r["input_length"]), []).append((r["seed"], losses))
    if missing:
        print(f"{missing} of {len(records)} runs have no loss curve in {out_dir / CURVES}; drawing the others")
    if not curves:
        return None
    plot_loss_curves(curves, title, path)
    return path


def executor(config, jobs_dir):
    """How the runs are trained, and whether seeds go together by default: on GPUs, where they run at once."""
    if config.launcher == "slurm":  # the jobs resolve --device on their own nodes
        if shutil.which("sbatch") is None:
            raise UserError("--launcher slurm: SLURM's sbatch is not found on this machine; run on the cluster's "
                            "login node, or train here with --launcher local")
        from part1.launch import SubmititExecutor
        return (SubmititExecutor(jobs_dir, "slurm", config.slurm_partition, config.slurm_time, config.slurm_gpus,
                                 config.slurm_array_limit), config.slurm_gpus > 0)
    device = resolve_device(config.device)
    # sched_getaffinity (the cores this process may use) exists on Linux only.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    jobs = config.jobs or (max(1, cores // config.threads_per_run) if device.type == "cpu" else 1)
    return LocalExecutor(jobs), device.type == "cuda"


def sweep(config):
    """Train (or, with replot, read) the sweep's runs, then write its summary and figure; the summary rows."""
    configs = config.plan()
    if not config.replot and config.launcher == "local":  # SLURM's nodes have memories of their own
        for c in configs:
            check_memory(c, resolve_device(c.device))
    runs_path = Path(config.out_dir) / "runs.jsonl"
    if config.replot:  # everything is checked before a folder is made
        records = finished_records(configs, runs_path)
        out_dir = ensure_writable_dir(config.out_dir)
    else:
        run, on_gpus = executor(config, runs_path.parent / "jobs")
        if config.tensorboard:
            ensure_writable_dir(config.tensorboard, "--tensorboard")
        out_dir = ensure_writable_dir(config.out_dir)
        together = config.seeds_together == "on" or (config.seeds_together == "auto" and on_gpus)
        records = run_sweep(configs, runs_path, run, together)
    return report(records, out_dir, config.preset, REPORT_ACCURACY if config.preset == "paper" else None,
                  kept=not config.dry_run)


def main(config):
    """start1.py: the sweep, or with dry_run each model 3 steps at one length and seed in a temporary folder."""
    if not config.dry_run:
        return sweep(config)
    preset = PRESETS[config.preset]
    with tempfile.TemporaryDirectory() as tmp:
        sweep(config.replace(out_dir=tmp, steps=3, replot=False, launcher="local", jobs=1, tensorboard=None,
                             lengths=(config.lengths or preset.lengths)[:1], seeds=(config.seeds or preset.seeds)[:1]))
    print("Dry run done; nothing was kept.")
