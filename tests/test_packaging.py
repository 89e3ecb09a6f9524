"""The project installs as a package: editable (`pip install -e .`) or not (`pip install .`), then runs from any
folder, and installs no top-level name but its own and the course's."""
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from uvadl2019.environment import revision
from tests.helpers import REPO

SOURCES = ["pyproject.toml", "README.md", "LICENSE", "uvadl2019", "part1", "part2", "part3", "check_assignment",
           "pretrained"]


def install(tmp_path, *pip_args):
    """Install a copy of the project into a fresh virtual environment with `pip install ARGS CHECKOUT`; return
    (its python, its site-packages, the copy, an empty folder elsewhere)."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in SOURCES:  # a copy, so that the build's egg-info stays out of the repository
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, checkout / name)
    # A virtual environment that sees the packages of the one running the tests (torch, setuptools and the rest,
    # from requirements-dev.txt), not the repository. (system_site_packages would show the base Python's instead.)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "outer.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                             "--no-build-isolation", *pip_args, str(checkout)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return python, purelib, checkout, elsewhere


def run(python, folder, *args, env=None):
    """`python ARGS` in `folder`; the CompletedProcess."""
    return subprocess.run([str(python), *args], cwd=folder, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_editable_install_imports_from_another_folder(tmp_path):
    python, _, checkout, elsewhere = install(tmp_path, "-e")
    script = ("import part1, part2, part3, uvadl2019\n"
              "from part1.fast.cells_cpp import SOURCE\n"
              "from part3.karate import DATA\n"
              "from part2.paper.pretrained import load_pretrained\n"
              "load_pretrained()\n"
              "print(part1.__file__, SOURCE.is_file(), DATA.is_file())")
    result = run(python, elsewhere, "-c", script)
    assert result.returncode == 0, result.stderr
    location, source_found, data_found = result.stdout.split()
    assert location.startswith(str(checkout)) and source_found == "True" and data_found == "True"


def test_installed_package_runs_the_sweep_and_part_2_from_another_folder(tmp_path):
    python, purelib, checkout, elsewhere = install(tmp_path)
    shutil.rmtree(checkout)  # the installed copy alone
    ours = {p.name for p in purelib.iterdir() if p.name not in ("outer.pth", "__pycache__")
            and not p.name.endswith(".dist-info") and not p.name.startswith("_")}
    assert ours == {"part1", "part2", "part3", "uvadl2019", "check_assignment"}
    cache = tmp_path / "cache"
    script = ("import part1\n"
              "from part1.fast.cells_cpp import SOURCE\n"
              "from part2.paper.books import books_dir\n"
              "from part2.paper.pretrained import load_pretrained\n"
              "from uvadl2019.environment import environment\n"
              "load_pretrained()\n"
              "print(part1.__file__, SOURCE.is_file(), books_dir(), environment()['revision'])")
    result = run(python, elsewhere, "-c", script, env={"XDG_CACHE_HOME": str(cache)})
    assert result.returncode == 0, result.stderr
    location, source_found, books, revision = result.stdout.split()
    assert location.startswith(str(purelib)) and source_found == "True" and revision == "None"
    assert Path(books) == cache / "uva-dl-2019-assignment2" / "books"

    sweep = run(python, elsewhere, "-m", "part1.sweep", "--dry-run", "--impl", "torch", "--device", "cpu")
    assert sweep.returncode == 0 and "Dry run done" in sweep.stdout, sweep.stderr
    book = elsewhere / "book.txt"
    book.write_text("the people of america. " * 400, encoding="utf-8")
    start = run(python, elsewhere, "-m", "part2.paper.start", "--dry-run", "--txt_file", book.name, "--device", "cpu")
    assert start.returncode == 0, start.stderr
    text = run(python, elsewhere, "-m", "part2.generate", "--prompt", "The people ", "--length", "20")
    assert text.returncode == 0 and text.stdout.count("The people ") == 1, text.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["book.txt"]  # dry runs and generating write nothing
    student = tmp_path / "student"
    shutil.copytree(REPO / "tests" / "students" / "other_style", student)
    check = run(python, elsewhere, "-m", "check_assignment", student)
    assert check.returncode == 0 and check.stdout.count("\nPASS") == len(check.stdout.splitlines()) - 1, \
        check.stdout + check.stderr  # every check of the correct files passes


def test_revision_is_the_checkouts_commit():
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode:
        pytest.skip("the tests run outside a git checkout")
    assert revision().removesuffix("+changes") == head.stdout.strip()
