"""start1.py's command line: what the sweep trains, where, and how."""
from dataclasses import dataclass

from uvadl2019.checks import UserError, check_at_least, check_seeds, check_threads
from uvadl2019.cli import Config, max_norm_value, option
from uvadl2019.device import DEVICE_HELP
from part1.config import IMPL_HELP, IMPLEMENTATIONS, INITIALISATIONS, MODEL_TYPES
from part1.presets import PRESETS, plan


@dataclass(frozen=True)
class SweepConfig(Config):
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
    impl: str = option("fast", IMPL_HELP, choices=IMPLEMENTATIONS)
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
    quiet: bool = option(False, "no progress bars (a line per finished run stays)")

    def check(self):
        check_at_least(1, steps=self.steps, jobs=self.jobs, threads_per_run=self.threads_per_run,
                       slurm_time=self.slurm_time, slurm_array_limit=self.slurm_array_limit)
        check_at_least(0, slurm_gpus=self.slurm_gpus)
        check_at_least(1, lengths=self.lengths)
        check_threads(threads_per_run=self.threads_per_run)
        check_seeds("seeds", self.seeds)
        if self.replot and self.dry_run:
            raise UserError("--replot redraws from runs.jsonl and --dry-run trains in a temporary folder; "
                            "give one of them")

    def plan(self):
        """The TrainConfigs of the sweep."""
        return plan(self.preset, models=self.models, lengths=self.lengths, seeds=self.seeds, steps=self.steps,
                    device=self.device, num_threads=self.threads_per_run, impl=self.impl, init=self.init,
                    max_norm=self.max_norm, tensorboard=self.tensorboard)
