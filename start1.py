"""Sweep the vanilla RNN and the LSTM over palindrome input lengths and seeds; save results and figures.

python start1.py                 # quick preset: minutes on a CPU
python start1.py --preset paper  # the report's experiment
"""
import os
import tempfile
from pathlib import Path

from common.cli import ArgumentParser, UserError, run_main
from common.device import resolve_device
from common.files import ensure_writable_dir
from part1.config import IMPLEMENTATIONS, INITIALISATIONS, MODEL_TYPES, max_norm_value
from part1.launch import SubmititExecutor
from part1.presets import PRESETS, plan
from part1.report import REPORT_ACCURACY
from part1.sweep import LocalExecutor, finished_records, report, run_sweep

MINIMUM = {"steps": 1, "jobs": 1, "threads_per_run": 1, "slurm_time": 1, "slurm_gpus": 0, "slurm_array_limit": 1}


def build_parser():
    p = ArgumentParser(prog="start1.py", description=__doc__.splitlines()[0])
    add = p.add_argument
    add("--preset", default="quick", choices=list(PRESETS),
        help="quick: 5 lengths x 2 seeds, at most 3000 steps (default); paper: the report's grid")
    add("--models", nargs="+", choices=MODEL_TYPES, help="models to train (default: RNN LSTM)")
    add("--lengths", nargs="+", type=int, help="input lengths (number of input digits; the palindrome has one more)")
    add("--seeds", nargs="+", type=int, help="seeds, one run each")
    add("--steps", type=int, help="maximum training steps per run")
    add("--init", default="xavier_normal", choices=INITIALISATIONS, help="weight initialisation: xavier_normal as "
        "the report's code, or uniform, PyTorch's RNN scheme (default: xavier_normal)")
    add("--max_norm", type=max_norm_value, help="clip the gradient norm at this value, or off: the report's code in "
        "effect never clipped (default: off)")
    add("--device", default="auto", help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N")
    add("--impl", default="fast", choices=IMPLEMENTATIONS, help="fast: hand-written backward through time with the "
        "device's fastest cells; reference: the plain autograd loop; torch, cpp, triton: by name (default: fast)")
    add("--out_dir", default="results/part1", help="folder of runs.jsonl, summary and figures (default: results/part1)")
    add("--jobs", type=int, help="runs trained at once, in worker processes (default: CPU cores / --threads_per_run "
        "on a CPU, 1 on CUDA)")
    add("--threads_per_run", type=int, default=1, help="CPU threads of each run; results depend on it, not on --jobs "
        "(default: 1)")
    add("--seeds_together", default="auto", choices=["off", "on", "auto"], help="train the seeds of one model and "
        "length side by side, in one process (or SLURM job); on CUDA their steps are branches of one CUDA graph that "
        "the GPU runs at once. Same results either way. auto: on with CUDA (with slurm: with --slurm_gpus > 0), off "
        "on a CPU, where the seeds would only take turns (default: auto)")
    add("--replot", action="store_true", help="redraw summary and figure from runs.jsonl, train nothing")
    add("--launcher", default="local", choices=["local", "slurm"], help="local: train on this machine, --jobs at a "
        "time (default); slurm: one SLURM job per run, submitted as a job array through submitit")
    add("--slurm_partition", help="SLURM partition (default: the cluster's default)")
    add("--slurm_time", type=int, default=60, help="time limit per job in minutes (default: 60)")
    add("--slurm_gpus", type=int, default=0, help="GPUs per job (default: 0)")
    add("--slurm_array_limit", type=int, default=16, help="at most this many jobs of the array at once (default: 16)")
    add("--dry-run", dest="dry_run", action="store_true", help="smoke test: each model 3 steps at one length and "
        "seed, here, into a temporary folder that is deleted afterwards")
    return p


def executor(args, jobs_dir):
    """How the runs are trained, and whether seeds go together: on GPUs by default, where they run at once."""
    if args.launcher == "slurm":  # the jobs resolve --device on their own nodes
        return (SubmititExecutor(jobs_dir, "slurm", args.slurm_partition, args.slurm_time, args.slurm_gpus,
                                 args.slurm_array_limit), args.slurm_gpus > 0)
    on_gpu = resolve_device(args.device).type == "cuda"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    jobs = args.jobs or (1 if on_gpu else max(1, cores // args.threads_per_run))
    return LocalExecutor(jobs), on_gpu


def sweep(args, out_dir):
    """Train (or, with --replot, read) the sweep's runs, then write its summary and figure."""
    configs = plan(args.preset, args.models, args.lengths, args.seeds, args.steps, args.device,
                   args.threads_per_run, args.impl, args.init, args.max_norm)
    out_dir = ensure_writable_dir(out_dir)
    if args.replot:
        records = finished_records(configs, out_dir / "runs.jsonl")
    else:
        run, together = executor(args, out_dir / "jobs")
        together = args.seeds_together == "on" or (args.seeds_together == "auto" and together)
        records = run_sweep(configs, out_dir / "runs.jsonl", run, together)
    report(records, out_dir, args.preset, REPORT_ACCURACY if args.preset == "paper" else None)


def main(argv=None):
    args = build_parser().parse_args(argv)
    for name, lowest in MINIMUM.items():
        if getattr(args, name) is not None and getattr(args, name) < lowest:
            raise UserError(f"--{name} must be at least {lowest}, got {getattr(args, name)}")
    if not args.dry_run:
        return sweep(args, args.out_dir)
    preset = PRESETS[args.preset]
    args.steps, args.replot, args.launcher, args.jobs = 3, False, "local", 1
    args.lengths, args.seeds = (args.lengths or preset.lengths)[:1], (args.seeds or preset.seeds)[:1]
    with tempfile.TemporaryDirectory() as tmp:
        sweep(args, tmp)
    print("Dry run done; nothing was kept.")


if __name__ == "__main__":
    run_main(main, Path(__file__).name)
