"""part2.train, part2.generate and start2.py: checkpoints, resuming, learning, and bad input."""
import json
from contextlib import ExitStack

import pytest
import torch
import torch.nn.functional as F

from uvadl2019.environment import environment
from part2 import train as part2_train
from part2.config import parse_config
from part2.longrun.checkpoint import load_checkpoint
from tests.helpers import TINY, assert_one_line_error, run_cli


def run(book, out_dir, *extra):
    part2_train.main(["--txt_file", str(book), "--out_dir", str(out_dir), *TINY, *extra])


def test_checkpoint_round_trip_and_generation_on_cpu(book, tmp_path):
    run(book, tmp_path / "run", "--train_steps", "12")
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")  # weights_only=True inside
    assert state["step"] == 12 and state["vocabulary"] == "".join(sorted(set(book.read_text())))
    assert state["config"]["lstm_num_hidden"] == 16
    lines = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert lines[0] == "step,loss,accuracy,learning_rate,val_loss,val_accuracy"
    assert [line.split(",")[0] for line in lines[1:]] == ["5", "10", "12"] and lines[2].split(",")[4]
    assert lines[3].split(",")[4]  # the last step, logged and validated whatever --print_every
    samples = (tmp_path / "run" / "samples_over_training.txt").read_text().splitlines()
    assert samples[0] == "=== step 10 ===" and len(samples) == 17
    assert (tmp_path / "run" / "training.png").read_bytes()[:4] == b"\x89PNG"

    result = run_cli("-m", "part2.generate", "--checkpoint", tmp_path / "run" / "checkpoint.pt",
                     "--prompt", "the people", "--length", "50", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("the people") and len(result.stdout.rstrip("\n")) >= 60
    tau = run_cli("-m", "part2.generate", "--checkpoint", tmp_path / "run" / "checkpoint.pt", "--tau", "2",
                  "--length", "30", "--device", "cpu")
    temperature = run_cli("-m", "part2.generate", "--checkpoint", tmp_path / "run" / "checkpoint.pt",
                          "--temperature", "0.5", "--length", "30", "--device", "cpu")
    assert tau.returncode == 0 and tau.stdout == temperature.stdout  # temperature is 1 / tau


def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(book, tmp_path, monkeypatch):
    options = ["--train_steps", "30", "--dropout_keep_prob", "0.8", "--lstm_num_layers", "2"]
    run(book, tmp_path / "whole", *options)

    real_write_samples = part2_train.write_samples

    def interrupt_at_step_20(*args):
        if args[3] == 20:
            raise KeyboardInterrupt
        real_write_samples(*args)

    monkeypatch.setattr(part2_train, "write_samples", interrupt_at_step_20)
    with pytest.raises(KeyboardInterrupt):
        run(book, tmp_path / "cut", *options)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["step"] == 10
    monkeypatch.setattr(part2_train, "write_samples", real_write_samples)
    run(book, tmp_path / "cut", *options, "--resume")

    whole = load_checkpoint(tmp_path / "whole" / "checkpoint.pt")
    resumed = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    assert resumed["step"] == whole["step"] == 30
    for name, tensor in whole["model"].items():
        assert torch.equal(tensor, resumed["model"][name]), name
    for name in ("metrics.csv", "samples_over_training.txt"):
        assert (tmp_path / "cut" / name).read_text() == (tmp_path / "whole" / name).read_text(), name


def test_checkpoint_and_sessions_record_what_ran_the_run(book, tmp_path):
    run(book, tmp_path, "--train_steps", "4")
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["environment"] == environment() and state["environment"]["torch"] == torch.__version__
    del state["environment"]  # as a checkpoint of older code: it still resumes
    torch.save(state, tmp_path / "checkpoint.pt")
    run(book, tmp_path, "--train_steps", "6", "--resume")
    sessions = [json.loads(line) for line in (tmp_path / "sessions.jsonl").read_text().splitlines()]
    assert [s["step"] for s in sessions] == [0, 4]
    assert all(s.items() >= environment().items() for s in sessions)
    assert load_checkpoint(tmp_path / "checkpoint.pt")["environment"] == environment()


def test_short_training_on_the_course_book_lowers_the_loss(democracy, tmp_path):
    run_args = ["--txt_file", str(democracy), "--out_dir", str(tmp_path), "--train_steps", "300",
                "--print_every", "10", "--sample_every", "300", "--eval_every", "300", "--lstm_num_hidden", "64"]
    part2_train.main(run_args)
    rows = [line.split(",") for line in (tmp_path / "metrics.csv").read_text().splitlines()[1:]]
    first, last = float(rows[0][1]), float(rows[-1][1])
    assert first > 3.0 and last < 2.5  # from near-uniform over 83 symbols to word-like statistics
    assert float(rows[-1][4]) < 2.6  # and on the held-out tail too


def test_max_norm_off_leaves_the_gradients_the_optimizer_sees_unclipped(book, tmp_path):
    """The paper preset's setting: the report's code never clipped part 2's gradients."""
    config = parse_config(["--txt_file", str(book), "--out_dir", str(tmp_path), *TINY, "--max_norm", "off",
                           "--device", "cpu"])
    with ExitStack() as held:
        run = part2_train.set_up(config, tmp_path, tmp_path, None, held)
    inputs, targets = run.dataset.batch(config.batch_size)
    reference = part2_train.make_model(config, run.dataset.vocab_size, "cpu")
    reference.load_state_dict(run.model.state_dict())  # the initial weights, before the step changes them
    part2_train.train_step(run, inputs, targets)
    seen = [p.grad for p in run.model.parameters()]  # what optimizer.step() used

    logits, _ = reference(inputs)
    F.cross_entropy(logits.flatten(0, 1), targets.flatten()).backward()
    unclipped = [p.grad for p in reference.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(seen, unclipped))
    norm = torch.linalg.vector_norm(torch.cat([g.flatten() for g in unclipped]))
    assert norm > 0.01  # so clipping at 0.01 would have changed them


def test_fresh_run_refuses_to_overwrite_a_checkpoint(book, tmp_path):
    run(book, tmp_path, "--train_steps", "10")
    before = (tmp_path / "checkpoint.pt").read_bytes()
    result = run_cli("-m", "part2.train", "--txt_file", book, "--out_dir", tmp_path, *TINY, "--train_steps", "10")
    assert_one_line_error(result, "already holds a run", "--resume")
    assert (tmp_path / "checkpoint.pt").read_bytes() == before


def test_resume_with_another_book_gives_one_line(book, tmp_path):
    run(book, tmp_path, "--train_steps", "10")
    other = tmp_path / "other.txt"
    other.write_text("completely different letters: xyz! " * 50)
    result = run_cli("-m", "part2.train", "--txt_file", other, "--out_dir", tmp_path, *TINY,
                     "--train_steps", "20", "--resume")
    assert_one_line_error(result, "another vocabulary")


def test_resume_with_another_model_size_gives_one_line(book, tmp_path):
    run(book, tmp_path, "--train_steps", "10")
    args = ["--txt_file", book, "--out_dir", tmp_path, *TINY, "--lstm_num_hidden", "32", "--resume"]
    assert_one_line_error(run_cli("-m", "part2.train", *args), "--lstm_num_hidden is 32")


def test_resume_on_another_kind_of_device_gives_one_line(book, tmp_path):
    """A checkpoint holds its device's random states (CUDA's or MPS's dropout masks): resumed on the same kind."""
    run(book, tmp_path, "--train_steps", "10", "--device", "cpu")
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert state["rng"][0]["device_type"] == "cpu" and state["rng"][0]["device"] is None
    state["rng"][0]["device_type"] = "mps"  # as if written on an Apple GPU
    torch.save(state, tmp_path / "checkpoint.pt")
    result = run_cli("-m", "part2.train", "--txt_file", book, "--out_dir", tmp_path, *TINY, "--train_steps", "20",
                     "--resume", "--device", "cpu")
    assert_one_line_error(result, "run on mps, not cpu", "--device mps")


@pytest.mark.parametrize("content, fragments", [
    (None, ["not found", "--txt_file"]),
    ("", ["is empty"]),
    ("abc", ["fewer than seq_length + 2"]),
])
def test_bad_text_files_give_one_line(content, fragments, tmp_path):
    path = tmp_path / "book.txt"
    if content is not None:
        path.write_text(content)
    result = run_cli("-m", "part2.train", "--txt_file", path, "--out_dir", tmp_path / "out", "--train_steps", "1")
    assert_one_line_error(result, *fragments)


def test_generate_bad_input_gives_one_line(book, tmp_path):
    run(book, tmp_path, "--train_steps", "10")
    checkpoint = tmp_path / "checkpoint.pt"
    cases = [
        (["--prompt", "Zürich"], ["not in the book's vocabulary", "'Z"]),
        (["--tau", "0"], ["--tau must be positive"]),
        (["--temperature", "-1"], ["--temperature must be positive"]),
        (["--beam_width", "0"], ["--beam_width must be a whole number of at least 1, got 0"]),
    ]
    for args, fragments in cases:
        assert_one_line_error(run_cli("-m", "part2.generate", "--checkpoint", checkpoint, *args), *fragments)
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(checkpoint.read_bytes()[:1000])
    assert_one_line_error(run_cli("-m", "part2.generate", "--checkpoint", damaged), "cannot be read")
    assert_one_line_error(run_cli("-m", "part2.generate", "--checkpoint", tmp_path / "none.pt"), "does not exist")


def test_start2_dry_run(book):
    result = run_cli("start2.py", "--txt_file", book, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "=== step 3 ===" in result.stdout and "nothing was kept" in result.stdout


def torchrun(*args):
    return run_cli("-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "part2.train",
                   *map(str, args))


def test_two_processes_with_gloo_stay_in_sync_learn_and_resume_exactly(book, tmp_path):
    options = ["--txt_file", book, *TINY, "--checkpoint_every", "20", "--dropout_keep_prob", "0.8",
               "--device", "cpu"]
    whole = torchrun(*options, "--out_dir", tmp_path / "whole", "--train_steps", "40", "--tensorboard", tmp_path / "tb")
    assert whole.returncode == 0, whole.stderr
    assert "step 40: parameters identical on all 2 processes" in whole.stdout
    assert len(list((tmp_path / "tb").glob("events.out.tfevents.*"))) == 1  # process 0 alone writes events
    rows = [line.split(",") for line in (tmp_path / "whole" / "metrics.csv").read_text().splitlines()[1:]]
    assert [int(r[0]) for r in rows] == list(range(5, 41, 5))  # one writer: each row once
    assert float(rows[-1][1]) < float(rows[0][1]) - 0.2

    first = torchrun(*options, "--out_dir", tmp_path / "cut", "--train_steps", "20")
    resumed = torchrun(*options, "--out_dir", tmp_path / "cut", "--train_steps", "40", "--resume")
    assert first.returncode == 0 and resumed.returncode == 0, resumed.stderr
    a = load_checkpoint(tmp_path / "whole" / "checkpoint.pt")
    b = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    assert len(a["rng"]) == 2 and b["step"] == 40
    for name, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][name]), name
    assert (tmp_path / "cut" / "metrics.csv").read_text() == (tmp_path / "whole" / "metrics.csv").read_text()

    single = run_cli("-m", "part2.train", *map(str, options), "--out_dir", tmp_path / "cut", "--train_steps",
                     "60", "--resume")
    assert_one_line_error(single, "written by a run on 2 process(es)")


def test_a_short_run_logs_and_validates_its_last_step_and_says_what_next(book, tmp_path, capsys):
    part2_train.main(["--txt_file", str(book), "--out_dir", str(tmp_path), *TINY, "--train_steps", "3",
                      "--print_every", "50", "--eval_every", "1000", "--device", "cpu"])
    last = (tmp_path / "metrics.csv").read_text().splitlines()[-1].split(",")
    assert last[0] == "3" and last[4] and last[5]  # step 3, with its held-out loss and accuracy
    out = capsys.readouterr().out
    assert "Nothing to do" not in out and "Done training: step 3, training batch loss" in out
    assert "held-out loss" in out and f"Next: python -m part2.generate --checkpoint {tmp_path / 'checkpoint.pt'}" in out
