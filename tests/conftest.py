"""Fixtures: a CUDA device that is not there, the course's book, and a small made-up book."""
import random

import pytest

from uvadl2019.locations import books_dir, cached_books_dir
from tests.helpers import SHARED_DATA


@pytest.fixture
def missing_cuda_device():
    """A CUDA device name that does not exist on this machine."""
    import torch
    return f"cuda:{torch.cuda.device_count() + 7}" if torch.cuda.is_available() else "cuda:0"


@pytest.fixture
def democracy():
    """The course's Democracy in America book, from ../shared/data or where part2.paper.books puts it (assets/, or the
    user's cache when installed); the test skips without it."""
    places = [folder / "book_EN_democracy_in_the_US.txt" for folder in (SHARED_DATA, books_dir(), cached_books_dir())]
    path = next((p for p in places if p.is_file()), None)
    if path is None:
        pytest.skip(f"the book is in none of {', '.join(map(str, places))} (python -m part2.paper.books fetches it)")
    return path


@pytest.fixture
def book(tmp_path):
    """A 3000-word text of nine words, for part 2 runs that take seconds."""
    words = ["the ", "people ", "of ", "america ", "democracy ", "is ", "a ", "state ", ". \n"]
    path = tmp_path / "book.txt"
    rng = random.Random(0)
    path.write_text("".join(rng.choice(words) for _ in range(3000)), encoding="utf-8")
    return path
