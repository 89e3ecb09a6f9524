"""The accuracy-vs-input-length sweep (start1.py): SweepConfig -> plan -> RunStore -> executor -> summary -> figure.

An executor trains groups of configs and hands each record to save() as the run finishes: executors.py's
LocalExecutor on this machine, launch.py's SubmititExecutor as SLURM jobs. The sweep's process is the only
writer of runs.jsonl.
"""
import tempfile
from pathlib import Path

from tqdm import tqdm

from uvadl2019.checks import UserError
from uvadl2019.files import output_folders
from uvadl2019.progress import progress
from part1.config import key_of
from part1.presets import PRESETS, REPORT_ACCURACY
from part1.records import RunStore
from part1.sweep.claims import Claims
from part1.sweep.executors import choose_executor
from part1.sweep.summary import write_summary
from part1.train import prepared_device


def seed_groups(configs, together=True):
    """The configs in groups that differ only in their seed, in order of first appearance; together=False: a
    group per config."""
    if not together:
        return [[config] for config in configs]
    groups = {}
    for config in configs:
        groups.setdefault(config.replace(seed=0), []).append(config)
    return list(groups.values())


def run_sweep(configs, runs_path, executor, seeds_together=False, quiet=False):
    """Train every config not yet in runs.jsonl with `executor`, saving each record as it finishes; return all
    records in the order of `configs`. seeds_together: the seeds of one (model, length) train side by side;
    quiet: no progress bar.

    Each run is claimed before it is trained: runs that another process (the same sweep started twice) is
    training are waited for, and trained here only if that process dies first.
    """
    store, claims = RunStore(runs_path), Claims(runs_path.parent)
    todo = store.missing(configs)
    if len(todo) < len(configs):
        tqdm.write(f"{len(configs) - len(todo)} of {len(configs)} runs already in {runs_path}; skipping them")
    bar = progress(total=len(todo), quiet=quiet, desc="sweep", unit="run", dynamic_ncols=True)

    def save(record):  # as each run finishes
        store.add(record)
        claims.release(key_of(record["config"]))
        announce(bar, record)

    try:
        while todo:
            mine = claim_unfinished(todo, store, claims)
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


def claim_unfinished(configs, store, claims):
    """The configs that this process claims and no process has finished; claims of finished ones are let go."""
    mine = [c for c in configs if claims.take(c)]
    store.reload()  # what another process finished before we claimed it is not trained again
    for c in mine:
        if c in store:
            claims.release(c.key())
    return store.missing(mine)


def announce(bar, record):
    """Count a finished run on the sweep's progress bar and print its result."""
    bar.update()
    bar.write(f"{record['model_type']:>4} input length {record['input_length']:>3} seed {record['seed']}: "
              f"test accuracy {record['test_accuracy']:.3f} after {record['steps']} steps")


def finished_records(configs, runs_path):
    """The records of `configs` already in runs.jsonl (--replot); a UserError when there is none."""
    records = RunStore(runs_path).records(configs)
    if not records:
        raise UserError(f"no finished run of this sweep in '{runs_path}'; run it without --replot first")
    if len(records) < len(configs):
        print(f"{len(configs) - len(records)} of {len(configs)} runs are not finished; plotting the others")
    return records


def sweep(config):
    """Train (or, with replot, read) the sweep's runs, then write its summary and figure; the summary rows."""
    configs = config.plan()
    runs_path = Path(config.out_dir) / "runs.jsonl"
    if config.replot:  # everything is checked before a folder is made
        records = finished_records(configs, runs_path)
        with output_folders((config.out_dir, "--out_dir")) as (out_dir,):
            return write_summary(records, out_dir, config.preset, report_of(config))
    # Resolved and checked once, here; SLURM's nodes resolve their own devices and have memories of their own.
    device = prepared_device(*configs, options={"input_length": "lengths", "train_steps": "steps"}) \
        if config.launcher == "local" else None
    executor, on_gpus = choose_executor(config, runs_path.parent / "jobs", device)
    together = config.seeds_together == "on" or (config.seeds_together == "auto" and on_gpus)
    with output_folders((config.out_dir, "--out_dir"), (config.tensorboard, "--tensorboard")) as (out_dir, _):
        records = run_sweep(configs, runs_path, executor, together, config.quiet)
        return write_summary(records, out_dir, config.preset, report_of(config), kept=not config.dry_run)


def report_of(config):
    """The report's accuracies where the sweep is the report's grid."""
    return REPORT_ACCURACY if config.preset == "paper" else None


def main(config):
    """start1.py: the sweep, or with dry_run each model 3 steps at one length and seed in a temporary folder."""
    if not config.dry_run:
        return sweep(config)
    preset = PRESETS[config.preset]
    with tempfile.TemporaryDirectory() as tmp:
        sweep(config.replace(out_dir=tmp, steps=3, replot=False, launcher="local", jobs=1, tensorboard=None,
                             lengths=(config.lengths or preset.lengths)[:1], seeds=(config.seeds or preset.seeds)[:1]))
    print("Dry run done; nothing was kept.")
