"""start1's submitit launcher: through the local executor here, and through SLURM where one runs."""
import json

import pytest

from uvadl2019.checks import UserError
from part1.presets import plan
from part1.sweep.launch import SubmititExecutor, record_path
from part1.sweep.run import run_sweep
from tests.helpers import slurm_node_idle, without_timing

pytest.importorskip("submitit")


def tiny_plan(**overrides):
    return plan("quick", models=["RNN"], lengths=[3], seeds=[1, 2], steps=20, **overrides)


def run_sweep_submitit(configs, runs_path, seeds_together=False, cluster="local", **options):
    """The sweep with every group a submitit job (default: of submitit's local executor)."""
    executor = SubmititExecutor(runs_path.parent / "jobs", cluster, poll_seconds=options.pop("poll_seconds", 0.5),
                                **options)
    return run_sweep(configs, runs_path, executor, seeds_together)


def job_folders(runs_path):
    return {p.name for p in (runs_path.parent / "jobs").iterdir() if p.name not in ("records", "%j")}


def test_local_executor_runs_each_config_as_a_job_and_one_writer_appends(tmp_path):
    runs = tmp_path / "runs.jsonl"
    records = run_sweep_submitit(tiny_plan(device="cpu"), runs)
    lines = [json.loads(line) for line in runs.read_text().splitlines()]
    assert sorted(r["seed"] for r in lines) == [1, 2] and len(records) == 2
    assert [r["seed"] for r in records] == [1, 2]  # in the order of the plan
    submitted = job_folders(runs)
    assert len(submitted) == 2
    again = run_sweep_submitit(tiny_plan(device="cpu"), runs)
    assert again == records and job_folders(runs) == submitted  # nothing submitted twice
    assert len(runs.read_text().splitlines()) == 2


@pytest.mark.parametrize("seeds_together", [False, True])
def test_failed_runs_are_reported_and_resubmitted_finished_ones_are_not(tmp_path, seeds_together):
    runs = tmp_path / "runs.jsonl"
    configs = tiny_plan(device="cpu")
    configs[1] = configs[1].replace(device="cuda:99")  # fails inside its job, whatever the machine; a group of its own
    with pytest.raises(UserError, match="1 of 2 runs failed"):
        run_sweep_submitit(configs, runs, seeds_together=seeds_together)
    assert [json.loads(line)["seed"] for line in runs.read_text().splitlines()] == [1]
    before = job_folders(runs)
    with pytest.raises(UserError, match="1 of 1 runs failed"):
        run_sweep_submitit(configs, runs, seeds_together=seeds_together)
    assert len(job_folders(runs) - before) == 1  # only the failed run went out again


def test_seeds_together_are_one_job_that_leaves_the_records_of_separate_jobs(tmp_path):
    (tmp_path / "alone").mkdir()
    (tmp_path / "together").mkdir()
    alone = run_sweep_submitit(tiny_plan(device="cpu"), tmp_path / "alone" / "runs.jsonl")
    runs = tmp_path / "together" / "runs.jsonl"
    together = run_sweep_submitit(tiny_plan(device="cpu"), runs, seeds_together=True)
    assert len(job_folders(runs)) == 1
    assert [r["seeds_together"] for r in together] == [2, 2]
    assert [without_timing(r) for r in together] == [without_timing(r) for r in alone]
    assert all(record_path(runs.parent / "jobs", config).exists() for config in tiny_plan(device="cpu"))


def test_records_of_jobs_whose_launcher_died_are_adopted(tmp_path):
    runs = tmp_path / "runs.jsonl"
    configs = tiny_plan(device="cpu")
    orphan = {"model_type": "RNN", "input_length": 3, "seed": 1, "steps": 20, "config": configs[0].to_dict(),
              "test_accuracy": 0.5}
    path = record_path(tmp_path / "jobs", configs[0])
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(orphan))
    records = run_sweep_submitit(configs, runs)
    assert records[0] == orphan and len(job_folders(runs)) == 1


@pytest.mark.skipif(not slurm_node_idle(), reason="no SLURM cluster with an idle node here (.ci/slurm-up starts "
                                                  "one); the local-executor tests run the same code path")
def test_tiny_sweep_on_slurm(tmp_path):
    runs = tmp_path / "runs.jsonl"
    records = run_sweep_submitit(tiny_plan(device="cpu"), runs, cluster="slurm", timeout_min=5, poll_seconds=2)
    assert sorted(r["seed"] for r in records) == [1, 2]
    assert len(runs.read_text().splitlines()) == 2
