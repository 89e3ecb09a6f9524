"""Sweep the vanilla RNN and the LSTM over palindrome input lengths and seeds; save results and figures.

python start1.py                 # quick preset: minutes on a CPU
python start1.py --preset paper  # the report's experiment
"""
import argparse
import os
import tempfile
from pathlib import Path

from common.cli import ArgumentParser, UserError, run_main
from common.device import resolve_device
from common.files import ensure_writable_dir
from part1.launch import run_sweep_submitit
from part1.plots import plot_accuracy_vs_length
from part1.recurrent import IMPLEMENTATIONS, INITIALISATIONS
from part1.report import REPORT_ACCURACY
from part1.sweep import PRESETS, finished_runs, plan, run_key, run_sweep, summarize, write_summary_csv
from part1.train import MODELS, check_config, max_norm_value


def build_parser():
    p = ArgumentParser(prog="start1.py", description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="quick", choices=list(PRESETS),
                   help="quick: 5 lengths x 2 seeds, at most 3000 steps (default); paper: the report's grid")
    p.add_argument("--models", nargs="+", choices=list(MODELS), help="models to train (default: RNN LSTM)")
    p.add_argument("--lengths", nargs="+", type=int,
                   help="input lengths (number of input digits; the palindrome has one more)")
    p.add_argument("--seeds", nargs="+", type=int, help="seeds, one run each")
    p.add_argument("--steps", type=int, help="maximum training steps per run")
    p.add_argument("--init", default="xavier_normal", choices=list(INITIALISATIONS),
                   help="weight initialisation: xavier_normal as the report's code, or uniform, PyTorch's RNN "
                        "scheme (default: xavier_normal)")
    p.add_argument("--max_norm", type=max_norm_value,
                   help="clip the gradient norm at this value, or off: the report's code in effect never clipped "
                        "(default: off)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N")
    p.add_argument("--impl", default="fast", choices=list(IMPLEMENTATIONS),
                   help="fast: hand-written backward through time; reference: the plain autograd loop (default: fast)")
    p.add_argument("--out_dir", default="results/part1", help="folder of runs.jsonl, summary and figures "
                                                              "(default: results/part1)")
    p.add_argument("--jobs", type=int, help="runs trained at once, in worker processes (default: CPU cores / "
                                             "--threads_per_run on a CPU, 1 on CUDA)")
    p.add_argument("--threads_per_run", type=int, default=1,
                   help="CPU threads of each run; results depend on it, not on --jobs (default: 1)")
    p.add_argument("--seeds_together", default="auto", choices=["off", "on", "auto"],
                   help="train the seeds of one model and length side by side, in one process (or SLURM job); on "
                        "CUDA their steps are branches of one CUDA graph that the GPU runs at once. Same results "
                        "either way. auto: on with CUDA (with slurm: with --slurm_gpus > 0), off on a CPU, where "
                        "the seeds would only take turns (default: auto)")
    p.add_argument("--replot", action="store_true", help="redraw summary and figure from runs.jsonl, train nothing")
    p.add_argument("--launcher", default="local", choices=["local", "slurm"],
                   help="local: train on this machine, --jobs at a time (default); slurm: one SLURM job per "
                        "run, submitted as a job array through submitit")
    p.add_argument("--slurm_partition", help="SLURM partition (default: the cluster's default)")
    p.add_argument("--slurm_time", type=int, default=60, help="time limit per job in minutes (default: 60)")
    p.add_argument("--slurm_gpus", type=int, default=0, help="GPUs per job (default: 0)")
    p.add_argument("--slurm_array_limit", type=int, default=16,
                   help="at most this many jobs of the array at once (default: 16)")
    p.add_argument("--dry-run", dest="dry_run", action="store_true",
                   help="smoke test: each model 3 steps at one length and seed, here, into a temporary folder that "
                        "is deleted afterwards")
    return p


