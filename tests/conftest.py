"""Fixtures: a CUDA device that is not there, and the course's book."""
import pytest

from tests.helpers import SHARED_DATA


@pytest.fixture
def missing_cuda_device():
    """A CUDA device name that does not exist on this machine."""
    import torch
    return f"cuda:{torch.cuda.device_count() + 7}" if torch.cuda.is_available() else "cuda:0"


@pytest.fixture
def democracy():
    """The course's Democracy in America book from ../shared/data; the test skips without it."""
    path = SHARED_DATA / "book_EN_democracy_in_the_US.txt"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    return path
