"""Figures: built with matplotlib's object API, so importing the package leaves a notebook's backend alone."""
import matplotlib
from matplotlib.figure import Figure

from uvadl2019.figures import finish_figure, panels
from tests.helpers import run_cli

IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
import matplotlib
matplotlib.use("svg")  # any backend but the Agg that a script would pick
names = ["start1", "start2"]
for package in ("uvadl2019", "part1", "part2", "part3"):
    names += [package] + [f"{package}.{m.name}" for m in pkgutil.walk_packages([package])]
for name in names:
    try:
        importlib.import_module(name)
    except ImportError as e:
        if e.name != "triton":  # the Triton kernels need Triton; everything else must import
            raise
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules, len(names))
"""


def test_importing_every_module_leaves_the_backend_unchanged():
    result = run_cli("-c", IMPORT_EVERYTHING)
    assert result.returncode == 0, result.stderr
    backend, pyplot_imported, count = result.stdout.split()
    assert backend == "svg"
    assert pyplot_imported == "False"
    assert int(count) > 30  # the walk found the package's modules


def test_finish_figure_returns_the_figure_and_saves_a_png_when_given_a_path(tmp_path):
    before = matplotlib.get_backend()
    fig, axes = panels(3, 2, 2)
    assert isinstance(fig, Figure) and len(axes) == 3
    assert finish_figure(fig, "title") is fig
    assert not list(tmp_path.iterdir())
    finish_figure(fig, "title", tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]  # no temporary file left behind
    assert matplotlib.get_backend() == before
