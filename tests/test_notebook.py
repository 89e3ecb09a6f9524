"""notebooks/tour.ipynb runs top to bottom in a real Jupyter kernel and shows every figure inline."""
import pytest

from tests.helpers import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TOUR = REPO / "notebooks" / "tour.ipynb"
FIGURES = 5  # accuracy, loss curves, gradient norms, karate embedding, the shipped model's training


def images_and_errors(notebook):
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    return ([o for o in outputs if "image/png" in o.get("data", {})], [o for o in outputs if o.output_type == "error"],
            "".join(o.get("text", "") for o in outputs))


def test_tour_is_committed_executed_with_every_figure():
    """The repository's copy shows its figures unrun, on the repository's web page, and stays small."""
    notebook = nbformat.read(TOUR, as_version=4)
    images, errors, _ = images_and_errors(notebook)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))  # run top to bottom, once
    assert len(images) == FIGURES and not errors and TOUR.stat().st_size < 1_000_000


def test_tour_runs_and_shows_every_figure_inline(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the package as if installed: the first cell installs nothing
    notebook = nbformat.read(TOUR, as_version=4)
    # Executed where a user opens it; raises CellExecutionError, with the cell's traceback, when a cell fails.
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(TOUR.parent)}}).execute()
    images, errors, text = images_and_errors(notebook)
    assert len(images) == FIGURES and not errors
    assert "input length  5: test accuracy 1.000" in text  # the LSTM learns the shortest palindromes
    assert "accuracy on the 30 unlabelled members" in text
    assert "FAIL  LSTM  equations            the logits follow a common variant" in text  # the planted bug
    assert "beam search, width 5: The people " in text and "tau = 2.0: The people " in text
