"""A full disk at any write of a part 2 run: one line naming the file and what is safe, then the run resumes to the
same weights, metrics and samples, bit for bit; and output into a closed pipe or a full device."""
import builtins
import errno
import io
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from uvadl2019.checks import UserError
from uvadl2019.device import torch_threads
from part2 import train as part2_train
from part2.longrun.checkpoint import CHECKPOINT
from part2.longrun.logs import METRICS, SAMPLES
from tests.helpers import REPO, TINY

OPTIONS = [*TINY, "--print_every", "1", "--eval_every", "2", "--sample_every", "2", "--checkpoint_every", "2",
           "--train_steps", "4", "--device", "cpu", "--quiet"]


class Disk:
    """builtins.open and io.open for files under `folder`: each opening for writing is counted, and the one
    numbered `full_at` fails at its first write with ENOSPC, as a full disk does."""

    def __init__(self, folder, full_at=None):
        self.folder, self.full_at, self.opened = str(folder), full_at, []
        self.real_open = builtins.open

    def open(self, file, mode="r", *args, **kwargs):
        f = self.real_open(file, mode, *args, **kwargs)
        if not any(c in mode for c in "wax+") or not str(file).startswith(self.folder):
            return f
        self.opened.append(str(file))
        return FullFile(f) if len(self.opened) - 1 == self.full_at else f


class FullFile:
    """A file whose every write fails with ENOSPC (and names no file, as the system's error does)."""

    def __init__(self, f):
        self._f = f

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def train(book, folder, disk, monkeypatch, *extra):
    with monkeypatch.context() as patch, torch_threads(1):  # one thread: the same sums in every run
        patch.setattr(builtins, "open", disk.open)
        patch.setattr(io, "open", disk.open)
        part2_train.main(["--txt_file", str(book), *OPTIONS, "--out_dir", str(folder), *extra])


def bursts(opened):
    """The first of each run of openings of one file, and the last opening: where a run starts a write."""
    return sorted({i for i, name in enumerate(opened) if i == 0 or name != opened[i - 1]} | {len(opened) - 1})


def test_a_full_disk_at_any_write_is_one_line_and_the_run_resumes_bit_for_bit(book, tmp_path, monkeypatch):
    reference = Disk(tmp_path / "reference")
    train(book, tmp_path / "reference", reference, monkeypatch)
    expected = {name: (tmp_path / "reference" / name).read_bytes() for name in (METRICS, SAMPLES)}
    weights = torch.load(tmp_path / "reference" / CHECKPOINT, weights_only=True)["model"]
    for index in bursts(reference.opened):
        folder = tmp_path / f"full-{index}"
        with pytest.raises(UserError) as error:
            train(book, folder, Disk(folder, full_at=index), monkeypatch)
        message = str(error.value)
        assert message.startswith(f"could not write '{folder}") and "No space left on device" in message, message
        assert "\n" not in message and ".tmp" not in message  # the file meant, not its temporary
        resumed = (folder / CHECKPOINT).exists()
        assert ("is kept; add --resume" if resumed else "no checkpoint was written yet") in message
        train(book, folder, Disk(folder), monkeypatch, *(["--resume"] if resumed else []))
        assert {name: (folder / name).read_bytes() for name in expected} == expected, index
        state = torch.load(folder / CHECKPOINT, weights_only=True)["model"]
        assert all(torch.equal(state[name], weights[name]) for name in weights), index


def generate(stdout, *options):
    """part2.generate with the shipped model, its stdout given; the Popen."""
    return subprocess.Popen([sys.executable, "-m", "part2.generate", "--device", "cpu", *options], cwd=REPO,
                            stdout=stdout, stderr=subprocess.PIPE, text=True)


def test_a_reader_that_stops_reading_ends_the_command_quietly():
    process = generate(subprocess.PIPE, "--length", "300", "--num_samples", "20", "--tau", "1")
    assert len(process.stdout.read(10)) == 10
    process.stdout.close()  # as `| head -c 10` does
    error = process.stderr.read()
    assert process.wait(timeout=300) == 128 + signal.SIGPIPE
    assert error.startswith("No --checkpoint") and len(error.splitlines()) == 1, error


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_output_into_a_full_device_is_one_line():
    with open("/dev/full", "w") as full:
        process = generate(full, "--length", "50")
        error = process.stderr.read()
    assert process.wait(timeout=300) == 1
    assert error.splitlines()[-1] == ("part2.generate: error: could not write the output: No space left on device; "
                                      "nothing was written"), error
    assert "Traceback" not in error and len(error.splitlines()) == 2  # beside the line naming the model used
