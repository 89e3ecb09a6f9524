"""notebooks/tour.ipynb runs top to bottom in a real Jupyter kernel and shows every figure inline."""
import pytest

from tests.helpers import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TOUR = REPO / "notebooks" / "tour.ipynb"
FIGURES = 5  # accuracy, loss curves, gradient norms, karate embedding, the shipped model's training


def test_tour_is_committed_without_outputs():
    cells = [c for c in nbformat.read(TOUR, as_version=4).cells if c.cell_type == "code"]
    assert cells and all(not c.outputs and c.execution_count is None for c in cells)


def test_tour_runs_and_shows_every_figure_inline():
    notebook = nbformat.read(TOUR, as_version=4)
    # Executed where a user opens it; raises CellExecutionError, with the cell's traceback, when a cell fails.
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(TOUR.parent)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == FIGURES
    text = "".join(o.get("text", "") for o in outputs)
    assert "input length  5: test accuracy 1.000" in text  # the LSTM learns the shortest palindromes
    assert "accuracy on the 30 unlabelled members" in text
    assert "beam search, width 5: The people " in text and "tau = 2.0: The people " in text
