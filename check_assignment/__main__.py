"""Check a student's implementation against the report's equations: python -m check_assignment PATH [...].

PATH is an assignment folder laid out as the course's (part1/vanilla_rnn.py, part1/lstm.py) or single files.
The student's code runs in a process of its own per file, with a time and a memory limit (memory: Linux only):
code that crashes, hangs, exits or prints is reported as such. Exit code 1 when a check fails.
"""
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from uvadl2019.cli import Config, UserError, check_at_least, check_seeds, cores, option, parse_into, run_main
from uvadl2019.files import output_folders
from uvadl2019.progress import progress
from check_assignment.check import check_paths
from check_assignment.results import SubmissionStore, digest_of, lines_of, write_table


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
    jobs: int = option(None, "files checked at once (default: the CPU cores)", type=int)
    quiet: bool = option(False, "no progress bar")

    def check(self):
        check_at_least(1, time_limit=self.time_limit, memory_limit=self.memory_limit, jobs=self.jobs)
        for name, value, most in (("time_limit", self.time_limit, 7 * 24 * 3600), ("memory_limit", self.memory_limit,
                                                                                 1 << 30)):
            if value > most:
                raise UserError(f"--{name} must be at most {most}, got {value}")
        check_seeds("seed", self.seed)
        if bool(self.paths) == bool(self.submissions):
            raise UserError("give the PATHS of one assignment or --submissions DIR, one of them (see --help)")
        if self.out_dir is not None and not self.submissions:
            raise UserError("--out_dir goes with --submissions; one assignment's results are printed")


def check_submissions(config, pool):
    """Check every subfolder of --submissions not checked unchanged before; the store of all of them."""
    folder = Path(config.submissions)
    if not folder.is_dir():
        raise UserError(f"--submissions: '{folder}' is not a folder; give the folder that holds one subfolder per "
                        f"submission")
    submissions = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    with output_folders((config.out_dir or "results/check", "--out_dir")) as (out_dir,):
        store = SubmissionStore(out_dir / "checks.jsonl")
        todo = [s for s in submissions if not store.has(s.name, digest_of(s))]
        if len(todo) < len(submissions):
            say(f"{len(submissions) - len(todo)} of {len(submissions)} submissions checked before, unchanged; "
                f"skipping them")
        for submission in progress(todo, config.quiet, desc="submissions", unit="submission"):
            try:
                results = check_paths([submission], pool, **limits_of(config))
            except UserError as e:  # a submission without the course's files is a row too
                results = [{"file": "", "model": "", "check": "loads", "status": "fail", "message": str(e)}]
            store.add(submission.name, digest_of(submission), results)
        records = store.latest([s.name for s in submissions])
        write_table(records, out_dir / "checks.csv")
    say(f"Wrote {out_dir / 'checks.csv'}: a row per submission ({len(submissions)}); every result is in "
        f"{out_dir / 'checks.jsonl'}")
    return records


def limits_of(config):
    return dict(seed=config.seed, time_limit=config.time_limit, memory_limit=config.memory_limit)


def say(message):
    """What the checker tells besides the results: on stderr, so that --json's output stays pure."""
    print(message, file=sys.stderr)


def main(argv=None):
    config = parse_into(CheckConfig, argv, "python -m check_assignment", __doc__.split("\n\n")[0])
    with ThreadPoolExecutor(config.jobs or cores()) as pool:
        if config.submissions:
            found = check_submissions(config, pool)
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
