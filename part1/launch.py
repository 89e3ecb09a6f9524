"""The sweep's runs as submitit jobs: SLURM job arrays on a cluster, or subprocesses with the local executor.

Each job writes its record to a file of its own; the launching process is the only writer of runs.jsonl,
so no line is lost or interleaved. Records of jobs whose launcher was interrupted are picked up on the
next launch, finished runs are skipped and failed ones submitted again.
"""
import hashlib
import json
from pathlib import Path

from tqdm import tqdm

from common.cli import UserError
from common.files import append_jsonl, atomic_write_text
from part1.sweep import finished_runs, run_key
from part1.train import train


def record_path(jobs_dir, config):
    """Where the job of `config` leaves its record."""
    digest = hashlib.sha256(run_key(vars(config)).encode()).hexdigest()[:20]
    return Path(jobs_dir) / "records" / f"{digest}.json"


def train_and_save(config, path):
    """One job: train the run and leave its record at `path`, atomically."""
    record = train(config)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(record, sort_keys=True))
    return record


def adopt_finished_jobs(configs, jobs_dir, runs_path, done):
    """Append to runs.jsonl the records that jobs finished after their launcher stopped."""
    for config in configs:
        key, path = run_key(vars(config)), record_path(jobs_dir, config)
        if key not in done and path.exists():
            done[key] = json.loads(path.read_text(encoding="utf-8"))
            append_jsonl(runs_path, done[key])


def run_sweep_submitit(configs, runs_path, cluster="slurm", partition=None, timeout_min=60, gpus_per_job=0,
                       array_limit=16, poll_seconds=10):
    """Like sweep.run_sweep, with each missing run a submitit job; returns all records or raises a UserError."""
    import submitit  # only the cluster launchers need it

    runs_path = Path(runs_path)
    jobs_dir = runs_path.parent / "jobs"
    done = finished_runs(runs_path)
    adopt_finished_jobs(configs, jobs_dir, runs_path, done)
    todo = [c for c in configs if run_key(vars(c)) not in done]
    if todo:
        executor = submitit.AutoExecutor(folder=jobs_dir / "%j", cluster=cluster)
        executor.update_parameters(name="start1", timeout_min=timeout_min, gpus_per_node=gpus_per_job,
                                   slurm_array_parallelism=array_limit)
        if partition:
            executor.update_parameters(slurm_partition=partition)
        jobs = executor.map_array(train_and_save, todo, [record_path(jobs_dir, c) for c in todo])
        tqdm.write(f"submitted {len(jobs)} run(s) to {executor.cluster}; job files in {jobs_dir}")
        config_of = {job.job_id: config for job, config in zip(jobs, todo)}
        failed = 0
        for job in tqdm(submitit.helpers.as_completed(jobs, poll_frequency=poll_seconds), total=len(jobs),
                        desc="sweep", unit="run", dynamic_ncols=True):
            config = config_of[job.job_id]
            try:
                record = job.result()
            except Exception as e:  # the job's own error, or the scheduler's: reported, then resubmitted next time
                failed += 1
                tqdm.write(f"run {config.model_type} length {config.input_length} seed {config.seed} failed "
                           f"(job {job.job_id}): {str(e).strip().splitlines()[-1] if str(e).strip() else e!r}")
                continue
            append_jsonl(runs_path, record)
            done[run_key(vars(config))] = record
        if failed:
            raise UserError(f"{failed} of {len(todo)} runs failed (logs in {jobs_dir}); finished runs are in "
                            f"{runs_path}; run the same command again to resubmit the failed ones")
    return [done[run_key(vars(c))] for c in configs]
