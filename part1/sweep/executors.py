"""How a sweep's runs are trained on this machine: one group of configs (a run, or seeds side by side) at a time,
in this process or `jobs` worker processes. part1.sweep.launch.SubmititExecutor does the same through SLURM."""
import multiprocessing
import os
import shutil

from common.cli import UserError
from common.device import resolve_device
from part1.fast import backend as backends
from part1.train import train, train_together


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


class LocalExecutor:
    """executor(groups, save): train each group here, `jobs` at a time in worker processes (1: in this process)."""

    def __init__(self, jobs=1):
        self.jobs = jobs

    def __call__(self, groups, save):
        for group in groups:  # checks each device, and builds the C++ cells here, not in every worker at once
            backends.resolve(group[0].impl, resolve_device(group[0].device))
        if self.jobs == 1 or len(groups) <= 1:
            for group in groups:
                train_group(group, save)
            return
        # Leaving the block early (a failure or Ctrl-C) terminates the workers at once; at the end they exit
        # by themselves, so none is killed while it holds the pool's locks.
        with multiprocessing.get_context("spawn").Pool(min(self.jobs, len(groups))) as pool:
            for records in pool.imap_unordered(train_quietly, groups):
                for record in records:
                    save(record)
            pool.close()
            pool.join()


def choose_executor(config, jobs_dir):
    """How the runs are trained, and whether seeds go together by default: on GPUs, where they run at once."""
    if config.launcher == "slurm":  # the jobs resolve --device on their own nodes
        if shutil.which("sbatch") is None:
            raise UserError("--launcher slurm: SLURM's sbatch is not found on this machine; run on the cluster's "
                            "login node, or train here with --launcher local")
        from part1.sweep.launch import SubmititExecutor
        return (SubmititExecutor(jobs_dir, "slurm", config.slurm_partition, config.slurm_time, config.slurm_gpus,
                                 config.slurm_array_limit), config.slurm_gpus > 0)
    device = resolve_device(config.device)
    # sched_getaffinity (the cores this process may use) exists on Linux only.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    jobs = config.jobs or (max(1, cores // config.threads_per_run) if device.type == "cpu" else 1)
    return LocalExecutor(jobs), device.type == "cuda"
