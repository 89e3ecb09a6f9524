"""How a sweep's runs are trained on this machine: one group of configs (a run, or seeds side by side) at a time,
in this process or `jobs` worker processes. part1.launch.SubmititExecutor does the same through SLURM."""
import multiprocessing

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
