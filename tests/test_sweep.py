"""start1.py: presets, resuming an interrupted sweep, --replot, --dry-run and bad input."""
import collections
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import start1
from part1.presets import PRESETS, REPORT_ACCURACY, plan
from part1.records import read_losses
from part1.sweep import executors, run as sweep
from part1.sweep.summary import markdown_table, plot_losses, summarize
from tests.helpers import REPO, assert_one_line_error, run_cli

TINY = ["--models", "RNN", "LSTM", "--lengths", "2", "3", "--seeds", "1", "--steps", "30"]


def test_paper_preset_is_the_reports_grid():
    configs = plan("paper")
    assert len(configs) == 9 * 4 * 2
    assert {c.input_length for c in configs} == {5, 10, 15, 20, 25, 30, 50, 100, 150}
    assert {c.seed for c in configs} == {42, 43, 44, 45}
    by_key = {(c.model_type, c.input_length, c.seed): c for c in configs}
    expected_min_steps = {("RNN", 15): 1000, ("RNN", 20): 3000, ("RNN", 25): 3000, ("RNN", 30): 6500,
                          ("LSTM", 5): 1500, ("LSTM", 20): 5000, ("LSTM", 30): 6500, ("LSTM", 150): 6500}
    for (model_type, length), min_steps in expected_min_steps.items():
        assert by_key[model_type, length, 42].min_steps == min_steps
    for c in configs:
        assert c.learning_rate == (1e-3 if c.input_length <= 15 else 1e-4)
        assert (c.train_steps, c.batch_size, c.num_hidden, c.input_dim, c.forget_bias, c.eval_size,
                c.optimizer) == (10000, 128, 128, 10, 1.0, 8192, "rmsprop")
        assert (c.init, c.max_norm, c.conv_eps) == ("xavier_normal", None, 5e-4)  # what the report's code did


def test_overrides_replace_the_preset_grid():
    configs = plan("quick", models=["LSTM"], lengths=[7], seeds=[1, 2], steps=50)
    assert [(c.model_type, c.input_length, c.seed, c.train_steps) for c in configs] == [
        ("LSTM", 7, 1, 50), ("LSTM", 7, 2, 50)]
    assert len(plan("quick")) == len(PRESETS["quick"].lengths) * len(PRESETS["quick"].seeds) * 2


def test_summary_mean_and_std_over_seeds():
    records = [{"model_type": "RNN", "input_length": 5, "seed": s, "test_accuracy": a, "steps": 100,
                "converged": True} for s, a in [(1, 0.5), (2, 1.0), (3, 0.75)]]
    (row,) = summarize(records)
    assert row["runs"] == 3 and row["accuracy_mean"] == pytest.approx(0.75)
    assert row["accuracy_std"] == pytest.approx((1 / 24) ** 0.5)  # population std, the report's np.std: not 0.25


def test_markdown_table_puts_the_reports_row_under_each_model():
    records = [{"model_type": m, "input_length": n, "seed": 1, "test_accuracy": a, "steps": 1, "converged": True}
               for m, n, a in [("RNN", 5, 1.0), ("RNN", 10, 0.5), ("LSTM", 10, 0.25)]]
    table = markdown_table(summarize(records), {("RNN", 10): (0.9, 0.1)})
    assert table == ("| input length | 5 | 10 |\n|---|---|---|\n"
                     "| RNN | 1.0000 ± 0.0000 | 0.5000 ± 0.0000 |\n"
                     "| RNN, report |  | 0.9000 ± 0.1000 |\n"
                     "| LSTM |  | 0.2500 ± 0.0000 |\n")


