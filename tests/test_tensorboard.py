"""--tensorboard: events that TensorBoard's own reader loads, with the expected tags, for part 1 and part 2."""
import json
import sys

import pytest

from uvadl2019.checks import UserError
from uvadl2019.tensorboard import summary_writer
from part1.records import read_losses
from part2 import train as part2_train
from tests.helpers import assert_one_line_error, run_cli

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def events(folder):
    """{tag: [(step, value)]} of the scalars, and {step: text} of the samples, read by TensorBoard's reader."""
    reader = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    reader.Reload()
    tags = reader.Tags()
    scalars = {tag: [(e.step, e.value) for e in reader.Scalars(tag)] for tag in tags["scalars"]}
    texts = {e.step: e.tensor_proto.string_val[0].decode() for tag in tags["tensors"] for e in reader.Tensors(tag)}
    return scalars, texts


def test_part1_run_writes_its_scalars(tmp_path):
    args = ["-m", "part1.train", "--model_type", "LSTM", "--input_length", "4", "--train_steps", "30",
            "--print_every", "10", "--eval_size", "64", "--out_dir", tmp_path / "out", "--tensorboard", tmp_path / "tb"]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    scalars, _ = events(tmp_path / "tb" / "LSTM_T4_seed42")
    assert set(scalars) == {"train/loss", "train/accuracy", "train/learning_rate", "test/loss", "test/accuracy"}
    assert [step for step, _ in scalars["train/loss"]] == [1, 10, 20, 30]
    record = json.loads((tmp_path / "out" / "runs.jsonl").read_text())
    losses = read_losses(tmp_path / "out", record)
    for step, value in scalars["train/loss"]:  # the same losses as the run's curve
        assert value == pytest.approx(losses[step - 1], rel=1e-5)
    assert scalars["test/accuracy"] == [(30, pytest.approx(record["test_accuracy"]))]
    assert [v for _, v in scalars["train/learning_rate"]] == [pytest.approx(1e-3)] * 4


def test_sweep_writes_a_folder_per_run_from_its_workers(tmp_path):
    result = run_cli("start1.py", "--models", "RNN", "--lengths", "2", "--seeds", "1", "2", "--steps", "20",
                     "--jobs", "2", "--out_dir", tmp_path / "out", "--tensorboard", tmp_path / "tb")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "tb").iterdir()) == ["RNN_T2_seed1", "RNN_T2_seed2"]
    scalars, _ = events(tmp_path / "tb" / "RNN_T2_seed2")
    assert [step for step, _ in scalars["train/loss"]] == [1]  # every 100 steps where print_every is 0
    assert [step for step, _ in scalars["test/loss"]] == [20]


def test_part2_writes_scalars_and_samples_and_a_resume_continues_them(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text("the people of america hold the state. " * 200, encoding="utf-8")
    args = ["--txt_file", str(book), "--out_dir", str(tmp_path / "out"), "--tensorboard", str(tmp_path / "tb"),
            "--seq_length", "8", "--lstm_num_hidden", "16", "--batch_size", "8", "--print_every", "5",
            "--sample_every", "10", "--eval_every", "10", "--checkpoint_every", "10", "--device", "cpu"]
    part2_train.main([*args, "--train_steps", "20"])
    part2_train.main([*args, "--train_steps", "30", "--resume"])
    scalars, texts = events(tmp_path / "tb")
    assert set(scalars) == {"train/loss", "train/accuracy", "train/learning_rate", "validation/loss",
                            "validation/accuracy"}
    assert [step for step, _ in scalars["train/loss"]] == [5, 10, 15, 20, 25, 30]
    assert [step for step, _ in scalars["validation/loss"]] == [10, 20, 30]
    metrics = (tmp_path / "out" / "metrics.csv").read_text().splitlines()[1:]
    assert [float(line.split(",")[1]) for line in metrics] == [pytest.approx(v) for _, v in scalars["train/loss"]]
    samples = (tmp_path / "out" / "samples_over_training.txt").read_text().splitlines()
    assert sorted(texts) == [10, 20, 30]
    assert texts[30].split("  \n") == samples[samples.index("=== step 30 ===") + 1:]


@pytest.mark.parametrize("command", [
    ["-m", "part1.train", "--train_steps", "1"],
    ["start1.py", "--steps", "1", "--lengths", "2", "--seeds", "1"],
    ["-m", "part2.train", "--txt_file", "README.md", "--train_steps", "1"],
    ["start2.py", "--txt_file", "README.md", "--train_steps", "1"],
])
def test_unwritable_tensorboard_folder_gives_one_line_and_writes_nothing(command, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    result = run_cli(*command, "--tensorboard", blocker / "tb", "--out_dir", tmp_path / "out")
    assert_one_line_error(result, "cannot write", "--tensorboard")
    assert not (tmp_path / "out").exists()


def test_missing_tensorboard_package_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails as if not installed
    with pytest.raises(UserError, match="pip install tensorboard"):
        summary_writer(tmp_path / "tb")
