"""Where the project's own files are: a checkout's folders, or, once pip-installed, the package and a user cache."""
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent if (PACKAGE.parent / "pyproject.toml").is_file() else None  # None: pip-installed
CACHE_NAME = "uva-dl-2019-assignment2"


def books_dir():
    """Where the course's books are downloaded: a checkout's assets/; installed, the user's cache."""
    return CHECKOUT / "assets" if CHECKOUT else cached_books_dir()


def cached_books_dir():
    """The books' folder in the user's cache: ($XDG_CACHE_HOME or ~/.cache)/uva-dl-2019-assignment2/books."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / CACHE_NAME / "books"


def pretrained_dir():
    """The shipped model's folder: a checkout's pretrained/; installed, the package's copy of it."""
    return (CHECKOUT or PACKAGE) / "pretrained"
