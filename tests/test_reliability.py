"""Concurrent and interrupted work loses nothing: locked appends, claimed runs, one trainer per part 2 folder,
torn lines and temporaries of killed processes repaired, and true messages on Ctrl-C."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from uvadl2019.checks import UserError
from uvadl2019.files import append_jsonl, atomic_write_text, ensure_writable_dir, read_jsonl
from part1.fast import cells_cpp
from part1.sweep import executors
from part2.longrun.checkpoint import load_checkpoint
from tests.helpers import REPO

APPEND = """
import sys
from uvadl2019.checks import UserError
from uvadl2019.files import append_jsonl
for i in range(200):
    append_jsonl(sys.argv[1], {"writer": sys.argv[2], "i": i, "padding": "x" * 2000})
"""
BOOK = str(REPO / "README.md")
TINY_TEXT = ["-m", "part2.train", "--txt_file", BOOK, "--seq_length", "8", "--lstm_num_hidden", "16",
             "--batch_size", "8", "--print_every", "1", "--device", "cpu"]


def start(*args):
    """Start `python ARGS` from the repository root; Ctrl-C's default action applies to it."""
    return subprocess.Popen([sys.executable, *map(str, args)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_for(condition, seconds=120):
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_two_processes_appending_to_one_file_keep_every_line(tmp_path):
    path = tmp_path / "runs.jsonl"
    writers = [start("-c", APPEND, path, name) for name in "ab"]
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    records = read_jsonl(path)
    assert len(records) == 400
    for name in "ab":
        assert [r["i"] for r in records if r["writer"] == name] == list(range(200))


def test_a_torn_last_line_is_skipped_when_read_and_cut_off_before_the_next_append(tmp_path, capsys):
    path = tmp_path / "runs.jsonl"
    path.write_text('{"a": 1}\n{"a": 2, "b"')  # a process killed in the middle of a line
    assert read_jsonl(path) == [{"a": 1}]
    assert "incomplete last line" in capsys.readouterr().err
    append_jsonl(path, {"a": 3})
    assert path.read_text() == '{"a": 1}\n{"a": 3}\n'
    assert "removed a last line" in capsys.readouterr().err


def test_two_identical_sweeps_started_at_once_train_each_run_once(tmp_path):
    args = ["start1.py", "--models", "RNN", "LSTM", "--lengths", "2", "3", "--seeds", "1", "2", "--steps", "150",
            "--jobs", "1", "--out_dir", tmp_path]
    sweeps = [start(*args), start(*args)]
    outputs = [sweep.communicate(timeout=300) for sweep in sweeps]
    assert [sweep.returncode for sweep in sweeps] == [0, 0], outputs
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    keys = sorted((r["model_type"], r["input_length"], r["seed"]) for r in map(json.loads, lines))
    assert len(lines) == 8 and len(set(keys)) == 8
    trained = [line for out, _ in outputs for line in out.splitlines() if ": test accuracy" in line]
    assert len(trained) == 8  # each run trained and reported by one of the two
    for out, _ in outputs:  # both summaries hold every run: 2 seeds in each of the 4 rows
        rows = [line.split() for line in out.splitlines() if "±" in line]
        assert len(rows) == 4 and all(row[2] == "2" for row in rows)


def test_a_second_part2_run_into_a_busy_folder_is_refused_and_a_killed_one_frees_it(tmp_path):
    out = tmp_path / "run"
    first = start(*TINY_TEXT, "--out_dir", out, "--train_steps", "1000000")
    try:
        wait_for(lambda: (out / "metrics.csv").exists())
        second = subprocess.run([sys.executable, *map(str, TINY_TEXT), "--out_dir", out, "--train_steps", "5"],
                                cwd=REPO, capture_output=True, text=True)
        assert second.returncode == 2 and "another process is training into" in second.stderr
    finally:
        first.kill()
        first.wait()
    third = subprocess.run([sys.executable, *map(str, TINY_TEXT), "--out_dir", out, "--train_steps", "5"],
                           cwd=REPO, capture_output=True, text=True)
    assert third.returncode == 0, third.stderr


def test_a_run_killed_while_checkpointing_leaves_a_loadable_checkpoint_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "run"
    run = start(*TINY_TEXT, "--out_dir", out, "--train_steps", "1000000", "--checkpoint_every", "1")
    wait_for(lambda: (out / "checkpoint.pt").exists())
    time.sleep(1.0)  # checkpoints every step: the kill lands while one is being written, or just after
    run.kill()
    run.wait()
    state = load_checkpoint(out / "checkpoint.pt")
    leftover = out / f".checkpoint.pt.{dead_pid()}-0123abcd.tmp.pt"  # as a kill inside torch.save leaves it
    leftover.write_bytes(b"half a checkpoint")
    resumed = subprocess.run([sys.executable, *map(str, TINY_TEXT), "--out_dir", out, "--resume",
                              "--train_steps", str(state["step"] + 2)], cwd=REPO, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert load_checkpoint(out / "checkpoint.pt")["step"] == state["step"] + 2
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]


def test_only_temporaries_of_dead_processes_are_removed(tmp_path):
    stale = tmp_path / f".runs.jsonl.{dead_pid()}-89abcdef.tmp.jsonl"
    live = tmp_path / f".training.png.{os.getpid()}-89abcdef.tmp.png"
    other = tmp_path / ".hidden.tmp"
    for path in (stale, live, other):
        path.write_text("x")
    ensure_writable_dir(tmp_path)
    assert not stale.exists() and live.exists() and other.exists()


def test_atomically_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    atomic_write_text(tmp_path / "a.txt", "text")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("command, options, message, stop", [
    (["-m", "part1.train", "--train_steps", "1000000", "--print_every", "1"], [],
     "interrupted; nothing was written: a run is recorded when it finishes", signal.SIGINT),
    (TINY_TEXT, ["--train_steps", "1000000"], "interrupted; a checkpoint of step ", signal.SIGINT),
    # A scheduler's or timeout's SIGTERM: the same line.
    (TINY_TEXT, ["--train_steps", "1000000"], "terminated; a checkpoint of step ", signal.SIGTERM),
    (["start1.py", "--preset", "paper", "--models", "LSTM", "--lengths", "150", "--seeds", "1", "--jobs", "1"], [],
     "terminated; ", signal.SIGTERM),
])
def test_ctrl_c_and_sigterm_say_what_is_left(command, options, message, stop, tmp_path):
    out = tmp_path / "out"
    process = start(*command, *options, "--out_dir", out)
    ready = (lambda: (out / "checkpoint.pt").exists()) if "--checkpoint_every" in options else None
    if command[0] == "start1.py":  # no progress lines: wait for the sweep to get under way
        time.sleep(8)
    else:
        for line in process.stdout:  # the first progress line: training is under way
            if "Train Step" in line and (ready is None or ready()):
                break
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + stop and message in stderr and "Traceback" not in stderr, stderr


def test_ctrl_c_checkpoints_the_step_reached_and_resuming_it_is_bit_exact(tmp_path):
    stopped, whole = tmp_path / "stopped", tmp_path / "whole"
    process = start(*TINY_TEXT, "--train_steps", "1000000", "--checkpoint_every", "100000", "--out_dir", stopped)
    for line in process.stdout:
        if "Train Step 0020" in line:
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    step = load_checkpoint(stopped / "checkpoint.pt")["step"]
    assert process.returncode == 130 and f"a checkpoint of step {step} is in" in stderr and step >= 20
    common = [*TINY_TEXT, "--train_steps", str(step + 7), "--checkpoint_every", "100000"]
    for args in ([*common, "--out_dir", stopped, "--resume"], [*common, "--out_dir", whole]):
        finished = subprocess.run([sys.executable, *map(str, args)], cwd=REPO, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
    assert (stopped / "metrics.csv").read_text() == (whole / "metrics.csv").read_text()
    a, b = load_checkpoint(stopped / "checkpoint.pt"), load_checkpoint(whole / "checkpoint.pt")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])


def test_a_run_slow_to_start_finds_the_folder_that_another_run_filled_meanwhile(tmp_path, monkeypatch):
    """The folder is claimed, then checked: a run that read its book while another trained into the same
    folder and finished is refused, and the other's checkpoint stays."""
    from part2 import train as part2_train
    argv = [*TINY_TEXT[2:], "--out_dir", str(tmp_path), "--train_steps", "2"]
    read_book = part2_train.load_dataset

    def slow_book(config, rank=0):
        monkeypatch.setattr(part2_train, "load_dataset", read_book)
        part2_train.main(argv)  # the other run, start to finish
        return read_book(config, rank)

    part2_train.main(argv)  # a first run, to have a checkpoint to compare with
    (tmp_path / "checkpoint.pt").rename(tmp_path / "first.pt")
    (tmp_path / "metrics.csv").unlink()
    before = {p.name for p in tmp_path.iterdir()}
    monkeypatch.setattr(part2_train, "load_dataset", slow_book)
    with pytest.raises(UserError, match="already holds a run"):
        part2_train.main(argv)
    other = load_checkpoint(tmp_path / "checkpoint.pt")
    assert other["step"] == 2 and "checkpoint.pt" not in before


def test_a_stale_build_of_the_cpp_cells_is_announced(tmp_path):
    """Whether the cells need compiling is ninja's own verdict, not only whether a library is there."""
    (tmp_path / f"{cells_cpp.NAME}.so").write_text("")
    (tmp_path / "cells.cpp").write_text("// source")
    (tmp_path / "build.ninja").write_text("rule cp\n  command = cp $in $out\nbuild out.o: cp cells.cpp\n")
    assert cells_cpp.needs_compiling(tmp_path)  # out.o missing: ninja has work to do
    subprocess.run(["ninja", "-C", str(tmp_path)], check=True, capture_output=True)
    assert not cells_cpp.needs_compiling(tmp_path)
    os.utime(tmp_path / "cells.cpp", (time.time() + 10, time.time() + 10))  # the source newer than its build
    assert cells_cpp.needs_compiling(tmp_path)
    (tmp_path / f"{cells_cpp.NAME}.so").unlink()
    assert cells_cpp.needs_compiling(tmp_path)


def test_cpp_build_cache_is_keyed_by_source_and_flags(tmp_path, monkeypatch):
    source = tmp_path / "cells.cpp"
    source.write_text("// one version")
    monkeypatch.setattr(cells_cpp, "SOURCE", source)
    first = cells_cpp.build_directory(["-O3"])
    source.write_text("// another version")
    second = cells_cpp.build_directory(["-O3"])
    assert len({first, second, cells_cpp.build_directory(["-O3", "-fopenmp"])}) == 3


def test_workers_are_never_more_than_the_groups_and_exit_by_themselves(monkeypatch):
    sizes, calls = [], []

    class Pool:
        def __init__(self, processes, initializer=None, initargs=()):
            sizes.append(processes)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            calls.append("exit")  # terminates the workers
            return False

        def imap_unordered(self, function, groups):
            return [[] for _ in groups]

        def close(self):
            calls.append("close")

        def join(self):
            calls.append("join")

    monkeypatch.setattr(executors.multiprocessing, "get_context", lambda method: type("C", (), {"Pool": Pool}))
    monkeypatch.setattr(executors.backends, "resolve", lambda impl, device: "torch")
    from part1.presets import plan
    runs = [[c] for c in plan("quick", models=["RNN"], lengths=[2], seeds=[1, 2])]
    executors.LocalExecutor(torch.device("cpu"), jobs=8)(runs, lambda record: None)
    assert sizes == [2]
    assert calls == ["close", "join", "exit"]  # at a normal end none is killed holding the pool's locks


def children(pid):
    """The pids of the processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers end with their parent on Linux (prctl)")
def test_the_workers_of_a_killed_sweep_end_with_it(tmp_path):
    sweep = start("start1.py", "--preset", "paper", "--models", "LSTM", "--lengths", "150", "--seeds", "1", "2",
                  "--jobs", "2", "--out_dir", tmp_path)
    wait_for(lambda: len(children(sweep.pid)) >= 3)  # two workers and multiprocessing's resource tracker
    workers = children(sweep.pid)
    sweep.kill()
    _, stderr = sweep.communicate(timeout=60)  # to the end: until the workers and the tracker have closed it too
    wait_for(lambda: not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                          and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]], 30)
    assert "Traceback" not in stderr and "leaked" not in stderr, stderr
