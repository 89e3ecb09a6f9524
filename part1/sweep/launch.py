"""Work as submitit jobs: SLURM job arrays on a cluster, or subprocesses with the local executor. The sweep's runs
by default; any items with a key() and a job function (the checker's submissions) likewise.

A job trains one run, or the seeds of one model and length together. It writes each run's record to a file of
its own as the run finishes; the launching process is the only writer of runs.jsonl, so no line is lost or
interleaved. Records of jobs whose launcher was interrupted are picked up on the next launch; failed runs are
submitted again.
"""
import json
from pathlib import Path

from tqdm import tqdm

from uvadl2019.checks import UserError
from uvadl2019.files import atomic_write_text
from part1.config import digest_of
from part1.sweep.together import train_group


def record_path(jobs_dir, item):
    """Where the job of `item` (a config, or anything with a key()) leaves its record."""
    return Path(jobs_dir) / "records" / f"{digest_of(item.key())}.json"


def train_and_save(configs, paths):
    """One job: train the runs together, leaving each record at its path, atomically, as the run finishes."""
    path_of = {config.seed: Path(path) for config, path in zip(configs, paths)}

    def save(record):
        path = path_of[record["seed"]]
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(record, sort_keys=True))

    return train_group(configs, save)


def describe_runs(configs):
    """The runs of a group, for a message."""
    return (f"run(s) {configs[0].model_type} length {configs[0].input_length} seed(s) "
            f"{' '.join(str(c.seed) for c in configs)}")


class SubmititExecutor:
    """Each group a submitit job of a job array; jobs_dir holds the jobs' files and records.

    job(items, record paths): what a job does (default: train the runs); describe(items): the group in a message;
    name: the jobs' name; unit: what an item is called."""

    def __init__(self, jobs_dir, cluster="slurm", partition=None, timeout_min=60, gpus_per_job=0, array_limit=16,
                 poll_seconds=10, job=train_and_save, describe=describe_runs, name="start1", unit="runs"):
        self.jobs_dir = Path(jobs_dir)
        self.cluster, self.partition, self.timeout_min = cluster, partition, timeout_min
        self.gpus_per_job, self.array_limit, self.poll_seconds = gpus_per_job, array_limit, poll_seconds
        self.job, self.describe, self.name, self.unit = job, describe, name, unit

    def adopt(self, group, save):
        """save() the records that jobs of this group finished, also after their launcher stopped; the rest."""
        missing = []
        for config in group:
            path = record_path(self.jobs_dir, config)
            if path.exists():
                save(json.loads(path.read_text(encoding="utf-8")))
            else:
                missing.append(config)
        return missing

    def __call__(self, groups, save):
        groups = [g for g in (self.adopt(group, save) for group in groups) if g]
        if not groups:
            return
        import submitit  # only the cluster launchers need it
        executor = submitit.AutoExecutor(folder=self.jobs_dir / "%j", cluster=self.cluster)
        executor.update_parameters(name=self.name, timeout_min=self.timeout_min, gpus_per_node=self.gpus_per_job,
                                   slurm_array_parallelism=self.array_limit)
        if self.partition:
            executor.update_parameters(slurm_partition=self.partition)
        jobs = executor.map_array(self.job, groups, [[record_path(self.jobs_dir, c) for c in g] for g in groups])
        tqdm.write(f"submitted {len(jobs)} job(s) for {sum(map(len, groups))} {self.unit} to {executor.cluster}; "
                   f"job files in {self.jobs_dir}")
        group_of = {job.job_id: group for job, group in zip(jobs, groups)}
        failed = 0
        for job in submitit.helpers.as_completed(jobs, poll_frequency=self.poll_seconds):
            try:
                job.result()
            except Exception as e:  # the job's own error, or the scheduler's: reported, then resubmitted next time
                missing = self.adopt(group_of[job.job_id], save)  # the seeds that finished before it failed
                if not missing:
                    continue
                failed += len(missing)
                message = str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)
                tqdm.write(f"{self.describe(missing)} failed (job {job.job_id}): {message}")
                continue
            self.adopt(group_of[job.job_id], save)
        if failed:
            raise UserError(f"{failed} of {sum(map(len, groups))} {self.unit} failed (logs in {self.jobs_dir}); "
                            f"finished {self.unit} are kept; run the same command again to resubmit the failed ones")