def test_sweep_writes_results_summary_and_figure(tmp_path):
    result = run_cli("start1.py", *TINY, "--out_dir", tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert sorted((r["model_type"], r["input_length"]) for r in records) == [
        ("LSTM", 2), ("LSTM", 3), ("RNN", 2), ("RNN", 3)]
    summary = (tmp_path / "quick_summary.csv").read_text().splitlines()
    assert summary[0].startswith("model_type,input_length,runs,seeds,accuracy_mean,accuracy_std")
    assert len(summary) == 5
    assert (tmp_path / "quick_accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "quick_loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for r in records:  # every step's loss, whose last 100 average to the record's train_loss
        losses = read_losses(tmp_path, r)
        assert r["loss_curve"].startswith("curves/") and len(losses) == r["steps"] == 30
        assert sum(losses) / len(losses) == pytest.approx(r["train_loss"], rel=1e-5)
        assert losses[0] > 1.5  # the untrained model's loss is near ln 10 = 2.3


def test_report_has_a_value_for_every_run_of_the_paper_preset():
    assert {(c.model_type, c.input_length) for c in plan("paper")} == set(REPORT_ACCURACY)
    assert REPORT_ACCURACY["RNN", 100] == (0.3250, 0.3896) and REPORT_ACCURACY["LSTM", 150] == (0.3279, 0.3880)


def test_paper_summary_prints_the_reports_value_beside_ours(tmp_path):
    result = run_cli("start1.py", "--preset", "paper", "--models", "RNN", "--lengths", "20", "--seeds", "42",
                     "--steps", "20", "--out_dir", tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.split()[:1] == ["model"])
    (row,) = [line for line in lines if "±" in line]
    assert header.split()[-1] == "report"
    assert row.split()[:3] == ["RNN", "20", "1"] and row.split()[-3:] == ["0.9998", "±", "0.0004"]
    assert (tmp_path / "paper_accuracy.png").read_bytes()[:4] == b"\x89PNG"
    assert "| RNN, report | 0.9998 ± 0.0004 |" in (tmp_path / "paper_table.md").read_text(encoding="utf-8")


def test_dry_run_trains_each_model_briefly_and_keeps_nothing(tmp_path):
    result = run_cli("start1.py", "--dry-run", "--lengths", "4", "9", "--out_dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "RNN input length   4 seed 42: test accuracy" in result.stdout
    assert "LSTM input length   4 seed 42: test accuracy" in result.stdout and "after 3 steps" in result.stdout
    assert "input length   9" not in result.stdout  # the first length only
    assert "Dry run done; nothing was kept." in result.stdout
    assert "Wrote" not in result.stdout  # no path into the deleted folder
    assert not (tmp_path / "out").exists()


def test_interrupted_sweep_resumes_without_rerunning_finished_runs(tmp_path, monkeypatch):
    args = ["--models", "LSTM", "--lengths", "3", "--seeds", "1", "2", "3", "--steps", "400",
            "--out_dir", str(tmp_path)]
    runs = tmp_path / "runs.jsonl"
    # A suite started in the background inherits an ignored SIGINT; Ctrl-C's default must apply to the sweep.
    process = subprocess.Popen([sys.executable, "start1.py", *args], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while not (runs.exists() and runs.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    finished = runs.read_text().splitlines()
    assert 1 <= len(finished) < 3

    trained = []
    real_train = executors.train_group

    def counting_train(configs, *args, **kwargs):
        trained.extend(config.seed for config in configs)
        return real_train(configs, *args, **kwargs)

    monkeypatch.setattr(executors, "train_group", counting_train)
    start1.main([*args, "--jobs", "1"])  # in this process, where the counting train() is
    lines = runs.read_text().splitlines()
    assert lines[:len(finished)] == finished  # nothing finished is lost or rewritten
    assert len(lines) == 3 and len(trained) == 3 - len(finished)
    assert sorted(json.loads(line)["seed"] for line in lines) == [1, 2, 3]
    assert all(len(read_losses(tmp_path, json.loads(line))) == 400 for line in lines)


def test_replot_redraws_without_training(tmp_path, monkeypatch):
    assert run_cli("start1.py", *TINY, "--out_dir", tmp_path).returncode == 0
    for name in ("quick_accuracy.png", "quick_summary.csv", "quick_loss.png"):
        (tmp_path / name).unlink()

    def no_training(configs, *args, **kwargs):
        raise AssertionError("--replot must not train")

    monkeypatch.setattr(executors, "train_group", no_training)
    start1.main([*TINY, "--out_dir", str(tmp_path), "--replot"])
    for name in ("quick_accuracy.png", "quick_summary.csv", "quick_loss.png"):
        assert (tmp_path / name).exists()
    start1.main([*TINY, "--out_dir", str(tmp_path), "--jobs", "1"])  # a finished sweep trains nothing either


def test_replot_without_results_gives_one_line(tmp_path):
    result = run_cli("start1.py", *TINY, "--out_dir", tmp_path, "--replot")
    assert_one_line_error(result, "no finished run", "without --replot")


@pytest.mark.parametrize("args, fragments", [
    (["--models", "GRU"], ["invalid choice: 'GRU'"]),
    (["--lengths", "5", "0"], ["--lengths must be at least 1, got 0"]),
    (["--steps", "0"], ["--steps must be at least 1"]),
    (["--preset", "huge"], ["invalid choice: 'huge'"]),
    (["--init", "kaiming"], ["--init", "'kaiming'", "xavier_normal", "uniform"]),
    (["--max_norm", "-1"], ["--max_norm", "positive number or 'off'"]),
])
def test_bad_options_give_one_line(args, fragments, tmp_path):
    result = run_cli("start1.py", *args, "--out_dir", tmp_path)
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "runs.jsonl").exists()


def test_missing_cuda_device_gives_one_line(tmp_path, missing_cuda_device):
    result = run_cli("start1.py", *TINY, "--device", missing_cuda_device, "--out_dir", tmp_path)
    assert_one_line_error(result, missing_cuda_device)


def test_unwritable_out_dir_gives_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert_one_line_error(run_cli("start1.py", *TINY, "--out_dir", blocker / "sub"), "cannot write")


def test_corrupt_results_line_gives_one_line_and_keeps_the_file(tmp_path):
    one_run = ["--models", "RNN", "--lengths", "2", "--seeds", "1", "--steps", "5", "--out_dir", tmp_path]
    assert run_cli("start1.py", *one_run).returncode == 0
    runs = tmp_path / "runs.jsonl"
    damaged = runs.read_text() + '{"model_type": "RNN", "input_le\n'
    runs.write_text(damaged)
    result = run_cli("start1.py", *TINY, "--out_dir", tmp_path)
    assert_one_line_error(result, "line 2 of", "runs.jsonl")
    assert runs.read_text() == damaged


def test_parallel_jobs_and_seeds_together_give_the_same_results_as_one_at_a_time(tmp_path):
    grid = ["--models", "RNN", "LSTM", "--lengths", "3", "6", "--seeds", "1", "2", "--steps", "60"]
    ways = {"one": ["--jobs", "1", "--seeds_together", "off"], "parallel": ["--jobs", "2", "--seeds_together", "off"],
            "together": ["--jobs", "2", "--seeds_together", "on"]}
    records = {}
    for name, options in ways.items():
        result = run_cli("start1.py", *grid, *options, "--out_dir", tmp_path / name)
        assert result.returncode == 0, result.stderr
        for line in (tmp_path / name / "runs.jsonl").read_text().splitlines():
            r = json.loads(line)
            assert r["seeds_together"] == (2 if name == "together" else 1)
            records.setdefault((r["model_type"], r["input_length"], r["seed"]), []).append(
                (r["steps"], r["train_loss"], r["test_loss"], r["test_accuracy"], r["config"]["num_threads"],
                 read_losses(tmp_path / name, r)))
    assert len(records) == 8
    for results in records.values():
        assert len(results) == 3 and results[0] == results[1] == results[2]


def test_seed_groups_differ_only_in_their_seed():
    configs = plan("quick", models=["RNN", "LSTM"], lengths=[5, 10], seeds=[1, 2, 3])
    groups = sweep.seed_groups(configs)
    assert [(g[0].model_type, g[0].input_length) for g in groups] == [("RNN", 5), ("RNN", 10), ("LSTM", 5),
                                                                      ("LSTM", 10)]
    assert all([c.seed for c in g] == [1, 2, 3] for g in groups)
    assert sweep.seed_groups(configs, together=False) == [[c] for c in configs]


def test_loss_curves_missing_on_disk_are_left_out_of_the_figure(tmp_path, capsys):
    result = run_cli("start1.py", "--models", "RNN", "--lengths", "2", "--seeds", "1", "2", "--steps", "20",
                     "--out_dir", tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    (tmp_path / records[0]["loss_curve"]).unlink()
    assert read_losses(tmp_path, records[0]) is None and len(read_losses(tmp_path, records[1])) == 20
    assert plot_losses(records, tmp_path, tmp_path / "loss.png", "t") == tmp_path / "loss.png"
    assert "1 of 2 runs have no loss curve" in capsys.readouterr().out
    (tmp_path / records[1]["loss_curve"]).unlink()
    assert plot_losses(records, tmp_path, tmp_path / "none.png", "t") is None
    assert not (tmp_path / "none.png").exists()


def test_a_local_sweep_resolves_its_device_and_checks_each_folder_once(tmp_path, monkeypatch):
    """However many runs: one device resolution, one memory check per run, one check of the output folder."""
    calls = collections.Counter()

    def counted(name, real):
        def spy(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return spy

    for module in [m for n, m in list(sys.modules.items()) if n.split(".")[0] in ("part1", "uvadl2019")]:
        for name in ("resolve_device", "check_fits", "ensure_writable_dir"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counted(name, getattr(module, name)))
    start1.main(["--models", "RNN", "LSTM", "--lengths", "2", "--seeds", "1", "2", "--steps", "2", "--jobs", "1",
                 "--device", "cpu", "--out_dir", str(tmp_path)])
    assert len((tmp_path / "runs.jsonl").read_text().splitlines()) == 4
    assert calls == {"resolve_device": 1, "check_fits": 4, "ensure_writable_dir": 1}


def test_a_terminal_that_cannot_show_plus_minus_still_gets_the_summary(tmp_path):
    """PYTHONIOENCODING=ascii: the table's "±" is escaped, not a traceback after the files are written."""
    args = [sys.executable, "start1.py", "--models", "RNN", "--lengths", "2", "--seeds", "1", "2", "--steps", "5",
            "--jobs", "1", "--out_dir", str(tmp_path)]
    result = subprocess.run(args, cwd=REPO, capture_output=True, env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    assert b"\\xb1" in result.stdout
