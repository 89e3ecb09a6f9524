"""How a sweep's runs are trained on this machine: one group of configs (a run, or seeds side by side) at a time,
in this process or `jobs` worker processes. part1.sweep.launch.SubmititExecutor does the same through SLURM."""
import contextlib
import ctypes
import functools
import multiprocessing
import os
import shutil
import signal
import sys

from uvadl2019.checks import UserError, cores
from part1.fast import backend as backends
from part1.sweep.together import train_group

TRACKER_QUIET = "ignore::UserWarning:multiprocessing.resource_tracker"


def train_quietly(group, device):
    """train_group() without progress bar or saving, for worker processes: the records."""
    return train_group(group, lambda record: None, progress=False, device=device)


def end_with_parent(parent):
    """In a worker process: be ended (SIGTERM) when the sweep's process `parent` dies, instead of training on for
    no one and failing with a broken pipe. Linux only (prctl's PR_SET_PDEATHSIG); elsewhere nothing."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
        if os.getppid() != parent:  # it died while this worker was starting
            os.kill(os.getpid(), signal.SIGTERM)


@contextlib.contextmanager
def quiet_resource_tracker():
    """Start multiprocessing's resource tracker (the first pool starts it) without its leak warnings: a sweep
    killed outright leaves its pool's semaphores to the tracker, which removes them and would warn of each; its
    workers end with it (end_with_parent), so nothing else is left behind."""
    sys.warnoptions.append(TRACKER_QUIET)  # the tracker is started with this process's -W options
    try:
        yield
    finally:
        sys.warnoptions.remove(TRACKER_QUIET)


class LocalExecutor:
    """executor(groups, save): train each group on `device` here, `jobs` at a time in worker processes (1: in this
    process)."""

    def __init__(self, device, jobs=1, progress=True):
        self.device, self.jobs, self.progress = device, jobs, progress

    def __call__(self, groups, save):
        for impl in dict.fromkeys(group[0].impl for group in groups):  # builds the C++ cells here, not in every
            backends.resolve(impl, self.device)  # worker at once
        if self.jobs == 1 or len(groups) <= 1:
            for group in groups:
                train_group(group, save, self.progress, self.device)
            return
        # Leaving the block early (a failure or Ctrl-C) terminates the workers at once; at the end they exit
        # by themselves, so none is killed while it holds the pool's locks.
        with quiet_resource_tracker():
            pool = multiprocessing.get_context("spawn").Pool(min(self.jobs, len(groups)), end_with_parent,
                                                             (os.getpid(),))
        with pool:
            for records in pool.imap_unordered(functools.partial(train_quietly, device=self.device), groups):
                for record in records:
                    save(record)
            pool.close()
            pool.join()


def choose_executor(config, jobs_dir, device):
    """How the runs are trained, and whether seeds go together by default: on GPUs, where they run at once.
    device: the resolved device of a local sweep (a SLURM job resolves its own)."""
    if config.launcher == "slurm":  # the jobs resolve --device on their own nodes
        missing = [command for command in ("sbatch", "srun") if shutil.which(command) is None]
        if missing:
            raise UserError(f"--launcher slurm: SLURM's {' and '.join(missing)} not found on this machine; run on "
                            f"the cluster's login node, or train here with --launcher local")
        from part1.sweep.launch import SubmititExecutor
        return (SubmititExecutor(jobs_dir, "slurm", config.slurm_partition, config.slurm_time, config.slurm_gpus,
                                 config.slurm_array_limit), config.slurm_gpus > 0)
    jobs = config.jobs or (max(1, cores() // config.threads_per_run) if device.type == "cpu" else 1)
    return LocalExecutor(device, jobs, not config.quiet), device.type == "cuda"
