"""Helpers for running the command-line entry points as a user would."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args, timeout=300):
    """Run `python ARGS...` from the repository root; return the CompletedProcess."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=env)


def assert_one_line_error(result, *fragments):
    """A user mistake: non-zero exit, one line on stderr that names the problem, no traceback."""
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def missing_cuda_device():
    """A CUDA device name that does not exist on this machine."""
    import torch
    return f"cuda:{torch.cuda.device_count() + 7}" if torch.cuda.is_available() else "cuda:0"


SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def democracy():
    """The course's Democracy in America book from ../shared/data; the test skips without it."""
    path = SHARED_DATA / "book_EN_democracy_in_the_US.txt"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    return path