def check_args(args):
    """Counts the parser cannot check: each at least its minimum (None: not given, the default applies)."""
    minimum = {"steps": 1, "jobs": 1, "threads_per_run": 1, "slurm_time": 1, "slurm_gpus": 0, "slurm_array_limit": 1}
    for name, lowest in minimum.items():
        value = getattr(args, name)
        if value is not None and value < lowest:
            raise UserError(f"--{name} must be at least {lowest}, got {value}")


def main(argv=None):
    args = build_parser().parse_args(argv)
    check_args(args)
    if not args.dry_run:
        return sweep(args)
    preset = PRESETS[args.preset]
    with tempfile.TemporaryDirectory() as tmp:
        sweep(argparse.Namespace(**{**vars(args), "out_dir": tmp, "steps": 3, "replot": False, "launcher": "local",
                                    "jobs": 1, "lengths": (args.lengths or preset.lengths)[:1],
                                    "seeds": (args.seeds or preset.seeds)[:1]}))
    print("Dry run done; nothing was kept.")


def seeds_together(args, on_gpus):
    """--seeds_together as a yes or no: auto trains them together on GPUs only, where they run at the same time."""
    return args.seeds_together == "on" or (args.seeds_together == "auto" and on_gpus)


def sweep(args):
    """Train (or, with --replot, read) the sweep's runs, then write its summary and figure."""
    configs = plan(args.preset, args.models, args.lengths, args.seeds, args.steps, args.device,
                   args.threads_per_run, args.impl, args.init, args.max_norm)
    for config in configs:
        check_config(config)
    out_dir = ensure_writable_dir(args.out_dir)
    runs_path = out_dir / "runs.jsonl"

    if args.replot:
        done = finished_runs(runs_path)
        records = [done[run_key(vars(c))] for c in configs if run_key(vars(c)) in done]
        if not records:
            raise UserError(f"no finished run of this sweep in '{runs_path}'; run it without --replot first")
        if len(records) < len(configs):
            print(f"{len(configs) - len(records)} of {len(configs)} runs are not finished; plotting the others")
    elif args.launcher == "slurm":  # the jobs resolve --device on their own nodes
        records = run_sweep_submitit(configs, runs_path, "slurm", args.slurm_partition, args.slurm_time,
                                     args.slurm_gpus, args.slurm_array_limit,
                                     seeds_together=seeds_together(args, on_gpus=args.slurm_gpus > 0))
    else:
        device = resolve_device(args.device)
        cores = len(os.sched_getaffinity(0))
        jobs = args.jobs or (1 if device.type == "cuda" else max(1, cores // args.threads_per_run))
        records = run_sweep(configs, runs_path, jobs, seeds_together(args, on_gpus=device.type == "cuda"))

    rows = summarize(records)
    summary_path = out_dir / f"{args.preset}_summary.csv"
    figure_path = out_dir / f"{args.preset}_accuracy.png"
    write_summary_csv(rows, summary_path)
    seeds = sorted({r["seed"] for r in records})
    report = REPORT_ACCURACY if args.preset == "paper" else None  # the quick preset trains other settings
    plot_accuracy_vs_length(rows, f"Palindromes, {args.preset} preset, {len(seeds)} seed(s): "
                                  f"{' '.join(map(str, seeds))}", report, figure_path)
    print(f"{'model':>5} {'input length':>12} {'runs':>4} {'accuracy':>17} {'steps':>7}"
          + (f" {'report':>17}" if report else ""))
    for r in rows:
        line = (f"{r['model_type']:>5} {r['input_length']:>12} {r['runs']:>4} "
                f"{r['accuracy_mean']:>8.4f} ± {r['accuracy_std']:.4f} {r['steps_mean']:>7.0f}")
        if report and (r["model_type"], r["input_length"]) in report:
            mean, std = report[r["model_type"], r["input_length"]]
            line += f" {mean:>8.4f} ± {std:.4f}"
        print(line)
    print(f"Wrote {summary_path} and {figure_path}; every run is in {runs_path}")


if __name__ == "__main__":
    run_main(main, Path(__file__).name)
