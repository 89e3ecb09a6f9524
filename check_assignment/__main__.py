"""Check a student's implementation against the report's equations: python -m check_assignment PATH [...].

PATH is an assignment folder laid out as the course's (part1/vanilla_rnn.py, part1/lstm.py) or single files.
The student's code runs in a process of its own per file, with a time and a memory limit (memory: Linux only):
code that crashes, hangs, exits or prints is reported as such. Exit code 1 when a check fails.
"""
import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from uvadl2019.checks import UserError, check_at_least, check_seeds, cores
from uvadl2019.cli import Config, option, option_like, parse_into, run_main
from uvadl2019.files import output_folders
from check_assignment.check import check_paths
from check_assignment.results import lines_of
from check_assignment.submissions import check_submissions
from part1.sweep.config import SweepConfig


@dataclass(frozen=True)
class CheckConfig(Config):
    """What to check, and with which limits."""
    paths: tuple = option((), "an assignment folder (with part1/vanilla_rnn.py, part1/lstm.py) or the files "
                              "themselves", nargs="*", type=str, flag="paths")
    submissions: str = option(None, "a folder of submissions, one subfolder each: check them all, skipping those "
                                    "checked unchanged before, and write a CSV row per submission", type=str)
    out_dir: str = option(None, "with --submissions: where checks.jsonl and checks.csv go (default: results/check)",
                          type=str)
    json: bool = option(False, "print the results as JSON, not lines")
    time_limit: int = option(300, "seconds each student file may take for all its checks (default: 300)")
    memory_limit: int = option(4096, "MB of memory each student file may use, on Linux (default: 4096)")
    seed: int = option(42, "seed of every model, weight and batch the checks make (default: 42)")
    txt_file: str = option(None, "the book that part 2's train.py reads in its check (default: a short made-up "
                                 "text)", type=str)
    jobs: int = option(None, "files checked at once (default: the CPU cores)", type=int)
    launcher: str = option("local", "with --submissions: local, check here, --jobs files at once (default); slurm: a "
                                    "job per submission, submitted as a job array through submitit",
                           choices=("local", "slurm"))
    slurm_partition: str = option_like(SweepConfig, "slurm_partition")
    slurm_time: int = option_like(SweepConfig, "slurm_time")
    slurm_array_limit: int = option_like(SweepConfig, "slurm_array_limit")
    quiet: bool = option(False, "no progress bar")

    def check(self):
        check_at_least(1, time_limit=self.time_limit, memory_limit=self.memory_limit, jobs=self.jobs,
                       slurm_time=self.slurm_time, slurm_array_limit=self.slurm_array_limit)
        for name, value, most in (("time_limit", self.time_limit, 7 * 24 * 3600), ("memory_limit", self.memory_limit,
                                                                                 1 << 30)):
            if value > most:
                raise UserError(f"--{name} must be at most {most}, got {value}")
        check_seeds("seed", self.seed)
        if self.txt_file is not None and not Path(self.txt_file).is_file():
            raise UserError(f"--txt_file: '{self.txt_file}' is not a file; give a book, or leave --txt_file out")
        if bool(self.paths) == bool(self.submissions):
            raise UserError("give the PATHS of one assignment or --submissions DIR, one of them (see --help)")
        if (self.out_dir is not None or self.launcher != "local") and not self.submissions:
            raise UserError(f"--{'out_dir' if self.out_dir is not None else 'launcher'} goes with --submissions; one "
                            f"assignment is checked here and its results printed")


def submissions(config, pool):
    """Check the folder of --submissions, here or on SLURM; the records of every submission."""
    folder = Path(config.submissions)
    if not folder.is_dir():
        raise UserError(f"--submissions: '{folder}' is not a folder; give the folder that holds one subfolder per "
                        f"submission")
    slurm = None
    if config.launcher == "slurm":
        if shutil.which("sbatch") is None:
            raise UserError("--launcher slurm: SLURM's sbatch not found on this machine; run on the cluster's login "
                            "node, or check here with --launcher local")
        slurm = dict(partition=config.slurm_partition, timeout_min=config.slurm_time,
                     array_limit=config.slurm_array_limit)
    with output_folders((config.out_dir or "results/check", "--out_dir")) as (out_dir,):
        records = check_submissions(folder, out_dir, pool, limits_of(config), slurm, config.quiet, say)
    say(f"Wrote {out_dir / 'checks.csv'}: a row per submission ({len(records)}); every result is in "
        f"{out_dir / 'checks.jsonl'}")
    return records


def limits_of(config):
    return dict(seed=config.seed, time_limit=config.time_limit, memory_limit=config.memory_limit,
                book=config.txt_file)


def say(message):
    """What the checker tells besides the results: on stderr, so that --json's output stays pure."""
    print(message, file=sys.stderr)


def main(argv=None):
    config = parse_into(CheckConfig, argv, "python -m check_assignment", __doc__.split("\n\n")[0])
    with ThreadPoolExecutor(config.jobs or cores()) as pool:
        if config.submissions:
            found = submissions(config, pool)
            results = [r for record in found for r in record["results"]]
        else:
            found = results = check_paths(config.paths, pool, **limits_of(config))
    if config.json:
        print(json.dumps(found, indent=1))
    elif not config.submissions:
        print("\n".join(lines_of(results)))
    counts = {status: sum(r["status"] == status for r in results) for status in ("pass", "fail", "warn", "skip")}
    say(", ".join(f"{n} {status}" for status, n in counts.items() if n))
    if counts["fail"]:
        sys.exit(1)


if __name__ == "__main__":
    run_main(main, "python -m check_assignment")
