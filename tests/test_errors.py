"""Bad input, through every command's real entry point: exit code 2, one line that names the option and the
problem, no traceback, and no output folder made."""
import json

import pytest
import torch

from uvadl2019.cli import run_main
import start1
import start2
from part1 import grads_over_time, train as part1_train
from part2 import generate, temperature, train as part2_train
from part2.longrun.checkpoint import load_checkpoint
from part2.paper import books, summarize
from part3 import example_graph, karate
from tests.helpers import REPO

COMMANDS = {"part1.train": part1_train.main, "start1.py": start1.main, "grads_over_time": grads_over_time.main,
            "part2.train": part2_train.main, "start2.py": start2.main, "part2.generate": generate.main,
            "part2.temperature": temperature.main, "part3.karate": karate.main,
            "part3.example_graph": example_graph.main, "part2.paper.books": books.main,
            "part2.paper.summarize": summarize.main}
SWEEP = ["--models", "RNN", "--lengths", "2", "--seeds", "1", "--steps", "2"]
BOOK = str(REPO / "README.md")
TINY_TEXT = ["--seq_length", "8", "--lstm_num_hidden", "16", "--batch_size", "8", "--train_steps", "2"]


def runs_file(content):
    """A setup writing `content` (bytes, or a directory when None) as tmp/out/runs.jsonl."""
    def setup(tmp):
        (tmp / "out").mkdir()
        if content is None:
            (tmp / "out" / "runs.jsonl").mkdir()
        else:
            (tmp / "out" / "runs.jsonl").write_bytes(content)
    return setup


def binary_book(tmp):
    (tmp / "book.bin").write_bytes(bytes(range(256)) * 40)


def huge_book(tmp):
    """A 40 GiB book that takes no disk: a sparse file."""
    with open(tmp / "huge.txt", "wb") as f:
        f.truncate(40 * 2 ** 30)


def symlink_loop(tmp):
    (tmp / "loop1").symlink_to(tmp / "loop2")
    (tmp / "loop2").symlink_to(tmp / "loop1")


def edited_checkpoint(tmp):
    """A real part 2 checkpoint whose stored hidden size no longer fits its weights."""
    part2_train.main(["--txt_file", BOOK, "--out_dir", str(tmp / "run"), *TINY_TEXT, "--device", "cpu"])
    state = load_checkpoint(tmp / "run" / "checkpoint.pt")
    state["config"]["lstm_num_hidden"] = 32
    torch.save(state, tmp / "edited.pt")


def no_sbatch(tmp, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp))


def sbatch_only(tmp, monkeypatch):
    (tmp / "sbatch").write_text("#!/bin/sh\n")
    (tmp / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp))


def trained_run(tmp, damage=None):
    """A finished tiny part 2 run in tmp/run; damage(folder) then spoils something of it."""
    part2_train.main(["--txt_file", BOOK, "--out_dir", str(tmp / "run"), *TINY_TEXT, "--device", "cpu"])
    if damage:
        damage(tmp / "run")


def nan_checkpoint(tmp):
    trained_run(tmp)
    state = load_checkpoint(tmp / "run" / "checkpoint.pt")
    next(iter(state["model"].values())).view(-1)[0] = float("nan")
    torch.save(state, tmp / "nan.pt")


def bad_metrics(run):
    (run / "metrics.csv").write_bytes(b"step,loss\n\xff\xfe\n")


def samples_folder(run):
    (run / "samples_over_training.txt").unlink(missing_ok=True)
    (run / "samples_over_training.txt").mkdir()


RECORD = {"model_type": "RNN", "input_length": 2, "seed": 1, "steps": 2, "converged": False,
          "config": {"model_type": "RNN", "input_length": 2, "seed": 1, "train_steps": 2}}
