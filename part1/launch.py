"""The sweep's runs as submitit jobs: SLURM job arrays on a cluster, or subprocesses with the local executor.

A job trains one run, or the seeds of one model and length together. It writes each run's record to a file of
its own as the run finishes; the launching process is the only writer of runs.jsonl, so no line is lost or
interleaved. Records of jobs whose launcher was interrupted are picked up on the
next launch, finished runs are skipped and failed ones submitted again.
"""
import hashlib
import json
from pathlib import Path

from tqdm import tqdm

from common.cli import UserError
from common.files import append_jsonl, atomic_write_text
from part1.sweep import finished_runs, run_key, seed_groups
from part1.train import train_together


def record_path(jobs_dir, config):
    """Where the job of `config` leaves its record."""
    digest = hashlib.sha256(run_key(vars(config)).encode()).hexdigest()[:20]
    return Path(jobs_dir) / "records" / f"{digest}.json"


def train_and_save(configs, paths):
    """One job: train the runs together, leaving each record at its path, atomically, as the run finishes."""
    path_of = {config.seed: Path(path) for config, path in zip(configs, paths)}

    def save(record):
        path = path_of[record["seed"]]
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(record, sort_keys=True))

    return [record for record, _ in train_together(configs, on_record=save)]


def adopt_finished_jobs(configs, jobs_dir, runs_path, done):
    """Append to runs.jsonl the records that jobs finished after their launcher stopped."""
    for config in configs:
        key, path = run_key(vars(config)), record_path(jobs_dir, config)
        if key not in done and path.exists():
            done[key] = json.loads(path.read_text(encoding="utf-8"))
            append_jsonl(runs_path, done[key])


def run_sweep_submitit(configs, runs_path, cluster="slurm", partition=None, timeout_min=60, gpus_per_job=0,
                       array_limit=16, poll_seconds=10, seeds_together=False):
    """Like sweep.run_sweep, with each missing run (seeds_together: each missing group of seeds) a submitit job;
    returns all records or raises a UserError."""
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
        groups = seed_groups(todo, seeds_together)
        jobs = executor.map_array(train_and_save, groups, [[record_path(jobs_dir, c) for c in g] for g in groups])
        tqdm.write(f"submitted {len(jobs)} job(s) for {len(todo)} run(s) to {executor.cluster}; "
                   f"job files in {jobs_dir}")
        group_of = {job.job_id: group for job, group in zip(jobs, groups)}
        failed = 0
        bar = tqdm(total=len(todo), desc="sweep", unit="run", dynamic_ncols=True)
        for job in submitit.helpers.as_completed(jobs, poll_frequency=poll_seconds):
            group = group_of[job.job_id]
            try:
                records = job.result()
            except Exception as e:  # the job's own error, or the scheduler's: reported, then resubmitted next time
                adopt_finished_jobs(group, jobs_dir, runs_path, done)  # the seeds that finished before it failed
                missing = [c for c in group if run_key(vars(c)) not in done]
                failed += len(missing)
                bar.update(len(group) - len(missing))
                seeds = " ".join(str(c.seed) for c in missing)
                tqdm.write(f"run(s) {group[0].model_type} length {group[0].input_length} seed(s) {seeds} failed "
                           f"(job {job.job_id}): {str(e).strip().splitlines()[-1] if str(e).strip() else e!r}")
                continue
            for config, record in zip(group, records):
                append_jsonl(runs_path, record)
                done[run_key(vars(config))] = record
            bar.update(len(group))
        bar.close()
        if failed:
            raise UserError(f"{failed} of {len(todo)} runs failed (logs in {jobs_dir}); finished runs are in "
                            f"{runs_path}; run the same command again to resubmit the failed ones")
    return [done[run_key(vars(c))] for c in configs]
