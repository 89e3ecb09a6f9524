"""A folder of submissions, one subfolder each: checked here a few at a time, or as a SLURM job array through the
sweep's submitit executor; a submission checked unchanged before (same name, same digest) is not checked again."""
import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from uvadl2019.checks import UserError
from uvadl2019.files import atomic_write_text
from uvadl2019.progress import progress
from check_assignment.check import check_paths
from check_assignment.results import SubmissionStore, digest_of, write_table
from part1.sweep.launch import SubmititExecutor


@dataclass(frozen=True)
class Submission:
    """A submission's folder and the digest of its files."""
    folder: str
    digest: str

    def key(self):
        return f"{self.folder}:{self.digest}"


def results_of(folder, pool=None, **limits):
    """The results of one submission; a folder without the course's files is a failure of its own."""
    try:
        return check_paths([folder], pool, **limits)
    except UserError as e:
        return [{"file": "", "model": "", "check": "loads", "status": "fail", "message": str(e)}]


def check_and_save(submissions, paths, **limits):
    """A cluster job: check each submission, leaving its record at its path, atomically."""
    for submission, path in zip(submissions, paths):
        record = {"submission": Path(submission.folder).name, "digest": submission.digest,
                  "results": results_of(Path(submission.folder), **limits)}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(record))


def check_submissions(folder, out_dir, pool, limits, slurm=None, quiet=False, say=print):
    """Check every subfolder of `folder` not checked unchanged before, here with `pool` or, given `slurm`
    (SubmititExecutor's options), as a job array; write checks.csv; return the records of all subfolders."""
    submissions = sorted(p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith("."))
    store = SubmissionStore(out_dir / "checks.jsonl")
    todo = [Submission(str(s.resolve()), digest_of(s)) for s in submissions if not store.has(s.name, digest_of(s))]
    if len(todo) < len(submissions):
        say(f"{len(submissions) - len(todo)} of {len(submissions)} submissions checked before, unchanged; "
            f"skipping them")
    if slurm is not None:
        executor = SubmititExecutor(out_dir / "jobs", job=partial(check_and_save, **limits), name="check",
                                    unit="submissions", describe=lambda s: f"submission {Path(s[0].folder).name}",
                                    **slurm)
        executor([[s] for s in todo], lambda r: store.add(r["submission"], r["digest"], r["results"]))
    else:
        for s in progress(todo, quiet, desc="submissions", unit="submission"):
            store.add(Path(s.folder).name, s.digest, results_of(Path(s.folder), pool, **limits))
    records = store.latest([s.name for s in submissions])
    write_table(records, out_dir / "checks.csv")
    return records