FINISHED = {**RECORD, "test_accuracy": 0.5}
CASES = [
    # (command, arguments ({tmp}: the test's folder), fragments of the one line, setup)
    ("part1.train", ["--seed", "-1"], ["--seed", "-1"], None),
    ("part1.train", ["--learning_rate", "nan"], ["--learning_rate", "nan"], None),
    ("part1.train", ["--forget_bias", "inf"], ["--forget_bias", "finite"], None),
    ("part1.train", ["--conv_eps", "nan"], ["--conv_eps", "nan"], None),
    ("part1.train", ["--input_length", "100000000"], ["--input_length 100000000", "GiB"], None),
    ("part1.train", ["--eval_size", "1000000000000"], ["--eval_size 1000000000000", "GiB"], None),
    ("part1.train", ["--num_hidden", "10000000", "--train_steps", "1"], ["--num_hidden 10000000", "GiB"], None),
    ("part1.train", ["--impl", "triton", "--device", "cpu"], ["impl 'triton'", "CUDA"], None),
    ("start1.py", ["--seeds", "-1", *SWEEP[:4]], ["--seeds", "-1"], None),
    ("start1.py", ["--seeds", "1", "1", "--steps", "2"], ["--seeds", "1 given more than once"], None),
    ("start1.py", ["--lengths", "5", "5"], ["--lengths", "5 given more than once"], None),
    ("start1.py", ["--replot", "--dry-run"], ["--replot", "--dry-run"], None),
    ("start1.py", ["--lengths", "100000000", "--models", "RNN", "--seeds", "1", "--jobs", "1"],
     ["--lengths 100000000", "GiB"], None),
    ("start1.py", ["--launcher", "slurm", *SWEEP], ["--launcher slurm", "sbatch"], no_sbatch),
    ("start1.py", ["--replot", *SWEEP, "--out_dir", "{tmp}/out"], ["runs.jsonl", "not UTF-8"],
     runs_file(b"\xff\xfe\x00garbage\n")),
    ("start1.py", [*SWEEP, "--out_dir", "{tmp}/out"], ["runs.jsonl", "cannot be read"], runs_file(None)),
    ("start1.py", ["--replot", *SWEEP, "--out_dir", "{tmp}/out"], ["line 1", "lacks 'test_accuracy'"],
     runs_file((json.dumps(RECORD) + "\n").encode())),
    ("grads_over_time", ["--seed", "-3"], ["--seed", "-3"], None),
    ("grads_over_time", ["--forget_bias", "nan"], ["--forget_bias", "finite"], None),
    ("grads_over_time", ["--input_length", "1000000000"], ["--input_length 1000000000", "GiB"], None),
    ("part2.train", ["--txt_file", BOOK, "--seed", "-1"], ["--seed", "-1"], None),
    ("part2.train", ["--txt_file", BOOK, "--learning_rate", "nan"], ["--learning_rate", "nan"], None),
    ("part2.train", ["--txt_file", BOOK, "--dropout_keep_prob", "nan"], ["--dropout_keep_prob"], None),
    ("part2.train", ["--txt_file", BOOK, "--max_norm", "0"], ["--max_norm", "positive number or 'off'", "'0'"], None),
    ("part2.train", ["--txt_file", BOOK, "--max_norm", "none"], ["--max_norm", "'none'"], None),
    ("part2.train", ["--txt_file", BOOK, "--learning_rate_decay", "inf"], ["--learning_rate_decay"], None),
    ("part2.train", ["--txt_file", BOOK, "--out_dir", "{tmp}/none", "--resume"],
     ["--resume", "none", "holds no checkpoint.pt"], None),
    ("part2.train", ["--txt_file", "{tmp}/book.bin"], ["book.bin", "not a text file"], binary_book),
    ("part2.train", ["--txt_file", "{tmp}/huge.txt"], ["--txt_file", "huge.txt needs about", "GiB"], huge_book),
    ("part2.train", ["--txt_file", BOOK, "--out_dir", "{tmp}/" + "a" * 300], ["--out_dir", "longer than this system"],
     None),
    ("part2.train", ["--txt_file", BOOK, "--out_dir", "{tmp}/" + "/".join(["b" * 200] * 30)],
     ["--out_dir", "longer than this system"], None),
    ("part2.train", ["--txt_file", BOOK, "--out_dir", "{tmp}/loop1/run"], ["--out_dir", "leads round in a loop"],
     symlink_loop),
    ("start1.py", [*SWEEP, "--out_dir", "{tmp}/loop1"], ["--out_dir", "leads round in a loop"], symlink_loop),
    ("part2.train", ["--txt_file", BOOK, "--lstm_num_hidden", "1000000"], ["--lstm_num_hidden 1000000", "GiB"],
     None),
    ("start2.py", ["--txt_file", BOOK, "--seed", "-2"], ["--seed", "-2"], None),
    ("part2.generate", ["--checkpoint", "{tmp}/edited.pt", "--device", "cpu"], ["edited.pt", "do not fit"],
     edited_checkpoint),
    ("part2.generate", ["--checkpoint", "x.pt", "--seed", "-1"], ["--seed", "-1"], None),
    ("part2.generate", ["--tau", "1", "--beam_width", "2"], ["--tau and --beam_width exclude each other"], None),
    ("part2.generate", ["--length", "100000000000000", "--device", "cpu"], ["--length", "GiB"], None),
    ("part2.generate", ["--beam_width", "1000000000", "--length", "20", "--prompt", "The ", "--device", "cpu"],
     ["--beam_width 1000000000", "GiB"], None),
    ("part2.temperature", ["--seed", "-1"], ["--seed", "-1"], None),
    ("part2.paper.summarize", ["{tmp}", "--prompt", ""], ["--prompt must be at least one character"], None),
    ("part3.karate", ["--lr", "-1"], ["--lr must be positive", "-1"], None),
    ("part3.karate", ["--lr", "nan"], ["--lr must be positive", "nan"], None),
    ("part3.karate", ["--seed", "-1"], ["--seed", "-1"], None),
    ("part3.example_graph", ["--layers", "3"], ["unrecognized arguments: --layers 3"], None),
    ("part2.paper.books", ["--dir", "{tmp}/books", "--base_url", "nonsense://nowhere/"],
     ["could not download", "nonsense://"], None),
    # Bounds, empty and repeated values, named as the command spells its options.
    ("part1.train", ["--num_threads", "100000"], ["--num_threads 100000", "CPU cores"], None),
    ("start1.py", ["--threads_per_run", "1000"], ["--threads_per_run 1000", "CPU cores"], None),
    ("start1.py", ["--out_dir", ""], ["--out_dir is empty"], None),
    ("part2.train", ["--txt_file", BOOK, "--summary_path", ""], ["--summary_path is empty"], None),
    ("grads_over_time", ["--forget_bias", "1", "1"], ["--forget_bias", "1.0 given more than once"], None),
    ("part2.temperature", ["--taus", "1", "1"], ["--taus", "1.0 given more than once"], None),
    ("part1.train", ["--out_dir", "/proc/x/y", "--train_steps", "5"], ["/proc/x/y", "--out_dir"], None),
    ("start1.py", ["--launcher", "slurm", *SWEEP], ["--launcher slurm", "srun not found"], sbatch_only),
    ("start1.py", ["--replot", *SWEEP, "--out_dir", "{tmp}/out"], ["line 1", "impossible test_accuracy (nan)"],
     runs_file((json.dumps({**FINISHED, "test_accuracy": float("nan")}) + "\n").encode())),
    ("start1.py", ["--replot", *SWEEP, "--out_dir", "{tmp}/out"], ["line 1", "impossible seed (None)"],
     runs_file((json.dumps({**FINISHED, "seed": None}) + "\n").encode())),
    ("start1.py", ["--replot", *SWEEP, "--out_dir", "{tmp}/out"], ["line 1", "impossible steps ('2')"],
     runs_file((json.dumps({**FINISHED, "steps": "2"}) + "\n").encode())),
    ("start1.py", ["--replot", *SWEEP, "--out_dir", "{tmp}/out"], ["line 2", "records the same run as line 1"],
     runs_file((json.dumps(FINISHED) + "\n" + json.dumps({**FINISHED, "test_accuracy": 0.9}) + "\n").encode())),
    ("start1.py", ["--replot", *SWEEP, "--out_dir", "{tmp}/out"], ["line 1", "input_length 7 but its config says 2"],
     runs_file((json.dumps({**FINISHED, "input_length": 7}) + "\n").encode())),
    ("start1.py", ["--replot", *SWEEP, "--out_dir", "{tmp}/out"], ["line 1", "ran 9 steps", "train_steps 2"],
     runs_file((json.dumps({**FINISHED, "steps": 9}) + "\n").encode())),
    # Files that are not what the option needs.
    ("part2.train", ["--txt_file", "/dev/zero"], ["--txt_file '/dev/zero' is not a regular file"], None),
    ("part2.train", ["--txt_file", "{tmp}"], ["is not a regular file"], None),
    ("part2.generate", ["--checkpoint", "{tmp}"], ["is a folder"], None),
    ("part2.generate", ["--checkpoint", "{tmp}/nan.pt", "--device", "cpu"], ["nan.pt", "NaN"], nan_checkpoint),
    # A run may not take over another run's files, nor resume from logs it cannot read.
    ("part2.train", ["--txt_file", BOOK, *TINY_TEXT, "--out_dir", "{tmp}/b", "--summary_path", "{tmp}/run"],
     ["run", "holds the metrics.csv of the run in", "--summary_path"], trained_run),
    ("part2.train", ["--txt_file", BOOK, *TINY_TEXT, "--out_dir", "{tmp}/run", "--resume", "--device", "cpu",
                     "--train_steps", "4"], ["metrics.csv", "not UTF-8"], lambda tmp: trained_run(tmp, bad_metrics)),
    ("part2.train", ["--txt_file", BOOK, *TINY_TEXT, "--out_dir", "{tmp}/run", "--resume", "--device", "cpu",
                     "--train_steps", "4"], ["samples_over_training.txt", "cannot be read"],
     lambda tmp: trained_run(tmp, samples_folder)),
]


@pytest.mark.parametrize("command, args, fragments, setup", CASES,
                         ids=[f"{c[0]} {' '.join(c[1])[:40]}" for c in CASES])
def test_bad_input_gives_one_line_and_makes_nothing(command, args, fragments, setup, tmp_path, monkeypatch,
                                                    capsys):
    monkeypatch.chdir(tmp_path)  # default output folders (results/...) would appear here
    if setup is not None:
        setup(tmp_path, monkeypatch) if setup in (no_sbatch, sbatch_only) else setup(tmp_path)
        capsys.readouterr()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    argv = [a.format(tmp=tmp_path) for a in args]
    with pytest.raises(SystemExit) as exit:
        run_main(lambda: COMMANDS[command](argv), command)
    error = capsys.readouterr().err
    lines = [line for line in error.splitlines() if line.strip()]
    assert exit.value.code == 2 and "Traceback" not in error
    assert len(lines) == 1, error
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing made or lost
