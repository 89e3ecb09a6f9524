"""Download the course's books, checked against their sha256: python -m part2.paper.books [BOOK ...].

They go to a checkout's assets/ folder (the course's place for them) or, pip-installed, the user's cache
(uvadl2019.locations.books_dir); --dir names another folder.
"""
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from uvadl2019.checks import UserError
from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.files import output_folders, sha256
from uvadl2019.locations import books_dir

BASE_URL = "https://raw.githubusercontent.com/uvadlc/DL_assignments_2019/master/assignment_2/part2/assets/"
BOOKS = {  # the course's public-domain Project Gutenberg texts, byte for byte
    "book_EN_democracy_in_the_US.txt": "1ba23c5acbb00b0ffbfe48be30273f5b965eaedca5e8dfce55253e6bb24f2ca5",
    "book_EN_grimms_fairy_tails.txt": "e6439bd511820742e842e21b75e89b394d3809eec82ca56b506c39ff39d4a7d6",
    "book_NL_darwin_reis_om_de_wereld.txt": "389b114334f9e34bea0b01d43dbe6892d44d7c9430c79a6517c74f0658370535",
    "book_NL_tolstoy_anna_karenina.txt": "e8516bf15a6636966224617543fa22a129b35655f66fdfe8af224a9802e8e633",
    "book_TeX_calculus_made_easy.tex": "ceca75298f640dfda6e9d632c7f7b1d71d04bc3e619140b8ea1bc76991d57352",
}
DEFAULT_BOOK = "book_EN_democracy_in_the_US.txt"


def fetch(name, dest_dir=None, base_url=BASE_URL, timeout=60, option="--dir"):
    """Path of book `name` in dest_dir (default: books_dir()), downloaded and verified first if it is not there;
    a folder this made is removed again if the download fails, and `option` is named if it cannot be written."""
    if name not in BOOKS:
        raise UserError(f"unknown book '{name}'; choose from {', '.join(BOOKS)}")
    path = Path(dest_dir or books_dir()) / name
    if path.is_file() and sha256(path) == BOOKS[name]:
        return path
    with output_folders((path.parent, option)):
        download(base_url + name, path, BOOKS[name], timeout)
    return path


def download(url, path, expected_sha256, timeout):
    """Save url at path once its sha256 is the expected one; nothing is left behind otherwise."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                f.write(block)
        got = sha256(tmp)
        if got != expected_sha256:
            raise UserError(f"{url} has sha256 {got[:12]}..., not the course's {expected_sha256[:12]}...; nothing "
                            f"was saved: put the course's file at {path} by hand")
        os.replace(tmp, path)
    except (urllib.error.URLError, OSError, ValueError) as e:  # ValueError: a malformed URL
        reason = getattr(e, "reason", None) or e
        raise UserError(f"could not download {url} ({reason}); check the connection or put the file at "
                        f"{path} by hand") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass(frozen=True)
class DownloadConfig(Config):
    """Which books to fetch, and from where."""
    books: tuple = option((DEFAULT_BOOK,), f"book file names (default: {DEFAULT_BOOK})", nargs="*", type=str,
                          flag="books")
    all: bool = option(False, "all five course books")
    dir: str = option(None, "folder to put them in (default: assets/ in a checkout, else "
                            "~/.cache/uva-dl-2019-assignment2/books)", type=str)
    base_url: str = option(BASE_URL, "where the books are served (default: the course repository)")


def main(argv=None):
    args = parse_into(DownloadConfig, argv, "python -m part2.paper.books", __doc__.split(":")[0] + ".")
    for name in (list(BOOKS) if args.all else args.books):
        print(f"{fetch(name, args.dir, base_url=args.base_url)} (sha256 verified)")


if __name__ == "__main__":
    run_main(main, "part2.paper.books")
